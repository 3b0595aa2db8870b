"""Ranking robustness: the ranking, the smallest single-weight swap, rank probabilities."""

from __future__ import annotations

import copy
import random
from pathlib import Path

import pytest

from questionnaires.definition import load_definition
from questionnaires.scoring import AnswerInput, ranking_robustness, score_response

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "minimal.yaml"


@pytest.fixture(scope="module")
def definition() -> dict:
    return load_definition(EXAMPLE.read_text())


@pytest.fixture(scope="module")
def general(definition) -> dict:
    return definition["profiles"][0]


def answers(**values) -> dict[str, AnswerInput]:
    return {key: AnswerInput(value) for key, value in values.items()}


# Good track record, weaker oversight; and the other way round.
STEADY = answers(
    live_deployments=12, rollback_rate=8, live_monitoring="sampled", human_approval_money="yes"
)
WATCHFUL = answers(
    live_deployments=12, rollback_rate=30, live_monitoring="realtime", human_approval_money="yes"
)


def with_weight(profile: dict, definition: dict, section: str, weight: float) -> dict:
    weights = {s["key"]: s["weight"] for s in definition["sections"]}
    weights.update(profile["section_weights"])
    weights[section] = weight
    return {**profile, "section_weights": weights}


def test_ranking_puts_the_lowest_risk_first(definition, general):
    result = ranking_robustness(definition, general, {"watchful": WATCHFUL, "steady": STEADY})
    assert result.ranking == ["steady", "watchful"]
    assert result.scores["steady"] == pytest.approx(19.0)
    assert result.scores["watchful"] == pytest.approx(40.0)


def test_the_single_weight_swap_is_exact_and_the_smallest(definition, general):
    pair = {"steady": STEADY, "watchful": WATCHFUL}
    result = ranking_robustness(definition, general, pair)
    swap = result.swap
    # Solved by hand: with track_record at t and oversight at 2, steady scores
    # (t/15 + 1/2) / (2t/3 + 2) and watchful (2t/3) / (2t/3 + 2): equal at t = 5/6.
    assert (swap.section_key, swap.direction) == ("track_record", "falls")
    assert swap.to_weight == pytest.approx(5 / 6)
    assert swap.relative_change == pytest.approx(5 / 6 / 2 - 1)

    def scores_at(section: str, weight: float) -> tuple[float, float]:
        profile = with_weight(general, definition, section, weight)
        return tuple(score_response(definition, profile, pair[k]).score for k in pair)

    steady, watchful = scores_at("track_record", swap.to_weight)
    assert steady == pytest.approx(watchful)
    steady, watchful = scores_at("track_record", swap.to_weight * 0.99)
    assert steady > watchful  # past the point, the order is swapped
    steady, watchful = scores_at("track_record", swap.to_weight * 1.01)
    assert steady < watchful
    # No smaller change to either section's weight swaps them.
    limit = abs(swap.relative_change)
    for section in ("track_record", "oversight"):
        for step in range(1, 100):
            for sign in (1, -1):
                factor = 1 + sign * limit * step / 100
                steady, watchful = scores_at(section, 2 * factor)
                assert steady < watchful, (section, factor)


def test_describe_says_it_in_words(definition, general):
    result = ranking_robustness(definition, general, {"steady": STEADY, "watchful": WATCHFUL})
    text = result.describe({"steady": "Acme", "watchful": "Bolt"})
    assert text.startswith("Acme ranks first, Bolt second.")
    assert "The top two swap if the weight of Production track record falls by 58%" in text
    assert "(from 2 to 0.833)" in text
    assert "Acme ranks first in 100% of 1000 draws" in text


def test_no_single_weight_change_swaps_a_vendor_that_is_better_everywhere(definition, general):
    better = answers(
        live_deployments=12, rollback_rate=5, live_monitoring="realtime", human_approval_money="yes"
    )
    worse = answers(
        live_deployments=12, rollback_rate=20, live_monitoring="sampled", human_approval_money="yes"
    )
    result = ranking_robustness(definition, general, {"worse": worse, "better": better})
    assert result.ranking == ["better", "worse"]
    assert result.swap is None
    assert result.rank_probabilities == {"worse": [0.0, 1.0], "better": [1.0, 0.0]}
    assert "No change to any single section weight swaps the top two." in result.describe()


