"""The data behind the buyer's decision, for a round's comparison: framework coverage per
vendor, each vendor's business case stress-tested, and the industry baselines that apply
to the questions.

`decision_data(selection, comparison)` reads what the pure modules need from the
comparison (each answer's risk, as the scoring engine gives it in Cell.risk, its
evidence level and value) and from the round (frameworks, volume, cost of a human
contact, currency, the analysts' prices), and returns a `Decision`; the comparison
page's include templates (templates/admin/questionnaires/_decision_*.html) read it as
`decision` from `decision_context(selection, comparison)`. The rules are in
questionnaires/frameworks/vendor_coverage.py and questionnaires/business_case.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .baselines import Baseline, baselines, baselines_by_question
from .business_case import (
    ASSUMED_RATE_KEY,
    PRICING_BASIS_KEY,
    REPEAT_RATE_KEY,
    VERIFIED_RATE_KEY,
    BusinessCase,
    RoundFigures,
    business_case,
    vendor_figures,
)
from .comparison import Comparison, Row, build_comparison
from .definition import iter_questions, question_numbers
from .frameworks import Framework, catalogues
from .frameworks.vendor_coverage import (
    GAP,
    MET,
    NOT_APPLICABLE,
    PARTLY,
    STATUS_LABELS,
    UNANSWERED,
    UNVERIFIED,
    AnswerState,
    ControlStatus,
    vendor_coverage,
)
from .models import QuestionnaireVersion, Response, Selection
from .rounds import round_currency

# The comparison's risk colours, reused for the coverage statuses.
STATUS_CSS = {
    MET: "risk-low",
    PARTLY: "risk-moderate",
    UNVERIFIED: "risk-high",
    GAP: "risk-severe",
    UNANSWERED: "risk-unanswered",
    NOT_APPLICABLE: "risk-hidden",
}


@dataclass(frozen=True)
class QuestionRef:
    number: str  # "3.6", by section, as the portal and the reports number it
    key: str
    text: str

    @property
    def label(self) -> str:
        return f"Q{self.number} {self.text}"


@dataclass(frozen=True)
class CoverageQuestion:
    question: QuestionRef
    status: str

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass(frozen=True)
class CoverageCell:
    status: str
    questions: tuple[CoverageQuestion, ...]  # the questions behind the status

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def css_class(self) -> str:
        return STATUS_CSS[self.status]


@dataclass(frozen=True)
class CoverageRow:
    control_id: str
    title: str
    cells: tuple[CoverageCell, ...]  # one per vendor, in the comparison's order


@dataclass(frozen=True)
class CoverageMatrix:
    framework: Framework
    vendors: tuple[str, ...]
    rows: tuple[CoverageRow, ...]  # the controls questions map to, in catalogue order
    counts: tuple[dict[str, int], ...]  # per vendor: {status: controls}
    uncovered: int  # in-scope controls no question maps to


@dataclass(frozen=True)
class BusinessCaseRow:
    response_id: int
    vendor_name: str
    pricing_basis: str  # the vendor's answer on the unit of its price, as displayed
    case: BusinessCase


@dataclass(frozen=True)
class BaselineUse:
    baseline: Baseline
    questions: tuple[QuestionRef, ...]  # the questions of this questionnaire it applies to


@dataclass(frozen=True)
class Decision:
    frameworks: tuple[CoverageMatrix, ...]  # the round's chosen frameworks, in its order
    unknown_frameworks: tuple[str, ...]  # chosen keys no catalogue has (any more)
    round_figures: RoundFigures
    business_cases: tuple[BusinessCaseRow, ...]
    baselines: tuple[BaselineUse, ...]
    # {question key: its baselines}, for a page that shows them beside the question.
    baselines_by_question: Mapping[str, tuple[Baseline, ...]]


def decision_context(selection: Selection, comparison: Comparison) -> dict[str, Any]:
    """The template context the _decision_*.html includes read: {"decision": Decision}."""
    return {"decision": decision_data(selection, comparison)}


def decision_data(selection: Selection, comparison: Comparison) -> Decision:
    """Coverage, business cases and baselines for the round's compared vendors."""
    prices: dict[int, Decimal | None] = dict(
        Response.objects.filter(pk__in=comparison.response_ids).values_list(
            "pk", "analyst_yearly_price"
        )
    )
    return decision_from_values(
        _definition(selection, comparison),
        comparison,
        frameworks=selection.frameworks or [],
        yearly_contact_volume=selection.yearly_contact_volume,
        human_contact_cost=selection.human_contact_cost,
        currency=round_currency(selection),
        prices=prices,
    )


