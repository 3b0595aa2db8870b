"""Properties of the scoring engine over generated questionnaires and answers (hypothesis).

- the score lies in [0, 100] and inside its range;
- a riskier answer never lowers the score;
- answering a question never widens the range;
- the order of the answers does not matter;
- scaling every weight by a constant changes nothing;
- plans explain exactly the questions the definition's visibility rule shows.
"""

from __future__ import annotations

import json
import math
from itertools import pairwise

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from questionnaires.definition import dump_definition, load_definition, visible_question_keys
from questionnaires.scoring import (
    EVIDENCE_LEVELS,
    AnswerInput,
    ScoreResult,
    answer_risk,
    compile_plan,
    inputs_hash,
    score_response,
)

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
risks = st.sampled_from([0, 0.1, 0.25, 0.4, 0.5, 0.75, 0.9, 1])
weights = st.sampled_from([0.5, 1, 1.5, 2, 3, 5])


@st.composite
def questions(draw, key: str, earlier: list[dict], conditions: bool) -> dict:
    kind = draw(st.sampled_from(["yes_no", "single_choice", "multiple_choice", "percentage"]))
    question: dict = {
        "key": key,
        "text": f"{key}?",
        "type": kind,
        "weight": draw(weights),
        "evidence": draw(st.booleans()),
    }
    if kind == "yes_no":
        question["scoring"] = {"yes": draw(risks), "no": draw(risks)}
        if draw(st.booleans()):
            question["knockouts"] = [
                {
                    "answers": ["no"],
                    "severity": draw(st.sampled_from(["moderate", "high", "critical"])),
                    "title": "Knock-out",
                    "message": "A knock-out answer.",
                }
            ]
    elif kind in ("single_choice", "multiple_choice"):
        count = draw(st.integers(2, 4))
        question["choices"] = [
            {"key": f"c{i}", "label": f"Choice {i}", "risk": draw(risks)} for i in range(count)
        ]
    else:
        cuts = sorted(draw(st.sets(st.integers(1, 99), min_size=1, max_size=3)))
        edges = [0, *cuts, 100]
        question["scoring"] = {
            "bands": [{"min": lo, "max": hi, "risk": draw(risks)} for lo, hi in pairwise(edges)]
        }
    yes_no_earlier = [q["key"] for q in earlier if q["type"] == "yes_no"]
    if conditions and yes_no_earlier and draw(st.integers(0, 3)) == 0:
        question["show_if"] = f"{draw(st.sampled_from(yes_no_earlier))} == 'yes'"
    return question


@st.composite
def definitions(draw, conditions: bool = True) -> dict:
    sections = []
    asked: list[dict] = []
    for s in range(draw(st.integers(1, 3))):
        section_questions = []
        for q in range(draw(st.integers(1, 4))):
            question = draw(questions(f"s{s}q{q}", asked, conditions))
            section_questions.append(question)
            asked.append(question)
        sections.append(
            {
                "key": f"s{s}",
                "title": f"Section {s}",
                "weight": draw(weights),
                "questions": section_questions,
            }
        )
    numbers = [q["key"] for q in asked if q["type"] == "percentage"]
    rules = []
    if numbers:
        rules.append(
            {
                "key": "high_number",
                "severity": "high",
                "title": "A high number",
                "when": f"{numbers[0]} > 50",
                "message": "A number above 50.",
            }
        )
    raw = {
        "key": "generated",
        "title": "Generated",
        "version": 1,
        "sections": sections,
        "profiles": [
            {
                "key": "general",
                "title": "General",
                "section_weights": {
                    s["key"]: draw(weights) for s in sections if draw(st.booleans())
                },
            }
        ],
        "rules": rules,
    }
    # Through the importer, so the engine sees exactly what the product stores.
    return load_definition(dump_definition(raw))


def all_questions(definition: dict) -> list[dict]:
    return [q for s in definition["sections"] for q in s["questions"]]


@st.composite
def values_for(draw, question: dict):
    kind = question["type"]
    if kind == "yes_no":
        return draw(st.sampled_from(["yes", "no"]))
    keys = [c["key"] for c in question["choices"]]
    if kind == "single_choice":
        return draw(st.sampled_from(keys))
    if kind == "multiple_choice":
        return draw(st.lists(st.sampled_from(keys), min_size=1, max_size=len(keys), unique=True))
    return draw(st.one_of(st.integers(0, 100), st.floats(0, 100, allow_nan=False)))


@st.composite
def answer_sets(draw, definition: dict) -> dict[str, AnswerInput]:
    chosen = {}
    for question in all_questions(definition):
        if draw(st.integers(0, 4)) == 0:
            continue  # unanswered
        chosen[question["key"]] = AnswerInput(
            draw(values_for(question)), draw(st.sampled_from(EVIDENCE_LEVELS))
        )
    return chosen


@st.composite
def scored_cases(draw, conditions: bool = True):
    definition = draw(definitions(conditions))
    return definition, draw(answer_sets(definition))


def close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


