"""What a response still lacks before it can be submitted: pure functions, no ORM.

The portal's overview, its section pages and the submit service all ask the same
question, so the rules live here once: a visible required question must be answered,
a visible answer whose risk reaches its question's `explain.min_risk`, or that picks a
choice asking for details, needs a comment,
and a visible answer carried forward from the vendor's earlier response must be
confirmed (or changed), required or not: until then it counts as still to do. Hidden
questions (their `show_if` is false) are neither required nor counted.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass, field
from typing import Any

from .definition import question_answered, visibility
from .expressions import is_answered
from .scoring import answer_risk


def explanation_prompt(question: Mapping[str, Any], value: Any) -> str | None:
    """What the comment must say for this answer, or None when a comment is optional.

    A chosen choice that asks for details ("name them") asks first; otherwise a figure
    risky enough that the questionnaire asks why (`explain.min_risk`); a declared answer
    such as "not measured" is not asked why.
    """
    if not is_answered(value):
        return None
    if question["type"] in ("single_choice", "multiple_choice"):
        chosen = set(value) if isinstance(value, list) else {value}
        for choice in question["choices"]:
            if "comment" in choice and choice["key"] in chosen:
                return choice["comment"]
    explain = question.get("explain")
    declared = {d["key"] for d in question.get("declared", ())}
    if not explain or (isinstance(value, str) and value in declared):
        return None  # a declared "not measured" has no figure to explain
    risk = answer_risk(question, value)
    return explain["prompt"] if risk is not None and risk >= explain["min_risk"] else None


def needs_explanation(question: Mapping[str, Any], value: Any) -> bool:
    """True when the answer needs a comment to be submitted (explanation_prompt)."""
    return explanation_prompt(question, value) is not None


def asks_for_explanation(question: Mapping[str, Any]) -> bool:
    """True when some answer to the question needs a comment."""
    return bool(question.get("explain")) or any("comment" in c for c in question["choices"])


@dataclass(frozen=True)
class MissingItem:
    section_key: str
    section_title: str
    question_key: str
    question_text: str
    # "answer": a required question is unanswered; "explanation": a comment is needed;
    # "unconfirmed": an answer carried forward is not confirmed yet.
    kind: str
    prompt: str = ""

    @property
    def message(self) -> str:
        if self.kind == "explanation":
            return f"Explain your answer: {self.prompt}"
        if self.kind == UNCONFIRMED:
            return UNCONFIRMED_MESSAGE
        return "This question needs an answer."


UNCONFIRMED = "unconfirmed"
UNCONFIRMED_MESSAGE = "Carried forward, not confirmed: confirm it or change it."


@dataclass
class SectionProgress:
    key: str
    title: str
    intro: str
    position: int
    answered: int = 0
    total: int = 0
    missing: list[MissingItem] = field(default_factory=list)
    # Visible answers carried forward and not confirmed yet (also in `missing`).
    unconfirmed: int = 0

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def percent(self) -> int:
        return round(100 * self.answered / self.total) if self.total else 100


@dataclass
class Completeness:
    sections: list[SectionProgress]
    visible: Set[str]

    @property
    def missing(self) -> list[MissingItem]:
        return [item for section in self.sections for item in section.missing]

    @property
    def answered(self) -> int:
        return sum(s.answered for s in self.sections)

    @property
    def total(self) -> int:
        return sum(s.total for s in self.sections)

    @property
    def unconfirmed(self) -> int:
        return sum(s.unconfirmed for s in self.sections)

    @property
    def complete(self) -> bool:
        return not self.missing

    def section(self, key: str) -> SectionProgress:
        return next(s for s in self.sections if s.key == key)


def completeness(
    definition: Mapping[str, Any],
    values: Mapping[str, Any],
    comments: Mapping[str, str],
    *,
    visible: Set[str] | None = None,
    unconfirmed: Set[str] = frozenset(),
) -> Completeness:
    """Progress per section and every missing item, in questionnaire order.

    `visible` saves working out again which questions these values show, when the
    caller already knows (its `values` then hold the derived values too, as
    Visibility.with_derived gives them). `unconfirmed`: the keys of answers carried
    forward and not confirmed; their values still decide what is shown, but each counts
    as still to do.
    """
    if visible is None:
        rule = visibility(definition)
        values = rule.with_derived(values)
        visible = rule.keys(values)
    sections = []
    for position, section in enumerate(definition["sections"]):
        progress = SectionProgress(
            key=section["key"], title=section["title"], intro=section["intro"], position=position
        )
        for question in section["questions"]:
            if question["key"] not in visible:
                continue
            progress.total += 1
            value = values.get(question["key"])
            if question["key"] in unconfirmed and is_answered(value):
                progress.unconfirmed += 1
                progress.missing.append(_missing(section, question, UNCONFIRMED))
                continue
            if question_answered(question, value):
                progress.answered += 1
            elif question["required"]:
                progress.missing.append(_missing(section, question, "answer"))
            prompt = explanation_prompt(question, value)
            if prompt is not None and not comments.get(question["key"], "").strip():
                progress.missing.append(_missing(section, question, "explanation", prompt))
        sections.append(progress)
    return Completeness(sections=sections, visible=visible)


def _missing(section: Mapping, question: Mapping, kind: str, prompt: str = "") -> MissingItem:
    return MissingItem(
        section_key=section["key"],
        section_title=section["title"],
        question_key=question["key"],
        question_text=question["text"],
        kind=kind,
        prompt=prompt,
    )
