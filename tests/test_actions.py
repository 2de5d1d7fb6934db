"""action_validate_slot_mappings run directly with a dict-built Tracker."""

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.actions import ValidateSlotMappings
from bot.settings import get_settings
from tests.conftest import make_tracker

DETECTED_FR = {"language": "fr", "confident": True, "supported": True, "hint": None}
UNSURE = {"language": None, "confident": False, "supported": True, "hint": None}


async def run(tracker):
    dispatcher = CollectingDispatcher()
    events = await ValidateSlotMappings().run(dispatcher, tracker, {})
    assert dispatcher.messages == []  # it only sets slots; responses do the talking
    return {e["name"]: e["value"] for e in events}


async def test_detected_language_and_derived_texts():
    slots = await run(make_tracker(detection=DETECTED_FR))
    assert slots["language"] == "fr"
    assert slots["language_source"] == "detected"
    assert slots["country_name"] == "la Belgique"  # DEFAULT_COUNTRY is BE
    assert "112" in slots["emergency_contacts"] and "pompiers" in slots["emergency_contacts"]
    assert slots["emergency_sources"].startswith("https://")
    assert slots["emergency_checked"]


async def test_unsure_message_changes_nothing():
    first = await run(make_tracker(detection=DETECTED_FR))
    tracker = make_tracker(slots=first, detection=UNSURE, text="ok", intent="affirm")
    assert await run(tracker) == {}


async def test_hint_then_default(monkeypatch):
    slots = await run(make_tracker(detection={**UNSURE, "hint": "ar"}))
    assert slots["language"] == "ar" and slots["language_source"] == "hint"
    monkeypatch.setenv("DEFAULT_LANGUAGE", "nl")
    get_settings.cache_clear()
    try:
        slots = await run(make_tracker(detection=UNSURE))
    finally:
        get_settings.cache_clear()
    assert (slots["language"], slots["language_source"]) == ("nl", "default")


async def test_explicit_choice_by_button():
    entities = [{"entity": "language", "value": "ar"}]
    tracker = make_tracker(entities=entities, detection=UNSURE, intent="choose_language")
    slots = await run(tracker)
    assert (slots["language"], slots["language_source"]) == ("ar", "explicit")
    assert "\u2068112\u2069" in slots["emergency_contacts"]  # isolated inside Arabic text


@pytest.mark.parametrize(
    "country, present, absent",
    [("MA", ["19", "15"], ["101"]), ("BE", ["112", "101"], ["177"]), ("other", ["112"], ["101"])],
)
async def test_country_entity_switches_emergency_numbers(country, present, absent):
    entities = [{"entity": "country", "value": country}]
    slots = await run(make_tracker(entities=entities, detection=UNSURE, intent="choose_country"))
    assert slots["country"] == country
    for number in present:
        assert number in slots["emergency_contacts"]
    for number in absent:
        assert number not in slots["emergency_contacts"]


async def test_country_names_follow_language():
    entities = [{"entity": "country", "value": "MA"}]
    tracker = make_tracker(
        slots={"language": "nl", "language_source": "explicit"},
        entities=entities,
        detection=UNSURE,
        intent="choose_country",
    )
    assert (await run(tracker))["country_name"] == "Marokko"
