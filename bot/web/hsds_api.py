"""HSDS 3.0 API under /hsds/ (../shared/hsds/schema/openapi.json).

Required endpoints `/`, `/services`, `/services/{id}`; optional `/organizations`,
`/service_at_locations`, `/taxonomies`, `/taxonomy_terms` (each with `/{id}`).
Filtering, counting and paging happen in SQL (EXISTS subqueries on the indexed link columns,
COUNT, LIMIT/OFFSET on ids only, see `_paginate_ids`); only the records of the requested page
are loaded and mapped to HSDS JSON by `bot.directory.hsds`. Only active records are published,
confidential locations keep their address and position to themselves (also from proximity
search: a shelter is placed at its city centre), and no text a client sent is ever echoed
back, not even in error messages.

Extensions to the standard query parameters: `country`, `city` (any spelling
`bot.directory.cities.resolve_city` knows), `language` (spoken at the service),
`free_of_charge`, `no_papers_needed`, and `lang` (output language: en, fr, nl, ar).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
import traceback
from collections.abc import Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    exists,
    false,
    func,
    null,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session, defaultload, lazyload, selectinload
from sqlalchemy.orm.interfaces import LoaderOption

from bot import db
from bot.directory.cities import cities, resolve_city
from bot.directory.hsds import (
    ELIGIBILITY_FLAGS,
    ELIGIBILITY_TAXONOMY,
    Json,
    eligibility_term,
    location_to_hsds,
    organization_to_hsds,
    page,
    service_at_location_to_hsds,
    service_to_hsds,
    taxonomy_term_to_hsds,
    taxonomy_to_hsds,
)
from bot.directory.models import (
    Address,
    Attribute,
    Language,
    Location,
    Organization,
    Service,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
    Translation,
    derived_id,
)
from bot.directory.search import KM_PER_DEGREE
from bot.settings import SUPPORTED_LANGUAGES

log = logging.getLogger(__name__)

HSDS_VERSION = "3.0"
OPENAPI_URL = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/openapi.json"
DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
MAX_TEXT = 200  # longest search/filter text accepted
METRES_PER_DEGREE = KM_PER_DEGREE * 1000  # one degree of latitude
ELIGIBILITY_TERM_PREFIX = f"{ELIGIBILITY_TAXONOMY['id']}-"
PROVENANCE_TAXONOMY = {
    "id": "dalil-provenance",
    "name": "Dalil provenance",
    "description": "Where a record's information comes from; value is the source URL.",
    "version": "1",
}
PROVENANCE_TERM = {
    "id": f"{PROVENANCE_TAXONOMY['id']}-source",
    "code": "source",
    "name": "Source",
    "description": "A public page the record was copied from and checked against.",
    "taxonomy": PROVENANCE_TAXONOMY["id"],
    "taxonomy_id": PROVENANCE_TAXONOMY["id"],
    "language": "en",
}


# --- errors ----------------------------------------------------------------------------------


class ApiError(Exception):
    """An error answer: clean JSON, a fixed message, never the client's own text."""

    def __init__(self, status: int, error: str, message: str, parameter: str | None = None):
        super().__init__(message)
        self.status, self.error, self.message, self.parameter = status, error, message, parameter

    def response(self) -> JSONResponse:
        body: Json = {"error": self.error, "message": self.message}
        if self.parameter:
            body["parameter"] = self.parameter
        return JSONResponse(body, status_code=self.status)


def _bad(parameter: str, message: str) -> ApiError:
    return ApiError(422, "invalid_parameter", f"{parameter}: {message}", parameter)


def _not_found(kind: str) -> ApiError:
    return ApiError(404, "not_found", f"No active {kind} has this id.")


_TYPE_MESSAGES = {
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "bool_parsing": "must be true or false",
    "missing": "is required",
}


