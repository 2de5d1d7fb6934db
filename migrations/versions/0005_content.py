"""Content: rights articles, emergency numbers and helplines, translation gaps, feedback.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "article",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("topic", sa.String(50), nullable=False),
        sa.Column("country", sa.String(10), nullable=False),
        sa.Column("language", sa.String(5), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("sources", sa.JSON, nullable=False),
        sa.Column("service_categories", sa.JSON, nullable=False),
        sa.Column("rules_changed", sa.Text),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reviewed_at", sa.Date),
        sa.Column("reviewer", sa.String(200)),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("seed_hash", sa.String(64)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("topic", "country", "language", name="uq_article_key"),
    )
    op.create_table(
        "contact_number",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("country", sa.String(10), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("number", sa.String(40), nullable=False),
        sa.Column("labels", sa.JSON, nullable=False),
        sa.Column("sources", sa.JSON, nullable=False),
        sa.Column("checked_at", sa.Date),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("seed_hash", sa.String(64)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("country", "kind", "number", name="uq_contact_number"),
    )
    op.create_table(
        "content_gap",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("topic", sa.String(50), nullable=False),
        sa.Column("country", sa.String(10), nullable=False),
        sa.Column("language", sa.String(5), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.UniqueConstraint("topic", "country", "language", "day", name="uq_content_gap"),
    )
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("topic", sa.String(50), nullable=False),
        sa.Column("country", sa.String(10), nullable=False),
        sa.Column("language", sa.String(5), nullable=False),
        sa.Column("vote", sa.String(10), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
    )
    op.create_index("ix_feedback_day_topic", "feedback", ["day", "topic"])


def downgrade() -> None:
    op.drop_index("ix_feedback_day_topic", table_name="feedback")
    op.drop_table("feedback")
    op.drop_table("content_gap")
    op.drop_table("contact_number")
    op.drop_table("article")
