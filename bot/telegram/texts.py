"""The gateway's own texts (texts.yml), in every language we speak."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from bot.settings import SUPPORTED_LANGUAGES

TEXTS_FILE = Path(__file__).with_name("texts.yml")

# Each language named in itself: a user who reads none of ours can still find theirs.
LANGUAGE_NAMES = {"en": "English", "fr": "Français", "nl": "Nederlands", "ar": "العربية"}
COUNTRIES = ("BE", "MA", "other")
COMMANDS = ("start", "help", "language", "country", "privacy", "forget")


@lru_cache(maxsize=1)
def texts() -> dict[str, dict[str, str]]:
    return yaml.safe_load(TEXTS_FILE.read_text(encoding="utf-8"))


def text(key: str, language: str) -> str:
    entry = texts()[key]
    return entry.get(language) or entry["en"]


def supported(code: str | None) -> str | None:
    """Our language for a Telegram language_code such as ``ar`` or ``nl-BE``, else None."""
    if not code:
        return None
    base = code.split("-")[0].split("_")[0].lower()
    return base if base in SUPPORTED_LANGUAGES else None
