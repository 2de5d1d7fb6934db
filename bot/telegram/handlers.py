"""One small function per kind of update, python-telegram-bot style.

State lives in ``bot_data`` (the Rasa client, the callback table, the settings) and in
``user_data`` (the user's language and country, in memory only). Logs name a user by
the first characters of their pseudonymous id and never hold message text.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import traceback
from contextlib import suppress
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ChatAction
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.conversations import erase_conversation
from bot.settings import SUPPORTED_COUNTRIES, SUPPORTED_LANGUAGES, Settings
from bot.telegram.ids import log_id, sender_id
from bot.telegram.payloads import GATEWAY_PREFIX, CallbackTable, compact, user_text
from bot.telegram.rasa_client import RasaClient, RasaUnavailable
from bot.telegram.render import (
    Button,
    Location,
    Outgoing,
    Photo,
    Text,
    Venue,
    escape,
    plan,
)
from bot.telegram.texts import COUNTRIES, LANGUAGE_NAMES, supported, text

log = logging.getLogger(__name__)
Context = ContextTypes.DEFAULT_TYPE

FORGET_YES = GATEWAY_PREFIX + "forget"
FORGET_NO = GATEWAY_PREFIX + "keep"
MENU = "/help"
PLACE_SLOT = "service_place"  # Rasa asks where: offer the location button
POSITION_DECIMALS = 3  # ~100 m: enough to sort services by distance, kinder to privacy


# --- state ------------------------------------------------------------------------------


def _settings(context: Context) -> Settings:
    return context.bot_data["settings"]


def _rasa(context: Context) -> RasaClient:
    return context.bot_data["rasa"]


def _table(context: Context) -> CallbackTable:
    return context.bot_data["table"]


def _sender(update: Update, context: Context) -> str:
    return sender_id(update.effective_user.id, _settings(context).id_hash_secret)


def language(update: Update, context: Context) -> str:
    """The user's language: Rasa's (or their choice), else Telegram's, else the default."""
    stored = (context.user_data or {}).get("language")
    if stored:
        return stored
    user = update.effective_user
    return supported(user.language_code if user else None) or _settings(context).default_language


def remember(user_data: dict[str, Any], slots: dict[str, Any]) -> None:
    """Keep what the gateway's own texts need from the conversation's slots."""
    if slots.get("language") in SUPPORTED_LANGUAGES:
        user_data["language"] = slots["language"]
    if slots.get("country") in (*SUPPORTED_COUNTRIES, "other"):
        user_data["country"] = slots["country"]


# --- sending ----------------------------------------------------------------------------


def _markup(item: Text) -> Any:
    if item.buttons:
        return InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(b.title, url=b.url)
                    if b.url
                    else InlineKeyboardButton(b.title, callback_data=b.data)
                    for b in row
                ]
                for row in item.buttons
            ]
        )
    if item.request_location:
        button = KeyboardButton(item.request_location, request_location=True)
        return ReplyKeyboardMarkup([[button]], resize_keyboard=True, one_time_keyboard=True)
    if item.remove_keyboard:
        return ReplyKeyboardRemove()
    return None


async def deliver(context: Context, chat_id: int, outgoing: list[Outgoing]) -> None:
    """Send in order; a failed message is logged and the rest still go out."""
    bot = context.bot
    for item in outgoing:
        try:
            if isinstance(item, Text):
                await bot.send_message(chat_id, item.html, reply_markup=_markup(item))
            elif isinstance(item, Venue):
                await bot.send_venue(
                    chat_id, item.latitude, item.longitude, item.title, item.address
                )
            elif isinstance(item, Location):
                await bot.send_location(chat_id, item.latitude, item.longitude)
            elif isinstance(item, Photo):
                await bot.send_photo(chat_id, item.url)
        except TelegramError as error:
            log.warning("sending %s failed (%s)", type(item).__name__, type(error).__name__)


