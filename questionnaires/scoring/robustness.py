"""Ranking robustness: how much a section weight must change before the top two swap.

docs/scoring.md (Ranking robustness) states the method; this is its implementation.
"""

from __future__ import annotations

import random
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from .plan import ScoringPlan, compile_plan
from .results import AnswerInput, ScoreResult

# Random section-weight variation for rank probabilities (Monte Carlo), +-25%.
WEIGHT_SPREAD = 0.25


@dataclass(frozen=True)
class WeightSwap:
    """The smallest change to one section weight at which the top two tie, then swap."""

    section_key: str
    section_title: str
    direction: str  # "rises" or "falls"
    relative_change: float  # signed: +0.12 is a 12% rise
    from_weight: float
    to_weight: float


@dataclass(frozen=True)
class Robustness:
    profile_key: str
    ranking: list[Hashable]  # lowest risk first
    scores: dict[Hashable, float | None]
    critical: dict[Hashable, bool]
    swap: WeightSwap | None
    rank_probabilities: dict[Hashable, list[float]]  # [P(rank 1), P(rank 2), ...]
    samples: int
    seed: int
    spread: float = WEIGHT_SPREAD

    def describe(self, labels: Mapping[Hashable, str] | None = None) -> str:
        """The result in words, e.g. for a report."""
        names = labels or {}

        def name(key: Hashable) -> str:
            return str(names.get(key, key))

        if len(self.ranking) < 2:
            return "Ranking needs at least two responses."
        first, second = self.ranking[0], self.ranking[1]
        parts = [f"{name(first)} ranks first, {name(second)} second."]
        if self.swap is None:
            parts.append("No change to any single section weight swaps the top two.")
        elif self.swap.relative_change == 0:
            parts.append("The top two are tied: any change can swap them.")
        else:
            parts.append(
                f"The top two swap if the weight of {self.swap.section_title} "
                f"{self.swap.direction} by {_percent(abs(self.swap.relative_change))} "
                f"(from {self.swap.from_weight:g} to {self.swap.to_weight:.3g})."
            )
        first_chance = self.rank_probabilities.get(first, [0.0])[0]
        parts.append(
            f"With every section weight varied at random within "
            f"\u00b1{_percent(self.spread)}, {name(first)} ranks first in "
            f"{_percent(first_chance)} of {self.samples} draws."
        )
        return " ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "profile_key": self.profile_key,
            "ranking": list(self.ranking),
            "scores": {str(k): v for k, v in self.scores.items()},
            "swap": None if self.swap is None else self.swap.__dict__.copy(),
            "rank_probabilities": {str(k): v for k, v in self.rank_probabilities.items()},
            "samples": self.samples,
            "seed": self.seed,
            "spread": self.spread,
        }


def _percent(fraction: float) -> str:
    value = 100 * fraction
    return f"{value:.0f}%" if value >= 10 or value == 0 else f"{value:.1f}%"


@dataclass(frozen=True)
class _Linear:
    """A response's score as a function of section weights W.

    score(W) = 100 * sum_s W_s * a_s / sum_s W_s * b_s, with a_s and b_s fixed by the
    answers (visibility does not depend on weights).
    """

    a: tuple[float, ...]
    b: tuple[float, ...]

    def score(self, weights: list[float] | tuple[float, ...]) -> float | None:
        num = den = 0.0
        for w, a, b in zip(weights, self.a, self.b, strict=True):
            num += w * a
            den += w * b
        return None if den <= 0 else 100.0 * num / den


def _linear_form(plan: ScoringPlan, result: ScoreResult) -> _Linear:
    """The linear form of a scored response, from its explanation rows."""
    index = {section.key: i for i, section in enumerate(plan.sections)}
    a = [0.0] * len(plan.sections)
    b = [0.0] * len(plan.sections)
    for term in result.terms:
        if term.risk is not None:
            i = index[term.section_key]
            share = term.weight / plan.sections[i].weight  # w_q / sum of visible w in s
            a[i] += share * term.risk
            b[i] += share
    return _Linear(tuple(a), tuple(b))


