"""The decision pages of a report: framework coverage, the business case, baselines.

Shaped from questionnaires.decision.Decision, the data behind the admin's comparison
page (templates/admin/questionnaires/_decision_*.html), so the PDF and the page agree;
here the columns follow the report's vendor order (rank order) and every amount is
printed with its currency. No computation of coverage or savings happens here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ..business_case import BusinessCase
from ..comparison import Comparison, Row
from ..decision import STATUS_CSS, BusinessCaseRow, CoverageMatrix, Decision, QuestionRef
from ..definition import question_number_order
from ..display import shorten
from ..frameworks.vendor_coverage import (
    GAP,
    MET,
    NOT_APPLICABLE,
    PARTLY,
    STATUS_LABELS,
    STATUSES,
    UNANSWERED,
    UNVERIFIED,
)
from .summary import VendorSummary

QUESTION_LABEL_CHARS = 60
# What the verdict of a business case says, and the report's tint for it.
ASSUMED_ONLY = "Works only on the assumed rate"
RESTS_ON_UNVERIFIED = "Works only if unverified figures hold"
PAYS = "Pays on the verified figures"
DOES_NOT_PAY = "Does not pay on the verified figures"
NOT_KNOWN = "Not known: a figure is missing"


def status_css(status: str) -> str:
    """The report's tint of a coverage status: the comparison's risk tints, as the admin."""
    return STATUS_CSS[status].replace("risk-", "r-")


@dataclass(frozen=True)
class FrameworkCell:
    status: str
    label: str
    css: str


@dataclass(frozen=True)
class FrameworkRow:
    control_id: str
    title: str
    questions: tuple[str, ...]  # "Q12 Prompt injection defences"
    cells: tuple[FrameworkCell, ...]  # in the report's vendor order


@dataclass(frozen=True)
class FrameworkCounts:
    met: int
    partly: int
    gap: int
    open: int  # unanswered or unverified: what the vendor has not shown yet
    not_applicable: int

    @property
    def text(self) -> str:
        return f"{self.met} met · {self.partly} partly · {self.gap} gap · {self.open} open"


@dataclass(frozen=True)
class FrameworkPage:
    anchor: str
    key: str
    title: str
    short_title: str
    url: str
    rows: tuple[FrameworkRow, ...]
    counts: tuple[FrameworkCounts, ...]  # in the report's vendor order
    uncovered: int


@dataclass(frozen=True)
class CaseLine:
    vendor: str
    ranked: bool
    price: str
    price_source: str
    price_text: str  # the price and where it comes from, as one phrase
    contacts_assumed: str
    gross_assumed: str
    net_assumed: str
    contacts_verified: str
    gross_verified: str
    net_verified: str
    net_range: str
    # The same three amounts in whole units without the currency, for the summary (whose
    # header names it): one line per vendor keeps the summary to one page.
    glance_assumed: str
    glance_verified: str
    glance_range: str
    verdict: str
    css: str
    missing: tuple[str, ...]


def money(amount: Decimal | None, currency: str | None) -> str:
    """An amount as the reports print it: thousands grouped, cents, the currency after."""
    if amount is None:
        return "—"
    return f"{amount:,.2f}" + (f" {currency}" if currency else "")


def whole(amount: Decimal | None) -> str:
    """An amount in whole units of its currency (half up), thousands grouped."""
    if amount is None:
        return "—"
    return f"{amount.quantize(Decimal(1), rounding=ROUND_HALF_UP):,}"


def contacts(count: Decimal | None) -> str:
    return "—" if count is None else f"{count:,.0f} contacts"


def verdict(case: BusinessCase) -> tuple[str, str]:
    """The case's verdict in words and its tint, as the comparison page words it."""
    if case.assumed_only:
        return ASSUMED_ONLY, "r-severe"
    if case.rests_on_unverified:
        return RESTS_ON_UNVERIFIED, "r-high"
    if case.net_verified is not None and case.net_verified > 0:
        return PAYS, "r-low"
    if case.net_verified is not None:
        return DOES_NOT_PAY, "r-severe"
    return NOT_KNOWN, "r-unanswered"


