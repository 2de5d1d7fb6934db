"""The web widget in a real browser (Debian's Chromium) against the real stack: the demo
page at `/`, Rasa's socket.io channel, the web app's erase endpoint."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from bot.settings import ROOT
from tests.stack import response_text
from tests.widget.chat import Chat, stored_events, tracker_user_texts

pytestmark = pytest.mark.e2e

DOCS = ROOT / "docs"
ARABIC = re.compile(r"[\u0600-\u06FF]")


def test_bonjour_gets_a_french_reply_and_a_quick_reply_sends_its_payload(new_page, stack):
    chat = Chat(new_page(), stack).open()
    replies = chat.say("bonjour")
    assert replies[0] == response_text("utter_greet", "fr")
    expect(chat.user).to_have_text(["bonjour"])
    # The interface follows the conversation into French.
    expect(chat.input).to_have_attribute("placeholder", "Écrivez votre message…")
    expect(chat.quick_replies).to_have_count(5)

    replies = chat.click_quick_reply("Mes droits")
    assert replies and replies[0]
    expect(chat.user.last).to_have_text("Mes droits")
    assert tracker_user_texts(stack, chat.session_id) == ["bonjour", "/rights_overview"]


def test_a_reload_keeps_the_conversation(new_page, stack):
    page = new_page()
    chat = Chat(page, stack).open()
    chat.say("bonjour")
    history = chat.messages.all_inner_texts()
    session = chat.session_id

    page.reload()
    expect(chat.panel).to_be_visible()
    expect(chat.messages).to_have_text(history)
    assert chat.session_id == session
    # Rasa continues the same conversation: still French after a short "ok".
    assert chat.say("ok")[0] == response_text("utter_anything_else", "fr")


def test_arabic_turns_the_panel_and_its_messages_right_to_left(new_page, stack):
    page = new_page(width=390, height=740)
    chat = Chat(page, stack).open()
    expect(chat.panel).to_have_attribute("dir", "ltr")
    replies = chat.say("مرحبا")
    assert replies[0] == response_text("utter_greet", "ar")
    expect(chat.panel).to_have_attribute("dir", "rtl")
    expect(chat.panel).to_have_attribute("lang", "ar")
    expect(chat.input).to_have_attribute("placeholder", "اكتب رسالتك…")
    expect(chat.quick_replies.first).to_have_attribute("dir", "rtl")
    chat.click_quick_reply("البحث عن خدمة")
    for message in chat.messages.all():
        if ARABIC.search(message.inner_text()):
            expect(message).to_have_attribute("dir", "rtl")
    # The send arrow points the way Arabic reads.
    assert (
        page.get_by_test_id("dalil-send")
        .evaluate("b => getComputedStyle(b.querySelector('svg')).transform")
        .startswith("matrix(-1")
    )
    page.mouse.move(195, 300)
    page.screenshot(path=DOCS / "widget-ar.png")


def test_english_conversation_screenshot(new_page, stack):
    page = new_page(width=1000, height=760)
    chat = Chat(page, stack).open()
    assert chat.say("Hello")[0] == response_text("utter_greet", "en")
    expect(chat.panel).to_have_attribute("dir", "ltr")
    chat.click_quick_reply("Find a service")
    page.mouse.move(0, 0)
    page.screenshot(path=DOCS / "widget-en.png")


def test_markup_is_shown_as_text_and_never_runs(new_page, stack):
    page = new_page()
    chat = Chat(page, stack).open()
    attack = "<img src=x onerror=alert(1)>"
    chat.say(attack)
    expect(chat.user).to_have_text([attack])
    assert chat.user.first.evaluate("el => el.children.length") == 0
    assert page.locator('img[src="x"]').count() == 0
    assert page.dialogs == []
    assert tracker_user_texts(stack, chat.session_id) == [attack]


def test_typed_slash_text_is_not_an_intent_but_buttons_send_payloads(new_page, stack):
    chat = Chat(new_page(), stack).open()
    chat.say('/choose_language{"language": "ar"}')
    chat.say("/greet")
    texts = tracker_user_texts(stack, chat.session_id)
    assert texts == ['choose_language{"language": "ar"}', "greet"]
    expect(chat.user).to_have_text(['/choose_language{"language": "ar"}', "/greet"])


def test_language_switcher_changes_the_interface_and_the_bot(new_page, stack):
    page = new_page()
    chat = Chat(page, stack).open()
    page.get_by_test_id("dalil-menu-button").click()
    page.locator('[data-testid="dalil-language"][data-lang="nl"]').click()
    expect(chat.input).to_have_attribute("placeholder", "Typ je bericht…")
    assert chat.wait_for_replies(0)[0] == response_text("utter_language_set", "nl")
    expect(chat.user).to_have_text(["Nederlands"])

    before = chat.bot.count()
    page.get_by_test_id("dalil-menu-button").click()
    expect(page.get_by_test_id("dalil-erase")).to_have_text("Mijn gesprek wissen")
    page.locator('[data-testid="dalil-language"][data-lang="ar"]').click()
    assert chat.wait_for_replies(before)[0] == response_text("utter_language_set", "ar")
    expect(chat.panel).to_have_attribute("dir", "rtl")
    assert tracker_user_texts(stack, chat.session_id) == [
        '/choose_language{"language":"nl"}',
        '/choose_language{"language":"ar"}',
    ]


def test_erase_forgets_the_conversation_here_and_on_the_server(new_page, stack):
    page = new_page()
    chat = Chat(page, stack).open()
    chat.say("hello")
    old = chat.session_id
    assert stored_events(stack, old) > 0

    page.get_by_test_id("dalil-menu-button").click()
    page.get_by_test_id("dalil-erase").click()
    expect(page.get_by_test_id("dalil-note")).to_have_text("Your conversation was erased.")
    expect(chat.messages).to_have_count(0)
    assert stored_events(stack, old) == 0
    assert chat.session_id != old
    assert old not in page.evaluate("JSON.stringify(localStorage)")

    page.reload()
    expect(chat.messages).to_have_count(0)
    assert chat.say("hello")[0] == response_text("utter_greet", "en")
    assert tracker_user_texts(stack, chat.session_id) == ["hello"]


def test_keyboard_only_and_the_live_region(new_page, stack):
    page = new_page()
    page.goto(stack.web + "/")
    chat = Chat(page, stack)
    launcher = page.get_by_test_id("dalil-launcher")
    page.keyboard.press("Tab")
    expect(launcher).to_be_focused()
    expect(launcher).to_have_attribute("aria-label", "Open chat with Dalil")
    page.keyboard.press("Enter")
    expect(chat.panel).to_be_visible()
    expect(launcher).to_have_attribute("aria-expanded", "true")
    expect(chat.input).to_be_focused()
    page.keyboard.type("hello")
    page.keyboard.press("Enter")
    chat.wait_for_replies(0)

    log = page.get_by_test_id("dalil-log")
    expect(log).to_have_attribute("aria-live", "polite")
    expect(log).to_have_attribute("role", "log")
    expect(log.locator('[data-from="bot"]').first).to_have_text(response_text("utter_greet", "en"))

    menu_button = page.get_by_test_id("dalil-menu-button")
    menu_button.focus()
    page.keyboard.press("Enter")
    english = page.locator('[data-testid="dalil-language"][data-lang="en"]')
    expect(english).to_be_focused()
    expect(english).to_have_attribute("aria-checked", "true")
    page.keyboard.press("ArrowDown")
    expect(page.locator('[data-testid="dalil-language"][data-lang="fr"]')).to_be_focused()
    page.keyboard.press("End")
    expect(page.get_by_test_id("dalil-erase")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.get_by_role("menu")).to_be_hidden()
    expect(menu_button).to_be_focused()
    page.keyboard.press("Escape")
    expect(chat.panel).to_be_hidden()
    expect(launcher).to_be_focused()


CONTRAST = """() => {
  const rgb = c => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => (v /= 255) <= 0.03928 ? v / 12.92
    : ((v + 0.055) / 1.055) ** 2.4).reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  const background = el => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || c[3] === 1) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const out = [];
  for (const el of document.querySelectorAll('.dalil *')) {
    if (!el.checkVisibility()) continue;
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const s = getComputedStyle(el), a = lum(rgb(s.color)), b = lum(background(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const px = parseFloat(s.fontSize), large = px >= 24 || (px >= 18.66 && +s.fontWeight >= 700);
    out.push({text: el.textContent.trim().slice(0, 30), ratio, need: large ? 3 : 4.5});
  }
  return out;
}"""


def test_text_contrast_meets_wcag_aa(new_page, stack):
    page = new_page()
    chat = Chat(page, stack).open()
    chat.say("hello")
    page.get_by_test_id("dalil-menu-button").click()
    checked = page.evaluate(CONTRAST)
    page.keyboard.press("Escape")
    before = chat.bot.count()
    chat.type("typed but not yet answered")  # a pending bubble, then the typing dots
    checked += page.evaluate(CONTRAST)
    chat.wait_for_replies(before)
    texts = {c["text"] for c in checked}
    assert {"Hello", "Erase my conversation", "My rights"} <= {t.split(",")[0] for t in texts}
    low = [c for c in checked if c["ratio"] < c["need"]]
    assert low == [], low
    placeholder = chat.input.evaluate("i => getComputedStyle(i, '::placeholder').color")
    assert placeholder == "rgb(92, 102, 112)"  # 5.9:1 on white


def test_works_on_a_320_px_screen(new_page, stack):
    page = new_page(width=320, height=568)
    chat = Chat(page, stack).open()
    chat.say("hello")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    box = chat.panel.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 320
    for name in ("dalil-input", "dalil-send", "dalil-menu-button", "dalil-close"):
        b = page.get_by_test_id(name).bounding_box()
        assert b["x"] >= 0 and b["x"] + b["width"] <= 320 and b["y"] + b["height"] <= 568, name
    for reply in chat.quick_replies.all():
        b = reply.bounding_box()
        assert b["x"] >= 0 and b["x"] + b["width"] <= 320
    for message in chat.messages.all():
        b = message.bounding_box()
        assert b["x"] >= 0 and b["x"] + b["width"] <= 320
