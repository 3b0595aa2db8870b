"""The format's newer fields: scoring notes, units, declared answers, choices asking
for details (docs/questionnaire-format.md)."""

from __future__ import annotations

import pytest

from questionnaires.completeness import completeness, explanation_prompt
from questionnaires.definition import (
    InvalidDefinition,
    dump_definition,
    iter_questions,
    load_definition,
    visibility,
)
from questionnaires.display import answer_display, shorten, unit_label
from questionnaires.scoring import AnswerInput, answer_risk, score_response
from tests.conftest import EXAMPLE_DEFINITION, EXTENSIONS_DEFINITION, SHIPPED_DEFINITION

NEWER_FIELDS = {"scoring_notes", "unit", "declared"}


def _questions(text: str) -> dict[str, dict]:
    return {q["key"]: q for _, q in iter_questions(load_definition(text))}


def _errors(text: str) -> list[str]:
    with pytest.raises(InvalidDefinition) as raised:
        load_definition(text)
    return [str(e) for e in raised.value.errors]


def _one_question(fields: str) -> str:
    return f"""
key: q
title: Q
version: 1
sections:
  - key: s
    title: S
    questions:
      - key: a
        text: A?
{fields}
profiles: [{{key: general, title: General}}]
"""


def test_the_newer_fields_are_stored_and_round_trip():
    text = EXTENSIONS_DEFINITION.read_text()
    questions = _questions(text)
    assert questions["rollback_rate"]["declared"] == [
        {"key": "not_measured", "label": "We do not measure this", "risk": 1}
    ]
    assert questions["time_to_rollback"]["unit"] == "hours"
    assert questions["refund_limit"]["unit"] == "currency"
    assert questions["rollback_rate"]["scoring_notes"].startswith("Up to 10% scores 0.1 (low)")
    tool = next(c for c in questions["live_monitoring"]["choices"] if c["key"] == "vendor_tool")
    assert tool["comment"] == "Name the tool and what it alerts on."
    definition = load_definition(text)
    assert load_definition(dump_definition(definition)) == definition


@pytest.mark.parametrize("path", [EXAMPLE_DEFINITION, SHIPPED_DEFINITION])
def test_definitions_without_the_newer_fields_store_none_of_them(path):
    # Published versions keep their content hash only if nothing new is filled in.
    for question in _questions(path.read_text()).values():
        assert not NEWER_FIELDS & set(question)
        assert all("comment" not in choice for choice in question["choices"])


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            "        type: yes_no\n        unit: hours",
            "sections[0].questions[0].unit (line 12): 'unit' does not apply to a yes_no question",
        ),
        ("        type: integer\n        unit: weeks", "unknown unit 'weeks' (one of: percent,"),
        ("        type: integer\n        unit: percent", "is a question of type percentage"),
        ("        type: percentage\n        unit: hours", "a percentage is in percent, not hours"),
        (
            "        type: integer\n        scoring: {bands: [{risk: 0}]}\n"
            "        declared: [{key: not_measured, label: Not measured}]",
            "declared[0] (line 13): a declared answer to a scored question needs a risk",
        ),
        (
            "        type: integer\n        declared: [{key: not_measured, label: N, risk: 1}]",
            "the question is not scored: leave risk out",
        ),
        (
            "        type: integer\n        declared: [{key: nm, label: N}, {key: nm, label: M}]",
            "duplicate declared answer key 'nm'",
        ),
        ("        type: integer\n        declared: []", "list at least one declared answer"),
        (
            "        type: single_choice\n        choices:\n"
            "          - {key: x, label: X, comment: ''}\n          - {key: y, label: Y}",
            "choices[0].comment (line 13): must not be empty",
        ),
        ("        type: text\n        scoring_notes: ''", "scoring_notes (line 12): must not be"),
    ],
)
def test_a_broken_newer_field_is_refused_with_its_location(fields, message):
    errors = _errors(_one_question(fields))
    assert any(message in error for error in errors), errors


