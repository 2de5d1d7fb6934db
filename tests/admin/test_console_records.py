"""Editing through the console: audit trail, HSDS API, review queue, coverage, transfer."""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from html.parser import HTMLParser

import pytest

from tests.admin.conftest import csrf_of

SERVICE = "be-bru-croixrouge-rlf"
FORM_FIELD = re.compile(r'<(input|select|textarea)\b[^>]*\bname="([^"]+)"[^>]*>', re.S)


def db_path(url: str) -> str:
    return url.removeprefix("sqlite:///")


def first_phone(url: str) -> tuple[str, str, str]:
    with sqlite3.connect(db_path(url)) as con:
        return con.execute(
            "select id, number, coalesce(type, '') from phone where service_id = ? "
            "order by position limit 1",
            (SERVICE,),
        ).fetchone()


def test_editor_edits_a_phone_and_the_change_is_audited_and_live(client_for, console_db):
    phone_id, old_number, phone_type = first_phone(console_db)
    client = client_for("eli")
    form = client.get(f"/admin/phone/edit/{phone_id}")
    assert form.status_code == 200
    reply = client.post(
        f"/admin/phone/edit/{phone_id}",
        data={
            "service": SERVICE,
            "number": "+32 2 555 01 23",
            "type": phone_type,
            "position": "0",
            "csrf_token": csrf_of(form.text),
            "save": "Save",
        },  # fmt: skip
        follow_redirects=False,
    )
    assert reply.status_code == 302, reply.text[-800:]

    hsds = client.get(f"/hsds/services/{SERVICE}").json()
    assert "+32 2 555 01 23" in [p["number"] for p in hsds["phones"]]
    assert hsds["last_modified"].startswith(dt.datetime.now(dt.timezone.utc).date().isoformat())

    with sqlite3.connect(db_path(console_db)) as con:
        rows = con.execute(
            "select username, action, field_name, previous_value, replacement_value "
            "from audit_log where resource_type = 'phone' and resource_id = ?",
            (phone_id,),
        ).fetchall()
    assert ("eli", "update", "number", old_number, "+32 2 555 01 23") in rows
    assert ("eli", "update", "number_e164") == rows[1][:3] or any(
        r[2] == "number_e164" for r in rows
    )

    details = client.get(f"/admin/phone/details/{phone_id}").text
    trail = details.split('id="audit-trail"', 1)[1]
    assert "eli" in trail and "+32 2 555 01 23" in trail and old_number in trail


def test_records_are_never_deleted(client_for):
    client = client_for("ada")
    token = csrf_of(client.get("/admin/").text)
    reply = client.request(
        "DELETE", f"/admin/service/delete?pks={SERVICE}", headers={"X-CSRF-Token": token}
    )
    assert reply.status_code == 403
    assert client.get(f"/hsds/services/{SERVICE}").status_code == 200
    assert "Delete" not in client.get(f"/admin/service/details/{SERVICE}").text


def test_list_search_and_filter(client_for):
    client = client_for("vic")
    found = client.get("/admin/service/list", params={"search": "croix"}).text
    assert SERVICE in found
    filtered = client.get("/admin/article/list", params={"language": "ar"})
    assert filtered.status_code == 200


def test_review_queue_and_mark_verified(client_for, console_db):
    with sqlite3.connect(db_path(console_db)) as con:
        con.execute("update service set assured_date = '2020-01-01' where id = ?", (SERVICE,))
        article_id = con.execute("select min(id) from article").fetchone()[0]
        con.execute("update article set reviewed_at = '2020-01-01' where id = ?", (article_id,))
    client = client_for("eli")
    page = client.get("/admin/review").text
    services = page.split('id="stale-services"', 1)[1].split('id="stale-articles"', 1)[0]
    assert f"/admin/service/details/{SERVICE}" in services
    token = csrf_of(page)
    for kind, record in (("service", SERVICE), ("article", str(article_id))):
        reply = client.post(
            "/admin/review/verify",
            data={"kind": kind, "id": record, "csrf_token": token},
            follow_redirects=False,
        )
        assert reply.status_code == 303
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    with sqlite3.connect(db_path(console_db)) as con:
        assert con.execute(
            "select assured_date, assurer_email from service where id = ?", (SERVICE,)
        ).fetchone() == (today, "eli")
        assert con.execute(
            "select reviewed_at, reviewer from article where id = ?", (article_id,)
        ).fetchone() == (today, "eli")
    page = client.get("/admin/review").text
    assert f"/admin/service/details/{SERVICE}" not in page.split('id="stale-articles"')[0]


