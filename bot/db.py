"""The one database engine and session factory (SQLAlchemy 2)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from bot.settings import ROOT, get_settings


class Base(DeclarativeBase):
    """Base class of every model; Alembic reads its metadata."""

    def __str__(self) -> str:
        """How staff see a record in the console's menus and links: name (id)."""
        ident = getattr(self, "id", None)
        name = getattr(self, "name", None) or getattr(self, "title", None)
        return f"{name} ({ident})" if name else f"{type(self).__name__} {ident}"


def _absolute(url: str) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        path = Path(parsed.database)
        if not path.is_absolute():
            path = ROOT / path
        path.parent.mkdir(parents=True, exist_ok=True)
        return parsed.set(database=str(path)).render_as_string(hide_password=False)
    return url


@lru_cache(maxsize=1)
def get_engine() -> Engine:
    return create_engine(_absolute(get_settings().database_url), pool_pre_ping=True)


@lru_cache(maxsize=1)
def session_factory() -> sessionmaker[Session]:
    return sessionmaker(get_engine(), expire_on_commit=False)


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session for one request or one action call: commit on success, else roll back."""
    session = session_factory()()
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


def reset_caches() -> None:
    """Forget the cached settings, engine and session factory (after DATABASE_URL changes)."""
    from bot.settings import get_settings

    get_settings.cache_clear()
    get_engine.cache_clear()
    session_factory.cache_clear()


def migrate(url: str, revision: str = "head") -> None:
    """`alembic upgrade` against ``url``: migrations/env.py reads DATABASE_URL via settings."""
    import os

    from alembic import command
    from alembic.config import Config

    previous = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url
    reset_caches()
    try:
        command.upgrade(Config(str(ROOT / "alembic.ini")), revision)
    finally:
        get_engine().dispose()
        if previous is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = previous
        reset_caches()


def ping() -> bool:
    with get_engine().connect() as connection:
        return connection.execute(text("SELECT 1")).scalar() == 1
