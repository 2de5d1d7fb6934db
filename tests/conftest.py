"""Shared test helpers: build rasa-sdk trackers from dicts, as Rasa's demo bots do."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker


def make_tracker(
    slots: dict[str, Any] | None = None,
    entities: list[dict[str, Any]] | None = None,
    detection: dict[str, Any] | None = None,
    intent: str = "greet",
    text: str = "hello",
) -> Tracker:
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.99},
        "entities": entities or [],
    }
    if detection is not None:
        latest["language_detection"] = detection
    return Tracker(
        sender_id="test-user",
        slots={"language": None, "language_source": None, "country": None, **(slots or {})},
        latest_message=latest,
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


@pytest.fixture
def tracker_factory():
    return make_tracker


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """The real Rasa server, action server and web app, shared by every e2e test."""
    from tests.stack import MODEL, Stack

    if not MODEL.exists():
        pytest.fail("models/dalil.tar.gz is missing: `make test` trains it first")
    s = Stack(tmp_path_factory.mktemp("stack"))
    s.prepare_database()
    try:
        for name in ("actions", "web", "rasa"):
            s.start(name)
        yield s
    except Exception:
        s.dump_logs()
        raise
    finally:
        for name in list(s.procs):
            s.stop(name)


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright (never `playwright install`), one per test
    session: Playwright's sync API allows a single instance per thread, so the widget
    and staff-console tests share it."""
    import os
    from pathlib import Path

    from playwright.sync_api import sync_playwright

    executable = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    if not executable.exists():
        pytest.fail(f"{executable} is missing: `make browser` installs Debian's chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(executable))
        yield browser
        browser.close()
