"""Rasa's REST replies as Telegram messages: pure functions, no network.

Texts are sent in Telegram's HTML parse mode (only ``&``, ``<`` and ``>`` need escaping,
and a service's name can be bold), split below Telegram's 4096-character limit at the
best boundary. Buttons become an inline keyboard; a service card whose position is exact
also becomes a venue (see ``venue_from_card``).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from bot.telegram.payloads import CallbackTable

MESSAGE_LIMIT = 4096  # Telegram counts UTF-16 code units after entity parsing
CARD_MARK = "▪️"
# answers.map_link writes a pin link only for exact, non-confidential positions;
# approximate (city-centre) positions get a search link instead and stay text.
_EXACT_PIN = re.compile(
    r"https://www\.openstreetmap\.org/\?mlat=(-?\d+(?:\.\d+)?)&mlon=(-?\d+(?:\.\d+)?)"
)
_SENTENCE_END = re.compile(r"[.!?؟…。][\"'»”)\]]*\s+")
_TWO_PER_ROW = 16  # titles up to this length sit two in a row


@dataclass(frozen=True)
class Button:
    title: str
    data: str | None = None  # callback data
    url: str | None = None


@dataclass
class Text:
    html: str
    buttons: list[list[Button]] = field(default_factory=list)
    request_location: str | None = None  # label of a reply-keyboard location button
    remove_keyboard: bool = False


@dataclass(frozen=True)
class Photo:
    url: str


@dataclass(frozen=True)
class Venue:
    latitude: float
    longitude: float
    title: str
    address: str


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float


Outgoing = Text | Photo | Venue | Location


def escape(text: str) -> str:
    return html.escape(text, quote=False)


def _cost(char: str) -> int:
    """UTF-16 length of ``char`` once escaped."""
    units = 2 if ord(char) > 0xFFFF else 1
    return {"&": 5, "<": 4, ">": 4}.get(char, units)


def telegram_length(text: str) -> int:
    """Length of ``text`` as Telegram counts it once escaped."""
    return sum(_cost(c) for c in text)


def _fit(text: str, limit: int) -> int:
    """How many characters of ``text`` fit in ``limit`` once escaped."""
    total = 0
    for index, char in enumerate(text):
        total += _cost(char)
        if total > limit:
            return index
    return len(text)


def _best_cut(window: str) -> int:
    """Where to cut ``window``: a paragraph, a line, a sentence, a space; else its end."""
    half = len(window) // 2
    candidates = [
        window.rfind("\n\n"),
        window.rfind("\n"),
        max((m.end() for m in _SENTENCE_END.finditer(window)), default=-1),
        window.rfind(" "),
    ]
    for position in candidates:
        if position >= half:
            return position
    best = max(candidates)
    return best if best > 0 else len(window)


def split_text(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """``text`` in pieces that each stay within ``limit`` once escaped for HTML."""
    rest = text.strip()
    pieces: list[str] = []
    while rest:
        fit = _fit(rest, limit)
        if fit >= len(rest):
            pieces.append(rest)
            break
        cut = _best_cut(rest[:fit])
        piece = rest[:cut].rstrip()
        pieces.append(piece if piece else rest[:fit])
        rest = rest[cut if piece else fit :].lstrip()
    return pieces


def format_piece(piece: str) -> str:
    """HTML for one piece of text; a service card's name in bold."""
    if piece.startswith(CARD_MARK):
        first, _, others = piece.partition("\n")
        name = first.removeprefix(CARD_MARK).strip()
        head = f"{CARD_MARK} <b>{escape(name)}</b>"
        return f"{head}\n{escape(others)}" if others else head
    return escape(piece)


def venue_from_card(text: str) -> Venue | Location | None:
    """A service card with an exact position as a venue (a bare location when the card
    has no address: Telegram requires one for a venue); None for any other text.

    Directory positions filled from a city centre are flagged ``position_approximate``
    and confidential places have no pin: neither gets a pin link in the card, so neither
    becomes a venue. Presenting a city centre as the address of a service would send
    people to the wrong door.
    """
    if not text.startswith(CARD_MARK):
        return None
    match = _EXACT_PIN.search(text)
    if not match:
        return None
    lines = text.splitlines()
    title = lines[0].removeprefix(CARD_MARK).strip()
    address = next(
        (line.split(": ", 1)[1] for line in lines if line.startswith("📍") and ": " in line), ""
    )
    latitude, longitude = float(match.group(1)), float(match.group(2))
    if not address:
        return Location(latitude, longitude)
    return Venue(latitude, longitude, title, address)


def _custom(custom: dict[str, Any]) -> Outgoing | None:
    """Channel-neutral custom payloads: ``{"venue": {...}}`` or ``{"location": {...}}``."""
    try:
        if isinstance(custom.get("venue"), dict):
            v = custom["venue"]
            return Venue(
                float(v["latitude"]), float(v["longitude"]), str(v["title"]), str(v["address"])
            )
        if isinstance(custom.get("location"), dict):
            loc = custom["location"]
            return Location(float(loc["latitude"]), float(loc["longitude"]))
    except (KeyError, TypeError, ValueError):
        return None
    return None


def keyboard(buttons: list[dict[str, Any]], table: CallbackTable) -> list[list[Button]]:
    """Rasa buttons as inline-keyboard rows: two short ones a row, long ones alone."""
    made: list[Button] = []
    for button in buttons:
        title = str(button.get("title") or "")
        if button.get("url"):
            made.append(Button(title, url=str(button["url"])))
        elif button.get("payload"):
            made.append(Button(title, data=table.data_for(str(button["payload"]))))
    if not made:
        return []
    width = 2 if max(len(b.title) for b in made) <= _TWO_PER_ROW else 1
    return [made[i : i + width] for i in range(0, len(made), width)]


def plan(
    replies: list[dict[str, Any]],
    table: CallbackTable,
    *,
    request_location: tuple[str, str] | None = None,
    remove_keyboard: bool = False,
) -> list[Outgoing]:
    """The Telegram messages for one Rasa turn, in order.

    ``request_location``: (button label, prompt) of a location button to offer when
    Rasa asks for a place; the prompt is used only if the last message has buttons.
    ``remove_keyboard``: take away an earlier location button with the first plain text.
    """
    out: list[Outgoing] = []
    for reply in replies:
        text = reply.get("text")
        if text:
            pieces = split_text(str(text))
            texts = [Text(format_piece(p)) for p in pieces]
            if texts and reply.get("buttons"):
                texts[-1].buttons = keyboard(reply["buttons"], table)
            out.extend(texts)
            venue = venue_from_card(str(text))
            if venue:
                out.append(venue)
        if reply.get("image"):
            out.append(Photo(str(reply["image"])))
        if isinstance(reply.get("custom"), dict):
            extra = _custom(reply["custom"])
            if extra:
                out.append(extra)
    plain = [m for m in out if isinstance(m, Text) and not m.buttons]
    if request_location:
        label, prompt = request_location
        if out and isinstance(out[-1], Text) and not out[-1].buttons:
            out[-1].request_location = label
        else:
            out.append(Text(escape(prompt), request_location=label))
    elif remove_keyboard and plain:
        plain[0].remove_keyboard = True
    return out
