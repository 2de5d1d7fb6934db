"""Erasing a conversation in a tracker store laid out as Rasa's SQL tracker store."""

import sqlalchemy as sa

from bot.conversations import erase_conversation


def test_erase_deletes_only_that_senders_events(tmp_path):
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as c:
        c.execute(
            sa.text("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, data TEXT)")
        )
        for sender in ("a", "a", "b"):
            c.execute(
                sa.text("INSERT INTO events (sender_id, data) VALUES (:s, '{}')"), {"s": sender}
            )
    assert erase_conversation("a", url) == 2
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT sender_id FROM events")).scalars().all() == ["b"]


def test_erase_without_any_stored_conversation_is_harmless(tmp_path):
    assert erase_conversation("a", f"sqlite:///{tmp_path / 'empty.db'}") == 0
