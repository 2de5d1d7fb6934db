"""Erasing a conversation, for the channels' "forget me" commands.

Rasa 3.6 has no endpoint that deletes a conversation, and its SQL tracker store reads
a conversation's events from the database on every message, so erasing the events of a
sender in that store forgets the conversation for good: the next message starts afresh.
"""

from __future__ import annotations

import sqlalchemy as sa

from bot.settings import get_settings

_engines: dict[str, sa.Engine] = {}


def _tracker_engine(url: str) -> sa.Engine:
    if url not in _engines:
        _engines[url] = sa.create_engine(url, pool_pre_ping=True)
    return _engines[url]


def erase_conversation(sender_id: str, tracker_store_url: str | None = None) -> int:
    """Delete every stored event of ``sender_id``; returns how many were deleted."""
    engine = _tracker_engine(tracker_store_url or get_settings().tracker_store_url)
    if not sa.inspect(engine).has_table("events"):
        return 0  # Rasa has not stored any conversation yet
    events = sa.table("events", sa.column("sender_id"))
    with engine.begin() as connection:
        result = connection.execute(sa.delete(events).where(events.c.sender_id == sender_id))
    return result.rowcount or 0
