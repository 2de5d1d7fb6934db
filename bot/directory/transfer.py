"""Import and export of the service directory: HSDS JSON and HSDS tabular CSV.

Two formats:

* **HSDS JSON** — a JSON array of HSDS service objects exactly as `service_to_hsds` writes
  them (nested organization, service_at_locations/location/addresses, phones, schedules,
  languages, attributes). It is the *published* shape, so it is lossy on purpose: no
  translations, staff notes or provenance, and confidential or approximate positions are
  hidden. Importing it therefore only writes what HSDS carries and leaves hidden data alone
  (a confidential shelter keeps its address; an approximate position stays approximate).
* **HSDS tabular CSV** — a directory or .zip of CSV files named after the HSDS tables
  (organizations.csv, services.csv, ...) with HSDS column names. Our extension columns are
  prefixed `dalil_` (dalil_free_of_charge, dalil_confidential, dalil_source_urls, ...) and
  translations travel in translations.csv. It is a complete staff backup: it contains
  confidential addresses and staff notes, so never publish it.

Imports upsert by id, are idempotent, validate every record before writing anything and run
in the caller's transaction: any error means nothing is written. JSON imports make each
service's phones, schedules, languages, attributes and service_at_locations (and each
location's addresses) exactly what the file says; CSV imports only upsert, never delete.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import phonenumbers
from sqlalchemy import JSON, Boolean, Date, DateTime, Float, Integer, UniqueConstraint, select
from sqlalchemy.orm import Session, lazyload

from bot.directory.cities import city_key
from bot.directory.hsds import ELIGIBILITY_FLAGS, ELIGIBILITY_TAXONOMY, service_to_hsds
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
    utcnow,
)
from bot.directory.seed import CATEGORIES, TAXONOMY_ID, e164
from bot.settings import get_settings

EXTENSION_PREFIX = "dalil_"


def _noop(n: int) -> None:
    return None


ELIGIBILITY_TERM_PREFIX = f"{ELIGIBILITY_TAXONOMY['id']}-"
CATEGORY_TERM_PREFIX = f"{TAXONOMY_ID}-"

# ISO 3166-1 alpha-2: every region phonenumbers knows plus the uninhabited ones it lacks.
COUNTRY_CODES = frozenset(phonenumbers.SUPPORTED_REGIONS) | {"AQ", "BV", "GS", "HM", "TF", "UM"}
_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")
_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?(Z|[+-]\d{2}:\d{2})?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_INT = re.compile(r"[+-]?\d+")

ENUMS: dict[tuple[str, str], tuple[str, ...]] = {
    ("service", "status"): ("active", "inactive", "defunct", "temporarily closed"),
    ("location", "location_type"): ("physical", "postal", "virtual"),
    ("address", "address_type"): ("physical", "postal", "virtual"),
    ("schedule", "freq"): ("WEEKLY", "MONTHLY"),
    ("schedule", "wkst"): ("MO", "TU", "WE", "TH", "FR", "SA", "SU"),
}
# Values an empty CSV cell (or an absent JSON key) stands for in non-nullable columns.
DEFAULTS: dict[str, Any] = {
    "active": True,
    "national": False,
    "position_approximate": False,
    "confidential": False,
    "position": 0,
    "source_urls": [],
    "sources": [],
}


@dataclass(frozen=True)
class Table:
    model: type
    csv_name: str
    required: tuple[str, ...]
    extensions: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.model.__tablename__

    @property
    def columns(self) -> list[str]:
        """Attribute names: HSDS columns in model order, then our extensions."""
        keys = [c.key for c in self.model.__table__.columns]
        return [k for k in keys if k not in self.extensions] + [
            k for k in keys if k in self.extensions
        ]

    def csv_column(self, attr: str) -> str:
        return EXTENSION_PREFIX + attr if attr in self.extensions else attr


# Write order: every table after the tables it references.
TABLES: tuple[Table, ...] = (
    Table(Taxonomy, "taxonomies.csv", ("id", "name", "description"), ("active",)),
    Table(TaxonomyTerm, "taxonomy_terms.csv", ("id", "name", "description"), ("active",)),
    Table(Organization, "organizations.csv", ("id", "name"), ("active",)),
    Table(
        Service,
        "services.csv",
        ("id", "organization_id", "name", "status"),
        (
            "free_of_charge",
            "no_papers_needed",
            "women_only",
            "minors",
            "appointment_needed",
            "national",
            "source_urls",
            "sources",
            "checked_at",
            "notes",
            "active",
        ),
    ),
    Table(
        Location,
        "locations.csv",
        ("id", "location_type", "country"),
        ("position_approximate", "confidential", "country", "city", "city_normalised", "active"),
    ),
    Table(
        ServiceAtLocation,
        "service_at_locations.csv",
        ("id", "service_id", "location_id"),
        ("active",),
    ),
    Table(
        Address,
        "addresses.csv",
        ("id", "location_id", "address_1", "city", "country", "address_type"),
    ),
    Table(Phone, "phones.csv", ("id", "number"), ("number_e164", "position")),
    Table(Schedule, "schedules.csv", ("id",)),
    Table(Language, "languages.csv", ("id",)),
    Table(
        Attribute,
        "attributes.csv",
        ("id", "link_id", "taxonomy_term_id", "link_entity"),
    ),
    Table(
        Translation,
        "translations.csv",
        ("id", "entity_type", "entity_id", "field", "language", "value"),
    ),
)
BY_NAME = {t.name: t for t in TABLES}
BY_CSV = {t.csv_name: t for t in TABLES}


class TransferError(Exception):
    """Bad input: every problem found, one clear line each. Nothing was written."""

    def __init__(self, errors: list[str], warnings: list[str] | None = None) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors
        self.warnings = warnings or []


@dataclass
class Record:
    table: str
    id: str
    values: dict[str, Any]
    origin: str  # "services.csv line 14" or "dump.json [3].organization"
    names: dict[str, str] = field(default_factory=dict)  # attribute -> field name in the file
    bad: set[str] = field(default_factory=set)  # attributes that already have an error
    derive_country: bool = False  # HSDS JSON location without an address

    def name(self, attr: str) -> str:
        return self.names.get(attr, attr)


@dataclass
class Batch:
    """Everything one file says, validated before a single row is written."""

    source: str
    records: dict[str, dict[str, Record]] = field(default_factory=lambda: defaultdict(dict))
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # JSON: child tables whose rows under the listed parents become exactly the file's rows.
    sync: dict[str, tuple[str, set[str]]] = field(default_factory=dict)
    # Service ids whose last_modified the file did not give: stamped when written.
    stamp: set[str] = field(default_factory=set)

    def error(self, origin: str, name: str | None, message: str) -> None:
        where = f'{origin}: field "{name}": ' if name else f"{origin}: "
        self.errors.append(where + message)

    def count(self) -> int:
        return sum(len(rows) for rows in self.records.values())


@dataclass
class Result:
    source: str
    format: str
    stats: Counter[str]
    warnings: list[str]

    def summary(self) -> list[str]:
        lines = []
        for table in TABLES:
            counts = {
                action: self.stats[f"{table.name}.{action}"]
                for action in ("created", "updated", "unchanged", "deactivated", "deleted")
                if self.stats[f"{table.name}.{action}"]
            }
            if counts:
                lines.append(
                    f"{table.name}: " + ", ".join(f"{n} {action}" for action, n in counts.items())
                )
        totals = {a: self.stats[f"total.{a}"] for a in ("created", "updated", "unchanged")}
        lines.append(
            "total: "
            + ", ".join(f"{n} {a}" for a, n in totals.items())
            + f", {self.stats['total.deleted']} deleted/deactivated"
        )
        return lines


# --- values ------------------------------------------------------------------------------


def _column(table: Table, attr: str) -> Any:
    return table.model.__table__.columns[attr]


def _kind(table: Table, attr: str) -> str:
    column_type = _column(table, attr).type
    for python_type, kind in (
        (Boolean, "bool"),
        (Integer, "int"),
        (Float, "float"),
        (DateTime, "datetime"),
        (Date, "date"),
        (JSON, "json"),
    ):
        if isinstance(column_type, python_type):
            return kind
    return "str"


def _utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:  # SQLite hands back naive datetimes; we store UTC
        return value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {str: "string", list: "array", dict: "object"}.get(type(value), type(value).__name__)


def coerce(table: Table, attr: str, raw: Any, *, from_csv: bool) -> Any:
    """The Python value of one cell or JSON value; ValueError(message) when it is not one."""
    kind = _kind(table, attr)
    if raw is None or (isinstance(raw, str) and raw == "" and kind != "str"):
        return DEFAULTS.get(attr) if attr in DEFAULTS else None
    if from_csv:
        text = raw.strip()
        if kind == "str":
            value: Any = raw
        elif kind == "int":
            if not _INT.fullmatch(text):
                raise ValueError(f"expected a whole number, got {raw!r}")
            value = int(text)
        elif kind == "float":
            try:
                value = float(text)
            except ValueError:
                raise ValueError(f"expected a number, got {raw!r}") from None
        elif kind == "bool":
            if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(f"expected true or false, got {raw!r}")
            value = text.lower() in ("true", "1", "yes")
        elif kind == "json":
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ValueError(f"expected a JSON array, got invalid JSON ({exc.msg})") from None
        else:
            value = text
    else:
        value = raw
        expected = {
            "str": (str,),
            "int": (int, float),
            "float": (int, float),
            "bool": (bool,),
            "json": (list,),
            "date": (str,),
            "datetime": (str,),
        }[kind]
        if isinstance(value, bool) and kind != "bool" or not isinstance(value, expected):
            label = {"str": "a string", "int": "a whole number", "float": "a number"}.get(
                kind, {"bool": "true or false", "json": "an array"}.get(kind, "a string")
            )
            raise ValueError(f"expected {label}, got {_type_name(value)} {json.dumps(value)}")
        if kind == "int":
            if isinstance(value, float) and not value.is_integer():
                raise ValueError(f"expected a whole number, got {value!r}")
            value = int(value)
        if kind == "float":
            value = float(value)
    if kind == "float" and not math.isfinite(value):
        raise ValueError(f"expected a finite number, got {raw!r}")
    if kind == "date":
        if not _DATE.fullmatch(value):
            raise ValueError(f"expected a date YYYY-MM-DD, got {value!r}")
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"not a valid date: {value!r}") from None
    if kind == "datetime":
        try:
            value = _utc(dt.datetime.fromisoformat(value))
        except ValueError:
            raise ValueError(f"expected an ISO 8601 date-time, got {value!r}") from None
    if kind == "json":
        if not isinstance(value, list):
            raise ValueError(f"expected a JSON array, got {_type_name(value)}")
        if attr == "source_urls" and not all(isinstance(v, str) for v in value):
            raise ValueError("expected an array of URL strings")
        if attr == "sources" and not all(isinstance(v, dict) for v in value):
            raise ValueError("expected an array of objects")
    if kind == "str":
        if value == "":
            return None if _column(table, attr).nullable else ""
        length = getattr(_column(table, attr).type, "length", None)
        if length and len(value) > length:
            raise ValueError(f"is {len(value)} characters long, at most {length} allowed")
    return value


def _same(a: Any, b: Any) -> bool:
    """Equality as the database sees it: "" is NULL, datetimes compare in UTC."""
    if a == "":
        a = None
    if b == "":
        b = None
    if isinstance(a, dt.datetime) and isinstance(b, dt.datetime):
        return _utc(a) == _utc(b)
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and float(a) == float(b)
    return a == b


# --- reading CSV ---------------------------------------------------------------------------


def _csv_sources(path: Path, batch: Batch) -> dict[str, tuple[str, str]]:
    """CSV file name -> (label for messages, text) from a directory, a .zip or one file."""
    files: dict[str, tuple[str, str]] = {}

    def add(name: str, label: str, data: bytes) -> None:
        base = name.rsplit("/", 1)[-1]
        if not base.endswith(".csv") or base.startswith("."):
            return
        if base in files:
            batch.error(label, None, f"{base} appears twice in {path.name}")
            return
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            batch.error(label, None, f"not UTF-8 text (byte {exc.start})")
            return
        files[base] = (label, text)

    if path.is_dir():
        for child in sorted(path.iterdir()):
            if child.is_file():
                add(child.name, child.name, child.read_bytes())
    elif zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if not info.is_dir() and "__MACOSX" not in info.filename:
                    add(info.filename, info.filename.rsplit("/", 1)[-1], archive.read(info))
    else:
        add(path.name, path.name, path.read_bytes())
    for name in files:
        if name not in BY_CSV:
            batch.warnings.append(f"{name}: ignored (not an HSDS table Dalil stores)")
    if not any(name in BY_CSV for name in files) and not batch.errors:
        batch.error(
            path.name,
            None,
            "no HSDS CSV file found (expected organizations.csv, services.csv, ...)",
        )
    return files


def read_csv(path: Path, batch: Batch) -> None:
    files = _csv_sources(path, batch)
    for table in TABLES:
        if table.csv_name not in files:
            continue
        label, text = files[table.csv_name]
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            header = next(reader, None)
        except csv.Error as exc:
            batch.error(f"{label} line 1", None, f"invalid CSV: {exc}")
            continue
        if not header:
            continue
        known = {table.csv_column(a): a for a in table.columns}
        positions: dict[str, int] = {}
        for index, name in enumerate(header):
            name = name.strip()
            if name in positions:
                batch.error(f"{label} line 1", name, "column appears twice")
            elif name in known:
                positions[name] = index
            elif name:
                batch.warnings.append(f'{label}: column "{name}" ignored (not stored by Dalil)')
        missing = [table.csv_column(a) for a in table.required]
        missing = [c for c in missing if c not in positions]
        if missing:
            for name in missing:
                batch.error(f"{label} line 1", name, "required column is missing")
            continue
        line = 1
        while True:
            start = line + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                batch.error(f"{label} line {start}", None, f"invalid CSV: {exc}")
                break
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            origin = f"{label} line {start}"
            if len(row) > len(header):
                batch.error(origin, None, f"{len(row)} cells but the header has {len(header)}")
                continue
            values: dict[str, Any] = {}
            names: dict[str, str] = {}
            bad: set[str] = set()
            for name, index in positions.items():
                attr = known[name]
                names[attr] = name
                raw = row[index] if index < len(row) else ""
                try:
                    values[attr] = coerce(table, attr, raw, from_csv=True)
                except ValueError as exc:
                    batch.error(origin, name, str(exc))
                    values[attr] = None
                    bad.add(attr)
            record = Record(table.name, values.get("id") or "", values, origin, names, bad)
            _add(batch, record)


def _add(batch: Batch, record: Record) -> None:
    if not record.id:
        if "id" not in record.bad:
            batch.error(record.origin, record.name("id"), "required field is missing")
        return
    rows = batch.records[record.table]
    first = rows.get(record.id)
    if first is not None:
        batch.error(
            record.origin,
            record.name("id"),
            f'duplicate id "{record.id}" (first at {first.origin})',
        )
        return
    rows[record.id] = record


# --- reading HSDS JSON ---------------------------------------------------------------------

# Lists Dalil does not store: a warning, not an error, when a file fills them.
_IGNORED = {
    "service": ("service_areas", "contacts", "cost_options", "required_documents", "funding",
                "program", "capacities"),
    "location": ("languages", "phones", "schedules", "contacts", "accessibility", "attributes"),
    "service_at_location": ("phones", "schedules", "contacts", "attributes"),
    "phone": ("languages",),
}  # fmt: skip
_NESTED = {
    "service": ("organization", "phones", "schedules", "languages", "service_at_locations",
                "attributes"),
    "location": ("addresses",),
    "service_at_location": ("location", "service"),
    "attribute": ("taxonomy_term",),
    "taxonomy_term": ("taxonomy_detail",),
}  # fmt: skip


class _JsonReader:
    def __init__(self, batch: Batch, session: Session, label: str) -> None:
        self.batch = batch
        self.session = session
        self.label = label
        self.merged: dict[tuple[str, str], Record] = {}  # shared objects (organization, ...)
        self.existing_locations: dict[str, Location] = {}
        self.existing_services: dict[str, Service] = {}

    def origin(self, path: str) -> str:
        return f"{self.label} {path}"

    def record(self, table_name: str, data: dict[str, Any], path: str) -> Record:
        """The HSDS columns of `data` as Python values (absent ones None)."""
        table = BY_NAME[table_name]
        record = Record(table_name, "", {}, self.origin(path))
        columns = [c for c in table.columns if c not in table.extensions]
        skipped = set(_IGNORED.get(table_name, ())) | set(_NESTED.get(table_name, ()))
        for key, raw in data.items():
            ignored = key in _IGNORED.get(table_name, ())
            if (ignored or (key not in columns and key not in skipped)) and raw not in (
                None,
                "",
                [],
                {},
            ):
                self.batch.warnings.append(
                    f'{record.origin}: field "{key}" ignored (not stored by Dalil)'
                )
        for attr in columns:
            try:
                record.values[attr] = coerce(table, attr, data.get(attr), from_csv=False)
            except ValueError as exc:
                self.batch.error(record.origin, attr, str(exc))
                record.values[attr] = None
                record.bad.add(attr)
        record.id = record.values.get("id") or ""
        return record

    def obj(self, value: Any, path: str, what: str) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.batch.error(
                self.origin(path), None, f"expected {what} object, got {_type_name(value)}"
            )
            return None
        return value

    def items(self, data: dict[str, Any], key: str, path: str) -> Iterator[tuple[str, Any]]:
        value = data.get(key)
        if value is None:
            return
        if not isinstance(value, list):
            self.batch.error(self.origin(path), key, f"expected an array, got {_type_name(value)}")
            return
        for index, item in enumerate(value):
            yield f"{path}.{key}[{index}]", item

    def shared(self, record: Record) -> None:
        """Objects repeated under several services must say the same thing each time."""
        if not record.id:
            _add(self.batch, record)  # reports the missing id
            return
        key = (record.table, record.id)
        first = self.merged.get(key)
        if first is None:
            self.merged[key] = record
            _add(self.batch, record)
            return
        for attr, value in record.values.items():
            if attr in first.values and not _same(first.values[attr], value):
                self.batch.error(
                    record.origin,
                    record.name(attr),
                    f"{json.dumps(_plain(value), ensure_ascii=False)} contradicts "
                    f"{json.dumps(_plain(first.values[attr]), ensure_ascii=False)} "
                    f"at {first.origin}",
                )
            first.values.setdefault(attr, value)

    def parent(self, record: Record, attr: str, parent_id: str) -> None:
        """A nested record's reference to its enclosing record: filled in, or must match."""
        values = record.values
        if values.get(attr) is None and attr not in record.bad:
            values[attr] = parent_id
        elif values[attr] != parent_id and parent_id:
            self.batch.error(
                record.origin,
                attr,
                f'"{values[attr]}" does not match the enclosing record "{parent_id}"',
            )

    def read(self, document: Any) -> None:
        if isinstance(document, dict) and isinstance(document.get("contents"), list):
            document = document["contents"]  # an HSDS API page
        if not isinstance(document, list):
            self.batch.error(self.label, None, "expected a JSON array of HSDS service objects")
            return
        service_ids: set[str] = set()
        location_ids: set[str] = set()
        for service in document:
            if not isinstance(service, dict):
                continue
            if isinstance(service.get("id"), str):
                service_ids.add(service["id"])
            for sal in service.get("service_at_locations") or []:
                location = sal.get("location") if isinstance(sal, dict) else None
                if isinstance(location, dict) and isinstance(location.get("id"), str):
                    location_ids.add(location["id"])
        self.existing_locations = {x.id: x for x in _load(self.session, Location, location_ids)}
        self.existing_services = {s.id: s for s in _load(self.session, Service, service_ids)}
        for index, item in enumerate(document):
            service = self.obj(item, f"[{index}]", "a service")
            if service is not None:
                self.service(service, f"[{index}]")
        services = set(self.batch.records["service"])
        for table in ("phone", "schedule", "language", "attribute", "service_at_location"):
            self.batch.sync[table] = ("link_id" if table == "attribute" else "service_id", services)

    def service(self, data: dict[str, Any], path: str) -> None:
        record = self.record("service", data, path)
        values = record.values
        service_id = record.id
        existing = self.existing_services.get(service_id)
        if values["status"] == "inactive" and existing is not None and not existing.active:
            del values["status"]  # a deactivated record stays as it is
        else:
            values["active"] = True
        if values["last_modified"] is None and "last_modified" not in record.bad:
            del values["last_modified"]
            self.batch.stamp.add(service_id)
        for flag in ELIGIBILITY_FLAGS:
            values[flag] = None

        org = data.get("organization")
        if org is not None and self.obj(org, f"{path}.organization", "an organization"):
            org_record = self.record("organization", org, f"{path}.organization")
            self.parent(record, "organization_id", org_record.id)
            self.shared(org_record)

        for sal_path, item in self.items(data, "service_at_locations", path):
            sal = self.obj(item, sal_path, "a service_at_location")
            if sal is not None:
                self.service_at_location(sal, sal_path, service_id)
        for child, key in (
            ("phone", "phones"),
            ("schedule", "schedules"),
            ("language", "languages"),
        ):
            for position, (child_path, item) in enumerate(self.items(data, key, path)):
                child_data = self.obj(item, child_path, f"a {child}")
                if child_data is None:
                    continue
                child_record = self.record(child, child_data, child_path)
                self.parent(child_record, "service_id", service_id)
                if child == "phone":
                    child_record.values["position"] = position
                    child_record.values["number_e164"] = None  # computed on validation
                _add(self.batch, child_record)
        for attr_path, item in self.items(data, "attributes", path):
            attribute = self.obj(item, attr_path, "an attribute")
            if attribute is not None:
                self.attribute(attribute, attr_path, service_id, values)
        _add(self.batch, record)

    def service_at_location(self, data: dict[str, Any], path: str, service_id: str) -> None:
        record = self.record("service_at_location", data, path)
        self.parent(record, "service_id", service_id)
        record.values["active"] = True
        location = data.get("location")
        if location is not None and self.obj(location, f"{path}.location", "a location"):
            location_record = self.location(location, f"{path}.location")
            self.parent(record, "location_id", location_record.id)
        _add(self.batch, record)

    def location(self, data: dict[str, Any], path: str) -> Record:
        record = self.record("location", data, path)
        values = record.values
        existing = self.existing_locations.get(record.id)
        addresses = []
        for address_path, item in self.items(data, "addresses", path):
            address = self.obj(item, address_path, "an address")
            if address is None:
                continue
            address_record = self.record("address", address, address_path)
            self.parent(address_record, "location_id", record.id)
            for attr in ("state_province", "postal_code"):  # HSDS requires them, we allow none
                address_record.values[attr] = address_record.values.get(attr) or None
            addresses.append(address_record.values)
            _add(self.batch, address_record)
        hidden = existing is not None and (existing.confidential or existing.position_approximate)
        if hidden and values["latitude"] is None and values["longitude"] is None:
            del values["latitude"], values["longitude"]  # published without a position
        elif values["latitude"] is not None:
            values["position_approximate"] = False
        confidential = existing is not None and existing.confidential
        if confidential and values["transportation"] is None:
            del values["transportation"]  # published without it
        if addresses or not confidential:
            self.batch.sync.setdefault("address", ("location_id", set()))[1].add(record.id)
        # HSDS has no location country or city: they come from the first address.
        first = addresses[0] if addresses else None
        if first is not None and first.get("city") and first.get("country"):
            key = city_key(first["city"])
            if existing is None or existing.city_normalised != key:
                values["city"] = first["city"]
                values["city_normalised"] = key
            if existing is None or existing.country != first["country"]:
                values["country"] = first["country"]
            record.names["country"] = "addresses[0].country"
        elif existing is None:
            values["country"] = None  # from the phones (or the default country) on validation
            record.names["country"] = "country"
            record.derive_country = True
        self.shared(record)
        return record

    def attribute(
        self, data: dict[str, Any], path: str, service_id: str, service: dict[str, Any]
    ) -> None:
        record = self.record("attribute", data, path)
        values = record.values
        self.parent(record, "link_id", service_id)
        if values.get("link_entity") is None:
            values["link_entity"] = "service"
        elif values["link_entity"] != "service":
            self.batch.error(
                record.origin, "link_entity", f'"{values["link_entity"]}" is not "service"'
            )
        term = data.get("taxonomy_term")
        term_id = values.get("taxonomy_term_id")
        if term_id is None and isinstance(term, dict) and isinstance(term.get("id"), str):
            term_id = values["taxonomy_term_id"] = term["id"]
        if term_id is None:
            return _add(self.batch, record)  # validation reports the missing term
        if term_id.startswith(ELIGIBILITY_TERM_PREFIX):
            flag = term_id.removeprefix(ELIGIBILITY_TERM_PREFIX)
            if flag not in ELIGIBILITY_FLAGS:
                self.batch.error(
                    record.origin, "taxonomy_term_id", f'unknown taxonomy term "{term_id}"'
                )
            elif values.get("value") not in ("true", "false"):
                self.batch.error(
                    record.origin,
                    "value",
                    f'eligibility flag "{flag}" must be "true" or "false", '
                    f"got {json.dumps(values.get('value'))}",
                )
            else:
                service[flag] = values["value"] == "true"
            return
        if term is not None and self.obj(term, f"{path}.taxonomy_term", "a taxonomy term"):
            if term.get("id") != term_id:
                self.batch.error(
                    record.origin,
                    "taxonomy_term_id",
                    f'"{term_id}" does not match taxonomy_term.id {json.dumps(term.get("id"))}',
                )
            else:
                self.taxonomy_term(term, f"{path}.taxonomy_term")
        _add(self.batch, record)

    def taxonomy_term(self, data: dict[str, Any], path: str) -> None:
        record = self.record("taxonomy_term", data, path)
        detail = data.get("taxonomy_detail")
        if detail is not None and self.obj(detail, f"{path}.taxonomy_detail", "a taxonomy"):
            taxonomy = self.record("taxonomy", detail, f"{path}.taxonomy_detail")
            self.parent(record, "taxonomy_id", taxonomy.id)
            self.shared(taxonomy)
        self.shared(record)


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def read_json(path: Path, batch: Batch, session: Session) -> None:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        batch.error(path.name, None, f"not UTF-8 text (byte {exc.start})")
        return
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        batch.error(
            f"{path.name} line {exc.lineno} column {exc.colno}", None, f"invalid JSON: {exc.msg}"
        )
        return
    _JsonReader(batch, session, path.name).read(document)


