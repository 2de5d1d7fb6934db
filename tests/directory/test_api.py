"""The HSDS 3.0 API under /hsds/: shapes valid against the official schemas, filters,
paging, proximity and clean errors, on SQLite and PostgreSQL (the `engine` fixture)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.directory.cities import get_city
from bot.directory.models import Address, Attribute, Location, Service, ServiceAtLocation
from bot.directory.seed import TAXONOMY_ID
from bot.web.app import app
from bot.web.hsds_api import get_session

SCHEMA_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "hsds" / "schema"
RABAT = (34.02, -6.83)
LEGAL_AID = f"{TAXONOMY_ID}-legal_aid"
PAGE_KEYS = {
    "total_items",
    "total_pages",
    "page_number",
    "size",
    "first_page",
    "last_page",
    "empty",
    "contents",
}


@pytest.fixture
def client(engine) -> Iterator[TestClient]:
    factory = sessionmaker(engine, expire_on_commit=False)

    def session_override() -> Iterator[Session]:
        with factory() as session:
            yield session

    app.dependency_overrides[get_session] = session_override
    try:
        yield TestClient(app)
    finally:
        app.dependency_overrides.pop(get_session, None)


@pytest.fixture(scope="module")
def plain_schema():
    """Validators for the non-compiled schemas (taxonomy, taxonomy_term), $refs resolved."""
    resources = []
    for path in SCHEMA_DIR.glob("*.json"):
        if path.name == "openapi.json":
            continue
        contents = json.loads(path.read_text(encoding="utf-8"))
        resources.append((path.name, Resource.from_contents(contents, DRAFT202012)))
    registry = Registry().with_resources(resources)

    def validate(name: str, document: dict) -> None:
        schema = registry[f"{name}.json"]
        validator = Draft202012Validator({"$ref": f"{name}.json"}, registry=registry)
        assert schema is not None
        errors = list(validator.iter_errors(document))
        assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])

    return validate


def get(client: TestClient, url: str, status: int = 200, **params) -> dict:
    response = client.get(url, params=params)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def all_pages(client: TestClient, url: str, **params) -> list[dict]:
    items, number = [], 1
    while True:
        body = get(client, url, page=number, per_page=100, **params)
        items += body["contents"]
        if body["last_page"]:
            return items
        number += 1


def active_service_ids(session: Session) -> set[str]:
    return set(session.scalars(select(Service.id).where(Service.active.is_(True))))


def equirectangular(lat: float, lon: float, origin: tuple[float, float]) -> float:
    scale = math.cos(math.radians(origin[0]))
    return math.hypot(lat - origin[0], (lon - origin[1]) * scale)


def distance_position(location: Location) -> tuple[float, float] | None:
    """What the API ranks by: confidential locations count as their city centre."""
    if location.confidential:
        city = get_city(location.city_normalised or "")
        return (city.latitude, city.longitude) if city and city.latitude is not None else None
    if location.latitude is None or location.longitude is None:
        return None
    return location.latitude, location.longitude


# --- meta and services -----------------------------------------------------------------------


def test_api_meta(client):
    body = get(client, "/hsds/")
    assert body["version"] == "3.0"
    assert body["openapi_url"].startswith("https://")
    assert set(body) <= {"version", "profile", "openapi_url"}


def test_services_list_is_a_valid_page(client, session, hsds_validator):
    body = get(client, "/hsds/services", per_page=100)
    assert set(body) == PAGE_KEYS
    ids = active_service_ids(session)
    assert body["total_items"] == len(ids) >= 60
    assert body["size"] == len(body["contents"]) == min(len(ids), 100)
    assert {s["id"] for s in body["contents"]} <= ids
    for item in body["contents"]:
        hsds_validator("service_list", item)
        assert item["status"] == "active"
        assert item["assured_date"]  # the date the record was last checked
        assert "phones" not in item  # the list shape carries one-to-one fields only


def test_every_listed_service_names_source_and_check_date(client, session, hsds_validator):
    items = all_pages(client, "/hsds/services", full="true")
    assert len(items) >= 60
    for item in items:
        hsds_validator("service", item)
        service = session.get(Service, item["id"])
        sources = [
            a["value"]
            for a in item["attributes"]
            if a["link_type"] == "source" and a["value"].startswith("http")
        ]
        assert sources, item["id"]
        assert set(sources) <= {s["url"] for s in service.sources}
        assert item["assured_date"] == service.checked_at.isoformat()


def test_minimal_services(client, hsds_validator):
    body = get(client, "/hsds/services", minimal="true")
    assert body["contents"]
    for item in body["contents"]:
        assert set(item) <= {"id", "name", "status", "last_modified"}
        hsds_validator("service_list", item)


def test_service_by_id(client, session, hsds_validator):
    service_id = "be-bru-fedasil-arrival-centre"
    body = get(client, f"/hsds/services/{service_id}")
    hsds_validator("service", body)
    assert body["id"] == service_id
    assert {"documentation", "shelter"} <= {a["taxonomy_term"]["code"] for a in body["attributes"]}
    assert get(client, f"/hsds/services/{service_id}", lang="nl")["name"] == (
        "Aanmeldcentrum Klein Kasteeltje"
    )
    notes = session.get(Service, service_id).notes
    assert notes and notes not in json.dumps(body, ensure_ascii=False)


def test_unknown_ids_are_404_json(client):
    for url in (
        "/hsds/services/no-such-service-zzqx",
        "/hsds/organizations/no-such-org-zzqx",
        "/hsds/service_at_locations/no-such-zzqx",
        "/hsds/taxonomies/no-such-zzqx",
        "/hsds/taxonomy_terms/no-such-zzqx",
    ):
        body = get(client, url, status=404)
        assert body["error"] == "not_found"
        assert "zzqx" not in json.dumps(body)


def test_inactive_services_are_not_published(client, engine):
    service_id = "be-bru-fedasil-arrival-centre"
    with Session(engine) as db:
        total = get(client, "/hsds/services")["total_items"]
        db.execute(update(Service).where(Service.id == service_id).values(active=False))
        db.commit()
        try:
            assert get(client, "/hsds/services")["total_items"] == total - 1
            get(client, f"/hsds/services/{service_id}", status=404)
            ids = {s["id"] for s in all_pages(client, "/hsds/services")}
            assert service_id not in ids
            sals = all_pages(client, "/hsds/service_at_locations")
            assert service_id not in {s["service_id"] for s in sals}
        finally:
            db.execute(update(Service).where(Service.id == service_id).values(active=True))
            db.commit()


# --- paging ----------------------------------------------------------------------------------


def test_pagination_math(client, session):
    total = len(active_service_ids(session))
    per_page = 7
    pages = math.ceil(total / per_page)
    seen: list[str] = []
    for number in range(1, pages + 1):
        body = get(client, "/hsds/services", page=number, per_page=per_page)
        assert body["total_items"] == total
        assert body["total_pages"] == pages
        assert body["page_number"] == number
        assert body["first_page"] is (number == 1)
        assert body["last_page"] is (number == pages)
        assert body["empty"] is False
        expected = per_page if number < pages else total - per_page * (pages - 1)
        assert body["size"] == len(body["contents"]) == expected
        seen += [s["id"] for s in body["contents"]]
    assert len(seen) == len(set(seen)) == total  # stable order, no gaps, no repeats

    beyond = get(client, "/hsds/services", page=pages + 1, per_page=per_page)
    assert beyond["contents"] == [] and beyond["size"] == 0
    assert beyond["empty"] is True and beyond["last_page"] is True
    assert beyond["total_items"] == total and beyond["page_number"] == pages + 1
    far = get(client, "/hsds/services", page=10**12)
    assert far["contents"] == [] and far["total_items"] == total


def test_per_page_is_capped_and_defaulted(client, session):
    total = len(active_service_ids(session))
    capped = get(client, "/hsds/services", per_page=1000)
    assert capped["size"] == min(total, 100)
    assert capped["total_pages"] == math.ceil(total / 100)
    default = get(client, "/hsds/services")
    assert default["size"] == min(total, 20) and default["page_number"] == 1


# --- filters ---------------------------------------------------------------------------------


def _with_term(session: Session, term_id: str) -> set[str]:
    return set(
        session.scalars(
            select(Attribute.link_id).where(
                Attribute.link_entity == "service", Attribute.taxonomy_term_id == term_id
            )
        )
    )


def _in_city(session: Session, city_id: str) -> set[str]:
    return set(
        session.scalars(
            select(ServiceAtLocation.service_id)
            .join(Location, Location.id == ServiceAtLocation.location_id)
            .where(Location.city_normalised == city_id)
        )
    )


def ids_of(client: TestClient, url: str = "/hsds/services", **params) -> set[str]:
    items = all_pages(client, url, **params)
    return {i["id"] for i in items}


def test_cumulative_filters(client, session):
    active = active_service_ids(session)
    legal = _with_term(session, LEGAL_AID) & active
    rabat = _in_city(session, "rabat") & active
    assert ids_of(client, taxonomy_term_id=LEGAL_AID) == legal
    assert ids_of(client, city="Rabat") == rabat
    both = ids_of(client, taxonomy_term_id=LEGAL_AID, city="Rabat")
    assert both == legal & rabat
    assert both and both < legal and both < rabat
    # Any spelling the city resolver knows reaches the same city.
    assert ids_of(client, taxonomy_term_id=LEGAL_AID, city="الرباط") == both
    assert ids_of(client, taxonomy_term_id=LEGAL_AID, city="RABAT", country="MA") == both
    assert ids_of(client, taxonomy_term_id=LEGAL_AID, city="Rabat", country="BE") == set()

    free = set(session.scalars(select(Service.id).where(Service.free_of_charge.is_(True))))
    morocco = {i for i in active if i.startswith("ma-")}
    assert ids_of(client, country="MA", free_of_charge="true") == free & morocco & active
    no_papers = set(session.scalars(select(Service.id).where(Service.no_papers_needed.is_(True))))
    assert ids_of(client, no_papers_needed="true", country="ma") == no_papers & morocco & active

    arabic = set(
        session.scalars(
            select(Service.id).where(Service.languages.any(code="ar"), Service.active.is_(True))
        )
    )
    assert ids_of(client, language="ar") == arabic
    assert ids_of(client, language="AR", city="Rabat") == arabic & rabat

    taxonomy = ids_of(client, taxonomy_id=TAXONOMY_ID)
    assert taxonomy == {i for i in active if _any_category(session, i)}
    org = session.get(Service, "be-bru-fedasil-arrival-centre").organization_id
    owned = set(session.scalars(select(Service.id).where(Service.organization_id == org)))
    assert ids_of(client, organization_id=org) == owned & active


def _any_category(session: Session, service_id: str) -> bool:
    return (
        session.scalar(
            select(Attribute.id).where(
                Attribute.link_entity == "service", Attribute.link_id == service_id
            )
        )
        is not None
    )


def test_search(client):
    assert "be-bru-fedasil-arrival-centre" in ids_of(client, search="petit-château")
    # Translations are searched too; wildcards are literal; nothing typed comes back.
    assert "be-bru-fedasil-arrival-centre" in ids_of(client, search="Klein Kasteeltje")
    assert ids_of(client, search="%") == set()
    assert ids_of(client, search="_") == set()
    body = get(client, "/hsds/services", search="zzqx-not-a-service")
    assert body["total_items"] == 0 and body["empty"] is True
    assert "zzqx" not in json.dumps(body)
    narrowed = ids_of(client, search="asylum", country="BE")
    assert narrowed and narrowed <= ids_of(client, search="asylum")
    assert all(i.startswith("be-") for i in narrowed)


def test_modified_after(client, session):
    total = len(active_service_ids(session))
    assert get(client, "/hsds/services", modified_after="2000-01-01")["total_items"] == total
    assert get(client, "/hsds/services", modified_after="2000-01-01T00:00:00Z")["total_items"] == (
        total
    )
    assert get(client, "/hsds/services", modified_after="2999-01-01T00:00:00+02:00")[
        "total_items"
    ] == (0)


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "params", "parameter"),
    [
        ("/hsds/services", {"page": "0"}, "page"),
        ("/hsds/services", {"page": "zzqx"}, "page"),
        ("/hsds/services", {"per_page": "-3"}, "per_page"),
        ("/hsds/services", {"per_page": "zzqx"}, "per_page"),
        ("/hsds/services", {"modified_after": "zzqx"}, "modified_after"),
        ("/hsds/services", {"country": "zzqx"}, "country"),
        ("/hsds/services", {"city": "Zzqxville"}, "city"),
        ("/hsds/services", {"language": "zzqx1"}, "language"),
        ("/hsds/services", {"free_of_charge": "zzqx"}, "free_of_charge"),
        ("/hsds/services", {"format": "zzqx"}, "format"),
        ("/hsds/services", {"lang": "zzqx"}, "lang"),
        ("/hsds/services", {"minimal": "true", "full": "true"}, "minimal"),
        ("/hsds/services", {"search": "zzqx" * 100}, "search"),
        ("/hsds/service_at_locations", {"proximity": "zzqx"}, "proximity"),
        ("/hsds/service_at_locations", {"proximity": "95,10"}, "proximity"),
        ("/hsds/service_at_locations", {"proximity": "34,-6,-5"}, "proximity"),
        ("/hsds/service_at_locations", {"proximity": "nan,1"}, "proximity"),
        ("/hsds/service_at_locations", {"proximity": "5000"}, "proximity"),
        ("/hsds/service_at_locations", {"proximity": "5000", "postcode": "99999"}, "postcode"),
        ("/hsds/service_at_locations", {"postcode": "zz<qx>"}, "postcode"),
        ("/hsds/organizations", {"full": "zzqx"}, "full"),
        ("/hsds/taxonomy_terms", {"top_only": "zzqx"}, "top_only"),
    ],
)
def test_bad_parameters_are_422_without_echo(client, url, params, parameter):
    response = client.get(url, params=params)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_parameter"
    assert body["parameter"] == parameter
    assert body["message"].startswith(parameter)
    assert "zzqx" not in response.text.lower() and "Traceback" not in response.text


# --- organizations ---------------------------------------------------------------------------


def test_organizations(client, hsds_validator):
    body = get(client, "/hsds/organizations", per_page=100)
    assert body["total_items"] >= 10 and body["contents"]
    for item in body["contents"]:
        hsds_validator("organization_list", item)
        assert "services" not in item
    full = get(client, "/hsds/organizations", full="true", per_page=5)
    for item in full["contents"]:
        hsds_validator("organization", item)
        assert item["services"]
    org_id = body["contents"][0]["id"]
    one = get(client, f"/hsds/organizations/{org_id}")
    hsds_validator("organization", one)
    nested = get(client, f"/hsds/organizations/{org_id}", full_service="true")
    hsds_validator("organization", nested)
    assert all("service_at_locations" in s for s in nested["services"])
    found = get(client, "/hsds/organizations", search="fedasil")
    assert found["total_items"] >= 1
    assert all("fedasil" in json.dumps(o).lower() for o in found["contents"])


# --- service_at_locations --------------------------------------------------------------------


def test_service_at_locations_validate(client, hsds_validator):
    items = all_pages(client, "/hsds/service_at_locations")
    assert len(items) >= 60
    for item in items:
        hsds_validator("service_at_location_list", item)
    for item in get(client, "/hsds/service_at_locations", full="true", per_page=10)["contents"]:
        hsds_validator("service_at_location", item)
    one = get(client, f"/hsds/service_at_locations/{items[0]['id']}")
    hsds_validator("service_at_location", one)
    assert one["service"]["id"] == items[0]["service_id"]


def test_confidential_locations_never_leak(client, session):
    confidential = session.scalars(
        select(ServiceAtLocation)
        .join(Location, Location.id == ServiceAtLocation.location_id)
        .where(Location.confidential.is_(True))
    ).all()
    assert confidential
    for sal in confidential:
        for document in (
            get(client, f"/hsds/service_at_locations/{sal.id}"),
            get(client, f"/hsds/services/{sal.service_id}"),
            *get(client, "/hsds/service_at_locations", search=sal.service.name)["contents"],
        ):
            text = json.dumps(document)
            assert '"addresses": [{' not in text
            assert '"latitude"' not in text and '"longitude"' not in text


def test_proximity_near_rabat(client, session):
    items = all_pages(client, "/hsds/service_at_locations", proximity=f"{RABAT[0]},{RABAT[1]}")
    assert len(items) == get(client, "/hsds/service_at_locations")["total_items"]
    locations = {
        loc.id: loc
        for loc in session.scalars(
            select(Location).where(Location.id.in_([i["location_id"] for i in items]))
        )
    }
    distances = []
    for item in items:
        position = distance_position(locations[item["location_id"]])
        distances.append(equirectangular(*position, RABAT) if position else math.inf)
    assert distances == sorted(distances)  # increasing distance, unknown positions last
    rabat = [i for i in items if locations[i["location_id"]].city_normalised == "rabat"]
    assert rabat and items[: len(rabat)] == rabat  # Rabat services first
    assert distances[0] < 0.1  # within about 11 km

    # lat,lon,metres keeps only what is within reach; other filters still apply.
    near = all_pages(client, "/hsds/service_at_locations", proximity="34.02,-6.83,25000")
    assert near == rabat
    legal = all_pages(
        client,
        "/hsds/service_at_locations",
        proximity="34.02,-6.83,25000",
        taxonomy_term_id=LEGAL_AID,
    )
    assert legal and {i["id"] for i in legal} < {i["id"] for i in rabat}
    assert {i["service_id"] for i in legal} <= _with_term(session, LEGAL_AID)
    assert get(client, "/hsds/service_at_locations", proximity="51.0,4.0,1000")["total_items"] == 0


def test_postcode(client, session):
    postcode = session.scalar(
        select(Address.postal_code)
        .join(Location, Location.id == Address.location_id)
        .where(Location.city_normalised == "rabat", Address.postal_code.is_not(None))
    )
    assert postcode
    exact = all_pages(client, "/hsds/service_at_locations", postcode=postcode)
    assert exact
    for item in exact:
        codes = {a.get("postal_code") for a in item["location"].get("addresses", [])}
        location = session.get(Location, item["location_id"])
        assert postcode in {a.postal_code for a in location.addresses} or postcode in codes
    # openapi form: proximity is metres around the postcode's centre.
    around = all_pages(client, "/hsds/service_at_locations", postcode=postcode, proximity="25000")
    assert len(around) >= len(exact)
    for item in around:
        assert session.get(Location, item["location_id"]).city_normalised == "rabat"


# --- taxonomies ------------------------------------------------------------------------------


def test_taxonomies(client, plain_schema):
    body = get(client, "/hsds/taxonomies")
    assert set(body) == PAGE_KEYS
    ids = {t["id"] for t in body["contents"]}
    assert TAXONOMY_ID in ids and "dalil-eligibility" in ids
    for item in body["contents"]:
        plain_schema("taxonomy", item)
        assert get(client, f"/hsds/taxonomies/{item['id']}") == item


def test_taxonomy_terms(client, plain_schema):
    terms = all_pages(client, "/hsds/taxonomy_terms")
    ids = {t["id"] for t in terms}
    assert LEGAL_AID in ids and "dalil-eligibility-free_of_charge" in ids
    assert len(ids) == len(terms)
    for item in terms:
        plain_schema("taxonomy_term", item)
        plain_schema("taxonomy_term", get(client, f"/hsds/taxonomy_terms/{item['id']}"))
    ours = get(client, "/hsds/taxonomy_terms", taxonomy_id=TAXONOMY_ID, per_page=100)
    assert ours["total_items"] == 12
    assert all(t["taxonomy_id"] == TAXONOMY_ID for t in ours["contents"])
    shelter = get(client, f"/hsds/taxonomy_terms/{TAXONOMY_ID}-shelter", lang="ar")
    assert shelter["name"] == "الإيواء"
    found = get(client, "/hsds/taxonomy_terms", search="الإيواء")["contents"]
    assert [t["id"] for t in found] == [f"{TAXONOMY_ID}-shelter"]
    top = get(client, "/hsds/taxonomy_terms", top_only="true", per_page=100)
    assert top["total_items"] == len(terms)  # our taxonomies are flat
    small = get(client, "/hsds/taxonomy_terms", per_page=5, page=3)
    assert small["size"] == 5 and small["page_number"] == 3  # database rows, then code terms


def test_eligibility_term_filters_services(client, session):
    flagged = set(
        session.scalars(
            select(Service.id).where(Service.free_of_charge.is_not(None), Service.active.is_(True))
        )
    )
    assert ids_of(client, taxonomy_term_id="dalil-eligibility-free_of_charge") == flagged
