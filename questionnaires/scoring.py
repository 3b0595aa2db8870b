"""Risk scoring: pure functions over plain data (no ORM, no Django).

docs/scoring.md states the formulas; this module is their only implementation.

`score_response(definition, profile, answers)` scores one response. For many responses
under one profile, `compile_plan(definition, profile)` once and call `plan.score(answers)`
for each: the plan holds everything that does not depend on the answers (effective
weights per visibility pattern, risk lookups, conditions and rules compiled to Python
closures), which is what makes rescoring thousands of responses cheap.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from bisect import bisect_right
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from itertools import pairwise
from typing import Any, NamedTuple

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

# Columns of the per-question rows in ScoreResult.terms (to_dict() stores them encoded
# as one string, with the section's index in place of its key).
TERM_COLUMNS = ("question_key", "section_key", "risk", "evidence_level", "weight", "u")


# Inputs and results ----------------------------------------------------------------------


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
    # One row per visible scored question, in definition order: TERM_COLUMNS.
    terms: tuple[tuple, ...] = ()
    # The same rows as stored by to_dict (the plan prepares them while scoring).
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
        visible = sum(t[4] for t in self.terms)
        answered = sum(t[4] for t in self.terms if t[2] is not None)
        return [_contribution(term, visible, answered, self.score) for term in self.terms]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able data; `from_dict` rebuilds the result (floats rounded to 6 places)."""
        return {
            "engine_version": self.engine_version,
            "profile_key": self.profile_key,
            "score": _round(self.score),
            "low": _round(self.low),
            "high": _round(self.high),
            "coverage": _round(self.coverage),
            "tier": self.tier,
            # Only what the terms cannot give: each section's key, title and weight.
            # Section scores, ranges and coverage are recomputed from the terms.
            "sections": [[s.key, s.title, s.weight] for s in self.sections],
            "flags": [_flag_dict(f) for f in self.flags],
            # One string rather than a mapping per question: every rescoring writes
            # thousands of these, and PostgreSQL parses and stores one long jsonb string
            # several times faster than hundreds of small values (see _encode_term).
            "terms": self._encoded_terms(),
        }

    def _encoded_terms(self) -> str:
        if self.encoded_terms is not None:
            return self.encoded_terms
        index = {section.key: i for i, section in enumerate(self.sections)}
        return ";".join(_encode_term(term, index.get(term[1], term[1])) for term in self.terms)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScoreResult:
        stored = data.get("sections", [])
        section_keys = [s["key"] if isinstance(s, dict) else s[0] for s in stored]
        terms = _decode_terms(data.get("terms") or "", section_keys)
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


def _sections_from_terms(stored: list, terms: tuple[tuple, ...]) -> list[SectionScore]:
    """Section scores from the stored (key, title, weight) and the explanation rows."""
    if stored and isinstance(stored[0], dict):  # results stored whole, before terms did it
        return [SectionScore(**s) for s in stored]
    sums = {key: [0.0, 0.0, 0.0, 0.0] for key, _, _ in stored}  # answered, risk, visible, worst
    for _, section, risk, _, e, u in terms:
        total = sums[section]
        total[2] += e
        if risk is None:
            total[3] += e
        else:
            total[0] += e
            total[1] += e * risk
            total[3] += e * (risk + u * (1.0 - risk))
    present = sum(weight for key, _, weight in stored if sums[key][2] > 0)
    return [
        SectionScore(
            key,
            title,
            weight,
            weight / present if sums[key][2] > 0 else 0.0,
            *_summary(*sums[key]),
        )
        for key, title, weight in stored
    ]


def _encode_term(term: tuple, section: int | str) -> str:
    """One explanation row as `key,section index,risk,evidence level,e,u`.

    Keys and levels are slugs, so commas and semicolons cannot occur in them; an
    unanswered question has empty risk and level.
    """
    key, _, risk, level, e, u = term
    return (
        f"{key},{section},{'' if risk is None else repr(risk)},{level or ''},{round(e, 6)!r},{u!r}"
    )


def _decode_terms(encoded: str, section_keys: list[str]) -> tuple[tuple, ...]:
    rows = []
    for row in encoded.split(";") if encoded else ():
        key, section, risk, level, e, u = row.split(",")
        rows.append(
            (
                key,
                section_keys[int(section)] if section.isdigit() else section,
                float(risk) if risk else None,
                level or None,
                float(e),
                float(u),
            )
        )
    return tuple(rows)


