"""The topic actions run directly with dict-built trackers (as Rasa's demo bots test)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.answer_topic import ActionAnswerTopic, ActionApplyChoice, ActionRecordFeedback
from bot.content.models import Feedback
from bot.db import session_scope


def tracker(
    intent: str,
    slots: dict[str, Any] | None = None,
    entities: list[dict] | None = None,
    previous_turn: list[dict] | None = None,
) -> Tracker:
    """A tracker whose previous bot turn holds ``previous_turn`` (slot events)."""
    events = [
        {"event": "user", "text": "earlier", "parse_data": {}},
        *(previous_turn or []),
        {"event": "user", "text": "now", "parse_data": {}},
    ]
    return Tracker(
        sender_id="pseudonymous",
        slots={"language": "en", "country": None, **(slots or {})},
        latest_message={"intent": {"name": intent}, "entities": entities or [], "text": "now"},
        events=events,
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


async def run(action, t: Tracker) -> tuple[list[dict], dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, t, {})
    return dispatcher.messages, {e["name"]: e["value"] for e in events if e["event"] == "slot"}


async def test_unknown_country_is_asked_first(content_db):
    messages, slots = await run(ActionAnswerTopic(), tracker("birth_registration"))
    assert [m["response"] for m in messages] == ["utter_ask_country_for_topic"]
    assert slots == {"pending_topic": "birth_registration"}


async def test_country_choice_answers_the_waiting_question(content_db):
    t = tracker(
        "choose_country",
        slots={"country": "MA", "language": "fr"},
        entities=[{"entity": "country", "value": "MA"}],
        previous_turn=[{"event": "slot", "name": "pending_topic", "value": "birth_registration"}],
    )
    messages, slots = await run(ActionApplyChoice(), t)
    article = next(m["text"] for m in messages if m.get("text"))
    assert "30 jours" in article
    sources = next(m for m in messages if m.get("response") == "utter_article_sources")
    assert "https://" in sources["sources"] and sources["reviewed_at"]
    feedback = next(m for m in messages if m.get("response") == "utter_article_feedback")
    payloads = [b["payload"] for b in feedback["buttons"]]
    assert payloads[0].startswith('/find_service{"service_category": "')
    assert payloads[-2:] == ['/feedback{"vote": "up"}', '/feedback{"vote": "down"}']
    assert slots["last_topic"] == "birth_registration" and slots["pending_topic"] is None


async def test_language_switch_gives_the_answer_just_shown_again(content_db):
    t = tracker(
        "choose_language",
        slots={"country": "BE", "language": "ar"},
        entities=[{"entity": "language", "value": "ar"}],
        previous_turn=[{"event": "slot", "name": "last_topic", "value": "birth_registration"}],
    )
    messages, _ = await run(ActionApplyChoice(), t)
    assert messages[0]["response"] == "utter_language_switched"
    article = next(m["text"] for m in messages if m.get("text"))
    assert "15" in article and any("\u0600" <= ch <= "\u06ff" for ch in article)


async def test_a_choice_without_a_question_only_confirms(content_db):
    t = tracker("choose_country", slots={"country": "BE"},
                entities=[{"entity": "country", "value": "BE"}])  # fmt: skip
    messages, slots = await run(ActionApplyChoice(), t)
    assert [m["response"] for m in messages] == ["utter_country_set"] and slots == {}


async def test_other_country_gets_no_directory_button(content_db):
    t = tracker("asylum_procedure", slots={"country": "other"})
    messages, _ = await run(ActionAnswerTopic(), t)
    feedback = next(m for m in messages if m.get("response") == "utter_article_feedback")
    assert [b["title"] for b in feedback["buttons"]] == ["👍", "👎"]


async def test_one_vote_per_answer_is_stored_anonymously(content_db):
    entities = [{"entity": "vote", "value": "down"}]
    slots = {"country": "BE", "last_topic": "rights_housing", "feedback_given": False}
    messages, set_slots = await run(ActionRecordFeedback(), tracker("feedback", slots, entities))
    assert messages[0]["response"] == "utter_feedback_thanks"
    assert set_slots == {"feedback_given": True}
    again = tracker("feedback", {**slots, "feedback_given": True}, entities)
    await run(ActionRecordFeedback(), again)
    with session_scope() as session:
        votes = session.scalars(select(Feedback)).all()
    assert [(v.topic, v.country, v.language, v.vote) for v in votes] == [
        ("rights_housing", "BE", "en", "down")
    ]
