"""The compiled plan: a definition and a profile prepared for scoring many responses.

The plan holds everything that does not depend on the answers: effective weights per
visibility pattern, risk lookups, conditions and rules compiled to closures, and what
each answer adds to the sums and to the stored explanation, remembered as answers
repeat. That is what makes rescoring thousands of responses cheap.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from .. import expressions
from ..definition import Condition, is_positive_weight, iter_questions, visibility
from .results import (
    ENGINE_VERSION,
    SEVERITY_RANK,
    UNCERTAINTY,
    AnswerInput,
    Flag,
    ScoreResult,
    Sums,
    section_scores,
    sections_json,
    summary,
    tier_for,
)
from .risk import Picker, RiskFunction, grid_picker, picker, risk_function
from .staleness import answers_hash, hash_prefix
from .stored import (
    StoredScore,
    Term,
    compact_json,
    encode_term,
    json_string_body,
    result_head,
    result_json,
)


@dataclass(frozen=True)
class _Question:
    key: str
    section: int  # index into the plan's sections
    weight: float
    conditional: bool  # has a show_if, so it can be hidden
    risk: RiskFunction | None  # None: not scored
    evidence: bool
    knockouts: tuple[_Knockout, ...]
    numeric: bool = False  # scored by bands


@dataclass(frozen=True)
class _Knockout:
    answers: frozenset | None
    when: Condition | None
    flag: Flag
    picks: Picker  # the keys an answer picks, by the question's shape


@dataclass(frozen=True)
class _Rule:
    when: Condition
    flag: Flag


@dataclass(frozen=True)
class _Section:
    key: str
    title: str
    weight: float


class _Entry(NamedTuple):
    """What one visible scored question, answered one way, adds to a response's result."""

    answered: float  # to sum_A(e)
    risk: float  # to sum_A(e * r)
    worst: float  # to the high end's numerator
    term: Term  # its explanation row
    encoded: str  # the row as stored
    json: str  # the stored row escaped for a JSON string


class _Slot:
    """One visible scored question in a layout, with its effective weight e_q.

    `entries` memoises, per (risk, evidence level), the question's _Entry; `by_answer`
    does the same per (answer, evidence level), so that most answers cost one
    dictionary lookup (see _memo_key). Answers repeat the same few values and levels,
    and slots of the same question with the same e_q (in different layouts) share
    their memos.
    """

    __slots__ = ("by_answer", "entries", "question", "section_index", "section_key", "weight")

    def __init__(
        self, question: _Question, weight: float, section_key: str, memos: tuple[dict, dict]
    ):
        self.question = question
        self.weight = weight
        self.section_index = question.section
        self.section_key = section_key
        self.entries: dict[tuple, _Entry] = memos[0]
        self.by_answer: dict[tuple, _Entry] = memos[1]

    def for_answer(self, answer: AnswerInput | None) -> _Entry:
        """The entry for one answer (None: not answered), memoised for text answers."""
        if answer is None:
            return self.entries.get((None, None)) or self.entry(None, None)
        value = answer.value
        assert self.question.risk is not None  # a slot's question is scored
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

    def entry(self, risk: float | None, level: str | None) -> _Entry:
        e = self.weight
        key = self.question.key
        if risk is None:
            term = Term(key, self.section_key, None, None, e, 0.0)
            answered, risk_part, worst = 0.0, 0.0, e
        else:
            u = UNCERTAINTY.get(level or "", 1.0) if self.question.evidence else 0.0
            term = Term(key, self.section_key, risk, level, e, u)
            answered, risk_part, worst = e, e * risk, e * (risk + u * (1.0 - risk))
        encoded = encode_term(term, self.section_index)
        made = _Entry(answered, risk_part, worst, term, encoded, json_string_body(encoded))
        self.entries[(risk, level)] = made
        return made


# Numbers can take many values: past this many remembered answers a slot computes.
ANSWER_MEMO_LIMIT = 4096
# Sets of hidden questions whose layouts a plan remembers at once.
PATTERN_MEMO_SIZE = 4096


def _values(answers: Mapping[str, AnswerInput | None]) -> dict[str, Any]:
    return {key: answer.value for key, answer in answers.items() if answer is not None}


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


class _Row(NamedTuple):
    """What the scoring loop needs of a slot, unpacked once rather than per response."""

    key: str
    by_answer: dict[tuple, _Entry]
    numeric: RiskFunction | None  # a banded question's risk: numbers go by their band
    entries: dict[tuple, _Entry]
    slot: _Slot