@SETTINGS
@given(scored_cases())
def test_score_lies_in_0_100_and_inside_its_range(case):
    definition, answers = case
    result = score_response(definition, definition["profiles"][0], answers)
    assert 0 <= result.low <= result.high <= 100
    assert 0 <= result.coverage <= 1
    if result.score is not None:
        assert result.low - 1e-9 <= result.score <= result.high + 1e-9
    for section in result.sections:
        assert 0 <= section.low <= section.high <= 100
        if section.score is not None:
            assert section.low - 1e-9 <= section.score <= section.high + 1e-9


@SETTINGS
@given(st.data())
def test_a_riskier_answer_never_lowers_the_score(data):
    definition, answers = data.draw(scored_cases(conditions=False))
    profile = definition["profiles"][0]
    question = data.draw(st.sampled_from(all_questions(definition)))
    first, second = data.draw(values_for(question)), data.draw(values_for(question))
    low_value, high_value = sorted((first, second), key=lambda value: answer_risk(question, value))
    assume(answer_risk(question, low_value) is not None)
    level = data.draw(st.sampled_from(EVIDENCE_LEVELS))
    safer = score_response(
        definition, profile, {**answers, question["key"]: AnswerInput(low_value, level)}
    )
    riskier = score_response(
        definition, profile, {**answers, question["key"]: AnswerInput(high_value, level)}
    )
    assert riskier.score >= safer.score - 1e-9
    assert riskier.high >= safer.high - 1e-9
    assert riskier.low >= safer.low - 1e-9


@SETTINGS
@given(st.data())
def test_answering_a_question_never_widens_the_range(data):
    definition, answers = data.draw(scored_cases(conditions=False))
    profile = definition["profiles"][0]
    unanswered = [q for q in all_questions(definition) if q["key"] not in answers]
    assume(unanswered)
    question = data.draw(st.sampled_from(unanswered))
    answer = AnswerInput(
        data.draw(values_for(question)), data.draw(st.sampled_from(EVIDENCE_LEVELS))
    )
    before = score_response(definition, profile, answers)
    after = score_response(definition, profile, {**answers, question["key"]: answer})
    assert after.low >= before.low - 1e-9
    assert after.high <= before.high + 1e-9
    assert after.coverage >= before.coverage - 1e-12


@SETTINGS
@given(st.data())
def test_the_order_of_answers_does_not_matter(data):
    definition, answers = data.draw(scored_cases())
    profile = definition["profiles"][0]
    shuffled = dict(data.draw(st.permutations(list(answers.items()))))
    assert (
        score_response(definition, profile, shuffled).to_dict()
        == score_response(definition, profile, answers).to_dict()
    )


def scaled(definition: dict, factor: float) -> tuple[dict, dict]:
    """The definition and its first profile with every weight multiplied by `factor`."""
    profile = definition["profiles"][0]
    scaled_definition = {
        **definition,
        "sections": [
            {
                **section,
                "weight": section["weight"] * factor,
                "questions": [{**q, "weight": q["weight"] * factor} for q in section["questions"]],
            }
            for section in definition["sections"]
        ],
    }
    scaled_profile = {
        **profile,
        "section_weights": {k: w * factor for k, w in profile["section_weights"].items()},
    }
    return scaled_definition, scaled_profile


@SETTINGS
@given(scored_cases(), st.sampled_from([0.001, 0.37, 3, 1000]))
def test_scaling_every_weight_by_a_constant_changes_nothing(case, factor):
    definition, answers = case
    profile = definition["profiles"][0]
    scaled_definition, scaled_profile = scaled(definition, factor)
    plain = score_response(definition, profile, answers)
    rescaled = score_response(scaled_definition, scaled_profile, answers)
    for name in ("score", "low", "high", "coverage"):
        assert close(getattr(plain, name), getattr(rescaled, name)), name
    assert plain.tier == rescaled.tier
    assert plain.flags == rescaled.flags
    for a, b in zip(plain.sections, rescaled.sections, strict=True):
        assert close(a.score, b.score) and close(a.share, b.share)
    for a, b in zip(plain.contributions, rescaled.contributions, strict=True):
        assert close(a.points, b.points) and close(a.uncertainty, b.uncertainty)


@SETTINGS
@given(scored_cases())
def test_explanations_add_up(case):
    definition, answers = case
    result = score_response(definition, definition["profiles"][0], answers)
    points = sum(c.points for c in result.contributions)
    uncertainty = sum(c.uncertainty for c in result.contributions)
    if result.score is not None:
        assert math.isclose(points, result.score, abs_tol=1e-7)
        assert math.isclose(sum(c.shift for c in result.contributions), 0, abs_tol=1e-7)
    if result.contributions:
        assert math.isclose(uncertainty, result.high - result.low, abs_tol=1e-7)


