"""Rasa graph components: language detection, spaCy tokenisation, a linear intent model
blended with DIET, and the unsupported-language gate.

Registered with Rasa's DefaultV1Recipe and referenced from ``config.yml`` by their dotted
path. They add a ``language_detection`` dict to every parsed message; the action server
turns it into the sticky ``language`` slot (see ``bot.language``).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import numpy as np
import regex
import spacy
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, METADATA, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu import language_detection
from bot.text import fold

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
    "papiers"/"papier" share a feature; the lemma is also folded (case, accents, Arabic
    letter variants, stretched letters) because users type "categorie", "catégorie",
    "مدرسة" and "مدرسه" for the same word. Uses blank pipelines: no model weights needed.
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
            lemma = fold(tok.lemma_ or tok.text) or tok.text.lower()
            tokens.append(Token(tok.text, tok.idx, lemma=lemma))
        if not tokens:
            tokens = [Token(text, 0, lemma=text.lower())]
        return self._apply_token_pattern(tokens)


# Word and character n-grams of the folded text, as (analyzer, lowest n, highest n).
NGRAMS = (("char_wb", 2, 4), ("word", 1, 2))


def _count_vectorizer(analyzer: str, low: int, high: int, vocabulary: dict | None = None) -> Any:
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer(
        analyzer=analyzer, ngram_range=(low, high), preprocessor=fold,
        token_pattern=r"(?u)\b\w+\b", vocabulary=vocabulary,
    )  # fmt: skip


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentBlend(GraphComponent, IntentClassifier):
    """A linear model (logistic regression) on TF-IDF word and character n-grams of the
    folded text, blended with DIET's intent ranking. Place it right after DIETClassifier.

    DIET learns our examples by heart and then stumbles on wordings it has not seen; a
    linear model over n-grams generalises more evenly, and the two make different
    mistakes, so their weighted average (``diet_weight`` for DIET) beats either alone on
    the held-out set (docs/evaluation.md). The vocabulary, IDF weights and coefficients
    are stored as JSON and arrays: nothing is unpickled.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"diet_weight": 0.5, "C": 20.0, "max_iter": 3000, "ranking_length": 10}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        state: dict[str, Any] | None = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._storage = model_storage
        self._resource = resource
        self._state = state  # classes, vectorizers, idf, coef, intercept

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LinearIntentBlend:
        return cls(config, model_storage, resource)

    @staticmethod
    def _tfidf(vectorizers: list, idfs: list[np.ndarray], texts: list[str]) -> Any:
        """Sublinear TF-IDF per n-gram kind, each row of unit length, side by side."""
        import scipy.sparse
        from sklearn.preprocessing import normalize

        blocks = []
        for vectorizer, idf in zip(vectorizers, idfs, strict=True):
            counts = vectorizer.transform(texts).astype(np.float64).tocsr()
            counts.data = 1.0 + np.log(counts.data)
            blocks.append(normalize(counts @ scipy.sparse.diags(idf)))
        return scipy.sparse.hstack(blocks).tocsr()

    def train(self, training_data: TrainingData) -> Resource:
        from sklearn.linear_model import LogisticRegression

        examples = [e for e in training_data.intent_examples if e.get(TEXT)]
        texts, labels = [e.get(TEXT) for e in examples], [e.get(INTENT) for e in examples]
        if len(set(labels)) >= 2:
            vectorizers, idfs = [], []
            for analyzer, low, high in NGRAMS:
                vectorizer = _count_vectorizer(analyzer, low, high)
                document_frequency = np.bincount(
                    vectorizer.fit_transform(texts).indices, minlength=len(vectorizer.vocabulary_)
                )
                vectorizers.append(vectorizer)
                idfs.append(np.log((1 + len(texts)) / (1 + document_frequency)) + 1.0)
            model = LogisticRegression(C=self._config["C"], max_iter=self._config["max_iter"])
            model.fit(self._tfidf(vectorizers, idfs, texts), labels)
            self._state = {
                "classes": [str(c) for c in model.classes_],
                "vectorizers": vectorizers,
                "idfs": idfs,
                "coef": model.coef_,
                "intercept": model.intercept_,
            }
            self._persist()
        return self._resource

    def _persist(self) -> None:
        state = self._state
        vocabularies = [
            {term: int(index) for term, index in v.vocabulary_.items()}
            for v in state["vectorizers"]
        ]
        arrays = {f"idf{i}": idf for i, idf in enumerate(state["idfs"])}
        with self._storage.write_to(self._resource) as directory:
            (directory / "vocabulary.json").write_text(
                json.dumps({"classes": state["classes"], "vocabularies": vocabularies}),
                encoding="utf-8",
            )
            np.savez(
                directory / "weights.npz",
                coef=state["coef"],
                intercept=state["intercept"],
                **arrays,
            )

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LinearIntentBlend:
        try:
            with model_storage.read_from(resource) as directory:
                saved = json.loads((directory / "vocabulary.json").read_text(encoding="utf-8"))
                with np.load(directory / "weights.npz") as weights:
                    arrays = {name: weights[name] for name in weights.files}
        except (ValueError, OSError):
            logger.warning("LinearIntentBlend: no trained weights; DIET's intents are kept")
            return cls(config, model_storage, resource)
        vectorizers = [
            _count_vectorizer(analyzer, low, high, vocabulary)
            for (analyzer, low, high), vocabulary in zip(NGRAMS, saved["vocabularies"], strict=True)
        ]
        state = {
            "classes": saved["classes"],
            "vectorizers": vectorizers,
            "idfs": [arrays[f"idf{i}"] for i in range(len(vectorizers))],
            "coef": arrays["coef"],
            "intercept": arrays["intercept"],
        }
        return cls(config, model_storage, resource, state)

    def _probabilities(self, text: str) -> np.ndarray:
        state = self._state
        features = self._tfidf(state["vectorizers"], state["idfs"], [text])
        scores = np.asarray(features @ state["coef"].T + state["intercept"]).ravel()
        if len(state["classes"]) == 2:  # a binary model keeps one row: the second class's
            scores = np.array([0.0, scores[0]])
        exp = np.exp(scores - scores.max())
        return exp / exp.sum()

    def process(self, messages: list[Message]) -> list[Message]:
        if self._state is None:
            return messages
        weight = float(self._config["diet_weight"])
        for message in messages:
            if not message.get(TEXT):
                continue
            linear = self._probabilities(message.get(TEXT))
            blended = {
                name: (1.0 - weight) * float(p)
                for name, p in zip(self._state["classes"], linear, strict=True)
            }
            for entry in message.get(INTENT_RANKING_KEY) or []:
                name = entry.get("name")
                blended[name] = blended.get(name, 0.0) + weight * float(entry["confidence"])
            ranking = sorted(blended.items(), key=lambda item: item[1], reverse=True)
            ranking = [{"name": n, "confidence": c} for n, c in ranking]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(
                INTENT_RANKING_KEY, ranking[: self._config["ranking_length"]], add_to_output=True
            )
        return messages


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
