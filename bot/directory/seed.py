"""Load the starter directory (data/directory/services.yml) into the database.

Idempotent upsert keyed on the record ids, in one transaction: staff can re-run it after
editing the YAML and only what changed is written. Nothing top-level is deleted; child
rows (phones, schedules, languages, categories) are synchronised with the record.

    python -m bot.directory.seed [path]
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import phonenumbers
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.directory.cities import city_key, get_city
from bot.directory.models import (
    Address,
    Attribute,
    Language,
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
    Translation,
    derived_id,
    utcnow,
)
from bot.settings import ROOT

log = logging.getLogger(__name__)

SERVICES_PATH = ROOT / "data" / "directory" / "services.yml"
TAXONOMY_ID = "dalil-service-category"
LANGUAGES = ("en", "fr", "nl", "ar")

# The service_category values of TOPICS.md; names in the four launch languages.
CATEGORIES: dict[str, dict[str, str]] = {
    "health": {"en": "Health care", "fr": "Soins de santé", "nl": "Gezondheidszorg",
               "ar": "الرعاية الصحية"},
    "mental_health": {"en": "Mental health", "fr": "Santé mentale", "nl": "Geestelijke gezondheid",
                      "ar": "الصحة النفسية"},
    "legal_aid": {"en": "Legal aid", "fr": "Aide juridique", "nl": "Juridische hulp",
                  "ar": "المساعدة القانونية"},
    "shelter": {"en": "Shelter", "fr": "Hébergement", "nl": "Opvang", "ar": "الإيواء"},
    "food": {"en": "Food", "fr": "Aide alimentaire", "nl": "Voedselhulp",
             "ar": "المساعدة الغذائية"},
    "education_training": {"en": "Education and training", "fr": "Éducation et formation",
                           "nl": "Onderwijs en opleiding", "ar": "التعليم والتكوين"},
    "language_course": {"en": "Language courses", "fr": "Cours de langue", "nl": "Taallessen",
                        "ar": "دروس اللغة"},
    "employment": {"en": "Employment", "fr": "Emploi", "nl": "Werk", "ar": "الشغل"},
    "documentation": {"en": "Documents and registration", "fr": "Documents et enregistrement",
                      "nl": "Documenten en registratie", "ar": "الوثائق والتسجيل"},
    "family_tracing": {"en": "Family tracing", "fr": "Rétablissement des liens familiaux",
                       "nl": "Opsporing van familie", "ar": "البحث عن أفراد العائلة"},
    "protection": {"en": "Protection", "fr": "Protection", "nl": "Bescherming", "ar": "الحماية"},
    "helpline": {"en": "Helplines", "fr": "Lignes d'écoute", "nl": "Hulplijnen",
                 "ar": "خطوط المساعدة"},
}  # fmt: skip

LANGUAGE_NAMES = {
    "ar": "Arabic", "ber": "Berber languages", "bg": "Bulgarian", "bo": "Tibetan",
    "de": "German", "en": "English", "es": "Spanish", "fa": "Persian", "fr": "French",
    "hi": "Hindi", "nl": "Dutch", "pl": "Polish", "prs": "Dari", "ps": "Pashto",
    "pt": "Portuguese", "ro": "Romanian", "ru": "Russian", "tr": "Turkish", "ur": "Urdu",
    "zh": "Chinese",
}  # fmt: skip


# --- opening hours ---------------------------------------------------------------------------

DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_DAY_WORDS = {
    "MO": ("monday", "mon", "lundi", "lun", "maandag", "ma"),
    "TU": ("tuesday", "tues", "tue", "mardi", "mar", "dinsdag", "di"),
    "WE": ("wednesday", "wed", "mercredi", "mer", "woensdag", "wo"),
    "TH": ("thursday", "thurs", "thur", "thu", "jeudi", "jeu", "donderdag", "do"),
    "FR": ("friday", "fri", "vendredi", "ven", "vrijdag", "vr"),
    "SA": ("saturday", "sat", "samedi", "sam", "zaterdag", "za"),
    "SU": ("sunday", "sun", "dimanche", "dim", "zondag", "zo"),
}
_WORD_TO_DAY = {w: code for code, words in _DAY_WORDS.items() for w in words}
_DAY = "(?:" + "|".join(sorted(_WORD_TO_DAY, key=len, reverse=True)) + r")\.?"
_TIME = r"\d{1,2}(?:[:hu.]\d{2}|[hu])?"
_DAY_RANGE = rf"(?:from |du |van )?(?P<d1>{_DAY}) ?(?:-|to|au|a|tot|t/m|until|till) ?(?P<d2>{_DAY})"
_DAY_LIST = rf"(?P<dlist>{_DAY}(?: ?(?:,|and|et|en|&) ?{_DAY})*)"
_TIME_RANGE = rf"(?:from |de |van )?(?P<t1>{_TIME}) ?(?:-|to|a|tot|until|till) ?(?P<t2>{_TIME})"
_HOURS = re.compile(rf"(?:{_DAY_RANGE}|{_DAY_LIST}) ?,? ?:? ?{_TIME_RANGE}")
_ALWAYS = re.compile(
    r"24 ?(?:/|hours a day|h/24|h ?sur ?24|uur per dag),? ?7 ?(?:/ ?7|days a week|j ?sur ?7|"
    r"jours sur 7|dagen per week)?|24/7|open 24 hours,? 7 days a week"
)


@dataclass(frozen=True)
class ParsedHours:
    """The structured (iCal-style) part of an HSDS schedule."""

    byday: str
    opens_at: str
    closes_at: str
    freq: str = "WEEKLY"


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[\u2010-\u2015\u2212]", "-", text)  # dashes
    text = re.sub(r"\s*-\s*", "-", text)
    return re.sub(r"\s+", " ", text).strip().rstrip(".").strip()


def _time(value: str) -> str | None:
    match = re.fullmatch(r"(\d{1,2})(?:[:hu.](\d{2})|[hu])?", value)
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour > 23 or minute > 59:
        return None
    return f"{hour:02d}:{minute:02d}"


def _day(word: str) -> str:
    return _WORD_TO_DAY[word.rstrip(".")]


def parse_hours(text: str | None) -> ParsedHours | None:
    """Structured hours for one simple weekly rule; None when the text says anything more.

    "Mon-Fri 09:00-15:00", "Monday to Friday 9:00-17:00", "du lundi au vendredi de 9h à 17h",
    "Tuesday, Wednesday and Thursday 09:00-13:00" and "24/7" parse; text with exceptions,
    several rules or anything else stays free text only (schedule.description).
    """
    if not text:
        return None
    folded = _fold(text)
    if _ALWAYS.fullmatch(folded):
        return ParsedHours(byday=",".join(DAY_CODES), opens_at="00:00", closes_at="23:59")
    match = _HOURS.fullmatch(folded)
    if not match:
        return None
    opens, closes = _time(match["t1"]), _time(match["t2"])
    if not opens or not closes or opens >= closes:
        return None
    if match["d1"]:
        first, last = DAY_CODES.index(_day(match["d1"])), DAY_CODES.index(_day(match["d2"]))
        if last <= first:
            return None
        days = DAY_CODES[first : last + 1]
    else:
        words = re.findall(_DAY, match["dlist"])
        days = tuple(dict.fromkeys(_day(w) for w in words))
        if len(days) != len(words):
            return None
    return ParsedHours(byday=",".join(days), opens_at=opens, closes_at=closes)


# --- helpers ---------------------------------------------------------------------------------


def slugify(text: str, max_length: int = 80) -> str:
    """ASCII slug for ids: "Médecins du Monde (MdM)" -> "medecins-du-monde-mdm"."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    if len(slug) > max_length:
        slug = slug[:max_length].rsplit("-", 1)[0]
    return slug or "x"