# --- validation ----------------------------------------------------------------------------


def _load(session: Session, model: type, ids: Iterable[str]) -> list[Any]:
    ids = sorted(ids)
    rows: list[Any] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows.extend(
            session.scalars(select(model).where(model.id.in_(chunk)).options(lazyload("*")))
        )
    return rows


def _fk_targets(table: Table) -> dict[str, str]:
    return {
        column.key: next(iter(column.foreign_keys)).column.table.name
        for column in table.model.__table__.columns
        if column.foreign_keys
    }


def _unique_keys(table: Table) -> list[tuple[str, ...]]:
    return [
        tuple(c.key for c in constraint.columns)
        for constraint in table.model.__table__.constraints
        if isinstance(constraint, UniqueConstraint)
    ]


def validate(batch: Batch, session: Session, tick: Callable[[int], None] = _noop) -> None:
    """Cross-record checks: references, ranges, enums, phone numbers, unique keys."""
    known: dict[str, set[str]] = {}
    for table in TABLES:
        model = table.model
        known[table.name] = set(session.scalars(select(model.id))) | set(batch.records[table.name])
    context = _Context(known=known)
    context.location_country = dict(list(session.execute(select(Location.id, Location.country))))
    for service_id, location_id in session.execute(
        select(ServiceAtLocation.service_id, ServiceAtLocation.location_id)
    ).tuples():
        context.service_locations[service_id].append(location_id)
    for sal in batch.records["service_at_location"].values():
        service_id, location_id = sal.values.get("service_id"), sal.values.get("location_id")
        if service_id and location_id:
            context.service_locations[service_id].insert(0, location_id)

    # HSDS JSON locations without an address: the country their services' phones dial.
    for location in batch.records["location"].values():
        if location.derive_country:
            country = None
            for service_id, location_ids in context.service_locations.items():
                if location.id in location_ids:
                    for phone in batch.records["phone"].values():
                        if phone.values.get("service_id") == service_id:
                            country = country or _region(phone.values.get("number"))
            organization = location.values.get("organization_id")
            for other in batch.records["location"].values():
                if organization and other.values.get("organization_id") == organization:
                    country = country or (
                        None if other.derive_country else other.values.get("country")
                    )
            location.values["country"] = country or get_settings().default_country
        if location.values.get("country"):
            context.location_country[location.id] = location.values["country"]

    for table in TABLES:
        targets = _fk_targets(table)
        check = _CHECKS.get(table.name)
        for record in batch.records[table.name].values():
            tick(1)
            values = record.values
            for attr in table.required:
                if attr in values and attr not in record.bad and values[attr] in (None, ""):
                    batch.error(record.origin, record.name(attr), "required field is missing")
            for attr, target in targets.items():
                value = values.get(attr)
                if value is not None and value not in known[target]:
                    label = target.replace("_", " ")
                    batch.error(record.origin, record.name(attr), f'unknown {label} "{value}"')
            for (table_name, attr), allowed in ENUMS.items():
                value = values.get(attr)
                if table_name == table.name and value is not None and value not in allowed:
                    batch.error(
                        record.origin,
                        record.name(attr),
                        f'"{value}" is not one of ' + ", ".join(f'"{a}"' for a in allowed),
                    )
            if check:
                check(batch, record, context)
    _check_unique(batch, session)


