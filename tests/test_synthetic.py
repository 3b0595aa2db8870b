"""The generator the tests and benchmarks share: valid questionnaires of every flavour,
answers that the questionnaire accepts, the same data from the same seed."""

from __future__ import annotations

import random

import pytest

from questionnaires.comparison import build_comparison
from questionnaires.definition import iter_questions, load_definition, visible_question_keys
from questionnaires.models import AuditEvent, ResponseScore, ResponseStatus
from tests.synthetic import (
    SCORED_KINDS,
    answered_responses,
    definition_yaml,
    generated_answers,
    generated_definition,
    import_definition,
    one_section_definition,
    scored_selection,
)

FLAVOURS = {
    "plain": {"per_section": 6},
    "realistic, uneven sections": {"sections": 8, "questions": 50, "realistic": True},
    "gated, every knock-out and rule": {
        "sections": 5,
        "per_section": 10,
        "gated": True,
        "knockouts": 50,
        "rules": 5,
    },
}


@pytest.mark.parametrize("options", FLAVOURS.values(), ids=FLAVOURS.keys())
def test_every_flavour_is_a_valid_definition_of_the_size_asked(options):
    definition = generated_definition(key="flavour", **options)

    loaded = load_definition(definition_yaml(definition))

    questions = [q for _, q in iter_questions(loaded)]
    yes_no = [q for q in questions if q["type"] == "yes_no"]
    sections = options.get("sections", 3)
    assert len(questions) == (options.get("questions") or sections * options["per_section"])
    assert {q["type"] for q in questions} == set(SCORED_KINDS)
    assert sum(bool(q["knockouts"]) for q in yes_no) == min(
        len(yes_no), options.get("knockouts", 1)
    )
    assert len(loaded["rules"]) == options.get("rules", 1)


def test_a_gated_section_shows_its_questions_only_when_the_gate_opens():
    definition = load_definition(definition_yaml(one_section_definition(9, key="gated")))

    assert visible_question_keys(definition, {"s0_q0": 0}) == {"s0_q0"}
    assert len(visible_question_keys(definition, {"s0_q0": 3})) == 9


def test_generated_answers_answer_every_question_shown_and_repeat_with_the_seed():
    definition = load_definition(definition_yaml(one_section_definition(16, key="answers")))

    first = generated_answers(definition, random.Random(3))

    assert first == generated_answers(definition, random.Random(3))
    assert (
        set(first)
        == visible_question_keys(definition, first)
        == {q["key"] for _, q in iter_questions(definition)}
    )


def test_answered_responses_are_answered_through_the_comparison(db):
    version = import_definition(generated_definition(sections=2, per_section=6))

    responses = answered_responses(version, 3, seed=5)

    comparison = build_comparison(responses)
    states = {cell.state for _, row in comparison.rows() for cell in row.cells}
    assert states == {"answered"}
    assert all(r.status == ResponseStatus.SUBMITTED and r.submitted_at for r in responses)
    assert len({r.vendor.name for r in responses}) == 3


def test_a_scored_selection_has_scores_a_clarification_and_a_recommendation(db):
    version = import_definition(generated_definition(questions=20, sections=4, realistic=True))

    made = scored_selection(version=version, vendors=4)

    assert made.selection.responses.count() == 4
    assert ResponseScore.objects.filter(response__in=made.responses).count() == 4 * 2
    asked = AuditEvent.objects.get(kind=AuditEvent.Kind.CLARIFICATION_REQUESTED)
    assert asked.response == made.responses[1]
    assert made.responses[0].vendor.name in made.selection.recommendation
