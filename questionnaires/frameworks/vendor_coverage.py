"""How far each vendor meets the framework controls its questions map to (pure).

coverage.py says which questions a definition maps to each control; this module reads
one vendor's answers to those questions and gives each control a status. The rules
live here and nowhere else, and docs/scoring.md ("Framework coverage per vendor")
restates them:

A question, for one vendor, is
- not counted when it is hidden by the vendor's earlier answers or not asked by its
  version (absent from `answers`): it applies to nobody's coverage;
- **unanswered** when it is visible and has no answer;
- a **gap** when its answer's risk is high (r >= 0.5, the "high" and "severe" risk words
  of the comparison), evidence or not: a weakness needs no proof;
- **partly met** when its risk is moderate (0.25 <= r < 0.5);
- **unverified** when its risk is low (or it is not scored) but it asks for evidence
  and an analyst has not verified it (self-attested, or a document not yet checked);
- **met** when its risk is low (r < 0.25), or it is not scored and answered (a
  disclosure or a count), and verified where it asks for evidence.

A control, for one vendor, from its counted questions, the first that applies:
1. not applicable: no question counts (all hidden or not asked);
2. gap: any question is a gap;
3. met: every question is met;
4. partly met: any question is met or partly met;
5. unverified: any question is unverified (the rest unanswered);
6. unanswered: nothing is answered.

Inputs are plain data: the definition (for the mapping), and per question key an
`AnswerState` (answered, risk, evidence level, whether evidence is requested), which
questionnaires/decision.py reads from the comparison's cells (Cell.risk is the scoring
engine's risk of the answer).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..scoring import HIGH_FROM, MODERATE_FROM
from . import Framework, catalogues
from .coverage import coverage

# The risk cut points of the tiers and of the comparison's risk words, as risks in [0, 1].
LOW_BELOW = MODERATE_FROM / 100
GAP_FROM = HIGH_FROM / 100

MET = "met"
PARTLY = "partly_met"
GAP = "gap"
UNVERIFIED = "unverified"
UNANSWERED = "unanswered"
NOT_APPLICABLE = "not_applicable"
# In the order a reader scans a matrix: best first.
STATUSES = (MET, PARTLY, UNVERIFIED, UNANSWERED, GAP, NOT_APPLICABLE)
STATUS_LABELS = {
    MET: "Met",
    PARTLY: "Partly met",
    GAP: "Gap",
    UNVERIFIED: "Unverified",
    UNANSWERED: "Unanswered",
    NOT_APPLICABLE: "Not applicable",
}


@dataclass(frozen=True)
class AnswerState:
    """One vendor's answer to one visible question, as coverage needs it."""

    answered: bool
    risk: float | None = None  # None: not scored (or unanswered)
    evidence_level: str = "self_attested"
    evidence_requested: bool = False


@dataclass(frozen=True)
class QuestionStatus:
    key: str
    status: str
    risk: float | None


@dataclass(frozen=True)
class ControlStatus:
    control_id: str
    title: str
    status: str
    questions: tuple[QuestionStatus, ...]  # the counted questions behind the status

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass(frozen=True)
class VendorFrameworkCoverage:
    framework: Framework
    controls: tuple[ControlStatus, ...]  # the controls questions map to, catalogue order
    uncovered: tuple[str, ...]  # in-scope controls no question maps to

    @property
    def counts(self) -> dict[str, int]:
        """{status: number of controls}, every status present (0 when none)."""
        found = Counter(c.status for c in self.controls)
        return {status: found.get(status, 0) for status in STATUSES}


def question_status(state: AnswerState) -> str:
    """The status of one counted question (the rules in the module's docstring)."""
    if not state.answered:
        return UNANSWERED
    if state.risk is not None and state.risk >= GAP_FROM:
        return GAP
    if state.risk is not None and state.risk >= LOW_BELOW:
        return PARTLY
    if state.evidence_requested and state.evidence_level != "verified":
        return UNVERIFIED
    return MET


def control_status(statuses: Iterable[str]) -> str:
    """The status of a control from its counted questions' statuses."""
    found = set(statuses)
    if not found:
        return NOT_APPLICABLE
    if GAP in found:
        return GAP
    if found == {MET}:
        return MET
    if found & {MET, PARTLY}:
        return PARTLY
    if UNVERIFIED in found:
        return UNVERIFIED
    return UNANSWERED


def vendor_coverage(
    definition: Mapping[str, Any],
    answers: Mapping[str, AnswerState],
    framework_keys: Iterable[str] | None = None,
    frameworks: Mapping[str, Framework] | None = None,
) -> dict[str, VendorFrameworkCoverage]:
    """One vendor's coverage of each framework (all catalogues unless `framework_keys`).

    `answers`: the vendor's visible questions by key; a key missing is a question hidden
    or not asked. Keys of frameworks no catalogue has are skipped.
    """
    frameworks = catalogues() if frameworks is None else frameworks
    mapped = coverage(definition, frameworks).frameworks
    keys = list(frameworks) if framework_keys is None else list(framework_keys)
    result = {}
    for key in keys:
        if key not in mapped:
            continue
        framework_coverage = mapped[key]
        controls = []
        for control_id, question_keys in framework_coverage.questions.items():
            if not question_keys:
                continue
            questions = tuple(
                QuestionStatus(key=q, status=question_status(answers[q]), risk=answers[q].risk)
                for q in question_keys
                if q in answers
            )
            controls.append(
                ControlStatus(
                    control_id=control_id,
                    title=framework_coverage.framework.controls[control_id].title,
                    status=control_status(q.status for q in questions),
                    questions=questions,
                )
            )
        result[key] = VendorFrameworkCoverage(
            framework=framework_coverage.framework,
            controls=tuple(controls),
            uncovered=framework_coverage.uncovered,
        )
    return result