@dataclass
class _Context:
    known: dict[str, set[str]]
    location_country: dict[str, str] = field(default_factory=dict)
    service_locations: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))


def _region(number: Any) -> str | None:
    if not isinstance(number, str) or not number.strip().startswith("+"):
        return None
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(number, None))
    except phonenumbers.NumberParseException:
        return None


def _check_location(batch: Batch, record: Record, *_: Any) -> None:
    values = record.values
    for attr, limit in (("latitude", 90), ("longitude", 180)):
        value = values.get(attr)
        if value is not None and not -limit <= value <= limit:
            batch.error(
                record.origin, record.name(attr), f"{value} is not between -{limit} and {limit}"
            )
    if (values.get("latitude") is None) != (values.get("longitude") is None):
        if "latitude" in values and "longitude" in values:
            batch.error(record.origin, "latitude", "latitude and longitude go together")
    _check_country(batch, record)


def _check_country(batch: Batch, record: Record, *_: Any) -> None:
    country = record.values.get("country")
    if country is not None and country not in COUNTRY_CODES:
        batch.error(
            record.origin,
            record.name("country"),
            f'"{country}" is not an ISO 3166-1 alpha-2 country code (e.g. "BE", "MA")',
        )


def _check_service(batch: Batch, record: Record, *_: Any) -> None:
    values = record.values
    for attr in ("minimum_age", "maximum_age"):
        if values.get(attr) is not None and not 0 <= values[attr] <= 150:
            batch.error(record.origin, record.name(attr), f"{values[attr]} is not an age")
    low, high = values.get("minimum_age"), values.get("maximum_age")
    if low is not None and high is not None and low > high:
        batch.error(record.origin, record.name("maximum_age"), f"{high} is below minimum_age {low}")


