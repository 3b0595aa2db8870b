"""What scoring takes and returns: answers in; scores, flags, tiers and explanation out.

Also the constants of the scoring model and the formulas that turn four sums into a
score, a range and coverage (docs/scoring.md), shared by the plan that scores answers
and by the stored form that rebuilds section scores from the explanation.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

from .stored import (
    Term,
    compact_json,
    decode_terms,
    encode_term,
    json_string_body,
    result_head,
    result_json,
)

# Bump whenever a formula changes, so stored scores computed by older rules are stale.
ENGINE_VERSION = "2026.2"

# Tiers by score: low below MODERATE_FROM, moderate below HIGH_FROM, high below
# CRITICAL_FROM, critical from CRITICAL_FROM.
MODERATE_FROM = 25.0
HIGH_FROM = 50.0
CRITICAL_FROM = 75.0
TIERS = ("low", "moderate", "high", "critical")
# The score is rounded to this many decimals before it is compared with the thresholds,
# so that a score of exactly 25 computed as 24.9999999999 is moderate.
TIER_DECIMALS = 9
# Nothing answered and no flag: there is no number to place in a tier.
UNRATED = "unrated"

SEVERITIES = ("info", "moderate", "high", "critical")
SEVERITY_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}

EVIDENCE_LEVELS = ("self_attested", "document", "verified")
# How much of an evidence-requesting answer's remaining risk the range keeps open.
UNCERTAINTY = {"self_attested": 1.0, "document": 0.5, "verified": 0.0}


@dataclass(frozen=True)
class AnswerInput:
    value: Any
    evidence_level: str = "self_attested"


class SectionScore(NamedTuple):
    # A named tuple rather than a frozen dataclass: as immutable, and several times
    # cheaper to build, which matters when thousands of responses are rescored.
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

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "severity": self.severity,
            "title": self.title,
            "message": self.message,
            "questions": list(self.questions),
            "origin": self.origin,
        }


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
    points: float  # part of the score: the points of all answers sum to the score
    shift: float  # pull above (+) or below (-) the average answer; shifts sum to 0
    uncertainty: float  # part of the range: uncertainties sum to high - low


class Sums(NamedTuple):
    """What a set of visible scored questions adds up to; the formulas need only these."""

    answered: float  # sum_A(e)
    risk: float  # sum_A(e * r)
    visible: float  # sum_V(e)
    worst: float  # the high end's numerator


@dataclass
class ScoreResult:
    """A scored response; treat it as read-only.

    `contributions` are derived from the compact `terms` on demand. Not a frozen
    dataclass only because building frozen instances costs several times more.
    """

    engine_version: str
    profile_key: str
    score: float | None
    low: float
    high: float
    coverage: float
    tier: str
    sections: list[SectionScore] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    # One row per visible scored question, in definition order.
    terms: tuple[Term, ...] = ()
    # The same rows as the stored form writes them (the plan prepares them while scoring).
    encoded_terms: str | None = field(default=None, repr=False, compare=False)

    @property
    def score_tier(self) -> str:
        """The tier the number alone gives, before flags lift it."""
        return tier_for(self.score, ())

    @property
    def width(self) -> float:
        return self.high - self.low

    @cached_property
    def contributions(self) -> list[Contribution]:
        visible = sum(t.weight for t in self.terms)
        answered = sum(t.weight for t in self.terms if t.risk is not None)
        return [_contribution(term, visible, answered, self.score) for term in self.terms]

    def to_json(self) -> str:
        """The stored form as JSON text (docs/scoring.md, Stored form)."""
        if self.encoded_terms is not None:
            rows: Iterable[str] = self.encoded_terms.split(";") if self.encoded_terms else ()
        else:
            index = {section.key: i for i, section in enumerate(self.sections)}
            rows = (encode_term(term, index[term.section_key]) for term in self.terms)
        return result_json(
            result_head(self.engine_version, self.profile_key),
            (self.score, self.low, self.high, self.coverage),
            self.tier,
            sections=sections_json(self.sections),
            flags=(compact_json(flag.to_dict()) for flag in self.flags),
            terms=(json_string_body(row) for row in rows),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-able data; `from_dict` rebuilds the result (floats rounded to 6 places)."""
        return json.loads(self.to_json())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScoreResult:
        stored = data.get("sections", [])
        section_keys = [s["key"] if isinstance(s, dict) else s[0] for s in stored]
        terms = decode_terms(data.get("terms") or "", section_keys)
        return cls(
            engine_version=data["engine_version"],
            profile_key=data["profile_key"],
            score=data["score"],
            low=data["low"],
            high=data["high"],
            coverage=data["coverage"],
            tier=data["tier"],
            sections=_sections_from_terms(stored, terms),
            flags=[
                Flag(**{**f, "questions": tuple(f["questions"])}) for f in data.get("flags", [])
            ],
            terms=terms,
            encoded_terms=data.get("terms") or "",
        )


