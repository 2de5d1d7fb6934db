"""Rights and legal-identity answers: thin actions around bot.content.articles.

``action_answer_topic`` answers the topic intent just recognised for the user's country
and language, or first asks the country. ``action_apply_choice`` runs when the user picks
a country or a language: it answers a question waiting for the country, or gives the
answer just shown again for the new country or language. ``action_record_feedback``
stores a 👍/👎 anonymously.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.content.articles import TOPICS, find_answer, format_sources, record_feedback
from bot.content.labels import label
from bot.db import session_scope
from bot.directory.answers import category_name
from bot.settings import get_settings

DomainDict = dict[str, Any]
MAX_HELP_BUTTONS = 2
# What a choice of country or language says: a short lead-in before the answer shown
# again, or the confirmation with the other choices.
SWITCHED = {"country": "utter_country_switched", "language": "utter_language_switched"}
CONFIRMED = {"country": "utter_country_set", "language": "utter_language_set"}


def _language(tracker: Tracker) -> str:
    return tracker.get_slot("language") or get_settings().default_language


def _since_last_user_message(tracker: Tracker) -> list[dict[str, Any]]:
    """Events of the previous bot turn: between the last two user messages."""
    events = list(tracker.events)
    users = [i for i, e in enumerate(events) if e.get("event") == "user"]
    if len(users) < 2:
        return []
    return events[users[-2] + 1 : users[-1]]


def _set_in_previous_turn(tracker: Tracker, slot: str) -> str | None:
    """The value ``slot`` got in the previous bot turn, if it got one."""
    value = None
    for event in _since_last_user_message(tracker):
        if event.get("event") == "slot" and event.get("name") == slot:
            value = event.get("value")
    return value


def answer(
    dispatcher: CollectingDispatcher, topic: str, country: str, language: str
) -> list[dict[str, Any]]:
    """Send the article (or say there is none yet) and remember what was answered."""
    with session_scope() as session:
        found = find_answer(session, topic, country, language)
    if found is None:
        dispatcher.utter_message(response="utter_article_missing")
        return [SlotSet("last_topic", topic), SlotSet("pending_topic", None)]
    if found.is_fallback:
        dispatcher.utter_message(
            response="utter_article_translation_missing",
            fallback_language=label(f"language_{found.language}", language),
        )
    dispatcher.utter_message(text=f"{found.title}\n\n{found.body}")
    reviewed = found.reviewed_at.isoformat() if found.reviewed_at else "—"
    dispatcher.utter_message(
        response="utter_article_sources", sources=format_sources(found), reviewed_at=reviewed
    )
    buttons = []
    if found.country != "other":  # the directory covers Belgium and Morocco only
        for category in found.service_categories[:MAX_HELP_BUTTONS]:
            title = f"📍 {label('find_help', language)}: {category_name(category, language)}"
            payload = f'/find_service{{"service_category": "{category}"}}'
            buttons.append({"title": title, "payload": payload})
    buttons += [
        {"title": "👍", "payload": '/feedback{"vote": "up"}'},
        {"title": "👎", "payload": '/feedback{"vote": "down"}'},
    ]
    dispatcher.utter_message(response="utter_article_feedback", buttons=buttons)
    return [
        SlotSet("last_topic", topic),
        SlotSet("pending_topic", None),
        SlotSet("feedback_given", False),
    ]


class ActionAnswerTopic(Action):
    def name(self) -> str:
        return "action_answer_topic"

    async def run(self, dispatcher, tracker: Tracker, domain: DomainDict) -> list[dict]:
        topic = (tracker.latest_message.get("intent") or {}).get("name")
        if topic not in TOPICS:
            dispatcher.utter_message(response="utter_default")
            return []
        country = tracker.get_slot("country")
        if country is None:
            # Rules differ between countries: never present one country's rules as universal.
            dispatcher.utter_message(response="utter_ask_country_for_topic")
            return [SlotSet("pending_topic", topic)]
        return answer(dispatcher, topic, country, _language(tracker))


class ActionApplyChoice(Action):
    def name(self) -> str:
        return "action_apply_choice"

    async def run(self, dispatcher, tracker: Tracker, domain: DomainDict) -> list[dict]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        entity = "country" if intent == "choose_country" else "language"
        chosen = any(e.get("entity") == entity for e in tracker.latest_message.get("entities", []))
        waiting = _set_in_previous_turn(tracker, "pending_topic")
        shown = _set_in_previous_turn(tracker, "last_topic")
        country = tracker.get_slot("country")
        if chosen and country and waiting in TOPICS:
            return answer(dispatcher, waiting, country, _language(tracker))
        if chosen and country and shown in TOPICS:
            dispatcher.utter_message(response=SWITCHED[entity])
            return answer(dispatcher, shown, country, _language(tracker))
        dispatcher.utter_message(response=CONFIRMED[entity])
        return []


class ActionRecordFeedback(Action):
    def name(self) -> str:
        return "action_record_feedback"

    async def run(self, dispatcher, tracker: Tracker, domain: DomainDict) -> list[dict]:
        topic = tracker.get_slot("last_topic")
        vote = next(tracker.get_latest_entity_values("vote"), None)
        if topic and vote and not tracker.get_slot("feedback_given"):
            with session_scope() as session:
                stored = record_feedback(
                    session, topic, tracker.get_slot("country") or "other",
                    _language(tracker), vote,
                )  # fmt: skip
            if stored:
                dispatcher.utter_message(response="utter_feedback_thanks")
                return [SlotSet("feedback_given", True)]
        dispatcher.utter_message(response="utter_feedback_thanks")
        return []