def _check_phone(batch: Batch, record: Record, context: _Context) -> None:
    values = record.values
    number = values.get("number")
    if not number:
        return
    region = context.location_country.get(values.get("location_id") or "")
    for location_id in context.service_locations.get(values.get("service_id") or "", []):
        region = region or context.location_country.get(location_id)
    region = region or get_settings().default_country
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException as exc:
        batch.error(
            record.origin, record.name("number"), f'"{number}" is not a phone number ({exc._msg})'
        )
        return
    short_code = re.fullmatch(r"\d{3,6}", re.sub(r"[\s.\-/]", "", number)) is not None
    if not (phonenumbers.is_possible_number(parsed) or short_code):
        batch.error(
            record.origin,
            record.name("number"),
            f'"{number}" is not a phone number in {region} (wrong length or short code)',
        )
        return
    if "number_e164" in values and values["number_e164"] is None:
        values["number_e164"] = e164(number, region)
    elif values.get("number_e164"):
        try:
            valid = phonenumbers.is_valid_number(phonenumbers.parse(values["number_e164"], None))
        except phonenumbers.NumberParseException:
            valid = False
        if not valid or not re.fullmatch(r"\+\d{6,15}", values["number_e164"]):
            batch.error(
                record.origin,
                record.name("number_e164"),
                f'"{values["number_e164"]}" is not an E.164 number (+32...)',
            )


