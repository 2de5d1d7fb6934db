"""End to end on Telegram: the real gateway process, polling a Bot API emulator, in front
of the real Rasa server and action server (the shared ``stack`` fixture).

The full conversation test writes its transcript to docs/telegram.md.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import html
import re
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from bot.directory.answers import category_name
from bot.settings import ROOT
from bot.telegram.texts import text
from tests.stack import DOMAIN, TOKEN, response_text
from tests.telegram.emulator import TelegramUser, buttons

pytestmark = pytest.mark.e2e

TRANSCRIPT = ROOT / "docs" / "telegram.md"
RABAT = (34.0209, -6.8416)


def plain(message: dict[str, Any]) -> str:
    return html.unescape(re.sub(r"</?b>", "", message.get("text", "")))


def domain_buttons(name: str, language: str) -> list[dict[str, str]]:
    """The buttons of a response as the domain defines them for ``language``."""
    for variation in DOMAIN["responses"][name]:
        conditions = variation.get("condition") or []
        langs = [c["value"] for c in conditions if c.get("name") == "language"]
        if (langs and langs[0] == language) or (not langs and language == "en"):
            return variation.get("buttons", [])
    raise KeyError(name)


def response_buttons(name: str, language: str) -> list[str]:
    return [b["title"] for b in domain_buttons(name, language)]


def button_for(name: str, language: str, payload: str) -> str:
    """Title of the button of response ``name`` whose payload is ``payload``."""
    return next(b["title"] for b in domain_buttons(name, language) if b["payload"] == payload)


def sender_of(stack, user: TelegramUser) -> str:
    secret = stack.env["ID_HASH_SECRET"].encode()
    return hmac.new(secret, str(user.id).encode(), hashlib.sha256).hexdigest()


def with_inline_keyboard(replies: list[dict]) -> bool:
    return any(buttons(m) for m in replies)


def asks_for_location(message: dict) -> bool:
    rows = (message.get("reply_markup") or {}).get("keyboard", [])
    return any(b.get("request_location") for row in rows for b in row)


def tracker(stack, sender: str) -> dict:
    reply = httpx.get(f"{stack.rasa}/conversations/{sender}/tracker", params={"token": TOKEN})
    reply.raise_for_status()
    return reply.json()


def stored_events(stack, where: str, **params: Any) -> int:
    engine = sa.create_engine(stack.env["TRACKER_STORE_URL"])
    try:
        with engine.connect() as connection:
            return connection.execute(
                sa.text(f"SELECT count(*) FROM events WHERE {where}"), params
            ).scalar_one()
    finally:
        engine.dispose()


class Transcript:
    """A readable record of a conversation as the user saw it."""

    def __init__(self) -> None:
        self.turns: list[tuple[str, list[dict]]] = []

    def add(self, action: str, replies: list[dict]) -> list[dict]:
        self.turns.append((action, copy.deepcopy(replies)))  # before later taps edit them
        return replies

    @staticmethod
    def _message(message: dict) -> list[str]:
        if "venue" in message:
            v = message["venue"]
            loc = v["location"]
            return [f"📍 *venue* **{v['title']}** — {v['address']} "
                    f"({loc['latitude']:.5f}, {loc['longitude']:.5f})"]  # fmt: skip
        if "location" in message:
            loc = message["location"]
            return [f"📍 *location* ({loc['latitude']:.5f}, {loc['longitude']:.5f})"]
        body = html.unescape(re.sub(r"</?b>", "**", message.get("text", "")))
        lines = body.splitlines() or [""]
        titles = buttons(message)
        if titles:
            lines.append(" ".join(f"`[{t}]`" for t in titles))
        if asks_for_location(message):
            rows = message["reply_markup"]["keyboard"]
            lines.append(f"⌨️ `[{rows[0][0]['text']}]` *(reply keyboard: sends the location)*")
        return lines

    def markdown(self) -> str:
        out = [
            "# Telegram: one conversation, as the tests ran it",
            "",
            "Written by `tests/telegram/test_telegram_e2e.py` (`make test`): the real gateway",
            "(`python -m bot.telegram`) polling a Bot API emulator, in front of the real Rasa",
            "server and action server. The user's Telegram app is set to Arabic",
            "(`language_code: ar`). Rasa never sees the Telegram id: the sender is an",
            "HMAC-SHA256 of it. **Bold** is how Telegram shows the `<b>` of the HTML parse",
            "mode; `[buttons]` are inline buttons, which disappear once one is tapped.",
            "The seed directory only has city-centre positions, which are never sent as",
            "venues; for this run Rabat's health services were marked as exactly placed",
            "(at that centre), to show how a service with an exact position arrives.",
            "",
        ]
        for number, (action, replies) in enumerate(self.turns, 1):
            out += [f"## {number}. {action}", ""]
            for message in replies:
                out += [f"> {line}" if line else ">" for line in self._message(message)]
                out.append("")
        return "\n".join(out)


@pytest.fixture
def exact_positions_in_rabat(stack):
    """Mark Rabat's health services as exactly placed (staff can); restore afterwards.

    The seed directory has no street-level coordinates (every position is a city
    centre, flagged approximate), so without this no card could become a venue.
    """
    engine = sa.create_engine(stack.env["DATABASE_URL"])
    select_ids = sa.text(
        "SELECT DISTINCT l.id FROM location l"
        " JOIN service_at_location sal ON sal.location_id = l.id"
        " JOIN attribute a ON a.link_id = sal.service_id AND a.link_entity = 'service'"
        " WHERE a.taxonomy_term_id = 'dalil-service-category-health'"
        "   AND l.city_normalised = 'rabat' AND NOT l.confidential AND l.latitude IS NOT NULL"
        "   AND l.position_approximate"
    )
    update = sa.text("UPDATE location SET position_approximate = :flag WHERE id = :id")
    with engine.begin() as connection:
        ids = list(connection.execute(select_ids).scalars())
        for location_id in ids:
            connection.execute(update, {"flag": False, "id": location_id})
    assert ids, "no approximately placed health service in Rabat in the seed directory"
    try:
        yield ids
    finally:
        with engine.begin() as connection:
            for location_id in ids:
                connection.execute(update, {"flag": True, "id": location_id})
        engine.dispose()


def test_a_full_conversation_in_arabic(stack, gateway, exact_positions_in_rabat):
    emulator = gateway.emulator
    user = TelegramUser(emulator, language_code="ar", first_name="Amal")
    sender = sender_of(stack, user)
    record = Transcript()

    # /start: our welcome, with the four languages.
    user.says("/start")
    (welcome,) = record.add("The user sends `/start`", user.wait_replies(with_inline_keyboard))
    assert plain(welcome) == text("welcome", "ar")
    assert buttons(welcome) == ["English", "Français", "Nederlands", "العربية"]

    # Hello in Arabic: Rasa's greeting in Arabic, with the menu as buttons.
    user.says("مرحبا")
    replies = record.add("The user writes «مرحبا»", user.wait_replies(with_inline_keyboard))
    assert plain(replies[0]) == response_text("utter_greet", "ar")
    assert buttons(replies[0]) == response_buttons("utter_greet", "ar")
    assert replies[0]["parse_mode"] == "HTML"

    # Tapping a menu button: the callback is answered, the keyboard taken away.
    find = button_for("utter_greet", "ar", "/find_service")
    user.taps(find)
    replies = record.add(f"The user taps `[{find}]`", user.wait_replies(with_inline_keyboard))
    assert plain(replies[0]) == response_text("utter_ask_service_category", "ar")
    assert buttons(replies[0]) == response_buttons("utter_ask_service_category", "ar")
    assert emulator.called("answerCallbackQuery")
    greeting = emulator.sent(user.id)[1]
    assert plain(greeting) == response_text("utter_greet", "ar")
    edit = emulator.called("editMessageReplyMarkup")[-1]["params"]
    assert edit["message_id"] == greeting["message_id"] and not buttons(greeting)

    # A category: Rasa asks where, the gateway offers the location button.
    health = button_for(
        "utter_ask_service_category", "ar", '/find_service{"service_category": "health"}'
    )
    user.taps(health)
    replies = record.add(
        f"The user taps `[{health}]`",
        user.wait_replies(lambda r: any(asks_for_location(m) for m in r)),
    )
    assert plain(replies[-1]) == response_text("utter_ask_service_place", "ar")
    assert asks_for_location(replies[-1])

    # Sharing a location near Rabat: the nearest services, the exact ones as venues.
    user.shares_location(*RABAT)
    replies = record.add(
        "The user shares their location (Rabat) with the button",
        user.wait_replies(lambda r: with_inline_keyboard(r) and any("venue" in m for m in r)),
    )
    header = response_text("utter_services_found", "ar").format(
        category_name=category_name("health", "ar"), place_name="📍"
    )
    assert plain(replies[0]) == header
    assert replies[0]["reply_markup"] == {"remove_keyboard": True}
    cards = [m for m in replies if plain(m).startswith("▪️")]
    venues = [m["venue"] for m in replies if "venue" in m]
    pins = [m["location"] for m in replies if "location" in m]  # venues, or bare locations
    assert len(cards) == 3 and venues
    assert len(pins) <= len(cards)
    assert all(pin["latitude"] == pytest.approx(RABAT[0], abs=0.05) for pin in pins)
    names = [plain(c).splitlines()[0].removeprefix("▪️ ") for c in cards]
    assert all(venue["title"] in names and venue["address"] for venue in venues)
    for message, following in zip(replies, replies[1:], strict=False):
        if "venue" in following:  # each venue right after its card
            assert plain(message).startswith(f"▪️ {following['venue']['title']}")
    position = tracker(stack, sender)["slots"]
    assert position["user_latitude"] == pytest.approx(RABAT[0], abs=0.001)

    # A voice note: only text is understood for now, and the menu.
    user.sends_voice()
    replies = record.add("The user sends a voice note", user.wait_replies(with_inline_keyboard))
    assert plain(replies[0]) == text("unsupported", "ar")
    assert buttons(replies[-1]) == response_buttons("utter_help", "ar")

    # /forget: confirm, then the conversation is erased from the tracker store.
    assert stored_events(stack, "sender_id = :s", s=sender) > 0
    user.says("/forget")
    (confirm,) = record.add("The user sends `/forget`", user.wait_replies(with_inline_keyboard))
    assert plain(confirm) == text("forget_confirm", "ar")
    user.taps(text("forget_yes", "ar"))
    (done,) = record.add(
        f"The user taps `[{text('forget_yes', 'ar')}]`", user.wait_replies(lambda r: r)
    )
    assert plain(done) == text("forget_done", "ar")
    assert stored_events(stack, "sender_id = :s", s=sender) == 0
    fresh = tracker(stack, sender)
    assert [e for e in fresh["events"] if e["event"] == "user"] == []
    assert fresh["slots"]["language"] is None

    TRANSCRIPT.write_text(record.markdown(), encoding="utf-8")


def test_nothing_identifying_reaches_rasa_or_the_logs(stack, gateway):
    user = TelegramUser(gateway.emulator, language_code="fr", first_name="Zineb")
    user.says("bonjour, je cherche de l'aide pour mes papiers")
    user.wait_replies(lambda r: r)
    sender = sender_of(stack, user)
    state = tracker(stack, sender)
    assert state["latest_message"]["metadata"] == {"channel": "telegram", "language_hint": "fr"}
    assert stored_events(stack, "sender_id = :s", s=sender) > 0
    raw = str(user.id)
    assert stored_events(stack, "sender_id = :r OR data LIKE :p", r=raw, p=f"%{raw}%") == 0
    assert stored_events(stack, "data LIKE :p", p="%Zineb%") == 0
    log = gateway.log()
    assert raw not in log and "Zineb" not in log and "papiers" not in log
    assert sender[:8] in log and sender not in log


def test_typed_intent_triggers_are_not_obeyed(stack, gateway):
    user = TelegramUser(gateway.emulator, language_code="en")
    user.says('/share_location{"lat": 34.02, "lon": -6.84}')
    user.wait_replies(lambda r: r)
    state = tracker(stack, sender_of(stack, user))
    assert not state["latest_message"]["text"].startswith("/")
    assert state["slots"]["user_latitude"] is None


def test_one_users_messages_are_answered_in_order(stack, gateway):
    user = TelegramUser(gateway.emulator, language_code="en")
    user.says("hello")
    user.emulator.push("message", user._message(text="/privacy", entities=[
        {"type": "bot_command", "offset": 0, "length": 8}]))  # fmt: skip
    replies = user.wait_replies(lambda r: any(plain(m) == text("privacy", "en") for m in r))
    assert plain(replies[0]) == response_text("utter_greet", "en")  # Rasa's turn came first
    assert plain(replies[-1]) == text("privacy", "en")


def test_rasa_stopped_gets_the_fallback_in_the_users_language(stack, gateway):
    user = TelegramUser(gateway.emulator, language_code="fr")
    stack.stop("rasa")
    try:
        user.says("bonjour")
        (reply,) = user.wait_replies(lambda r: r, 60, "the fallback")
        assert plain(reply).startswith(text("unavailable", "fr"))
        assert "112" in plain(reply)
    finally:
        stack.start("rasa")
    user.says("bonjour")  # and back to normal once Rasa is back
    replies = user.wait_replies(with_inline_keyboard)
    assert plain(replies[0]) == response_text("utter_greet", "fr")
