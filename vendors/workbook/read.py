"""Reading an uploaded workbook back: refuse what is not ours, check every cell.

In order, each step before anything reads further:
1. the file: at most WORKBOOK_MAX_BYTES, an .xlsx name, a zip whose members' declared
   sizes add up to at most WORKBOOK_MAX_UNCOMPRESSED_BYTES (a zip bomb is refused
   before anything inflates it), with no macros (vbaProject.bin, a macro-enabled type);
2. the signed key (layout.WorkbookKey): this response, this version, not altered, and
   the Answers sheet's key column row by row as the key lists it;
3. the cells: loaded by openpyxl without evaluating anything (a formula is refused,
   never computed), at most WORKBOOK_MAX_ROWS rows, read into what a portal page would
   post for the questions, and validated by the portal's own form (vendors.forms), so a
   workbook accepts exactly what the section pages accept.

The result is a `Reading`: the changes to save (vendors.forms.QuestionsForm.changes,
each based on the revision the workbook was written at) and every problem, each naming
its sheet and cell, the question by number and label, and what to do.
"""

from __future__ import annotations

import datetime
import decimal
import io
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core import signing
from django.utils.datastructures import MultiValueDict
from openpyxl import load_workbook

from questionnaires.evidence import MACRO_PARTS, ZIP_READ_ERRORS, human_size
from questionnaires.models import Response
from questionnaires.services.answers import AnswerChange, same_answer

from ..forms import (
    COMMENT,
    DECLARED,
    LOADED,
    REVISION,
    QuestionsForm,
    declared_answers,
    field_name,
    grid_part,
)
from ..portal import QuestionnairePlan, ResponseState
from .layout import (
    ANSWERS,
    COLUMNS,
    FIRST_ROW,
    GRID_ROW,
    KEY_SHEET,
    MULTIPLE_SEPARATOR,
    WorkbookKey,
)

ZIP_MAX_MEMBERS = 200
DOWNLOAD_AGAIN = "Download a new workbook from the portal and enter your answers in it."


class WorkbookRefused(Exception):
    """The file as a whole cannot be read as this response's workbook; says why."""


@dataclass(frozen=True)
class Problem:
    cell: str  # "Answers!F12"
    number: str  # "2.3"
    label: str  # the question's text, shortened
    message: str  # what is wrong and what to do

    def __str__(self) -> str:
        if not self.number:  # a cell outside the answers table: no question to name
            return f"{self.cell}: {self.message}"
        return f"{self.cell}, question {self.number} ({self.label}): {self.message}"


@dataclass
class Reading:
    """What a workbook says, checked: the changes to save and the problems found."""

    changes: list[AnswerChange] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # Answered in the workbook although the answers leave them unasked: ignored.
    not_asked: list[str] = field(default_factory=list)
    # Questions the workbook carries answers for (not derived, not files), in order.
    keys: list[str] = field(default_factory=list)
    # Per question key, a doubt about a value read as it stands (not a problem: it may be
    # meant), shown on the question's row of the preview.
    warnings: dict[str, str] = field(default_factory=dict)


def read_workbook(
    data: bytes, *, response: Response, plan: QuestionnairePlan, state: ResponseState
) -> Reading:
    """Check an uploaded workbook against `response` as `state` holds it now; raise
    WorkbookRefused when the file is not this response's workbook at all."""
    check_package(data)
    book = _open(data)
    try:
        key = _workbook_key(book, response)
        return _Reader(plan, state, key).read(_answer_rows(book))
    finally:
        book.close()


# 1. The file ----------------------------------------------------------------------------


def check_size(size: int) -> None:
    limit = settings.WORKBOOK_MAX_BYTES
    if size > limit:
        raise WorkbookRefused(
            f"This file is {human_size(size)}; a workbook can be at most {human_size(limit)}. "
            "Upload the workbook downloaded from the portal, with text answers only "
            "(documents are uploaded in the portal)."
        )


def check_name(name: str) -> None:
    lowered = (name or "").lower()
    if lowered.endswith((".xlsm", ".xltm", ".xlsb")):
        raise WorkbookRefused(
            "This is a macro-enabled workbook. Save it as an Excel Workbook (.xlsx), "
            "without macros, and upload that."
        )
    if not lowered.endswith(".xlsx"):
        raise WorkbookRefused(
            "This is not an Excel workbook (.xlsx). Upload the workbook downloaded from the "
            "portal, saved as .xlsx."
        )


