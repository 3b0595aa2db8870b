"""The definition format: every kind of validation error, with its message and location."""

import textwrap

import pytest

from questionnaires.definition import (
    InvalidDefinition,
    dump_definition,
    load_definition,
    visibility,
    visible_question_keys,
)
from tests.conftest import EXAMPLE_DEFINITION

BASE = """\
key: demo
title: Demo
version: 1
sections:
  - key: ops
    title: Operations
    questions:
      - key: deployments
        text: How many deployments?
        type: integer
        min: 0
      - key: monitoring
        text: How are they monitored?
        type: single_choice
        choices:
          - {key: live, label: Live, risk: 0}
          - {key: none, label: Not at all, risk: 1}
      - key: rate
        text: Rollback rate?
        type: percentage
        scoring:
          bands:
            - {min: 0, max: 10, risk: 0}
            - {min: 10, max: 100, risk: 1}
profiles:
  - key: general
    title: General
"""


def errors_of(text: str) -> list[str]:
    with pytest.raises(InvalidDefinition) as info:
        load_definition(text)
    return [str(e) for e in info.value.errors]


def only_error(text: str) -> str:
    errors = errors_of(text)
    assert len(errors) == 1, errors
    return errors[0]


def test_base_is_valid_and_fills_defaults():
    definition = load_definition(BASE)
    deployments = definition["sections"][0]["questions"][0]
    assert deployments["required"] is False
    assert deployments["weight"] == 1
    assert deployments["scoring"] is None
    assert definition["sections"][0]["questions"][1]["scoring"] == {"choices": True}
    assert definition["rules"] == []


def test_example_round_trips_through_yaml():
    definition = load_definition(EXAMPLE_DEFINITION.read_text())
    assert load_definition(dump_definition(definition)) == definition


def test_yaml_syntax_error_has_line():
    assert only_error("key: demo\ntitle: [unclosed\n").startswith("(top level) (line 3): YAML")


def test_empty_file():
    assert only_error("") == "(top level) (line 1): the file is empty"


def test_mapping_key_written_twice():
    text = BASE.replace("title: Demo\n", "title: Demo\ntitle: Again\n")
    assert only_error(text) == "title (line 3): 'title' is written twice"


def test_unknown_field_names_allowed_fields():
    text = BASE.replace("        min: 0\n", "        min: 0\n        requird: true\n")
    error = only_error(text)
    assert error.startswith("sections[0].questions[0].requird (line 12): unknown field 'requird'")
    assert "required" in error


def test_missing_required_field():
    text = BASE.replace("        text: How many deployments?\n", "")
    assert only_error(text) == ("sections[0].questions[0] (line 8): missing required field 'text'")


def test_wrong_value_type():
    text = BASE.replace("    title: Operations\n", "    title: [a, b]\n")
    assert only_error(text) == "sections[0].title (line 6): expected text, got a list"


def test_invalid_key():
    text = BASE.replace("key: deployments", "key: Deploy-ments")
    assert "is not a valid key" in only_error(text)


def test_duplicate_question_key_across_sections():
    text = BASE.replace("key: rate", "key: deployments")
    assert only_error(text) == (
        "sections[0].questions[2].key (line 18): duplicate question key 'deployments' "
        "(first used at sections[0].questions[0].key)"
    )


def test_duplicate_choice_key():
    text = BASE.replace("{key: none, label", "{key: live, label")
    assert only_error(text).startswith(
        "sections[0].questions[1].choices[1].key (line 17): duplicate choice key 'live'"
    )


def test_unknown_type():
    text = BASE.replace("type: integer", "type: number")
    assert only_error(text).startswith(
        "sections[0].questions[0].type (line 10): unknown type 'number'"
    )


def test_field_that_does_not_apply_to_type():
    text = BASE.replace("        min: 0\n", "        min: 0\n        max_length: 5\n")
    assert only_error(text) == (
        "sections[0].questions[0].max_length (line 12): "
        "'max_length' does not apply to a integer question"
    )


def test_non_positive_weight():
    text = BASE.replace("    title: Operations\n", "    title: Operations\n    weight: 0\n")
    assert only_error(text) == (
        "sections[0].weight (line 7): weight must be a positive number, got 0"
    )