def _check_schedule(batch: Batch, record: Record, *_: Any) -> None:
    for attr in ("opens_at", "closes_at"):
        value = record.values.get(attr)
        if value is not None and not _TIME.fullmatch(value):
            batch.error(record.origin, record.name(attr), f'"{value}" is not a time HH:MM')
    low, high = record.values.get("valid_from"), record.values.get("valid_to")
    if low and high and low > high:
        batch.error(record.origin, record.name("valid_to"), f"{high} is before valid_from {low}")


def _check_language(batch: Batch, record: Record, *_: Any) -> None:
    attr = "code" if record.table == "language" else "language"
    value = record.values.get(attr)
    if value is not None and not _LANGUAGE_CODE.fullmatch(value):
        batch.error(record.origin, record.name(attr), f'"{value}" is not an ISO 639 language code')


def _check_term(batch: Batch, record: Record, *_: Any) -> None:
    values = record.values
    _check_language(batch, record)
    in_ours = values.get("taxonomy_id") == TAXONOMY_ID or record.id.startswith(CATEGORY_TERM_PREFIX)
    code = record.id.removeprefix(CATEGORY_TERM_PREFIX)
    if in_ours and (code not in CATEGORIES or values.get("code") not in (None, code)):
        batch.error(
            record.origin,
            record.name("id"),
            f'unknown taxonomy term "{record.id}": the {TAXONOMY_ID} terms are fixed '
            f"({', '.join(CATEGORIES)})",
        )
    if record.id.startswith(ELIGIBILITY_TERM_PREFIX):
        batch.error(
            record.origin, record.name("id"), f'"{record.id}" is reserved for eligibility flags'
        )


