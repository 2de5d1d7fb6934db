"""Directory import/export (bot.directory.transfer and the CLI) on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

import bot.db
import bot.settings
from bot.directory import transfer
from bot.directory.models import ALL_MODELS
from bot.directory.transfer import TransferError, import_file

ROOT = Path(__file__).resolve().parents[2]
FILES = Path(__file__).resolve().parent / "files"


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template(engine, migrate, tmp_path_factory):
    """An empty migrated database on the same backend as `engine`, copied per test."""
    if engine.url.get_backend_name() == "sqlite":
        path = tmp_path_factory.mktemp("template") / "empty.db"
        migrate(f"sqlite:///{path}")
        yield ("sqlite", path)
        return
    admin = create_engine(engine.url, isolation_level="AUTOCOMMIT")
    name = f"dalil_tmpl_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    migrate(engine.url.set(database=name).render_as_string(hide_password=False))
    yield ("postgresql", name)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def fresh(engine, template, tmp_path):
    """An engine on a new, empty, migrated database."""
    kind, source = template
    if kind == "sqlite":
        path = tmp_path / "fresh.db"
        shutil.copy(source, path)
        fresh_engine = create_engine(f"sqlite:///{path}")
        yield fresh_engine
        fresh_engine.dispose()
        return
    admin = create_engine(engine.url, isolation_level="AUTOCOMMIT")
    name = f"dalil_fresh_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source}"'))
    fresh_engine = create_engine(engine.url.set(database=name))
    yield fresh_engine
    fresh_engine.dispose()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module")
def exported(engine, tmp_path_factory):
    """The seeded database exported once: JSON text, CSV texts, and their files."""
    folder = tmp_path_factory.mktemp("export")
    with Session(engine) as session:
        document = transfer.dumps_json(transfer.export_json(session))
        files = transfer.export_csv(session)
    (folder / "directory.json").write_text(document, encoding="utf-8")
    transfer.write_csv(files, folder / "csv")
    transfer.write_csv(files, folder / "directory.zip")
    return {"json": document, "csv": files, "dir": folder}


@pytest.fixture
def copy(fresh, exported):
    """A full copy of the seeded database (through the CSV import)."""
    _import(fresh, exported["dir"] / "csv")
    return fresh


def _import(engine, path, **kwargs):
    with Session(engine) as session, session.begin():
        return import_file(session, path, **kwargs)


def _snapshot(engine) -> tuple[dict[str, int], str, dict[str, str]]:
    """Row counts, the JSON export and the CSV export: the whole database, comparably."""
    with Session(engine) as session:
        counts = {
            m.__tablename__: session.scalar(select(func.count()).select_from(m)) for m in ALL_MODELS
        }
        return (
            counts,
            transfer.dumps_json(transfer.export_json(session)),
            transfer.export_csv(session),
        )


def _rows(text_: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text_, newline="")))


def _csv_text(rows: list[list[str]]) -> str:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def _append(csv_text: str, row: list[str]) -> tuple[str, int]:
    """`csv_text` with `row` added at the end, and the line the row starts on."""
    return csv_text + _csv_text([row]), csv_text.count("\n") + 1


# --- round trips and idempotency -----------------------------------------------------------


def test_json_round_trip(fresh, exported, hsds_validator):
    document = json.loads(exported["json"])
    assert len(document) >= 60
    for item in document[:5]:
        hsds_validator("service", item)
    result = _import(fresh, exported["dir"] / "directory.json")
    assert result.stats["service.created"] == len(document)
    assert result.stats["total.updated"] == result.stats["total.unchanged"] == 0
    assert _snapshot(fresh)[1] == exported["json"]


@pytest.mark.parametrize("name", ["csv", "directory.zip"])
def test_csv_round_trip(fresh, exported, name):
    result = _import(fresh, exported["dir"] / name)
    assert result.format == "csv"
    assert result.stats["total.created"] > 0 and result.stats["total.updated"] == 0
    _, document, files = _snapshot(fresh)
    assert files == exported["csv"]  # every table, every column: a faithful copy
    assert document == exported["json"]
    assert set(files) >= {"services.csv", "translations.csv", "taxonomy_terms.csv"}
    header = _rows(files["services.csv"])[0]
    assert {"organization_id", "dalil_free_of_charge", "dalil_source_urls"} <= set(header)
    assert "dalil_confidential" in _rows(files["locations.csv"])[0]


@pytest.mark.parametrize("name", ["directory.json", "csv"])
def test_import_is_idempotent(fresh, exported, name):
    first = _import(fresh, exported["dir"] / name)
    assert first.stats["total.created"] > 0
    second = _import(fresh, exported["dir"] / name)
    assert second.stats["total.created"] == second.stats["total.updated"] == 0
    assert second.stats["total.deleted"] == 0
    assert second.stats["total.unchanged"] == first.stats["total.created"]


def test_reimporting_the_export_changes_nothing(copy, exported):
    before = _snapshot(copy)
    for name in ("directory.json", "csv"):
        result = _import(copy, exported["dir"] / name)
        assert result.stats["total.created"] == result.stats["total.updated"] == 0, name
    assert _snapshot(copy) == before  # hidden data (confidential addresses...) survives


def test_json_import_updates_and_syncs_children(copy, exported, tmp_path):
    document = json.loads(exported["json"])
    with_phones = next(s for s in document if len(s["phones"]) >= 1)
    with_phones["name"] = "Renamed service"
    removed = with_phones["phones"].pop()
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    result = _import(copy, path)
    assert result.stats["service.updated"] == 1
    assert result.stats["phone.deleted"] == 1
    assert result.stats["total.created"] == 0
    with Session(copy) as session:
        assert session.get(transfer.Service, with_phones["id"]).name == "Renamed service"
        assert session.get(transfer.Phone, removed["id"]) is None
    assert _import(copy, path).stats["total.updated"] == 0


# --- refused files -------------------------------------------------------------------------


def _broken_json(exported, tmp_path, edit) -> Path:
    document = json.loads(exported["json"])
    edit(document)
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def _category_attribute(document) -> tuple[int, int]:
    for i, service in enumerate(document):
        for j, attribute in enumerate(service["attributes"]):
            if attribute["link_type"] == "service_category":
                return i, j
    raise AssertionError("no category attribute")


def _unknown_term(document):
    i, j = _category_attribute(document)
    attribute = document[i]["attributes"][j]
    attribute["taxonomy_term_id"] = "dalil-service-category-banking"
    attribute["taxonomy_term"]["id"] = "dalil-service-category-banking"
    attribute["taxonomy_term"]["code"] = "banking"
    return i, j


def _located(document) -> int:
    return next(i for i, s in enumerate(document) if s["service_at_locations"])


JSON_CASES = {
    "missing_name": (
        lambda d: d[3].pop("name"),
        lambda d: ['broken.json [3]: field "name": required field is missing'],
    ),
    "unknown_term": (
        _unknown_term,
        lambda d: [
            f"broken.json [{_category_attribute(d)[0]}].attributes[{_category_attribute(d)[1]}]"
            '.taxonomy_term: field "id": unknown taxonomy term "dalil-service-category-banking"'
        ],
    ),
    "bad_lat": (
        lambda d: d[_located(d)]["service_at_locations"][0]["location"].update(
            latitude=123.5, longitude=4.0
        ),
        lambda d: [
            f"broken.json [{_located(d)}].service_at_locations[0].location: "
            'field "latitude": 123.5 is not between -90 and 90'
        ],
    ),
    "duplicate_id": (
        lambda d: d.append(dict(d[0], phones=[], schedules=[], languages=[], attributes=[])),
        lambda d: [f'broken.json [{len(d)}]: field "id": duplicate id "{d[0]["id"]}"'],
    ),
    "unknown_organization": (
        lambda d: (d[2].pop("organization"), d[2].update(organization_id="org-x")),
        lambda d: ['broken.json [2]: field "organization_id": unknown organization "org-x"'],
    ),
    "wrong_types": (
        lambda d: d[1].update(minimum_age="six", status="open", assured_date="2024-13-45"),
        lambda d: [
            'broken.json [1]: field "minimum_age": expected a whole number, got string "six"',
            "broken.json [1]: field \"assured_date\": not a valid date: '2024-13-45'",
            'broken.json [1]: field "status": "open" is not one of "active", "inactive"',
        ],
    ),
}


@pytest.mark.parametrize("case", sorted(JSON_CASES))
def test_broken_json_is_refused_and_nothing_changes(copy, exported, tmp_path, case):
    edit, expected = JSON_CASES[case]
    original = json.loads(exported["json"])
    path = _broken_json(exported, tmp_path, edit)
    before = _snapshot(copy)
    with pytest.raises(TransferError) as caught:
        _import(copy, path)
    for message in expected(original):
        assert any(e.startswith(message) for e in caught.value.errors), (
            message,
            caught.value.errors,
        )
    assert _snapshot(copy) == before


def test_invalid_json_syntax(copy, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('[\n  {"id": "x",]\n', encoding="utf-8")
    before = _snapshot(copy)
    with pytest.raises(TransferError) as caught:
        _import(copy, path)
    assert caught.value.errors == [
        "bad.json line 2 column 14: invalid JSON: Expecting property name enclosed in double quotes"
    ]
    not_a_list = tmp_path / "object.json"
    not_a_list.write_text('{"id": "x"}', encoding="utf-8")
    with pytest.raises(TransferError) as caught:
        _import(copy, not_a_list)
    assert caught.value.errors == ["object.json: expected a JSON array of HSDS service objects"]
    assert _snapshot(copy) == before


def test_broken_csv_collects_every_error(copy, exported, tmp_path):
    """Several bad rows in several files: all reported with file, line and field."""
    files = dict(exported["csv"])
    services = _rows(files["services.csv"])
    header = services[0]
    first = dict(zip(header, services[1], strict=True))

    unknown_org = dict(first, id="new-service", organization_id="org-x")
    files["services.csv"], unknown_org_line = _append(
        files["services.csv"], [unknown_org[c] for c in header]
    )
    files["services.csv"], duplicate_line = _append(files["services.csv"], services[1])
    missing_name = dict(first, id="nameless", name="")
    files["services.csv"], missing_line = _append(
        files["services.csv"], [missing_name[c] for c in header]
    )

    locations = _rows(files["locations.csv"])
    location = dict(zip(locations[0], locations[1], strict=True))
    bad = dict(location, id="bad-location", latitude="123", dalil_country="XX")
    files["locations.csv"], location_line = _append(
        files["locations.csv"], [bad[c] for c in locations[0]]
    )

    attributes = _rows(files["attributes.csv"])
    attribute = dict(zip(attributes[0], attributes[1], strict=True))
    unknown = dict(attribute, id="new-attribute", taxonomy_term_id="no-such-term")
    files["attributes.csv"], attribute_line = _append(
        files["attributes.csv"], [unknown[c] for c in attributes[0]]
    )

    phones = _rows(files["phones.csv"])
    phone = dict(zip(phones[0], phones[1], strict=True))
    bad_phone = dict(phone, id="bad-phone", number="call us!", dalil_number_e164="")
    files["phones.csv"], phone_line = _append(
        files["phones.csv"], [bad_phone[c] for c in phones[0]]
    )

    folder = tmp_path / "broken"
    transfer.write_csv(files, folder)
    before = _snapshot(copy)
    with pytest.raises(TransferError) as caught:
        _import(copy, folder)
    errors = caught.value.errors
    expected = [
        f'services.csv line {unknown_org_line}: field "organization_id": '
        'unknown organization "org-x"',
        f'services.csv line {duplicate_line}: field "id": duplicate id "{first["id"]}" '
        "(first at services.csv line 2)",
        f'services.csv line {missing_line}: field "name": required field is missing',
        f'locations.csv line {location_line}: field "latitude": 123.0 is not between -90 and 90',
        f'locations.csv line {location_line}: field "dalil_country": "XX" is not an ISO 3166-1',
        f'attributes.csv line {attribute_line}: field "taxonomy_term_id": '
        'unknown taxonomy term "no-such-term"',
        f'phones.csv line {phone_line}: field "number": "call us!" is not a phone number',
    ]
    for message in expected:
        assert any(e.startswith(message) for e in errors), (message, errors)
    assert len(errors) == len(expected)
    assert _snapshot(copy) == before


def test_csv_type_errors_and_missing_columns(copy, tmp_path):
    folder = tmp_path / "typed"
    folder.mkdir()
    (folder / "organizations.csv").write_text("id,name\norg-new,New org\n", encoding="utf-8")
    (folder / "services.csv").write_text(
        "id,organization_id,name,status,minimum_age,dalil_free_of_charge,last_modified\n"
        "svc-1,org-new,Help,active,ten,perhaps,yesterday\n",
        encoding="utf-8",
    )
    (folder / "phones.csv").write_text("id,service_id\nphone-1,svc-1\n", encoding="utf-8")
    before = _snapshot(copy)
    with pytest.raises(TransferError) as caught:
        _import(copy, folder)
    assert caught.value.errors == [
        "services.csv line 2: field \"minimum_age\": expected a whole number, got 'ten'",
        'services.csv line 2: field "dalil_free_of_charge": expected true or false, '
        "got 'perhaps'",
        'services.csv line 2: field "last_modified": expected an ISO 8601 date-time, '
        "got 'yesterday'",
        'phones.csv line 1: field "number": required column is missing',
    ]
    assert _snapshot(copy) == before


def test_fixture_files_are_refused(copy):
    """Hand-written broken files kept under tests/directory/files/."""
    with pytest.raises(TransferError) as caught:
        _import(copy, FILES / "broken_services.json")
    assert caught.value.errors == [
        'broken_services.json [0]: field "organization_id": unknown organization "org-x"',
        'broken_services.json [1]: field "name": required field is missing',
        'broken_services.json [0].service_at_locations[0].location: field "latitude": '
        "-91.0 is not between -90 and 90",
        'broken_services.json [0].phones[0]: field "number": "not a number" is not a phone '
        "number (The string supplied did not seem to be a phone number.)",
    ]
    result = _import(copy, FILES / "valid_services.json")
    assert result.stats["service.created"] == 1 and result.stats["organization.created"] == 1
    with Session(copy) as session:
        location = session.get(transfer.Location, "fixture-location-1")
        assert (location.country, location.city_normalised) == ("BE", "brussels")
        phone = session.get(transfer.Phone, "fixture-phone-1")
        assert phone.number_e164 == "+3225551234"


def test_database_error_mid_import_rolls_everything_back(copy, exported, monkeypatch, capsys):
    """A failure after some tables were flushed: the CLI reports it and nothing stays."""
    from bot.directory.__main__ import main

    document = json.loads(exported["json"])
    for service in document:
        service["id"] = "copy-" + service["id"]
        for key in ("phones", "schedules", "languages", "service_at_locations", "attributes"):
            for child in service[key]:
                child["id"] = "copy-" + child["id"]
                child.pop("service_id", None)
                child.pop("link_id", None)
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"mid-{uuid.uuid4().hex}.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    original = transfer._ordered

    def failing(table, records):
        if table.name == "phone":
            raise OperationalError("INSERT INTO phone", {}, Exception("disk I/O error"))
        return original(table, records)

    monkeypatch.setattr(transfer, "_ordered", failing)
    url = copy.url.render_as_string(hide_password=False)
    monkeypatch.setenv("DATABASE_URL", url)
    _reset()
    before = _snapshot(copy)
    try:
        assert main(["import", str(path)]) == 1
    finally:
        bot.db.get_engine().dispose()
        _reset()
        path.unlink()
    err = capsys.readouterr().err
    assert "the database refused the import (OperationalError: disk I/O error)" in err
    assert "Traceback" not in err
    assert _snapshot(copy) == before


def _reset() -> None:
    bot.settings.get_settings.cache_clear()
    bot.db.get_engine.cache_clear()
    bot.db.session_factory.cache_clear()


# --- the CLI as a subprocess (SQLite) ------------------------------------------------------


@pytest.fixture(scope="module")
def cli_db(migrate, tmp_path_factory):
    """A seeded SQLite database for subprocess runs (one backend is enough here)."""
    from bot.directory.seed import load_services

    path = tmp_path_factory.mktemp("cli") / "cli.db"
    url = f"sqlite:///{path}"
    migrate(url)
    engine = create_engine(url)
    with Session(engine) as session, session.begin():
        load_services(session)
    engine.dispose()
    return path


def _cli(db: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{db}", PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "bot.directory", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_export_import_round_trip(cli_db, tmp_path):
    db = tmp_path / "cli.db"
    shutil.copy(cli_db, db)
    out = tmp_path / "out.json"
    done = _cli(db, "export", "--out", str(out))
    assert done.returncode == 0, done.stderr
    stdout = _cli(db, "export")
    assert stdout.returncode == 0 and stdout.stdout == out.read_text(encoding="utf-8")
    done = _cli(db, "export", "--format", "csv", "--out", str(tmp_path / "dump.zip"))
    assert done.returncode == 0, done.stderr
    done = _cli(db, "import", str(out), "--progress")
    assert done.returncode == 0, done.stderr
    assert "service: " in done.stdout and "total: 0 created, 0 updated" in done.stdout
    assert "writing" in done.stderr  # --progress draws the bar even without a TTY
    done = _cli(db, "import", str(tmp_path / "dump.zip"), "--dry-run")
    assert done.returncode == 0 and "dry run" in done.stdout


@pytest.mark.parametrize(
    "content, expected",
    [
        ("[{", "error: broken.json line 1 column 3: invalid JSON"),
        (
            '[{"id": "s", "status": "active", "organization_id": "org-x"}]',
            'error: broken.json [0]: field "organization_id": unknown organization "org-x"',
        ),
    ],
)
def test_cli_refuses_bad_input_without_traceback(cli_db, tmp_path, content, expected):
    db = tmp_path / "cli.db"
    shutil.copy(cli_db, db)
    before = db.read_bytes()
    path = tmp_path / "broken.json"
    path.write_text(content, encoding="utf-8")
    done = _cli(db, "import", str(path))
    assert done.returncode == 1
    assert expected in done.stderr
    assert "nothing was imported" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert db.read_bytes() == before  # not a byte written


def test_cli_missing_file_and_usage(cli_db, tmp_path):
    db = tmp_path / "cli.db"
    shutil.copy(cli_db, db)
    done = _cli(db, "import", str(tmp_path / "nope.json"))
    assert done.returncode == 1 and "no such file or directory" in done.stderr
    assert "Traceback" not in done.stderr
    done = _cli(db, "export", "--format", "csv")
    assert done.returncode == 2 and "needs --out" in done.stderr
    done = _cli(db, "frobnicate")
    assert done.returncode == 2 and "Traceback" not in done.stderr