class _HsdsRoute(APIRoute):
    """Turns parameter errors and failures into short JSON answers (no input, no trace)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        path = self.path

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except ApiError as exc:
                return exc.response()
            except RequestValidationError as exc:
                first = exc.errors()[0] if exc.errors() else {}
                loc = [str(p) for p in first.get("loc", ()) if p not in ("query", "path")]
                name = loc[-1] if loc else "request"
                message = _TYPE_MESSAGES.get(first.get("type", ""), "has an invalid value")
                return _bad(name, message).response()
            except Exception as exc:  # noqa: BLE001 - a client gets a clean 500, the log the trace
                # Frames only: the exception message may quote SQL parameters (search text).
                frames = "".join(traceback.format_tb(exc.__traceback__))
                log.error("HSDS API failure on %s: %s\n%s", path, type(exc).__name__, frames)
                return ApiError(500, "internal_error", "The directory is unavailable.").response()

        return route


router = APIRouter(prefix="/hsds", tags=["hsds"], route_class=_HsdsRoute)


# --- dependencies ----------------------------------------------------------------------------


def get_session() -> Iterator[Session]:
    """One read-only session per request."""
    session = db.session_factory()()
    try:
        yield session
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session)]


@dataclass(frozen=True)
class Paging:
    page: int
    per_page: int
    lang: str | None

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def paging(
    page: Annotated[int | None, Query(description="Page number, from 1.")] = None,
    per_page: Annotated[
        int | None, Query(description=f"Items per page (max {MAX_PER_PAGE}).")
    ] = None,
    format: Annotated[str | None, Query(description="Only `json` is supported.")] = None,
    lang: Annotated[
        str | None, Query(description="Language of names and descriptions: en, fr, nl, ar.")
    ] = None,
) -> Paging:
    if page is not None and page < 1:
        raise _bad("page", "must be 1 or more")
    if per_page is not None and per_page < 1:
        raise _bad("per_page", "must be 1 or more")
    if format is not None and format.strip().lower() != "json":
        raise _bad("format", "only json is supported")
    language = None
    if lang is not None:
        language = lang.strip().lower()
        if language not in SUPPORTED_LANGUAGES:
            raise _bad("lang", f"must be one of {', '.join(SUPPORTED_LANGUAGES)}")
    return Paging(
        page=page or 1,
        per_page=min(per_page or DEFAULT_PER_PAGE, MAX_PER_PAGE),
        lang=language,
    )


PagingDep = Annotated[Paging, Depends(paging)]


def output_language(
    lang: Annotated[str | None, Query(description="en, fr, nl or ar.")] = None,
) -> str | None:
    return paging(lang=lang).lang


LangDep = Annotated[str | None, Depends(output_language)]


def _text(parameter: str, value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if len(value) > MAX_TEXT:
        raise _bad(parameter, f"must be at most {MAX_TEXT} characters")
    if any(ord(ch) < 32 for ch in value):
        raise _bad(parameter, "must not contain control characters")
    return value


def _datetime(parameter: str, value: str | None) -> dt.datetime | None:
    value = _text(parameter, value)
    if value is None:
        return None
    try:
        stamp = dt.datetime.fromisoformat(value.replace(" ", "+"))
    except ValueError:
        raise _bad(parameter, "must be an ISO 8601 date or date-time") from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.timezone.utc)
    return stamp.astimezone(dt.timezone.utc)


@dataclass(frozen=True)
class ServiceFilters:
    search: str | None = None
    taxonomy_term_id: str | None = None
    taxonomy_id: str | None = None
    organization_id: str | None = None
    modified_after: dt.datetime | None = None
    country: str | None = None
    city_id: str | None = None
    city_country: str | None = None
    language: str | None = None
    free_of_charge: bool | None = None
    no_papers_needed: bool | None = None


def service_filters(
    search: Annotated[str | None, Query(description="Text in name or description.")] = None,
    taxonomy_term_id: str | None = None,
    taxonomy_id: str | None = None,
    organization_id: str | None = None,
    modified_after: Annotated[
        str | None, Query(description="ISO 8601 date-time; naive means UTC.")
    ] = None,
    country: Annotated[str | None, Query(description="ISO 3166-1 alpha-2 (BE, MA).")] = None,
    city: Annotated[str | None, Query(description="City name in any known spelling.")] = None,
    language: Annotated[
        str | None, Query(description="ISO 639 code spoken at the service.")
    ] = None,
    free_of_charge: bool | None = None,
    no_papers_needed: bool | None = None,
) -> ServiceFilters:
    country_code = _text("country", country)
    if country_code is not None:
        if not re.fullmatch(r"[A-Za-z]{2}", country_code):
            raise _bad("country", "must be a two-letter ISO 3166-1 code")
        country_code = country_code.upper()
    city_text = _text("city", city)
    found = resolve_city(city_text) if city_text else None
    if city_text and found is None:
        raise _bad("city", "unknown city")
    language_code = _text("language", language)
    if language_code is not None:
        if not re.fullmatch(r"[A-Za-z]{2,3}", language_code):
            raise _bad("language", "must be an ISO 639 language code")
        language_code = language_code.lower()
    return ServiceFilters(
        search=_text("search", search),
        taxonomy_term_id=_text("taxonomy_term_id", taxonomy_term_id),
        taxonomy_id=_text("taxonomy_id", taxonomy_id),
        organization_id=_text("organization_id", organization_id),
        modified_after=_datetime("modified_after", modified_after),
        country=country_code,
        city_id=found.id if found else None,
        city_country=found.country if found else None,
        language=language_code,
        free_of_charge=free_of_charge,
        no_papers_needed=no_papers_needed,
    )


FiltersDep = Annotated[ServiceFilters, Depends(service_filters)]


# --- SQL building blocks ---------------------------------------------------------------------


def _contains(column: Any, text: str) -> ColumnElement[bool]:
    """Case-insensitive substring match with LIKE wildcards in `text` taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")


