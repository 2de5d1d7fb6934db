"""Cities the directory knows, and resolution of what users type for them.

Users write "Bruxelles", "brussel", "بروكسل" or "Bruxel": all must reach the same city,
so names are normalised (case, accents, Arabic letter variants) and then matched exactly,
as a phrase inside a sentence, and finally fuzzily with rapidfuzz.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

from bot.settings import ROOT
from bot.text import normalise

CITIES_PATH = ROOT / "data" / "directory" / "cities.yml"

# Below this length a typo is as likely to be another word as a city: exact matches only.
MIN_FUZZY_LENGTH = 5
FUZZY_CUTOFF = 80.0  # rapidfuzz ratio (0-100) for a whole message naming only a city
FUZZY_CUTOFF_IN_SENTENCE = 85.0  # stricter when scanning the words of a longer message

_ARABIC_PREFIXES = ("وال", "بال", "فال", "كال", "لل")
_ARABIC = re.compile("[\u0600-\u06ff]")


def arabic_variants(token: str) -> set[str]:
    """A word and its form without a clitic prefix or article: "بالرباط" -> "الرباط", "رباط"."""
    variants = {token}
    if not _ARABIC.search(token):
        return variants
    for prefix in _ARABIC_PREFIXES:
        if token.startswith(prefix) and len(token) > len(prefix) + 1:
            variants.add("ال" + token[len(prefix) :])
    for word in list(variants):
        if word.startswith("ال") and len(word) > 3:
            variants.add(word[2:])
    return variants


@dataclass(frozen=True)
class City:
    id: str
    country: str
    names: dict[str, str]
    aliases: tuple[str, ...] = ()
    latitude: float | None = None
    longitude: float | None = None
    source_url: str | None = None

    def name(self, language: str = "en") -> str:
        return self.names.get(language) or self.names["en"]

    @property
    def all_names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*self.names.values(), *self.aliases]))


@dataclass
class _Index:
    cities: dict[str, City]
    exact: dict[str, City] = field(default_factory=dict)
    # Short aliases (Casa, Bxl) are ordinary words in some languages: only a message that is
    # nothing but the alias resolves through them; official names also match inside a sentence.
    in_sentence: dict[str, City] = field(default_factory=dict)
    fuzzy_keys: list[str] = field(default_factory=list)


def load_cities(path: Path = CITIES_PATH) -> dict[str, City]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    cities: dict[str, City] = {}
    for row in data.get("cities", []):
        city = City(
            id=row["id"],
            country=row["country"],
            names=dict(row["names"]),
            aliases=tuple(row.get("aliases") or ()),
            latitude=row.get("latitude"),
            longitude=row.get("longitude"),
            source_url=row.get("source_url"),
        )
        cities[city.id] = city
    return cities


def _build_index(cities: dict[str, City]) -> _Index:
    index = _Index(cities=cities)
    for city in cities.values():
        official = {normalise(n) for n in city.names.values()}
        for raw in city.all_names:
            for key in arabic_variants(normalise(raw)):
                if not key:
                    continue
                index.exact.setdefault(key, city)
                if key in official or len(key) >= MIN_FUZZY_LENGTH:
                    index.in_sentence.setdefault(key, city)
    index.fuzzy_keys = [k for k in index.exact if len(k) >= MIN_FUZZY_LENGTH - 1]
    return index


@lru_cache(maxsize=4)
def _index(path: Path = CITIES_PATH) -> _Index:
    return _build_index(load_cities(path))


def cities(path: Path = CITIES_PATH) -> dict[str, City]:
    return _index(path).cities


def get_city(city_id: str, path: Path = CITIES_PATH) -> City | None:
    return _index(path).cities.get(city_id)


def _ngrams(words: list[str], longest: int = 4) -> list[str]:
    grams = []
    for size in range(min(longest, len(words)), 0, -1):
        grams.extend(" ".join(words[i : i + size]) for i in range(len(words) - size + 1))
    return grams


def resolve_city(text: str | None, path: Path = CITIES_PATH) -> City | None:
    """The city `text` names, or None. Exact beats phrase-in-sentence beats fuzzy."""
    if not text:
        return None
    index = _index(path)
    query = normalise(text)
    if not query:
        return None
    for variant in arabic_variants(query):
        if variant in index.exact:
            return index.exact[variant]

    words = query.split()
    grams = _ngrams(words) + [v for w in words for v in arabic_variants(w) if v != w]
    if len(words) > 1:
        for gram in grams:
            if gram in index.in_sentence:
                return index.in_sentence[gram]

    if len(query) >= MIN_FUZZY_LENGTH:
        match = process.extractOne(
            query, index.fuzzy_keys, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF
        )
        if match:
            return index.exact[match[0]]
    if len(words) > 1:
        best: tuple[float, str] | None = None
        for gram in set(grams):
            if len(gram) < MIN_FUZZY_LENGTH + 1:
                continue
            match = process.extractOne(
                gram, index.fuzzy_keys, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF_IN_SENTENCE
            )
            if match and (best is None or match[1] > best[0]):
                best = (match[1], match[0])
        if best:
            return index.exact[best[1]]
    return None


def city_key(city: str | None, path: Path = CITIES_PATH) -> str | None:
    """What `location.city_normalised` stores: the cities.yml id, else the normalised name."""
    if not city:
        return None
    found = resolve_city(city, path)
    return found.id if found else normalise(city)