async def say(
    update: Update, context: Context, key: str, buttons: list[list[Button]] | None = None
) -> None:
    """One of the gateway's own texts, in the user's language."""
    item = Text(escape(text(key, language(update, context))), buttons=buttons or [])
    await deliver(context, update.effective_chat.id, [item])


def _rows(buttons: list[Button], width: int = 2) -> list[list[Button]]:
    return [buttons[i : i + width] for i in range(0, len(buttons), width)]


def language_buttons(table: CallbackTable) -> list[list[Button]]:
    return _rows(
        [
            Button(name, data=table.data_for(f'/choose_language{{"language": "{code}"}}'))
            for code, name in LANGUAGE_NAMES.items()
        ]
    )


def country_buttons(table: CallbackTable, lang: str) -> list[list[Button]]:
    return _rows(
        [
            Button(
                text(f"country_{code}", lang),
                data=table.data_for(f'/choose_country{{"country": "{code}"}}'),
            )
            for code in COUNTRIES
        ]
    )


# --- the conversation with Rasa ---------------------------------------------------------


async def _emergency_lines(country: str, lang: str) -> str:
    """Emergency numbers for the fallback message; empty if they cannot be read."""
    try:  # imported here so that even a broken content module cannot stop the fallback
        from bot.content.emergency import emergency_info

        info = await asyncio.wait_for(asyncio.to_thread(emergency_info, country, lang), 5)
    except Exception as error:  # noqa: BLE001 - the fallback must go out regardless
        log.warning("emergency numbers unavailable (%s)", type(error).__name__)
        return ""
    if lang == "ar":  # isolate the digits so they are not reordered inside Arabic
        lines = [f"📞 \u2068{number}\u2069 : {label}" for number, label in info.contacts]
    else:
        lines = [f"📞 {number}: {label}" for number, label in info.contacts]
    return "\n".join(lines)


async def unavailable(update: Update, context: Context) -> None:
    """Rasa is down or too slow: say so, with the numbers to call in danger."""
    lang = language(update, context)
    country = (context.user_data or {}).get("country") or _settings(context).default_country
    message = text("unavailable", lang)
    numbers = await _emergency_lines(country, lang)
    if numbers:
        message += f"\n\n{text('unavailable_danger', lang)}\n{numbers}"
    await deliver(context, update.effective_chat.id, [Text(escape(message))])


async def converse(update: Update, context: Context, message: str) -> None:
    """One turn: the message to Rasa, its answer to the user."""
    user, chat_id = update.effective_user, update.effective_chat.id
    sender = _sender(update, context)
    metadata = {"channel": "telegram", "language_hint": user.language_code}
    with suppress(TelegramError):
        await context.bot.send_chat_action(chat_id, ChatAction.TYPING)
    started = time.monotonic()
    try:
        replies = await _rasa(context).send(sender, message, metadata)
    except RasaUnavailable as error:
        log.warning("rasa unavailable sender=%s (%s)", log_id(sender), error)
        await unavailable(update, context)
        return
    slots = await _rasa(context).slots(sender)
    remember(context.user_data, slots)
    lang = language(update, context)
    ask_place = slots.get("requested_slot") == PLACE_SLOT
    shown = context.user_data.get("location_keyboard", False)
    outgoing = plan(
        replies,
        _table(context),
        request_location=(
            (text("share_location", lang), text("share_location_prompt", lang))
            if ask_place
            else None
        ),
        remove_keyboard=shown and not ask_place,
    )
    removed = any(isinstance(m, Text) and m.remove_keyboard for m in outgoing)
    context.user_data["location_keyboard"] = ask_place or (shown and not removed)
    await deliver(context, chat_id, outgoing)
    log.info(
        "turn sender=%s replies=%d sent=%d rasa_ms=%d",
        log_id(sender),
        len(replies),
        len(outgoing),
        (time.monotonic() - started) * 1000,
    )


# --- handlers ---------------------------------------------------------------------------


async def on_start(update: Update, context: Context) -> None:
    await say(update, context, "welcome", language_buttons(_table(context)))


