"""Anonymous usage counters for the staff console's Insights page.

One call per user message, from the action server: it bumps per-day counts of
conversations, intents (topics), languages, channels and fallbacks. It never stores the
message text or the sender id. Only when an admin switches on sampling (off by default)
is the text of an *unanswered* question kept, after `scrub` removed anything that looks
like a number, e-mail address or link.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from bot.db import session_scope
from bot.web.admin.models import ConsoleSetting, QuestionSample, UsageCounter

log = logging.getLogger(__name__)

FALLBACK_INTENT = "nlu_fallback"
SAMPLING_KEY = "sample_unanswered_questions"
MAX_SAMPLE_CHARS = 300
KEY_CHARS = re.compile(r"[^A-Za-z0-9_.\-]")

_EMAIL = re.compile(r"\S+@\S+")
_URL = re.compile(r"(?:https?://|www\.)\S+|\b\S+\.(?:com|org|net|be|ma|eu|info)\b\S*", re.I)
_DIGITS = re.compile(r"[+(]?\d[\d\s().\-/]*")


def scrub(text: str) -> str:
    """The question without e-mails, links or digits (phone, ID and case numbers, dates).

    Names cannot be recognised reliably in four languages, which is why sampling is off
    by default and the samples are shown to signed-in staff only.
    """
    text = _EMAIL.sub("[email]", text)
    text = _URL.sub("[link]", text)
    text = _DIGITS.sub("[number] ", text)
    return " ".join(text.split())[:MAX_SAMPLE_CHARS]


def _key(value: Any) -> str:
    return KEY_CHARS.sub("_", str(value or "unknown"))[:100]


def bump(session: Session, day: dt.date, metric: str, key: str, by: int = 1) -> None:
    where = (UsageCounter.day == day, UsageCounter.metric == metric, UsageCounter.key == key)
    done = session.execute(update(UsageCounter).where(*where).values(count=UsageCounter.count + by))
    if done.rowcount:
        return
    try:
        with session.begin_nested():
            session.add(UsageCounter(day=day, metric=metric, key=key, count=by))
    except IntegrityError:  # another process inserted it first
        session.execute(update(UsageCounter).where(*where).values(count=UsageCounter.count + by))


def sampling_enabled(session: Session) -> bool:
    setting = session.get(ConsoleSetting, SAMPLING_KEY)
    return setting is not None and setting.value == "on"


def record_turn(
    *,
    intent: str | None,
    language: str | None,
    channel: str | None,
    first_turn: bool,
    text: str | None = None,
    day: dt.date | None = None,
) -> None:
    """Counts one user message; never raises (the answer matters more than the count)."""
    day = day or dt.datetime.now(dt.timezone.utc).date()
    try:
        with session_scope() as session:
            if first_turn:
                bump(session, day, "conversations", "all")
                bump(session, day, "channels", _key(channel))
            bump(session, day, "messages", "all")
            bump(session, day, "intents", _key(intent))
            bump(session, day, "languages", _key(language))
            if intent == FALLBACK_INTENT:
                bump(session, day, "fallbacks", _key(language))
                if text and sampling_enabled(session):
                    session.add(QuestionSample(day=day, language=language, text=scrub(text)))
    except SQLAlchemyError:
        log.warning("usage counters not recorded", exc_info=True)


def record_tracker(tracker: Any, language: str | None) -> None:
    """`record_turn` from a rasa-sdk Tracker (called by action_validate_slot_mappings)."""
    latest = tracker.latest_message or {}
    users = [event for event in tracker.events if event.get("event") == "user"]
    # Gateways (Telegram) name themselves in the message metadata; Rasa keeps it on the
    # user event. Otherwise the Rasa input channel: rest, socketio (the web widget).
    metadata = latest.get("metadata") or (users[-1].get("metadata") if users else None) or {}
    channel = metadata.get("channel") or tracker.get_latest_input_channel()
    record_turn(
        intent=(latest.get("intent") or {}).get("name"),
        language=language,
        channel=channel,
        first_turn=len(users) <= 1,
        text=latest.get("text"),
    )


def totals(session: Session, since: dt.date) -> list[UsageCounter]:
    return list(
        session.scalars(
            select(UsageCounter).where(UsageCounter.day >= since).order_by(UsageCounter.day)
        )
    )
