"""A migrated, seeded SQLite database that bot.db's session factory points at."""

from __future__ import annotations

import pytest

import bot.db
from bot.content.seed import load_content


@pytest.fixture
def content_db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'content.db'}"
    bot.db.migrate(url)
    monkeypatch.setenv("DATABASE_URL", url)
    bot.db.reset_caches()
    with bot.db.session_scope() as session:
        load_content(session)
    yield url
    bot.db.get_engine().dispose()
    bot.db.reset_caches()