NOT_XLSX = (
    "This file is not an Excel workbook (.xlsx) or it is damaged. Upload the workbook "
    "downloaded from the portal, saved as .xlsx."
)


def check_package(data: bytes) -> None:
    """Refuse, before openpyxl inflates anything, a file that is not a plain xlsx."""
    check_size(len(data))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            members = package.infolist()
            names = {m.filename.replace("\\", "/").lower() for m in members}
            if len(members) > ZIP_MAX_MEMBERS:
                raise WorkbookRefused(NOT_XLSX)
            inflated = sum(m.file_size for m in members)
            if inflated > settings.WORKBOOK_MAX_UNCOMPRESSED_BYTES:
                raise WorkbookRefused(
                    f"This workbook unpacks to {human_size(inflated)}, more than the "
                    f"{human_size(settings.WORKBOOK_MAX_UNCOMPRESSED_BYTES)} a questionnaire "
                    f"needs. {DOWNLOAD_AGAIN}"
                )
            if any(n.rsplit("/", 1)[-1] in MACRO_PARTS for n in names):
                raise WorkbookRefused(
                    "This workbook holds macros. Save it as an Excel Workbook (.xlsx), "
                    "without macros, and upload that."
                )
            if "[content_types].xml" not in names or "xl/workbook.xml" not in names:
                raise WorkbookRefused(NOT_XLSX)
            types = package.read("[Content_Types].xml")
            if b"macroenabled" in types.lower():
                raise WorkbookRefused(
                    "This is a macro-enabled workbook. Save it as an Excel Workbook (.xlsx), "
                    "without macros, and upload that."
                )
    except ZIP_READ_ERRORS:
        raise WorkbookRefused(NOT_XLSX) from None


def _open(data: bytes) -> Any:
    try:
        # read_only streams the sheets; data_only=False: formulas stay formulas (never
        # evaluated), so the reader can refuse them.
        return load_workbook(
            io.BytesIO(data), read_only=True, data_only=False, keep_links=False, keep_vba=False
        )
    except Exception:  # openpyxl raises many kinds for a damaged file
        raise WorkbookRefused(NOT_XLSX) from None


# 2. The key ---------------------------------------------------------------------------


TAMPERED = (
    f"This workbook's key was changed, so it cannot be matched to your answers. {DOWNLOAD_AGAIN}"
)


def _workbook_key(book: Any, response: Response) -> WorkbookKey:
    if KEY_SHEET not in book.sheetnames or ANSWERS not in book.sheetnames:
        raise WorkbookRefused(
            "This is not a workbook downloaded from the portal (it has no Key or Answers "
            f"sheet). {DOWNLOAD_AGAIN}"
        )
    text = next(book[KEY_SHEET].iter_rows(min_row=1, max_row=1, max_col=1, values_only=True))[0]
    try:
        key = WorkbookKey.unsign(str(text or ""))
    except (signing.BadSignature, ValueError):
        raise WorkbookRefused(TAMPERED) from None
    if key.response_id != response.pk:
        raise WorkbookRefused(
            "This workbook was downloaded for another response, so it cannot be uploaded "
            "here. Upload the workbook downloaded through this link, or download one now."
        )
    if key.version_id != response.version_id:
        raise WorkbookRefused(
            f"This workbook was written for another version of the questionnaire. {DOWNLOAD_AGAIN}"
        )
    return key


@dataclass(frozen=True)
class _Cell:
    coordinate: str
    value: Any
    is_formula: bool
    percent_format: bool


# At most this many cells outside the table are named (one is enough to act on).
OUTSIDE_MAX_REPORTED = 20
OUTSIDE_TABLE = "this cell is outside the answers table; move its text into a comment or remove it."


