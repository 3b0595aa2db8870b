"""Version 1 responses keep their scores exactly (issue 14), pinned to literal values.

Comparing a score before and after importing version 2 proves only that the import
changes nothing: both sides come from the engine of the day, so an engine change made
for version 2 (declared answers, grids, units, derived values) could move every
version 1 score and still pass. Here fixed version 1 responses (the demo's earlier
round, the answers the v2 tests carry forward, a badly answered copy of them, and an
empty one) are scored under each profile and compared with numbers written out below.

The literals were generated once from the engine (ENGINE_VERSION 2026.2). The same
answers gave the same values, to the last digit, under the engine as it was before
version 2 was added (56f52b0), and the scores `seed_demo` stores equal the freshly
computed ones. If this test fails, a change has moved version 1 scores that vendors and
buyers have already seen: fix the change. Update a literal only when moving that score
is the decided intent, regenerated from the engine rather than edited by hand, and say
so in the commit (and in docs/scoring.md if a rule changed).
"""

from __future__ import annotations

import pytest

from questionnaires.models import Response, ResponseScore
from questionnaires.scoring import ScoreResult, compile_plan
from questionnaires.selectors import profile_as_dict, scoring_inputs
from questionnaires.services.demo import demo_seed
from questionnaires.services.scores import response_score
from tests.factories import ResponseFactory, scored_submission
from tests.questionnaires.test_shipped_questionnaire_v2 import V1_ANSWERS

pytestmark = pytest.mark.django_db

# The same answers turned bad enough to fire knockouts and rules under every profile.
FLAGGED_ANSWERS = {
    **{key: value for key, value in V1_ANSWERS.items() if key != "resolution_method"},
    "live_deployments": 0,
    "money_human_approval": "policy_engine_only",
    "money_limits_enforced": "no",
    "rollback_rate": 1,
    "live_monitoring": "sampled_review",
    "incident_notification_hours": 8,
}

# {profile: (score, low, high, coverage, tier, flag keys in the order shown)}
Pinned = dict[str, tuple[float | None, float, float, float, str, tuple[str, ...]]]

DEMO_V1: Pinned = {
    "financial_services": (7.012876829053299, 7.012876829053299, 17.23830907654437, 1.0, "low", ()),
    "general": (8.11475110255598, 8.11475110255598, 18.979516418540808, 1.0, "low", ()),
    "healthcare": (6.327150122604667, 6.327150122604667, 15.979369115732753, 1.0, "low", ()),
}
ANSWERS_V1: Pinned = {
    "financial_services": (
        28.717098668387937,
        9.528168726698139,
        82.96312102929748,
        0.3317942678236796,
        "moderate",
        (),
    ),
    "general": (
        30.56433316485763,
        10.952722074673293,
        83.34538632099607,
        0.3583497803009998,
        "moderate",
        (),
    ),
    "healthcare": (
        29.578091810999965,
        8.551120092029183,
        85.77413646959103,
        0.289103169557715,
        "critical",
        ("no_baa",),
    ),
}
FLAGGED_V1: Pinned = {
    "financial_services": (
        65.97763750710735,
        20.523118221647636,
        91.69518961430727,
        0.3110617323852618,
        "high",
        (
            "live_deployments.knockout1",
            "money_limits_enforced.knockout1",
            "resolution_without_method",
            "fs_money_without_human",
            "fs_slow_incident_notice",
        ),
    ),
    "general": (
        64.76573928858548,
        21.95224694005182,
        90.8913160010721,
        0.33894844992405965,
        "high",
        (
            "live_deployments.knockout1",
            "money_limits_enforced.knockout1",
            "resolution_without_method",
        ),
    ),
    "healthcare": (
        65.19003907802764,
        17.7486013986014,
        92.6352147852148,
        0.2722594072594072,
        "critical",
        (
            "no_baa",
            "live_deployments.knockout1",
            "money_limits_enforced.knockout1",
            "resolution_without_method",
        ),
    ),
}
UNANSWERED_V1: Pinned = {
    "financial_services": (None, 0.0, 100.0, 0.0, "unrated", ()),
    "general": (None, 0.0, 100.0, 0.0, "unrated", ()),
    "healthcare": (None, 0.0, 100.0, 0.0, "unrated", ()),
}


def stored(response: Response) -> Pinned:
    return {
        row.profile_key: (
            row.score,
            row.low,
            row.high,
            row.coverage,
            row.tier,
            tuple(flag.key for flag in ScoreResult.from_dict(row.result).flags),
        )
        for row in ResponseScore.objects.filter(response=response).order_by("profile_key")
    }


def computed(response: Response) -> Pinned:
    inputs = scoring_inputs([response.id])[response.id]
    scores = {}
    for profile in response.version.profiles.order_by("key"):
        result = compile_plan(response.version.definition, profile_as_dict(profile)).score(inputs)
        scores[profile.key] = (
            result.score,
            result.low,
            result.high,
            result.coverage,
            result.tier,
            tuple(flag.key for flag in result.flags),
        )
    return scores


def test_the_demo_s_version_1_response_keeps_its_scores():
    demo_seed()
    (response,) = Response.objects.filter(version__number=1)
    assert response.vendor.name == "Corvane Labs"
    # What seed_demo stored is what the engine gives now, and what it gave at release.
    assert stored(response) == computed(response) == DEMO_V1
    response_score(response=response)
    assert stored(response) == DEMO_V1


def test_a_written_out_version_1_response_keeps_its_scores(shipped_version):
    response = scored_submission(shipped_version, "Earlier Vendor", V1_ANSWERS)
    assert stored(response) == computed(response) == ANSWERS_V1


def test_a_flagged_version_1_response_keeps_its_scores_and_flags(shipped_version):
    response = scored_submission(shipped_version, "Flagged Vendor", FLAGGED_ANSWERS)
    assert stored(response) == computed(response) == FLAGGED_V1


def test_an_unanswered_version_1_response_keeps_its_range(shipped_version):
    response = ResponseFactory(version=shipped_version)
    response_score(response=response)
    assert stored(response) == computed(response) == UNANSWERED_V1
