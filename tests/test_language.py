"""Order of precedence for the conversation language (bot.language.resolve)."""

import pytest

from bot.language import resolve


def detection(language=None, confident=False, supported=True, hint=None):
    return {"language": language, "confident": confident, "supported": supported, "hint": hint}


def parse(entities=(), intent="choose_language", **kwargs):
    return {
        "intent": {"name": intent},
        "entities": list(entities),
        "language_detection": detection(**kwargs),
    }


LANG_AR = {"entity": "language", "value": "ar"}


def test_default_when_nothing_is_known():
    choice = resolve(None, None, parse(), "fr")
    assert (choice.language, choice.source) == ("fr", "default")


def test_channel_hint_beats_default():
    choice = resolve(None, None, parse(hint="nl"), "en")
    assert (choice.language, choice.source) == ("nl", "hint")


def test_confident_detection_beats_hint():
    choice = resolve(None, None, parse(language="fr", confident=True, hint="nl"), "en")
    assert (choice.language, choice.source) == ("fr", "detected")


def test_explicit_choice_beats_detection():
    choice = resolve("en", "detected", parse([LANG_AR], language="en", confident=True), "en")
    assert (choice.language, choice.source) == ("ar", "explicit")


def test_explicit_choice_is_sticky_against_detection():
    choice = resolve("ar", "explicit", parse(language="en", confident=True), "en")
    assert (choice.language, choice.source) == ("ar", "explicit")


@pytest.mark.parametrize("current", ["fr", "nl", "ar"])
def test_unconfident_message_keeps_language(current):
    choice = resolve(current, "detected", parse(confident=False, hint="en"), "en")
    assert choice.language == current


def test_unsupported_detection_does_not_switch():
    choice = resolve("fr", "detected", parse(language="es", confident=True, supported=False), "en")
    assert choice.language == "fr"


def test_hint_only_used_before_a_language_is_known():
    choice = resolve("fr", "detected", parse(hint="nl"), "en")
    assert choice.language == "fr"


def test_unknown_entity_value_is_ignored():
    choice = resolve("nl", "detected", parse([{"entity": "language", "value": "xx"}]), "en")
    assert choice.language == "nl"


def test_language_named_in_another_request_is_not_a_choice():
    message = parse([{"entity": "language", "value": "nl"}], intent="find_service")
    choice = resolve("fr", "detected", message, "en")
    assert choice.language == "fr"
