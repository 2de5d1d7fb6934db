"""Decide which language a message is written in, and whether that guess may be trusted.

Kept free of Rasa imports so it can be tested and benchmarked on its own. The detector
is deliberately conservative: a wrong language switch is worse for the user than
staying in the language they already have, so short or ambiguous messages never count.
"""

from __future__ import annotations

import unicodedata
from dataclasses import asdict, dataclass
from functools import lru_cache

from lingua import Language, LanguageDetectorBuilder

SUPPORTED = ("en", "fr", "nl", "ar")

# Languages migrants in Belgium and Morocco often write that Dalil does not answer in
# (yet). Detecting them lets us say so politely instead of guessing wildly.
_LATIN_OTHERS = (
    Language.SPANISH,
    Language.PORTUGUESE,
    Language.ITALIAN,
    Language.GERMAN,
    Language.TURKISH,
    Language.SOMALI,
    Language.ALBANIAN,
    Language.ROMANIAN,
    Language.POLISH,
)
_ARABIC_SCRIPT_OTHERS = (Language.PERSIAN, Language.URDU)
# Letters (and the zero-width non-joiner) that Persian and Urdu keyboards type in almost
# every sentence and Arabic keyboards never do: keheh, Farsi yeh, pe, zhe, Urdu letters.
# Not gaf or tcheh, which Moroccan and Iraqi Arabic writers use for "g" and "ch".
_PERSIAN_URDU_MARKS = frozenset(
    "\u06a9\u06cc\u067e\u0698\u06d2\u06c1\u0679\u0688\u0691\u06ba\u200c"
)
_BY_CODE = {
    "en": Language.ENGLISH,
    "fr": Language.FRENCH,
    "nl": Language.DUTCH,
    "ar": Language.ARABIC,
}

# Words people use whatever language they are writing in. They never switch language.
NEUTRAL_WORDS = frozenset(
    """ok okay oke oké okey yes yeah yep no nope oui ouais non ja jaa nee neen nein si
    top super cool merci thx thanks bye salam slm salut hi hey hallo hello allo alo
    wesh wakha mrc""".split()
)


@dataclass(frozen=True)
class Detection:
    """What the detector concluded about one message."""

    language: str | None  # ISO 639-1 code of a confident detection, if lingua knows it
    guess: str  # best supported language, always set (used for tokenisation)
    confidence: float
    confident: bool  # substantial message and confident enough to switch language
    supported: bool  # False when confidently in a language Dalil does not speak
    script: str

    def as_dict(self) -> dict:
        return asdict(self)


def _script_of(text: str) -> str:
    """Return the dominant writing system of the letters in ``text``."""
    counts: dict[str, int] = {}
    for char in text:
        if not char.isalpha():
            continue
        try:
            name = unicodedata.name(char)
        except ValueError:
            continue
        script = name.split(" ", 1)[0]
        counts[script] = counts.get(script, 0) + 1
    if not counts:
        return "none"
    return max(counts, key=counts.get).lower()


@lru_cache(maxsize=1)
def _latin_detector():
    languages = [_BY_CODE[c] for c in ("en", "fr", "nl")] + list(_LATIN_OTHERS)
    return LanguageDetectorBuilder.from_languages(*languages).build()


@lru_cache(maxsize=1)
def _arabic_detector():
    languages = [Language.ARABIC, *_ARABIC_SCRIPT_OTHERS]
    return LanguageDetectorBuilder.from_languages(*languages).build()


def preload() -> None:
    """Load the language models now rather than on the first user message."""
    _latin_detector().compute_language_confidence_values("warm up")
    _arabic_detector().compute_language_confidence_values("مرحبا")


def _code(language: Language) -> str:
    return language.iso_code_639_1.name.lower()


def detect(
    text: str,
    *,
    threshold: float = 0.6,
    min_letters: int = 6,
    unsupported_threshold: float = 0.6,
    unsupported_min_words: int = 3,
) -> Detection:
    """Detect the language of ``text``.

    ``confident`` is only true for a substantial message (enough letters, not a
    language-neutral word) whose top language clears ``threshold``. A message is only
    declared unsupported when it is longer and clearer still, so that a typo-laden
    French sentence is never told "we don't speak your language".
    """
    text = text or ""
    script = _script_of(text)
    letters = sum(1 for c in text if c.isalpha())
    words = [w for w in text.lower().split() if any(c.isalpha() for c in w)]
    neutral = bool(words) and all(w.strip("!?.,;:") in NEUTRAL_WORDS for w in words)

    if script == "arabic":
        values = _arabic_detector().compute_language_confidence_values(text)
        top = values[0]
        if (
            _code(top.language) != "ar"
            and top.value >= unsupported_threshold
            and len(words) >= unsupported_min_words
            and not _PERSIAN_URDU_MARKS.isdisjoint(text)  # Darija is often taken for them
        ):
            return Detection(_code(top.language), "ar", top.value, True, False, script)
        # Arabic script is unambiguous among the languages we speak.
        ar = next(v.value for v in values if v.language == Language.ARABIC)
        confident = letters >= 3 and not neutral
        return Detection("ar" if confident else None, "ar", ar, confident, True, script)

    if script in ("latin", "none"):
        if letters == 0:
            return Detection(None, "en", 0.0, False, True, script)
        values = _latin_detector().compute_language_confidence_values(text)
        top = values[0]
        top_code = _code(top.language)
        guess = next((_code(v.language) for v in values if _code(v.language) in SUPPORTED), "en")
        substantial = letters >= min_letters and not neutral
        if top_code in SUPPORTED:
            confident = substantial and top.value >= threshold
            return Detection(
                top_code if confident else None, guess, top.value, confident, True, script
            )
        best_supported = max(v.value for v in values if _code(v.language) in SUPPORTED)
        unsupported = (
            substantial
            and top.value >= unsupported_threshold
            and best_supported <= 0.15
            and len(words) >= unsupported_min_words
        )
        return Detection(
            top_code if unsupported else None,
            guess,
            top.value,
            unsupported,
            not unsupported,
            script,
        )

    # Another writing system (Cyrillic, Ethiopic for Tigrinya or Amharic, Devanagari...):
    # certainly none of ours once there is more than a stray character.
    confident = letters >= 2
    return Detection(None, "en", 1.0 if confident else 0.0, confident, not confident, script)
