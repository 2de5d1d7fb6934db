"""Shared test helpers: build rasa-sdk trackers from dicts, as Rasa's demo bots do."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker


def make_tracker(
    slots: dict[str, Any] | None = None,
    entities: list[dict[str, Any]] | None = None,
    detection: dict[str, Any] | None = None,
    intent: str = "greet",
    text: str = "hello",
) -> Tracker:
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.99},
        "entities": entities or [],
    }
    if detection is not None:
        latest["language_detection"] = detection
    return Tracker(
        sender_id="test-user",
        slots={"language": None, "language_source": None, "country": None, **(slots or {})},
        latest_message=latest,
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


@pytest.fixture
def tracker_factory():
    return make_tracker
