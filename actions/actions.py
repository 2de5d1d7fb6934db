"""The one custom action: keeps the conversation's language and country, and the texts
derived from them, in slots that responses read.

Rasa runs ``action_validate_slot_mappings`` after every user message, before it picks
the next action, so the reply to this very message is already in the right language.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction

from bot import analytics, language
from bot.content.countries import country_name, explicit_country
from bot.content.emergency import emergency_slots
from bot.settings import get_settings


class ValidateSlotMappings(ValidationAction):
    def name(self) -> str:
        return "action_validate_slot_mappings"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        settings = get_settings()
        parse_data = tracker.latest_message or {}
        choice = language.resolve(
            tracker.get_slot("language"),
            tracker.get_slot("language_source"),
            parse_data,
            settings.default_language,
        )
        country = explicit_country(parse_data.get("entities", [])) or tracker.get_slot("country")
        effective_country = country or settings.default_country
        wanted = {
            "language": choice.language,
            "language_source": choice.source,
            "country": country,
            "country_name": country_name(effective_country, choice.language),
            **emergency_slots(effective_country, choice.language),
        }
        analytics.record_tracker(tracker, choice.language)  # anonymous counts only
        return [
            SlotSet(name, value)
            for name, value in wanted.items()
            if value != tracker.get_slot(name)
        ]
