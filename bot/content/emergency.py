"""Emergency numbers and free helplines per country.

Read from the database (table ``contact_number``, seeded from
`data/content/emergency.yml`), so a staff correction shows in the next answer. Safety
comes first: if the database cannot be read, the numbers come from the file itself.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from bot.content.seed import CONTENT_DIR, contact_records

EMERGENCY_FILE = CONTENT_DIR / "emergency.yml"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EmergencyInfo:
    contacts: list[tuple[str, str]]  # (number, label in the user's language)
    helplines: list[tuple[str, str]]
    sources: list[str]  # URLs
    checked_at: str


def _records_from_database(country: str) -> list[dict] | None:
    from bot.content.models import ContactNumber
    from bot.db import session_scope

    try:
        with session_scope() as session:
            rows = session.scalars(
                select(ContactNumber)
                .where(ContactNumber.country == country, ContactNumber.active.is_(True))
                .order_by(ContactNumber.kind, ContactNumber.position)
            ).all()
            return [
                {"kind": r.kind, "number": r.number, "labels": r.labels or {},
                 "sources": r.sources or [], "checked_at": r.checked_at}
                for r in rows
            ]  # fmt: skip
    except SQLAlchemyError as error:
        log.warning("emergency numbers read from the file: database unavailable (%s)",
                    type(error).__name__)  # fmt: skip
        return None


def _records_from_file(country: str, path: Path) -> list[dict]:
    return [r for r in contact_records(path) if r["country"] == country]


def emergency_info(country: str, language: str, path: Path | None = None) -> EmergencyInfo:
    """Numbers to call in ``country`` (or ``other``), labelled in ``language``.

    ``path`` reads a file instead of the database (tests, and the safety fallback).
    """
    records = None if path else _records_from_database(country)
    if not records:
        path = path or EMERGENCY_FILE
        records = _records_from_file(country, path) or _records_from_file("other", path)
    if not any(r["kind"] == "emergency" for r in records):
        records = [*_records_from_file("other", EMERGENCY_FILE), *records]

    def labelled(kind: str) -> list[tuple[str, str]]:
        return [
            (r["number"], r["labels"].get(language) or r["labels"]["en"])
            for r in records
            if r["kind"] == kind
        ]

    sources: list[str] = []
    for record in records:
        for source in record["sources"]:
            if source.get("url") and source["url"] not in sources:
                sources.append(source["url"])
    checked = max(str(r["checked_at"]) for r in records if r["checked_at"]) if records else ""
    return EmergencyInfo(labelled("emergency"), labelled("helpline"), sources, checked)


def _line(number: str, label: str, icon: str, rtl: bool) -> str:
    # U+2068/U+2069 isolate the digits so "112" is not reordered inside Arabic text.
    return f"{icon} \u2068{number}\u2069 : {label}" if rtl else f"{icon} {number}: {label}"


def format_contacts(info: EmergencyInfo, rtl: bool = False) -> str:
    """One line per number: emergency numbers first, then free helplines."""
    lines = [_line(n, label, "📞", rtl) for n, label in info.contacts]
    lines += [_line(n, label, "☎️", rtl) for n, label in info.helplines]
    return "\n".join(lines)


def emergency_slots(country: str, language: str) -> dict[str, str]:
    """The slot values the ``utter_emergency*`` responses show."""
    info = emergency_info(country, language)
    return {
        "emergency_contacts": format_contacts(info, rtl=language == "ar"),
        "emergency_sources": " · ".join(info.sources),
        "emergency_checked": info.checked_at,
    }
