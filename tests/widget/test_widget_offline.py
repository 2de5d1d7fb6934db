"""The widget while Rasa is down: a notice, messages queued (even across a reload), all
delivered once, in order, when Rasa is back. Stops and restarts the shared Rasa server,
so it lives in a module of its own that runs after the other widget tests."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.stack import response_text, wait_http
from tests.widget.chat import Chat, tracker_user_texts

pytestmark = pytest.mark.e2e


def test_offline_notice_queue_and_delivery_after_restart(new_page, stack):
    page = new_page()
    chat = Chat(page, stack).open()
    chat.say("hello")
    expect(chat.notice).to_be_hidden()
    session = chat.session_id

    stack.stop("rasa")
    try:
        expect(chat.notice).to_be_visible(timeout=30_000)
        expect(chat.notice).to_have_text(
            "No connection to Dalil. Reconnecting… Your messages will be sent as soon as "
            "the connection is back."
        )
        chat.type("bonjour")
        chat.type("ok")
        expect(page.locator("[data-pending]")).to_have_count(2)
        expect(chat.user.last).to_have_attribute("data-pending", "Not sent yet")
        # The queue survives a reload while the server is still down.
        page.reload()
        expect(chat.panel).to_be_visible()
        expect(chat.notice).to_be_visible(timeout=30_000)
        expect(page.locator("[data-pending]")).to_have_count(2)
    finally:
        # Loading the model again can take minutes on a loaded machine: wait longer than
        # the stack's usual start-up allowance rather than fail on a slow CI box.
        wait_http(f"{stack.rasa}/", 900, stack.start("rasa", wait=False))

    replies = chat.wait_for_replies(1)
    expect(chat.notice).to_be_hidden()
    assert replies[0] == response_text("utter_greet", "fr")
    assert replies[-1] == response_text("utter_anything_else", "fr")
    assert tracker_user_texts(stack, session) == ["hello", "bonjour", "ok"]