def test_expressions_and_knockouts_may_name_a_declared_answer_but_no_other_string():
    text = _one_question(
        "        type: integer\n        scoring: {bands: [{risk: 0}]}\n"
        "        declared: [{key: not_tested, label: Not tested, risk: 1}]\n"
        "        knockouts:\n"
        "          - {answers: [not_tested], severity: high, title: T, message: M}\n"
        "          - {when: \"a == 'not_tsted'\", severity: high, title: T, message: M}"
    )
    [error] = _errors(text)
    assert "'not_tsted' is not an answer to 'a' (one of: not_tested)" in error


def test_a_declared_answer_scores_its_declared_risk_and_hides_nothing_it_should_not():
    questions = _questions(EXTENSIONS_DEFINITION.read_text())
    rollback = questions["rollback_rate"]
    assert answer_risk(rollback, "not_measured") == 1
    assert answer_risk(rollback, 5) == 0.1
    assert answer_risk(rollback, "not_tested") is None  # another question's declared answer
    definition = load_definition(EXTENSIONS_DEFINITION.read_text())
    # "Not measured" is an answer (the question counts as answered), not a number:
    # the blind-spot rule comparing it with 1 does not fire.
    progress = completeness(definition, {"live_deployments": 3, "rollbacks": "not_measured"}, {})
    track = progress.sections[0]
    assert track.answered == 3  # the two answers, and the rate worked out from them


def test_a_choice_that_asks_for_details_needs_a_comment_with_its_prompt():
    definition = load_definition(EXTENSIONS_DEFINITION.read_text())
    monitoring = _questions(EXTENSIONS_DEFINITION.read_text())["live_monitoring"]
    assert explanation_prompt(monitoring, "vendor_tool") == "Name the tool and what it alerts on."
    assert explanation_prompt(monitoring, "realtime") is None
    values = {"live_deployments": 0, "live_monitoring": "vendor_tool"}
    [missing] = _missing(completeness(definition, values, {}), "live_monitoring")
    assert missing.message == "Explain your answer: Name the tool and what it alerts on."
    done = completeness(definition, values, {"live_monitoring": "Acme Watch"})
    assert not _missing(done, "live_monitoring")


def _missing(progress, key: str) -> list:
    return [m for s in progress.sections for m in s.missing if m.question_key == key]


def test_numbers_read_with_their_units_everywhere():
    questions = _questions(EXTENSIONS_DEFINITION.read_text())
    assert answer_display(questions["time_to_rollback"], 1.5) == "1.5 hours"
    assert answer_display(questions["time_to_rollback"], 1) == "1 hour"
    assert answer_display(questions["time_to_rollback"], "not_tested") == "Never done or tested"
    assert answer_display(questions["live_deployments"], 1200) == "1,200"
    assert answer_display(questions["rollback_rate"], 8) == "8%"
    refund = questions["refund_limit"]
    assert answer_display(refund, 250, currency="EUR") == "EUR 250"
    assert answer_display(refund, 250) == "250 (buyer's currency)"
    # Money keeps both decimals of its cents.
    assert answer_display(refund, 1000.5, currency="EUR") == "EUR 1,000.50"
    assert answer_display(refund, 1000.0, currency="EUR") == "EUR 1,000"
    assert unit_label(refund, "USD") == "USD"
    assert unit_label(questions["rollback_rate"]) == "%"


# Derived values ------------------------------------------------------------------------


def test_a_label_is_cut_at_a_words_end_where_one_is_near():
    label = "For each action, what may the agent do on each channel?"
    assert shorten(label, 50) == "For each action, what may the agent do on each…"
    assert shorten("x" * 60, 20) == "x" * 19 + "…"  # no word ends near: cut where it falls
    assert shorten(label, 100) == label


