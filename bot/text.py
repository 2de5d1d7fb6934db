"""Text folding shared by the engine (NLU features) and the app (city and category lookup).

Standard library only, so that both Python environments can import it.
"""

from __future__ import annotations

import re
import unicodedata

_ARABIC_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_ARABIC_LETTERS = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ة": "ه",
        "ى": "ي",
        "ی": "ي",  # Persian yeh
        "ئ": "ي",
        "ؤ": "و",
        "ک": "ك",  # Persian kaf
        "گ": "ك",
        "ڭ": "ك",  # Moroccan gaf
    }
)
_SEPARATORS = re.compile(r"[\s\-_'’`\".,;:!?()/\\|]+")


def normalise(name: str) -> str:
    """Fold case, accents and Arabic spelling variants so equal names compare equal."""
    text = unicodedata.normalize("NFKC", name or "").casefold()
    text = _ARABIC_DIACRITICS.sub("", text).translate(_ARABIC_LETTERS)
    text = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    # NFKD splits Arabic letters such as "آ" too; recompose, then fold the letters again.
    text = unicodedata.normalize("NFKC", text).translate(_ARABIC_LETTERS)
    return _SEPARATORS.sub(" ", text).strip()


_REPEATS = re.compile(r"(.)\1{2,}")


def fold(text: str) -> str:
    """Text as the intent features see it: folded like names, and with letters typed
    three or more times in a row written once ("merciiii", "سلااام"), since chat users
    stretch words for tone, not meaning."""
    return _REPEATS.sub(r"\1", normalise(text))