def test_stale_thresholds():
    from bot.content.models import Article
    from bot.directory.models import Service
    from bot.web.admin import review

    today = dt.date(2026, 6, 1)
    fresh = today - dt.timedelta(days=review.SERVICE_DAYS - 1)
    old = today - dt.timedelta(days=review.SERVICE_DAYS + 1)
    assert (old < today - dt.timedelta(days=180)) and not (fresh < today - dt.timedelta(days=180))
    assert Service.assured_date is not None and Article.reviewed_at is not None


def test_translation_matrix(console_app):
    from bot.web.admin.audit import audited_sessionmaker
    from bot.web.admin.translations import article_matrix, services_missing_languages

    with audited_sessionmaker()() as session:
        topics, countries, cells = article_matrix(session)
        assert topics and {"BE", "MA"} <= set(countries)
        assert {c.status for c in cells.values()} <= {"ok", "outdated", "draft", "missing"}
        assert all(isinstance(s["gaps"], dict) for s in services_missing_languages(session))


def test_translation_page_marks_missing_articles(client_for, console_db):
    with sqlite3.connect(db_path(console_db)) as con:
        topic, article_id = con.execute(
            "select topic, id from article where country = 'BE' and language = 'nl' limit 1"
        ).fetchone()
        con.execute("update article set active = 0 where id = ?", (article_id,))
    try:
        page = client_for("vic").get("/admin/translations").text
        row = page.split(f"<td>{topic}</td>", 1)[1].split("</tr>", 1)[0]
        assert 'title="missing"' in row
    finally:
        with sqlite3.connect(db_path(console_db)) as con:
            con.execute("update article set active = 1 where id = ?", (article_id,))


def test_import_preview_shows_errors_and_writes_nothing(client_for, console_db):
    client = client_for("eli")
    token = csrf_of(client.get("/admin/transfer").text)
    bad = json.dumps([{"id": "x-new-service", "name": 5}]).encode()
    reply = client.post(
        "/admin/transfer/preview",
        data={"csrf_token": token},
        files={"file": ("bad.json", bad, "application/json")},
    )
    assert reply.status_code == 400
    assert 'id="import-errors"' in reply.text and "Nothing was written" in reply.text
    with sqlite3.connect(db_path(console_db)) as con:
        assert not con.execute("select 1 from service where id = 'x-new-service'").fetchall()


def test_export_then_preview_and_apply(client_for, console_db):
    client = client_for("eli")
    exported = client.get("/admin/transfer/download/json")
    assert exported.status_code == 200
    services = exported.json()
    services[0]["name"] = services[0]["name"] + " (renamed)"
    token = csrf_of(client.get("/admin/transfer").text)
    preview = client.post(
        "/admin/transfer/preview",
        data={"csrf_token": token},
        files={"file": ("dump.json", json.dumps(services).encode(), "application/json")},
    )
    assert preview.status_code == 200, preview.text[-1500:]
    assert 'id="import-preview"' in preview.text and "1 updated" in preview.text
    with sqlite3.connect(db_path(console_db)) as con:
        name = con.execute("select name from service where id = ?", (services[0]["id"],))
        assert not name.fetchone()[0].endswith("(renamed)")
    upload = re.search(r'name="token" value="([0-9a-f]{32})"', preview.text).group(1)
    applied = client.post("/admin/transfer/apply", data={"csrf_token": token, "token": upload})
    assert applied.status_code == 200 and 'id="import-applied"' in applied.text
    with sqlite3.connect(db_path(console_db)) as con:
        name = con.execute("select name from service where id = ?", (services[0]["id"],))
        assert name.fetchone()[0].endswith("(renamed)")
    zipped = client.get("/admin/transfer/download/csv")
    assert zipped.status_code == 200 and zipped.content[:2] == b"PK"


@pytest.mark.parametrize(
    ("text", "kept", "gone"),
    [
        ("call me on +32 470 12 34 56 please", "call me on", "470"),
        ("mail x.y@example.org now", "mail", "example"),
        ("see https://evil.example/path?id=3", "see", "evil"),
        ("dossier 2024/123-45", "dossier", "2024"),
    ],
)
def test_scrub(text, kept, gone):
    from bot.analytics import scrub

    cleaned = scrub(text)
    assert kept in cleaned and gone not in cleaned


