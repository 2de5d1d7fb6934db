"""Actions: sticky language and country, emergency numbers."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction

from bot import language
from bot.content.countries import country_name, explicit_country
from bot.content.emergency import emergency_info, format_contacts
from bot.settings import get_settings


def _language(tracker: Tracker) -> str:
    return tracker.get_slot("language") or get_settings().default_language


class ValidateSlotMappings(ValidationAction):
    """Runs after every user message: fills the sticky language and country slots."""

    def name(self) -> str:
        return "action_validate_slot_mappings"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        parse_data = tracker.latest_message or {}
        choice = language.resolve(
            tracker.get_slot("language"),
            tracker.get_slot("language_source"),
            parse_data,
            get_settings().default_language,
        )
        events = []
        if choice.language != tracker.get_slot("language"):
            events.append(SlotSet("language", choice.language))
        if choice.source != tracker.get_slot("language_source"):
            events.append(SlotSet("language_source", choice.source))
        country = explicit_country(parse_data.get("entities", []))
        if country and country != tracker.get_slot("country"):
            events.append(SlotSet("country", country))
        return events


class ActionSetLanguage(Action):
    """Confirms an explicit language choice, or offers the choice when none was named."""

    def name(self) -> str:
        return "action_set_language"

    async def run(self, dispatcher, tracker, domain):
        if language.explicit_language(tracker.latest_message.get("entities", [])):
            dispatcher.utter_message(response="utter_language_set")
        else:
            dispatcher.utter_message(response="utter_ask_language")
        return []


class ActionSetCountry(Action):
    """Confirms the country the user is in, or asks for it."""

    def name(self) -> str:
        return "action_set_country"

    async def run(self, dispatcher, tracker, domain):
        country = explicit_country(tracker.latest_message.get("entities", []))
        if country:
            dispatcher.utter_message(
                response="utter_country_set", country_name=country_name(country, _language(tracker))
            )
        else:
            dispatcher.utter_message(response="utter_ask_country")
        return []


class ActionEmergency(Action):
    """Emergency numbers of the user's country, at once, in their language, with sources."""

    def name(self) -> str:
        return "action_emergency"

    async def run(self, dispatcher, tracker, domain):
        lang = _language(tracker)
        country = tracker.get_slot("country") or get_settings().default_country
        info = emergency_info(country, lang)
        if info.contacts:
            dispatcher.utter_message(
                response="utter_emergency", contacts=format_contacts(info, rtl=lang == "ar")
            )
        else:
            dispatcher.utter_message(response="utter_emergency_unknown_country")
        dispatcher.utter_message(
            response="utter_source_line", sources=" · ".join(info.sources), checked=info.checked_at
        )
        return []
