"""Drive the web widget like a person: open it, type, click, read the bubbles."""

from __future__ import annotations

import httpx
import sqlalchemy as sa
from playwright.sync_api import Page, TimeoutError, expect

from tests.stack import TOKEN, Stack

REPLY_TIMEOUT = 120_000  # ms; Rasa answers in about a second once it is up
MESSAGE = '[data-testid="dalil-message"]'


class Chat:
    def __init__(self, page: Page, stack: Stack) -> None:
        self.page, self.stack = page, stack
        self.panel = page.get_by_test_id("dalil-panel")
        self.input = page.get_by_test_id("dalil-input")
        self.bot = page.locator(f'{MESSAGE}[data-from="bot"]')
        self.user = page.locator(f'{MESSAGE}[data-from="user"]')
        self.messages = page.locator(MESSAGE)
        self.quick_replies = page.get_by_test_id("dalil-quick-reply")
        self.typing = page.get_by_test_id("dalil-typing")
        self.notice = page.get_by_test_id("dalil-notice")

    def open(self) -> Chat:
        self.page.goto(self.stack.web + "/")
        self.page.get_by_test_id("dalil-launcher").click()
        expect(self.panel).to_be_visible()
        return self

    @property
    def session_id(self) -> str:
        return self.page.evaluate("window.DalilWidget.sessionId")

    def type(self, text: str) -> None:
        self.input.fill(text)
        self.page.get_by_test_id("dalil-send").click()

    def wait_for_replies(self, before: int) -> list[str]:
        """Until the bot has said more than ``before`` bubbles and finished the turn."""
        try:
            self.page.wait_for_function(
                """n => document.querySelectorAll('[data-from=bot]').length > n
                  && !document.querySelector('[data-pending]')
                  && document.querySelector('[data-testid=dalil-typing]').hidden""",
                arg=before,
                timeout=REPLY_TIMEOUT,
            )
        except TimeoutError as error:
            state = self.page.evaluate(
                """() => ({messages: [...document.querySelectorAll('[data-testid=dalil-message]')]
                  .map(m => [m.dataset.from, m.dataset.pending || '', m.innerText]),
                  notice: !document.querySelector('[data-testid=dalil-notice]').hidden,
                  note: document.querySelector('[data-testid=dalil-note]').innerText})"""
            )
            raise AssertionError(f"no complete reply from the bot; widget: {state}") from error
        return self.bot.all_inner_texts()[before:]

    def say(self, text: str) -> list[str]:
        before = self.bot.count()
        self.type(text)
        return self.wait_for_replies(before)

    def click_quick_reply(self, title: str) -> list[str]:
        before = self.bot.count()
        self.quick_replies.filter(has_text=title).first.click()
        return self.wait_for_replies(before)


def tracker_user_texts(stack: Stack, session_id: str) -> list[str]:
    """What Rasa received from this session, as its tracker shows it."""
    reply = httpx.get(
        f"{stack.rasa}/conversations/{session_id}/tracker", params={"token": TOKEN}, timeout=30
    )
    reply.raise_for_status()
    return [e.get("text") for e in reply.json()["events"] if e["event"] == "user"]


def stored_events(stack: Stack, session_id: str) -> int:
    """How many events the tracker store holds for this session."""
    engine = sa.create_engine(stack.env["TRACKER_STORE_URL"])
    try:
        with engine.connect() as c:
            return c.execute(
                sa.text("SELECT COUNT(*) FROM events WHERE sender_id = :s"), {"s": session_id}
            ).scalar_one()
    finally:
        engine.dispose()
