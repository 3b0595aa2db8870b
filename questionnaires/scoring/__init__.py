"""Risk scoring: pure functions over plain data (no ORM, no Django).

docs/scoring.md states the formulas; this package is their only implementation.

`score_response(definition, profile, answers)` scores one response. For many responses
under one profile, `compile_plan(definition, profile)` once and call `plan.score(answers)`
(or `plan.stored(...)`, the row a ResponseScore keeps) for each.

- results.py: what goes in and comes out (AnswerInput, ScoreResult, Flag, ...), the
  constants of the model, the formulas from sums to score, range and tier;
- risk.py: the risk of one answer;
- plan.py: the compiled plan (ScoringPlan, compile_plan, score_response);
- stored.py: the stored form (StoredScore, the explanation rows and their encoding);
- staleness.py: the hash of a score's inputs;
- robustness.py: how robust a ranking of responses is to the section weights.
"""

from .plan import ScoringPlan, compile_plan, score_response
from .results import (
    CRITICAL_FROM,
    ENGINE_VERSION,
    EVIDENCE_LEVELS,
    HIGH_FROM,
    MODERATE_FROM,
    SEVERITIES,
    SEVERITY_RANK,
    TIER_DECIMALS,
    TIERS,
    UNCERTAINTY,
    UNRATED,
    AnswerInput,
    Contribution,
    Flag,
    ScoreResult,
    SectionScore,
    tier_for,
)
from .risk import answer_risk
from .robustness import WEIGHT_SPREAD, Robustness, WeightSwap, ranking_robustness
from .staleness import inputs_hash
from .stored import StoredScore, Term

__all__ = [
    "CRITICAL_FROM",
    "ENGINE_VERSION",
    "EVIDENCE_LEVELS",
    "HIGH_FROM",
    "MODERATE_FROM",
    "SEVERITIES",
    "SEVERITY_RANK",
    "TIERS",
    "TIER_DECIMALS",
    "UNCERTAINTY",
    "UNRATED",
    "WEIGHT_SPREAD",
    "AnswerInput",
    "Contribution",
    "Flag",
    "Robustness",
    "ScoreResult",
    "ScoringPlan",
    "SectionScore",
    "StoredScore",
    "Term",
    "WeightSwap",
    "answer_risk",
    "compile_plan",
    "inputs_hash",
    "ranking_robustness",
    "score_response",
    "tier_for",
]
