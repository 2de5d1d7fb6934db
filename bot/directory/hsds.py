"""Models -> HSDS 3.0 JSON: the wire format is a mapping of its own.

The database carries extensions (translations, eligibility flags, confidential shelters,
provenance); this module decides what of them reaches the standard shape, so the tables can
grow without the API drifting from HSDS. Output validates against
../shared/hsds/schema/compiled/*.json. Only curated directory data is emitted, never text a
user typed, and never a confidential location's address or position.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from typing import Any

from bot.directory.models import (
    Address,
    Language,
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
    derived_id,
    translated,
)

Json = dict[str, Any]

ELIGIBILITY_TAXONOMY = {
    "id": "dalil-eligibility",
    "name": "Dalil eligibility flags",
    "description": "Who can use a service and on what terms; value is 'true' or 'false'.",
    "version": "1",
}
# The service columns published as attributes; an unknown (None) flag is not published.
ELIGIBILITY_FLAGS = {
    "free_of_charge": "Free of charge",
    "no_papers_needed": "No residence papers needed",
    "women_only": "For women only",
    "minors": "For minors (under 18)",
    "appointment_needed": "Appointment needed",
}


def _clean(data: Json) -> Json:
    """Drop unknown values: HSDS types are plain strings/numbers, null is not allowed."""
    return {k: v for k, v in data.items() if v is not None}


def _datetime(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite hands back naive datetimes; we store UTC
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def taxonomy_to_hsds(taxonomy: Taxonomy) -> Json:
    return _clean(
        {
            "id": taxonomy.id,
            "name": taxonomy.name,
            "description": taxonomy.description,
            "uri": taxonomy.uri,
            "version": taxonomy.version,
        }
    )


def taxonomy_term_to_hsds(term: TaxonomyTerm, language: str | None = None) -> Json:
    name = translated(term, "name", language)
    has_translation = language and any(
        t.field == "name" and t.language == language for t in term.translations
    )
    return _clean(
        {
            "id": term.id,
            "code": term.code,
            "name": name,
            "description": term.description,
            "parent_id": term.parent_id,
            "taxonomy": term.taxonomy,
            "taxonomy_id": term.taxonomy_id,
            "language": language if has_translation else term.language,
            "term_uri": term.term_uri,
            "taxonomy_detail": taxonomy_to_hsds(term.taxonomy_detail)
            if term.taxonomy_detail
            else None,
        }
    )


def eligibility_term(flag: str, label: str) -> Json:
    """An eligibility flag as a term of the code-defined ``dalil-eligibility`` taxonomy."""
    return {
        "id": f"{ELIGIBILITY_TAXONOMY['id']}-{flag}",
        "code": flag,
        "name": label,
        "description": label,
        "taxonomy": ELIGIBILITY_TAXONOMY["id"],
        "taxonomy_id": ELIGIBILITY_TAXONOMY["id"],
        "language": "en",
        "taxonomy_detail": dict(ELIGIBILITY_TAXONOMY),
    }


def _attributes(service: Service, language: str | None) -> list[Json]:
    out = [
        _clean(
            {
                "id": attribute.id,
                "link_id": attribute.link_id,
                "link_type": attribute.link_type,
                "link_entity": attribute.link_entity,
                "taxonomy_term_id": attribute.taxonomy_term_id,
                "value": attribute.value,
                "taxonomy_term": taxonomy_term_to_hsds(attribute.taxonomy_term, language),
            }
        )
        for attribute in service.attributes
        if attribute.taxonomy_term is not None and attribute.taxonomy_term.active
    ]
    for flag, label in ELIGIBILITY_FLAGS.items():
        value = getattr(service, flag)
        if value is None:
            continue
        term = eligibility_term(flag, label)
        out.append(
            {
                "id": derived_id("attribute", service.id, "eligibility", flag),
                "link_id": service.id,
                "link_type": "eligibility",
                "link_entity": "service",
                "taxonomy_term_id": term["id"],
                "value": "true" if value else "false",
                "taxonomy_term": term,
            }
        )
    return out


def _phone(phone: Phone) -> Json:
    return _clean(
        {
            "id": phone.id,
            "service_id": phone.service_id,
            "location_id": phone.location_id,
            "organization_id": phone.organization_id,
            "service_at_location_id": phone.service_at_location_id,
            "number": phone.number,
            "extension": phone.extension,
            "type": phone.type,
            "description": phone.description,
            "languages": [],
        }
    )


def _schedule(schedule: Schedule) -> Json:
    return _clean(
        {
            "id": schedule.id,
            "service_id": schedule.service_id,
            "location_id": schedule.location_id,
            "service_at_location_id": schedule.service_at_location_id,
            "valid_from": _date(schedule.valid_from),
            "valid_to": _date(schedule.valid_to),
            "dtstart": _date(schedule.dtstart),
            "timezone": schedule.timezone,
            "until": _date(schedule.until),
            "count": schedule.count,
            "wkst": schedule.wkst,
            "freq": schedule.freq,
            "interval": schedule.interval,
            "byday": schedule.byday,
            "byweekno": schedule.byweekno,
            "bymonthday": schedule.bymonthday,
            "byyearday": schedule.byyearday,
            "description": schedule.description,
            "opens_at": schedule.opens_at,
            "closes_at": schedule.closes_at,
            "schedule_link": schedule.schedule_link,
            "attending_type": schedule.attending_type,
            "notes": schedule.notes,
        }
    )


def _language(language: Language) -> Json:
    return _clean(
        {
            "id": language.id,
            "service_id": language.service_id,
            "location_id": language.location_id,
            "phone_id": language.phone_id,
            "name": language.name,
            "code": language.code,
            "note": language.note,
        }
    )


def _address(address: Address) -> Json:
    # address_1, city, state_province, postal_code and country are required strings in HSDS.
    return _clean(
        {
            "id": address.id,
            "location_id": address.location_id,
            "attention": address.attention,
            "address_1": address.address_1,
            "address_2": address.address_2,
            "city": address.city,
            "region": address.region,
            "state_province": address.state_province or "",
            "postal_code": address.postal_code or "",
            "country": address.country,
            "address_type": address.address_type,
        }
    )


def location_to_hsds(location: Location) -> Json:
    """A location; confidential ones (shelters) keep neither address nor position.

    City-centre positions (position_approximate) are not published either: HSDS readers
    would put a pin on the town hall and send people there.
    """
    hide_position = location.confidential or location.position_approximate
    return _clean(
        {
            "id": location.id,
            "location_type": location.location_type,
            "url": location.url,
            "organization_id": location.organization_id,
            "name": location.name,
            "alternate_name": location.alternate_name,
            "description": location.description,
            "transportation": None if location.confidential else location.transportation,
            "latitude": None if hide_position else location.latitude,
            "longitude": None if hide_position else location.longitude,
            "addresses": [] if location.confidential else [_address(a) for a in location.addresses],
            "languages": [],
            "phones": [],
            "schedules": [],
            "contacts": [],
            "accessibility": [],
            "attributes": [],
        }
    )


def organization_to_hsds(
    organization: Organization,
    language: str | None = None,
    *,
    nested: bool = True,
    services: Iterable[Service] | None = None,
) -> Json:
    """An organization; `nested=False` gives the one-to-one fields (lists, nesting)."""
    data = _clean(
        {
            "id": organization.id,
            "name": translated(organization, "name", language),
            "alternate_name": organization.alternate_name,
            "description": translated(organization, "description", language) or "",
            "email": organization.email,
            "website": organization.website,
        }
    )
    if not nested:
        return data
    active = [s for s in (services if services is not None else organization.services) if s.active]
    locations: dict[str, Location] = {}
    for service in active:
        for sal in service.service_at_locations:
            if sal.active and sal.location.active:
                locations.setdefault(sal.location.id, sal.location)
    data["services"] = [service_to_hsds(s, language, full=False) for s in active]
    data["locations"] = [location_to_hsds(loc) for loc in locations.values()]
    data["phones"] = []
    data["contacts"] = []
    data["attributes"] = []
    return data


def service_to_hsds(service: Service, language: str | None = None, *, full: bool = True) -> Json:
    """A service in `language` (falls back to English); `full=False` is the list shape."""
    data = _clean(
        {
            "id": service.id,
            "organization_id": service.organization_id,
            "name": translated(service, "name", language),
            "alternate_name": service.alternate_name,
            "description": translated(service, "description", language),
            "url": service.url,
            "email": service.email,
            "status": service.status if service.active else "inactive",
            "interpretation_services": service.interpretation_services,
            "application_process": service.application_process,
            "fees_description": service.fees_description,
            "eligibility_description": service.eligibility_description,
            "minimum_age": service.minimum_age,
            "maximum_age": service.maximum_age,
            "assured_date": _date(service.assured_date),
            "assurer_email": service.assurer_email,
            "alert": service.alert,
            "last_modified": _datetime(service.last_modified),
        }
    )
    data["organization"] = organization_to_hsds(service.organization, language, nested=False)
    if not full:
        return data
    data["phones"] = [_phone(p) for p in service.phones]
    data["schedules"] = [_schedule(s) for s in service.schedules]
    data["languages"] = [_language(lang) for lang in service.languages]
    data["service_at_locations"] = [
        service_at_location_to_hsds(sal, language, include_service=False)
        for sal in service.service_at_locations
        if sal.active
    ]
    data["attributes"] = _attributes(service, language)
    data["service_areas"] = []
    data["contacts"] = []
    data["cost_options"] = []
    data["required_documents"] = []
    data["funding"] = []
    return data


def service_at_location_to_hsds(
    sal: ServiceAtLocation, language: str | None = None, *, include_service: bool = True
) -> Json:
    data = _clean(
        {
            "id": sal.id,
            "service_id": sal.service_id,
            "location_id": sal.location_id,
            "description": sal.description,
        }
    )
    data["location"] = location_to_hsds(sal.location)
    data["phones"] = []
    data["schedules"] = []
    data["contacts"] = []
    data["attributes"] = []
    if include_service:
        service = service_to_hsds(sal.service, language)
        service.pop("service_at_locations", None)  # no cycles: the parent is this record
        data["service"] = service
    return data


def page(items: Sequence[Json], total: int, page: int, per_page: int) -> Json:
    """HSDS paginated response (openapi `Page` + `contents`); pages count from 1."""
    per_page = max(per_page, 1)
    total_pages = max(math.ceil(total / per_page), 1)
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": page,
        "size": len(items),
        "first_page": page <= 1,
        "last_page": page >= total_pages,
        "empty": total == 0,
        "contents": list(items),
    }
