"""The audit trail: every field a console session changes, with who, when, old and new.

A SQLAlchemy `after_flush` hook on the console's own sessionmaker, so sqladmin's forms,
the review queue and anything else written through the console are all recorded, in the
same transaction as the change itself. The bot's own sessions are not audited.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import event, insert, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from bot.db import get_engine
from bot.web.admin.auth import current_username
from bot.web.admin.models import AuditLog, utcnow

SKIPPED = {"password_hash", "seed_hash", "updated_at", "last_modified"}
NOT_AUDITED = {"audit_log", "usage_counter", "question_sample"}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _record_id(obj: Any) -> str:
    # The identity key is only set after the flush; the primary key columns already are.
    return ",".join(str(part) for part in inspect(obj).mapper.primary_key_from_instance(obj))


def changes(session: Session) -> list[dict[str, Any]]:
    """One row per changed column of every new or modified object in the flush."""
    who = current_username.get() or "system"
    now = utcnow()
    rows = []
    for obj, action in [(o, "create") for o in session.new] + [
        (o, "update") for o in session.dirty
    ]:
        state = inspect(obj)
        table = state.mapper.local_table.name
        if table in NOT_AUDITED:
            continue
        for column in state.mapper.column_attrs:
            if column.key in SKIPPED:
                continue
            history = state.attrs[column.key].history
            if action == "update" and not history.has_changes():
                continue
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else getattr(obj, column.key, None)
            if action == "create" and new is None:
                continue
            if _text(old) == _text(new) and action == "update":
                continue
            rows.append(
                {
                    "changed_at": now,
                    "username": who,
                    "action": action,
                    "resource_type": table,
                    "resource_id": _record_id(obj),
                    "field_name": column.key,
                    "previous_value": _text(old),
                    "replacement_value": _text(new),
                }
            )
    return rows


def _after_flush(session: Session, _context: Any) -> None:
    rows = changes(session)
    if rows:
        session.connection().execute(insert(AuditLog.__table__), rows)


def _stamp(session: Session, _context: Any, _instances: Any) -> None:
    """HSDS `last_modified`: a service changes when it or one of its parts (phone...) does."""
    now = utcnow()
    for obj in list(session.new) + list(session.dirty):
        if not session.is_modified(obj) and obj not in session.new:
            continue
        for target in (obj, getattr(obj, "service", None)):
            if target is not None and hasattr(target, "last_modified"):
                target.last_modified = now


class _CurrentEngine(sessionmaker):  # type: ignore[type-arg]
    """Binds each session to `bot.db`'s engine when it opens, not when the app is built."""

    def __call__(self, **kw: Any) -> Session:
        kw.setdefault("bind", get_engine())
        return super().__call__(**kw)


def audited_sessionmaker() -> sessionmaker[Session]:
    """A sessionmaker whose every flush stamps `last_modified` and writes the audit trail."""
    factory = _CurrentEngine(expire_on_commit=False)
    event.listen(factory, "before_flush", _stamp)
    event.listen(factory, "after_flush", _after_flush)
    return factory


def history(session: Session, table: str, record_id: str, limit: int = 200) -> list[AuditLog]:
    return list(
        session.scalars(
            select(AuditLog)
            .where(AuditLog.resource_type == table, AuditLog.resource_id == str(record_id))
            .order_by(AuditLog.changed_at.desc(), AuditLog.id.desc())
            .limit(limit)
        )
    )