def _check_attribute(batch: Batch, record: Record, context: _Context) -> None:
    known = context.known
    entity, link = record.values.get("link_entity"), record.values.get("link_id")
    if entity in known and link is not None and link not in known[entity]:
        batch.error(
            record.origin, record.name("link_id"), f'unknown {entity.replace("_", " ")} "{link}"'
        )
    elif entity is not None and entity not in known:
        batch.error(record.origin, record.name("link_entity"), f'unknown table "{entity}"')


def _check_translation(batch: Batch, record: Record, context: _Context) -> None:
    known = context.known
    _check_language(batch, record)
    entity, target = record.values.get("entity_type"), record.values.get("entity_id")
    if entity not in ("service", "organization", "taxonomy_term", "location"):
        batch.error(record.origin, record.name("entity_type"), f'unknown table "{entity}"')
    elif target is not None and target not in known[entity]:
        batch.error(
            record.origin,
            record.name("entity_id"),
            f'unknown {entity.replace("_", " ")} "{target}"',
        )
    value = record.values.get("value")
    if value is not None and not value.strip():
        batch.error(record.origin, record.name("value"), "required field is missing")


_CHECKS: dict[str, Callable[..., None]] = {
    "location": _check_location,
    "address": _check_country,
    "service": _check_service,
    "phone": _check_phone,
    "schedule": _check_schedule,
    "language": _check_language,
    "taxonomy_term": _check_term,
    "attribute": _check_attribute,
    "translation": _check_translation,
}