@SETTINGS
@given(scored_cases())
def test_plans_explain_exactly_the_visible_scored_questions(case):
    definition, answers = case
    plan = compile_plan(definition, definition["profiles"][0])
    values = {key: answer.value for key, answer in answers.items()}
    visible = visible_question_keys(definition, values)
    assert set(plan.visible_values(answers)) == visible
    for _ in range(2):  # cold, then from the plan's layouts per visibility pattern
        explained = [c.question_key for c in plan.score(answers).contributions]
        assert explained == [
            q["key"] for q in all_questions(definition) if q["key"] in visible and q["scoring"]
        ]


@SETTINGS
@given(scored_cases())
def test_a_stored_result_rebuilds_the_same_explanation(case):
    definition, answers = case
    result = score_response(definition, definition["profiles"][0], answers)
    rebuilt = ScoreResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert (rebuilt.score, rebuilt.tier, rebuilt.flags) == (
        None if result.score is None else round(result.score, 6),
        result.tier,
        result.flags,
    )
    for old, new in zip(result.sections, rebuilt.sections, strict=True):
        assert new.key == old.key
        for name in ("share", "score", "low", "high", "coverage"):
            a, b = getattr(old, name), getattr(new, name)
            assert (a is None) == (b is None), name
            if a is not None:
                assert math.isclose(a, b, rel_tol=1e-4, abs_tol=1e-4), name
    for old, new in zip(result.contributions, rebuilt.contributions, strict=True):
        assert (new.question_key, new.answered, new.risk) == (
            old.question_key,
            old.answered,
            old.risk,
        )
        assert math.isclose(new.points, old.points, rel_tol=1e-4, abs_tol=1e-4)


@SETTINGS
@given(scored_cases(), st.sampled_from([1e-12, 1e-7, 3e-4, 1, 7.3, 1e5, 1e12]))
def test_a_stored_result_rebuilds_the_live_sections_at_any_scale_of_weights(case, factor):
    definition, answers = case
    result = score_response(*scaled(definition, factor), answers)
    rebuilt = ScoreResult.from_dict(json.loads(result.to_json()))
    assert rebuilt.terms == result.terms
    assert rebuilt.sections == result.sections
    for old, new in zip(result.contributions, rebuilt.contributions, strict=True):
        assert (new.weight, new.share, new.answered, new.uncertainty) == (
            old.weight,
            old.share,
            old.answered,
            old.uncertainty,
        )


hash_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(-3, 3, allow_nan=False),
    st.sampled_from(["yes", "no", "1", "", "a\x1eb"]),
    st.lists(st.sampled_from(["c0", "c1", "c2"]), max_size=3),
    st.dictionaries(st.sampled_from(["b", "a"]), st.integers(0, 2), max_size=2),
)


@SETTINGS
@given(st.data())
def test_a_plans_inputs_hash_equals_the_modules(data):
    definition = data.draw(definitions())
    keys = [q["key"] for q in all_questions(definition)] + ["not_a_question"]
    answers = data.draw(
        st.dictionaries(
            st.sampled_from(keys),
            st.builds(AnswerInput, hash_values, st.sampled_from(EVIDENCE_LEVELS)),
        )
    )
    plan = compile_plan(definition, definition["profiles"][0])
    for _ in range(2):  # the second time from the plan's memo
        assert plan.inputs_hash("h", answers) == inputs_hash(
            "h", definition["profiles"][0], answers
        )


@SETTINGS
@given(scored_cases())
def test_the_stored_form_is_the_results_dict_as_json(case):
    definition, answers = case
    plan = compile_plan(definition, definition["profiles"][0])
    for _ in range(2):  # cold, then from the plan's memos
        result = plan.score(answers)
        stored = plan.stored(answers, "h")
        assert json.loads(stored.result) == result.to_dict()
        assert stored.result == result.to_json()
        assert stored[:3] == (result.profile_key, result.engine_version, "h")
        assert stored[3:9] == (
            result.score,
            result.low,
            result.high,
            result.coverage,
            result.tier,
            len(result.flags),
        )


@SETTINGS
@given(st.data())
def test_every_contribution_has_the_answers_own_risk(data):
    definition = data.draw(definitions())
    questions = {q["key"]: q for q in all_questions(definition)}
    # Band edges and their neighbours, where an off-by-one would show.
    edges = sorted(
        {
            edge
            for q in questions.values()
            if q["scoring"] and "bands" in q["scoring"]
            for band in q["scoring"]["bands"]
            for edge in (band["min"], band["max"])
            if edge is not None
        }
    )
    numbers = st.one_of(
        st.sampled_from(edges or [0]),
        st.sampled_from(edges or [0]).map(lambda x: x - 0.001),
        st.floats(-1, 101, allow_nan=False),
        st.integers(-1, 101),
    )
    answers = {}
    for key, question in questions.items():
        value = data.draw(numbers if question["type"] == "percentage" else values_for(question))
        answers[key] = AnswerInput(value, data.draw(st.sampled_from(EVIDENCE_LEVELS)))
    plan = compile_plan(definition, definition["profiles"][0])
    for _ in range(2):  # cold, then from the plan's memos
        for c in plan.score(answers).contributions:
            assert c.risk == answer_risk(questions[c.question_key], answers[c.question_key].value)
