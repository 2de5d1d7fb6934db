"""Migration 0006 and the console's models describe the same schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from bot.db import Base
from bot.web.admin.models import AuditLog, ConsoleSetting, QuestionSample, StaffUser, UsageCounter

TABLES = {
    m.__tablename__ for m in (StaffUser, AuditLog, ConsoleSetting, UsageCounter, QuestionSample)
}


def _table(change) -> str | None:
    while isinstance(change, list):
        change = change[0]
    for item in change[1:]:
        name = getattr(item, "name", None) if not isinstance(item, str) else None
        table = getattr(item, "table", None)
        if table is not None:
            return table.name
        if name in TABLES:
            return name
        if isinstance(item, str) and item in TABLES:
            return item
    return None


def test_models_match_migration_0006(console_db):
    engine = create_engine(console_db)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": False}
        )
        diff = [c for c in compare_metadata(context, Base.metadata) if _table(c) in TABLES]
    engine.dispose()
    assert diff == []
