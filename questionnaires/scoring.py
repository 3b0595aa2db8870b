"""Risk scoring: pure functions over plain data (no ORM, no Django).

docs/scoring.md states the formulas; this module is their only implementation.

`score_response(definition, profile, answers)` scores one response. For many responses
under one profile, `compile_plan(definition, profile)` once and call `plan.score(answers)`
for each: the plan holds everything that does not depend on the answers.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import expressions
from .definition import iter_questions

# Bump whenever a formula changes, so stored scores computed by older rules are stale.
ENGINE_VERSION = "2026.1"

# Tiers by score: low below MODERATE_FROM, moderate below HIGH_FROM, high below
# CRITICAL_FROM, critical from CRITICAL_FROM.
MODERATE_FROM = 25.0
HIGH_FROM = 50.0
CRITICAL_FROM = 75.0
TIERS = ("low", "moderate", "high", "critical")
# Nothing answered and no flag: there is no number to place in a tier.
UNRATED = "unrated"

SEVERITIES = ("info", "moderate", "high", "critical")
SEVERITY_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}

EVIDENCE_LEVELS = ("self_attested", "document", "verified")
# How much of an evidence-requesting answer's remaining risk the range keeps open.
UNCERTAINTY = {"self_attested": 1.0, "document": 0.5, "verified": 0.0}

# Random section-weight variation for rank probabilities (Monte Carlo), +-25%.
WEIGHT_SPREAD = 0.25


# Inputs and results ----------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerInput:
    value: Any
    evidence_level: str = "self_attested"


@dataclass(frozen=True)
class SectionScore:
    key: str
    title: str
    weight: float  # the section weight used (profile's, or the section's own)
    share: float  # that weight as a share of all sections that have scored questions
    score: float | None
    low: float
    high: float
    coverage: float


@dataclass(frozen=True)
class Flag:
    key: str
    severity: str
    title: str
    message: str
    questions: tuple[str, ...]  # the question keys the flag depends on
    origin: str  # "knockout" or "rule"


@dataclass(frozen=True)
class Contribution:
    """One visible scored question's part in the result (docs/scoring.md, Explanation)."""

    question_key: str
    section_key: str
    answered: bool
    risk: float | None
    evidence_level: str | None
    weight: float  # effective weight e_q
    share: float  # e_q / sum of e over the visible scored questions
    points: float  # part of the score: the points sum to the score
    shift: float  # pull above (+) or below (-) the average answer; shifts sum to 0
    uncertainty: float  # part of the range: uncertainties sum to high - low