def framework_counts(counts: dict[str, int]) -> FrameworkCounts:
    return FrameworkCounts(
        met=counts.get(MET, 0),
        partly=counts.get(PARTLY, 0),
        gap=counts.get(GAP, 0),
        open=counts.get(UNANSWERED, 0) + counts.get(UNVERIFIED, 0),
        not_applicable=counts.get(NOT_APPLICABLE, 0),
    )


def decision_report_context(
    decision: Decision | None, comparison: Comparison, vendors: Sequence[VendorSummary]
) -> dict[str, Any]:
    """The decision's part of the comparison's context (every key empty without one)."""
    if decision is None:
        return {
            "business_case": None,
            "framework_coverage": None,
            "framework_pages": [],
            "baseline_rows": [],
            "baseline_caveats": [],
            "framework_note": "",
            "glance": [],
            "business_case_missing": False,
        }
    order = [v.index for v in vendors]
    pages = [framework_page(matrix, order, n) for n, matrix in enumerate(decision.frameworks, 1)]
    cases = {row.response_id: row for row in decision.business_cases}
    lines = [case_line(cases[v.column.response_id], bool(v.rank)) for v in vendors]
    figures = decision.round_figures
    return {
        "business_case": None
        if not has_business_case(decision)
        else {
            "lines": lines,
            "currency": figures.currency,
            "volume": (
                f"{figures.yearly_contact_volume:,} contacts a year"
                if figures.yearly_contact_volume is not None
                else "not given"
            ),
            "human_cost": money(figures.human_contact_cost, figures.currency)
            if figures.human_contact_cost is not None
            else "not given",
        },
        "framework_coverage": {
            "pages": pages,
        }
        if pages
        else None,
        # The summary's glance: per ranked vendor, its case and its counts per framework.
        "glance": [
            {"vendor": v, "case": lines[i], "coverage": [page.counts[i] for page in pages]}
            for i, v in enumerate(vendors)
            if v.rank
        ],
        "business_case_missing": any(line.missing for line in lines),
        "framework_pages": pages,
        # The control and question columns take 36% of a framework page's width.
        "coverage_vendor_width": round(64 / max(1, len(vendors)), 3),
        "framework_note": framework_note(decision),
        "status_legend": [(STATUS_LABELS[s], status_css(s)) for s in STATUSES],
        "baseline_rows": baseline_rows(decision, comparison, vendors),
        "baseline_caveats": baseline_caveats(decision),
    }


def has_business_case(decision: Decision) -> bool:
    """Whether the round gives any of the case's figures (else there is no case to print)."""
    figures = decision.round_figures
    return (
        figures.yearly_contact_volume is not None
        or figures.human_contact_cost is not None
        or any(row.case.yearly_price is not None for row in decision.business_cases)
    )


def framework_page(matrix: CoverageMatrix, order: Sequence[int], number: int) -> FrameworkPage:
    rows = []
    for row in matrix.rows:
        questions: dict[str, QuestionRef] = {}
        for cell in row.cells:
            for item in cell.questions:
                questions[item.question.number] = item.question
        rows.append(
            FrameworkRow(
                control_id=row.control_id,
                title=row.title,
                questions=tuple(
                    f"Q{ref.number} {shorten(ref.text, QUESTION_LABEL_CHARS)}"
                    for _, ref in sorted(
                        questions.items(), key=lambda item: question_number_order(item[0])
                    )
                ),
                cells=tuple(
                    FrameworkCell(
                        status=row.cells[i].status,
                        label=row.cells[i].label,
                        css=status_css(row.cells[i].status),
                    )
                    for i in order
                ),
            )
        )
    framework = matrix.framework
    return FrameworkPage(
        anchor=f"framework-{number}",
        key=framework.key,
        title=framework.title,
        short_title=framework.short_title,
        url=framework.url,
        rows=tuple(rows),
        counts=tuple(framework_counts(matrix.counts[i]) for i in order) if matrix.counts else (),
        uncovered=matrix.uncovered,
    )


