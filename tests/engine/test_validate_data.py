"""The data validation wrapper drops only warnings the code proves wrong."""

from bot.nlu.validate_data import responses_sent_by_code, unexpected_warnings

LINE = "UserWarning: The utterance '{}' is not used in any story or rule."


def test_form_and_action_responses_are_known():
    used = responses_sent_by_code()
    assert "utter_ask_service_category" in used  # asked by service_form
    assert "utter_services_found" in used  # sent by action_find_services


def test_only_proven_warnings_are_dropped():
    output = "\n".join(
        [
            LINE.format("utter_services_found"),
            LINE.format("utter_forgotten"),
            "UserWarning: The intent 'x' is listed in the domain file, but is not found",
        ]
    )
    problems = unexpected_warnings(output, {"utter_services_found"})
    assert len(problems) == 2
    assert "utter_forgotten" in problems[0]