@dataclass(frozen=True)
class _SectionLayout:
    """Effective weights in one section for one set of its visible questions.

    Cached per section and per set of hidden questions in it: a section has few such
    sets even when the questionnaire as a whole has hundreds.
    """

    visible: float  # sum of e over the section's visible scored questions
    rows: tuple[_Row, ...]  # one per such question, in order


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
                conditional=bool(q["show_if"]),
                risk=risk_function(q),
                evidence=bool(q["evidence"]),
                knockouts=tuple(
                    _compile_knockout(q, i, k, order) for i, k in enumerate(q["knockouts"])
                ),
                numeric=q["scoring"] is not None and "bands" in q["scoring"],
            )
            for s, q in iter_questions(definition)
        ]
        self.rules: list[_Rule] = [
            _compile_rule(rule, order)
            for rule in (*definition.get("rules", []), *self.profile["rules"])
            if rule.get("when")
        ]
        self.visibility = visibility(definition)
        self._derived = tuple(self.visibility.derived.items())
        self._conditional = [q for q in self.questions if q.conditional]
        self._with_knockouts = [q for q in self.questions if q.knockouts]
        self._json_head = result_head(ENGINE_VERSION, self.profile_key)
        self._sections_json = sections_json(self.sections)
        self._flag_json = {
            id(flag): compact_json(flag.to_dict())
            for flag in (
                *(k.flag for q in self.questions for k in q.knockouts),
                *(r.flag for r in self.rules),
            )
        }
        self._layouts: dict[tuple[int, tuple[str, ...]], _SectionLayout] = {}
        self._patterns: dict[frozenset[str], list[_SectionLayout]] = {}
        self._entries: dict[tuple[str, float], tuple[dict, dict]] = {}
        self._hash_prefixes: dict[str, bytes] = {}

    # visibility

    def visible_values(self, answers: Mapping[str, AnswerInput]) -> dict[str, Any]:
        """{key: value} of the visible questions (None when unanswered): the
        definition's visibility rule (definition.Visibility.values)."""
        return self.visibility.values(_values(answers))

    def _visible(
        self, answers: Mapping[str, AnswerInput]
    ) -> tuple[dict[str, Any], frozenset[str], list[_SectionLayout]]:
        """The values of the answers to visible questions (what expressions see: a
        hidden question is unanswered), the questions hidden, and each section's layout."""
        values = _values(answers)
        hidden = self.visibility.hidden(values)
        for key in hidden:
            values.pop(key, None)
        for key, rule in self._derived:  # in order: one may use another
            if key not in hidden:
                values[key] = rule.value(values)
        layouts = self._patterns.get(hidden)
        if layouts is None:
            if len(self._patterns) >= PATTERN_MEMO_SIZE:
                self._patterns.clear()
            layouts = self._patterns[hidden] = [
                self._section_layout(index, hidden) for index in range(len(self.sections))
            ]
        return values, hidden, layouts

    def _section_layout(self, index: int, hidden: frozenset[str]) -> _SectionLayout:
        keys = tuple(q.key for q in self._conditional if q.section == index and q.key in hidden)
        layout = self._layouts.get((index, keys))
        if layout is None:
            layout = self._layouts[(index, keys)] = self._new_layout(index, set(keys))
        return layout

    def _new_layout(self, index: int, hidden: set[str]) -> _SectionLayout:
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
            _Row(
                slot.question.key,
                slot.by_answer,
                slot.question.risk if slot.question.numeric else None,
                slot.entries,
                slot,
            )
            for slot in slots
        )
        return _SectionLayout(sum(slot.weight for slot in slots), rows)

    # scoring

    def score(self, answers: Mapping[str, AnswerInput]) -> ScoreResult:
        """Score one response's answers (docs/scoring.md)."""
        entries, sums, flags = self._evaluate(answers)
        score, low, high, coverage = summary(*_totals(sums))
        return ScoreResult(
            engine_version=ENGINE_VERSION,
            profile_key=self.profile_key,
            score=score,
            low=low,
            high=high,
            coverage=coverage,
            tier=tier_for(score, flags),
            sections=section_scores([(s.key, s.title, s.weight) for s in self.sections], sums),
            flags=flags,
            terms=tuple(entry.term for entry in entries),
            encoded_terms=";".join(entry.encoded for entry in entries),
        )

    def stored(self, answers: Mapping[str, AnswerInput], inputs_hash: str) -> StoredScore:
        """What a ResponseScore row stores, without building a ScoreResult.

        `result` is the text of `score(answers).to_json()` (tests hold the two equal),
        written from pieces the plan prepared: rescoring thousands of responses spends
        its time here. `inputs_hash` is this plan's inputs_hash of the answers.
        """
        entries, sums, flags = self._evaluate(answers)
        numbers = summary(*_totals(sums))
        score, low, high, coverage = numbers
        tier = tier_for(score, flags)
        flag_json = self._flag_json
        text = result_json(
            self._json_head,
            numbers,
            tier,
            sections=self._sections_json,
            flags=[flag_json[id(flag)] for flag in flags],
            terms=[entry.json for entry in entries],
        )
        return StoredScore(
            self.profile_key,
            ENGINE_VERSION,
            inputs_hash,
            score,
            low,
            high,
            coverage,
            tier,
            len(flags),
            text,
        )

    def _evaluate(
        self, answers: Mapping[str, AnswerInput]
    ) -> tuple[list[_Entry], list[Sums], list[Flag]]:
        """The memo entry of every visible scored question, the per-section sums and
        the flags."""
        values, hidden, layouts = self._visible(answers)
        if self._derived:
            answers = self._with_derived(answers, values)
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
                answered += entry.answered
                risk_sum += entry.risk
                worst += entry.worst
                entries.append(entry)
            sums.append(Sums(answered, risk_sum, layout.visible, worst))
        return entries, sums, self._flags(values, hidden)

    def _with_derived(
        self, answers: Mapping[str, AnswerInput], values: Mapping[str, Any]
    ) -> dict[str, AnswerInput]:
        """The answers with each derived value as worked out, whatever is stored under
        its key (an answer carried forward from a version where it was typed in)."""
        answers = dict(answers)
        for key, _ in self._derived:
            value = values.get(key)
            if value is None:
                answers.pop(key, None)
            else:
                # Worked out, not claimed: a derived question asks for no documents.
                answers[key] = AnswerInput(value, "self_attested")
        return answers

    def _flags(self, values: dict[str, Any], hidden: frozenset[str]) -> list[Flag]:
        """The flags raised by the visible answers' `values` (as _visible gives them)."""
        flags: list[Flag] = []
        for q in self._with_knockouts:
            if q.key not in hidden:
                value = values.get(q.key)
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
        """Same as scoring.inputs_hash, with the profile's part prepared once."""
        prefix = self._hash_prefixes.get(definition_hash)
        if prefix is None:
            prefix = self._hash_prefixes[definition_hash] = hash_prefix(
                definition_hash, self.profile
            )
        return answers_hash(prefix, answers)


