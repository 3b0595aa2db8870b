"""CSV and XLSX exports of a comparison, for analysts (docs/comparison.md lists every column).

Three tables, built once and written in either format:

- summary: one row per vendor, in rank order, with the effective score (the analyst's
  override where there is one) and the computed one;
- answers: one row per vendor and question, with the answer's risk, evidence and comment;
- matrix: one row per vendor, one column per question (a grid question: one per grid row).

The XLSX has them as sheets, plus a *Questions* key with each question's full text; CSV,
being one table per file, offers them as three downloads. A round's XLSX (the caller
passes the round, having checked that the user may see it: view_selection) also has the
data behind the buyer's decision (questionnaires/decision.py): a sheet per framework the
round chose, each control's status per vendor, and a *Business case* sheet, each
vendor's case stress-tested.

Numbers are numbers and dates are dates. In XLSX they carry a number format (a
percentage is stored as a fraction with a percent format: 12% is 0.12 shown "12.0%"; an
amount of money has the round's currency code in its format); in CSV they are raw: dot
decimal, no thousands separator, a percentage as its number of percent (12), the unit in
the header or in the answers' Unit column, a date as YYYY-MM-DD.

Cells are written as text, never as formulas (docs/security.md, "Spreadsheet formulas").
In CSV a text that a spreadsheet would evaluate (starting with =, +, -, @, tab, carriage
return or line feed, or their full-width forms) gets a leading apostrophe, and so does
every such start after a semicolon or a line break inside it: where the locale's list
separator is a semicolon, spreadsheets split a comma-separated line at every semicolon,
quotes or not, so "x;=cmd" would open as two cells. Numbers stay numbers, and so does
text that is only a number ("-3.5", "-1,200", "-12%"). In XLSX strings are stored as
strings, marked to stay text when edited.

The override's internal note (`override_justification`) is for analysts: these exports
are admin downloads for analysts, so they carry it, headed "Internal note (analysts
only)", beside the reason for the buyer (`override_reason`).
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.text import slugify
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell, MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from .comparison import Cell as ComparisonCell
from .comparison import Comparison, Row
from .decision import CoverageCell, CoverageMatrix, Decision, decision_data
from .definition import iter_questions, question_number_order
from .display import unit_label, unit_of
from .frameworks.vendor_coverage import STATUS_LABELS, STATUSES
from .models import QuestionnaireVersion, Response, ResponseScore, Selection
from .reports.summary import numbered_rows, ranked_vendors
from .rounds import round_currency

# Characters that make a spreadsheet treat a cell as a formula (the full-width forms
# too: some spreadsheets read them as the ASCII ones).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# Where a spreadsheet may start another cell inside a CSV text: a semicolon (the list
# separator of many locales, which splits a line whatever its quotes), a line break,
# each with any quotes after it.
_CELL_STARTS_INSIDE = re.compile('([;\r\n]"*)(?=[' + re.escape("".join(FORMULA_TRIGGERS)) + "])")
# Text that is only a number, as the displays write them: left as it is.
_PLAIN_NUMBER = re.compile(r"-?(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)(?:\.[0-9]+)?%?", re.ASCII)
# A currency code safe to put inside a number format.
_CURRENCY_CODE = re.compile(r"[A-Z]{3}")

CSV_PARTS = ("answers", "summary", "matrix")

# Headers stay short; the full text is in the header's comment and the Questions sheet.
MAX_HEADER = 40
# Column widths in characters; long text wraps instead of stretching the sheet.
MIN_WIDTH = 8
MAX_WIDTH = 60
# A header wraps rather than widen a column of short values past this.
HEADER_WIDTH = 24

# XLSX number formats.
SCORE_FORMAT = "0.0"
RISK_FORMAT = "0.00"
POINTS_FORMAT = "0.00"
PERCENT_FORMAT = "0.0%"
WHOLE_FORMAT = "#,##0"
DECIMAL_FORMAT = "#,##0.0#"
DATE_FORMAT = "yyyy-mm-dd"
INTERNAL_NOTE = "Internal note (analysts only)"


@dataclass(frozen=True, slots=True)
class Figure:
    """A number or a date: raw in CSV; typed, with a number format, in XLSX."""

    raw: int | float | datetime.date
    number_format: str
    stored: int | float | None = None  # what the workbook stores when it differs (a fraction)

    @property
    def csv(self) -> Any:
        return self.raw.isoformat() if isinstance(self.raw, datetime.date) else self.raw

    @property
    def xlsx(self) -> Any:
        return self.raw if self.stored is None else self.stored


@dataclass(frozen=True, slots=True)
class Column:
    header: str
    note: str = ""  # the full text behind a short header (a comment in XLSX)
    wrap: bool = False  # long text: wraps within a bounded width


@dataclass(frozen=True)
class Table:
    name: str  # the XLSX sheet's name
    columns: list[Column]
    rows: list[list[Any]]
    # XLSX only, below the table and outside its filter: totals (a blank row before them)
    # and notes (one text each, after another blank row; not counted in column widths).
    totals: list[list[Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]


# What an export reads besides the comparison -------------------------------------------


@dataclass(frozen=True)
class RoundOf:
    name: str
    currency: str | None
    submitted: datetime.date | None


@dataclass(frozen=True)
class ExportFacts:
    """What the comparison does not carry: each response's round, the override's reason
    for the buyer, the questions' definitions, the vendors' ranks and Q numbers."""

    rounds: Mapping[int, RoundOf]
    reasons: Mapping[int, str]
    questions: Mapping[str, Mapping[str, Any]]
    order: list[int]  # vendor indexes, best rank first
    ranks: Mapping[int, int]  # vendor index -> rank
    numbers: Mapping[str, str]  # question key -> its number ("3.6"), as the portal numbers it

    def round(self, response_id: int) -> RoundOf:
        return self.rounds.get(response_id, RoundOf("", None, None))


def export_facts(comparison: Comparison) -> ExportFacts:
    """Three queries, however many vendors and questions."""
    ids = comparison.response_ids
    ranked = ranked_vendors(comparison)
    return ExportFacts(
        rounds=_rounds(ids),
        reasons=dict(
            ResponseScore.objects.filter(
                response_id__in=ids, profile_key=comparison.profile_key
            ).values_list("response_id", "override_reason")
        ),
        questions=_questions(comparison),
        order=[v.index for v in ranked],
        ranks={v.index: v.rank for v in ranked},
        numbers={key: number for key, (number, _) in numbered_rows(comparison).items()},
    )


def _rounds(ids: Sequence[int]) -> dict[int, RoundOf]:
    responses = Response.objects.filter(pk__in=ids).select_related("selection")
    return {
        r.pk: RoundOf(
            name=r.selection.name if r.selection else "",
            currency=round_currency(r.selection),
            submitted=timezone.localdate(r.submitted_at) if r.submitted_at else None,
        )
        for r in responses.only(
            "id", "submitted_at", "selection__name", "selection__buyer_currency"
        )
    }


def _questions(comparison: Comparison) -> dict[str, Mapping[str, Any]]:
    """Each question as the newest compared version asks it (what older ones alone ask)."""
    versions = QuestionnaireVersion.objects.filter(
        questionnaire_id=comparison.questionnaire_id, number__in=comparison.version_numbers
    ).order_by("-number")
    questions: dict[str, Mapping[str, Any]] = {}
    for version in versions.only("definition"):
        for _, question in iter_questions(version.definition):
            questions.setdefault(question["key"], question)
    return questions


# Values --------------------------------------------------------------------------------


def score(value: float | None) -> Figure | None:
    return None if value is None else Figure(round(value, 1), SCORE_FORMAT)


def percent(value: float | None, digits: int | None = 1) -> Figure | None:
    """A percentage given in percent (12 for 12%): a fraction in XLSX, percent in CSV;
    rounded to `digits` (None: as given)."""
    if value is None:
        return None
    raw = value if digits is None else round(value, digits)
    return Figure(raw, PERCENT_FORMAT, stored=round(raw / 100, 12))


def whole(value: int | None) -> Figure | None:
    return None if value is None else Figure(value, WHOLE_FORMAT)


def day(value: datetime.date | None) -> Figure | None:
    return None if value is None else Figure(value, DATE_FORMAT)


def answer_value(
    question: Mapping[str, Any] | None, cell: ComparisonCell, currency: str | None
) -> Any:
    """An answered cell's value as data: a number (in its question's unit) or a date as a
    Figure, anything else (choices, yes/no, text, a declared "not measured", a grid) as
    the text the comparison shows."""
    value = cell.value
    if question is None:
        return cell.display
    kind = question["type"]
    if kind in ("integer", "decimal", "percentage") and _is_number(value):
        unit = unit_of(question)
        if unit == "percent":
            return percent(value, digits=None)
        if unit == "currency" and currency and _CURRENCY_CODE.fullmatch(currency):
            fmt = WHOLE_FORMAT if float(value).is_integer() else "#,##0.00"
            return Figure(value, f'"{currency}" {fmt}')
        return Figure(value, WHOLE_FORMAT if kind == "integer" else DECIMAL_FORMAT)
    if kind == "date":
        try:
            return day(datetime.date.fromisoformat(str(value)))
        except ValueError:
            return cell.display
    return cell.display


def answer_unit(question: Mapping[str, Any] | None, value: Any, currency: str | None) -> str:
    if question is None or not isinstance(value, Figure) or question["type"] == "date":
        return ""
    return unit_label(question, currency)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def short_header(prefix: str, text: str, suffix: str = "") -> str:
    """`Q3 Share of those deployments… (%)`: at most MAX_HEADER characters, cut at a
    word where one is near (the full text is in the header's comment)."""
    budget = max(MAX_HEADER - len(prefix) - len(suffix) - 2, 8)
    label = " ".join(str(text).split())
    if len(label) > budget:
        cut = label[: budget - 1]
        space = cut.rfind(" ")
        label = (cut[:space] if space >= budget // 2 else cut).rstrip(" ,;:-") + "…"
    return " ".join(p for p in (prefix, label, suffix) if p)[:MAX_HEADER]


# Summary: one row per vendor ------------------------------------------------------------

SUMMARY_COLUMNS = (
    Column("Vendor"),
    Column(
        "Rank",
        "1 is the lowest risk: a critical tier ranks below every other, no score last; "
        "empty for a vendor that has not handed its response over (not ranked)",
    ),
    Column("Product"),
    Column("Round"),
    Column("Response ID"),
    Column("Version"),
    Column("Status"),
    Column("Submitted"),
    Column("Profile"),
    Column("Score (0-100)", "The effective score: the analyst's override if any, else computed"),
    Column("Tier", "The effective tier: the analyst's override if any, else computed"),
    Column("Overridden"),
    Column("Computed score"),
    Column("Low"),
    Column("High"),
    Column("Computed tier"),
    Column("Coverage (%)", "Share of the scored weight answered"),
    Column("Flags"),
    Column("Flag titles", wrap=True),
    Column("Override reason", "The analyst's reason for the buyer", wrap=True),
    Column(INTERNAL_NOTE, "The override's internal justification: never for the buyer", wrap=True),
)


def summary_table(comparison: Comparison, facts: ExportFacts) -> Table:
    columns = list(SUMMARY_COLUMNS) + [
        Column(short_header("Section:", s.title), f"Section score: {s.title}")
        for s in comparison.sections
    ]
    rows = []
    for index in facts.order:
        vendor, result = comparison.vendors[index], comparison.vendors[index].result
        round_of = facts.round(vendor.response_id)
        rows.append(
            [
                vendor.vendor_name,
                whole(facts.ranks[index] or None),
                vendor.product,
                round_of.name,
                whole(vendor.response_id),
                whole(vendor.version_number),
                vendor.status_label,
                day(round_of.submitted),
                comparison.profile_title,
                score(vendor.effective_score),
                vendor.effective_tier,
                _yes_no(vendor.is_overridden),
                score(result.score),
                score(result.low),
                score(result.high),
                result.tier,
                percent(result.coverage * 100),
                whole(len(vendor.flags)),
                "; ".join(f"{f.title} ({f.severity})" for f in vendor.flags),
                facts.reasons.get(vendor.response_id, "") if vendor.is_overridden else "",
                vendor.override_justification if vendor.is_overridden else "",
                *(
                    score(subtotal.score) if (subtotal := s.subtotals[index]) else None
                    for s in comparison.sections
                ),
            ]
        )
    return Table("Summary", columns, rows)


# Answers: one row per vendor and question -----------------------------------------------

ANSWER_COLUMNS = (
    Column("Vendor"),
    Column("Product"),
    Column("Round"),
    Column("Response ID"),
    Column("Version"),
    Column("Section"),
    Column("No.", "The question's number, as the reports number it"),
    Column("Question key"),
    Column("Question", wrap=True),
    Column("Answer", "Numbers and dates as such, in the Unit column's unit", wrap=True),
    Column("Unit"),
    Column("Answer state"),
    Column("Risk (0-1)"),
    Column("Risk level"),
    Column("Risk points", "Points this answer adds to the 0-100 score"),
    Column("Evidence level"),
    Column("Evidence files"),
    Column("Comment", wrap=True),
    Column("Flagged"),
    Column("Flags", wrap=True),
    Column("Metric definition", "numerator / denominator / window", wrap=True),
    Column("Definition differs"),
)
ANSWER_HEADERS = tuple(c.header for c in ANSWER_COLUMNS)
SUMMARY_HEADERS = tuple(c.header for c in SUMMARY_COLUMNS)


def answers_table(comparison: Comparison, facts: ExportFacts) -> Table:
    rows = []
    for index in facts.order:
        vendor = comparison.vendors[index]
        round_of = facts.round(vendor.response_id)
        for section, row in comparison.rows():
            cell = row.cells[index]
            question = facts.questions.get(row.key)
            value = (
                answer_value(question, cell, round_of.currency)
                if cell.state == "answered" or cell.partial
                else None
            )
            rows.append(
                [
                    vendor.vendor_name,
                    vendor.product,
                    round_of.name,
                    whole(vendor.response_id),
                    whole(vendor.version_number),
                    section.title,
                    f"Q{facts.numbers[row.key]}",
                    row.key,
                    row.text,
                    value,
                    answer_unit(question, value, round_of.currency),
                    cell.partial or cell.state.replace("_", " "),
                    None if cell.risk is None else Figure(round(cell.risk, 3), RISK_FORMAT),
                    cell.risk_word,
                    None
                    if cell.contribution is None
                    else Figure(round(cell.contribution, 2), POINTS_FORMAT),
                    cell.evidence_label,
                    whole(cell.evidence_files) if cell.asked else None,
                    cell.comment,
                    _yes_no(cell.flagged),
                    "; ".join(cell.flag_titles),
                    cell.definition,
                    _yes_no(cell.unlike_definition) if cell.definition else "",
                ]
            )
    return Table("Answers", list(ANSWER_COLUMNS), rows)


# Matrix: one row per vendor, one column per question ------------------------------------

MATRIX_COLUMNS = (
    Column("Vendor"),
    Column("Rank"),
    Column("Round"),
    Column("Currency", "The round's currency: amounts of money are in it"),
    Column("Score (0-100)", "The effective score: the analyst's override if any, else computed"),
    Column("Tier", "The effective tier: the analyst's override if any, else computed"),
)


@dataclass(frozen=True)
class _QuestionColumn:
    column: Column
    row: Row
    grid_row: int | None = None  # the grid row this column shows, by position


def _matrix_columns(comparison: Comparison, facts: ExportFacts) -> list[_QuestionColumn]:
    currencies = {facts.round(v.response_id).currency for v in comparison.vendors}
    currency = currencies.pop() if len(currencies) == 1 else None
    out = []
    for _, row in comparison.rows():
        number, question = facts.numbers[row.key], facts.questions.get(row.key)
        if question is not None and question["type"] == "grid":
            for i, grid_row in enumerate(question["rows"]):
                note = f"Q{number}.{i + 1}: {row.text} ({grid_row['label']})"
                header = short_header(f"Q{number}.{i + 1}", grid_row["label"])
                out.append(_QuestionColumn(Column(header, note, wrap=True), row, i))
            continue
        suffix = f"({unit})" if (unit := _header_unit(question, currency)) else ""
        header = short_header(f"Q{number}", row.text, suffix)
        out.append(_QuestionColumn(Column(header, f"Q{number}: {row.text}", wrap=True), row))
    return out


def _header_unit(question: Mapping[str, Any] | None, currency: str | None) -> str:
    """The unit of a numeric question's column; money in the round's currency, or, when
    the vendors' rounds differ in currency, "currency" (the Currency column says which)."""
    if question is None or question["type"] not in ("integer", "decimal", "percentage"):
        return ""
    if unit_of(question) == "currency" and not currency:
        return "currency"
    return unit_label(question, currency)


def matrix_table(comparison: Comparison, facts: ExportFacts) -> Table:
    questions = _matrix_columns(comparison, facts)
    rows = []
    for index in facts.order:
        vendor = comparison.vendors[index]
        round_of = facts.round(vendor.response_id)
        line: list[Any] = [
            vendor.vendor_name,
            whole(facts.ranks[index] or None),
            round_of.name,
            round_of.currency or "",
            score(vendor.effective_score),
            vendor.effective_tier,
        ]
        for spec in questions:
            cell = spec.row.cells[index]
            if cell.state != "answered" and not cell.partial:
                line.append(cell.display)
            elif spec.grid_row is not None:
                line.append(_grid_row_text(cell, spec.grid_row))
            else:
                line.append(
                    answer_value(facts.questions.get(spec.row.key), cell, round_of.currency)
                )
        rows.append(line)
    return Table("Matrix", [*MATRIX_COLUMNS, *(q.column for q in questions)], rows)


def _grid_row_text(cell: ComparisonCell, position: int) -> str:
    if not cell.grid or position >= len(cell.grid):
        return ""
    _, cells = cell.grid[position]
    # A partly answered grid lists only its answered cells: a row with none says so.
    return "; ".join(f"{column}: {text}" for column, text in cells) or "Not answered"


# Questions: the key to the short headers ------------------------------------------------


def questions_table(comparison: Comparison, facts: ExportFacts) -> Table:
    columns = [
        Column("No."),
        Column("Section"),
        Column("Question key"),
        Column("Question", wrap=True),
        Column("Type"),
        Column("Unit"),
    ]
    rows: list[list[Any]] = []
    for section, row in comparison.rows():
        number, question = facts.numbers[row.key], facts.questions.get(row.key)
        unit = unit_label(question) if question and unit_of(question) else ""
        rows.append([f"Q{number}", section.title, row.key, row.text, row.type, unit])
        if question is not None and question["type"] == "grid":
            for i, grid_row in enumerate(question["rows"]):
                rows.append(
                    [
                        f"Q{number}.{i + 1}",
                        section.title,
                        row.key,
                        grid_row["label"],
                        "grid row",
                        "",
                    ]
                )
    return Table("Questions", columns, rows)


# The buyer's decision: framework coverage and business cases (XLSX only) ---------------

BUSINESS_CASE_SHEET = "Business case"
# Excel's bounds on a sheet's name: 31 characters, none of these, unique whatever the case
# ("History" is Excel's own).
MAX_SHEET_NAME = 31
_NOT_IN_SHEET_NAME = re.compile(r"[\\/?*\[\]:]")
_RESERVED_SHEET_NAMES = ("History",)
MONEY_FORMAT = "#,##0.00"


def sheet_name(wanted: str, taken: set[str]) -> str:
    """`wanted` as a sheet name Excel accepts, unlike every name in `taken` (casefolded;
    the new name is added to it): at most 31 characters, "/" and the like as "-", a
    " (2)" after a name already taken."""
    base = " ".join(_NOT_IN_SHEET_NAME.sub("-", _clean(wanted)).split()).strip("'") or "Sheet"
    name, n = base[:MAX_SHEET_NAME].rstrip(), 2
    while name.casefold() in taken:
        suffix = f" ({n})"
        name, n = base[: MAX_SHEET_NAME - len(suffix)].rstrip() + suffix, n + 1
    taken.add(name.casefold())
    return name


def framework_table(matrix: CoverageMatrix, facts: ExportFacts, name: str) -> Table:
    """One row per control the framework's questions map to, one column per vendor (in
    rank order) with its status, the questions behind the control; each vendor's counts
    below."""
    status_note = "The control's status for this vendor: " + ", ".join(
        STATUS_LABELS[s].lower() for s in STATUSES
    )
    columns = [
        Column("Control", f"{matrix.framework.title}: the control's id"),
        Column("Title", wrap=True),
        *(
            Column(short_header("", matrix.vendors[i]), f"{matrix.vendors[i]}. {status_note}")
            for i in facts.order
        ),
        Column(
            "Questions",
            "The questions mapped to the control that count for at least one of these "
            "vendors (a question hidden or not asked counts for nobody); the full text of "
            "each is in the Questions sheet",
            wrap=True,
        ),
    ]
    rows = [
        [
            row.control_id,
            row.title,
            *(row.cells[i].label for i in facts.order),
            "\n".join(_questions_behind(row.cells)),
        ]
        for row in matrix.rows
    ]
    totals = [
        [
            STATUS_LABELS[status],
            "controls with this status",
            *(whole(matrix.counts[i][status]) for i in facts.order),
            "",
        ]
        for status in STATUSES
    ]
    totals.append(
        [
            "Not mapped",
            f"{matrix.uncovered} in-scope control{'' if matrix.uncovered == 1 else 's'} "
            "no question maps to",
            *(None for _ in facts.order),
            "",
        ]
    )
    return Table(name, columns, rows, totals=totals)


def _questions_behind(cells: Sequence[CoverageCell]) -> list[str]:
    """The questions behind a control, for all its vendors, in questionnaire order, each
    as its number and a short label (`Q7.2 How does the agent resist prompt…`)."""
    refs = {q.question.number: q.question for cell in cells for q in cell.questions}
    return [short_header(f"Q{n}", refs[n].text) for n in sorted(refs, key=question_number_order)]


def business_case_table(comparison: Comparison, facts: ExportFacts, decision: Decision) -> Table:
    currency = decision.round_figures.currency
    code = currency if currency and _CURRENCY_CODE.fullmatch(currency) else None
    unit = f" ({code})" if code else ""
    fmt = f'"{code}" {MONEY_FORMAT}' if code else MONEY_FORMAT
    columns = [
        Column("Vendor"),
        Column("Rank"),
        Column("Pricing basis", "The vendor's answer on the unit of its price", wrap=True),
        Column(f"Yearly price{unit}", "Entered by an analyst on the round's page"),
        Column(
            f"Net, assumed rate{unit}",
            "Yearly contacts times the resolution rate the vendor's case assumes times the "
            "cost of a contact handled by a person, less the yearly price",
        ),
        Column(
            f"Net, verified rate{unit}",
            "Yearly contacts times the verified resolution rate, net of repeat contacts, "
            "times the cost of a contact handled by a person, less the yearly price (the "
            "figures as the vendor gave them)",
        ),
        Column(f"Verified: low{unit}", "The low end of the range unverified figures leave"),
        Column(f"Verified: high{unit}", "The high end of the range unverified figures leave"),
        Column(
            f"Break-even price{unit}",
            "The yearly price up to which the case pays on the verified figures as given",
        ),
        Column("Works only on the assumed rate"),
        Column("Works only if unverified figures hold"),
        Column("Missing", "What could not be worked out, and why", wrap=True),
    ]
    cases = {row.response_id: row for row in decision.business_cases}
    rows = []
    for index in facts.order:
        vendor = comparison.vendors[index]
        row, case = cases[vendor.response_id], cases[vendor.response_id].case
        rows.append(
            [
                vendor.vendor_name,
                whole(facts.ranks[index] or None),
                row.pricing_basis,
                _money(case.yearly_price, fmt),
                _money(case.net_assumed, fmt),
                _money(case.net_verified, fmt),
                _money(case.net_verified_low, fmt),
                _money(case.net_verified_high, fmt),
                _money(case.break_even_price, fmt),
                "" if case.assumed_only is None else _yes_no(case.assumed_only),
                "" if case.rests_on_unverified is None else _yes_no(case.rests_on_unverified),
                "\n".join(case.missing),
            ]
        )
    return Table(BUSINESS_CASE_SHEET, columns, rows)


def _money(amount: Decimal | None, number_format: str) -> Figure | None:
    return None if amount is None else Figure(float(amount), number_format)


def decision_tables(
    comparison: Comparison, facts: ExportFacts, decision: Decision | None, taken: set[str]
) -> tuple[list[Table], list[str]]:
    """A round's framework and business case sheets, and the notes that tell the
    summary's reader which there are (or why there are none); nothing without a round."""
    if decision is None:
        return [], []
    tables = [
        framework_table(m, facts, sheet_name(m.framework.short_title, taken))
        for m in decision.frameworks
    ]
    if tables:
        notes = [
            "Frameworks the round chose, a sheet each: "
            + "; ".join(
                f"{m.framework.title} (sheet “{t.name}”)"
                for m, t in zip(decision.frameworks, tables, strict=True)
            )
            + "."
        ]
    elif not decision.unknown_frameworks:
        notes = ["Frameworks: the round chose none, so this workbook has no framework sheets."]
    else:
        notes = ["Frameworks: none of the round's choices is in a framework catalogue."]
    if decision.unknown_frameworks:
        notes.append(
            "Chosen but in no framework catalogue (any more), so without a sheet: "
            + ", ".join(decision.unknown_frameworks)
            + "."
        )
    tables.append(business_case_table(comparison, facts, decision))
    notes.append(f"Each vendor's business case, stress-tested: sheet “{BUSINESS_CASE_SHEET}”.")
    return tables, notes


# CSV -------------------------------------------------------------------------------------

_CSV_TABLES = {"answers": answers_table, "summary": summary_table, "matrix": matrix_table}


def comparison_csv(comparison: Comparison, *, part: str = "answers") -> bytes:
    """One table as UTF-8 CSV with a BOM (spreadsheets need it)."""
    if part not in _CSV_TABLES:
        raise ValueError(f"unknown CSV part {part!r}: use 'answers', 'summary' or 'matrix'")
    table = _CSV_TABLES[part](comparison, export_facts(comparison))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([csv_safe(h) for h in table.headers])
    for row in table.rows:
        writer.writerow([csv_safe(v.csv if isinstance(v, Figure) else v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def csv_safe(value: Any) -> Any:
    """Text a spreadsheet would run as a formula, in the cell or in a cell a semicolon
    or line break would start inside it, gets an apostrophe there; numbers and text that
    is only a number are left as they are."""
    if value is None:
        return ""
    if not isinstance(value, str) or _PLAIN_NUMBER.fullmatch(value):
        return value
    value = _CELL_STARTS_INSIDE.sub(r"\1'", value)
    if value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


# XLSX ------------------------------------------------------------------------------------


def comparison_xlsx(comparison: Comparison, selection: Selection | None = None) -> bytes:
    """A workbook with Summary, Matrix, Answers and Questions sheets, and for a round's
    comparison (`selection`) a sheet per framework the round chose and a Business case
    sheet; readable as opened and as printed.

    The round's sheets reveal the round (its frameworks, contact volume, cost of a human
    contact): pass `selection` only for a user allowed to see it (access.selection_for_user).
    They add two queries (the round's version, unless loaded with it, and the analysts'
    prices) to export_facts' three.
    """
    facts = export_facts(comparison)
    taken = {n.casefold() for n in ("Summary", "Matrix", "Answers", "Questions")}
    taken |= {n.casefold() for n in (BUSINESS_CASE_SHEET, *_RESERVED_SHEET_NAMES)}
    decision = None if selection is None else decision_data(selection, comparison)
    decision_sheets, notes = decision_tables(comparison, facts, decision, taken)
    tables = [
        replace(summary_table(comparison, facts), notes=notes),
        matrix_table(comparison, facts),
        answers_table(comparison, facts),
        questions_table(comparison, facts),
        *decision_sheets,
    ]
    workbook = Workbook()
    first = workbook.active
    assert isinstance(first, Worksheet)  # a new workbook holds one worksheet
    workbook.remove(first)
    for table in tables:
        _fill_sheet(workbook.create_sheet(table.name), table)
    workbook.properties.title = f"{comparison.questionnaire_title}: comparison"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
_HEADER_ALIGNMENT = Alignment(vertical="top", wrap_text=True)
_WRAP = Alignment(vertical="top", wrap_text=True)
_TOP = Alignment(vertical="top")


def _fill_sheet(sheet: Worksheet, table: Table) -> None:
    for i, column in enumerate(table.columns, start=1):
        cell = sheet.cell(row=1, column=i)
        _write(cell, column.header)
        cell.font, cell.fill, cell.alignment = _HEADER_FONT, _HEADER_FILL, _HEADER_ALIGNMENT
        if column.note:
            cell.comment = Comment(_clean(column.note), "CX Vet", width=300, height=80)
    widths = [min(len(c.header), HEADER_WIDTH) for c in table.columns]
    for r, values in enumerate(table.rows, start=2):
        _fill_row(sheet, r, table.columns, values, widths)
    last = len(table.rows) + 1  # the table's last row
    for r, values in enumerate(table.totals, start=last + 2):
        _fill_row(sheet, r, table.columns, values, widths)
    below = last + (len(table.totals) + 1 if table.totals else 0)
    for r, note in enumerate(table.notes, start=below + 2):
        _write(sheet.cell(row=r, column=1), note)  # spills over the empty cells beside it
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = min(
            MAX_WIDTH, max(MIN_WIDTH, width + 2)
        )
    sheet.freeze_panes = "B2"  # the header row and the first column (the vendor)
    # The filter covers the table only, not the totals and notes below it.
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{last}"
    _print_setup(sheet)


def _fill_row(
    sheet: Worksheet, r: int, columns: Sequence[Column], values: Sequence[Any], widths: list[int]
) -> None:
    """Row `r`, a value per column; `widths` grow to fit it."""
    for i, (column, value) in enumerate(zip(columns, values, strict=True), start=1):
        cell = sheet.cell(row=r, column=i)
        _write(cell, value)
        cell.alignment = _WRAP if column.wrap else _TOP
        widths[i - 1] = max(widths[i - 1], _width_of(value))


def _write(cell: Cell | MergedCell, value: Any) -> None:
    assert isinstance(cell, Cell)  # a sheet written cell by cell has no merged cells
    if isinstance(value, Figure):
        cell.value = value.xlsx
        cell.number_format = value.number_format
        return
    if isinstance(value, str):
        cell.value = _clean(value)
        # openpyxl turns any string starting with "=" into a formula; keep it text.
        # Formula-like text is also quote-prefixed, as a spreadsheet marks text typed
        # after an apostrophe, so that editing the cell later keeps it text.
        cell.data_type = "s"
        if value.startswith(FORMULA_TRIGGERS):
            cell.quotePrefix = True
        return
    cell.value = value


def _print_setup(sheet: Worksheet) -> None:
    """Landscape A4, as wide as one page, the header row on every page."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages down as it takes
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.print_title_rows = "1:1"
    sheet.print_options.gridLines = True


def _clean(text: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def _width_of(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, Figure):
        if isinstance(value.raw, datetime.date):
            return 10
        # Thousands separators and a currency code or percent sign.
        return len(f"{value.raw:,}") + (4 if '"' in value.number_format else 1)
    return max((len(line) for line in str(value).splitlines()), default=0)


# A round's name in its export's file name: enough to tell rounds apart, short enough
# for a mail attachment's name.
ROUND_NAME_CHARS = 40


def export_filename(
    comparison: Comparison, *, what: str, extension: str, round_name: str = ""
) -> str:
    """ "<questionnaire>-<what>[-<round>]-<date>.<extension>": a round's export names the
    round, so that a buyer's file is not mistaken for another round's."""
    today = datetime.date.today().isoformat()
    named = slugify(round_name)[:ROUND_NAME_CHARS].strip("-")
    return (
        f"{comparison.questionnaire_key}-{what}{f'-{named}' if named else ''}-{today}.{extension}"
    )
