"""The gateway's pure parts: splitting, escaping, callback data, ids, the injection guard,
reply planning, flood control, ordering, retries and the Rasa client's failures."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re

import httpx
import pytest
from telegram import Chat, Message, Update, User
from telegram.error import BadRequest, NetworkError, RetryAfter

from bot.settings import SUPPORTED_LANGUAGES
from bot.telegram.flow import PerUserProcessor, TokenBucket
from bot.telegram.ids import log_id, sender_id
from bot.telegram.payloads import CallbackTable, compact, is_intent_payload, user_text
from bot.telegram.rasa_client import RasaClient, RasaUnavailable
from bot.telegram.render import (
    MESSAGE_LIMIT,
    Location,
    Text,
    Venue,
    escape,
    format_piece,
    plan,
    split_text,
    telegram_length,
    venue_from_card,
)
from bot.telegram.retry import RetryingLimiter
from bot.telegram.texts import supported, texts

# --- splitting and escaping ---------------------------------------------------------------


def test_short_text_is_one_piece_and_escaped():
    assert split_text("Hello <you> & me") == ["Hello <you> & me"]
    assert format_piece("a <b> & c") == "a &lt;b&gt; &amp; c"


def test_long_text_is_split_at_sentence_boundaries_within_the_limit():
    sentence = "Vous avez le droit de voir un médecin, même sans papiers. "
    text = sentence * 200  # ~11,600 characters
    pieces = split_text(text)
    assert len(pieces) == 3
    assert all(telegram_length(p) <= MESSAGE_LIMIT for p in pieces)
    assert all(p.endswith("papiers.") for p in pieces[:-1])
    assert " ".join(pieces) == text.strip()


def test_paragraphs_win_over_sentences_and_escaping_counts():
    paragraph = ("& " * 600).strip()  # each "&" costs 5 characters once escaped: 3,599
    pieces = split_text(f"{paragraph}\n\n{paragraph}")
    assert pieces == [paragraph, paragraph]
    assert all(len(escape(p)) <= MESSAGE_LIMIT for p in pieces)


def test_arabic_and_emoji_count_as_telegram_counts_them():
    text = ("مرحبا بك 👋. " * 600).strip()
    pieces = split_text(text)
    assert all(telegram_length(p) <= MESSAGE_LIMIT for p in pieces)
    assert all(len(p.encode("utf-16-le")) // 2 <= MESSAGE_LIMIT for p in pieces)
    assert "".join(pieces).replace(" ", "") == text.replace(" ", "")


def test_a_text_without_any_boundary_is_cut_hard():
    pieces = split_text("x" * 9000)
    assert [len(p) for p in pieces] == [4096, 4096, 808]


# --- service cards --------------------------------------------------------------------------

EXACT_CARD = (
    "▪️ Médecins du Monde <Rabat>\nSoins gratuits\n📍 Adresse: 12 Rue X, 10000 Rabat\n"
    "📞 Téléphone: +212 5 37 00 00 00\n"
    "🗺️ Carte: https://www.openstreetmap.org/?mlat=34.02090&mlon=-6.84160#map=17/34.02090/-6.84160"
)
APPROXIMATE_CARD = (
    "▪️ Centre de santé\n📏 Distance: 0.0 km (approximative)\n"
    "🗺️ Carte: https://www.openstreetmap.org/search?query=Rabat"
)


def test_only_exact_positions_become_venues():
    assert venue_from_card(EXACT_CARD) == Venue(
        34.0209, -6.8416, "Médecins du Monde <Rabat>", "12 Rue X, 10000 Rabat"
    )
    no_address = EXACT_CARD.replace("📍 Adresse: 12 Rue X, 10000 Rabat\n", "")
    assert venue_from_card(no_address) == Location(34.0209, -6.8416)
    assert venue_from_card(APPROXIMATE_CARD) is None
    assert venue_from_card("Some text with https://www.openstreetmap.org/?mlat=1&mlon=2") is None


def test_card_name_is_bold_and_escaped():
    html = format_piece(EXACT_CARD)
    assert html.startswith("▪️ <b>Médecins du Monde &lt;Rabat&gt;</b>\n")


# --- callback data and the injection guard -------------------------------------------------


def test_short_payloads_are_inline_and_compact():
    table = CallbackTable()
    data = table.data_for('/choose_language{"language": "ar"}')
    assert data == '/choose_language{"language":"ar"}'
    assert table.payload_for(data) == data


def test_long_payloads_go_through_the_table():
    table = CallbackTable()
    payload = '/find_service{"service_category": "education_training", "location": "Casablanca"}'
    data = table.data_for(payload)
    assert data.startswith("#") and len(data.encode()) <= 64
    assert table.data_for(payload) == data  # same button, same key
    assert table.payload_for(data) == compact(payload)
    assert CallbackTable().payload_for(data) is None  # e.g. after a restart


def test_table_is_bounded():
    table = CallbackTable(max_entries=2)
    keys = [table.data_for("/x" + "{" + f'"k": "{"v" * 70}{i}"' + "}") for i in range(3)]
    assert table.payload_for(keys[0]) is None
    assert table.payload_for(keys[2]) is not None


def test_forged_callback_data_is_refused():
    table = CallbackTable()
    assert table.payload_for("/greet{not json") is None
    assert table.payload_for("!forget") is None  # gateway buttons are handled before
    assert table.payload_for("#unknown") is None
    assert is_intent_payload("/greet") and is_intent_payload('/a{"b":1}')
    assert not is_intent_payload("/a[1]")


@pytest.mark.parametrize(
    "typed, sent",
    [
        ('/share_location{"lat": 1, "lon": 2}', 'share_location{"lat": 1, "lon": 2}'),
        ("  //greet", "greet"),
        ("/ / emergency", "emergency"),
        ("I need /help", "I need /help"),
        ("/", ""),
    ],
)
def test_typed_text_never_triggers_an_intent(typed, sent):
    assert user_text(typed) == sent
    assert not user_text(typed).startswith("/")


# --- pseudonymous ids ------------------------------------------------------------------------


def test_sender_id_is_an_hmac_of_the_user_id():
    expected = hmac.new(b"k3y", b"123456789", hashlib.sha256).hexdigest()
    assert sender_id(123456789, "k3y") == expected
    assert "123456789" not in sender_id(123456789, "k3y")
    assert sender_id(123456789, "other") != expected
    assert log_id(expected) == expected[:8]
    with pytest.raises(ValueError):
        sender_id(1, "")


# --- planning a turn -------------------------------------------------------------------------


def test_buttons_go_on_the_last_piece_and_venues_follow_cards():
    table = CallbackTable()
    replies = [
        {"text": "x. " * 3000, "buttons": [{"title": "Menu", "payload": "/help"}]},
        {"text": EXACT_CARD},
        {"custom": {"location": {"latitude": 1, "longitude": 2}}},
        {"image": "https://example.org/a.png"},
    ]
    out = plan(replies, table)
    texts_ = [m for m in out if isinstance(m, Text)]
    assert len(texts_) == 4  # 9,000 characters in three pieces, then the card
    assert texts_[0].buttons == texts_[1].buttons == []
    assert texts_[2].buttons[0][0].data == "/help"
    assert isinstance(out[4], Venue) and out[5] == Location(1.0, 2.0)
    assert out[6].url == "https://example.org/a.png"


def test_location_request_on_the_question_or_a_prompt_after_buttons():
    table = CallbackTable()
    asked = plan([{"text": "Where?"}], table, request_location=("📍", "Or share"))
    assert asked[-1].request_location == "📍" and asked[-1].html == "Where?"
    after = plan(
        [{"text": "Pick", "buttons": [{"title": "A", "payload": "/a"}]}],
        table,
        request_location=("📍", "Or share"),
    )
    assert after[-1].html == "Or share" and after[-1].request_location == "📍"
    removed = plan([{"text": "Found"}, {"text": "More?"}], table, remove_keyboard=True)
    assert removed[0].remove_keyboard and not removed[1].remove_keyboard


def test_keyboard_puts_short_titles_two_a_row():
    table = CallbackTable()
    short = plan([{"text": "t", "buttons": [{"title": "A", "payload": "/a"}] * 3}], table)
    assert [len(r) for r in short[0].buttons] == [2, 1]
    long = [{"title": "Documents and registration", "payload": "/b"}] * 2
    assert [len(r) for r in plan([{"text": "t", "buttons": long}], table)[0].buttons] == [1, 1]


# --- texts -----------------------------------------------------------------------------------


def test_every_gateway_text_exists_in_every_language():
    for key, entry in texts().items():
        assert set(entry) == set(SUPPORTED_LANGUAGES), key
        assert all(value.strip() for value in entry.values()), key
        assert re.search(r"[\u0600-\u06FF]", entry["ar"]), key


def test_telegram_language_codes():
    assert supported("ar") == "ar" and supported("nl-BE") == "nl" and supported("FR") == "fr"
    assert supported("es") is None and supported(None) is None


# --- flood control and ordering --------------------------------------------------------------


def test_token_bucket_allows_a_burst_then_refills():
    now = [0.0]
    bucket = TokenBucket(capacity=3, rate=1, clock=lambda: now[0])
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    now[0] = 1.0
    assert bucket.take() and not bucket.take()


def _update(user_id: int, n: int) -> Update:
    user = User(user_id, "U", False)
    chat = Chat(user_id, "private")
    return Update(n, message=Message(n, None, chat, from_user=user, text="x"))  # type: ignore[arg-type]


async def test_one_users_updates_in_order_different_users_concurrently():
    processor = PerUserProcessor(capacity=100)
    log: list[str] = []
    release = asyncio.Event()

    async def work(name: str, wait: bool) -> None:
        log.append(f"{name} start")
        if wait:
            await release.wait()
        log.append(f"{name} end")

    first = asyncio.create_task(processor.process_update(_update(1, 1), work("a1", True)))
    second = asyncio.create_task(processor.process_update(_update(1, 2), work("a2", False)))
    other = asyncio.create_task(processor.process_update(_update(2, 3), work("b1", False)))
    await asyncio.wait_for(other, 5)  # user 2 is not held up by user 1
    assert "a2 start" not in log  # user 1's second update waits for the first
    release.set()
    await asyncio.wait_for(asyncio.gather(first, second), 5)
    assert log.index("a1 end") < log.index("a2 start")


async def test_a_flood_is_dropped_and_told_once():
    told: list[int] = []

    async def on_limited(update: Update) -> None:
        told.append(update.update_id)

    processor = PerUserProcessor(capacity=3, rate=0.001, on_limited=on_limited)
    ran: list[int] = []

    async def work(n: int) -> None:
        ran.append(n)

    for n in range(10):
        await processor.process_update(_update(7, n), work(n))
    assert ran == [0, 1, 2]
    assert told == [3]


# --- retries ---------------------------------------------------------------------------------


async def test_retry_after_and_network_errors_are_retried_bad_requests_are_not():
    limiter = RetryingLimiter(attempts=4, backoff=0.01)
    errors = [RetryAfter(0), NetworkError("down")]

    async def flaky(*args, **kwargs):
        if errors:
            raise errors.pop(0)
        return {"ok": True}

    assert await limiter.process_request(flaky, (), {}, "sendMessage", {}, None) == {"ok": True}

    calls = []

    async def bad(*args, **kwargs):
        calls.append(1)
        raise BadRequest("chat not found")

    with pytest.raises(BadRequest):
        await limiter.process_request(bad, (), {}, "sendMessage", {}, None)
    assert len(calls) == 1


async def test_retries_give_up_after_the_last_attempt():
    limiter = RetryingLimiter(attempts=3, backoff=0.01)
    calls = []

    async def down(*args, **kwargs):
        calls.append(1)
        raise NetworkError("down")

    with pytest.raises(NetworkError):
        await limiter.process_request(down, (), {}, "sendMessage", {}, None)
    assert len(calls) == 3


# --- the Rasa client -------------------------------------------------------------------------


def _client(handler) -> RasaClient:
    return RasaClient("http://rasa", "t", timeout=0.5, transport=httpx.MockTransport(handler))


async def test_rasa_answers_pass_through_with_metadata():
    seen = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen["body"] = request.content
        return httpx.Response(200, json=[{"recipient_id": "s", "text": "hi"}])

    client = _client(handler)
    assert await client.send("s", "hello", {"channel": "telegram"}) == [
        {"recipient_id": "s", "text": "hi"}
    ]
    assert b'"channel":"telegram"' in seen["body"].replace(b" ", b"")
    await client.close()


@pytest.mark.parametrize(
    "respond",
    [
        lambda r: httpx.Response(200, json=[]),  # Rasa's way of failing (DESIGN pitfall)
        lambda r: httpx.Response(500, text="boom"),
        lambda r: httpx.Response(200, text="not json"),
    ],
)
async def test_rasa_failures_are_unavailable(respond):
    client = _client(respond)
    with pytest.raises(RasaUnavailable):
        await client.send("s", "hello", {})
    await client.close()


async def test_rasa_slower_than_the_timeout_is_unavailable():
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    client = _client(slow)
    with pytest.raises(RasaUnavailable):
        await client.send("s", "hello", {})
    assert await client.slots("s") == {}
    await client.close()


async def test_rasa_slower_than_the_timeout_is_unavailable_over_a_real_socket():
    """A server that accepts and never answers: the 10 s rule, scaled down to 0.3 s."""

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(5)
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = RasaClient(f"http://127.0.0.1:{port}", timeout=0.3)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(RasaUnavailable):
        await client.send("s", "hello", {})
    assert loop.time() - started < 2
    await client.close()
    server.close()