def _round(value: float | None) -> float | None:
    # Stored results are read by people and compared across runs; six decimals is far
    # below anything shown and keeps the JSON short.
    return None if value is None else round(value, 6)


def _contribution(term: tuple, visible: float, answered: float, score: float | None):
    key, section_key, risk, level, e, u = term
    share = e / visible if visible > 0 else 0.0
    if risk is None:
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


def _risk_function(question: dict[str, Any]) -> Callable[[Any], float | None] | None:
    """answer_risk for one question with its lookups prepared (None: not scored)."""
    scoring = question["scoring"]
    if scoring is None:
        return None
    if "choices" in scoring:
        risks = {c["key"]: c["risk"] for c in question["choices"]}
        # The same few selections recur across responses: remember their worst risk.
        chosen_risk: dict[tuple, float | None] = {}

        def choice_risk(value: Any) -> float | None:
            if isinstance(value, list):
                try:
                    selection = tuple(value)
                    return chosen_risk[selection]
                except KeyError:
                    known = [risks[k] for k in value if k in risks]
                    chosen_risk[selection] = max(known) if known else None
                    return chosen_risk[selection]
                except TypeError:  # an unhashable choice is no choice
                    known = [risks[k] for k in value if isinstance(k, str) and k in risks]
                    return max(known) if known else None
            try:
                return risks.get(value)
            except TypeError:  # an unhashable value is no choice
                return None

        return choice_risk
    if "bands" in scoring:
        return _band_function(scoring["bands"])
    yes_no = {"yes": scoring.get("yes"), "no": scoring.get("no")}
    return lambda value: yes_no.get(value) if isinstance(value, str) else None


def _band_function(bands: list[dict[str, Any]]) -> Callable[[Any], float | None]:
    """_band_risk by binary search over the bands' starts (they are contiguous once
    imported; otherwise the plain walk through the bands)."""
    contiguous = all(a["max"] is not None and a["max"] == b["min"] for a, b in pairwise(bands))
    if not contiguous:
        return lambda value: _band_risk(bands, value)
    starts = [b["min"] for b in bands[1:]]
    risks = [b["risk"] for b in bands]
    low, high = bands[0]["min"], bands[-1]["max"]

    def band_risk(value: Any) -> float | None:
        kind = value.__class__
        if kind is not int and kind is not float:
            return _band_risk(bands, value)  # not a number (or a subclass): the walk
        if (low is not None and value < low) or (high is not None and value > high):
            return None
        # A band includes its min, not its max; the last band includes its max too.
        return risks[bisect_right(starts, value)]

    return band_risk


def _risk_by_answer(question: dict[str, Any]) -> dict[str, float] | None:
    scoring = question["scoring"]
    if scoring is None:
        return None
    if question["type"] == "single_choice":
        return {c["key"]: c["risk"] for c in question["choices"]}
    if question["type"] == "yes_no":
        return {"yes": scoring.get("yes"), "no": scoring.get("no")}
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
    condition: Callable[[Mapping[str, Any]], bool] | None
    risk: Callable[[Any], float | None] | None  # None: not scored
    evidence: bool
    knockouts: tuple[_Knockout, ...]
    # For single-choice and yes/no questions: answer -> risk, looked up without a call.
    risk_by_answer: dict[str, float] | None = None
    numeric: bool = False  # scored by bands


@dataclass(frozen=True)
class _Knockout:
    answers: frozenset | None
    when: Callable[[Mapping[str, Any]], bool] | None
    flag: Flag


@dataclass(frozen=True)
class _Rule:
    when: Callable[[Mapping[str, Any]], bool]
    flag: Flag


@dataclass(frozen=True)
class _Section:
    key: str
    title: str
    weight: float


