"""The widget's files and web routes, without a browser: the committed bundle matches its
sources and fits the budget, our script never builds HTML from strings, every text exists
in the four languages, and the web app serves the demo page, the bundle (gzipped) and the
erase endpoint."""

from __future__ import annotations

import hashlib
import re

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from bot.settings import SUPPORTED_LANGUAGES, get_settings
from bot.web.app import app
from bot.web.widget import build

WIDGET_JS = (build.HERE / "widget.js").read_text(encoding="utf-8")
VENDOR_MD = (build.STATIC / "vendor" / "VENDOR.md").read_text(encoding="utf-8")


def test_committed_bundle_matches_its_sources():
    assert build.BUNDLE.read_text(encoding="utf-8") == build.build(), (
        "bot/web/static/dalil.js is stale: run `make widget`"
    )


def test_bundle_fits_the_size_budget(capsys):
    assert build.gzipped_size(build.BUNDLE) <= build.BUDGET
    assert build.main(["--size"]) == 0
    assert "gzipped" in capsys.readouterr().out


def test_vendored_socket_io_is_the_noted_version_and_file():
    vendor = build.VENDOR.read_bytes()
    version = re.search(rb"Socket\.IO v(\d+\.\d+\.\d+)", vendor).group(1).decode()
    assert f"socket.io-client@{version}" in VENDOR_MD
    assert hashlib.sha256(vendor).hexdigest() in VENDOR_MD
    assert (build.STATIC / "vendor" / "socket.io-client.LICENSE").exists()


@pytest.mark.parametrize(
    "api", ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "Function("]
)
def test_widget_never_turns_strings_into_markup_or_code(api):
    assert api not in WIDGET_JS


def test_widget_requests_nothing_outside_its_servers():
    urls = set(re.findall(r"https?://[^\s'\"]*", WIDGET_JS))
    assert urls <= {"http://www.w3.org/2000/svg", "https?://"}, urls


def test_every_widget_text_exists_in_every_language():
    block = WIDGET_JS.split("var TEXT = {", 1)[1].split("\n};", 1)[0]
    keys = {
        lang: set(re.findall(r"(\w+): ", body))
        for lang, body in re.findall(r"\n  (\w\w): \{(.*?)\}(?:,|$)", block, flags=re.S)
    }
    assert set(keys) == set(SUPPORTED_LANGUAGES)
    assert len({frozenset(k) for k in keys.values()}) == 1, keys
    arabic = block.split("\n  ar: {", 1)[1]
    for value in re.findall(r"\w+: '([^']*)'", arabic):
        assert re.search(r"[\u0600-\u06FF]", value), value


@pytest.fixture
def client(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_STORE_URL", f"sqlite:///{tmp_path / 'tracker.db'}")
    monkeypatch.setenv("RASA_PORT", "5999")
    get_settings.cache_clear()
    try:
        yield TestClient(app)
    finally:
        get_settings.cache_clear()


def test_demo_page_embeds_the_widget_with_one_tag(client):
    page = client.get("/")
    assert page.status_code == 200
    tags = re.findall(r"<script[^>]*>", page.text)
    assert len(tags) == 1
    assert 'src="http://testserver/static/dalil.js"' in tags[0]
    assert 'data-server-url="http://testserver:5999"' in tags[0]
    assert "&lt;script src=" in page.text  # the snippet to copy, shown as text


def test_bundle_is_served_gzipped(client):
    reply = client.get("/static/dalil.js", headers={"Accept-Encoding": "gzip"})
    assert reply.status_code == 200
    assert reply.headers["content-encoding"] == "gzip"
    assert reply.headers["content-type"].startswith("text/javascript")
    assert reply.text == build.BUNDLE.read_text(encoding="utf-8")


def test_erase_endpoint_deletes_that_session_only(client):
    engine = sa.create_engine(get_settings().tracker_store_url)
    with engine.begin() as c:
        c.execute(sa.text("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT)"))
        for sender in ("a" * 32, "a" * 32, "b" * 32):
            c.execute(sa.text("INSERT INTO events (sender_id) VALUES (:s)"), {"s": sender})
    reply = client.post(
        f"/api/conversations/{'a' * 32}/erase", headers={"Origin": "https://ngo.example"}
    )
    assert reply.status_code == 200
    assert reply.json() == {"erased": 2}
    assert reply.headers["access-control-allow-origin"] == "*"
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT sender_id FROM events")).scalars().all() == ["b" * 32]
    engine.dispose()


@pytest.mark.parametrize("session_id", ["short", "x" * 200, "a b c d e f g h", "..%2F..%2Fetc"])
def test_erase_endpoint_refuses_odd_session_ids(client, session_id):
    assert client.post(f"/api/conversations/{session_id}/erase").status_code == 404


def test_erase_endpoint_answers_only_allowed_origins(client, monkeypatch):
    monkeypatch.setenv("RASA_CORS", "https://a.example, https://b.example")
    get_settings.cache_clear()
    ok = client.post(
        f"/api/conversations/{'c' * 32}/erase", headers={"Origin": "https://b.example"}
    )
    assert ok.headers["access-control-allow-origin"] == "https://b.example"
    other = client.post(
        f"/api/conversations/{'c' * 32}/erase", headers={"Origin": "https://x.example"}
    )
    assert "access-control-allow-origin" not in other.headers