def framework_note(decision: Decision) -> str:
    """For the limitations: which frameworks the coverage is read against, if any."""
    unknown = (
        f" The round also names {', '.join(decision.unknown_frameworks)}, which no shipped "
        "framework catalogue holds, so it is not shown."
        if decision.unknown_frameworks
        else ""
    )
    if not decision.frameworks:
        return (
            "No framework was chosen for this round, so the report reads the answers "
            "against no control framework." + unknown
        )
    titles = ", ".join(matrix.framework.title for matrix in decision.frameworks)
    return (
        f"Coverage is read against the frameworks chosen for the round ({titles}) from "
        "the vendors' answers: a control is met on the answers, not on a test or an audit "
        "of the product." + unknown
    )


def case_line(row: BusinessCaseRow, ranked: bool) -> CaseLine:
    case = row.case
    words, css = verdict(case)
    currency = case.currency
    source = (
        "entered by an analyst"
        + (f"; the vendor prices {row.pricing_basis.lower()}" if row.pricing_basis else "")
        if case.yearly_price is not None
        else "unknown: no analyst's price"
        + (f"; the vendor prices {row.pricing_basis.lower()}" if row.pricing_basis else "")
    )
    return CaseLine(
        vendor=row.vendor_name,
        ranked=ranked,
        price=money(case.yearly_price, currency),
        price_source=source,
        price_text=f"{money(case.yearly_price, currency)}: {source}"
        if case.yearly_price is not None
        else source[0].upper() + source[1:],
        contacts_assumed=contacts(case.contacts_saved_assumed),
        gross_assumed=money(case.gross_assumed, currency),
        net_assumed=money(case.net_assumed, currency),
        contacts_verified=contacts(case.contacts_saved_verified),
        gross_verified=money(case.gross_verified, currency),
        net_verified=money(case.net_verified, currency),
        net_range=f"{money(case.net_verified_low, currency)} to "
        f"{money(case.net_verified_high, currency)}",
        glance_assumed=whole(case.net_assumed),
        glance_verified=whole(case.net_verified),
        glance_range=f"{whole(case.net_verified_low)} to {whole(case.net_verified_high)}",
        verdict=words,
        css=css,
        missing=case.missing,
    )


def baseline_rows(
    decision: Decision, comparison: Comparison, vendors: Sequence[VendorSummary]
) -> list[dict[str, Any]]:
    """Each baseline that applies to a question of the report, with each vendor's answer
    to those questions beside it."""
    rows: dict[str, Row] = {row.key: row for _, row in comparison.rows()}
    used = []
    for use in decision.baselines:
        questions = [ref for ref in use.questions if ref.key in rows]
        if not questions:
            continue
        used.append(
            {
                "baseline": use.baseline,
                "questions": [
                    {
                        "label": f"Q{ref.number} {ref.text}",
                        "answers": [_answer(rows[ref.key], v.index) for v in vendors],
                    }
                    for ref in questions
                ],
            }
        )
    return used


# What a baseline's table says where a vendor gives no figure.
NO_FIGURE = {
    "hidden": "not asked: an earlier answer skips it",
    "not_asked": "not in the vendor's version",
    "unanswered": "unanswered",
}


def _answer(row: Row, index: int) -> str:
    cell = row.cells[index]
    if cell.state == "answered":
        return str(cell.display)
    return NO_FIGURE.get(cell.state, cell.risk_word)


def baseline_caveats(decision: Decision) -> list[str]:
    """One sentence per baseline the report uses: its source and its caveat."""
    return [
        f"{use.baseline.title} ({use.baseline.publisher}, {use.baseline.date}), beside "
        f"{', '.join(f'Q{ref.number}' for ref in use.questions)}: {use.baseline.caveat}"
        for use in decision.baselines
        if use.questions
    ]