@dataclass
class _Sheet:
    """The Answers sheet's rows from FIRST_ROW, each {column name: cell} (empty cells
    left out), and the cells with text right of the last column."""

    rows: list[dict[str, _Cell]]
    beyond_columns: list[str]


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _answer_rows(book: Any) -> _Sheet:
    """The Answers sheet read, bounded to WORKBOOK_MAX_ROWS rows."""
    limit = settings.WORKBOOK_MAX_ROWS
    sheet = _Sheet(rows=[], beyond_columns=[])
    names = [name for name, _, _ in COLUMNS]
    for cells in book[ANSWERS].iter_rows(min_row=FIRST_ROW):
        if len(sheet.rows) >= limit:
            raise WorkbookRefused(
                f"The Answers sheet has more than {limit:,} rows, more than a questionnaire "
                f"has. {DOWNLOAD_AGAIN}"
            )
        row = {}
        for index, cell in enumerate(cells):
            if _is_empty(getattr(cell, "value", None)):
                continue  # an empty cell says nothing, wherever it is
            coordinate = f"{ANSWERS}!{cell.coordinate}"
            if index >= len(names):
                sheet.beyond_columns.append(coordinate)
                continue
            row[names[index]] = _Cell(
                coordinate=coordinate,
                value=cell.value,
                is_formula=cell.data_type == "f",
                percent_format="%" in str(cell.number_format or ""),
            )
        sheet.rows.append(row)
    while sheet.rows and not sheet.rows[-1]:
        sheet.rows.pop()  # an application may write empty rows after the last
    return sheet


# 3. The cells ----------------------------------------------------------------------------


class _CellProblem(Exception):
    pass


