"""Answers come from the database: fallback, gaps, feedback, live edits, re-import."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update

from bot.content.articles import find_answer, record_feedback
from bot.content.models import Article, ContactNumber, ContentGap, Feedback
from bot.content.seed import CONTENT_DIR, load_content
from bot.db import session_scope


def test_birth_registration_differs_by_country(content_db):
    with session_scope() as session:
        be = find_answer(session, "birth_registration", "BE", "en")
        ma = find_answer(session, "birth_registration", "MA", "en")
    assert "15 days" in be.body and "municipality" in be.body
    assert "30 days" in ma.body
    assert be.sources and ma.sources and be.sources != ma.sources


def test_any_other_country_reads_the_general_article(content_db):
    with session_scope() as session:
        other = find_answer(session, "asylum_procedure", "other", "fr")
        spain = find_answer(session, "asylum_procedure", "ES", "fr")
    assert other.country == spain.country == "other"
    assert other.body == spain.body
    assert "UNHCR" in other.body or "HCR" in other.body


def test_missing_translation_falls_back_to_english_and_is_counted(content_db):
    with session_scope() as session:
        session.execute(
            update(Article)
            .where(Article.topic == "detention", Article.country == "BE", Article.language == "nl")
            .values(status="draft")
        )
    with session_scope() as session:
        first = find_answer(session, "detention", "BE", "nl")
        find_answer(session, "detention", "BE", "nl")
    assert first.language == "en" and first.wanted_language == "nl" and first.is_fallback
    with session_scope() as session:
        gap = session.scalars(select(ContentGap)).one()
    assert (gap.topic, gap.country, gap.language, gap.count) == ("detention", "BE", "nl", 2)
    assert gap.day == dt.datetime.now(dt.timezone.utc).date()


def test_an_edit_in_the_database_shows_in_the_next_answer(content_db):
    with session_scope() as session:
        session.execute(
            update(Article)
            .where(Article.topic == "rights_health", Article.country == "BE",
                   Article.language == "en")
            .values(body="Corrected by staff.")
        )  # fmt: skip
    with session_scope() as session:
        assert find_answer(session, "rights_health", "BE", "en").body == "Corrected by staff."


def test_reimport_keeps_staff_edits_unless_the_file_changed_or_forced(content_db):
    key = (Article.topic == "rights_work", Article.country == "MA", Article.language == "fr")
    with session_scope() as session:
        session.execute(update(Article).where(*key).values(body="Edited in the console."))
    with session_scope() as session:
        stats = load_content(session)
        assert stats["articles.updated"] == 0 and stats["articles.created"] == 0
        assert session.scalar(select(Article.body).where(*key)) == "Edited in the console."
    with session_scope() as session:
        session.execute(update(Article).where(*key).values(seed_hash="file changed since"))
    with session_scope() as session:
        assert load_content(session)["articles.updated"] == 1
        assert session.scalar(select(Article.body).where(*key)) != "Edited in the console."
    with session_scope() as session:
        assert load_content(session, CONTENT_DIR, force=True)["articles.updated"] == 144


def test_feedback_is_anonymous_and_validated(content_db):
    with session_scope() as session:
        assert record_feedback(session, "rights_health", "MA", "ar", "up")
        assert not record_feedback(session, "rights_health", "MA", "ar", "maybe")
        assert not record_feedback(session, "<script>", "MA", "ar", "up")
    with session_scope() as session:
        rows = session.scalars(select(Feedback)).all()
    assert [(f.topic, f.country, f.language, f.vote) for f in rows] == [
        ("rights_health", "MA", "ar", "up")
    ]
    assert set(Feedback.__table__.columns.keys()) == {
        "id", "topic", "country", "language", "vote", "day"
    }  # fmt: skip


def test_emergency_numbers_come_from_the_database(content_db):
    from bot.content.emergency import emergency_slots

    with session_scope() as session:
        session.execute(
            update(ContactNumber)
            .where(ContactNumber.country == "BE", ContactNumber.number == "101")
            .values(labels={"en": "Police (edited)", "fr": "Police", "nl": "Politie", "ar": "x"})
        )
    assert "Police (edited)" in emergency_slots("BE", "en")["emergency_contacts"]
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(ContactNumber)) >= 6


def test_emergency_numbers_survive_a_broken_database(tmp_path, monkeypatch):
    import bot.db
    from bot.content.emergency import emergency_slots

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'not-migrated.db'}")
    bot.db.reset_caches()
    try:
        slots = emergency_slots("MA", "fr")
    finally:
        bot.db.get_engine().dispose()
        bot.db.reset_caches()
    assert "19" in slots["emergency_contacts"] and "15" in slots["emergency_contacts"]