def _check_unique(batch: Batch, session: Session) -> None:
    for table in TABLES:
        records = batch.records[table.name]
        for key in _unique_keys(table):
            final: dict[str, tuple[Any, ...]] = {}
            columns = [getattr(table.model, c) for c in key]
            for row_id, *parts in session.execute(select(table.model.id, *columns)).tuples():
                final[row_id] = tuple(parts)
            for record in records.values():
                current = final.get(record.id, (None,) * len(key))
                final[record.id] = tuple(
                    record.values[c] if c in record.values else current[i]
                    for i, c in enumerate(key)
                )
            holders: dict[tuple[Any, ...], list[str]] = defaultdict(list)
            for row_id, parts in sorted(final.items()):
                if all(p is not None for p in parts):
                    holders[parts].append(row_id)
            for parts, ids in holders.items():
                if len(ids) < 2:
                    continue
                for row_id in ids:
                    if row_id in records:
                        others = ", ".join(f'"{i}"' for i in ids if i != row_id)
                        record = records[row_id]
                        batch.error(
                            record.origin,
                            record.name(key[-1]),
                            f"({', '.join(key)}) = ({', '.join(map(str, parts))}) is already "
                            f"used by {table.name} {others}",
                        )


# --- writing -------------------------------------------------------------------------------