class _Reader:
    def __init__(self, plan: QuestionnairePlan, state: ResponseState, key: WorkbookKey):
        self.plan = plan
        self.state = state
        self.key = key
        self.data: MultiValueDict[str, Any] = MultiValueDict()
        # Per form field, the cell it was read from (to name it in a problem).
        self.cells: dict[str, str] = {}
        self.problems: list[tuple[str, str, str]] = []  # (question key, cell, message)
        self.keys: list[str] = []
        self.warnings: dict[str, str] = {}

    def read(self, sheet: _Sheet) -> Reading:
        rows = self._match_rows(sheet)
        by_key = {str(row["key"].value): row for row in rows}
        for key, question in self.plan.questions_by_key.items():
            if question.get("derived") or question["type"] == "file":
                continue
            self.keys.append(key)
            self._read_question(question, by_key)
        form = QuestionsForm(
            self.data,
            plan=self.plan,
            questions=self.plan.questions_by_key.values(),
            state=self.state,
            editable_keys=frozenset(self.keys),
        )
        form.is_valid()
        for name, messages in form.errors.items():
            key = name.split("-", 1)[0]
            for message in messages:
                self.problems.append((key, self.cells.get(name, ANSWERS), str(message)))
        changes = form.changes()
        changed = {change.question_key for change in changes}
        reading = Reading(
            changes=changes,
            keys=self.keys,
            warnings={k: w for k, w in self.warnings.items() if k in changed},
        )
        problems = [
            self._problem(key, cell, message)
            for key, cell, message in self.problems
            if key in form.visible or not key  # no key: a cell outside the table
        ]
        # Top to bottom, as the vendor corrects the file (found question by question).
        reading.problems = sorted(problems, key=lambda problem: cell_order(problem.cell))
        reading.not_asked = [
            key
            for key in self.keys
            if key not in form.visible
            and form.sent(key)
            and key not in form.errors
            and _differs(form, key, self.state)
        ]
        return reading

    def _match_rows(self, sheet: _Sheet) -> list[dict[str, _Cell]]:
        """The table's rows, each the question the key says, in order; text typed
        below or right of the table is a problem named by its cell."""
        expected = self.key.rows
        table, below = sheet.rows[: len(expected)], sheet.rows[len(expected) :]
        outside = list(sheet.beyond_columns)
        for row in below:
            if "key" in row and str(row["key"].value) in expected:
                self._refuse_row(len(table) + below.index(row), None, row)
            outside.extend(cell.coordinate for cell in row.values())
        for index, want in enumerate(expected):
            row = table[index] if index < len(table) else {}
            found = str(row["key"].value) if "key" in row else ""
            if found != want:
                self._refuse_row(index, want, row)
        for coordinate in outside[:OUTSIDE_MAX_REPORTED]:
            self.problems.append(("", coordinate, OUTSIDE_TABLE))
        for row in table:
            for cell in row.values():
                if cell.is_formula:
                    # Refused here, whatever column: a formula is never evaluated.
                    self._fail_row(row, cell, "This cell holds a formula; type the value itself.")
        return table

    def _refuse_row(self, index: int, want: str | None, row: dict[str, _Cell]) -> None:
        """Refuse the workbook, naming the first row that is not the question it should be."""
        number = FIRST_ROW + index
        found = str(row["key"].value) if "key" in row else ""
        holds = (
            f"holds {self._row_name(found)}"
            if found in self.key.rows
            else ("has no hidden key" if not found else "holds a changed hidden key")
        )
        if want is None:
            raise WorkbookRefused(
                f"Answers row {number} is below the last question but {holds}: a row was "
                "copied or added. Download a new workbook or remove the row."
            )
        raise WorkbookRefused(
            f"Answers row {number} should be {self._row_name(want)} but {holds}: rows were "
            "moved, added or deleted, or the hidden key column (A) was changed. Download a new "
            "workbook or put the rows back in order."
        )

    def _row_name(self, row_key: str) -> str:
        """ "question 1.3", or "question 2.4 (Refunds, Chat)" for a grid cell's row."""
        key, *cell = row_key.split(GRID_ROW)
        name = f"question {self.plan.numbers.get(key, key)}"
        question = self.plan.questions_by_key.get(key)
        if cell and question and question["type"] == "grid" and len(cell) == 2:
            rows = {r["key"]: r["label"] for r in question["rows"]}
            columns = {c["key"]: c["label"] for c in question["columns"]}
            name += f" ({rows.get(cell[0], cell[0])}, {columns.get(cell[1], cell[1])})"
        return name

    def _fail_row(self, row: dict[str, _Cell], cell: _Cell, message: str) -> None:
        key = str(row["key"].value).split(GRID_ROW, 1)[0]
        self.problems.append((key, cell.coordinate, message))

    def _read_question(self, question: Mapping[str, Any], rows: Mapping[str, dict]) -> None:
        key = question["key"]
        row = rows.get(key, {})
        if any(cell.is_formula for cell in row.values()):
            return  # reported; left out of the form, so nothing changes for it
        revision, loaded = self.key.answers.get(key, (0, ""))
        values: dict[str, Any] = {
            field_name(key, REVISION): str(revision),
            field_name(key, LOADED): loaded,
        }
        comment = row.get("comment")
        values[field_name(key, COMMENT)] = _text(comment.value) if comment else ""
        if comment:
            self.cells[field_name(key, COMMENT)] = comment.coordinate
        answer = row.get("answer")
        where = answer.coordinate if answer else ""
        try:
            if question["type"] == "grid":
                if not self._read_grid(question, rows, values):
                    return
            else:
                self.cells[key] = self.cells[field_name(key, DECLARED)] = where
                values.update(self._answer_fields(question, answer))
        except _CellProblem as problem:
            self.problems.append((key, where, str(problem)))
            return
        for name, value in values.items():
            if isinstance(value, list):
                self.data.setlist(name, value)
            else:
                self.data[name] = value

    def _answer_fields(self, question: Mapping[str, Any], cell: _Cell | None) -> dict[str, Any]:
        key, qtype = question["key"], question["type"]
        value = None if cell is None else cell.value
        if qtype in ("yes_no", "single_choice"):
            return {key: _choice(question, value)}
        if qtype == "multiple_choice":
            return {key: _choices(question, value)}
        if qtype in ("integer", "decimal", "percentage"):
            declared = _declared(question, value)
            if declared:
                return {key: "", field_name(key, DECLARED): declared}
            percent = qtype == "percentage" and cell is not None and cell.percent_format
            number = _number(value, percent=percent)
            if qtype == "integer":
                _whole(number)
            if qtype == "percentage" and not percent:
                warning = fraction_warning(value)
                if warning:
                    self.warnings[key] = warning
            return {key: number, field_name(key, DECLARED): ""}
        if qtype == "date":
            return {key: _date(value)}
        text = _text(value)
        _within_length(text, question.get("max_length") or TEXT_MAX_LENGTH, "this answer")
        return {key: text}

    def _read_grid(
        self, question: Mapping[str, Any], rows: Mapping[str, dict], values: dict[str, Any]
    ) -> bool:
        key = question["key"]
        labels = {_fold(c["label"]): c["key"] for c in question["cells"]}
        labels.update({_fold(c["key"]): c["key"] for c in question["cells"]})
        takes_limit = {c["key"] for c in question["cells"] if c["limit"]}
        limited = " or ".join(f"\u201c{c['label']}\u201d" for c in question["cells"] if c["limit"])
        ok = True
        for row_def in question["rows"]:
            for column in question["columns"]:
                row = rows.get(f"{key}{GRID_ROW}{row_def['key']}{GRID_ROW}{column['key']}", {})
                if any(cell.is_formula for cell in row.values()):
                    ok = False
                    continue
                part = grid_part(row_def["key"], column["key"])
                answer, amount = row.get("answer"), row.get("amount")
                if answer:
                    self.cells[field_name(key, part)] = answer.coordinate
                text = _text(answer.value) if answer else ""
                if text and _fold(text) not in labels:
                    options = ", ".join(f"\u201c{c['label']}\u201d" for c in question["cells"])
                    self.problems.append(
                        (
                            key,
                            answer.coordinate if answer else ANSWERS,
                            f"{row_def['label']}, {column['label']}: \u201c{_shorten(text)}\u201d "
                            f"is not one of the answers; choose one of {options}.",
                        )
                    )
                    ok = False
                    continue
                values[field_name(key, part)] = labels.get(_fold(text), "")
                limit_part = grid_part(row_def["key"], column["key"], limit=True)
                values[field_name(key, limit_part)] = ""
                if not amount:
                    continue
                where = f"{row_def['label']}, {column['label']}"
                picked = labels.get(_fold(text), "")
                if picked not in takes_limit:
                    # The portal offers an amount only with such an answer (and drops
                    # one sent with another): a typed amount would be lost unsaid.
                    self.problems.append(
                        (
                            key,
                            amount.coordinate,
                            f"{where}: an amount applies only to {limited}; clear it or "
                            "change the answer.",
                        )
                    )
                    ok = False
                    continue
                self.cells[field_name(key, limit_part)] = amount.coordinate
                try:
                    values[field_name(key, limit_part)] = _amount(amount.value)
                except _CellProblem as problem:
                    self.problems.append((key, amount.coordinate, f"{where}: {problem}"))
                    ok = False
        return ok

    def _problem(self, key: str, cell: str, message: str) -> Problem:
        question = self.plan.questions_by_key.get(key)
        label = _shorten(question["text"], 120) if question else ""
        return Problem(cell, self.plan.numbers.get(key, ""), label, message)


