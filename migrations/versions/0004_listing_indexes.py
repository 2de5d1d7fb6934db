"""Listing indexes: the HSDS /services and /organizations pages read their index only.

`ix_service_listing (name, id, active, organization_id)` replaces `ix_service_name_id
(name, id)` (its prefix, so every query the old index served still uses the new one): with
`active` and `organization_id` in the index, the listing's COUNT and its LIMIT/OFFSET on
service ids check `active` and the organization filter without reading the table.
`ix_service_active (active, organization_id)` finds the few unpublished services (inactive,
or of an inactive organization): the unfiltered listing counts all services minus those.
`ix_organization_listing (name, id, active)` does the same for /organizations, which sorted
every organization per request; `ix_organization_active` finds the few inactive ones, whose
services the listings leave out.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_service_listing", "service", ["name", "id", "active", "organization_id"])
    op.drop_index("ix_service_name_id", table_name="service")
    op.create_index("ix_service_active", "service", ["active", "organization_id"])
    op.create_index("ix_organization_listing", "organization", ["name", "id", "active"])
    op.create_index("ix_organization_active", "organization", ["active"])


def downgrade() -> None:
    op.drop_index("ix_organization_active", table_name="organization")
    op.drop_index("ix_organization_listing", table_name="organization")
    op.drop_index("ix_service_active", table_name="service")
    op.create_index("ix_service_name_id", "service", ["name", "id"])
    op.drop_index("ix_service_listing", table_name="service")
