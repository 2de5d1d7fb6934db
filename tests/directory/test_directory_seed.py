"""Seeding the starter directory: complete, honest about sources, safe, and idempotent."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml
from sqlalchemy import func, select

from bot.directory.cities import get_city
from bot.directory.models import (
    ALL_MODELS,
    Address,
    Attribute,
    Location,
    Phone,
    Schedule,
    Service,
    Taxonomy,
    TaxonomyTerm,
    Translation,
)
from bot.directory.seed import CATEGORIES, SERVICES_PATH, TAXONOMY_ID, e164, load_services

RECORDS = yaml.safe_load(SERVICES_PATH.read_text(encoding="utf-8"))["services"]


def _counts(session) -> dict[str, int]:
    count = select(func.count())
    return {m.__tablename__: session.scalar(count.select_from(m)) for m in ALL_MODELS}


def test_seed_loads_the_directory(session):
    counts = _counts(session)
    assert counts["service"] == len(RECORDS) >= 60
    assert counts["service_at_location"] == counts["service"]
    assert counts["organization"] >= 50


def test_second_run_changes_nothing(session):
    before = _counts(session)
    stamps = dict(session.execute(select(Service.id, Service.last_modified)).all())
    stats = load_services(session, SERVICES_PATH)
    actions = ("created", "updated", "deleted")
    changes = {k: v for k, v in stats.items() if k.split(".")[-1] in actions}
    assert changes == {}
    assert _counts(session) == before
    assert dict(session.execute(select(Service.id, Service.last_modified)).all()) == stamps


def test_edited_record_is_updated_in_place(session, tmp_path):
    records = [dict(r) for r in RECORDS]
    target = next(r for r in records if len(r["phones"]) >= 2)
    target["phones"] = target["phones"][:1]
    target["categories"] = ["helpline"]
    path = tmp_path / "services.yml"
    path.write_text(yaml.safe_dump({"services": records}, allow_unicode=True), encoding="utf-8")
    before = session.get(Service, target["id"]).last_modified

    stats = load_services(session, path)

    assert (
        stats["phone.deleted"]
        == len(next(r for r in RECORDS if r["id"] == target["id"])["phones"]) - 1
    )
    service = session.get(Service, target["id"])
    assert len(service.phones) == 1
    assert [a.taxonomy_term.code for a in service.attributes] == ["helpline"]
    assert service.last_modified is not None and service.last_modified != before


def test_every_service_names_its_source_and_check_date(session):
    for service in session.scalars(select(Service)):
        assert service.source_urls, service.id
        assert all(url.startswith(("http://", "https://")) for url in service.source_urls)
        assert service.checked_at is not None, service.id
        assert service.assured_date == service.checked_at


def test_confidential_locations_have_no_address(session):
    confidential = session.scalars(select(Location).where(Location.confidential)).all()
    expected = {r["id"] for r in RECORDS if r["confidential_location"]}
    services = {sal.service_id for loc in confidential for sal in loc.service_at_locations}
    assert expected and services == expected
    for location in confidential:
        assert location.addresses == []
    assert (
        session.scalar(
            select(func.count()).select_from(Address).join(Location).where(Location.confidential)
        )
        == 0
    )


def test_addresses_kept_for_public_locations(session):
    with_street = [r for r in RECORDS if r["address"] and not r["confidential_location"]]
    assert session.scalar(select(func.count()).select_from(Address)) == len(with_street)


def test_city_centre_position_is_marked_approximate(session):
    for location in session.scalars(select(Location)):
        city = get_city(location.city_normalised)
        assert city is not None, location.city
        if location.position_approximate:
            assert (location.latitude, location.longitude) == (city.latitude, city.longitude)
        assert location.country == city.country


def test_categories_are_taxonomy_attributes(session):
    taxonomy = session.get(Taxonomy, TAXONOMY_ID)
    assert sorted(t.code for t in taxonomy.terms) == sorted(CATEGORIES)
    for term in taxonomy.terms:
        names = {t.language for t in term.translations if t.field == "name"}
        assert names == {"en", "fr", "nl", "ar"}
    expected = sum(len(set(r["categories"])) for r in RECORDS)
    assert session.scalar(select(func.count()).select_from(Attribute)) == expected
    shelters = session.scalars(
        select(Attribute.link_id).join(TaxonomyTerm).where(TaxonomyTerm.code == "shelter")
    ).all()
    assert "be-bru-fedasil-arrival-centre" in shelters


def test_translations_of_names(session):
    record = next(r for r in RECORDS if r["name"].get("ar"))
    rows = session.scalars(
        select(Translation).where(
            Translation.entity_type == "service",
            Translation.entity_id == record["id"],
            Translation.field == "name",
        )
    ).all()
    assert {r.language: r.value for r in rows} == {k: v for k, v in record["name"].items() if v}


def test_phones_keep_the_written_number_and_add_e164(session):
    phones = session.scalars(select(Phone)).all()
    written = {str(p["number"]) for r in RECORDS for p in r["phones"]}
    assert {p.number for p in phones} == written
    by_number = {p.number: p for p in phones}
    assert by_number["+32 9 396 44 00"].number_e164 == "+3293964400"
    assert by_number["1712"].number_e164 is None  # short code: no E.164 form
    assert all(p.number_e164 is None or p.number_e164.startswith("+") for p in phones)


def test_e164():
    assert e164("02/274.15.51", "BE") == "+3222741551"
    assert e164("+212 (0) 6 14 00 47 22", "MA") == "+212614004722"
    assert e164("116 000", "BE") is None
    assert e164("not a number", "BE") is None


def test_schedules_keep_text_and_parse_simple_hours(session):
    schedules = {s.service_id: s for s in session.scalars(select(Schedule))}
    assert len(schedules) == sum(1 for r in RECORDS if r["hours"])
    parsed = [s for s in schedules.values() if s.byday]
    assert parsed, "some seed hours are simple enough to parse"
    for schedule in parsed:
        assert schedule.freq == "WEEKLY" and schedule.opens_at < schedule.closes_at
    for schedule in schedules.values():
        assert schedule.description


def test_seed_command_line(tmp_path, migrate):
    """`python -m bot.directory.seed` loads into DATABASE_URL (after the migration)."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    migrate(url)
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(root)}
    for _ in range(2):
        result = subprocess.run(
            [sys.executable, "-m", "bot.directory.seed"],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
    assert f"'services.total': {len(RECORDS)}" in result.stderr
    assert ".created" not in result.stderr  # the second run created nothing
    assert Path(tmp_path / "cli.db").exists()
