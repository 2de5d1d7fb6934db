"""Staff console tables: accounts, the audit trail, console settings, anonymous counters.

None of them holds message text or a sender id, except `question_sample`, which only
receives scrubbed text when an admin switches sampling on (off by default).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, DateTime, Index, Integer, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base

ROLES = ("admin", "editor", "viewer")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class StaffUser(Base):
    """A console account. Deactivated, never deleted, so the audit trail keeps its names."""

    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20), default="viewer")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def __str__(self) -> str:
        return self.username


class AuditLog(Base):
    """One changed field of one record: HSDS `metadata` (who, when, what, old, new)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_record", "resource_type", "resource_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    username: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(20))  # create | update | import
    resource_type: Mapped[str] = mapped_column(String(50))  # table name
    resource_id: Mapped[str] = mapped_column(String(100))
    field_name: Mapped[str] = mapped_column(String(50))
    previous_value: Mapped[str | None] = mapped_column(Text)
    replacement_value: Mapped[str | None] = mapped_column(Text)


class ConsoleSetting(Base):
    """Switches admins flip at run time (sampling of unanswered questions, ...)."""

    __tablename__ = "console_setting"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(String(500))


class UsageCounter(Base):
    """Anonymous per-day counts: (day, metric, key) -> count. No text, no sender."""

    __tablename__ = "usage_counter"
    __table_args__ = (UniqueConstraint("day", "metric", "key", name="uq_usage_counter"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date)
    metric: Mapped[str] = mapped_column(String(30))  # conversations, intents, languages, ...
    key: Mapped[str] = mapped_column(String(100))
    count: Mapped[int] = mapped_column(Integer, default=0)


class QuestionSample(Base):
    """A scrubbed unanswered question, kept only while sampling is switched on."""

    __tablename__ = "question_sample"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date)
    language: Mapped[str | None] = mapped_column(String(5))
    text: Mapped[str] = mapped_column(Text)