def e164(number: str, country: str) -> str | None:
    """E.164 form when the number is a valid full number; short codes (1712, 116 000) stay None."""
    try:
        parsed = phonenumbers.parse(number, country)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _phone_type(e164_number: str | None) -> str:
    if e164_number and phonenumbers.number_type(phonenumbers.parse(e164_number)) in (
        phonenumbers.PhoneNumberType.MOBILE,
    ):
        return "cell"
    return "voice"


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


class _Writer:
    """Upserts that only touch rows whose values differ, and count what they did."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.stats: Counter[str] = Counter()

    def upsert(self, model: type, id_: str, **values: Any) -> tuple[Any, bool]:
        row = self.session.get(model, id_)
        table = model.__tablename__
        if row is None:
            row = model(id=id_, **values)
            self.session.add(row)
            self.stats[f"{table}.created"] += 1
            return row, True
        changed = False
        for key, value in values.items():
            if getattr(row, key) != value:
                setattr(row, key, value)
                changed = True
        self.stats[f"{table}.{'updated' if changed else 'unchanged'}"] += 1
        return row, changed

    def sync(self, model: type, filters: dict[str, Any], rows: dict[str, dict[str, Any]]) -> bool:
        """Make the child rows matching `filters` exactly `rows` (id -> values)."""
        changed = False
        query = select(model).filter_by(**filters)
        for existing in self.session.scalars(query):
            if existing.id not in rows:
                self.session.delete(existing)
                self.stats[f"{model.__tablename__}.deleted"] += 1
                changed = True
        for id_, values in rows.items():
            changed |= self.upsert(model, id_, **filters, **values)[1]
        return changed


def ensure_taxonomy(writer: _Writer) -> bool:
    """The service-category taxonomy with its terms and their names in every language."""
    changed = writer.upsert(
        Taxonomy,
        TAXONOMY_ID,
        name="Dalil service categories",
        description="Kinds of help in the Dalil directory (the service_category entity values).",
        uri=None,
        version="1",
        active=True,
    )[1]
    for code, names in CATEGORIES.items():
        term_id = f"{TAXONOMY_ID}-{code}"
        changed |= writer.upsert(
            TaxonomyTerm,
            term_id,
            code=code,
            name=names["en"],
            description=names["en"],
            taxonomy=TAXONOMY_ID,
            taxonomy_id=TAXONOMY_ID,
            language="en",
            parent_id=None,
            active=True,
        )[1]
        changed |= _translations(writer, "taxonomy_term", term_id, {"name": names})
    writer.session.flush()
    return changed


def _translations(
    writer: _Writer, entity_type: str, entity_id: str, fields: dict[str, dict[str, Any]]
) -> bool:
    rows = {
        derived_id("translation", entity_type, entity_id, name, language): {
            "field": name,
            "language": language,
            "value": value.strip(),
        }
        for name, values in fields.items()
        for language, value in (values or {}).items()
        if value and str(value).strip()
    }
    return writer.sync(Translation, {"entity_type": entity_type, "entity_id": entity_id}, rows)


def _organization(writer: _Writer, record: dict[str, Any]) -> tuple[str, bool]:
    org = record["organization"]
    org_id = slugify(org["name"])
    changed = writer.upsert(
        Organization,
        org_id,
        name=org["name"],
        description=org.get("description_en"),
        website=org.get("url"),
        active=True,
    )[1]
    changed |= _translations(
        writer,
        "organization",
        org_id,
        {"name": {"en": org["name"]}, "description": {"en": org.get("description_en")}},
    )
    return org_id, changed


def _service_row(record: dict[str, Any], org_id: str) -> dict[str, Any]:
    sources = [
        {k: (str(v) if v is not None else None) for k, v in source.items()}
        for source in record.get("sources") or []
    ]
    checked = _date(record.get("checked_at"))
    return {
        "organization_id": org_id,
        "name": record["name"]["en"].strip(),
        "description": (record.get("description") or {}).get("en"),
        "url": record.get("url"),
        "email": record.get("email"),
        "status": "active",
        "free_of_charge": record.get("free_of_charge"),
        "no_papers_needed": record.get("no_papers_needed"),
        "women_only": record.get("women_only"),
        "minors": record.get("minors"),
        "appointment_needed": record.get("appointment_needed"),
        "national": bool(record.get("national")),
        "source_urls": [s["url"] for s in sources if s.get("url")],
        "sources": sources,
        "checked_at": checked,
        "assured_date": checked,
        "notes": record.get("notes"),
        "active": True,
    }


def _location(writer: _Writer, record: dict[str, Any], org_id: str) -> tuple[str, bool]:
    service_id = record["id"]
    location_id = derived_id("location", service_id)
    key = city_key(record.get("city"))
    city = get_city(key) if key else None
    lat, lon = record.get("lat"), record.get("lon")
    approximate = False
    if (lat is None or lon is None) and city and city.latitude is not None:
        lat, lon, approximate = city.latitude, city.longitude, True
    confidential = bool(record.get("confidential_location"))
    changed = writer.upsert(
        Location,
        location_id,
        location_type="physical",
        organization_id=org_id,
        name=None,
        latitude=lat,
        longitude=lon,
        position_approximate=approximate,
        confidential=confidential,
        country=record["country"],
        city=record.get("city"),
        city_normalised=key,
        active=True,
    )[1]
    address = record.get("address")
    rows: dict[str, dict[str, Any]] = {}
    if address and not confidential and address.get("street"):
        rows[derived_id("address", service_id)] = {
            "address_1": address["street"],
            "city": address.get("city") or record.get("city") or "",
            "postal_code": address.get("postal_code"),
            "country": record["country"],
            "address_type": "physical",
        }
    changed |= writer.sync(Address, {"location_id": location_id}, rows)
    return location_id, changed


def _children(writer: _Writer, record: dict[str, Any]) -> bool:
    service_id, country = record["id"], record["country"]
    phones = {}
    for position, phone in enumerate(record.get("phones") or []):
        number = str(phone["number"]).strip()
        normalised = e164(number, country)
        phones[derived_id("phone", service_id, position)] = {
            "number": number,
            "number_e164": normalised,
            "type": _phone_type(normalised),
            "description": phone.get("description"),
            "position": position,
        }
    changed = writer.sync(Phone, {"service_id": service_id}, phones)

    schedules = {}
    hours = (record.get("hours") or "").strip()
    if hours:
        parsed = parse_hours(hours)
        schedules[derived_id("schedule", service_id)] = {
            "description": hours,
            "freq": parsed.freq if parsed else None,
            "byday": parsed.byday if parsed else None,
            "opens_at": parsed.opens_at if parsed else None,
            "closes_at": parsed.closes_at if parsed else None,
        }
    changed |= writer.sync(Schedule, {"service_id": service_id}, schedules)

    languages = {
        derived_id("language", service_id, code): {"code": code, "name": LANGUAGE_NAMES.get(code)}
        for code in dict.fromkeys(record.get("languages") or [])
    }
    changed |= writer.sync(Language, {"service_id": service_id}, languages)

    attributes = {}
    for code in dict.fromkeys(record.get("categories") or []):
        if code not in CATEGORIES:
            raise ValueError(f"{service_id}: unknown category {code!r}")
        attributes[derived_id("attribute", service_id, TAXONOMY_ID, code)] = {
            "taxonomy_term_id": f"{TAXONOMY_ID}-{code}",
            "link_type": "service_category",
            "value": None,
        }
    changed |= writer.sync(Attribute, {"link_entity": "service", "link_id": service_id}, attributes)

    changed |= _translations(
        writer,
        "service",
        service_id,
        {"name": record.get("name") or {}, "description": record.get("description") or {}},
    )
    return changed


def with_translations(records: list[dict[str, Any]], path: Path) -> list[dict[str, Any]]:
    """Add the translators' names and descriptions (translations.yml beside the seed).

    A text already in services.yml wins: the translation file only fills gaps.
    """
    if not path.exists():
        return records
    extra = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("services") or {}
    merged = []
    for record in records:
        record = dict(record)
        for field_name in ("name", "description"):
            texts = dict(record.get(field_name) or {})
            for language, text in ((extra.get(record["id"]) or {}).get(field_name) or {}).items():
                if language in LANGUAGES and text and not texts.get(language):
                    texts[language] = text
            record[field_name] = texts
        merged.append(record)
    return merged


def load_services(session: Session, path: Path | str = SERVICES_PATH) -> Counter[str]:
    """Upsert every record of `path`; returns counts per table and action (created, ...).

    Runs inside the caller's transaction (flushes, never commits) so a bad record leaves
    nothing half-written once the caller rolls back.
    """
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    records = with_translations(data.get("services") or [], Path(path).parent / "translations.yml")
    ids = [r["id"] for r in records]
    duplicates = sorted(i for i, n in Counter(ids).items() if n > 1)
    if duplicates:
        raise ValueError(f"duplicate service ids: {duplicates}")

    writer = _Writer(session)
    with session.no_autoflush:
        ensure_taxonomy(writer)
        for record in records:
            org_id, org_changed = _organization(writer, record)
            session.flush()
            service, changed = writer.upsert(Service, record["id"], **_service_row(record, org_id))
            session.flush()
            location_id, location_changed = _location(writer, record, org_id)
            session.flush()
            changed |= location_changed
            changed |= writer.upsert(
                ServiceAtLocation,
                derived_id("service_at_location", record["id"], location_id),
                service_id=record["id"],
                location_id=location_id,
                active=True,
            )[1]
            session.flush()
            changed |= _children(writer, record)
            if changed or org_changed or service.last_modified is None:
                service.last_modified = utcnow()
            session.flush()
    session.expire_all()  # relationships loaded before the children changed are stale
    writer.stats["services.total"] = len(records)
    return writer.stats


def main(argv: list[str] | None = None) -> int:
    from bot.db import session_scope

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else SERVICES_PATH
    with session_scope() as session:
        stats = load_services(session, path)
    changes = {k: v for k, v in sorted(stats.items()) if not k.endswith(".unchanged")}
    log.info("directory seed from %s: %s", path, changes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