def _translated_match(entity_type: str, entity_id: Any, text: str) -> ColumnElement[bool]:
    return exists(
        select(Translation.id).where(
            Translation.entity_type == entity_type,
            Translation.entity_id == entity_id,
            Translation.field.in_(("name", "description")),
            _contains(Translation.value, text),
        )
    )


def _eligibility_flag(term_id: str) -> str | None:
    if term_id.startswith(ELIGIBILITY_TERM_PREFIX):
        flag = term_id[len(ELIGIBILITY_TERM_PREFIX) :]
        if flag in ELIGIBILITY_FLAGS:
            return flag
    return None


def _service_attribute(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists(
        select(Attribute.id)
        .join(TaxonomyTerm, TaxonomyTerm.id == Attribute.taxonomy_term_id)
        .where(
            Attribute.link_entity == "service",
            Attribute.link_id == Service.id,
            TaxonomyTerm.active == true(),
            *conditions,
        )
    )


def _location_conditions(filters: ServiceFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.country:
        conditions.append(Location.country == filters.country)
    if filters.city_id:
        # country first: the (country, city_normalised) index serves the lookup.
        conditions.append(Location.country == filters.city_country)
        conditions.append(Location.city_normalised == filters.city_id)
    return conditions


MAX_INLINE_INACTIVE = 200  # more inactive organizations than this: a NOT IN subquery


def inactive_organizations(session: Session) -> list[str] | None:
    """Ids of the inactive organizations (few, usually none), or None when there are many."""
    statement = select(Organization.id).where(Organization.active == false())
    ids = list(session.scalars(statement.limit(MAX_INLINE_INACTIVE + 1)))
    return ids if len(ids) <= MAX_INLINE_INACTIVE else None


def _organization_active(inactive: Sequence[str] | None = None) -> ColumnElement[bool]:
    """The service's organization is active.

    Written as `organization_id NOT IN (inactive organizations)`, with the ids inlined when
    the caller read them (`inactive_organizations`): the database checks each service against
    a short list from the listing index (`ix_service_listing` holds organization_id) and, with
    constants, estimates the rows well enough to page in index order; an organization lookup
    per service (`EXISTS`, or a join) made every COUNT and deep page cost ~50,000 lookups.
    Same rows as `EXISTS (active organization with this id)`: organization_id is NOT NULL and
    a foreign key to organization.id, and organizations are deactivated, never deleted.
    """
    if inactive is None:
        subquery = select(Organization.id).where(Organization.active == false())
        return Service.organization_id.not_in(subquery)
    return Service.organization_id.not_in(inactive) if inactive else true()


def service_conditions(
    filters: ServiceFilters,
    *,
    location_joined: bool = False,
    inactive: Sequence[str] | None = None,
) -> list[ColumnElement[bool]]:
    """WHERE clauses on `Service` for the filters; all of them must hold (AND).

    With `location_joined` the location filters apply to the joined `Location` row (the
    service_at_location listing); otherwise the service needs one active location matching.
    `inactive`: the result of `inactive_organizations`, if the caller read it.
    """
    conditions: list[ColumnElement[bool]] = [Service.active == true()]
    if inactive is None or inactive:
        conditions.append(_organization_active(inactive))
    if filters.search:
        conditions.append(
            or_(
                _contains(Service.name, filters.search),
                _contains(Service.description, filters.search),
                _translated_match("service", Service.id, filters.search),
            )
        )
    if filters.taxonomy_term_id:
        flag = _eligibility_flag(filters.taxonomy_term_id)
        if flag:
            conditions.append(getattr(Service, flag).is_not(None))
        else:
            conditions.append(
                _service_attribute(Attribute.taxonomy_term_id == filters.taxonomy_term_id)
            )
    if filters.taxonomy_id:
        if filters.taxonomy_id == ELIGIBILITY_TAXONOMY["id"]:
            conditions.append(or_(*(getattr(Service, f).is_not(None) for f in ELIGIBILITY_FLAGS)))
        else:
            conditions.append(_service_attribute(TaxonomyTerm.taxonomy_id == filters.taxonomy_id))
    if filters.organization_id:
        conditions.append(Service.organization_id == filters.organization_id)
    if filters.modified_after:
        conditions.append(Service.last_modified >= filters.modified_after)
    if filters.language:
        conditions.append(
            exists(
                select(Language.id).where(
                    Language.service_id == Service.id, func.lower(Language.code) == filters.language
                )
            )
        )
    if filters.free_of_charge is not None:
        conditions.append(Service.free_of_charge == filters.free_of_charge)
    if filters.no_papers_needed is not None:
        conditions.append(Service.no_papers_needed == filters.no_papers_needed)
    located = _location_conditions(filters)
    if located and not location_joined:
        conditions.append(
            exists(
                select(ServiceAtLocation.id)
                .join(Location, Location.id == ServiceAtLocation.location_id)
                .where(
                    ServiceAtLocation.service_id == Service.id,
                    ServiceAtLocation.active == true(),
                    Location.active == true(),
                    *located,
                )
            )
        )
    elif located:
        conditions.extend(located)
    return conditions


def _paginate(
    session: Session,
    statement: Select[Any],
    paging: Paging,
    render: Callable[[Any], Json],
    extras: Sequence[Json] = (),
) -> Json:
    """COUNT, then one LIMIT/OFFSET query for the page; `extras` (fixed records that live in
    code, not in tables) follow the database rows."""
    counted = statement.with_only_columns(func.count(), maintain_column_froms=True)
    total_db = int(session.scalar(counted.order_by(None)) or 0)
    items: list[Json] = []
    if paging.offset < total_db:
        rows = session.scalars(statement.limit(paging.per_page).offset(paging.offset)).unique()
        items = [render(row) for row in rows]
    start = max(paging.offset - total_db, 0)
    items += list(extras[start : start + paging.per_page - len(items)])
    body = page(items, total_db + len(extras), paging.page, paging.per_page)
    body["empty"] = not items  # Page.empty: this page holds nothing (also past the last page)
    return body


def _paginate_ids(
    session: Session,
    ids: Select[Any],
    order: Sequence[ColumnElement[Any]],
    load: Callable[[list[Any]], Sequence[Any]],
    paging: Paging,
    render: Callable[[Any], Json],
    *,
    reversible: bool = True,
    counted: Select[Any] | None = None,
) -> Json:
    """`_paginate` for the big listings, in three cheap statements.

    `ids` selects the primary key of the listed records with their filters (no ORDER BY, no
    eager loads): COUNT runs on it as it is, and the page is the ids at LIMIT/OFFSET in `order`
    (which must be unique, ending in a primary key), read from the listing indexes. Pages in
    the second half are read from the end (`order` descending, then reversed: the same rows in
    the same order), so no page skips more than half of the records. `load` then fetches the
    page's records by id, with what rendering needs eagerly loaded. `counted`: a cheaper
    statement giving the same COUNT, if there is one.
    """
    if counted is None:
        counted = ids.with_only_columns(func.count(), maintain_column_froms=True)
    total = int(session.scalar(counted) or 0)
    items: list[Json] = []
    if paging.offset < total:
        size = min(paging.per_page, total - paging.offset)
        after = total - paging.offset - size  # records after this page
        if reversible and after < paging.offset:
            backwards = ids.order_by(*(c.desc() for c in order)).limit(size).offset(after)
            page_ids = list(session.scalars(backwards))[::-1]
        else:
            forwards = ids.order_by(*order).limit(size).offset(paging.offset)
            page_ids = list(session.scalars(forwards))
        records = {record.id: record for record in load(page_ids)} if page_ids else {}
        items = [render(records[i]) for i in page_ids if i in records]
    body = page(items, total, paging.page, paging.per_page)
    body["empty"] = not items  # Page.empty: this page holds nothing (also past the last page)
    return body


# --- provenance ------------------------------------------------------------------------------


def _with_provenance(service: Service, data: Json) -> Json:
    """Each source URL as an attribute, unless the mapping layer already publishes them.

    Every seeded record names where it came from (`sources`) and when it was checked
    (`assured_date`); HSDS has no source field, so sources travel as attributes of a small
    provenance taxonomy, the way the eligibility flags do.
    """
    urls = [s.get("url") for s in service.sources or [] if isinstance(s, dict) and s.get("url")]
    attributes = data.get("attributes")
    if not urls or attributes is None:
        return data
    if any(a.get("link_type") == "source" for a in attributes) or data.get("metadata"):
        return data
    for url in dict.fromkeys(urls):
        attributes.append(
            {
                "id": derived_id("attribute", service.id, "source", url),
                "link_id": service.id,
                "link_type": "source",
                "link_entity": "service",
                "taxonomy_term_id": PROVENANCE_TERM["id"],
                "value": url,
                "taxonomy_term": {**PROVENANCE_TERM, "taxonomy_detail": dict(PROVENANCE_TAXONOMY)},
            }
        )
    return data


def _service_full(service: Service, language: str | None) -> Json:
    return _with_provenance(service, service_to_hsds(service, language))


# --- API meta --------------------------------------------------------------------------------


@router.get("/", summary="HSDS API meta information")
def api_meta() -> Json:
    return {"version": HSDS_VERSION, "openapi_url": OPENAPI_URL}


# --- services --------------------------------------------------------------------------------


# What the service mappings read. Listings load only these, in a few IN (...) statements for
# the whole page: the default eager loads would also cascade through the back-references
# (organization -> all its services -> their children, location -> all its services, ...).
def _translations(language: str | None) -> Callable[..., Any]:
    """Translations are read only for an output language (`translated`)."""
    return selectinload if language else lazyload


def _service_loading(*, full: bool, language: str | None) -> list[LoaderOption]:
    translations = _translations(language)
    organization = defaultload(Service.organization)
    options: list[LoaderOption] = [
        organization.lazyload(Organization.services),
        organization.options(translations(Organization.translations)),
        translations(Service.translations),
    ]
    if not full:
        return options + [
            lazyload(Service.service_at_locations),
            lazyload(Service.phones),
            lazyload(Service.schedules),
            lazyload(Service.languages),
            lazyload(Service.attributes),
        ]
    sal = selectinload(Service.service_at_locations)
    term = selectinload(Service.attributes).defaultload(Attribute.taxonomy_term)
    return options + [
        sal.lazyload(ServiceAtLocation.service),
        sal.defaultload(ServiceAtLocation.location).lazyload(Location.service_at_locations),
        selectinload(Service.phones),
        selectinload(Service.schedules),
        selectinload(Service.languages),
        term.defaultload(TaxonomyTerm.taxonomy_detail).lazyload(Taxonomy.terms),
        term.options(translations(TaxonomyTerm.translations)),
    ]


def _load(session: Session, model: Any, ids: Sequence[str], options: Sequence[Any]) -> list[Any]:
    statement = select(model).where(model.id.in_(ids)).options(*options)
    return list(session.scalars(statement).unique())


SERVICE_ORDER = (Service.name, Service.id)  # served by ix_service_listing


@router.get("/services", summary="Paginated list of services")
def list_services(
    session: SessionDep,
    paging: PagingDep,
    filters: FiltersDep,
    minimal: bool = False,
    full: bool = False,
) -> Json:
    if minimal and full:
        raise _bad("minimal", "cannot be combined with full=true")
    if minimal:

        def render(service: Service) -> Json:
            data = service_to_hsds(service, paging.lang, full=False)
            keep = ("id", "name", "status", "last_modified")
            return {k: data[k] for k in keep if k in data}

    elif full:

        def render(service: Service) -> Json:
            return _service_full(service, paging.lang)

    else:

        def render(service: Service) -> Json:
            return service_to_hsds(service, paging.lang, full=False)

    inactive = inactive_organizations(session)
    ids = select(Service.id).where(*service_conditions(filters, inactive=inactive))
    full_load = full and not minimal
    return _paginate_ids(
        session,
        ids,
        SERVICE_ORDER,
        lambda page_ids: _load(
            session, Service, page_ids, _service_loading(full=full_load, language=paging.lang)
        ),
        paging,
        render,
        counted=_count_all_services(inactive) if filters == ServiceFilters() else None,
    )


def _count_all_services(inactive: Sequence[str] | None) -> Select[Any] | None:
    """COUNT of the unfiltered listing: all services minus the few unpublished ones.

    Both counts are cheap (a table's row count; the inactive services and those of inactive
    organizations through `ix_service_active`), where counting the published ones checks
    every row. One statement, so one snapshot.
    """
    if inactive is None:
        return None
    unpublished = [Service.active == false()]
    if inactive:
        unpublished.append(Service.organization_id.in_(inactive))
    everything = select(func.count()).select_from(Service).scalar_subquery()
    hidden = select(func.count()).select_from(Service).where(or_(*unpublished)).scalar_subquery()
    return select(everything - hidden)


def _active_service(session: Session, service_id: str) -> Service:
    service = session.scalar(
        select(Service).where(Service.id == service_id, *service_conditions(ServiceFilters()))
    )
    if service is None:
        raise _not_found("service")
    return service


@router.get("/services/{id}", summary="Fully nested service")
def get_service(id: str, session: SessionDep, lang: LangDep) -> Json:
    return _service_full(_active_service(session, id), lang)


# --- organizations ---------------------------------------------------------------------------


def _organization_json(
    organization: Organization, language: str | None, *, full: bool, full_service: bool
) -> Json:
    if not (full or full_service):
        return organization_to_hsds(organization, language, nested=False)
    data = organization_to_hsds(organization, language)
    if full_service:
        data["services"] = [_service_full(s, language) for s in organization.services if s.active]
    return data


@router.get("/organizations", summary="Paginated list of organizations")
def list_organizations(
    session: SessionDep,
    paging: PagingDep,
    search: str | None = None,
    full: bool = False,
    full_service: bool = False,
) -> Json:
    text = _text("search", search)
    ids = select(Organization.id).where(Organization.active == true())
    if text:
        ids = ids.where(
            or_(
                _contains(Organization.name, text),
                _contains(Organization.description, text),
                _translated_match("organization", Organization.id, text),
            )
        )
    if full or full_service:
        # organization.services keeps its default loading (and so its order); below it, what
        # a full service needs.
        loading = _service_loading(full=True, language=paging.lang)
        options: list[Any] = [selectinload(Organization.services).options(*loading)]
    else:
        options = [lazyload(Organization.services)]
    options.append(_translations(paging.lang)(Organization.translations))
    return _paginate_ids(
        session,
        ids,
        (Organization.name, Organization.id),  # served by ix_organization_listing
        lambda page_ids: _load(session, Organization, page_ids, options),
        paging,
        lambda o: _organization_json(o, paging.lang, full=full, full_service=full_service),
    )


@router.get("/organizations/{id}", summary="Fully nested organization")
def get_organization(
    id: str, session: SessionDep, lang: LangDep, full_service: bool = False
) -> Json:
    organization = session.scalar(
        select(Organization).where(Organization.id == id, Organization.active == true())
    )
    if organization is None:
        raise _not_found("organization")
    return _organization_json(organization, lang, full=True, full_service=full_service)


# --- service_at_locations --------------------------------------------------------------------


@dataclass(frozen=True)
class Proximity:
    latitude: float
    longitude: float
    radius: float | None  # metres
    around_postcode: bool = False  # openapi form: the point is the postcode's centre


def _float(parameter: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise _bad(parameter, "must hold numbers") from None
    if not math.isfinite(value):
        raise _bad(parameter, "must hold finite numbers")
    return value


def _proximity(session: Session, proximity: str | None, postcode: str | None) -> Proximity | None:
    """`lat,lon`, `lat,lon,metres`, or the openapi form: metres around `postcode`'s centre."""
    text = _text("proximity", proximity)
    if text is None:
        return None
    parts = [p.strip() for p in text.split(",")]
    if len(parts) == 1:
        radius = _float("proximity", parts[0])
        if radius <= 0:
            raise _bad("proximity", "the distance must be more than 0 metres")
        if postcode is None:
            raise _bad("proximity", "a distance alone needs postcode; or send lat,lon[,metres]")
        lat, lon = session.execute(
            select(func.avg(Location.latitude), func.avg(Location.longitude))
            .join(Address, Address.location_id == Location.id)
            .where(
                Address.postal_code == postcode,
                Location.active == true(),
                Location.confidential == false(),
                Location.latitude.is_not(None),
                Location.longitude.is_not(None),
            )
        ).one()
        if lat is None or lon is None:
            raise _bad("postcode", "no known location has this postcode")
        return Proximity(float(lat), float(lon), radius, around_postcode=True)
    if len(parts) not in (2, 3):
        raise _bad("proximity", "must be lat,lon or lat,lon,metres (decimal degrees)")
    lat, lon = _float("proximity", parts[0]), _float("proximity", parts[1])
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise _bad("proximity", "latitude must be within -90..90 and longitude -180..180")
    radius = _float("proximity", parts[2]) if len(parts) == 3 else None
    if radius is not None and radius <= 0:
        raise _bad("proximity", "the distance must be more than 0 metres")
    return Proximity(lat, lon, radius)


def _city_centre(axis: str) -> Any:
    """CASE city_normalised WHEN <city> THEN <centre> ...: a confidential location's position."""
    whens = [
        (Location.city_normalised == city.id, getattr(city, axis))
        for city in cities().values()
        if city.latitude is not None and city.longitude is not None
    ]
    return case(*whens, else_=null()) if whens else null()


def _published_position() -> tuple[Any, Any]:
    """Position used for distances: a confidential location counts as its city centre."""
    latitude = case(
        (Location.confidential == true(), _city_centre("latitude")), else_=Location.latitude
    )
    longitude = case(
        (Location.confidential == true(), _city_centre("longitude")), else_=Location.longitude
    )
    return latitude, longitude


def _sal_statement(
    filters: ServiceFilters,
    postcode: str | None,
    near: Proximity | None,
    inactive: Sequence[str] | None = None,
) -> tuple[Select[Any], tuple[ColumnElement[Any], ...]]:
    """The ids of the listed service_at_locations and their order."""
    statement = (
        select(ServiceAtLocation.id)
        .join(Service, Service.id == ServiceAtLocation.service_id)
        .join(Location, Location.id == ServiceAtLocation.location_id)
        .where(
            ServiceAtLocation.active == true(),
            Location.active == true(),
            *service_conditions(filters, location_joined=True, inactive=inactive),
        )
    )
    if postcode and not (near and near.around_postcode):
        statement = statement.where(
            Location.confidential == false(),
            exists(
                select(Address.id).where(
                    Address.location_id == Location.id, Address.postal_code == postcode
                )
            ),
        )
    if near is None:
        return statement, (Service.name, ServiceAtLocation.id)
    latitude, longitude = _published_position()
    scale = math.cos(math.radians(near.latitude))
    d_lat = latitude - near.latitude
    d_lon = (longitude - near.longitude) * scale
    distance2 = d_lat * d_lat + d_lon * d_lon  # equirectangular, in degrees of latitude squared
    if near.radius is not None:
        degrees = near.radius / METRES_PER_DEGREE
        lon_span = degrees / max(scale, 1e-6)
        nearby_cities = [
            c.id
            for c in cities().values()
            if c.latitude is not None
            and abs(c.latitude - near.latitude) <= degrees
            and abs((c.longitude - near.longitude) * scale) <= degrees
        ]
        statement = statement.where(
            or_(
                and_(  # bounding box first: ix_location_lat_lon narrows the rows
                    Location.confidential == false(),
                    Location.latitude.between(near.latitude - degrees, near.latitude + degrees),
                    Location.longitude.between(
                        near.longitude - lon_span, near.longitude + lon_span
                    ),
                ),
                and_(Location.confidential == true(), Location.city_normalised.in_(nearby_cities)),
            ),
            distance2 <= degrees * degrees,
        )
    order = (distance2.is_(None), distance2, Service.name, ServiceAtLocation.id)
    return statement, order


def _sal_list_item(sal: ServiceAtLocation, language: str | None) -> Json:
    data: Json = {"id": sal.id, "service_id": sal.service_id, "location_id": sal.location_id}
    if sal.description:
        data["description"] = sal.description
    location = location_to_hsds(sal.location)
    data["location"] = {k: v for k, v in location.items() if not isinstance(v, list)}
    data["service"] = service_to_hsds(sal.service, language, full=False)
    return data


def _sal_full(sal: ServiceAtLocation, language: str | None) -> Json:
    data = service_at_location_to_hsds(sal, language)
    _with_provenance(sal.service, data["service"])
    return data


@router.get("/service_at_locations", summary="Paginated list of services at locations")
def list_service_at_locations(
    session: SessionDep,
    paging: PagingDep,
    filters: FiltersDep,
    full: bool = False,
    postcode: str | None = None,
    proximity: Annotated[
        str | None,
        Query(
            description="`lat,lon` (sort by distance), `lat,lon,metres` (and keep those within), "
            "or metres around the centre of `postcode`."
        ),
    ] = None,
) -> Json:
    code = _text("postcode", postcode)
    if code is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 \-]{0,19}", code):
        raise _bad("postcode", "must be letters, digits, spaces or dashes (at most 20)")
    near = _proximity(session, proximity, code)
    ids, order = _sal_statement(filters, code, near, inactive_organizations(session))

    def render(sal: ServiceAtLocation) -> Json:
        return _sal_full(sal, paging.lang) if full else _sal_list_item(sal, paging.lang)

    loading = _service_loading(full=full, language=paging.lang)
    service = defaultload(ServiceAtLocation.service).options(*loading)
    location = defaultload(ServiceAtLocation.location).lazyload(Location.service_at_locations)
    return _paginate_ids(
        session,
        ids,
        order,
        lambda page_ids: _load(session, ServiceAtLocation, page_ids, [service, location]),
        paging,
        render,
        reversible=near is None,  # distances are computed per row: no index to walk back
    )


@router.get("/service_at_locations/{id}", summary="Fully nested service at location")
def get_service_at_location(id: str, session: SessionDep, lang: LangDep) -> Json:
    sal = session.scalar(
        select(ServiceAtLocation)
        .join(Service, Service.id == ServiceAtLocation.service_id)
        .join(Location, Location.id == ServiceAtLocation.location_id)
        .where(
            ServiceAtLocation.id == id,
            ServiceAtLocation.active == true(),
            Location.active == true(),
            *service_conditions(ServiceFilters()),
        )
    )
    if sal is None:
        raise _not_found("service_at_location")
    return _sal_full(sal, lang)


# --- taxonomies ------------------------------------------------------------------------------


def _eligibility_terms() -> list[Json]:
    """The eligibility flags are published as terms of a taxonomy that lives in code."""
    return [eligibility_term(flag, label) for flag, label in ELIGIBILITY_FLAGS.items()] + [
        {**PROVENANCE_TERM, "taxonomy_detail": dict(PROVENANCE_TAXONOMY)}
    ]


def _code_taxonomies() -> list[Json]:
    return [dict(ELIGIBILITY_TAXONOMY), dict(PROVENANCE_TAXONOMY)]


def _matches(record: Json, text: str | None, fields: Sequence[str]) -> bool:
    if not text:
        return True
    needle = text.casefold()
    return any(needle in str(record.get(f) or "").casefold() for f in fields)


@router.get("/taxonomies", summary="Paginated list of taxonomies")
def list_taxonomies(session: SessionDep, paging: PagingDep, search: str | None = None) -> Json:
    text = _text("search", search)
    statement = select(Taxonomy).where(Taxonomy.active == true())
    if text:
        statement = statement.where(
            or_(_contains(Taxonomy.name, text), _contains(Taxonomy.description, text))
        )
    statement = statement.order_by(Taxonomy.name, Taxonomy.id)
    extras = [t for t in _code_taxonomies() if _matches(t, text, ("name", "description"))]
    return _paginate(session, statement, paging, taxonomy_to_hsds, extras)


@router.get("/taxonomies/{id}", summary="A taxonomy")
def get_taxonomy(id: str, session: SessionDep) -> Json:
    for taxonomy in _code_taxonomies():
        if taxonomy["id"] == id:
            return taxonomy
    found = session.scalar(select(Taxonomy).where(Taxonomy.id == id, Taxonomy.active == true()))
    if found is None:
        raise _not_found("taxonomy")
    return taxonomy_to_hsds(found)


@router.get("/taxonomy_terms", summary="Paginated list of taxonomy terms")
def list_taxonomy_terms(
    session: SessionDep,
    paging: PagingDep,
    search: str | None = None,
    taxonomy_id: str | None = None,
    parent_id: str | None = None,
    top_only: Annotated[bool, Query(description="Only terms without a parent.")] = False,
) -> Json:
    text = _text("search", search)
    taxonomy = _text("taxonomy_id", taxonomy_id)
    parent = _text("parent_id", parent_id)
    statement = select(TaxonomyTerm).where(TaxonomyTerm.active == true())
    if text:
        statement = statement.where(
            or_(
                _contains(TaxonomyTerm.name, text),
                _contains(TaxonomyTerm.description, text),
                _contains(TaxonomyTerm.code, text),
                _translated_match("taxonomy_term", TaxonomyTerm.id, text),
            )
        )
    if taxonomy:
        statement = statement.where(TaxonomyTerm.taxonomy_id == taxonomy)
    if parent:
        statement = statement.where(TaxonomyTerm.parent_id == parent)
    if top_only:
        statement = statement.where(TaxonomyTerm.parent_id.is_(None))
    statement = statement.order_by(TaxonomyTerm.taxonomy_id, TaxonomyTerm.code, TaxonomyTerm.id)
    extras = [
        t
        for t in _eligibility_terms()
        if not parent
        and (not taxonomy or t["taxonomy_id"] == taxonomy)
        and _matches(t, text, ("name", "description", "code"))
    ]
    return _paginate(
        session, statement, paging, lambda t: taxonomy_term_to_hsds(t, paging.lang), extras
    )


@router.get("/taxonomy_terms/{id}", summary="A taxonomy term")
def get_taxonomy_term(id: str, session: SessionDep, lang: LangDep) -> Json:
    for term in _eligibility_terms():
        if term["id"] == id:
            return term
    found = session.scalar(
        select(TaxonomyTerm).where(TaxonomyTerm.id == id, TaxonomyTerm.active == true())
    )
    if found is None:
        raise _not_found("taxonomy_term")
    return taxonomy_term_to_hsds(found, lang)