CELL = re.compile(r"^(?P<sheet>[^!]*)!?(?P<column>[A-Z]*)(?P<row>\d*)$")


def cell_order(cell: str) -> tuple[str, int, int]:
    """Sort key of "Answers!F12": sheet, row, then column (AA after Z); a sheet named
    without a cell comes before its cells."""
    match = CELL.match(cell)
    if not match:
        return (cell, 0, 0)
    column = 0
    for letter in match["column"]:
        column = column * 26 + ord(letter) - ord("A") + 1
    return (match["sheet"], int(match["row"] or 0), column)


def _differs(form: QuestionsForm, key: str, state: ResponseState) -> bool:
    """Whether the workbook says something else than what is stored (12 equals 12.0)."""
    stored = state.answer(key)
    return not same_answer(*form.posted_answer(key), stored.value, stored.comment)


# Cell values as a portal page would post them ------------------------------------------


def _fold(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def _shorten(text: str, limit: int = 40) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        value = value.date() if value.time() == datetime.time() else value
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, float):
        return _plain_float(value)
    return str(value).strip()


def _plain_float(value: float) -> str:
    return format(decimal.Decimal(repr(value)), "f")


def _option_keys(question: Mapping[str, Any]) -> dict[str, str]:
    if question["type"] == "yes_no":
        options = {"yes": "Yes", "no": "No"}
    else:
        options = {c["key"]: c["label"] for c in question["choices"]}
    folded = {_fold(label): key for key, label in options.items()}
    folded.update({_fold(key): key for key in options})
    return folded


def _options_words(question: Mapping[str, Any]) -> str:
    if question["type"] == "yes_no":
        return "\u201cYes\u201d or \u201cNo\u201d"
    return ", ".join(f"\u201c{c['label']}\u201d" for c in question["choices"])


def _choice(question: Mapping[str, Any], value: Any) -> str:
    text = _text(value)
    if not text:
        return ""
    picked = _option_keys(question).get(_fold(text))
    if picked is None:
        raise _CellProblem(
            f"\u201c{_shorten(text)}\u201d is not one of the answers; choose one of "
            f"{_options_words(question)} from the cell's list."
        )
    return picked


