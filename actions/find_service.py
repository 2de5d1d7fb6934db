"""find_service: the form's validation and the answer. The search itself is bot.directory."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.db import session_scope
from bot.directory.answers import PAGE_SIZE, answer, category_name
from bot.directory.categories import resolve_category
from bot.directory.cities import resolve_city
from bot.settings import get_settings

DomainDict = dict[str, Any]


def _language(tracker: Tracker) -> str:
    return tracker.get_slot("language") or get_settings().default_language


def _has_position(tracker: Tracker) -> bool:
    return tracker.get_slot("user_latitude") is not None and (
        tracker.get_slot("user_longitude") is not None
    )


class ValidateServiceForm(FormValidationAction):
    def name(self) -> str:
        return "validate_service_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        # A shared position replaces the question about the city.
        if _has_position(tracker):
            return [s for s in domain_slots if s != "service_place"]
        return domain_slots

    def validate_service_category(self, value: Any, dispatcher, tracker, domain) -> dict:
        if isinstance(value, list):
            value = value[-1] if value else None
        return {"service_category": resolve_category(str(value)) if value else None}

    def validate_service_place(self, value: Any, dispatcher, tracker, domain) -> dict:
        city = resolve_city(str(value)) if value else None
        if city is None:
            dispatcher.utter_message(response="utter_unknown_place")
            return {"service_place": None}
        # A typed city replaces an earlier shared position.
        return {"service_place": city.id, "user_latitude": None, "user_longitude": None}


def _reply(dispatcher: CollectingDispatcher, query: dict[str, Any], language: str) -> None:
    settings = get_settings()
    with session_scope() as session:
        result = answer(
            session,
            category=query["category"],
            place=query["place"],
            latitude=query["lat"],
            longitude=query["lon"],
            country=query["country"] or settings.default_country,
            language=language,
            offset=query["offset"],
        )
    place_name = result.city.name(language) if result.city else "📍"
    names = {"category_name": category_name(query["category"], language), "place_name": place_name}
    if not result.cards:
        dispatcher.utter_message(response="utter_services_none")
        return
    if query["offset"] == 0:
        header = "utter_services_alternatives" if result.alternatives else "utter_services_found"
        dispatcher.utter_message(response=header, **names)
    for card in result.cards:
        dispatcher.utter_message(text=card)
    closing = "utter_services_more" if result.more else "utter_services_end"
    dispatcher.utter_message(response=closing)


class ActionFindServices(Action):
    """Answers a completed search with the best three services."""

    def name(self) -> str:
        return "action_find_services"

    async def run(self, dispatcher, tracker: Tracker, domain: DomainDict) -> list[dict]:
        position = _has_position(tracker)
        query = {
            "category": tracker.get_slot("service_category"),
            "place": None if position else tracker.get_slot("service_place"),
            "lat": tracker.get_slot("user_latitude") if position else None,
            "lon": tracker.get_slot("user_longitude") if position else None,
            "country": tracker.get_slot("country"),
            "offset": 0,
        }
        _reply(dispatcher, query, _language(tracker))
        # Keep the place for the next search; ask the kind of help afresh.
        return [SlotSet("service_query", query), SlotSet("service_category", None)]


class ActionShowMore(Action):
    """The next three results of the last search."""

    def name(self) -> str:
        return "action_show_more"

    async def run(self, dispatcher, tracker: Tracker, domain: DomainDict) -> list[dict]:
        query = tracker.get_slot("service_query")
        if not isinstance(query, dict) or not query.get("category"):
            dispatcher.utter_message(response="utter_ask_service_category")
            return []
        query = {**query, "offset": int(query.get("offset") or 0) + PAGE_SIZE}
        _reply(dispatcher, query, _language(tracker))
        return [SlotSet("service_query", query)]