def test_a_derived_rate_is_worked_out_from_earlier_answers_and_scored():
    definition = load_definition(EXTENSIONS_DEFINITION.read_text())
    rule = visibility(definition)
    assert rule.with_derived({"live_deployments": 20, "rollbacks": 1})["rollback_rate"] == 5
    assert rule.with_derived({"live_deployments": 3, "rollbacks": 1})["rollback_rate"] == 33.3
    # Nothing to divide by, or one answer missing: not worked out.
    assert rule.with_derived({"live_deployments": 0, "rollbacks": 0})["rollback_rate"] is None
    assert rule.with_derived({"live_deployments": 5})["rollback_rate"] is None
    # An input "not measured" makes the rate not measured, with the rate's declared risk.
    assert (
        rule.with_derived({"live_deployments": 5, "rollbacks": "not_measured"})["rollback_rate"]
        == "not_measured"
    )
    profile = definition["profiles"][0]
    scored = score_response(
        definition,
        profile,
        {
            "live_deployments": AnswerInput(20, "self_attested"),
            "rollbacks": AnswerInput(6, "self_attested"),
            # Typed into an earlier version where the rate was asked: ignored.
            "rollback_rate": AnswerInput(1, "self_attested"),
        },
    )
    risk = {t.question_key: t.risk for t in scored.contributions}
    assert risk["rollback_rate"] == 1  # 30%: the worst band


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            "        type: integer\n        derived: {ratio: [b, c]}",
            "'derived' does not apply to a integer question",
        ),
        (
            "        type: percentage\n        derived: {ratio: [b]}",
            "ratio is [numerator, denominator]: two question keys",
        ),
        (
            "        type: percentage\n        derived: {ratio: [a, nope]}",
            "derived.ratio[1] (line 12): 'nope' is not a question key",
        ),
        (
            "        type: percentage\n        required: true\n        derived: {ratio: [a, a]}",
            "a derived value is worked out, not typed in: it cannot be required",
        ),
    ],
)
def test_a_broken_derived_value_is_refused_with_its_location(fields, message):
    errors = _errors(_one_question(fields))
    assert any(message in error for error in errors), errors


def test_a_derived_value_uses_only_earlier_numbers():
    text = _one_question(
        "        type: text\n"
        "      - key: rate\n        text: Rate\n        type: percentage\n"
        "        derived: {ratio: [a, later]}\n"
        "      - key: later\n        text: Later\n        type: integer"
    )
    errors = _errors(text)
    assert any("'a' is a text question, not a number" in e for e in errors), errors
    assert any("'later' does not come before 'rate'" in e for e in errors), errors


# Grids -----------------------------------------------------------------------------------

GRID_ANSWER = {
    "choices": {
        "refund.voice": "alone_limited",
        "refund.chat": "approved",
        "account_change.voice": "not_offered",
        "account_change.chat": "alone",
    },
    "limits": {"refund.voice": 50},
}


def _grid() -> dict:
    return _questions(EXTENSIONS_DEFINITION.read_text())["action_authority"]


def test_a_grid_scores_the_worst_cell_of_each_row_weighted_by_row():
    grid = _grid()
    # Refund (weight 2): worst 0.4; account change (weight 1): worst 1.
    assert answer_risk(grid, GRID_ANSWER) == pytest.approx((2 * 0.4 + 1) / 3)
    partial = {"choices": {"refund.voice": "approved"}, "limits": {}}
    assert answer_risk(grid, partial) is None  # a cell left open: not scored yet
    assert answer_risk(grid, "alone") is None  # not a grid answer


def test_a_grid_knock_out_looks_only_at_its_rows():
    definition = load_definition(EXTENSIONS_DEFINITION.read_text())
    profile = definition["profiles"][0]

    def flags(choices: dict) -> list[str]:
        answer = {"choices": choices, "limits": {}}
        inputs = {"action_authority": AnswerInput(answer, "self_attested")}
        return [f.title for f in score_response(definition, profile, inputs).flags]

    every = dict.fromkeys(("refund.voice", "refund.chat", "account_change.voice"), "approved")
    assert flags({**every, "account_change.chat": "alone"}) == []
    assert flags({**every, "account_change.chat": "approved", "refund.chat": "alone"}) == [
        "Refunds without human approval or limit"
    ]


def test_a_required_grid_is_answered_only_when_every_cell_is():
    definition = load_definition(EXTENSIONS_DEFINITION.read_text())
    partial = {"choices": {"refund.voice": "approved"}, "limits": {}}
    progress = completeness(definition, {"live_deployments": 0, "action_authority": partial}, {})
    assert [m.kind for m in _missing(progress, "action_authority")] == ["answer"]
    done = completeness(definition, {"live_deployments": 0, "action_authority": GRID_ANSWER}, {})
    assert not _missing(done, "action_authority")