class _Slot:
    """One visible scored question in a layout, with its effective weight e_q.

    `entries` memoises, per (risk, evidence level), everything the question adds to the
    sums and to the stored explanation; `by_answer` does the same per (answer, evidence
    level), so that most answers cost one dictionary lookup (see _memo_key).
    Answers repeat the same few values and levels, and slots of the same question with
    the same e_q (in different layouts) share their memos.
    """

    __slots__ = ("by_answer", "entries", "question", "section_index", "section_key", "weight")

    def __init__(
        self, question: _Question, weight: float, section_key: str, memos: tuple[dict, dict]
    ):
        self.question = question
        self.weight = weight
        self.section_index = question.section
        self.section_key = section_key
        self.entries: dict[tuple, tuple] = memos[0]
        self.by_answer: dict[tuple, tuple] = memos[1]

    def for_answer(self, answer: AnswerInput | None) -> tuple:
        """The entry for one answer (None: not answered), memoised for text answers."""
        if answer is None:
            return self.entries.get((None, None)) or self.entry(None, None)
        value = answer.value
        if value is None or value == "" or value == []:
            risk = None
        else:
            by_answer = self.question.risk_by_answer
            if by_answer is not None and value.__class__ is str:
                risk = by_answer.get(value)
            else:
                risk = self.question.risk(value)
        level = None
        if risk is not None:
            # An evidence level the engine does not know counts as the weakest.
            level = answer.evidence_level
            level = level if level in UNCERTAINTY else "self_attested"
        made = self.entries.get((risk, level)) or self.entry(risk, level)
        memo_key = _memo_key(value)
        if memo_key is not None and len(self.by_answer) < ANSWER_MEMO_LIMIT:
            self.by_answer[(memo_key, answer.evidence_level)] = made
        return made

    def entry(self, risk: float | None, level: str | None) -> tuple:
        """(sum_A e, sum_A e*r, the high end's numerator, term row, encoded row, and the
        encoded row escaped for a JSON string)."""
        e = self.weight
        key = self.question.key
        if risk is None:
            term = (key, self.section_key, None, None, e, 0.0)
            encoded = _encode_term(term, self.section_index)
            made = (0.0, 0.0, e, term, encoded, _json_safe(encoded))
        else:
            u = UNCERTAINTY.get(level, 1.0) if self.question.evidence else 0.0
            term = (key, self.section_key, risk, level, e, u)
            worst = e * (risk + u * (1.0 - risk))
            encoded = _encode_term(term, self.section_index)
            made = (e, e * risk, worst, term, encoded, _json_safe(encoded))
        self.entries[(risk, level)] = made
        return made


# Numbers can take many values: past this many remembered answers a slot computes.
ANSWER_MEMO_LIMIT = 4096


def _memo_key(value: Any) -> Any:
    """A hashable stand-in for an answer, or None when it is not worth remembering.

    Exact types only: True is not 1 here, and "1" is not 1.
    """
    kind = value.__class__
    if kind is str or kind is int or kind is float:
        return value
    if kind is list and all(item.__class__ is str for item in value):
        return ("list", *value)
    return None


@dataclass(frozen=True)
class _SectionLayout:
    """Effective weights in one section for one set of its visible questions.

    Cached per section and per set of hidden questions in it: a section has few such
    sets even when the questionnaire as a whole has hundreds.
    """

    slots: tuple[_Slot, ...]  # the section's visible scored questions, in order
    visible: float  # sum of e over them
    # What the scoring loop needs of each slot, unpacked once rather than per response.
    rows: tuple[tuple, ...]


