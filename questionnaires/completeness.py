"""What a response still lacks before it can be submitted: pure functions, no ORM.

The portal's overview, its section pages and the submit service all ask the same
question, so the rules live here once: a visible required question must be answered,
and a visible answer whose risk reaches its question's `explain.min_risk` needs a
comment. Hidden questions (their `show_if` is false) are neither required nor counted.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass, field
from typing import Any

from .definition import visible_question_keys
from .expressions import is_answered
from .scoring import answer_risk


def needs_explanation(question: Mapping[str, Any], value: Any) -> bool:
    """True when the answer is risky enough that the questionnaire asks why."""
    explain = question.get("explain")
    if not explain or not is_answered(value):
        return False
    risk = answer_risk(question, value)
    return risk is not None and risk >= explain["min_risk"]


@dataclass(frozen=True)
class MissingItem:
    section_key: str
    section_title: str
    question_key: str
    question_text: str
    # "answer": a required question is unanswered; "explanation": a comment is needed.
    kind: str
    prompt: str = ""

    @property
    def message(self) -> str:
        if self.kind == "explanation":
            return f"Explain your answer: {self.prompt}"
        return "This question needs an answer."


@dataclass
class SectionProgress:
    key: str
    title: str
    intro: str
    position: int
    answered: int = 0
    total: int = 0
    missing: list[MissingItem] = field(default_factory=list)

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
) -> Completeness:
    """Progress per section and every missing item, in questionnaire order.

    `visible` saves working out again which questions these values show, when the
    caller already knows.
    """
    if visible is None:
        visible = visible_question_keys(dict(definition), dict(values))
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
            if is_answered(value):
                progress.answered += 1
            elif question["required"]:
                progress.missing.append(_missing(section, question, "answer"))
            if needs_explanation(question, value) and not comments.get(question["key"], "").strip():
                progress.missing.append(
                    _missing(section, question, "explanation", question["explain"]["prompt"])
                )
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
