"""Language detection and the custom NLU components (engine env: Python 3.10, Rasa)."""

import pytest
from rasa.shared.nlu.constants import INTENT, METADATA, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.components import (
    DETECTION_KEY,
    LanguageDetector,
    SpacyLemmaTokenizer,
    UnsupportedLanguageGate,
)
from bot.nlu.language_detection import detect


@pytest.mark.parametrize(
    "text, language",
    [
        ("bonjour", "fr"),
        ("goedemorgen", "nl"),
        ("مرحبا", "ar"),
        ("My boss took my passport and hits me, I am scared", "en"),
        ("Mon patron a pris mon passeport et me frappe, j'ai peur", "fr"),
        ("Mijn baas heeft mijn paspoort afgepakt en slaat me, ik ben bang", "nl"),
        ("مديري أخذ جواز سفري ويضربني، أنا خائف", "ar"),
        ("بغيت نعرف واش عندي الحق نخدم", "ar"),
    ],
)
def test_confident_detection_of_our_languages(text, language):
    result = detect(text)
    assert result.confident and result.supported
    assert result.language == language


@pytest.mark.parametrize(
    "text",
    ["شنو الجو ف الويكاند", "خدام بلا تصريح، شنو كنخاطر انا وهو", "اه هادا هو مزيان بزاف"],
)
def test_darija_is_never_declared_persian_or_urdu(text):
    result = detect(text)
    assert result.supported and result.language == "ar"


@pytest.mark.parametrize(
    "text", ["لطفا به من کمک کنید", "من امشب جایی برای خوابیدن ندارم", "فارسی صحبت می‌کنی؟"]
)
def test_persian_is_still_recognised_as_unsupported(text):
    result = detect(text)
    assert result.confident and not result.supported


@pytest.mark.parametrize("text", ["ok", "yes", "oui", "ja", "👍", "12", "merci", "salut", "hi"])
def test_short_or_neutral_messages_never_count(text):
    result = detect(text)
    assert not result.confident
    assert result.language is None


@pytest.mark.parametrize(
    "text",
    [
        "hola necesito ayuda por favor",
        "سلام، من به کمک نیاز دارم",
        "Привіт, мені потрібна допомога",
        "ሰላም ሓገዝ የድልየኒ",
    ],
)
def test_unsupported_languages_are_recognised(text):
    result = detect(text)
    assert result.confident
    assert not result.supported


def test_latin_darija_is_not_called_unsupported():
    result = detect("salam bghit nemchi l sbitar")
    assert result.supported


def _message(text, hint=None):
    data = {TEXT: text}
    if hint:
        data[METADATA] = {"language_hint": hint}
    return Message(data=data)


def test_detector_component_adds_output_and_hint():
    detector = LanguageDetector({})
    [message] = detector.process([_message("Goedemorgen, ik zoek een dokter", hint="nl-BE")])
    detection = message.get(DETECTION_KEY)
    assert detection["language"] == "nl"
    assert detection["hint"] == "nl"
    assert DETECTION_KEY in message.as_dict(only_output_properties=True)


def test_detector_ignores_unknown_hint():
    detector = LanguageDetector({})
    [message] = detector.process([_message("ok", hint="tlh")])
    assert message.get(DETECTION_KEY)["hint"] is None


@pytest.mark.parametrize(
    "text, lemmas",
    [
        ("I lost my documents", {"lose", "document"}),
        ("j'ai perdu mes papiers", {"avoir", "papier"}),
        ("ik heb mijn documenten verloren", {"document"}),
    ],
)
def test_tokenizer_uses_language_rules_and_lemmas(text, lemmas):
    detector = LanguageDetector({})
    tokenizer = SpacyLemmaTokenizer({})
    [message] = detector.process([_message(text)])
    tokens = tokenizer.tokenize(message, TEXT)
    assert lemmas <= {t.lemma for t in tokens}
    assert all(t.text.strip() for t in tokens)


@pytest.mark.parametrize(
    "first, second",
    [
        ("Catégorie", "categorie"),
        ("مدرسة", "مدرسه"),
        ("إقامة", "اقامه"),
        ("merciiii", "merci"),
        ("سلااام", "سلام"),
    ],
)
def test_tokenizer_folds_spelling_variants_into_one_feature(first, second):
    detector = LanguageDetector({})
    tokenizer = SpacyLemmaTokenizer({"lemmas": False})
    messages = detector.process([_message(first), _message(second)])
    [a], [b] = (tokenizer.tokenize(m, TEXT) for m in messages)
    assert a.lemma == b.lemma
    assert a.text == first  # the text itself (entity spans, replies) is left as typed


def test_tokenizer_splits_french_elision_and_arabic():
    detector = LanguageDetector({})
    tokenizer = SpacyLemmaTokenizer({})
    [fr, ar] = detector.process([_message("j'ai peur"), _message("بغيت نمشي للسبيطار")])
    assert [t.text for t in tokenizer.tokenize(fr, TEXT)][:2] == ["j'", "ai"]
    assert len(tokenizer.tokenize(ar, TEXT)) == 3


def test_gate_turns_confident_unsupported_language_into_intent():
    detector = LanguageDetector({})
    gate = UnsupportedLanguageGate()
    [message] = detector.process([_message("hola necesito ayuda por favor")])
    message.set(INTENT, {"name": "help", "confidence": 0.9}, add_to_output=True)
    [message] = gate.process([message])
    assert message.get(INTENT)["name"] == "unsupported_language"


def test_gate_refuses_unsupported_intent_for_our_languages():
    detector = LanguageDetector({})
    gate = UnsupportedLanguageGate()
    [message] = detector.process([_message("I need help with my papers please")])
    message.set(INTENT, {"name": "unsupported_language", "confidence": 0.6}, add_to_output=True)
    [message] = gate.process([message])
    assert message.get(INTENT)["name"] == "nlu_fallback"