class ScoringPlan:
    """A definition and a profile prepared for scoring many responses."""

    def __init__(self, definition: Mapping[str, Any], profile: Mapping[str, Any]):
        weights = profile.get("section_weights") or {}
        self.profile_key: str = profile.get("key", "")
        self.profile: dict[str, Any] = {
            "key": self.profile_key,
            "section_weights": dict(weights),
            "rules": list(profile.get("rules") or []),
        }
        self.sections: list[_Section] = [
            _Section(s["key"], s["title"], _section_weight(self.profile_key, s, weights))
            for s in definition["sections"]
        ]
        index = {s["key"]: i for i, s in enumerate(definition["sections"])}
        order = [q["key"] for _, q in iter_questions(definition)]
        self.questions: list[_Question] = [
            _Question(
                key=q["key"],
                section=index[s["key"]],
                weight=float(q["weight"]),
                condition=expressions.compile_expression(q["show_if"]) if q["show_if"] else None,
                risk=_risk_function(q),
                evidence=bool(q["evidence"]),
                knockouts=tuple(
                    _compile_knockout(q["key"], i, k, order) for i, k in enumerate(q["knockouts"])
                ),
                risk_by_answer=_risk_by_answer(q),
                numeric=q["scoring"] is not None and "bands" in q["scoring"],
            )
            for s, q in iter_questions(definition)
        ]
        self.rules: list[_Rule] = [
            _compile_rule(rule, order)
            for rule in (*definition.get("rules", []), *self.profile["rules"])
            if rule.get("when")
        ]
        self._with_knockouts = [q for q in self.questions if q.knockouts]
        self._json_head = (
            f'{{"engine_version":{json.dumps(ENGINE_VERSION)},'
            f'"profile_key":{json.dumps(self.profile_key)},"score":'
        )
        self._sections_json = _compact_json([[s.key, s.title, s.weight] for s in self.sections])
        self._flag_json = {
            id(flag): _compact_json(_flag_dict(flag))
            for flag in (
                *(k.flag for q in self.questions for k in q.knockouts),
                *(r.flag for r in self.rules),
            )
        }
        self._layouts: dict[tuple[int, tuple[str, ...]], _SectionLayout] = {}
        self._entries: dict[tuple[str, float], tuple[dict, dict]] = {}
        self._hash_prefixes: dict[str, bytes] = {}
        self._sorted_keys = sorted(q.key for q in self.questions)  # the hash's order

    # visibility

    def visible_values(self, answers: Mapping[str, AnswerInput]) -> dict[str, Any]:
        """{key: value} of the visible questions (None when unanswered).

        The same one-pass rule as definition.visible_question_keys: conditions only look
        back, and a hidden question counts as unanswered for the conditions after it.
        """
        return self._visible(answers)[0]

    def _visible(
        self, answers: Mapping[str, AnswerInput]
    ) -> tuple[dict[str, Any], list[_SectionLayout]]:
        seen: dict[str, Any] = {}
        hidden: list[list[str]] = [[] for _ in self.sections]
        get = answers.get
        for q in self.questions:
            if q.condition is not None and not q.condition(seen):
                hidden[q.section].append(q.key)
                continue
            answer = get(q.key)
            seen[q.key] = None if answer is None else answer.value
        layouts = []
        for index, keys in enumerate(hidden):
            pattern = (index, tuple(keys))
            layout = self._layouts.get(pattern)
            if layout is None:
                layout = self._layouts[pattern] = self._section_layout(index, set(keys))
            layouts.append(layout)
        return seen, layouts

    def _section_layout(self, index: int, hidden: set[str]) -> _SectionLayout:
        section = self.sections[index]
        scored = [
            q
            for q in self.questions
            if q.section == index and q.risk is not None and q.key not in hidden
        ]
        raw = sum(q.weight for q in scored)
        slots = []
        for q in scored:
            e = section.weight * q.weight / raw
            memos = self._entries.get((q.key, e))
            if memos is None:
                memos = self._entries[(q.key, e)] = ({}, {})
            slots.append(_Slot(q, e, section.key, memos))
        rows = tuple(
            (
                slot.question.key,
                slot.by_answer,
                slot.question.risk if slot.question.numeric else None,
                slot.entries,
                slot,
            )
            for slot in slots
        )
        return _SectionLayout(tuple(slots), sum(slot.weight for slot in slots), rows)

    # scoring

    def score(self, answers: Mapping[str, AnswerInput]) -> ScoreResult:
        """Score one response's answers (docs/scoring.md)."""
        entries, sums, flags = self._evaluate(answers)
        score, low, high, coverage = _summary(*_totals(sums))
        present = sum(
            section.weight for section, t in zip(self.sections, sums, strict=True) if t[2] > 0
        )
        sections = [
            SectionScore(
                section.key,
                section.title,
                section.weight,
                section.weight / present if t[2] > 0 else 0.0,
                *_summary(*t),
            )
            for section, t in zip(self.sections, sums, strict=True)
        ]
        return ScoreResult(
            engine_version=ENGINE_VERSION,
            profile_key=self.profile_key,
            score=score,
            low=low,
            high=high,
            coverage=coverage,
            tier=tier_for(score, flags),
            sections=sections,
            flags=flags,
            terms=tuple(entry[3] for entry in entries),
            encoded_terms=";".join(entry[4] for entry in entries),
        )

    def stored(self, answers: Mapping[str, AnswerInput]) -> StoredScore:
        """What a ResponseScore row stores, without building a ScoreResult.

        `json` is the text of `score(answers).to_dict()` (tests hold the two equal),
        assembled from pieces the plan prepared: rescoring thousands of responses
        spends its time here.
        """
        entries, sums, flags = self._evaluate(answers)
        score, low, high, coverage = _summary(*_totals(sums))
        tier = tier_for(score, flags)
        flag_json = self._flag_json
        text = "".join(
            (
                self._json_head,
                _json_number(score),
                ',"low":',
                _json_number(low),
                ',"high":',
                _json_number(high),
                ',"coverage":',
                _json_number(coverage),
                ',"tier":"',
                tier,
                '","sections":',
                self._sections_json,
                ',"flags":[',
                ",".join(flag_json[id(flag)] for flag in flags),
                '],"terms":"',
                ";".join(entry[5] for entry in entries),
                '"}',
            )
        )
        return StoredScore(score, low, high, coverage, tier, len(flags), text)

    def _evaluate(
        self, answers: Mapping[str, AnswerInput]
    ) -> tuple[list[tuple], list[tuple], list[Flag]]:
        """The memo entry of every visible scored question, the per-section sums
        (sum_A e, sum_A e r, sum_V e, the high end's numerator) and the flags."""
        values, layouts = self._visible(answers)
        get = answers.get
        entries = []
        sums = []
        for layout in layouts:
            answered = risk_sum = worst = 0.0
            for key, by_answer, numeric, entries_by_risk, slot in layout.rows:
                answer = get(key)
                entry = None
                if answer is not None:
                    value = answer.value
                    kind = value.__class__
                    if kind is str:
                        entry = by_answer.get((value, answer.evidence_level))
                    elif (kind is int or kind is float) and numeric is not None:
                        # Numbers take too many values to remember; their band is quick.
                        entry = entries_by_risk.get((numeric(value), answer.evidence_level))
                    elif kind is list:
                        try:
                            entry = by_answer.get((("list", *value), answer.evidence_level))
                        except TypeError:  # something unhashable among the choices
                            entry = None
                if entry is None:
                    entry = slot.for_answer(answer)
                answered += entry[0]
                risk_sum += entry[1]
                worst += entry[2]
                entries.append(entry)
            sums.append((answered, risk_sum, layout.visible, worst))
        return entries, sums, self._flags(values)

    def _flags(self, values: dict[str, Any]) -> list[Flag]:
        flags: list[Flag] = []
        for q in self._with_knockouts:
            if q.key in values:
                value = values[q.key]
                for knockout in q.knockouts:
                    if _knockout_fires(knockout, value, values):
                        flags.append(knockout.flag)
        flags.extend(rule.flag for rule in self.rules if rule.when(values))
        # Worst first; the sort is stable, so definition order breaks ties.
        if len(flags) > 1:
            flags.sort(key=_severity_order)
        return flags

    # staleness

    def inputs_hash(self, definition_hash: str, answers: Mapping[str, AnswerInput]) -> str:
        """Same as the module's inputs_hash, with the profile's part prepared once."""
        prefix = self._hash_prefixes.get(definition_hash)
        if prefix is None:
            prefix = self._hash_prefixes[definition_hash] = _hash_prefix(
                definition_hash, self.profile
            )
        if len(answers) > len(self._sorted_keys):
            return _answers_hash(prefix, answers)  # answers to questions not asked here
        get = answers.get
        lines = []
        for key in self._sorted_keys:
            a = get(key)
            if a is not None:
                value = a.value
                text = _sorted_json(value) if value.__class__ is dict else repr(value)
                lines.append(f"{key}\x1f{text}\x1f{a.evidence_level}")
        if len(lines) != len(answers):
            return _answers_hash(prefix, answers)
        return hashlib.sha256(prefix + "\x1e".join(lines).encode()).hexdigest()