def test_a_grid_answer_reads_row_by_row_with_its_limits():
    assert answer_display(_grid(), GRID_ANSWER, currency="EUR") == (
        "Refund \u2014 Voice: Acts alone up to a limit (EUR 50), Chat: A human approves each "
        "one; Account change \u2014 Voice: Not offered, Chat: Acts alone"
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            "        type: text\n        rows: [{key: r, label: R}]",
            "'rows' does not apply to a text",
        ),
        (
            "        type: grid\n        columns: [{key: c, label: C}]\n"
            "        cells: [{key: x, label: X}, {key: y, label: Y}]",
            "rows (line 9): a grid needs at least one of its rows",
        ),
        (
            "        type: grid\n        rows: [{key: r, label: R}, {key: r, label: S}]\n"
            "        columns: [{key: c, label: C}]\n"
            "        cells: [{key: x, label: X}, {key: y, label: Y}]",
            "duplicate row key 'r'",
        ),
        (
            "        type: grid\n        rows: [{key: r, label: R}]\n"
            "        columns: [{key: c, label: C}]\n"
            "        cells: [{key: x, label: X, risk: 1}, {key: y, label: Y}]",
            "every cell answer needs a risk once one has one",
        ),
        (
            "        type: grid\n        rows: [{key: r, label: R}]\n"
            "        columns: [{key: c, label: C}]\n"
            "        cells: [{key: x, label: X, risk: 1}, {key: y, label: Y, risk: 0}]\n"
            "        knockouts: [{answers: [x], rows: [q], severity: high, title: T, message: M}]",
            "'q' is not a row of 'a' (one of: r)",
        ),
        (
            "        type: yes_no\n"
            "        knockouts: [{answers: ['no'], rows: [r], severity: high, title: T, message: M}]",
            "`rows` applies only to a grid question's knock-outs",
        ),
    ],
)
def test_a_broken_grid_is_refused_with_its_location(fields, message):
    errors = _errors(_one_question(fields))
    assert any(message in error for error in errors), errors


def test_a_rate_of_more_than_all_of_them_is_not_worked_out():
    rule = visibility(load_definition(EXTENSIONS_DEFINITION.read_text()))
    assert rule.with_derived({"live_deployments": 3, "rollbacks": 5})["rollback_rate"] is None
    assert rule.with_derived({"live_deployments": 3, "rollbacks": 3})["rollback_rate"] == 100


def test_acting_alone_up_to_a_limit_needs_the_limit():
    grid = _grid()
    without = {**GRID_ANSWER, "limits": {}}
    assert answer_risk(grid, without) is None
    definition = load_definition(EXTENSIONS_DEFINITION.read_text())
    progress = completeness(definition, {"live_deployments": 0, "action_authority": without}, {})
    assert [m.kind for m in _missing(progress, "action_authority")] == ["answer"]


def test_a_declared_answer_is_not_asked_to_explain_itself():
    question = {
        "type": "integer",
        "choices": [],
        "scoring": {"bands": [{"min": None, "max": None, "risk": 1}]},
        "declared": [{"key": "not_measured", "label": "Not measured", "risk": 1}],
        "explain": {"min_risk": 0.5, "prompt": "Which errors dominate?"},
    }
    assert explanation_prompt(question, 7) == "Which errors dominate?"
    assert explanation_prompt(question, "not_measured") is None


def test_the_rounds_history_compares_derived_values_as_worked_out(extensions_version):
    import datetime

    from django.utils import timezone

    from questionnaires.selectors import response_vendor_rounds
    from tests.factories import ResponseFactory, VendorFactory, answer_all

    vendor = VendorFactory()
    earlier = ResponseFactory(version=extensions_version, vendor=vendor)
    answer_all(earlier, {"live_deployments": 10, "rollbacks": 1})
    earlier.created_at = timezone.now() - datetime.timedelta(days=30)
    earlier.save(update_fields=["created_at"])
    now = ResponseFactory(version=extensions_version, vendor=vendor)
    answer_all(now, {"live_deployments": 20, "rollbacks": 1})
    rounds = response_vendor_rounds(now, profile_key="general")
    changed = {c.key: (c.before, c.after) for c in rounds.changed}
    assert changed["rollback_rate"] == ("10%", "5%")