def _choices(question: Mapping[str, Any], value: Any) -> list[str]:
    """Several answers separated by ";" (labels or keys). A label may itself hold a
    ";", so parts are joined back while together they make one."""
    text = _text(value)
    if not text:
        return []
    options = _option_keys(question)
    parts = [p.strip() for p in text.split(MULTIPLE_SEPARATOR)]
    picked, unknown, i = [], [], 0
    while i < len(parts):
        for j in range(len(parts), i, -1):
            joined = "; ".join(parts[i:j])
            if _fold(joined) in options:
                picked.append(options[_fold(joined)])
                i = j
                break
        else:
            if parts[i]:
                unknown.append(parts[i])
            i += 1
    if unknown:
        names = ", ".join(f"\u201c{_shorten(u)}\u201d" for u in unknown)
        raise _CellProblem(
            f"{names} {'is' if len(unknown) == 1 else 'are'} not among the answers. Type the "
            f"answers that apply separated by \u201c;\u201d, from: {_options_words(question)}."
        )
    return picked


def _declared(question: Mapping[str, Any], value: Any) -> str:
    if not isinstance(value, str):
        return ""
    declared = declared_answers(question)
    folded = {_fold(label): key for key, label in declared.items()}
    folded.update({_fold(key): key for key in declared})
    return folded.get(_fold(value), "")


def _number(value: Any, *, percent: bool = False) -> str:
    if value is None:
        return ""
    if isinstance(value, (bool, datetime.date | datetime.time)):
        raise _CellProblem("This cell holds a date or a true/false value; type a number.")
    if isinstance(value, int | float):
        if percent:
            # Typed as "12%", the cell holds 0.12 and shows 12%: the answer is 12.
            value = decimal.Decimal(repr(float(value))) * 100
            return format(value.normalize(), "f")
        return _plain_float(value) if isinstance(value, float) else str(value)
    return str(value).strip()


def fraction_warning(value: Any) -> str:
    """A doubt about a percentage typed as a fraction (0.45 for 45%) in a cell not
    formatted as a percentage: read as 0.45%, which may be meant, so it is said, not
    refused. A text with a "%" sign says what it means."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return ""
    try:
        number = decimal.Decimal(repr(value) if isinstance(value, float) else str(value).strip())
    except decimal.InvalidOperation:
        return ""
    if not (number.is_finite() and 0 < number <= 1):
        return ""
    shown = format(number.normalize(), "f")
    meant = format((number * 100).normalize(), "f")
    return (
        f"Read as {shown}%. If you meant {meant}%, enter {meant} "
        "(or format the cell as a percentage)."
    )


# A currency before or after a figure: "£250", "250 €", "EUR 250", "250 usd".
CURRENCY = re.compile(
    r"^\s*(?:[^\w\s.,+-]+|[A-Za-z]{3})\s*[-+]?[\d.,\s]*\d[\d.,\s]*$"
    r"|^\s*[-+]?[\d.,\s]*\d[\d.,\s]*(?:[^\w\s.,+-]+|[A-Za-z]{3})\s*$"
)


def _amount(value: Any) -> str:
    """A grid limit's amount, as the portal's amount box takes it."""
    if isinstance(value, str) and CURRENCY.match(value):
        raise _CellProblem(
            f"\u201c{_shorten(value)}\u201d: type the number without a currency sign, "
            "for example 250."
        )
    return _number(value)


TEXT_MAX_LENGTH = 2000  # a text question without its own max_length (vendors.forms)


def _whole(number: str) -> None:
    """A whole-number question refuses 2.5 saying so (the form's message is about range)."""
    try:
        parsed = decimal.Decimal(number.replace(",", ""))
    except decimal.InvalidOperation:
        return  # not a number at all: the form says what to type
    if parsed.is_finite() and parsed != parsed.to_integral_value():
        raise _CellProblem(
            f"\u201c{_shorten(number)}\u201d is not a whole number; this question takes a "
            "whole number, for example 12."
        )


def _within_length(text: str, limit: int, what: str) -> None:
    if len(text) > limit:
        raise _CellProblem(f"Keep {what} to {limit:,} characters or fewer; it has {len(text):,}.")


def _date(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime | datetime.date):
        return (value.date() if isinstance(value, datetime.datetime) else value).isoformat()
    if isinstance(value, int | float):
        raise _CellProblem("This cell holds a number; type a date as YYYY-MM-DD, e.g. 2026-03-31.")
    return str(value).strip()
