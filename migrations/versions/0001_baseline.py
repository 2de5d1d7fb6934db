"""Baseline: the empty schema every later migration (directory, content, staff) builds on.

Revision ID: 0001
Revises:
"""

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing yet: records that the database is under Alembic's control."""


def downgrade() -> None:
    """Nothing to undo."""
