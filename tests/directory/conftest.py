"""Directory tests run on both databases we support: a temporary SQLite file and a
throw-away PostgreSQL database (created and dropped per test session).

The schema always comes from `alembic upgrade head`, never from `create_all`, so the tests
exercise the migration that production runs.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

import bot.db
import bot.directory  # noqa: F401  (registers the tables on Base.metadata)
import bot.settings
from bot.directory.seed import SERVICES_PATH, load_services

ROOT = Path(__file__).resolve().parents[2]
HSDS_SCHEMAS = ROOT.parent / "shared" / "hsds" / "schema" / "compiled"
POSTGRES_URLS = [
    os.environ.get("DALIL_TEST_POSTGRES_URL", "postgresql+psycopg://root@127.0.0.1:5432/test"),
    "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
]


def alembic_upgrade(url: str, revision: str = "head") -> None:
    """Run the real migrations against `url` (env.py reads DATABASE_URL via bot.settings)."""
    bot.db.migrate(url, revision)


@pytest.fixture(scope="session")
def migrate():
    """`alembic upgrade` against any URL, for tests that need a database of their own."""
    return alembic_upgrade


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, uniquely named PostgreSQL database, dropped at the end of the session."""
    admin = None
    errors = []
    for candidate in POSTGRES_URLS:
        engine = create_engine(candidate, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            admin = engine
            break
        except Exception as exc:  # noqa: BLE001 - try the next account
            errors.append(f"{candidate}: {exc.__class__.__name__}")
            engine.dispose()
    if admin is None:
        message = f"PostgreSQL not reachable ({'; '.join(errors)})"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    name = f"dalil_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(str(admin.url)).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def engine(request, tmp_path_factory) -> Iterator[Engine]:
    """A migrated, seeded database; each test using it runs once per backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'directory.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    alembic_upgrade(url)
    engine = create_engine(url)
    with Session(engine) as session, session.begin():
        load_services(session, SERVICES_PATH)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine) -> Iterator[Session]:
    """A session whose changes are rolled back, so tests never disturb each other."""
    with Session(engine, expire_on_commit=False) as session:
        yield session
        session.rollback()


@pytest.fixture(scope="session")
def hsds_validator():
    """Validators for the compiled HSDS schemas, checking formats except `uuid`.

    Seeded services, organizations and taxonomy terms keep readable slug ids (HSDS marks ids
    as uuid, an annotation in Draft 2020-12). Formats jsonschema checks without extra packages
    (email, date, time, ...) are asserted; date-time is checked by the tests themselves.
    """
    checker = FormatChecker(formats=[f for f in FormatChecker.checkers if f != "uuid"])

    def load(name: str) -> Draft202012Validator:
        schema = json.loads((HSDS_SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))
        Draft202012Validator.check_schema(schema)
        return Draft202012Validator(schema, format_checker=checker)

    validators: dict[str, Draft202012Validator] = {}

    def validate(name: str, document: dict) -> None:
        if name not in validators:
            validators[name] = load(name)
        errors = sorted(validators[name].iter_errors(document), key=lambda e: list(e.path))
        assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])

    return validate