def test_risk_outside_unit_interval():
    text = BASE.replace("label: Not at all, risk: 1", "label: Not at all, risk: 5")
    assert only_error(text) == (
        "sections[0].questions[1].choices[1].risk (line 17): "
        "risk must be a number from 0 to 1, got 5"
    )


def test_choice_risk_on_some_choices_only():
    text = BASE.replace("label: Live, risk: 0}", "label: Live}")
    assert "every choice needs a risk once one has one (missing: live)" in only_error(text)


def test_min_above_max():
    text = BASE.replace("        min: 0\n", "        min: 10\n        max: 5\n")
    assert only_error(text) == "sections[0].questions[0].min (line 11): min 10 is above max 5"


def test_bands_overlap():
    text = BASE.replace("{min: 10, max: 100, risk: 1}", "{min: 8, max: 100, risk: 1}")
    assert only_error(text) == (
        "sections[0].questions[2].scoring.bands[1] (line 24): band starts at 8 but the "
        "previous band ends at 10 (bands overlap)"
    )


def test_bands_leave_a_gap():
    text = BASE.replace("{min: 10, max: 100, risk: 1}", "{min: 12, max: 100, risk: 1}")
    assert only_error(text).endswith("band starts at 12 but the previous band ends at 10 (gap)")


def test_bands_do_not_cover_the_range():
    text = BASE.replace("{min: 10, max: 100, risk: 1}", "{min: 10, max: 90, risk: 1}")
    assert only_error(text) == (
        "sections[0].questions[2].scoring.bands[1] (line 24): bands end at 90 but answers "
        "can be as high as 100 (gap)"
    )


def test_band_min_not_below_max():
    text = BASE.replace("{min: 0, max: 10, risk: 0}", "{min: 10, max: 10, risk: 0}")
    assert "band min 10 must be below its max 10" in errors_of(text)[0]


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("deployments >", "cannot parse expression 'deployments >'"),
        ("deployments.real > 1", "Attribute is not allowed"),
        ("open('x')", "unknown function"),
        ("deploymentz > 1", "'deploymentz' is not a question key"),
        ("monitoring == 'lve'", "'lve' is not an answer to 'monitoring' (one of: live, none)"),
    ],
)
def test_bad_show_if_expressions(condition, message):
    text = BASE.replace(
        "        type: percentage\n",
        f'        type: percentage\n        show_if: "{condition}"\n',
    )
    error = only_error(text)
    assert error.startswith("sections[0].questions[2].show_if (line 21): ")
    assert message in error


def with_monitoring_condition(condition: str) -> str:
    return BASE.replace(
        "        type: single_choice\n",
        f'        type: single_choice\n        show_if: "{condition}"\n',
    )


def test_condition_pointing_forward():
    assert only_error(with_monitoring_condition("rate > 1")) == (
        "sections[0].questions[1].show_if (line 15): 'rate' comes later in the "
        "questionnaire: a condition may only refer to earlier questions"
    )


def test_condition_on_itself_is_a_cycle():
    error = only_error(with_monitoring_condition("monitoring == 'live'"))
    assert "the condition of 'monitoring' refers to itself (a cycle)" in error


def test_rule_with_bad_reference_and_severity():
    text = BASE + textwrap.dedent(
        """\
        rules:
          - key: blind
            severity: severe
            title: Blind spot
            when: "rate <= 1 and monitoring == 'off'"
            message: Nobody watched.
        """
    )
    assert errors_of(text) == [
        "rules[0].severity (line 30): severity must be one of info, moderate, high, "
        "critical, got 'severe'",
        "rules[0].when (line 32): 'off' is not an answer to 'monitoring' (one of: live, none)",
    ]


def test_knockout_answer_must_be_a_choice():
    text = BASE.replace(
        "          - {key: none, label: Not at all, risk: 1}\n",
        "          - {key: none, label: Not at all, risk: 1}\n"
        "        knockouts:\n"
        "          - {answers: [nope], severity: critical, title: T, message: M}\n",
    )
    assert only_error(text) == (
        "sections[0].questions[1].knockouts[0].answers[0] (line 19): 'nope' is not an "
        "answer to 'monitoring' (one of: live, none)"
    )


def test_profile_weight_for_unknown_section():
    text = BASE.replace(
        "    title: General\n", "    title: General\n    section_weights: {opps: 2}\n"
    )
    assert only_error(text) == (
        "profiles[0].section_weights.opps (line 28): 'opps' is not a section key"
    )


