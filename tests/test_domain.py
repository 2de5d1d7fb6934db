"""Contracts of the Rasa project files: languages, intent names, training data, sources."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.settings import ROOT, SUPPORTED_LANGUAGES

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
TOPICS = ROOT.parent / "shared" / "TOPICS.md"
# Intents this project added to the catalogue (TOPICS.md: "add freely").
ADDED_INTENTS = {
    "unsupported_language", "rights_overview", "documents_overview", "show_more", "feedback"
}  # fmt: skip
ADDED_ENTITIES = {"vote"}
MIN_EXAMPLES = 20
# Issue 4: every rights and legal-identity intent has at least 25 per language.
MIN_TOPIC_EXAMPLES = 25
# Tapped as buttons; a few typed forms in data/nlu/feedback.yml, all languages together.
BUTTON_INTENTS = {"feedback"}


def _languages_of(variations: list[dict]) -> set[str]:
    found = set()
    for variation in variations:
        conditions = variation.get("condition") or []
        langs = [c["value"] for c in conditions if c.get("name") == "language"]
        found.update(langs or ["en"])  # the unconditioned variation is the English default
    return found


@pytest.mark.parametrize("response", sorted(DOMAIN["responses"]))
def test_every_response_exists_in_every_language(response):
    variations = DOMAIN["responses"][response]
    assert _languages_of(variations) == set(SUPPORTED_LANGUAGES)
    assert sum(1 for v in variations if not v.get("condition")) == 1, "one default variation"


def test_arabic_responses_are_in_arabic_script():
    for name, variations in DOMAIN["responses"].items():
        for variation in variations:
            if {"name": "language", "type": "slot", "value": "ar"} in (
                variation.get("condition") or []
            ):
                assert re.search(r"[\u0600-\u06FF]", variation["text"]), name


def test_buttons_have_the_same_payloads_in_every_language():
    for name, variations in DOMAIN["responses"].items():
        payloads = {tuple(b["payload"] for b in v.get("buttons", [])) for v in variations}
        assert len(payloads) == 1, name


def _topic_names() -> set[str]:
    text = TOPICS.read_text(encoding="utf-8")
    return set(re.findall(r"`([a-z_]+)`", text))


@pytest.mark.skipif(not TOPICS.exists(), reason="shared/TOPICS.md is not beside this clone")
def test_intent_and_entity_names_follow_the_catalogue():
    names = _topic_names() | ADDED_INTENTS
    assert set(DOMAIN["intents"]) <= names
    assert set(DOMAIN["entities"]) <= names | ADDED_ENTITIES


def _nlu_examples(path: Path) -> dict[str, int]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    counts: dict[str, int] = {}
    for block in data.get("nlu", []):
        if "intent" in block:
            lines = [x for x in block["examples"].splitlines() if x.strip().startswith("- ")]
            counts[block["intent"]] = counts.get(block["intent"], 0) + len(lines)
    return counts


def _language_files(directory: Path, language: str) -> list[Path]:
    """`<lang>.yml` and the topic files `<group>_<lang>.yml` of one language."""
    return [directory / f"{language}.yml", *sorted(directory.glob(f"*_{language}.yml"))]


def _counts(directory: Path, language: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for path in _language_files(directory, language):
        for intent, n in _nlu_examples(path).items():
            counts[intent] = counts.get(intent, 0) + n
    return counts


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_intent_has_training_data_in_every_language(language):
    from bot.content.articles import TOPICS as TOPIC_INTENTS

    counts = _counts(ROOT / "data" / "nlu", language)
    for intent in DOMAIN["intents"]:
        if intent == "unsupported_language" or intent in BUTTON_INTENTS:
            continue
        wanted = MIN_TOPIC_EXAMPLES if intent in TOPIC_INTENTS else MIN_EXAMPLES
        assert counts.get(intent, 0) >= wanted, (language, intent)
    assert _nlu_examples(ROOT / "data" / "nlu" / "feedback.yml")["feedback"] >= 8


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_held_out_set_covers_every_typed_intent_and_is_never_trained_on(language):
    """Issue 4: at least 15 held-out examples per intent per language, none in data/nlu."""

    def texts(paths: list[Path]) -> set[str]:
        found = set()
        for path in paths:
            for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
                for line in block.get("examples", "").splitlines():
                    if line.strip().startswith("- "):
                        plain = re.sub(
                            r"\[([^\]]*)\]\{[^}]*\}|\[([^\]]*)\]\([^)]*\)",
                            lambda m: m.group(1) or m.group(2),
                            line.strip()[2:],
                        )
                        found.add(" ".join(plain.lower().split()))
        return found  # fmt: skip

    held_out = _counts(ROOT / "tests" / "nlu", language)
    for intent in DOMAIN["intents"]:
        if intent in {"unsupported_language", "share_location", "show_more"} | BUTTON_INTENTS:
            continue
        assert held_out.get(intent, 0) >= 15, (language, intent)
    training = texts(sorted((ROOT / "data" / "nlu").glob("*.yml")))
    overlap = texts(_language_files(ROOT / "tests" / "nlu", language)) & training
    assert not overlap, sorted(overlap)[:10]


def test_unsupported_language_examples_are_kept_apart():
    counts = _nlu_examples(ROOT / "data" / "nlu" / "other.yml")
    assert set(counts) == {"unsupported_language"}
    assert counts["unsupported_language"] >= 30


def test_emergency_numbers_are_sourced_and_translated():
    data = yaml.safe_load((ROOT / "data" / "content" / "emergency.yml").read_text("utf-8"))
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(data["checked_at"]))
    for country in ("BE", "MA", "other"):
        entry = data["countries"][country]
        assert entry["sources"], country
        for source in entry["sources"]:
            assert source["url"].startswith(("http://", "https://"))
            assert source["quote"]
        for contact in entry["contacts"]:
            assert re.fullmatch(r"\d{2,4}", contact["number"])
            assert set(contact["label"]) == set(SUPPORTED_LANGUAGES)
            # every number shown must appear in the quoted source text
            assert any(contact["number"] in s["quote"] for s in entry["sources"])


def test_belgian_and_moroccan_numbers_asked_for_by_the_issue():
    data = yaml.safe_load((ROOT / "data" / "content" / "emergency.yml").read_text("utf-8"))
    numbers = {c: {x["number"] for x in data["countries"][c]["contacts"]} for c in ("BE", "MA")}
    assert {"112", "101"} <= numbers["BE"]
    assert {"19", "15"} <= numbers["MA"]
