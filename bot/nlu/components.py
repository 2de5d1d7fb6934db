"""Rasa graph components: language detection, spaCy tokenisation, unsupported-language gate.

Registered with Rasa's DefaultV1Recipe and referenced from ``config.yml`` by their dotted
path. They add a ``language_detection`` dict to every parsed message; the action server
turns it into the sticky ``language`` slot (see ``bot.language``).
"""

from __future__ import annotations

import logging
from typing import Any

import regex
import spacy
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, METADATA, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu import language_detection

logger = logging.getLogger(__name__)

DETECTION_KEY = "language_detection"
UNSUPPORTED_INTENT = "unsupported_language"
FALLBACK_INTENT = "nlu_fallback"
LEMMATIZED_LANGUAGES = ("en", "fr", "nl")  # spacy-lookups-data has no Arabic lemma table


def _hint(message: Message) -> str | None:
    """The channel's language hint (e.g. Telegram's language_code), normalised."""
    metadata = message.get(METADATA) or {}
    hint = metadata.get("language_hint") if isinstance(metadata, dict) else None
    if not isinstance(hint, str):
        return None
    code = hint.strip().lower().replace("_", "-").split("-")[0]
    return code if code in language_detection.SUPPORTED else None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class LanguageDetector(GraphComponent):
    """Detects each message's language with lingua; must come before the tokenizer."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "threshold": 0.6,
            "min_letters": 6,
            "unsupported_threshold": 0.6,
            "unsupported_min_words": 3,
        }

    def __init__(self, config: dict[str, Any]) -> None:
        self._config = {**self.get_default_config(), **config}
        language_detection.preload()

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageDetector:
        return cls(config)

    def _detect(self, message: Message) -> None:
        text = message.get(TEXT)
        if text is None:
            return
        detection = language_detection.detect(
            text,
            threshold=self._config["threshold"],
            min_letters=self._config["min_letters"],
            unsupported_threshold=self._config["unsupported_threshold"],
            unsupported_min_words=self._config["unsupported_min_words"],
        )
        data = detection.as_dict()
        data["hint"] = _hint(message)
        message.set(DETECTION_KEY, data, add_to_output=True)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            self._detect(example)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._detect(message)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class SpacyLemmaTokenizer(Tokenizer):
    """Tokenises with spaCy's rules for the detected language and adds lookup lemmas.

    Count-vector featurizers read ``token.lemma``, so "documents"/"document" or
    "papiers"/"papier" share a feature. Uses blank pipelines: no model weights needed.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
            "lemmas": True,
        }

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__({**self.get_default_config(), **config})
        self._nlps: dict[str, spacy.language.Language] = {}
        for code in language_detection.SUPPORTED:
            nlp = spacy.blank(code)
            if self._config["lemmas"] and code in LEMMATIZED_LANGUAGES:
                nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
                nlp.initialize()
            self._nlps[code] = nlp
        self._punct = regex.compile(r"^[\p{P}\p{S}]+$")

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SpacyLemmaTokenizer:
        return cls(config)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        text = message.get(attribute)
        if attribute != TEXT:
            words = text.split() or [text]
            return self._apply_token_pattern(self._convert_words_to_tokens(words, text))
        detection = message.get(DETECTION_KEY) or {}
        nlp = self._nlps.get(detection.get("guess") or "en", self._nlps["en"])
        tokens = []
        for tok in nlp(text):
            if tok.is_space or self._punct.match(tok.text):
                continue
            lemma = (tok.lemma_ or tok.text).lower()
            tokens.append(Token(tok.text, tok.idx, lemma=lemma))
        if not tokens:
            tokens = [Token(text, 0, lemma=text.lower())]
        return self._apply_token_pattern(tokens)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class UnsupportedLanguageGate(GraphComponent):
    """Turns a message confidently written in a language we do not speak into the
    ``unsupported_language`` intent, and refuses that intent when the detector says
    the message is in one of ours. Place it last in the pipeline."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> UnsupportedLanguageGate:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            detection = message.get(DETECTION_KEY) or {}
            intent = (message.get(INTENT) or {}).get("name")
            if detection.get("confident") and not detection.get("supported", True):
                confidence = float(detection.get("confidence") or 1.0)
                message.set(
                    INTENT,
                    {"name": UNSUPPORTED_INTENT, "confidence": confidence},
                    add_to_output=True,
                )
                ranking = message.get(INTENT_RANKING_KEY) or []
                ranking = [r for r in ranking if r.get("name") != UNSUPPORTED_INTENT]
                message.set(
                    INTENT_RANKING_KEY,
                    [{"name": UNSUPPORTED_INTENT, "confidence": confidence}, *ranking],
                    add_to_output=True,
                )
            elif intent == UNSUPPORTED_INTENT:
                confidence = (message.get(INTENT) or {}).get("confidence", 0.0)
                message.set(
                    INTENT, {"name": FALLBACK_INTENT, "confidence": confidence}, add_to_output=True
                )
        return messages