def _section_weight(profile_key: str, section: Mapping, weights: Mapping) -> float:
    weight = weights.get(section["key"], section["weight"])
    if (
        isinstance(weight, bool)
        or not isinstance(weight, (int, float))
        or not math.isfinite(weight)
        or weight <= 0
    ):
        raise ValueError(
            f"Profile {profile_key!r} gives section {section['key']!r} the weight "
            f"{weight!r}; a weight must be a positive number. Set it on the profile's page."
        )
    return float(weight)


class StoredScore(NamedTuple):
    """The columns of a stored score, and its result as JSON text (ScoringPlan.stored)."""

    score: float | None
    low: float
    high: float
    coverage: float
    tier: str
    flag_count: int
    json: str


_compact_json = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode


def _json_number(value: float | None) -> str:
    return "null" if value is None else repr(round(value, 6))  # as to_dict rounds


def _json_safe(text: str) -> str:
    """Text that can sit between the quotes of a JSON string as it is."""
    return json.dumps(text)[1:-1]


def _totals(sums: list[tuple]) -> tuple[float, float, float, float]:
    answered = risk = visible = worst = 0.0
    for a, r, v, w in sums:
        answered += a
        risk += r
        visible += v
        worst += w
    return answered, risk, visible, worst


def _flag_dict(flag: Flag) -> dict[str, Any]:
    return {
        "key": flag.key,
        "severity": flag.severity,
        "title": flag.title,
        "message": flag.message,
        "questions": list(flag.questions),
        "origin": flag.origin,
    }


