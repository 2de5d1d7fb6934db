"""Content tables: rights articles, emergency numbers and helplines, and the two
anonymous counters staff read (missing translations, 👍/👎 feedback).

Nothing here holds a user id or message text: gaps and votes are counted per topic,
country, language and day only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Article(Base):
    """One answer: a topic for one country (BE, MA, or ``other``) in one language."""

    __tablename__ = "article"
    __table_args__ = (UniqueConstraint("topic", "country", "language", name="uq_article_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic: Mapped[str] = mapped_column(String(50))
    country: Mapped[str] = mapped_column(String(10))
    language: Mapped[str] = mapped_column(String(5))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # [{"url": ..., "title": ...}]
    sources: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # service_category values the "find help nearby" buttons search for, most useful first
    service_categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    rules_changed: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="draft")  # draft | published
    reviewed_at: Mapped[dt.date | None] = mapped_column(Date)
    reviewer: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Hash of the seed-file record last loaded: a re-import rewrites a row only when its
    # file record changed, so staff edits in the database survive an unchanged file.
    seed_hash: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class ContactNumber(Base):
    """A number to call: ``emergency`` (police, ambulance) or a free ``helpline``."""

    __tablename__ = "contact_number"
    __table_args__ = (UniqueConstraint("country", "kind", "number", name="uq_contact_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    country: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(20))  # emergency | helpline
    number: Mapped[str] = mapped_column(String(40))
    labels: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # language → label
    # [{"url", "publisher", "quote"}]: the page that gives this number
    sources: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    checked_at: Mapped[dt.date | None] = mapped_column(Date)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    seed_hash: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class ContentGap(Base):
    """How often an answer was wanted in a language it does not exist in yet."""

    __tablename__ = "content_gap"
    __table_args__ = (
        UniqueConstraint("topic", "country", "language", "day", name="uq_content_gap"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic: Mapped[str] = mapped_column(String(50))
    country: Mapped[str] = mapped_column(String(10))
    language: Mapped[str] = mapped_column(String(5))
    day: Mapped[dt.date] = mapped_column(Date)
    count: Mapped[int] = mapped_column(Integer, default=0)


class Feedback(Base):
    """One 👍 or 👎 on an answer; anonymous by construction (no sender, no text, no time)."""

    __tablename__ = "feedback"
    __table_args__ = (Index("ix_feedback_day_topic", "day", "topic"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic: Mapped[str] = mapped_column(String(50))
    country: Mapped[str] = mapped_column(String(10))
    language: Mapped[str] = mapped_column(String(5))
    vote: Mapped[str] = mapped_column(String(10))  # up | down
    day: Mapped[dt.date] = mapped_column(Date)
