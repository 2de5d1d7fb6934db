"""Load the version-controlled content files into the database.

``data/content/articles/*.yml`` → ``article``; ``data/content/emergency.yml`` →
``contact_number``. A row is rewritten only when its record in the file changed since the
last import (``seed_hash``), so corrections staff make in the database are kept until
someone changes the same record in the file; ``force`` rewrites every row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.content.models import Article, ContactNumber
from bot.settings import ROOT

CONTENT_DIR = ROOT / "data" / "content"


def record_hash(record: dict[str, Any]) -> str:
    return hashlib.sha256(
        json.dumps(record, sort_keys=True, default=str, ensure_ascii=False).encode()
    ).hexdigest()


def _date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def article_records(directory: Path) -> list[dict[str, Any]]:
    """Every article of every topic file, with its topic."""
    records = []
    for path in sorted(directory.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        records.extend({"topic": data["topic"], **a} for a in data["articles"])
    return records


def contact_records(path: Path) -> list[dict[str, Any]]:
    """Emergency numbers (with their country's sources) and helplines (with their own)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    checked = data.get("checked_at")
    records = []
    for country, entry in data["countries"].items():
        for position, contact in enumerate(entry.get("contacts") or []):
            records.append(
                {"country": country, "kind": "emergency", "position": position,
                 "number": str(contact["number"]), "labels": contact["label"],
                 "sources": entry.get("sources") or [], "checked_at": checked}
            )  # fmt: skip
        for position, helpline in enumerate(entry.get("helplines") or []):
            source = helpline.get("source")
            records.append(
                {"country": country, "kind": "helpline", "position": position,
                 "number": str(helpline["number"]), "labels": helpline["label"],
                 "sources": [source] if source else helpline.get("sources") or [],
                 "checked_at": helpline.get("checked_at", checked)}
            )  # fmt: skip
    return records


def _upsert(
    session: Session, model: type, row: Any, values: dict[str, Any], digest: str, force: bool
) -> str:
    if row is not None and row.seed_hash == digest and not force:
        return "unchanged"
    created = row is None
    if created:
        row = model()
        session.add(row)
    for key, value in values.items():
        setattr(row, key, value)
    row.seed_hash = digest
    row.active = True
    return "created" if created else "updated"


def load_articles(session: Session, directory: Path, force: bool = False) -> Counter[str]:
    stats: Counter[str] = Counter()
    existing = {(a.topic, a.country, a.language): a for a in session.scalars(select(Article))}
    for record in article_records(directory):
        key = (record["topic"], record["country"], record["language"])
        values = {
            "topic": key[0], "country": key[1], "language": key[2],
            "title": record["title"].strip(), "body": record["body"].strip(),
            "sources": record.get("sources") or [],
            "service_categories": record.get("service_categories") or [],
            "rules_changed": record.get("rules_changed"),
            "status": record.get("status") or "draft",
            "reviewed_at": _date(record.get("reviewed_at")),
            "reviewer": record.get("reviewer"),
        }  # fmt: skip
        digest = record_hash(record)
        stats[
            "articles." + _upsert(session, Article, existing.get(key), values, digest, force)
        ] += 1
    return stats


def load_contacts(session: Session, path: Path, force: bool = False) -> Counter[str]:
    stats: Counter[str] = Counter()
    existing = {(c.country, c.kind, c.number): c for c in session.scalars(select(ContactNumber))}
    for record in contact_records(path):
        key = (record["country"], record["kind"], record["number"])
        values = {**record, "checked_at": _date(record["checked_at"])}
        digest = record_hash(record)
        stats[
            "contacts." + _upsert(session, ContactNumber, existing.get(key), values, digest, force)
        ] += 1
    return stats


def load_content(
    session: Session, directory: Path = CONTENT_DIR, force: bool = False
) -> Counter[str]:
    stats = load_articles(session, directory / "articles", force)
    stats.update(load_contacts(session, directory / "emergency.yml", force))
    session.flush()
    return stats