def _severity_order(flag: Flag) -> int:
    return -SEVERITY_RANK.get(flag.severity, 0)


def _summary(
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


def _knockout_fires(knockout: _Knockout, value: Any, values: Mapping[str, Any]) -> bool:
    if knockout.answers is None:
        return knockout.when(values)
    if value is None or value == "" or value == []:
        return False
    try:
        if isinstance(value, list):
            return not knockout.answers.isdisjoint(value)
        return value in knockout.answers
    except TypeError:  # an unhashable answer matches no listed answer
        return False


def _in_order(names: Iterable[str], order: list[str]) -> tuple[str, ...]:
    wanted = set(names)
    return tuple(key for key in order if key in wanted)


def _compile_knockout(key: str, index: int, knockout: Mapping, order: list[str]) -> _Knockout:
    when = knockout.get("when")
    depends = (key,)
    if when:
        names = expressions.parse(when).names - {key}
        depends = (key, *_in_order(names, order))
    answers = knockout.get("answers")
    return _Knockout(
        answers=frozenset(answers) if answers is not None else None,
        when=expressions.compile_expression(when) if when else None,
        flag=Flag(
            key=f"{key}.knockout{index + 1}",
            severity=knockout["severity"],
            title=knockout["title"],
            message=knockout["message"],
            questions=depends,
            origin="knockout",
        ),
    )


def _compile_rule(rule: Mapping, order: list[str]) -> _Rule:
    return _Rule(
        when=expressions.compile_expression(rule["when"]),
        flag=Flag(
            key=rule["key"],
            severity=rule["severity"],
            title=rule["title"],
            message=rule["message"],
            questions=_in_order(expressions.parse(rule["when"]).names, order),
            origin="rule",
        ),
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
    """SHA-256 of everything a score depends on; a stored score with another is stale.

    The engine version, the definition (by its content hash), the profile's weights and
    rules, and every answer's value and evidence level; not the order of the answers.
    """
    return _answers_hash(_hash_prefix(definition_hash, profile), answers)


def _hash_prefix(definition_hash: str, profile: Mapping[str, Any]) -> bytes:
    head = {
        "engine": ENGINE_VERSION,
        "definition": definition_hash,
        "profile": {
            "key": profile.get("key"),
            "section_weights": profile.get("section_weights") or {},
            "rules": profile.get("rules") or [],
        },
    }
    return json.dumps(head, sort_keys=True, separators=(",", ":"), default=str).encode()


_sorted_json = json.JSONEncoder(separators=(",", ":"), sort_keys=True, default=str).encode


def _answers_hash(prefix: bytes, answers: Mapping[str, AnswerInput]) -> str:
    # One line per answer, in key order: key, repr of the value, evidence level. repr
    # tells "12" from 12, is the same in every process for strings, numbers and lists,
    # and escapes the separators; mappings (which no question type stores) are written
    # as JSON with sorted keys, since their repr follows insertion order. (Measured:
    # faster than JSON for the whole list, and than remembering lines per answer.)
    body = "\x1e".join(
        f"{key}\x1f{_sorted_json(a.value) if a.value.__class__ is dict else repr(a.value)}"
        f"\x1f{a.evidence_level}"
        for key, a in sorted(answers.items())
        if a is not None
    )
    return hashlib.sha256(prefix + body.encode()).hexdigest()


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
    values, layouts = plan._visible(answers)
    n = len(plan.sections)
    a = [0.0] * n
    b = [0.0] * n
    for slot in (slot for layout in layouts for slot in layout.slots):
        q, e = slot.question, slot.weight
        value = values[q.key]
        risk = q.risk(value) if _is_answered(value) else None
        if risk is not None:
            share = e / plan.sections[q.section].weight  # w_q / sum of visible w in s
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
