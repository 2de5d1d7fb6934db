"""Directory performance benchmark: a synthetic directory, timed searches, a p95 verdict.

    python -m bot.directory.benchmark [--services 50000] [--cities 500] [--queries 200]
                                      [--databases sqlite,postgresql] [--report FILE]

For every database asked for, a fresh one is created (an SQLite file under var/bench/, a
throw-away PostgreSQL database `dalil_bench` that is dropped at the end), migrated with
`alembic upgrade head`, filled with synthetic services by bulk inserts and ANALYZEd. Then
three query types run N randomised times each, after a warm-up:

* ``category+city``: `search(Query(category, city), limit=3)` plus `count()` of the same
  query, what the assistant does for "legal aid in <city>";
* ``proximity``: `search(Query(category, latitude, longitude), limit=3)`, "near me";
* ``hsds page``: `GET /hsds/services?page=K&per_page=20` through FastAPI's TestClient, K
  uniform over every page (the worst case: deep OFFSETs, as a crawler would do).

It prints p50/p95/max in milliseconds per query type and database, with PASS/FAIL against
the p95 target. It is a measurement: the exit code is 0 whatever the numbers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

import bot.db
import bot.settings
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
    Translation,
)
from bot.directory.search import Query, count, search
from bot.directory.seed import CATEGORIES, TAXONOMY_ID, _Writer, ensure_taxonomy
from bot.settings import ROOT

TARGET_P95_MS = 30.0
WARMUP = 10
BATCH = 5000
SEED = 20240601
SQLITE_PATH = ROOT / "var" / "bench" / "directory.db"
POSTGRES_ADMIN_URLS = (
    os.environ.get("DALIL_BENCH_POSTGRES_URL", "postgresql+psycopg://root@127.0.0.1:5432/postgres"),
    "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
)
POSTGRES_DATABASE = "dalil_bench"
QUERY_TYPES = ("category+city", "proximity", "hsds page")
# Country bounding boxes (lat_min, lat_max, lon_min, lon_max): Belgium, and Morocco north of
# the Western Sahara line, where the directory's cities are.
BOUNDS = {"BE": (49.5, 51.5, 2.55, 6.4), "MA": (27.7, 35.9, -13.2, -1.0)}
LANGUAGE_CODES = ("ar", "fr", "nl", "en", "ber", "es", "fa", "ps")
DAYS = ("MO,TU,WE,TH,FR", "MO,WE,FR", "TU,TH", "MO,TU,WE,TH,FR,SA")


@dataclass
class City:
    id: str
    country: str
    latitude: float
    longitude: float


@dataclass
class Timing:
    samples_ms: list[float] = field(default_factory=list)
    results: int = 0  # queries that returned at least one row

    def percentile(self, p: float) -> float:
        ordered = sorted(self.samples_ms)
        if not ordered:
            return float("nan")
        rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
        return ordered[rank]

    @property
    def p50(self) -> float:
        return statistics.median(self.samples_ms) if self.samples_ms else float("nan")

    @property
    def p95(self) -> float:
        return self.percentile(95)

    @property
    def max(self) -> float:
        return max(self.samples_ms) if self.samples_ms else float("nan")

    @property
    def passed(self) -> bool:
        return self.p95 <= TARGET_P95_MS


@dataclass
class DatabaseRun:
    name: str
    version: str
    generate_s: float
    rows: dict[str, int]
    timings: dict[str, Timing]


# --- databases -------------------------------------------------------------------------------


def _reset_db_caches() -> None:
    bot.db.reset_caches()


def migrate(url: str) -> None:
    """`alembic upgrade head` against `url`."""
    bot.db.migrate(url)


def _sqlite_database(path: Path) -> Iterator[str]:
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    yield f"sqlite:///{path}"


def _postgres_admin() -> Engine:
    errors = []
    for candidate in POSTGRES_ADMIN_URLS:
        engine = create_engine(candidate, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return engine
        except Exception as exc:  # noqa: BLE001 - try the next role
            errors.append(f"{make_url(candidate).username}: {exc.__class__.__name__}")
            engine.dispose()
    raise RuntimeError(f"PostgreSQL not reachable ({'; '.join(errors)})")


def _postgres_database() -> Iterator[str]:
    admin = _postgres_admin()
    drop = text(f'DROP DATABASE IF EXISTS "{POSTGRES_DATABASE}" WITH (FORCE)')
    try:
        with admin.connect() as connection:
            connection.execute(drop)
            connection.execute(text(f'CREATE DATABASE "{POSTGRES_DATABASE}"'))
        yield (
            make_url(str(admin.url))
            .set(database=POSTGRES_DATABASE)
            .render_as_string(hide_password=False)
        )
    finally:
        with admin.connect() as connection:
            connection.execute(drop)
        admin.dispose()


def _version(engine: Engine) -> str:
    if engine.dialect.name == "sqlite":
        return f"SQLite {sqlite3.sqlite_version}"
    with engine.connect() as connection:
        return f"PostgreSQL {connection.execute(text('SHOW server_version')).scalar()}"


# --- synthetic directory ---------------------------------------------------------------------


def make_cities(n: int, rng: random.Random) -> list[City]:
    """`n` cities, alternately in Belgium and Morocco, at random points of each country."""
    made = []
    for i in range(n):
        country = "BE" if i % 2 == 0 else "MA"
        lat_min, lat_max, lon_min, lon_max = BOUNDS[country]
        made.append(
            City(
                id=f"bench-city-{i}",
                country=country,
                latitude=round(rng.uniform(lat_min, lat_max), 5),
                longitude=round(rng.uniform(lon_min, lon_max), 5),
            )
        )
    return made


def _bulk(session: Session, model: type, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        session.execute(insert(model), rows[start : start + BATCH])


def generate(session: Session, services: int, city_list: list[City], rng: random.Random) -> dict:
    """Insert `services` services (each with organization, location, address, phone, schedule,
    languages, categories, a French name) spread over `city_list`; returns row counts."""
    ensure_taxonomy(_Writer(session))
    codes = list(CATEGORIES)
    today = dt.date.today()
    now = dt.datetime.now(dt.timezone.utc)
    n_orgs = max(1, services // 5)
    tables: dict[type, list[dict[str, Any]]] = {
        model: []
        for model in (
            Organization,
            Service,
            Location,
            Address,
            ServiceAtLocation,
            Phone,
            Schedule,
            Language,
            Attribute,
            Translation,
        )
    }
    for o in range(n_orgs):
        tables[Organization].append(
            {
                "id": f"bench-org-{o}",
                "name": f"Organisation {o}",
                "alternate_name": None,
                "description": f"Synthetic organisation number {o}.",
                "email": f"contact{o}@example.org",
                "website": f"https://example.org/{o}",
                "active": True,
            }
        )
    for s in range(services):
        city = city_list[s % len(city_list)] if s < len(city_list) else rng.choice(city_list)
        service_id = f"bench-service-{s}"
        location_id = f"bench-location-{s}"
        org_id = f"bench-org-{s % n_orgs}"
        cats = rng.sample(codes, rng.choice((1, 2)))
        national = rng.random() < 0.02
        tables[Service].append(
            {
                "id": service_id,
                "organization_id": org_id,
                "name": f"{CATEGORIES[cats[0]]['en']} {s:06d}",
                "alternate_name": None,
                "description": f"Synthetic service {s} in {city.id}.",
                "url": f"https://example.org/s/{s}",
                "email": None,
                "status": "active",
                "assured_date": today - dt.timedelta(days=rng.randrange(0, 720)),
                "last_modified": now,
                "free_of_charge": rng.choice((True, False, None)),
                "no_papers_needed": rng.choice((True, False, None)),
                "national": national,
                "source_urls": [f"https://example.org/s/{s}"],
                "sources": [{"url": f"https://example.org/s/{s}", "checked": today.isoformat()}],
                "checked_at": today,
                "active": rng.random() > 0.01,
            }
        )
        lat = round(city.latitude + rng.gauss(0, 0.03), 6)
        lon = round(city.longitude + rng.gauss(0, 0.04), 6)
        tables[Location].append(
            {
                "id": location_id,
                "location_type": "physical",
                "organization_id": org_id,
                "name": f"Office {s}",
                "latitude": lat,
                "longitude": lon,
                "position_approximate": False,
                "confidential": rng.random() < 0.02,
                "country": city.country,
                "city": city.id,
                "city_normalised": city.id,
                "active": True,
            }
        )
        tables[Address].append(
            {
                "id": f"bench-address-{s}",
                "location_id": location_id,
                "address_1": f"{s % 300 + 1} Rue de l'Exemple",
                "city": city.id,
                "postal_code": f"{1000 + s % 8999}",
                "country": city.country,
                "address_type": "physical",
            }
        )
        tables[ServiceAtLocation].append(
            {
                "id": f"bench-sal-{s}",
                "service_id": service_id,
                "location_id": location_id,
                "active": True,
            }
        )
        prefix = "+32" if city.country == "BE" else "+212"
        tables[Phone].append(
            {
                "id": f"bench-phone-{s}",
                "service_id": service_id,
                "number": f"{prefix} 2 {s:07d}",
                "number_e164": f"{prefix}2{s:07d}",
                "type": "voice",
                "position": 0,
            }
        )
        tables[Schedule].append(
            {
                "id": f"bench-schedule-{s}",
                "service_id": service_id,
                "freq": "WEEKLY",
                "byday": rng.choice(DAYS),
                "opens_at": rng.choice(("08:30", "09:00", "10:00")),
                "closes_at": rng.choice(("12:30", "16:00", "17:00")),
                "description": "Office hours",
            }
        )
        for code in rng.sample(LANGUAGE_CODES, rng.choice((1, 2))):
            tables[Language].append(
                {"id": f"bench-language-{s}-{code}", "service_id": service_id, "code": code}
            )
        for code in cats:
            tables[Attribute].append(
                {
                    "id": f"bench-attribute-{s}-{code}",
                    "link_id": service_id,
                    "link_entity": "service",
                    "link_type": "service_category",
                    "taxonomy_term_id": f"{TAXONOMY_ID}-{code}",
                    "value": None,
                }
            )
        tables[Translation].append(
            {
                "id": f"bench-translation-{s}",
                "entity_type": "service",
                "entity_id": service_id,
                "field": "name",
                "language": "fr",
                "value": f"{CATEGORIES[cats[0]]['fr']} {s:06d}",
            }
        )
    for model, rows in tables.items():
        _bulk(session, model, rows)
    return {model.__tablename__: len(rows) for model, rows in tables.items()}


def analyze(engine: Engine) -> None:
    """Statistics (and, on PostgreSQL, the visibility map) as after a routine maintenance run.

    A freshly bulk-loaded PostgreSQL table has no visibility map until it is vacuumed, so
    index-only scans still read the heap; production runs autovacuum, this server may not.
    """
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
        return
    with engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.commit()


# --- measurement -----------------------------------------------------------------------------


def _timed(function: Callable[[], int], timing: Timing, record: bool) -> None:
    started = time.perf_counter()
    found = function()
    elapsed = (time.perf_counter() - started) * 1000
    if record:
        timing.samples_ms.append(elapsed)
        timing.results += 1 if found else 0


def _point(city_list: list[City], rng: random.Random) -> tuple[float, float]:
    """Somewhere near a random city: where people asking for help actually are."""
    city = rng.choice(city_list)
    return city.latitude + rng.uniform(-0.1, 0.1), city.longitude + rng.uniform(-0.1, 0.1)


def measure(
    engine: Engine, city_list: list[City], queries: int, rng: random.Random
) -> dict[str, Timing]:
    from fastapi.testclient import TestClient

    from bot.web.app import app
    from bot.web.hsds_api import get_session

    codes = list(CATEGORIES)
    factory = sessionmaker(engine, expire_on_commit=False)
    timings = {name: Timing() for name in QUERY_TYPES}

    def category_city() -> int:
        query = Query(category=rng.choice(codes), city=rng.choice(city_list).id)
        with factory() as session:
            hits = search(session, query, limit=3)
            total = count(session, query)
        assert len(hits) <= total
        return len(hits)

    def proximity() -> int:
        latitude, longitude = _point(city_list, rng)
        query = Query(category=rng.choice(codes), latitude=latitude, longitude=longitude)
        with factory() as session:
            return len(search(session, query, limit=3))

    def session_override() -> Iterator[Session]:
        with factory() as session:
            yield session

    app.dependency_overrides[get_session] = session_override
    try:
        client = TestClient(app)
        first = client.get("/hsds/services", params={"page": 1, "per_page": 20})
        first.raise_for_status()
        pages = max(1, first.json()["total_pages"])

        def hsds_page() -> int:
            response = client.get(
                "/hsds/services", params={"page": rng.randint(1, pages), "per_page": 20}
            )
            response.raise_for_status()
            return len(response.json()["contents"])

        for name, function in zip(QUERY_TYPES, (category_city, proximity, hsds_page), strict=True):
            for i in range(WARMUP + queries):
                _timed(function, timings[name], record=i >= WARMUP)
    finally:
        app.dependency_overrides.pop(get_session, None)
    return timings


def run_database(
    name: str, services: int, n_cities: int, queries: int, sqlite_path: Path
) -> DatabaseRun:
    rng = random.Random(SEED)
    databases = {"sqlite": lambda: _sqlite_database(sqlite_path), "postgresql": _postgres_database}
    generator = databases[name]()
    url = next(generator)
    try:
        migrate(url)
        engine = create_engine(url)
        try:
            city_list = make_cities(n_cities, rng)
            started = time.perf_counter()
            with Session(engine) as session, session.begin():
                rows = generate(session, services, city_list, rng)
            analyze(engine)
            generate_s = time.perf_counter() - started
            print(
                f"[{name}] generated {rows['service']} services in {n_cities} cities "
                f"({sum(rows.values())} rows) in {generate_s:.1f} s; measuring...",
                flush=True,
            )
            timings = measure(engine, city_list, queries, rng)
            return DatabaseRun(name, _version(engine), generate_s, rows, timings)
        finally:
            engine.dispose()
    finally:
        generator.close()  # drops the PostgreSQL database


# --- output ----------------------------------------------------------------------------------


def table(runs: list[DatabaseRun]) -> str:
    """Markdown table: one row per database and query type."""
    lines = [
        "| database | query | n | with results | p50 ms | p95 ms | max ms | p95 ≤ 30 ms |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for run in runs:
        for name, timing in run.timings.items():
            verdict = "PASS" if timing.passed else "FAIL"
            lines.append(
                f"| {run.name} | {name} | {len(timing.samples_ms)} | {timing.results} "
                f"| {timing.p50:.2f} | {timing.p95:.2f} | {timing.max:.2f} | {verdict} |"
            )
    return "\n".join(lines)


def machine() -> dict[str, str]:
    return {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": str(os.cpu_count() or "?"),
        "nproc": str(len(os.sched_getaffinity(0)))
        if hasattr(os, "sched_getaffinity")
        else str(os.cpu_count()),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load": " / ".join(f"{x:.1f}" for x in os.getloadavg())
        if hasattr(os, "getloadavg")
        else "?",
    }


def report(runs: list[DatabaseRun], args: argparse.Namespace) -> str:
    info = machine()
    versions = ", ".join(run.version for run in runs)
    generation = ", ".join(
        f"{run.name} {run.generate_s:.1f} s ({sum(run.rows.values())} rows)" for run in runs
    )
    return "\n".join(
        [
            "## Latest run",
            "",
            f"- Date: {info['date']}",
            f"- Machine: {info['nproc']} CPUs (`nproc`), {info['platform']}; load average "
            f"(1/5/15 min) at the end of the run: {info['load']}",
            f"- Python {info['python']}; {versions}",
            f"- Data: {args.services} services in {args.cities} cities, "
            f"{args.queries} queries per type after {WARMUP} warm-up queries",
            f"- Generation (bulk insert + ANALYZE): {generation}",
            f"- Command: `make bench-directory` (`python -m bot.directory.benchmark "
            f"--services {args.services} --cities {args.cities} --queries {args.queries} "
            f"--databases {','.join(args.databases)}`)",
            "",
            table(runs),
            "",
        ]
    )


REPORT_START = "<!-- benchmark:start -->"
REPORT_END = "<!-- benchmark:end -->"


def write_report(path: Path, body: str) -> None:
    """Replace the generated section of `path` (between the markers), keeping the prose."""
    block = f"{REPORT_START}\n{body}{REPORT_END}\n"
    if path.exists():
        current = path.read_text(encoding="utf-8")
        if REPORT_START in current and REPORT_END in current:
            head, rest = current.split(REPORT_START, 1)
            tail = rest.split(REPORT_END, 1)[1].lstrip("\n")
            path.write_text(head + block + ("\n" + tail if tail else ""), encoding="utf-8")
            return
        path.write_text(current.rstrip("\n") + "\n\n" + block, encoding="utf-8")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# Directory performance\n\n" + block, encoding="utf-8")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot.directory.benchmark", description=__doc__)
    parser.add_argument("--services", type=int, default=50_000)
    parser.add_argument("--cities", type=int, default=500)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--databases",
        default="sqlite,postgresql",
        type=lambda v: [d.strip() for d in v.split(",") if d.strip()],
        help="comma-separated: sqlite, postgresql",
    )
    parser.add_argument("--report", type=Path, help="write the results into this markdown file")
    parser.add_argument("--sqlite-path", type=Path, default=SQLITE_PATH)
    args = parser.parse_args(argv)
    unknown = set(args.databases) - {"sqlite", "postgresql"}
    if unknown or not args.databases:
        parser.error("--databases takes sqlite and/or postgresql")
    if args.services < 1 or args.cities < 1 or args.queries < 1:
        parser.error("--services, --cities and --queries must be 1 or more")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    runs = []
    for name in args.databases:
        try:
            runs.append(
                run_database(name, args.services, args.cities, args.queries, args.sqlite_path)
            )
        except Exception as exc:  # noqa: BLE001 - report, measure the other database
            print(f"[{name}] benchmark failed: {exc.__class__.__name__}: {exc}", flush=True)
    print()
    print(table(runs))
    failed = [(r.name, q) for r in runs for q, t in r.timings.items() if not t.passed]
    print()
    if failed:
        print(
            f"p95 target {TARGET_P95_MS:.0f} ms: FAIL for "
            + ", ".join(f"{db} {query}" for db, query in failed)
        )
    elif runs:
        print(f"p95 target {TARGET_P95_MS:.0f} ms: PASS for every query type and database")
    if args.report and runs:
        write_report(args.report, report(runs, args))
        print(f"Report written to {args.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