@dataclass(frozen=True)
class ScoreResult:
    engine_version: str
    profile_key: str
    score: float | None
    low: float
    high: float
    coverage: float
    tier: str
    sections: list[SectionScore] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    contributions: list[Contribution] = field(default_factory=list)

    @property
    def score_tier(self) -> str:
        """The tier the number alone gives, before flags lift it."""
        return tier_for(self.score, ())

    @property
    def width(self) -> float:
        return self.high - self.low

    def to_dict(self) -> dict[str, Any]:
        return {
            "engine_version": self.engine_version,
            "profile_key": self.profile_key,
            "score": _round(self.score),
            "low": _round(self.low),
            "high": _round(self.high),
            "coverage": _round(self.coverage),
            "tier": self.tier,
            "sections": [
                {
                    "key": s.key,
                    "title": s.title,
                    "weight": s.weight,
                    "share": _round(s.share),
                    "score": _round(s.score),
                    "low": _round(s.low),
                    "high": _round(s.high),
                    "coverage": _round(s.coverage),
                }
                for s in self.sections
            ],
            "flags": [
                {
                    "key": f.key,
                    "severity": f.severity,
                    "title": f.title,
                    "message": f.message,
                    "questions": list(f.questions),
                    "origin": f.origin,
                }
                for f in self.flags
            ],
            "contributions": [
                {
                    "question_key": c.question_key,
                    "section_key": c.section_key,
                    "answered": c.answered,
                    "risk": c.risk,
                    "evidence_level": c.evidence_level,
                    "weight": _round(c.weight),
                    "share": _round(c.share),
                    "points": _round(c.points),
                    "shift": _round(c.shift),
                    "uncertainty": _round(c.uncertainty),
                }
                for c in self.contributions
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScoreResult:
        return cls(
            engine_version=data["engine_version"],
            profile_key=data["profile_key"],
            score=data["score"],
            low=data["low"],
            high=data["high"],
            coverage=data["coverage"],
            tier=data["tier"],
            sections=[SectionScore(**s) for s in data.get("sections", [])],
            flags=[
                Flag(**{**f, "questions": tuple(f["questions"])}) for f in data.get("flags", [])
            ],
            contributions=[Contribution(**c) for c in data.get("contributions", [])],
        )


def _round(value: float | None) -> float | None:
    # Stored results are read by people and compared across runs; six decimals is far
    # below anything shown and keeps the JSON short.
    return None if value is None else round(value, 6)


# Answer risk -----------------------------------------------------------------------------


def answer_risk(question: dict[str, Any], value: Any) -> float | None:
    """Risk in [0, 1] of one answer to a normalised question; None when not scored.

    Choice questions take the chosen choice's risk (the worst of several chosen);
    numbers fall into a band; yes/no maps as the definition says.
    """
    scoring = question["scoring"]
    if scoring is None or value in (None, "", []):
        return None
    if "choices" in scoring:
        risks = {c["key"]: c["risk"] for c in question["choices"]}
        chosen = value if isinstance(value, list) else [value]
        known = [risks[key] for key in chosen if key in risks]
        return max(known) if known else None
    if "bands" in scoring:
        return _band_risk(scoring["bands"], value)
    return scoring.get(value)


def _band_risk(bands: list[dict[str, Any]], value: Any) -> float | None:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    last = len(bands) - 1
    for i, band in enumerate(bands):
        above_min = band["min"] is None or value >= band["min"]
        below_max = (
            band["max"] is None or value < band["max"] or (i == last and value == band["max"])
        )
        if above_min and below_max:
            return band["risk"]
    return None


def _is_answered(value: Any) -> bool:
    return value not in (None, "", [])


# Tiers -----------------------------------------------------------------------------------


def tier_for(score: float | None, flags: Iterable[Flag | str]) -> str:
    """The tier from the score, lifted by flags (a severity string counts as a flag).

    A critical flag makes the tier critical whatever the score; a high flag lifts it to
    at least high. No score and no such flag: "unrated".
    """
    severities = {f if isinstance(f, str) else f.severity for f in flags}
    if "critical" in severities:
        return "critical"
    tier = UNRATED if score is None else _score_tier(score)
    if "high" in severities and tier in (UNRATED, "low", "moderate"):
        return "high"
    return tier


def _score_tier(score: float) -> str:
    # Rounding first keeps a score of exactly 25 (computed as 24.999999999) moderate.
    score = round(score, 9)
    if score >= CRITICAL_FROM:
        return "critical"
    if score >= HIGH_FROM:
        return "high"
    if score >= MODERATE_FROM:
        return "moderate"
    return "low"


# The plan: everything that depends on the definition and profile, not the answers --------


@dataclass(frozen=True)
class _Question:
    key: str
    section: int  # index into the plan's sections
    weight: float
    show_if: str | None
    scored: bool
    evidence: bool
    risk: Callable[[Any], float | None]
    knockouts: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class _Section:
    key: str
    title: str
    weight: float


class ScoringPlan:
    """A definition and a profile prepared for scoring many responses."""

    def __init__(self, definition: Mapping[str, Any], profile: Mapping[str, Any]):
        weights = profile.get("section_weights") or {}
        self.profile_key: str = profile.get("key", "")
        self.sections: list[_Section] = [
            _Section(s["key"], s["title"], float(weights.get(s["key"], s["weight"])))
            for s in definition["sections"]
        ]
        index = {s["key"]: i for i, s in enumerate(definition["sections"])}
        self.questions: list[_Question] = [
            _Question(
                key=q["key"],
                section=index[s["key"]],
                weight=float(q["weight"]),
                show_if=q["show_if"],
                scored=q["scoring"] is not None,
                evidence=bool(q["evidence"]),
                risk=_risk_function(q),
                knockouts=tuple(q["knockouts"]),
            )
            for s, q in iter_questions(definition)
        ]
        self.rules: list[dict[str, Any]] = [
            *definition.get("rules", []),
            *(profile.get("rules") or []),
        ]
        self.has_conditions = any(q.show_if for q in self.questions)

    # visibility

    def visible_values(self, answers: Mapping[str, AnswerInput]) -> dict[str, Any]:
        """{key: value} of the visible questions (None when unanswered).

        The same one-pass rule as definition.visible_question_keys: conditions only look
        back, and a hidden question counts as unanswered for the conditions after it.
        """
        seen: dict[str, Any] = {}
        for q in self.questions:
            if q.show_if is None or expressions.evaluate(q.show_if, seen):
                answer = answers.get(q.key)
                seen[q.key] = None if answer is None else answer.value
        return seen

    # scoring

    def score(self, answers: Mapping[str, AnswerInput]) -> ScoreResult:
        values = self.visible_values(answers)
        terms = self._terms(answers, values)
        flags = self._flags(values)
        total = _Totals.of(terms)
        sections = [
            self._section_score(i, section, terms, total) for i, section in enumerate(self.sections)
        ]
        score = total.score
        contributions = [
            _contribution(term, total, score, self.sections[term.section].key) for term in terms
        ]
        return ScoreResult(
            engine_version=ENGINE_VERSION,
            profile_key=self.profile_key,
            score=score,
            low=total.low,
            high=total.high,
            coverage=total.coverage,
            tier=tier_for(score, flags),
            sections=sections,
            flags=flags,
            contributions=contributions,
        )

    def _terms(self, answers: Mapping[str, AnswerInput], values: dict[str, Any]) -> list[_Term]:
        visible_weight = [0.0] * len(self.sections)
        scored = [q for q in self.questions if q.scored and q.key in values]
        for q in scored:
            visible_weight[q.section] += q.weight
        terms = []
        for q in scored:
            e = self.sections[q.section].weight * q.weight / visible_weight[q.section]
            value = values[q.key]
            risk = q.risk(value) if _is_answered(value) else None
            level = None
            u = 0.0
            if risk is not None:
                level = answers[q.key].evidence_level
                if q.evidence:
                    u = UNCERTAINTY.get(level, 1.0)
            terms.append(_Term(q.key, q.section, e, risk, level, u))
        return terms

    def _section_score(
        self, index: int, section: _Section, terms: list[_Term], total: _Totals
    ) -> SectionScore:
        own = _Totals.of([t for t in terms if t.section == index])
        scored_sections = {t.section for t in terms}
        weight_sum = sum(self.sections[i].weight for i in scored_sections)
        share = section.weight / weight_sum if index in scored_sections else 0.0
        return SectionScore(
            key=section.key,
            title=section.title,
            weight=section.weight,
            share=share,
            score=own.score,
            low=own.low,
            high=own.high,
            coverage=own.coverage,
        )

    # flags

    def _flags(self, values: dict[str, Any]) -> list[Flag]:
        flags: list[Flag] = []
        for q in self.questions:
            if q.knockouts and q.key in values:
                flags.extend(_knockout_flags(q, values))
        for rule in self.rules:
            if rule["when"] and expressions.evaluate(rule["when"], values):
                names = expressions.parse(rule["when"]).names
                flags.append(
                    Flag(
                        key=rule["key"],
                        severity=rule["severity"],
                        title=rule["title"],
                        message=rule["message"],
                        questions=self._in_order(names),
                        origin="rule",
                    )
                )
        # Worst first; the sort is stable, so definition order breaks ties.
        flags.sort(key=lambda f: -SEVERITY_RANK.get(f.severity, 0))
        return flags

    def _in_order(self, names: Iterable[str]) -> tuple[str, ...]:
        wanted = set(names)
        return tuple(q.key for q in self.questions if q.key in wanted)


def _knockout_flags(q: _Question, values: dict[str, Any]) -> Iterable[Flag]:
    value = values[q.key]
    for i, knockout in enumerate(q.knockouts):
        if knockout.get("answers") is not None:
            chosen = value if isinstance(value, list) else [value]
            fired = _is_answered(value) and any(c in knockout["answers"] for c in chosen)
            depends = (q.key,)
        else:
            fired = expressions.evaluate(knockout["when"], values)
            names = expressions.parse(knockout["when"]).names - {q.key}
            depends = (q.key, *sorted(names))
        if fired:
            yield Flag(
                key=f"{q.key}.knockout{i + 1}",
                severity=knockout["severity"],
                title=knockout["title"],
                message=knockout["message"],
                questions=depends,
                origin="knockout",
            )


def _risk_function(question: dict[str, Any]) -> Callable[[Any], float | None]:
    scoring = question["scoring"]
    if scoring is None:
        return lambda value: None
    if "choices" in scoring:
        risks = {c["key"]: c["risk"] for c in question["choices"]}

        def choice_risk(value: Any) -> float | None:
            if isinstance(value, list):
                known = [risks[k] for k in value if k in risks]
                return max(known) if known else None
            return risks.get(value)

        return choice_risk
    if "bands" in scoring:
        bands = scoring["bands"]
        return lambda value: _band_risk(bands, value)
    yes_no = {"yes": scoring.get("yes"), "no": scoring.get("no")}
    return lambda value: yes_no.get(value) if isinstance(value, str) else None


@dataclass(frozen=True)
class _Term:
    key: str
    section: int
    e: float
    risk: float | None  # None: unanswered
    level: str | None
    u: float


@dataclass(frozen=True)
class _Totals:
    """Sums over a set of terms: sum_A e, sum_A e*r, sum_V e and the high-end sum."""

    answered_weight: float
    answered_risk: float
    visible_weight: float
    worst: float

    @classmethod
    def of(cls, terms: Iterable[_Term]) -> _Totals:
        a_w = a_r = v_w = worst = 0.0
        for t in terms:
            v_w += t.e
            if t.risk is None:
                worst += t.e
            else:
                a_w += t.e
                a_r += t.e * t.risk
                worst += t.e * (t.risk + t.u * (1.0 - t.risk))
        return cls(a_w, a_r, v_w, worst)

    @property
    def score(self) -> float | None:
        if self.answered_weight <= 0:
            return None
        return _clamp(100.0 * self.answered_risk / self.answered_weight)

    @property
    def coverage(self) -> float:
        return self.answered_weight / self.visible_weight if self.visible_weight > 0 else 0.0

    @property
    def low(self) -> float:
        if self.visible_weight <= 0:
            return 0.0
        return _clamp(100.0 * self.answered_risk / self.visible_weight)

    @property
    def high(self) -> float:
        if self.visible_weight <= 0:
            return 100.0
        return _clamp(100.0 * self.worst / self.visible_weight)


def _clamp(value: float) -> float:
    # Sums of floats can land a hair outside [0, 100]; the formulas cannot.
    return min(100.0, max(0.0, value))


def _contribution(term: _Term, total: _Totals, score: float | None, section_key: str):
    share = term.e / total.visible_weight
    if term.risk is None:
        return Contribution(
            question_key=term.key,
            section_key=section_key,
            answered=False,
            risk=None,
            evidence_level=None,
            weight=term.e,
            share=share,
            points=0.0,
            shift=0.0,
            uncertainty=100.0 * share,
        )
    in_score = term.e / total.answered_weight
    return Contribution(
        question_key=term.key,
        section_key=section_key,
        answered=True,
        risk=term.risk,
        evidence_level=term.level,
        weight=term.e,
        share=share,
        points=100.0 * in_score * term.risk,
        shift=in_score * (100.0 * term.risk - score),
        uncertainty=100.0 * share * term.u * (1.0 - term.risk),
    )


# Entry points ------------------------------------------------------------------------------


def compile_plan(definition: Mapping[str, Any], profile: Mapping[str, Any]) -> ScoringPlan:
    return ScoringPlan(definition, profile)


def score_response(
    definition: Mapping[str, Any],
    profile: Mapping[str, Any],
    answers: Mapping[str, AnswerInput],
) -> ScoreResult:
    """Score one response's answers under a profile (docs/scoring.md)."""
    return compile_plan(definition, profile).score(answers)


def inputs_hash(
    definition_hash: str, profile: Mapping[str, Any], answers: Mapping[str, AnswerInput]
) -> str:
    """SHA-256 of everything a score depends on; a stored score with another is stale."""
    payload = {
        "engine": ENGINE_VERSION,
        "definition": definition_hash,
        "profile": {
            "key": profile.get("key"),
            "section_weights": profile.get("section_weights") or {},
            "rules": profile.get("rules") or [],
        },
        "answers": sorted(
            [key, a.value, a.evidence_level] for key, a in answers.items() if a is not None
        ),
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


# Ranking robustness -----------------------------------------------------------------------


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


def _linear_form(plan: ScoringPlan, answers: Mapping[str, AnswerInput]) -> _Linear:
    values = plan.visible_values(answers)
    n = len(plan.sections)
    visible_weight = [0.0] * n
    a = [0.0] * n
    b = [0.0] * n
    scored = [q for q in plan.questions if q.scored and q.key in values]
    for q in scored:
        visible_weight[q.section] += q.weight
    for q in scored:
        value = values[q.key]
        risk = q.risk(value) if _is_answered(value) else None
        if risk is not None:
            share = q.weight / visible_weight[q.section]
            a[q.section] += share * risk
            b[q.section] += share
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
    forms = {rid: _linear_form(plan, answers) for rid, answers in answers_by_response.items()}
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
    return sorted(
        order,
        key=lambda rid: (
            critical[rid],
            scores[rid] is None,
            round(scores[rid], 9) if scores[rid] is not None else 0.0,
            position[rid],
        ),
    )


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