def test_a_critical_flag_ranks_below_every_response_without_one(definition, general):
    # Make the knock-out answer cost nothing in the score: only the flag can demote it.
    definition = copy.deepcopy(definition)
    money = definition["sections"][1]["questions"][1]
    assert money["key"] == "human_approval_money"
    money["scoring"] = {"yes": 0, "no": 0}
    flagged = answers(
        live_deployments=12, rollback_rate=1, live_monitoring="realtime", human_approval_money="no"
    )
    result = ranking_robustness(
        definition, general, {"flagged": flagged, "watchful": WATCHFUL, "steady": STEADY}
    )
    assert result.scores["flagged"] < result.scores["steady"]
    assert result.ranking == ["steady", "watchful", "flagged"]
    assert result.critical == {"flagged": True, "watchful": False, "steady": False}
    assert result.rank_probabilities["flagged"][2] == 1.0


def test_unscored_responses_rank_last_and_the_top_two_need_scores(definition, general):
    result = ranking_robustness(definition, general, {"empty": {}, "steady": STEADY})
    assert result.ranking == ["steady", "empty"]
    assert result.swap is None


def test_rank_probabilities_are_distributions_and_reproducible(definition, general):
    close_call = answers(
        live_deployments=12,
        rollback_rate=12,
        rollback_reasons=["latency"],
        live_monitoring="realtime",
        human_approval_money="yes",
    )
    responses = {"steady": STEADY, "watchful": WATCHFUL, "close": close_call}
    first = ranking_robustness(definition, general, responses, samples=400, seed=7)
    again = ranking_robustness(definition, general, responses, samples=400, seed=7)
    other = ranking_robustness(definition, general, responses, samples=400, seed=8)
    assert first.rank_probabilities == again.rank_probabilities
    assert first.rank_probabilities != other.rank_probabilities
    for probabilities in first.rank_probabilities.values():
        assert sum(probabilities) == pytest.approx(1)
    for rank in range(3):
        assert sum(p[rank] for p in first.rank_probabilities.values()) == pytest.approx(1)
    assert first.rank_probabilities["watchful"] == [0.0, 0.0, 1.0]
    # An independent estimate: score both under weights drawn within +-25%.
    rng = random.Random(99)
    wins = 0
    draws = 3000
    for _ in range(draws):
        profile = {
            **general,
            "section_weights": {
                "track_record": 2 * rng.uniform(0.75, 1.25),
                "oversight": 2 * rng.uniform(0.75, 1.25),
            },
        }
        close_score = score_response(definition, profile, close_call).score
        wins += close_score < score_response(definition, profile, STEADY).score
    assert 0.02 < wins / draws < 0.3
    assert first.rank_probabilities["close"][0] == pytest.approx(wins / draws, abs=0.05)


def test_a_tie_can_be_broken_by_any_change(definition, general):
    # Same score (19) reached differently: the top two are tied.
    mirrored = answers(
        live_deployments=12, rollback_rate=8, live_monitoring="sampled", human_approval_money="yes"
    )
    result = ranking_robustness(definition, general, {"a": STEADY, "b": mirrored})
    assert result.scores["a"] == pytest.approx(result.scores["b"])
    # Identical answers react identically to every weight: no change separates them.
    assert result.swap is None


def test_a_single_section_questionnaire_has_no_weight_to_swap(general):
    definition = load_definition(
        """
key: one_section
title: One section
version: 1
sections:
  - key: only
    title: Only
    questions:
      - key: q1
        text: First?
        type: yes_no
        scoring: {yes: 0, no: 1}
      - key: q2
        text: Second?
        type: yes_no
        scoring: {yes: 0.2, no: 0.6}
profiles:
  - key: general
    title: General
"""
    )
    profile = definition["profiles"][0]
    result = ranking_robustness(
        definition,
        profile,
        {"a": answers(q1="yes", q2="no"), "b": answers(q1="no", q2="yes")},
    )
    assert result.ranking == ["a", "b"]
    assert result.swap is None
