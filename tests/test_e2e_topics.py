"""Issue 4 end to end: rights answers from the database through the real Rasa server and
action server (the shared ``stack`` fixture), as a channel sees them."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.stack import new_sender, response_text

pytestmark = pytest.mark.e2e

BIRTH_QUESTION = {
    "en": "How do I register my baby's birth?",
    "fr": "Comment déclarer la naissance de mon bébé ?",
    "nl": "Hoe geef ik de geboorte van mijn baby aan?",
    "ar": "كيف أسجل ولادة طفلي؟",
}
# What the answer must say (issue 4): the deadline and the office, in the user's language.
DEADLINE = {
    "BE": {"en": "15 days", "fr": "15 jours", "nl": "15 dagen", "ar": "15"},
    "MA": {"en": "30 days", "fr": "30 jours", "nl": "30 dagen", "ar": "30"},
}
OFFICE = {
    "en": "civil regist", "fr": "état civil", "nl": "burgerlijke stand", "ar": "الحالة المدنية"
}  # fmt: skip
MUNICIPALITY = {"en": "municipality", "fr": "commune", "nl": "gemeente", "ar": "جماعة|بلدية"}


def _article(replies: list[dict]) -> str:
    """The article's body: the message before the sources (Rasa's REST channel sends the
    title, which a blank line separates from the body, as a message of its own)."""
    texts = [r.get("text", "") for r in replies]
    source_at = next(i for i, t in enumerate(texts) if "https://" in t)
    return texts[source_at - 1]


def _db(stack) -> sa.Engine:
    return sa.create_engine(stack.env["DATABASE_URL"])


@pytest.mark.parametrize("country", ["BE", "MA"])
@pytest.mark.parametrize("language", ["en", "fr", "nl", "ar"])
def test_birth_registration_answer_per_country_and_language(stack, country, language):
    sender = new_sender()
    stack.say(sender, f'/choose_language{{"language": "{language}"}}')
    stack.say(sender, f'/choose_country{{"country": "{country}"}}')
    replies = stack.say(sender, BIRTH_QUESTION[language])
    article = _article(replies)
    assert DEADLINE[country][language] in article
    assert re.search(OFFICE[language], article)
    if country == "BE":
        assert re.search(MUNICIPALITY[language], article)
    if language == "ar":
        assert re.search(r"[\u0600-\u06FF]", article)
    sources = next(r["text"] for r in replies if "https://" in r.get("text", ""))
    assert sources.startswith(response_text("utter_article_sources", language).split("{")[0])
    assert re.search(r"\d{4}-\d{2}-\d{2}", sources)  # the review date
    last = replies[-1]
    assert last["text"] == response_text("utter_article_feedback", language)
    payloads = [b["payload"] for b in last["buttons"]]
    assert payloads[0].startswith("/find_service")
    assert payloads[-2:] == ['/feedback{"vote": "up"}', '/feedback{"vote": "down"}']


def test_unknown_country_is_asked_then_answered(stack):
    sender = new_sender()
    replies = stack.say(sender, BIRTH_QUESTION["en"])
    assert replies[0]["text"] == response_text("utter_ask_country_for_topic", "en")
    assert [b["payload"] for b in replies[0]["buttons"]] == [
        '/choose_country{"country": "BE"}',
        '/choose_country{"country": "MA"}',
        '/choose_country{"country": "other"}',
    ]
    replies = stack.say(sender, '/choose_country{"country": "MA"}')
    assert "30 days" in _article(replies)


def test_another_country_gets_general_rights_and_unhcr_iom(stack):
    sender = new_sender()
    stack.say(sender, BIRTH_QUESTION["en"])
    replies = stack.say(sender, '/choose_country{"country": "other"}')
    article = _article(replies)
    assert "UNHCR" in article and "IOM" in article
    assert "15 days" not in article and "30 days" not in article
    assert [b["title"] for b in replies[-1]["buttons"]] == ["👍", "👎"]


def test_switching_language_then_country_changes_the_answer(stack):
    sender = new_sender()
    stack.say(sender, '/choose_country{"country": "BE"}')
    english = _article(stack.say(sender, BIRTH_QUESTION["en"]))
    replies = stack.say(sender, '/choose_language{"language": "fr"}')
    assert replies[0]["text"] == response_text("utter_language_switched", "fr")
    french = _article(replies)
    assert "15 jours" in french and french != english
    replies = stack.say(sender, '/choose_country{"country": "MA"}')
    assert replies[0]["text"].startswith("Pour le Maroc")
    assert "30 jours" in _article(replies)


def test_a_database_edit_shows_in_the_next_answer_without_restart(stack):
    engine = _db(stack)
    key = "topic = 'rights_health' AND country = 'BE' AND language = 'en'"
    with engine.begin() as c:
        old = c.execute(sa.text(f"SELECT body FROM article WHERE {key}")).scalar_one()
        c.execute(sa.text(f"UPDATE article SET body = :b WHERE {key}"), {"b": "Staff edit 42."})
    try:
        sender = new_sender()
        stack.say(sender, '/choose_country{"country": "BE"}')
        replies = stack.say(sender, "/rights_health")
        assert _article(replies).endswith("Staff edit 42.")
    finally:
        with engine.begin() as c:
            c.execute(sa.text(f"UPDATE article SET body = :b WHERE {key}"), {"b": old})
        engine.dispose()


def test_missing_translation_shows_english_with_a_note_and_counts_the_gap(stack):
    engine = _db(stack)
    key = "topic = 'rights_work' AND country = 'MA' AND language = 'nl'"
    with engine.begin() as c:
        c.execute(sa.text(f"UPDATE article SET status = 'draft' WHERE {key}"))
    try:
        sender = new_sender()
        stack.say(sender, '/choose_language{"language": "nl"}')
        stack.say(sender, '/choose_country{"country": "MA"}')
        replies = stack.say(sender, "/rights_work")
        note = response_text("utter_article_translation_missing", "nl").split("{")[0]
        assert replies[0]["text"].startswith(note) and "Engels" in replies[0]["text"]
        with engine.connect() as c:
            english = c.execute(
                sa.text("SELECT title FROM article WHERE topic = 'rights_work'"
                        " AND country = 'MA' AND language = 'en'")
            ).scalar_one()  # fmt: skip
            gaps = c.execute(sa.text(f"SELECT SUM(count) FROM content_gap WHERE {key}")).scalar()
        assert english in [r.get("text") for r in replies]  # the English title
        assert gaps >= 1
    finally:
        with engine.begin() as c:
            c.execute(sa.text(f"UPDATE article SET status = 'published' WHERE {key}"))
        engine.dispose()


def test_thumbs_are_stored_without_anything_about_the_user(stack):
    engine = _db(stack)
    with engine.connect() as c:
        before = c.execute(sa.text("SELECT COUNT(*) FROM feedback WHERE vote = 'up'")).scalar()
    sender = new_sender()
    stack.say(sender, '/choose_country{"country": "MA"}')
    stack.say(sender, "/residence_permit")
    replies = stack.say(sender, '/feedback{"vote": "up"}')
    assert replies[0]["text"] == response_text("utter_feedback_thanks", "en")
    stack.say(sender, '/feedback{"vote": "up"}')  # a second tap is not counted twice
    with engine.connect() as c:
        rows = c.execute(sa.text("SELECT * FROM feedback WHERE vote = 'up'")).mappings().all()
    engine.dispose()
    assert len(rows) == before + 1
    assert rows[-1]["topic"] == "residence_permit" and rows[-1]["country"] == "MA"
    assert sender not in str(rows)
