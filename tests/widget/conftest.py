"""Browser fixtures for the web widget: Debian's Chromium driven by Playwright.

Playwright never downloads a browser here: it launches the Chromium that `make browser`
installs (/usr/bin/chromium, or $CHROMIUM).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest


def _host(url: str) -> str | None:
    parts = urlsplit(url)
    return parts.hostname if parts.scheme in ("http", "https", "ws", "wss") else "127.0.0.1"


@pytest.fixture(scope="session")
def browser(chromium):
    """The session's one Chromium (tests/conftest.py)."""
    return chromium


@pytest.fixture(scope="session")
def warm_stack(stack):
    """The stack after one answered turn: Rasa's first inference can take a while."""
    httpx.post(
        f"{stack.rasa}/webhooks/rest/webhook",
        json={"sender": "widget-warm-up", "message": "hello"},
        timeout=180,
    ).raise_for_status()
    return stack


@pytest.fixture
def new_page(browser, warm_stack):
    """A factory of pages in fresh browser contexts (empty localStorage).

    Every page records dialogs (an XSS would open one), uncaught script errors and the
    hosts it requested; at the end of the test no error may have happened and no request
    may have left this machine.
    """
    contexts, pages = [], []

    def make(width: int = 1000, height: int = 760, locale: str = "en-US"):
        context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
        context.set_default_timeout(30_000)
        page = context.new_page()
        page.dialogs, page.errors, page.hosts = [], [], set()
        page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        page.on("request", lambda r: page.hosts.add(_host(r.url)))
        page.on("websocket", lambda ws: page.hosts.add(_host(ws.url)))
        contexts.append(context)
        pages.append(page)
        return page

    yield make
    for page in pages:
        assert page.errors == [], page.errors
        assert page.hosts <= {"127.0.0.1"}, page.hosts
    for context in contexts:
        context.close()
