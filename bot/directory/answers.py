"""Turn directory search results into short chat messages in the user's language."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote_plus

from sqlalchemy.orm import Session

from bot.content.labels import label
from bot.directory.cities import City, resolve_city
from bot.directory.search import Hit, Query, search, translations
from bot.directory.seed import CATEGORIES

PAGE_SIZE = 3


def category_name(category: str, language: str) -> str:
    names = CATEGORIES.get(category, {})
    return names.get(language) or names.get("en") or category


def map_link(hit: Hit) -> str | None:
    location = hit.location
    if location.confidential:
        return None
    if location.latitude is not None and not location.position_approximate:
        lat, lon = location.latitude, location.longitude
        return f"https://www.openstreetmap.org/?mlat={lat:.5f}&mlon={lon:.5f}#map=17/{lat:.5f}/{lon:.5f}"
    if location.addresses:
        a = location.addresses[0]
        text = ", ".join(x for x in (a.address_1, a.postal_code, a.city) if x)
        return f"https://www.openstreetmap.org/search?query={quote_plus(text)}"
    return None


def card(hit: Hit, language: str, texts: dict[tuple[str, str], str]) -> str:
    """One service as a few short lines: what, where, how to reach, when verified."""
    service, location = hit.service, hit.location
    name = texts.get((service.id, "name")) or service.name
    lines = [f"▪️ {name}"]
    description = texts.get((service.id, "description")) or service.description
    if description:
        lines.append(description)
    if location.confidential:
        lines.append(f"🔒 {label('confidential', language)}")
    elif location.addresses:
        a = location.addresses[0]
        town = " ".join(filter(None, (a.postal_code, a.city)))
        address = ", ".join(x for x in (a.address_1, town) if x)
        lines.append(f"📍 {label('address', language)}: {address}")
    for phone in sorted(service.phones, key=lambda p: p.position)[:2]:
        number = f"\u2068{phone.number}\u2069" if language == "ar" else phone.number
        lines.append(f"📞 {label('phone', language)}: {number}")
    hours = next((s.description for s in service.schedules if s.description), None)
    if hours:
        lines.append(f"🕒 {label('hours', language)}: {hours}")
    if hit.distance_km is not None:
        note = f" ({label('approximate', language)})" if location.position_approximate else ""
        lines.append(f"📏 {label('distance', language)}: {hit.distance_km:.1f} km{note}")
    link = map_link(hit)
    if link:
        lines.append(f"🗺️ {label('map', language)}: {link}")
    elif service.url:
        lines.append(f"🔗 {label('website', language)}: {service.url}")
    if service.assured_date:
        lines.append(f"✅ {label('verified', language)} {service.assured_date.isoformat()}")
    return "\n".join(lines)


@dataclass
class Answer:
    cards: list[str]
    more: bool
    alternatives: bool  # nothing matched: these are the nearest others in the country
    city: City | None


def answer(
    session: Session,
    *,
    category: str | None,
    place: str | None,
    latitude: float | None,
    longitude: float | None,
    country: str | None,
    language: str,
    offset: int = 0,
) -> Answer:
    """Best matches first; never empty while the country has any service."""
    city = resolve_city(place) if place else None
    position = latitude is not None and longitude is not None
    query = Query(
        category=category,
        city=None if position or city is None else city.id,
        country=city.country if city else (None if position else country),
        latitude=latitude if position else None,
        longitude=longitude if position else None,
    )
    # One row beyond the page tells whether "More" has anything to show, without a COUNT.
    hits = search(session, query, limit=PAGE_SIZE + 1, offset=offset)
    more = len(hits) > PAGE_SIZE
    hits = hits[:PAGE_SIZE]
    alternatives = False
    if not hits and offset == 0:
        # Nothing here: the same kind of help elsewhere in the country, nearest first,
        # then the national helplines.
        alternatives = True
        anchor = city if city and city.latitude is not None else None
        near = Query(
            category=category,
            country=(city.country if city else country),
            latitude=anchor.latitude if anchor else latitude,
            longitude=anchor.longitude if anchor else longitude,
        )
        hits = search(session, near, limit=PAGE_SIZE - 1)
        helplines = Query(
            category="helpline",
            country=(city.country if city else country),
            national=True,
            exclude_ids=tuple(h.service.id for h in hits),
        )
        hits += search(session, helplines, limit=PAGE_SIZE - len(hits))
        more = False
    ids = [h.service.id for h in hits]
    texts = translations(session, "service", ids, language) if language != "en" else {}
    return Answer(
        cards=[card(hit, language, texts) for hit in hits],
        more=more,
        alternatives=alternatives,
        city=city,
    )