def test_unknown_source():
    text = BASE.replace("        min: 0\n", "        min: 0\n        sources: [nist]\n")
    assert only_error(text) == (
        "sections[0].questions[0].sources[0] (line 12): unknown source 'nist': "
        "declare it in `sources`"
    )


def test_every_error_is_reported_at_once():
    text = (
        BASE.replace("type: integer", "type: number")
        .replace("label: Not at all, risk: 1", "label: Not at all, risk: 2")
        .replace("{min: 10, max: 100, risk: 1}", "{min: 12, max: 100, risk: 1}")
    )
    assert len(errors_of(text)) == 3


def test_visible_question_keys_follows_conditions():
    text = BASE.replace(
        "        type: single_choice\n",
        '        type: single_choice\n        show_if: "deployments > 0"\n',
    )
    definition = load_definition(text)
    assert visible_question_keys(definition, {"deployments": 0}) == {"deployments", "rate"}
    assert visible_question_keys(definition, {"deployments": 3}) == {
        "deployments",
        "monitoring",
        "rate",
    }


def test_a_hidden_answer_counts_as_unanswered_for_the_conditions_after_it():
    text = BASE.replace(
        "        type: single_choice\n",
        '        type: single_choice\n        show_if: "deployments > 0"\n',
    ).replace(
        "        type: percentage\n",
        '        type: percentage\n        show_if: "answered(monitoring)"\n',
    )
    definition = load_definition(text)
    # monitoring keeps an old answer, but no deployments hide it, and rate with it.
    stale = {"deployments": 0, "monitoring": "live"}
    assert visible_question_keys(definition, stale) == {"deployments"}
    assert visible_question_keys(definition, {**stale, "deployments": 2}) == {
        "deployments",
        "monitoring",
        "rate",
    }


@pytest.mark.parametrize("weight", ["0", "-1", ".inf", ".nan", "true", "heavy"])
def test_a_weight_must_be_a_finite_positive_number(weight):
    text = BASE.replace("        min: 0\n", f"        min: 0\n        weight: {weight}\n")
    assert "weight must be a positive number" in only_error(text)


def test_visibility_remembers_hidden_sets_by_the_controlling_answers():
    text = BASE.replace(
        "        type: single_choice\n",
        "        type: multiple_choice\n",
    ).replace(
        "        type: percentage\n",
        "        type: percentage\n        show_if: \"'none' in monitoring and deployments > 1\"\n",
    )
    rule = visibility(load_definition(text))
    assert rule.controlling == ("deployments", "monitoring")
    cases = [
        {"deployments": 2, "monitoring": ["none"]},
        {"deployments": 2, "monitoring": ["live"]},
        {"deployments": 1, "monitoring": ["none"]},
        {"deployments": 2, "monitoring": ["none"], "rate": 30},  # rate steers nothing
        {"deployments": 2, "monitoring": [{"not": "hashable"}]},
        {},
    ]
    for _ in range(2):  # the second time from the memo
        for values in cases:
            assert rule.hidden(values) == {"deployments", "monitoring", "rate"} - rule.keys(
                values
            ), values
    assert rule.hidden(cases[0]) == set()
    assert rule.hidden(cases[1]) == {"rate"}


def test_buyer_context_is_stored_only_where_written():
    plain = load_definition(BASE)
    assert "buyer_context" not in plain["sections"][0]["questions"][0]
    text = BASE.replace(
        "        min: 0\n", "        min: 0\n        buyer_context: [volume, buyer]\n", 1
    )
    declared = load_definition(text)
    assert declared["sections"][0]["questions"][0]["buyer_context"] == ["volume", "buyer"]
    assert load_definition(dump_definition(declared)) == declared


def test_buyer_context_names_known_parts_only():
    text = BASE.replace("        min: 0\n", "        min: 0\n        buyer_context: [budget]\n", 1)
    error = only_error(text)
    assert error.startswith("sections[0].questions[0].buyer_context[0] (line")
    assert "unknown part of the buyer context 'budget'" in error
    assert "currency" in error


def test_buyer_context_topics_match_the_rounds_module():
    from questionnaires.definition import BUYER_CONTEXT_TOPICS
    from questionnaires.rounds import TOPICS

    assert TOPICS == BUYER_CONTEXT_TOPICS
