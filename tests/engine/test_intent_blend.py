"""LinearIntentBlend: trained, stored as JSON and arrays, loaded back and blended with
DIET's ranking (engine env: Python 3.10, Rasa)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.components import LinearIntentBlend

EXAMPLES = {
    "greet": ["hello", "hi there", "good morning", "hey hello", "hello friend", "salam"],
    "rights_work": [
        "my boss does not pay my salary",
        "can i work with my permit",
        "boss refuses to pay me",
        "no salary for two months",
        "work permit question",
    ],
    "rights_health": ["can i see a doctor", "hospital bill too high", "doctor without papers"],
}
CONTEXT = ExecutionContext(GraphSchema({}), "test")


def _message(text: str, ranking: list[dict] | None = None) -> Message:
    message = Message(data={TEXT: text})
    if ranking:
        message.set(INTENT, ranking[0], add_to_output=True)
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
    return message


@pytest.fixture
def trained(tmp_path: Path) -> LinearIntentBlend:
    storage = LocalModelStorage(tmp_path)
    training = [Message(data={TEXT: t, INTENT: i}) for i, ts in EXAMPLES.items() for t in ts]
    LinearIntentBlend.create({}, storage, Resource("blend"), CONTEXT).train(TrainingData(training))
    return LinearIntentBlend.load({"diet_weight": 0.5}, storage, Resource("blend"), CONTEXT)


def test_stored_model_still_knows_its_intents(trained):
    ranking = [{"name": "greet", "confidence": 0.5}, {"name": "rights_work", "confidence": 0.5}]
    [message] = trained.process([_message("my BOSS doesnt pay salaryyy", ranking)])
    assert message.get(INTENT)["name"] == "rights_work"  # folded: case and stretched letters


def test_blend_follows_the_surer_model(trained):
    # DIET slightly prefers greet; the linear model is clear about a salary question.
    diet = [{"name": "greet", "confidence": 0.55}, {"name": "rights_work", "confidence": 0.45}]
    [message] = trained.process([_message("boss does not pay salary", diet)])
    ranking = message.get(INTENT_RANKING_KEY)
    assert message.get(INTENT)["name"] == "rights_work"
    assert ranking[0]["confidence"] > ranking[1]["confidence"]
    assert sum(r["confidence"] for r in ranking) == pytest.approx(1.0)

    # DIET sure of an intent the linear model never saw: it stays in the ranking, blended.
    diet = [{"name": "thank", "confidence": 0.98}, {"name": "greet", "confidence": 0.02}]
    [message] = trained.process([_message("hello", diet)])
    names = [r["name"] for r in message.get(INTENT_RANKING_KEY)]
    assert {"thank", "greet", "rights_work", "rights_health"} == set(names)
    assert message.get(INTENT)["name"] in {"thank", "greet"}


def test_untrained_component_leaves_diet_alone(tmp_path):
    storage = LocalModelStorage(tmp_path)
    blend = LinearIntentBlend.load({}, storage, Resource("never-trained"), CONTEXT)
    [message] = blend.process([_message("hello", [{"name": "greet", "confidence": 0.9}])])
    assert message.get(INTENT) == {"name": "greet", "confidence": 0.9}
