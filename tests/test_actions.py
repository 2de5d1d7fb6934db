"""Actions run directly with a Tracker built from a dict and a CollectingDispatcher."""

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.actions import (
    ActionEmergency,
    ActionSetCountry,
    ActionSetLanguage,
    ValidateSlotMappings,
)
from tests.conftest import make_tracker

DETECTED_FR = {"language": "fr", "confident": True, "supported": True, "hint": None}
UNSURE = {"language": None, "confident": False, "supported": True, "hint": None}


async def run(action, tracker):
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, {})
    return dispatcher.messages, events


async def test_validation_sets_detected_language():
    _, events = await run(ValidateSlotMappings(), make_tracker(detection=DETECTED_FR))
    assert SlotSet("language", "fr") in events
    assert SlotSet("language_source", "detected") in events


async def test_validation_keeps_language_on_unsure_message():
    tracker = make_tracker(
        slots={"language": "nl", "language_source": "detected"}, detection=UNSURE, text="ok"
    )
    _, events = await run(ValidateSlotMappings(), tracker)
    assert events == []


async def test_validation_uses_hint_then_default(monkeypatch):
    _, events = await run(ValidateSlotMappings(), make_tracker(detection={**UNSURE, "hint": "ar"}))
    assert SlotSet("language", "ar") in events
    monkeypatch.setenv("DEFAULT_LANGUAGE", "fr")
    from bot.settings import get_settings

    get_settings.cache_clear()
    try:
        _, events = await run(ValidateSlotMappings(), make_tracker(detection=UNSURE))
        assert SlotSet("language", "fr") in events
        assert SlotSet("language_source", "default") in events
    finally:
        get_settings.cache_clear()


async def test_validation_fills_country_from_entity():
    tracker = make_tracker(entities=[{"entity": "country", "value": "MA"}], detection=UNSURE)
    _, events = await run(ValidateSlotMappings(), tracker)
    assert SlotSet("country", "MA") in events


@pytest.mark.parametrize(
    "country, language, numbers",
    [("BE", "en", ["112", "101"]), ("MA", "ar", ["19", "15"]), (None, "nl", ["112", "101"])],
)
async def test_emergency_gives_numbers_of_country_in_language(country, language, numbers):
    tracker = make_tracker(slots={"language": language, "country": country}, intent="emergency")
    messages, events = await run(ActionEmergency(), tracker)
    assert events == []
    first, source = messages
    assert first["response"] == "utter_emergency"
    for number in numbers:
        assert number in first["contacts"]
    assert source["response"] == "utter_source_line"
    assert source["sources"].startswith("http")
    assert source["checked"]


async def test_emergency_labels_follow_language():
    tracker = make_tracker(slots={"language": "fr", "country": "BE"}, intent="emergency")
    messages, _ = await run(ActionEmergency(), tracker)
    assert "Police" in messages[0]["contacts"] and "pompiers" in messages[0]["contacts"]


async def test_emergency_other_country_gives_generic_advice():
    tracker = make_tracker(slots={"language": "en", "country": "other"}, intent="emergency")
    messages, _ = await run(ActionEmergency(), tracker)
    assert messages[0]["response"] == "utter_emergency_unknown_country"


async def test_set_language_confirms_or_asks():
    explicit = make_tracker(entities=[{"entity": "language", "value": "nl"}])
    messages, _ = await run(ActionSetLanguage(), explicit)
    assert messages[0]["response"] == "utter_language_set"
    messages, _ = await run(ActionSetLanguage(), make_tracker())
    assert messages[0]["response"] == "utter_ask_language"


async def test_set_country_names_country_in_language():
    tracker = make_tracker(
        slots={"language": "nl"}, entities=[{"entity": "country", "value": "MA"}]
    )
    messages, _ = await run(ActionSetCountry(), tracker)
    assert messages[0]["response"] == "utter_country_set"
    assert messages[0]["country_name"] == "Marokko"
    messages, _ = await run(ActionSetCountry(), make_tracker())
    assert messages[0]["response"] == "utter_ask_country"
