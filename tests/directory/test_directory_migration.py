"""The hand-written migration and the models must describe the same schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from bot.db import Base
from bot.directory.models import ALL_MODELS

DIRECTORY_TABLES = {model.__tablename__ for model in ALL_MODELS}


def test_migration_creates_every_directory_table(engine):
    assert DIRECTORY_TABLES <= set(inspect(engine).get_table_names())


def test_models_match_migration(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": False}
        )
        diff = [
            change
            for change in compare_metadata(context, Base.metadata)
            # Tables other rooms own (content, staff) are checked by their own tests.
            if _table_of(change) in DIRECTORY_TABLES or _table_of(change) is None
        ]
    assert diff == []


def test_search_indexes_exist(engine):
    inspector = inspect(engine)
    indexes = {
        table: {tuple(ix["column_names"]) for ix in inspector.get_indexes(table)}
        for table in ("location", "attribute", "service")
    }
    assert ("country", "city_normalised") in indexes["location"]
    assert ("latitude", "longitude") in indexes["location"]
    assert ("taxonomy_term_id",) in indexes["attribute"]
    assert ("status",) in indexes["service"]
    uniques = {tuple(u["column_names"]) for u in inspector.get_unique_constraints("translation")}
    assert ("entity_type", "entity_id", "field", "language") in uniques


def _table_of(change) -> str | None:
    """Best-effort table name of one compare_metadata entry."""
    if isinstance(change, list):  # column modifications come grouped
        change = change[0]
    for item in change[1:]:
        name = getattr(item, "name", None)
        table = getattr(item, "table", None)
        if table is not None and getattr(table, "name", None):
            return table.name
        if isinstance(item, str):
            return item
        if name and hasattr(item, "columns") and hasattr(item, "indexes"):
            return name
    return None