def sections_json(sections: Iterable[SectionScore] | Iterable[Any]) -> str:
    """What the stored form keeps of the sections: each one's key, title and weight."""
    return compact_json([[s.key, s.title, s.weight] for s in sections])


def section_scores(
    sections: Sequence[tuple[str, str, float]], sums: Sequence[Sums]
) -> list[SectionScore]:
    """Each section's score, range and coverage from its (key, title, weight) and sums."""
    present = sum(weight for (_, _, weight), s in zip(sections, sums, strict=True) if s[2] > 0)
    return [
        SectionScore(key, title, weight, weight / present if s[2] > 0 else 0.0, *summary(*s))
        for (key, title, weight), s in zip(sections, sums, strict=True)
    ]


def _sections_from_terms(stored: list, terms: tuple[Term, ...]) -> list[SectionScore]:
    """Section scores from the stored (key, title, weight) and the explanation rows."""
    if stored and isinstance(stored[0], dict):  # results stored whole, before terms did it
        return [SectionScore(**s) for s in stored]
    sums = {key: [0.0, 0.0, 0.0, 0.0] for key, _, _ in stored}
    for term in terms:
        total = sums[term.section_key]
        e, risk = term.weight, term.risk
        total[2] += e
        if risk is None:
            total[3] += e
        else:
            total[0] += e
            total[1] += e * risk
            total[3] += e * (risk + term.u * (1.0 - risk))
    return section_scores(
        [(key, title, weight) for key, title, weight in stored],
        [Sums(*sums[key]) for key, _, _ in stored],
    )


def _contribution(term: Term, visible: float, answered: float, score: float | None) -> Contribution:
    key, section_key, risk, level, e, u = term
    share = e / visible if visible > 0 else 0.0
    if risk is None or score is None:
        return Contribution(key, section_key, False, None, None, e, share, 0.0, 0.0, 100 * share)
    in_score = e / answered
    return Contribution(
        question_key=key,
        section_key=section_key,
        answered=True,
        risk=risk,
        evidence_level=level,
        weight=e,
        share=share,
        points=100.0 * in_score * risk,
        shift=in_score * (100.0 * risk - score),
        uncertainty=100.0 * share * u * (1.0 - risk),
    )


# The formulas -------------------------------------------------------------------------------


def summary(
    answered: float, risk: float, visible: float, worst: float
) -> tuple[float | None, float, float, float]:
    """score, low, high and coverage from the four sums (docs/scoring.md)."""
    if visible <= 0:
        return None, 0.0, 100.0, 0.0
    score = _clamp(100.0 * risk / answered) if answered > 0 else None
    return (
        score,
        _clamp(100.0 * risk / visible),
        _clamp(100.0 * worst / visible),
        (min(1.0, answered / visible)),
    )


def _clamp(value: float) -> float:
    # Sums of floats can land a hair outside [0, 100]; the formulas cannot.
    return 100.0 if value > 100.0 else 0.0 if value < 0.0 else value


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
    score = round(score, TIER_DECIMALS)
    if score >= CRITICAL_FROM:
        return "critical"
    if score >= HIGH_FROM:
        return "high"
    if score >= MODERATE_FROM:
        return "moderate"
    return "low"