async def on_help(update: Update, context: Context) -> None:
    await converse(update, context, MENU)


async def on_language(update: Update, context: Context) -> None:
    await say(update, context, "choose_language", language_buttons(_table(context)))


async def on_country(update: Update, context: Context) -> None:
    buttons = country_buttons(_table(context), language(update, context))
    await say(update, context, "choose_country", buttons)


async def on_privacy(update: Update, context: Context) -> None:
    await say(update, context, "privacy")


async def on_forget(update: Update, context: Context) -> None:
    lang = language(update, context)
    buttons = [
        [
            Button(text("forget_yes", lang), data=FORGET_YES),
            Button(text("forget_no", lang), data=FORGET_NO),
        ]
    ]
    await say(update, context, "forget_confirm", buttons)


async def erase(update: Update, context: Context) -> None:
    """Erase the conversation in the tracker store, then forget the user here too."""
    sender = _sender(update, context)
    lang = language(update, context)
    try:
        deleted = await asyncio.to_thread(
            erase_conversation, sender, _settings(context).tracker_store_url
        )
    except Exception as error:  # noqa: BLE001 - tell the user, whatever failed
        log.error("erase failed sender=%s (%s)", log_id(sender), type(error).__name__)
        await say(update, context, "forget_failed")
        return
    context.user_data.clear()
    log.info("conversation erased sender=%s events=%d", log_id(sender), deleted)
    done = Text(escape(text("forget_done", lang)), remove_keyboard=True)
    await deliver(context, update.effective_chat.id, [done])


async def on_text(update: Update, context: Context) -> None:
    """Typed text: to Rasa's NLU, never as an intent trigger (see payloads.user_text)."""
    message = user_text(update.message.text or "")
    if not message:
        await say(update, context, "unknown_command")
        return
    await converse(update, context, message)


async def on_location(update: Update, context: Context) -> None:
    """A shared position, for the directory search to sort by distance."""
    position = update.message.location
    entities = {
        "lat": round(position.latitude, POSITION_DECIMALS),
        "lon": round(position.longitude, POSITION_DECIMALS),
    }
    await converse(update, context, "/share_location" + json.dumps(entities))


async def on_unsupported(update: Update, context: Context) -> None:
    """Voice notes, photos, stickers, documents...: say what we understand, show the menu."""
    await say(update, context, "unsupported")
    await converse(update, context, MENU)


async def on_button(update: Update, context: Context) -> None:
    query = update.callback_query
    data = query.data or ""
    with suppress(TelegramError):
        await query.answer()
    # The choice is made: a stale keyboard cannot be tapped twice.
    with suppress(TelegramError):
        await query.edit_message_reply_markup(reply_markup=None)
    if data == FORGET_YES:
        await erase(update, context)
        return
    if data == FORGET_NO:
        await say(update, context, "forget_kept")
        return
    payload = _table(context).payload_for(data)
    if payload is None:
        await say(update, context, "button_expired")
        await converse(update, context, MENU)
        return
    chosen = compact(payload)
    for code in SUPPORTED_LANGUAGES:
        if chosen == f'/choose_language{{"language":"{code}"}}':
            context.user_data["language"] = code
    await converse(update, context, payload)


async def on_limited(update: Update, context: Context) -> None:
    """A flooding user, told once per flood (called by flow.PerUserProcessor)."""
    if update.callback_query:
        with suppress(TelegramError):
            await update.callback_query.answer()
    if update.effective_chat:
        await say(update, context, "rate_limited")


async def on_error(update: object, context: Context) -> None:
    """Log the kind of error only (never the update); the user hears we are unavailable."""
    error = context.error
    # The traceback's frames, not the exception's message: that may quote user input.
    frames = "".join(traceback.format_tb(error.__traceback__)) if error else ""
    log.error("update failed (%s)\n%s", type(error).__name__, frames)
    if isinstance(update, Update) and update.effective_chat and update.effective_user:
        with suppress(Exception):
            await unavailable(update, context)