def ranking_robustness(
    definition: Mapping[str, Any],
    profile: Mapping[str, Any],
    answers_by_response: Mapping[Hashable, Mapping[str, AnswerInput]],
    *,
    samples: int = 1000,
    seed: int = 2026,
) -> Robustness:
    """The ranking of responses under a profile, and how robust it is (docs/scoring.md)."""
    plan = compile_plan(definition, profile)
    results = {rid: plan.score(answers) for rid, answers in answers_by_response.items()}
    forms = {rid: _linear_form(plan, result) for rid, result in results.items()}
    critical = {
        rid: any(f.severity == "critical" for f in result.flags) for rid, result in results.items()
    }
    weights = [s.weight for s in plan.sections]
    order = list(answers_by_response)
    ranking = _rank(order, {rid: forms[rid].score(weights) for rid in order}, critical)
    swap = None
    if len(ranking) >= 2:
        first, second = ranking[0], ranking[1]
        if critical[first] == critical[second] and results[second].score is not None:
            swap = _smallest_swap(plan, forms[first], forms[second])
    probabilities = _rank_probabilities(order, forms, critical, weights, samples=samples, seed=seed)
    return Robustness(
        profile_key=plan.profile_key,
        ranking=ranking,
        scores={rid: results[rid].score for rid in order},
        critical=critical,
        swap=swap,
        rank_probabilities=probabilities,
        samples=samples,
        seed=seed,
    )


def _rank(
    order: list[Hashable], scores: Mapping[Hashable, float | None], critical: Mapping
) -> list[Hashable]:
    # A response with a critical flag ranks below every one without, whatever the
    # weights; unscored responses rank last; ties keep the given order.
    position = {rid: i for i, rid in enumerate(order)}

    def rank(rid: Hashable) -> tuple[bool, bool, float, int]:
        score = scores[rid]
        return (
            critical[rid],
            score is None,
            0.0 if score is None else round(score, 9),
            position[rid],
        )

    return sorted(order, key=rank)


def _smallest_swap(plan: ScoringPlan, first: _Linear, second: _Linear) -> WeightSwap | None:
    """Solve, per section, for the weight at which the two scores are equal.

    With t the weight of section k and the others fixed, score_i(t) = (A_i + t a_i) /
    (B_i + t b_i), so score_1(t) = score_2(t) is the quadratic
    (a1 b2 - a2 b1) t^2 + (A1 b2 + a1 B2 - A2 b1 - a2 B1) t + (A1 B2 - A2 B1) = 0.
    Roots at positive weights where the difference changes sign are swap points.
    """
    weights = [s.weight for s in plan.sections]
    best: WeightSwap | None = None
    for k, section in enumerate(plan.sections):
        current = weights[k]
        for t in _crossings(first, second, weights, k):
            change = (t - current) / current
            if best is None or abs(change) < abs(best.relative_change):
                best = WeightSwap(
                    section_key=section.key,
                    section_title=section.title,
                    direction="rises" if change >= 0 else "falls",
                    relative_change=change,
                    from_weight=current,
                    to_weight=t,
                )
    return best


def _crossings(first: _Linear, second: _Linear, weights: list[float], k: int) -> list[float]:
    def rest(form: _Linear) -> tuple[float, float]:
        num = sum(w * a for i, (w, a) in enumerate(zip(weights, form.a, strict=True)) if i != k)
        den = sum(w * b for i, (w, b) in enumerate(zip(weights, form.b, strict=True)) if i != k)
        return num, den

    a1_rest, b1_rest = rest(first)
    a2_rest, b2_rest = rest(second)
    a1, b1, a2, b2 = first.a[k], first.b[k], second.a[k], second.b[k]
    qa = a1 * b2 - a2 * b1
    qb = a1_rest * b2 + a1 * b2_rest - a2_rest * b1 - a2 * b1_rest
    qc = a1_rest * b2_rest - a2_rest * b1_rest
    scale = max(abs(qa), abs(qb), abs(qc), 1e-300)
    qa, qb, qc = qa / scale, qb / scale, qc / scale
    eps = 1e-12
    roots: list[float] = []
    if abs(qa) < eps:
        if abs(qb) >= eps:
            roots.append(-qc / qb)
    else:
        disc = qb * qb - 4 * qa * qc
        # A double root touches zero without crossing: the order never changes there.
        if disc > eps * eps:
            sq = disc**0.5
            roots.extend(((-qb - sq) / (2 * qa), (-qb + sq) / (2 * qa)))

    def defined(t: float) -> bool:
        return b1_rest + t * b1 > 0 and b2_rest + t * b2 > 0

    return sorted(t for t in roots if t > 0 and defined(t))


def _rank_probabilities(
    order: list[Hashable],
    forms: Mapping[Hashable, _Linear],
    critical: Mapping[Hashable, bool],
    weights: list[float],
    *,
    samples: int,
    seed: int,
) -> dict[Hashable, list[float]]:
    rng = random.Random(seed)
    n = len(order)
    counts = {rid: [0] * n for rid in order}
    for _ in range(samples):
        drawn = [w * rng.uniform(1 - WEIGHT_SPREAD, 1 + WEIGHT_SPREAD) for w in weights]
        ranked = _rank(order, {rid: forms[rid].score(drawn) for rid in order}, critical)
        for position, rid in enumerate(ranked):
            counts[rid][position] += 1
    total = max(samples, 1)
    return {rid: [c / total for c in counts[rid]] for rid in order}