def decision_from_values(
    definition: Mapping[str, Any],
    comparison: Comparison,
    *,
    frameworks: Sequence[Any],
    yearly_contact_volume: int | None,
    human_contact_cost: Decimal | None,
    currency: str | None,
    prices: Mapping[int, Decimal | None],
) -> Decision:
    """decision_data from plain values rather than a round (the reports pass those of
    their snapshot, so that a PDF shows what it was rendered from); `prices` holds each
    response's analyst yearly price by response id.

    A comparison filtered to differences or flags lacks rows coverage needs: it is built
    again, whole (without the ranking's robustness, which nothing here reads).
    """
    if comparison.differences_only or comparison.flagged_only:
        comparison = build_comparison(
            comparison.response_ids, profile_key=comparison.profile_key, robustness=False
        )
    refs = _question_refs(definition)
    states = [_answer_states(comparison, i) for i in range(len(comparison.vendors))]
    names = tuple(v.vendor_name for v in comparison.vendors)
    chosen = [key for key in frameworks if isinstance(key, str)]
    known = catalogues()
    figures = RoundFigures(
        yearly_contact_volume=yearly_contact_volume,
        human_contact_cost=human_contact_cost,
        currency=currency,
    )
    return Decision(
        frameworks=tuple(
            _matrix(definition, key, names, states, refs) for key in chosen if key in known
        ),
        unknown_frameworks=tuple(key for key in chosen if key not in known),
        round_figures=figures,
        business_cases=_business_cases(comparison, figures, prices),
        baselines=_baseline_uses(definition, refs),
        baselines_by_question=baselines_by_question(definition),
    )


def _definition(selection: Selection, comparison: Comparison) -> Mapping[str, Any]:
    """The round's version's definition; for a round from before rounds had a version,
    the newest version its responses answer."""
    if selection.version is not None:
        return selection.version.definition
    version = (
        QuestionnaireVersion.objects.filter(responses__in=comparison.response_ids)
        .order_by("-number")
        .first()
    )
    return version.definition if version else {"sections": []}


def _question_refs(definition: Mapping[str, Any]) -> dict[str, QuestionRef]:
    numbers = question_numbers(definition)
    return {
        question["key"]: QuestionRef(
            number=numbers[question["key"]], key=question["key"], text=question["text"]
        )
        for _, question in iter_questions(definition)
    }


def _answer_states(comparison: Comparison, index: int) -> dict[str, AnswerState]:
    """One vendor's visible questions as coverage reads them (hidden and not-asked ones
    left out, so that they count nowhere)."""
    states = {}
    for _, row in comparison.rows():
        cell = row.cells[index]
        if cell.state in ("hidden", "not_asked"):
            continue
        states[row.key] = AnswerState(
            answered=cell.state == "answered",
            risk=cell.risk,
            evidence_level=cell.evidence_level or "self_attested",
            evidence_requested=row.evidence_requested,
        )
    return states


def _matrix(
    definition: Mapping[str, Any],
    framework_key: str,
    names: tuple[str, ...],
    states: list[dict[str, AnswerState]],
    refs: Mapping[str, QuestionRef],
) -> CoverageMatrix:
    per_vendor = [vendor_coverage(definition, s, [framework_key])[framework_key] for s in states]
    framework = catalogues()[framework_key]
    if not per_vendor:
        return CoverageMatrix(framework, names, (), (), 0)
    rows = []
    for i, control in enumerate(per_vendor[0].controls):
        cells = tuple(_cell(vendor.controls[i], refs) for vendor in per_vendor)
        rows.append(CoverageRow(control_id=control.control_id, title=control.title, cells=cells))
    return CoverageMatrix(
        framework=framework,
        vendors=names,
        rows=tuple(rows),
        counts=tuple(vendor.counts for vendor in per_vendor),
        uncovered=len(per_vendor[0].uncovered),
    )


def _cell(control: ControlStatus, refs: Mapping[str, QuestionRef]) -> CoverageCell:
    return CoverageCell(
        status=control.status,
        questions=tuple(
            CoverageQuestion(question=refs[q.key], status=q.status)
            for q in control.questions
            if q.key in refs
        ),
    )


def _business_cases(
    comparison: Comparison, figures: RoundFigures, prices: Mapping[int, Decimal | None]
) -> tuple[BusinessCaseRow, ...]:
    wanted = {ASSUMED_RATE_KEY, VERIFIED_RATE_KEY, REPEAT_RATE_KEY, PRICING_BASIS_KEY}
    rows = [row for _, row in comparison.rows() if row.key in wanted]
    cases = []
    for index, vendor in enumerate(comparison.vendors):
        answers = {
            row.key: (row.cells[index].value, row.cells[index].evidence_level)
            for row in rows
            if row.cells[index].state == "answered"
        }
        cases.append(
            BusinessCaseRow(
                response_id=vendor.response_id,
                vendor_name=vendor.vendor_name,
                pricing_basis=_display(rows, PRICING_BASIS_KEY, index),
                case=business_case(
                    figures, vendor_figures(answers, prices.get(vendor.response_id))
                ),
            )
        )
    return tuple(cases)


def _display(rows: list[Row], key: str, index: int) -> str:
    for row in rows:
        if row.key == key and row.cells[index].state == "answered":
            return str(row.cells[index].display)
    return ""


def _baseline_uses(
    definition: Mapping[str, Any], refs: Mapping[str, QuestionRef]
) -> tuple[BaselineUse, ...]:
    return tuple(
        BaselineUse(
            baseline=baseline,
            questions=tuple(refs[key] for key in baseline.questions if key in refs),
        )
        for baseline in baselines()
    )