def write(batch: Batch, session: Session, tick: Callable[[int], None] = _noop) -> Counter[str]:
    """Upsert every record (and apply JSON child syncs); flushes, never commits."""
    stats: Counter[str] = Counter()
    with session.no_autoflush:
        for table_name in ("language", "schedule", "phone", "attribute", "address"):
            if table_name in batch.sync:
                _delete_missing(batch, session, BY_NAME[table_name], stats)
        session.flush()
        for table in TABLES:
            records = batch.records[table.name]
            existing = {row.id: row for row in _load(session, table.model, records)}
            for record in _ordered(table, records):
                tick(1)
                values = dict(record.values)
                values.pop("id", None)
                row = existing.get(record.id)
                if row is None:
                    if table.name == "service" and record.id in batch.stamp:
                        values["last_modified"] = utcnow()
                    session.add(table.model(id=record.id, **values))
                    action = "created"
                else:
                    changed = [k for k, v in values.items() if not _same(getattr(row, k), v)]
                    for key in changed:
                        setattr(row, key, values[key])
                    if changed and table.name == "service" and record.id in batch.stamp:
                        row.last_modified = utcnow()
                    action = "updated" if changed else "unchanged"
                stats[f"{table.name}.{action}"] += 1
                stats[f"total.{action}"] += 1
            session.flush()
        if "service_at_location" in batch.sync:
            attr, parents = batch.sync["service_at_location"]
            keep = set(batch.records["service_at_location"])
            for row in _children(session, ServiceAtLocation, attr, parents):
                if row.id not in keep and row.active:
                    row.active = False
                    stats["service_at_location.deactivated"] += 1
                    stats["total.deleted"] += 1
            session.flush()
    session.expire_all()  # relationships loaded before the writes are stale
    return stats


def _ordered(table: Table, records: dict[str, Record]) -> list[Record]:
    """Taxonomy terms after their parents (the foreign key is checked row by row)."""
    if table.name != "taxonomy_term":
        return list(records.values())
    done: set[str] = set()
    out: list[Record] = []

    def visit(record: Record, depth: int = 0) -> None:
        if record.id in done or depth > len(records):
            return
        parent = records.get(record.values.get("parent_id") or "")
        if parent is not None:
            visit(parent, depth + 1)
        done.add(record.id)
        out.append(record)

    for record in records.values():
        visit(record)
    return out


def _children(session: Session, model: type, attr: str, parents: set[str]) -> list[Any]:
    rows: list[Any] = []
    ordered = sorted(parents)
    for start in range(0, len(ordered), 500):
        query = select(model).where(getattr(model, attr).in_(ordered[start : start + 500]))
        if model is Attribute:
            query = query.where(Attribute.link_entity == "service")
        rows.extend(session.scalars(query.options(lazyload("*"))))
    return rows


def _delete_missing(batch: Batch, session: Session, table: Table, stats: Counter[str]) -> None:
    attr, parents = batch.sync[table.name]
    keep = set(batch.records[table.name])
    for row in _children(session, table.model, attr, parents):
        if row.id in keep:
            continue
        if table.model is Attribute:
            term = session.get(TaxonomyTerm, row.taxonomy_term_id)
            if term is not None and not term.active:
                continue  # not published, so not in the file: keep it
        session.delete(row)
        stats[f"{table.name}.deleted"] += 1
        stats["total.deleted"] += 1


# --- import --------------------------------------------------------------------------------


def detect_format(path: Path) -> str:
    if path.is_dir() or path.suffix.lower() in (".zip", ".csv"):
        return "csv"
    return "json"


def import_file(
    session: Session,
    path: Path | str,
    *,
    fmt: str | None = None,
    progress: Callable[[str, int], Callable[[int], None]] | None = None,
) -> Result:
    """Validate `path` completely, then write it in the session's transaction.

    Raises TransferError with every problem found; nothing is flushed in that case.
    `progress(label, total)` returns a tick function (for a progress bar).
    """
    path = Path(path)
    if not path.exists():
        raise TransferError([f"{path}: no such file or directory"])
    fmt = fmt or detect_format(path)
    batch = Batch(source=str(path))
    try:
        if fmt == "csv":
            read_csv(path, batch)
        else:
            read_json(path, batch, session)
    except OSError as exc:
        raise TransferError([f"{path}: cannot read ({exc.strerror or exc})"]) from None
    except zipfile.BadZipFile as exc:
        raise TransferError([f"{path.name}: not a valid zip file ({exc})"]) from None
    with session.no_autoflush:
        validate(batch, session, progress("validating", batch.count()) if progress else _noop)
    if batch.errors:
        raise TransferError(batch.errors, batch.warnings)
    stats = write(batch, session, progress("writing", batch.count()) if progress else _noop)
    return Result(str(path), fmt, stats, batch.warnings)


# --- export --------------------------------------------------------------------------------


def export_json(session: Session) -> list[dict[str, Any]]:
    services = sorted(session.scalars(select(Service)), key=lambda s: s.id)
    return [service_to_hsds(service) for service in services]


def dumps_json(document: Any) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return _utc(value).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def export_csv(session: Session) -> dict[str, str]:
    """CSV file name -> text, one per table, every column and row (a complete backup)."""
    files = {}
    for table in TABLES:
        out = io.StringIO(newline="")
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([table.csv_column(a) for a in table.columns])
        rows = session.scalars(select(table.model).options(lazyload("*")))
        for row in sorted(rows, key=lambda r: r.id):
            writer.writerow([_cell(getattr(row, attr)) for attr in table.columns])
        files[table.csv_name] = out.getvalue()
    return files


def write_csv(files: dict[str, str], out: Path) -> None:
    """To a directory, or to a .zip with fixed timestamps (same data, same bytes)."""
    if out.suffix.lower() == ".zip":
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in files.items():
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, text.encode("utf-8"))
        return
    out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8", newline="")
