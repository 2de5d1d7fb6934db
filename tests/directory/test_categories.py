"""Typed words to service_category values, for the forms the NLU model leaves as typed."""

import pytest

from bot.directory.categories import resolve_category


@pytest.mark.parametrize(
    "text, category",
    [
        ("طبيبا", "health"),  # accusative ending the synonym table does not list
        ("médecin", "health"),
        ("Medecin", "health"),
        ("dokter", "health"),
        ("avocat", "legal_aid"),
        ("advocaat", "legal_aid"),
        ("محامي", "legal_aid"),
        ("legal_aid", "legal_aid"),
        ("Aide juridique", "legal_aid"),  # the category's own name in French
    ],
)
def test_known_words(text, category):
    assert resolve_category(text) == category


@pytest.mark.parametrize("text", ["", None, "xyz", "football"])
def test_unknown_words(text):
    assert resolve_category(text) is None


@pytest.mark.parametrize(
    "text, category",
    [("dokter nodig", "health"), ("un avocat svp", "legal_aid"), ("blabla nodig", None)],
)
def test_a_word_too_many_still_finds_the_category(text, category):
    assert resolve_category(text) == category
