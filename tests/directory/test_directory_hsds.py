"""HSDS 3.0 output: valid against the official compiled schemas, and safe."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from bot.directory.hsds import (
    organization_to_hsds,
    page,
    service_at_location_to_hsds,
    service_to_hsds,
    taxonomy_term_to_hsds,
    taxonomy_to_hsds,
)
from bot.directory.models import Organization, Service, ServiceAtLocation, Taxonomy
from bot.directory.seed import TAXONOMY_ID


@pytest.mark.parametrize("language", [None, "ar"])
def test_every_service_validates(session, hsds_validator, language):
    services = session.scalars(select(Service)).all()
    assert len(services) >= 60
    for service in services:
        document = service_to_hsds(service, language)
        hsds_validator("service", document)
        stamp = dt.datetime.fromisoformat(document["last_modified"].replace("Z", "+00:00"))
        assert stamp.tzinfo is not None  # HSDS date-time needs an offset
        hsds_validator("service_list", service_to_hsds(service, language, full=False))


def test_every_organization_validates(session, hsds_validator):
    for organization in session.scalars(select(Organization)):
        document = organization_to_hsds(organization, "fr")
        hsds_validator("organization", document)
        assert document["services"]


def test_every_service_at_location_validates(session, hsds_validator):
    for sal in session.scalars(select(ServiceAtLocation)):
        hsds_validator("service_at_location", service_at_location_to_hsds(sal, "nl"))


def test_taxonomy_output(session):
    taxonomy = session.get(Taxonomy, TAXONOMY_ID)
    assert taxonomy_to_hsds(taxonomy)["id"] == TAXONOMY_ID
    terms = {t.code: taxonomy_term_to_hsds(t, "ar") for t in taxonomy.terms}
    assert terms["shelter"]["name"] == "الإيواء"
    assert terms["shelter"]["language"] == "ar"
    assert terms["shelter"]["taxonomy_detail"]["id"] == TAXONOMY_ID


def test_list_page_validates(session, hsds_validator):
    services = session.scalars(select(Service).order_by(Service.id).limit(10)).all()
    body = page([service_to_hsds(s, full=False) for s in services], total=76, page=1, per_page=10)
    assert body["total_pages"] == 8 and body["first_page"] and not body["last_page"]
    for item in body["contents"]:
        hsds_validator("service_list", item)


def test_page_arithmetic():
    assert page([], 0, 1, 20) == {
        "total_items": 0, "total_pages": 1, "page_number": 1, "size": 0,
        "first_page": True, "last_page": True, "empty": True, "contents": [],
    }  # fmt: skip
    assert page([{}], 41, 3, 20)["last_page"] is True


def test_translated_names(session):
    service = session.get(Service, "be-bru-fedasil-arrival-centre")
    assert service_to_hsds(service, "nl")["name"] == "Aanmeldcentrum Klein Kasteeltje"
    assert service_to_hsds(service, "en")["name"].startswith("Arrival centre")
    # Descriptions come from translations.yml; a language without one falls back to English.
    arabic = service_to_hsds(service, "ar")["description"]
    assert arabic != service.description and any("\u0600" <= c <= "\u06ff" for c in arabic)
    assert service_to_hsds(service, "de")["description"] == service.description


def test_categories_and_eligibility_are_attributes(session):
    service = session.get(Service, "be-bru-fedasil-arrival-centre")
    codes = {a["taxonomy_term"]["code"] for a in service_to_hsds(service)["attributes"]}
    assert {"documentation", "shelter"} <= codes
    flagged = session.scalars(select(Service).where(Service.free_of_charge.is_not(None))).first()
    if flagged is not None:
        values = {
            a["taxonomy_term"]["code"]: a["value"]
            for a in service_to_hsds(flagged)["attributes"]
            if a["link_type"] == "eligibility"
        }
        assert values["free_of_charge"] == ("true" if flagged.free_of_charge else "false")


def test_confidential_locations_never_leak(session):
    services = [
        s
        for s in session.scalars(select(Service))
        if any(sal.location.confidential for sal in s.service_at_locations)
    ]
    assert services
    for service in services:
        for document in (
            service_to_hsds(service),
            *(service_at_location_to_hsds(sal) for sal in service.service_at_locations),
        ):
            text = json.dumps(document)
            assert '"addresses": [{' not in text
            assert '"latitude"' not in text and '"longitude"' not in text


def test_staff_notes_are_not_published(session):
    for service in session.scalars(select(Service).where(Service.notes.is_not(None))):
        assert service.notes not in json.dumps(service_to_hsds(service), ensure_ascii=False)
