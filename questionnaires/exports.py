"""CSV and XLSX exports of a comparison (docs/comparison.md lists every column).

Both formats carry the same two tables: answers (one row per vendor and question) and a
summary of scores (one row per vendor). The XLSX has them as two sheets; CSV, being one
table per file, offers them as two downloads.

Cells are written as text, never as formulas (docs/security.md, "Spreadsheet formulas").
In CSV a text that a spreadsheet would evaluate (starting with =, +, -, @, tab, carriage
return or line feed, or their full-width forms) gets a leading apostrophe, and so does
every such start after a semicolon or a line break inside it: where the locale's list
separator is a semicolon, spreadsheets split a comma-separated line at every semicolon,
quotes or not, so "x;=cmd" would open as two cells. Numbers stay numbers, and so does
text that is only a number ("-3.5", "-1,200", "-12%"). In XLSX strings are stored as
strings, marked to stay text when edited.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Iterator
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .comparison import Comparison

ANSWER_HEADERS = (
    "Vendor",
    "Product",
    "Response ID",
    "Version",
    "Section",
    "Question key",
    "Question",
    "Answer",
    "Answer state",
    "Risk (0-1)",
    "Risk level",
    "Risk contribution (points)",
    "Evidence level",
    "Evidence files",
    "Comment",
    "Flagged",
    "Flags",
)

SUMMARY_HEADERS = (
    "Vendor",
    "Product",
    "Response ID",
    "Version",
    "Status",
    "Profile",
    "Score",
    "Low",
    "High",
    "Tier",
    "Coverage (%)",
    "Flags",
    "Flag titles",
    "Override score",
    "Override tier",
    "Override justification",
)
SECTION_SCORE_HEADER = "Section score: {title}"

# Characters that make a spreadsheet treat a cell as a formula (the full-width forms
# too: some spreadsheets read them as the ASCII ones).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# Where a spreadsheet may start another cell inside a CSV text: a semicolon (the list
# separator of many locales, which splits a line whatever its quotes), a line break,
# each with any quotes after it.
_CELL_STARTS_INSIDE = re.compile('([;\r\n]"*)(?=[' + re.escape("".join(FORMULA_TRIGGERS)) + "])")
# Text that is only a number, as the displays write them: left as it is.
_PLAIN_NUMBER = re.compile(r"-?(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)(?:\.[0-9]+)?%?", re.ASCII)

# Column widths in characters; long text wraps instead of stretching the sheet.
MIN_WIDTH = 8
MAX_WIDTH = 60
WRAPPED_HEADERS = {
    "Question",
    "Answer",
    "Comment",
    "Flags",
    "Flag titles",
    "Override justification",
}


def answer_rows(comparison: Comparison) -> Iterator[list[Any]]:
    """One row per vendor and question, in the order of ANSWER_HEADERS."""
    for index, vendor in enumerate(comparison.vendors):
        for section in comparison.sections:
            for row in section.rows:
                cell = row.cells[index]
                yield [
                    vendor.vendor_name,
                    vendor.product,
                    vendor.response_id,
                    vendor.version_number,
                    section.title,
                    row.key,
                    row.text,
                    cell.display if cell.state == "answered" else "",
                    cell.state.replace("_", " "),
                    _round(cell.risk, 3),
                    cell.risk_word,
                    _round(cell.contribution, 2),
                    cell.evidence_label,
                    cell.evidence_files if cell.asked else None,
                    cell.comment,
                    "yes" if cell.flagged else "no",
                    "; ".join(cell.flag_titles),
                ]


def summary_headers(comparison: Comparison) -> list[str]:
    return [
        *SUMMARY_HEADERS,
        *(SECTION_SCORE_HEADER.format(title=s.title) for s in comparison.sections),
    ]


def summary_rows(comparison: Comparison) -> Iterator[list[Any]]:
    """One row per vendor, in the order of summary_headers()."""
    for index, vendor in enumerate(comparison.vendors):
        result = vendor.result
        yield [
            vendor.vendor_name,
            vendor.product,
            vendor.response_id,
            vendor.version_number,
            vendor.status_label,
            comparison.profile_title,
            _round(result.score, 1),
            _round(result.low, 1),
            _round(result.high, 1),
            result.tier,
            _round(result.coverage * 100, 1),
            len(vendor.flags),
            "; ".join(f"{f.title} ({f.severity})" for f in vendor.flags),
            _round(vendor.override_score, 1),
            vendor.override_tier,
            vendor.override_justification,
            *(
                _round(s.subtotals[index].score, 1) if s.subtotals[index] else None
                for s in comparison.sections
            ),
        ]


# CSV -------------------------------------------------------------------------------------


def comparison_csv(comparison: Comparison, *, part: str = "answers") -> bytes:
    """The answers or the summary table as UTF-8 CSV with a BOM (spreadsheets need it)."""
    if part == "answers":
        headers, rows = list(ANSWER_HEADERS), answer_rows(comparison)
    elif part == "summary":
        headers, rows = summary_headers(comparison), summary_rows(comparison)
    else:
        raise ValueError(f"unknown CSV part {part!r}: use 'answers' or 'summary'")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([csv_safe(value) for value in row])
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


def comparison_xlsx(comparison: Comparison) -> bytes:
    """A workbook with an Answers sheet and a Summary sheet, readable as opened."""
    workbook = Workbook()
    answers = workbook.active
    answers.title = "Answers"
    _fill_sheet(answers, list(ANSWER_HEADERS), answer_rows(comparison))
    summary = workbook.create_sheet("Summary")
    _fill_sheet(summary, summary_headers(comparison), summary_rows(comparison))
    workbook.properties.title = f"{comparison.questionnaire_title}: comparison"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _fill_sheet(sheet, headers: list[str], rows: Iterator[list[Any]]) -> None:
    sheet.append(headers)
    widths = [len(h) for h in headers]
    for row in rows:
        sheet.append([_xlsx_value(v) for v in row])
        for i, value in enumerate(row):
            widths[i] = max(widths[i], _longest_line(value))
    _mark_text_cells(sheet)
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDE4EE")
    for cell in sheet[1]:
        cell.font = header_font
        cell.fill = header_fill
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    wrap = Alignment(vertical="top", wrap_text=True)
    top = Alignment(vertical="top")
    for i, header in enumerate(headers, start=1):
        letter = get_column_letter(i)
        sheet.column_dimensions[letter].width = min(MAX_WIDTH, max(MIN_WIDTH, widths[i - 1] + 2))
        alignment = wrap if header in WRAPPED_HEADERS else top
        for (cell,) in sheet.iter_rows(min_row=2, min_col=i, max_col=i):
            cell.alignment = alignment
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def _mark_text_cells(sheet) -> None:
    # openpyxl turns any string starting with "=" into a formula; keep it text. Every
    # formula-like string is also quote-prefixed, as a spreadsheet marks text typed after
    # an apostrophe, so that editing the cell later keeps it text.
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_TRIGGERS):
                cell.data_type = "s"
                cell.quotePrefix = True


def _longest_line(value: Any) -> int:
    if value is None:
        return 0
    return max((len(line) for line in str(value).splitlines()), default=0)


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def export_filename(comparison: Comparison, *, what: str, extension: str) -> str:
    today = datetime.date.today().isoformat()
    return f"{comparison.questionnaire_key}-{what}-{today}.{extension}"
