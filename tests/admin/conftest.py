"""Staff console fixtures: a migrated, seeded throw-away database with three accounts.

Unit tests drive the console in-process (Starlette TestClient); the e2e tests drive the
real web app of the shared `stack` with Debian's Chromium (see tests/widget/conftest.py).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.settings import ROOT

PASSWORDS = {
    "ada": ("admin", "ada-secret-pass-1"),
    "eli": ("editor", "eli-secret-pass-1"),
    "vic": ("viewer", "vic-secret-pass-1"),
}
CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def create_user(env: dict[str, str], username: str, role: str, password: str) -> None:
    """An account made the way staff make one: the CLI, password on stdin."""
    subprocess.run(
        [sys.executable, "-m", "bot.web", "create-user", "--username", username,
         "--role", role, "--password-stdin"],
        input=password + "\n", text=True, cwd=ROOT, env=env, check=True, capture_output=True,
    )  # fmt: skip


def create_users(env: dict[str, str]) -> None:
    for username, (role, password) in PASSWORDS.items():
        create_user(env, username, role, password)


@pytest.fixture(scope="session")
def console_db(tmp_path_factory) -> Iterator[str]:
    tmp: Path = tmp_path_factory.mktemp("console")
    url = f"sqlite:///{tmp / 'dalil.db'}"
    env = {**os.environ, "DATABASE_URL": url}
    for step in (["-m", "alembic", "upgrade", "head"], ["-m", "bot.seed"]):
        subprocess.run([sys.executable, *step], cwd=ROOT, env=env, check=True, capture_output=True)
    create_users(env)
    yield url


@pytest.fixture(scope="module")
def console_app(console_db):
    """A web app with the console and the HSDS API, bound to the throw-away database.

    Module-scoped: DATABASE_URL points at the console's database only while a module of
    this folder runs, never during other folders' tests.
    """
    from fastapi import FastAPI

    from bot import db

    saved = {k: os.environ.get(k) for k in ("DATABASE_URL", "ADMIN_SECRET_KEY")}
    os.environ.update(DATABASE_URL=console_db, ADMIN_SECRET_KEY="unit-test-secret-" + "x" * 20)
    db.reset_caches()
    from bot.web.admin.console import mount_console
    from bot.web.hsds_api import router

    app = FastAPI()
    app.include_router(router)
    mount_console(app)
    yield app
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    db.get_engine().dispose()
    db.reset_caches()


def csrf_of(html: str) -> str:
    match = CSRF_META.search(html) or CSRF_INPUT.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


@pytest.fixture
def client_for(console_app):
    """A factory: a TestClient, signed in as ``username`` unless None."""
    from starlette.testclient import TestClient

    clients = []

    def make(username: str | None = None, password: str | None = None):
        client = TestClient(console_app, base_url="http://127.0.0.1")
        clients.append(client)
        if username:
            token = csrf_of(client.get("/admin/login").text)
            reply = client.post(
                "/admin/login",
                data={
                    "username": username,
                    "password": password or PASSWORDS[username][1],
                    "csrf_token": token,
                },  # fmt: skip
                follow_redirects=False,
            )
            assert reply.status_code == 302, reply.text[:500]
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture(scope="session")
def stack_accounts(stack) -> dict[str, tuple[str, str]]:
    """The three accounts, created with the CLI in the real stack's database."""
    create_users(stack.env)
    return PASSWORDS


@pytest.fixture(scope="session")
def console_browser(chromium):
    """The session's one Chromium (tests/conftest.py)."""
    return chromium
