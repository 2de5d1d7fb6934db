"""Who may do what: anonymous, viewer, editor, admin; CSRF; lockout after failures."""

from __future__ import annotations

import pytest

from tests.admin.conftest import PASSWORDS, csrf_of

PAGES = [
    "/admin/",
    "/admin/service/list",
    "/admin/service/details/be-bru-croixrouge-rlf",
    "/admin/phone/list",
    "/admin/article/list",
    "/admin/contact-number/list",
    "/admin/staff-user/list",
    "/admin/audit-log/list",
    "/admin/review",
    "/admin/translations",
    "/admin/transfer",
    "/admin/transfer/download/json",
    "/admin/insights",
    "/admin/service/ajax/lookup?name=organization&term=a",
]
WRITES = [
    ("GET", "/admin/service/create"),
    ("GET", "/admin/service/edit/be-bru-croixrouge-rlf"),
    ("POST", "/admin/service/create"),
    ("POST", "/admin/service/edit/be-bru-croixrouge-rlf"),
    ("POST", "/admin/phone/edit/some-id"),
    ("DELETE", "/admin/service/delete?pks=be-bru-croixrouge-rlf"),
    ("POST", "/admin/review/verify"),
    ("POST", "/admin/transfer/preview"),
    ("POST", "/admin/transfer/apply"),
    ("POST", "/admin/insights/sampling"),
]


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_pages_redirect_to_login(client_for, path):
    reply = client_for().get(path, follow_redirects=False)
    assert reply.status_code == 302
    assert reply.headers["location"].endswith("/admin/login")


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_anonymous_writes_are_refused(client_for, method, path):
    reply = client_for().request(method, path, follow_redirects=False)
    assert reply.status_code == 403


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_viewer_cannot_write(client_for, method, path):
    client = client_for("vic")
    token = csrf_of(client.get("/admin/").text)
    data = {"csrf_token": token} if method == "POST" else None
    reply = client.request(method, path, data=data, follow_redirects=False)
    assert reply.status_code == 403


def test_viewer_reads_but_sees_no_accounts(client_for):
    client = client_for("vic")
    assert client.get("/admin/service/list").status_code == 200
    assert client.get("/admin/review").status_code == 200
    assert "Mark verified" not in client.get("/admin/review").text
    assert client.get("/admin/staff-user/list").status_code == 403


def test_editor_cannot_manage_accounts_or_sampling(client_for):
    client = client_for("eli")
    token = csrf_of(client.get("/admin/").text)
    assert client.get("/admin/staff-user/list").status_code == 403
    reply = client.post("/admin/insights/sampling", data={"sampling": "on", "csrf_token": token})
    assert reply.status_code == 403
    assert client.get("/admin/service/edit/be-bru-croixrouge-rlf").status_code == 200


def test_admin_manages_accounts(client_for):
    client = client_for("ada")
    page = client.get("/admin/staff-user/list")
    assert page.status_code == 200
    assert "vic" in page.text and "password_hash" not in page.text


def test_login_form_without_csrf_token_is_refused(client_for):
    client = client_for()
    client.get("/admin/login")
    username, (_, password) = "eli", PASSWORDS["eli"]
    reply = client.post("/admin/login", data={"username": username, "password": password})
    assert reply.status_code == 403
    reply = client.post(
        "/admin/login", data={"username": username, "password": password, "csrf_token": "forged"}
    )
    assert reply.status_code == 403


def test_edit_form_without_valid_csrf_token_is_refused(client_for, console_db):
    import sqlite3

    client = client_for("eli")
    reply = client.post(
        "/admin/organization/edit/nonexistent", data={"name": "X"}, follow_redirects=False
    )
    assert reply.status_code == 403
    reply = client.post(
        "/admin/review/verify",
        data={"kind": "service", "id": "be-bru-croixrouge-rlf", "csrf_token": "wrong"},
    )
    assert reply.status_code == 403
    path = console_db.removeprefix("sqlite:///")
    with sqlite3.connect(path) as con:
        assert not con.execute(
            "select 1 from audit_log where resource_id = 'be-bru-croixrouge-rlf'"
        ).fetchall()


def test_session_cookie_is_httponly_and_samesite(client_for):
    client = client_for()
    reply = client.get("/admin/login")
    cookie = reply.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/admin" in cookie


def test_five_wrong_passwords_lock_the_account(client_for):
    from bot.web.admin.auth import create_user

    create_user("lou", "lou-secret-pass-1", "editor")
    client = client_for()
    token = csrf_of(client.get("/admin/login").text)
    for _ in range(5):
        reply = client.post(
            "/admin/login", data={"username": "lou", "password": "wrong", "csrf_token": token}
        )
        assert reply.status_code == 400
    assert "locked" in reply.text
    reply = client.post(
        "/admin/login",
        data={"username": "lou", "password": "lou-secret-pass-1", "csrf_token": token},
        follow_redirects=False,
    )
    assert reply.status_code == 400 and "locked" in reply.text


def test_deactivated_account_is_signed_out(client_for):
    from sqlalchemy import update

    from bot.db import session_scope
    from bot.web.admin.auth import create_user
    from bot.web.admin.models import StaffUser

    create_user("gone", "gone-secret-pass-1", "viewer")
    client = client_for("gone", "gone-secret-pass-1")
    assert client.get("/admin/").status_code == 200
    with session_scope() as session:
        session.execute(update(StaffUser).where(StaffUser.username == "gone").values(active=False))
    assert client.get("/admin/", follow_redirects=False).status_code == 302


def test_pages_are_not_framed_or_cached(client_for):
    reply = client_for("vic").get("/admin/review")
    assert reply.headers["x-frame-options"] == "DENY"
    assert reply.headers["cache-control"] == "no-store"