def test_insights_counts_and_sampling(client_for, console_app):
    from bot.analytics import record_turn

    record_turn(intent="greet", language="fr", channel="telegram", first_turn=True, text="Bonjour")
    record_turn(intent="nlu_fallback", language="fr", channel="telegram", first_turn=False,
                text="mon numéro 0470 12 34 56")  # fmt: skip
    admin = client_for("ada")
    page = admin.get("/admin/insights").text
    assert "telegram" in page and "greet" in page and "nlu_fallback" in page
    assert "Bonjour" not in page and "0470" not in page  # off by default: no text kept
    token = csrf_of(page)
    assert (
        admin.post(
            "/admin/insights/sampling", data={"sampling": "on", "csrf_token": token}
        ).status_code
        == 200
    )
    record_turn(intent="nlu_fallback", language="fr", channel="rest", first_turn=False,
                text="mon numéro 0470 12 34 56")  # fmt: skip
    page = admin.get("/admin/insights").text
    assert "mon numéro [number]" in page and "0470" not in page
    admin.post("/admin/insights/sampling", data={"sampling": "off", "csrf_token": token})
    assert "mon numéro" not in admin.get("/admin/insights").text


def test_create_user_cli_refuses_short_passwords(console_db):
    import os
    import subprocess
    import sys

    from bot.settings import ROOT

    reply = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot.web",
            "create-user",
            "--username",
            "short",
            "--role",
            "viewer",
            "--password-stdin",
        ],  # fmt: skip
        input="tiny\n",
        text=True,
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": console_db},
        capture_output=True,
    )
    assert reply.returncode == 1 and "at least" in reply.stderr


class _Form(HTMLParser):
    """What a browser would submit from the page's first POST form (text, checkboxes,
    selects, textareas) — enough to re-post a sqladmin edit form unchanged."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button"):
            if a.get("type") == "checkbox":
                if "checked" in a:
                    self.data[name] = a.get("value") or "y"
            else:
                self.data.setdefault(name, a.get("value", ""))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            # Browsers drop the newline that follows <textarea>.
            value = self.data[self._textarea]
            self.data[self._textarea] = value[2:] if value.startswith("\r\n") else value
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.data[self._textarea] += data


def form_of(html: str) -> dict[str, str]:
    parser = _Form()
    parser.feed(html.split("<form", 1)[1].split("</form>", 1)[0].join(["<form", "</form>"]))
    return parser.data


def test_deactivating_a_service_unpublishes_it_and_is_audited(client_for, console_db):
    from bot.directory.hsds import service_to_hsds  # noqa: F401 - the API's own mapping

    client = client_for("eli")
    with sqlite3.connect(db_path(console_db)) as con:
        target = con.execute(
            "select id from service where active = 1 and id != ? order by id limit 1", (SERVICE,)
        ).fetchone()[0]
        last = con.execute("select coalesce(max(id), 0) from audit_log").fetchone()[0]
    assert client.get(f"/hsds/services/{target}").status_code == 200
    page = client.get(f"/admin/service/edit/{target}").text
    data = form_of(page)
    data.pop("active", None)  # untick "Active"
    data.update(csrf_token=csrf_of(page), save="Save")
    reply = client.post(f"/admin/service/edit/{target}", data=data, follow_redirects=False)
    assert reply.status_code == 302, reply.text[-1500:]
    assert client.get(f"/hsds/services/{target}").status_code == 404
    with sqlite3.connect(db_path(console_db)) as con:
        assert con.execute("select active from service where id = ?", (target,)).fetchone() == (0,)
        changed = con.execute(
            "select field_name, previous_value, replacement_value from audit_log "
            "where resource_type = 'service' and resource_id = ? and id > ?",
            (target, last),
        ).fetchall()
    assert changed == [("active", "True", "False")], changed


def test_record_tracker_reads_channel_and_first_turn(console_app, tracker_factory):
    from sqlalchemy import select

    from bot.analytics import record_tracker
    from bot.db import session_scope
    from bot.web.admin.models import UsageCounter

    tracker = tracker_factory(intent="greet", text="hello")
    tracker.events = [
        {"event": "user", "text": "hello", "input_channel": "rest",
         "metadata": {"channel": "unit-channel"}},
    ]  # fmt: skip
    record_tracker(tracker, "nl")
    with session_scope() as session:
        keys = {
            (c.metric, c.key): c.count
            for c in session.scalars(select(UsageCounter).where(UsageCounter.metric != "x"))
        }
    assert keys[("channels", "unit-channel")] == 1
    assert keys[("languages", "nl")] >= 1
