"""The staff console on the real stack, in a real browser (Debian's Chromium).

Edit a phone number in the console, then see it in the HSDS API, in the assistant's
find-a-service reply and in the record's audit trail. Refusals (anonymous, viewer,
CSRF, repeated wrong passwords) are checked against the same running web app.
"""

from __future__ import annotations

import re
import sqlite3
from urllib.parse import urlsplit

import httpx
import pytest

from bot.settings import ROOT
from tests.admin.conftest import PASSWORDS, create_user, csrf_of
from tests.stack import new_sender

pytestmark = pytest.mark.e2e

NEW_NUMBER = "+32 2 555 77 01"
SEARCHES = [("legal_aid", "Brussels"), ("health", "Brussels"), ("asylum", "Brussels"),
            ("legal_aid", "Antwerp"), ("legal_aid", "Liège")]  # fmt: skip
PHONE = re.compile(r"📞[^:]*:\s*\u2068?([^\n\u2069]+)")


def _db(stack) -> str:
    return stack.env["DATABASE_URL"].removeprefix("sqlite:///")


def _reply_text(stack, category: str, city: str) -> str:
    payload = f'/find_service{{"service_category": "{category}", "location": "{city}"}}'
    return "\n".join(r.get("text", "") for r in stack.say(new_sender(), payload))


def _a_phone_in_a_reply(stack) -> tuple[str, str, str, str, str]:
    """(category, city, phone id, service id, number) of a number the bot really shows."""
    with sqlite3.connect(_db(stack)) as con:
        for category, city in SEARCHES:
            for number in PHONE.findall(_reply_text(stack, category, city)):
                row = con.execute(
                    "select id, service_id from phone where number = ? and service_id is not null",
                    (number.strip(),),
                ).fetchall()
                if len(row) == 1:
                    return category, city, row[0][0], row[0][1], number.strip()
    pytest.fail("no find-service reply with a phone number: extend SEARCHES")


@pytest.fixture
def page(console_browser, stack, stack_accounts):
    context = console_browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.hosts = set()
    page.on("request", lambda r: page.hosts.add(urlsplit(r.url).hostname))
    yield page
    assert page.hosts <= {"127.0.0.1"}, page.hosts  # the console loads nothing from outside
    context.close()


def _login(page, stack, username: str) -> None:
    page.goto(f"{stack.web}/admin/")
    assert page.url.endswith("/admin/login")
    page.fill("#username", username)
    page.fill("#password", stack_password(username))
    page.click("button[type=submit]")
    page.wait_for_url(f"{stack.web}/admin/")


def stack_password(username: str) -> str:
    return PASSWORDS[username][1]


def test_editor_changes_a_phone_and_the_bot_says_it(page, stack):
    category, city, phone_id, service_id, old = _a_phone_in_a_reply(stack)
    _login(page, stack, "eli")

    page.goto(f"{stack.web}/admin/phone/edit/{phone_id}")
    page.fill("input[name=number]", NEW_NUMBER)
    page.click("input[type=submit][value=Save]")
    page.wait_for_url(re.compile(r".*/admin/phone/list.*"))

    hsds = httpx.get(f"{stack.web}/hsds/services/{service_id}", timeout=10).json()
    assert NEW_NUMBER in [p["number"] for p in hsds["phones"]]
    reply = _reply_text(stack, category, city)
    assert NEW_NUMBER in reply and old not in reply

    page.goto(f"{stack.web}/admin/phone/details/{phone_id}")
    rows = page.locator("#audit-trail tbody tr").all_inner_texts()
    cells = [row.split("\t") for row in rows]
    assert any(
        c[1:] == ["eli", "update", "number", old, NEW_NUMBER] for c in cells if len(c) == 6
    ), rows


def test_insights_count_what_the_bot_answered(page, stack):
    _reply_text(stack, "legal_aid", "Brussels")
    _login(page, stack, "vic")
    page.goto(f"{stack.web}/admin/insights")
    intents = page.locator("#by-intent").inner_text()
    channels = page.locator("#by-channel").inner_text()
    assert "find_service" in intents and "rest" in channels
    assert "Brussels" not in page.content()  # counts only, never message text


def test_review_queue_screenshot(page, stack):
    with sqlite3.connect(_db(stack)) as con:  # a few stale services and articles
        con.execute(
            "update service set assured_date = '2024-01-01' where id in "
            "(select id from service order by id limit 3)"
        )
        con.execute(
            "update article set reviewed_at = '2024-06-01' where id in "
            "(select id from article where country = 'BE' order by id limit 2)"
        )
    _login(page, stack, "eli")
    page.goto(f"{stack.web}/admin/review")
    assert page.locator("#stale-services tbody tr").count() >= 3
    (ROOT / "docs").mkdir(exist_ok=True)
    page.screenshot(path=str(ROOT / "docs" / "staff-console-review.png"))
    before = page.locator("#stale-services tbody tr").count()
    with page.expect_navigation():
        page.locator("#stale-services button", has_text="Mark verified").first.click()
    assert page.locator("#stale-services tbody tr").count() == before - 1


def test_viewer_sees_but_cannot_edit(page, stack):
    _login(page, stack, "vic")
    page.goto(f"{stack.web}/admin/service/list")
    assert page.locator("table").count() >= 1
    response = page.goto(f"{stack.web}/admin/service/create")
    assert response.status == 403


def test_anonymous_and_forged_requests_are_refused(stack, stack_accounts):
    with httpx.Client(base_url=stack.web, timeout=10) as anonymous:
        for path in ("/admin/", "/admin/service/list", "/admin/review", "/admin/insights"):
            reply = anonymous.get(path)
            assert reply.status_code == 302 and reply.headers["location"].endswith("/login")
        for path in ("/admin/service/create", "/admin/review/verify", "/admin/transfer/apply"):
            assert anonymous.post(path, data={"x": "1"}).status_code == 403
    with httpx.Client(base_url=stack.web, timeout=10) as client:
        token = csrf_of(client.get("/admin/login").text)
        login = {"username": "eli", "password": stack_password("eli")}
        assert client.post("/admin/login", data=login).status_code == 403  # no CSRF token
        assert client.post("/admin/login", data={**login, "csrf_token": token}).status_code == 302
        verify = {"kind": "service", "id": "x"}
        assert client.post("/admin/review/verify", data=verify).status_code == 403
        forged = {**verify, "csrf_token": "forged"}
        assert client.post("/admin/review/verify", data=forged).status_code == 403


def test_five_wrong_passwords_lock_the_account(page, stack):
    create_user(stack.env, "e2e-lock", "viewer", "e2e-lock-pass-1")
    page.goto(f"{stack.web}/admin/login")
    for _ in range(5):
        page.fill("#username", "e2e-lock")
        page.fill("#password", "wrong password")
        page.click("button[type=submit]")
    assert "locked" in page.content()
    page.fill("#username", "e2e-lock")
    page.fill("#password", "e2e-lock-pass-1")
    page.click("button[type=submit]")
    assert "locked" in page.content() and page.url.endswith("/admin/login")
