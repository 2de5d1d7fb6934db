"""Keep the conversation in one language, switching only for a good reason.

Precedence: an explicit choice > a confident detection on a substantial message >
the channel's hint (e.g. Telegram's language_code) > DEFAULT_LANGUAGE. An explicit
choice sticks: later detections do not override it until the user chooses again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.settings import SUPPORTED_LANGUAGES

EXPLICIT, DETECTED, HINT, DEFAULT = "explicit", "detected", "hint", "default"


@dataclass(frozen=True)
class LanguageChoice:
    language: str
    source: str


def explicit_language(parse_data: dict[str, Any]) -> str | None:
    """The language the user asked for by name or button, if any.

    Only a ``choose_language`` message counts: "I need a Dutch course" names a language
    but is not a request to switch to it.
    """
    if (parse_data.get("intent") or {}).get("name") != "choose_language":
        return None
    for entity in parse_data.get("entities") or []:
        if entity.get("entity") == "language" and entity.get("value") in SUPPORTED_LANGUAGES:
            return entity["value"]
    return None


def resolve(
    current: str | None,
    current_source: str | None,
    parse_data: dict[str, Any],
    default_language: str,
) -> LanguageChoice:
    """Return the language for this turn from the slot so far and the parsed message."""
    chosen = explicit_language(parse_data)
    if chosen:
        return LanguageChoice(chosen, EXPLICIT)

    detection = parse_data.get("language_detection") or {}
    detected = detection.get("language")
    if (
        detection.get("confident")
        and detection.get("supported")
        and detected in SUPPORTED_LANGUAGES
        and current_source != EXPLICIT
    ):
        return LanguageChoice(detected, DETECTED)

    if current in SUPPORTED_LANGUAGES:
        return LanguageChoice(current, current_source or DEFAULT)

    hint = detection.get("hint")
    if hint in SUPPORTED_LANGUAGES:
        return LanguageChoice(hint, HINT)
    return LanguageChoice(default_language, DEFAULT)
