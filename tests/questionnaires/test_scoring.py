"""The scoring engine on the example questionnaire: formulas, range, flags, tiers, profiles.

Pure tests: no database. Expected numbers are worked out by hand in the comments.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from questionnaires.definition import load_definition, visible_question_keys
from questionnaires.scoring import (
    ENGINE_VERSION,
    UNRATED,
    AnswerInput,
    Flag,
    ScoreResult,
    answer_risk,
    compile_plan,
    inputs_hash,
    score_response,
    tier_for,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "minimal.yaml"


@pytest.fixture(scope="module")
def definition() -> dict:
    return load_definition(EXAMPLE.read_text())


@pytest.fixture(scope="module")
def general(definition) -> dict:
    return definition["profiles"][0]


@pytest.fixture(scope="module")
def financial(definition) -> dict:
    return definition["profiles"][1]


def answers(level: str = "self_attested", **values) -> dict[str, AnswerInput]:
    return {key: AnswerInput(value, level) for key, value in values.items()}


def question(definition: dict, key: str) -> dict:
    return next(q for s in definition["sections"] for q in s["questions"] if q["key"] == key)


CLEAN = {
    "live_deployments": 40,
    "rollback_rate": 4,
    "rollback_reasons": ["latency"],
    "live_monitoring": "realtime",
    "human_approval_money": "yes",
}


# Answer risk ---------------------------------------------------------------------------


def test_answer_risk_maps_choices_bands_and_yes_no(definition):
    rate = question(definition, "rollback_rate")
    assert answer_risk(rate, 0) == 0.1
    assert answer_risk(rate, 9.99) == 0.1
    assert answer_risk(rate, 10) == 0.5  # a band includes its min, not its max
    assert answer_risk(rate, 100) == 1  # the last band includes its max
    assert answer_risk(rate, "12") is None  # not a number: not scored
    reasons = question(definition, "rollback_reasons")
    assert answer_risk(reasons, ["cost", "latency"]) == 0.4  # the worst chosen
    assert answer_risk(reasons, []) is None
    money = question(definition, "human_approval_money")
    assert (answer_risk(money, "yes"), answer_risk(money, "no")) == (0, 1)
    assert answer_risk(question(definition, "kill_switch_owner"), "the CTO") is None


# The formulas ----------------------------------------------------------------------------


def test_score_coverage_and_range_follow_the_formulas(definition, general):
    # general: track_record 2, oversight 2. Visible scored questions: rollback_rate (w 2)
    # and rollback_reasons (w 1) share track_record: e = 4/3 and 2/3; live_monitoring
    # and human_approval_money share oversight: e = 1 each. sum_V e = 4.
    result = score_response(
        definition,
        general,
        {
            **answers(live_deployments=40, rollback_reasons=["latency", "cost"]),
            **answers("document", rollback_rate=12),
            **answers(live_monitoring="sampled"),
        },
    )
    # A: rate r .5 e 4/3, reasons r .4 e 2/3, monitoring r .5 e 1 -> sum_A e = 3,
    # sum_A e r = 2/3 + 4/15 + 1/2 = 43/30.
    assert result.score == pytest.approx(100 * (43 / 30) / 3)
    assert result.coverage == pytest.approx(3 / 4)
    assert result.low == pytest.approx(100 * (43 / 30) / 4)
    # high: rate with a document (u .5) rises to .75; the unanswered money question
    # counts as worst (e 1): (4/3 * .75 + 4/15 + 1/2 + 1) / 4.
    assert result.high == pytest.approx(100 * (1 + 4 / 15 + 0.5 + 1) / 4)
    assert result.tier == "moderate"
    assert result.flags == []
    assert result.engine_version == ENGINE_VERSION
    assert result.profile_key == "general"


def test_section_scores_use_the_same_formulas_within_the_section(definition, general):
    result = score_response(definition, general, answers(**{**CLEAN, "live_monitoring": "sampled"}))
    track, oversight = result.sections
    assert (track.key, track.weight, track.share) == ("track_record", 2, 0.5)
    # rate .1 (e 4/3), reasons .4 (e 2/3): (4/30 + 8/30) / 2 = 0.2
    assert track.score == pytest.approx(20.0)
    assert oversight.score == pytest.approx(25.0)  # (.5 + 0) / 2
    assert track.coverage == oversight.coverage == 1
    # rollback_rate requests evidence and is self-attested: its remaining risk is open.
    assert track.high == pytest.approx(100 * (4 / 3 * 1 + 2 / 3 * 0.4) / 2)
    assert oversight.high == pytest.approx(oversight.score)


def test_hidden_questions_count_nowhere_even_when_answered(definition, general):
    # No deployments: rollback_rate is hidden, and rollback_reasons after it.
    result = score_response(
        definition,
        general,
        answers(
            live_deployments=0,
            rollback_rate=90,
            rollback_reasons=["hallucination"],
            live_monitoring="realtime",
            human_approval_money="yes",
        ),
    )
    assert [c.question_key for c in result.contributions] == [
        "live_monitoring",
        "human_approval_money",
    ]
    assert result.score == 0
    assert result.coverage == 1
    assert result.sections[0].score is None
    # A section without visible scored questions takes no share of the weight.
    assert (result.sections[0].share, result.sections[1].share) == (0, 1)


def test_unscored_and_unknown_answers_are_ignored(definition, general):
    with_extras = {
        **answers(**CLEAN),
        **answers(kill_switch_owner="Head of CX", not_a_question="x"),
    }
    assert score_response(definition, general, with_extras).to_dict() == (
        score_response(definition, general, answers(**CLEAN)).to_dict()
    )


def test_an_answer_outside_every_band_or_choice_counts_as_unanswered(definition, general):
    result = score_response(
        definition, general, answers(**{**CLEAN, "live_monitoring": "telepathy"})
    )
    monitoring = next(c for c in result.contributions if c.question_key == "live_monitoring")
    assert not monitoring.answered
    assert result.coverage < 1


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("live_monitoring", ["sampled"]),  # a list for a single choice
        ("rollback_reasons", "latency"),  # one key for a multiple choice
        ("rollback_reasons", ["latency", 3]),  # not every item is a key
        ("rollback_rate", "12"),  # text for a number
        ("rollback_rate", float("nan")),
        ("human_approval_money", ["yes"]),  # a list for yes/no
        ("human_approval_money", True),  # true is not "yes"
    ],
)
def test_an_answer_of_the_wrong_shape_counts_as_unanswered(definition, general, key, value):
    given = {**CLEAN, key: value}
    result = score_response(definition, general, answers(**given))
    unanswered = score_response(
        definition, general, answers(**{k: v for k, v in given.items() if k != key})
    )
    contribution = next(c for c in result.contributions if c.question_key == key)
    assert (contribution.answered, contribution.risk) == (False, None)
    assert contribution.uncertainty == pytest.approx(100 * contribution.share)
    assert result.score == unanswered.score
    assert (result.low, result.high, result.coverage) == (
        unanswered.low,
        unanswered.high,
        unanswered.coverage,
    )
    assert answer_risk(question(definition, key), value) is None


@pytest.mark.parametrize("value", [True, float("inf"), [12], {"value": 12}])
def test_a_number_question_scores_only_numbers(definition, value):
    assert answer_risk(question(definition, "rollback_rate"), value) is None


def test_a_knockout_ignores_an_answer_of_the_wrong_shape(definition, general):
    # ["no"] is not a yes/no answer: it picks nothing, so the money knock-out stays quiet.
    result = score_response(
        definition, general, answers(**{**CLEAN, "human_approval_money": ["no"]})
    )
    assert result.flags == []


def test_nothing_answered_gives_no_score_only_the_full_range(definition, general):
    result = score_response(definition, general, {})
    assert result.score is None
    assert (result.low, result.high, result.coverage) == (0, 100, 0)
    assert result.tier == UNRATED
    assert all(not c.answered for c in result.contributions)


# Evidence and the range ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "rate_high_risk"),
    [("self_attested", 1.0), ("document", 0.55), ("verified", 0.1)],
)
def test_evidence_narrows_the_range_of_a_question_that_requests_it(
    definition, general, level, rate_high_risk
):
    values = {key: value for key, value in CLEAN.items() if key != "rollback_rate"}
    result = score_response(
        definition,
        general,
        {**answers(**values), **answers(level, rollback_rate=4)},
    )
    # Only rollback_rate (risk .1, e 4/3) is uncertain: u * (1 - .1) opens up.
    expected_high = 100 * (4 / 3 * rate_high_risk + 2 / 3 * 0.4) / 4
    assert result.high == pytest.approx(expected_high)
    assert result.low == pytest.approx(result.score)  # everything is answered


def test_evidence_level_does_not_matter_where_no_evidence_is_requested(definition, general):
    attested = score_response(definition, general, answers(**CLEAN))
    verified = score_response(definition, general, answers("verified", **CLEAN))
    monitoring = [
        next(c for c in r.contributions if c.question_key == "live_monitoring")
        for r in (attested, verified)
    ]
    assert monitoring[0].uncertainty == monitoring[1].uncertainty == 0
    assert verified.high < attested.high  # only through rollback_rate


# Flags and tiers -------------------------------------------------------------------------


def test_a_knockout_answer_raises_a_critical_flag_that_makes_the_tier_critical(definition, general):
    result = score_response(definition, general, answers(**{**CLEAN, "human_approval_money": "no"}))
    # (4/30 + 8/30 + 0 + 1) / 4 = 35: moderate by the number, critical by the flag.
    assert result.score == pytest.approx(35)
    assert result.score_tier == "moderate"
    assert result.tier == "critical"
    (flag,) = result.flags
    assert flag == Flag(
        key="human_approval_money.knockout1",
        severity="critical",
        title="Money moves without human approval",
        message="The agent can move money with nobody approving it.",
        questions=("human_approval_money",),
        origin="knockout",
    )


def test_a_cross_answer_rule_lifts_the_tier_to_high_and_names_its_questions(definition, general):
    result = score_response(
        definition,
        general,
        answers(**{**CLEAN, "rollback_rate": 0, "live_monitoring": "none"}),
    )
    (flag,) = result.flags
    assert (flag.key, flag.severity, flag.origin) == ("blind_spot", "high", "rule")
    assert flag.questions == ("rollback_rate", "live_monitoring")
    assert result.score < 50
    assert result.tier == "high"


def test_a_rule_never_fires_on_hidden_or_missing_answers(definition, general):
    hidden = answers(
        live_deployments=0, rollback_rate=0, live_monitoring="none", human_approval_money="yes"
    )
    assert score_response(definition, general, hidden).flags == []
    missing = answers(live_deployments=3, live_monitoring="none")
    assert score_response(definition, general, missing).flags == []


def test_knockouts_on_hidden_questions_do_not_fire(definition, general):
    definition = json.loads(json.dumps(definition))
    reasons = question(definition, "rollback_reasons")
    reasons["knockouts"] = [
        {
            "answers": ["hallucination"],
            "when": None,
            "severity": "high",
            "title": "Hallucinations",
            "message": "Rolled back for hallucinations.",
        },
        {
            "answers": None,
            "when": "count(rollback_reasons) >= 3",
            "severity": "moderate",
            "title": "Many reasons",
            "message": "Rolled back for many reasons.",
        },
    ]
    chosen = ["hallucination", "latency", "cost"]
    shown = score_response(
        definition, general, answers(**{**CLEAN, "rollback_rate": 30, "rollback_reasons": chosen})
    )
    assert [f.key for f in shown.flags] == [
        "rollback_reasons.knockout1",
        "rollback_reasons.knockout2",
    ]
    assert shown.flags[1].questions == ("rollback_reasons",)
    hidden = score_response(
        definition, general, answers(**{**CLEAN, "rollback_rate": 0, "rollback_reasons": chosen})
    )
    assert hidden.flags == []


def test_profile_rules_apply_only_under_their_profile(definition, general):
    strict = {
        **general,
        "key": "strict",
        "rules": [
            {
                "key": "sampled_only",
                "severity": "critical",
                "title": "Only sampled monitoring",
                "when": "live_monitoring == 'sampled'",
                "message": "Buyers in this industry need real-time monitoring.",
            }
        ],
    }
    values = answers(**{**CLEAN, "live_monitoring": "sampled"})
    assert score_response(definition, general, values).flags == []
    under_strict = score_response(definition, strict, values)
    assert [f.key for f in under_strict.flags] == ["sampled_only"]
    assert under_strict.tier == "critical"


@pytest.mark.parametrize(
    ("score", "tier"),
    [
        (0, "low"),
        (24.99, "low"),
        (25, "moderate"),
        (24.9999999999, "moderate"),  # 25 computed with rounding error
        (49.99, "moderate"),
        (50, "high"),
        (74.99, "high"),
        (75, "critical"),
        (100, "critical"),
        (None, UNRATED),
    ],
)
def test_tier_thresholds(score, tier):
    assert tier_for(score, []) == tier


def test_flags_lift_tiers():
    assert tier_for(10, ["info", "moderate"]) == "low"
    assert tier_for(10, ["high"]) == "high"
    assert tier_for(80, ["high"]) == "critical"
    assert tier_for(10, ["critical"]) == "critical"
    assert tier_for(None, ["high"]) == "high"
    assert tier_for(None, ["critical"]) == "critical"


def test_flags_are_listed_worst_first(definition, general):
    result = score_response(
        definition,
        general,
        answers(
            **{
                **CLEAN,
                "rollback_rate": 0,
                "live_monitoring": "none",
                "human_approval_money": "no",
            }
        ),
    )
    assert [f.severity for f in result.flags] == ["critical", "high"]


# Profiles ---------------------------------------------------------------------------------


def test_profiles_weigh_sections_and_default_to_the_sections_own_weight(
    definition, general, financial
):
    values = answers(**{**CLEAN, "live_monitoring": "none"})
    under_general = score_response(definition, general, values)
    under_financial = score_response(definition, financial, values)
    # financial_services sets oversight to 4; track_record keeps its own weight 2.
    assert [s.weight for s in under_financial.sections] == [2, 4]
    # Oversight carries the risk here, so weighting it up raises the score.
    assert under_general.score == pytest.approx(100 * (4 / 30 + 8 / 30 + 1) / 4)
    assert under_financial.score == pytest.approx(100 * (4 / 30 + 8 / 30 + 2) / 6)
    assert under_financial.score > under_general.score


# Explanation -------------------------------------------------------------------------------


def test_contributions_explain_the_score_and_the_range(definition, general):
    result = score_response(
        definition,
        general,
        {
            **answers(live_deployments=40, rollback_reasons=["hallucination"]),
            **answers("document", rollback_rate=12),
            **answers(live_monitoring="sampled"),
        },
    )
    contributions = {c.question_key: c for c in result.contributions}
    assert sum(c.points for c in result.contributions) == pytest.approx(result.score)
    assert sum(c.shift for c in result.contributions) == pytest.approx(0, abs=1e-9)
    assert sum(c.uncertainty for c in result.contributions) == pytest.approx(
        result.high - result.low
    )
    assert sum(c.share for c in result.contributions) == pytest.approx(1)
    # The hallucination answer (risk .8) pushes the score up the most per unit weight.
    reasons = contributions["rollback_reasons"]
    assert reasons.shift > 0
    assert reasons.points == pytest.approx(100 * (2 / 3) * 0.8 / 3)
    money = contributions["human_approval_money"]
    assert (money.answered, money.points, money.uncertainty) == (False, 0, 25)


def test_a_stored_result_rebuilds_with_its_explanation(definition, general):
    result = score_response(
        definition,
        general,
        {**answers(**CLEAN), **answers("document", rollback_rate=12)},
    )
    stored = json.loads(json.dumps(result.to_dict()))
    rebuilt = ScoreResult.from_dict(stored)
    assert rebuilt.to_dict() == result.to_dict()
    assert rebuilt.tier == result.tier and rebuilt.flags == result.flags
    # Section scores are not stored: they are recomputed from the explanation rows.
    assert "score" not in json.dumps(stored["sections"])
    for old, new in zip(result.sections, rebuilt.sections, strict=True):
        assert (new.key, new.title, new.weight) == (old.key, old.title, old.weight)
        for name in ("share", "score", "low", "high", "coverage"):
            assert getattr(new, name) == pytest.approx(getattr(old, name), abs=1e-4), name
    for old, new in zip(result.contributions, rebuilt.contributions, strict=True):
        assert new.question_key == old.question_key
        assert new.section_key == old.section_key
        assert new.evidence_level == old.evidence_level
        assert new.points == pytest.approx(old.points, abs=1e-4)
        assert new.uncertainty == pytest.approx(old.uncertainty, abs=1e-4)


# Plans, expressions, hashes ------------------------------------------------------------------


def test_plan_visibility_matches_the_definitions_rule(definition, general):
    plan = compile_plan(definition, general)
    for values in (
        CLEAN,
        {"live_deployments": 0, "rollback_rate": 5},
        {"live_deployments": 3, "rollback_rate": 0},
        {},
    ):
        assert set(plan.visible_values(answers(**values))) == visible_question_keys(
            definition, values
        )


def test_inputs_hash_ignores_answer_order_and_sees_every_input(definition, general):
    values = answers(**CLEAN)
    base = inputs_hash("abc", general, values)
    assert inputs_hash("abc", general, dict(reversed(values.items()))) == base
    assert compile_plan(definition, general).inputs_hash("abc", values) == base
    changed_value = {**values, "rollback_rate": AnswerInput(5)}
    changed_level = {**values, "rollback_rate": AnswerInput(4, "verified")}
    reweighted = {**general, "section_weights": {"oversight": 3}}
    assert (
        len(
            {
                base,
                inputs_hash("abd", general, values),
                inputs_hash("abc", general, changed_value),
                inputs_hash("abc", general, changed_level),
                inputs_hash("abc", reweighted, values),
            }
        )
        == 5
    )


@pytest.mark.parametrize(
    ("value", "risk"),
    [
        (["cost", {"not": "a choice"}], None),
        ([["latency"]], None),
        (True, None),
        (1, None),
        ("latency", None),  # a single key where a list of keys belongs
        (["latency"], 0.4),
        (["latency", "telepathy"], 0.4),  # an unknown key among known ones
    ],
)
def test_answers_of_the_wrong_shape_never_crash_and_repeat_consistently(
    definition, general, value, risk
):
    plan = compile_plan(definition, general)
    for _ in range(2):  # the second time through the plan's memo
        result = plan.score(answers(live_deployments=5, rollback_rate=5, rollback_reasons=value))
        reasons = next(c for c in result.contributions if c.question_key == "rollback_reasons")
        assert reasons.risk == risk
    # One code path: an answer's risk on its own is the risk the plan scores.
    assert answer_risk(question(definition, "rollback_reasons"), value) == risk


def test_inputs_hash_tells_a_number_from_its_text_and_an_int_from_a_float(definition, general):
    plan = compile_plan(definition, general)
    hashes = {
        plan.inputs_hash("abc", {"rollback_rate": AnswerInput(value)})
        for value in (1, 1.0, "1", True, [1], None)
    }
    assert len(hashes) == 6


def test_the_stored_form_survives_quotes_and_unknown_evidence_levels(definition, general):
    odd = json.loads(json.dumps(definition))
    odd["sections"][0]["title"] = 'Track "record" \\ ünïcode'
    odd["rules"][0]["message"] = 'Says "blind spot"; nobody watched.'
    plan = compile_plan(odd, general)
    values = {
        **answers(**{**CLEAN, "rollback_rate": 0, "live_monitoring": "none"}),
        "rollback_rate": AnswerInput(0, "notarised"),
    }
    result = plan.score(values)
    assert json.loads(plan.stored(values, "h").result) == result.to_dict()
    rate = next(c for c in result.contributions if c.question_key == "rollback_rate")
    assert rate.evidence_level == "self_attested"  # an unknown level counts as the weakest
    assert ScoreResult.from_dict(result.to_dict()).sections[0].title == odd["sections"][0]["title"]
