"""Map what a user typed ("médecin", "طبيبا", "advocaat") to a service_category value.

The NLU model maps most words through the synonyms in data/nlu/en.yml; this catches the
inflected or misspelt forms it passes through untouched, using the same synonym table.
"""

from __future__ import annotations

from functools import lru_cache

import yaml
from rapidfuzz import fuzz, process

from bot.directory.cities import arabic_variants
from bot.directory.seed import CATEGORIES
from bot.settings import ROOT
from bot.text import normalise

SYNONYMS_FILE = ROOT / "data" / "nlu" / "en.yml"
FUZZY_CUTOFF = 85


def _forms(word: str) -> set[str]:
    """A word with Arabic clitics and the accusative ending ("طبيبا" → "طبيب") removed."""
    forms = set()
    for variant in arabic_variants(word):
        forms.add(variant)
        if len(variant) > 3 and variant.endswith("ا") and "\u0600" <= variant[-1] <= "\u06ff":
            forms.add(variant[:-1])
    return forms


@lru_cache(maxsize=1)
def _table() -> dict[str, str]:
    table: dict[str, str] = {}
    for code, names in CATEGORIES.items():
        table[normalise(code)] = code
        for name in names.values():
            table[normalise(name)] = code
    data = yaml.safe_load(SYNONYMS_FILE.read_text(encoding="utf-8")) or {}
    for block in data.get("nlu", []):
        if block.get("synonym") in CATEGORIES:
            for line in block["examples"].splitlines():
                form = line.strip().removeprefix("- ").strip()
                if form:
                    table.setdefault(normalise(form), block["synonym"])
    return table


def _lookup(query: str, table: dict[str, str]) -> str | None:
    for form in _forms(query):
        if form in table:
            return table[form]
    match = process.extractOne(query, list(table), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
    return table[match[0]] if match else None


def resolve_category(text: str | None) -> str | None:
    if not text:
        return None
    if text in CATEGORIES:
        return text
    table = _table()
    query = normalise(text)
    found = _lookup(query, table)
    if found is None and " " in query:
        # The model sometimes takes a word too many ("dokter nodig"): try each word.
        for word in sorted(query.split(), key=len, reverse=True):
            if len(word) > 2 and (found := _lookup(word, table)):
                break
    return found
