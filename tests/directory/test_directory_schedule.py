"""Free-text opening hours -> HSDS structured fields, only when unambiguous."""

from __future__ import annotations

import pytest

from bot.directory.seed import ParsedHours, parse_hours

WEEKDAYS = "MO,TU,WE,TH,FR"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mon-Fri 09:00-15:00", ParsedHours(WEEKDAYS, "09:00", "15:00")),
        ("Monday to Friday 9:00-17:00", ParsedHours(WEEKDAYS, "09:00", "17:00")),
        ("Monday–Friday 09:00–15:00", ParsedHours(WEEKDAYS, "09:00", "15:00")),
        ("du lundi au vendredi de 9h à 17h", ParsedHours(WEEKDAYS, "09:00", "17:00")),
        ("lundi au vendredi 9h30-16h", ParsedHours(WEEKDAYS, "09:30", "16:00")),
        ("van maandag tot vrijdag van 9u tot 17u", ParsedHours(WEEKDAYS, "09:00", "17:00")),
        ("Tuesday, Wednesday and Thursday 09:00–13:00", ParsedHours("TU,WE,TH", "09:00", "13:00")),
        ("Sat-Sun 10:00-12:00.", ParsedHours("SA,SU", "10:00", "12:00")),
        ("24 hours a day, 7 days a week", ParsedHours("MO,TU,WE,TH,FR,SA,SU", "00:00", "23:59")),
        ("24/7", ParsedHours("MO,TU,WE,TH,FR,SA,SU", "00:00", "23:59")),
    ],
)
def test_parses_simple_forms(text, expected):
    assert parse_hours(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "Monday–Thursday 09:00–16:00 (Tuesday evening by appointment); closed Friday",
        "Tuesday, Wednesday and Thursday 09:00–13:00; Friday 13:00–17:00",
        "Phone: Monday–Thursday 09:30–12:30",
        "Monday–Friday (closed in July, as reported in 2018)",
        "Day centre open 6 days a week (closed Wednesday), 09:30–17:30",
        "Fri-Mon 09:00-17:00",  # wraps the week: not a simple range
        "Mon-Fri 17:00-09:00",  # closes before it opens
        "Mon-Fri 25:00-26:00",
        "24 hours a day",
    ],
)
def test_leaves_anything_else_unstructured(text):
    assert parse_hours(text) is None
