"""Search indexes: found by the directory benchmark (python -m bot.directory.benchmark).

`ix_service_name_id` serves the HSDS listings' ORDER BY service.name, service.id: pages are
read in index order instead of sorting every active service per request.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_service_name_id", "service", ["name", "id"])


def downgrade() -> None:
    op.drop_index("ix_service_name_id", table_name="service")
