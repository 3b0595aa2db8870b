"""Which framework controls a definition's questions cover (pure: plain data in and out).

A question names its controls in the definition's `controls` field (validated on import
against the catalogues, docs/questionnaire-format.md "Framework controls").
`coverage(definition)` turns that around, per framework: for each control, the questions
mapped to it; the controls in scope for a buyer that no question covers (the gaps a next
version of the questionnaire should close); and, across frameworks, the scored questions
that name no control at all. `question_controls(question)` resolves one question's
controls for people to read (the response page shows them beside the question).

A stored definition never changes but a catalogue may drop or rename a control later, so
IDs the catalogue no longer has are reported (`unknown`), never an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..definition import iter_questions
from . import Framework, catalogues


@dataclass(frozen=True)
class FrameworkCoverage:
    framework: Framework
    # Every control of the catalogue, in its order, with the keys of the questions mapped
    # to it in questionnaire order (empty when none is).
    questions: Mapping[str, tuple[str, ...]]
    # In-scope controls no question is mapped to.
    uncovered: tuple[str, ...]
    # Control IDs the definition names that the catalogue does not have, with their questions.
    unknown: Mapping[str, tuple[str, ...]]

    @property
    def covered(self) -> tuple[str, ...]:
        return tuple(control_id for control_id, keys in self.questions.items() if keys)

    @property
    def in_scope(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.framework.controls.values() if c.in_scope)


@dataclass(frozen=True)
class Coverage:
    frameworks: Mapping[str, FrameworkCoverage]  # by framework key, in catalogue order
    # Scored questions (a `scoring` in the definition) that name no control of any framework.
    unmapped_scored: tuple[str, ...]
    # Framework keys the definition names that no catalogue has, with their questions.
    unknown_frameworks: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class ControlRef:
    """One control a question names, as people read it."""

    framework: str  # the framework's short title
    id: str
    title: str  # "" when the catalogue no longer has the control


def coverage(
    definition: Mapping[str, Any], frameworks: Mapping[str, Framework] | None = None
) -> Coverage:
    """The definition's coverage of every catalogue (the shipped ones unless given)."""
    frameworks = catalogues() if frameworks is None else frameworks
    mapped: dict[str, dict[str, list[str]]] = {}  # framework key -> control ID -> keys
    unmapped_scored = []
    for _, question in iter_questions(definition):
        controls = question.get("controls") or {}
        for framework_key, control_ids in controls.items():
            for control_id in control_ids:
                keys = mapped.setdefault(framework_key, {}).setdefault(control_id, [])
                keys.append(question["key"])
        if question["scoring"] is not None and not any(controls.values()):
            unmapped_scored.append(question["key"])
    return Coverage(
        frameworks={
            key: _framework_coverage(framework, mapped.get(key, {}))
            for key, framework in frameworks.items()
        },
        unmapped_scored=tuple(unmapped_scored),
        unknown_frameworks={
            key: tuple(dict.fromkeys(k for keys in by_id.values() for k in keys))
            for key, by_id in mapped.items()
            if key not in frameworks
        },
    )


def question_controls(
    question: Mapping[str, Any], frameworks: Mapping[str, Framework] | None = None
) -> list[ControlRef]:
    """The controls a question names, in the order the definition lists them."""
    frameworks = catalogues() if frameworks is None else frameworks
    refs = []
    for framework_key, control_ids in (question.get("controls") or {}).items():
        framework = frameworks.get(framework_key)
        for control_id in control_ids:
            control = framework.controls.get(control_id) if framework else None
            refs.append(
                ControlRef(
                    framework=framework.short_title if framework else framework_key,
                    id=control_id,
                    title=control.title if control else "",
                )
            )
    return refs


def controls_by_question(definition: Mapping[str, Any]) -> dict[str, list[ControlRef]]:
    """{question key: its controls} for the questions that name any."""
    by_key = {}
    for _, question in iter_questions(definition):
        if refs := question_controls(question):
            by_key[question["key"]] = refs
    return by_key


def _framework_coverage(framework: Framework, mapped: dict[str, list[str]]) -> FrameworkCoverage:
    questions = {control_id: tuple(mapped.get(control_id, ())) for control_id in framework.controls}
    return FrameworkCoverage(
        framework=framework,
        questions=questions,
        uncovered=tuple(
            c.id for c in framework.controls.values() if c.in_scope and not questions[c.id]
        ),
        unknown={
            control_id: tuple(keys)
            for control_id, keys in mapped.items()
            if control_id not in framework.controls
        },
    )
