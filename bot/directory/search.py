"""Find services: by category, city, GPS position and eligibility, in SQL.

Every filter is a WHERE clause on indexed columns; distance ordering uses an
equirectangular approximation that SQLite and PostgreSQL both compute with plain
arithmetic (no trig functions in SQLite), inside a bounding box that uses the
latitude/longitude index. Exact great-circle distances are computed in Python only for
the rows returned.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from bot.directory.models import (
    Attribute,
    Language,
    Location,
    Schedule,
    Service,
    ServiceAtLocation,
    Translation,
)

TAXONOMY_ID = "dalil-service-category"
TIMEZONES = {"BE": ZoneInfo("Europe/Brussels"), "MA": ZoneInfo("Africa/Casablanca")}
DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
KM_PER_DEGREE = 111.195


@dataclass
class Query:
    """What the user asked for. None means "any"."""

    category: str | None = None
    city: str | None = None  # cities.yml id, as stored in location.city_normalised
    country: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    radius_km: float | None = None  # with a position: only within this distance
    language: str | None = None  # a language spoken at the service
    free_of_charge: bool | None = None
    no_papers_needed: bool | None = None
    open_at: dt.datetime | None = None  # aware datetime: open at that moment
    national: bool | None = None
    exclude_ids: tuple[str, ...] = field(default_factory=tuple)


@dataclass
class Hit:
    service: Service
    location: Location
    distance_km: float | None


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


def _open_clause(moment: dt.datetime):
    """Schedules open at ``moment`` in the local time of the location's country."""
    clauses = []
    for country, zone in TIMEZONES.items():
        local = moment.astimezone(zone)
        hhmm = local.strftime("%H:%M")
        day = DAY_CODES[local.weekday()]
        clauses.append(
            and_(
                Location.country == country,
                exists().where(
                    Schedule.service_id == Service.id,
                    Schedule.byday.contains(day),
                    Schedule.opens_at <= hhmm,
                    Schedule.closes_at > hhmm,
                ),
            )
        )
    return or_(*clauses)


def _statement(query: Query):
    conditions = [Service.active.is_(True), Location.active.is_(True), ServiceAtLocation.active]
    if query.category:
        conditions.append(
            exists().where(
                Attribute.link_entity == "service",
                Attribute.link_id == Service.id,
                Attribute.taxonomy_term_id == f"{TAXONOMY_ID}-{query.category}",
            )
        )
    if query.city:
        conditions.append(Location.city_normalised == query.city)
    if query.country:
        conditions.append(Location.country == query.country)
    if query.language:
        conditions.append(
            exists().where(Language.service_id == Service.id, Language.code == query.language)
        )
    if query.free_of_charge is not None:
        conditions.append(Service.free_of_charge.is_(query.free_of_charge))
    if query.no_papers_needed is not None:
        conditions.append(Service.no_papers_needed.is_(query.no_papers_needed))
    if query.national is not None:
        conditions.append(Service.national.is_(query.national))
    if query.open_at is not None:
        conditions.append(_open_clause(query.open_at))
    if query.exclude_ids:
        conditions.append(Service.id.not_in(query.exclude_ids))

    statement = (
        select(Service, Location)
        .join(ServiceAtLocation, ServiceAtLocation.service_id == Service.id)
        .join(Location, Location.id == ServiceAtLocation.location_id)
        .where(*conditions)
    )
    if query.latitude is not None and query.longitude is not None:
        scale = math.cos(math.radians(query.latitude))
        squared = (Location.latitude - query.latitude) * (Location.latitude - query.latitude) + (
            (Location.longitude - query.longitude) * scale
        ) * ((Location.longitude - query.longitude) * scale)
        statement = statement.where(Location.latitude.is_not(None))
        if query.radius_km:
            dlat = query.radius_km / KM_PER_DEGREE
            dlon = dlat / max(scale, 0.01)
            statement = statement.where(
                Location.latitude.between(query.latitude - dlat, query.latitude + dlat),
                Location.longitude.between(query.longitude - dlon, query.longitude + dlon),
            )
        return statement.order_by(squared, Service.national, Service.name, Service.id)
    # Local services before national ones, then the most recently verified first.
    return statement.order_by(
        Service.national, Service.assured_date.desc(), Service.name, Service.id
    )


def search(session: Session, query: Query, limit: int = 3, offset: int = 0) -> list[Hit]:
    rows = session.execute(_statement(query).limit(limit).offset(offset)).all()
    hits = []
    for service, location in rows:
        distance = None
        if (
            query.latitude is not None
            and query.longitude is not None
            and location.latitude is not None
            and location.longitude is not None
        ):
            distance = haversine_km(
                query.latitude, query.longitude, location.latitude, location.longitude
            )
            if query.radius_km and distance > query.radius_km:
                continue
        hits.append(Hit(service, location, distance))
    return hits


def count(session: Session, query: Query) -> int:
    return session.execute(select(func.count()).select_from(_statement(query).subquery())).scalar()


def translations(
    session: Session, entity_type: str, ids: list[str], language: str
) -> dict[tuple[str, str], str]:
    """(entity id, field) → text in ``language`` for the few records being shown."""
    if not ids:
        return {}
    rows = session.execute(
        select(Translation.entity_id, Translation.field, Translation.value).where(
            Translation.entity_type == entity_type,
            Translation.entity_id.in_(ids),
            Translation.language == language,
        )
    )
    return {(entity_id, name): value for entity_id, name, value in rows}