def _section_weight(profile_key: str, section: Mapping, weights: Mapping) -> float:
    weight = weights.get(section["key"], section["weight"])
    if not is_positive_weight(weight):
        raise ValueError(
            f"Profile {profile_key!r} gives section {section['key']!r} the weight "
            f"{weight!r}; a weight must be a positive number. Set it on the profile's page."
        )
    return float(weight)


def _totals(sums: list[Sums]) -> tuple[float, float, float, float]:
    answered = risk = visible = worst = 0.0
    for a, r, v, w in sums:
        answered += a
        risk += r
        visible += v
        worst += w
    return answered, risk, visible, worst


def _severity_order(flag: Flag) -> int:
    return -SEVERITY_RANK.get(flag.severity, 0)


def _knockout_fires(knockout: _Knockout, value: Any, values: Mapping[str, Any]) -> bool:
    if knockout.answers is None:
        assert knockout.when is not None  # a knock-out has answers or a condition
        return knockout.when(values)
    return not knockout.answers.isdisjoint(knockout.picks(value))


def _in_order(names: Iterable[str], order: list[str]) -> tuple[str, ...]:
    wanted = set(names)
    return tuple(key for key in order if key in wanted)


def _compile_knockout(
    question: Mapping[str, Any], index: int, knockout: Mapping, order: list[str]
) -> _Knockout:
    key = question["key"]
    when = knockout.get("when")
    depends: tuple[str, ...] = (key,)
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
        picks=(
            grid_picker(knockout.get("rows"), question)
            if question["type"] == "grid"
            else picker(question["type"])
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
