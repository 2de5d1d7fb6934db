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
from sqlalchemy.orm import Session, lazyload

from bot.directory.models import (
    Attribute,
    Language,
    Location,
    Schedule,
    Service,
    ServiceAtLocation,
    Translation,
)
from bot.directory.seed import DAY_CODES, TAXONOMY_ID

TIMEZONES = {"BE": ZoneInfo("Europe/Brussels"), "MA": ZoneInfo("Africa/Casablanca")}
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


def _squared_distance(query: Query):
    """Equirectangular distance to the query's position, squared, in degrees of latitude."""
    scale = math.cos(math.radians(query.latitude))
    d_lat = Location.latitude - query.latitude
    d_lon = (Location.longitude - query.longitude) * scale
    return d_lat * d_lat + d_lon * d_lon


def _box(query: Query, km: float) -> list:
    """Latitude/longitude ranges around the query's position: served by ix_location_lat_lon."""
    dlat = km / KM_PER_DEGREE
    dlon = dlat / max(math.cos(math.radians(query.latitude)), 0.01)
    return [
        Location.latitude.between(query.latitude - dlat, query.latitude + dlat),
        Location.longitude.between(query.longitude - dlon, query.longitude + dlon),
    ]


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
        squared = _squared_distance(query)
        statement = statement.where(Location.latitude.is_not(None))
        if query.radius_km:
            statement = statement.where(*_box(query, query.radius_km))
        return statement.order_by(squared, Service.national, Service.name, Service.id)
    # Local services before national ones, then the most recently verified first.
    return statement.order_by(
        Service.national, Service.assured_date.desc(), Service.name, Service.id
    )


# Nearest-first search without a radius first looks inside circles of these sizes (km): a
# circle holding enough matches holds the nearest ones, and its bounding box lets the
# latitude/longitude index pick a few hundred locations instead of scanning every service.
NEAREST_STEPS_KM = (10.0, 50.0, 250.0)

# A hit's card needs phones, schedules, languages and addresses: those stay eagerly loaded.
# The back-references (organization -> all its services, location -> all its services, ...)
# would cascade into loading whole neighbourhoods of the graph; they load on access instead.
_LOADING = (
    lazyload(Service.organization),
    lazyload(Service.service_at_locations),
    lazyload(Service.attributes),
    lazyload(Service.translations),
    lazyload(Location.service_at_locations),
)


def _nearest_circle(session: Session, query: Query, wanted: int) -> float | None:
    """The smallest of NEAREST_STEPS_KM holding `wanted` matches, else None (search all)."""
    if abs(query.latitude) > 89:  # the bounding box would not hold the circle
        return None
    squared = _squared_distance(query)
    for km in NEAREST_STEPS_KM:
        degrees = km / KM_PER_DEGREE
        probe = (
            _statement(query)
            .with_only_columns(squared)
            .where(*_box(query, km), squared <= degrees * degrees)
            .order_by(None)
            .limit(1)
            .offset(wanted - 1)
        )
        if session.execute(probe).first() is not None:
            return km
    return None


def search(session: Session, query: Query, limit: int = 3, offset: int = 0) -> list[Hit]:
    statement = _statement(query).options(*_LOADING)
    near = query.latitude is not None and query.longitude is not None
    if near and not query.radius_km and limit:
        km = _nearest_circle(session, query, offset + limit)
        if km is not None:
            degrees = km / KM_PER_DEGREE
            statement = statement.where(
                *_box(query, km), _squared_distance(query) <= degrees * degrees
            )
    rows = session.execute(statement.limit(limit).offset(offset)).all()
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
    counted = _statement(query).order_by(None).subquery()
    return session.execute(select(func.count()).select_from(counted)).scalar()


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
