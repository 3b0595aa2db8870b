"""Writing a response as an XLSX workbook to answer offline (openpyxl).

The Answers sheet lists the questions in order, one row each (a grid: one row per cell,
below the question's own row), with the current answers and comments filled in and a
drop-down, number or date check on each answer cell. Only the answer, amount and
comment cells are unlocked; the sheet is protected so the rest is not edited by
accident. What binds the workbook to the response is not the protection (anyone can
lift it) but the signed key on the hidden Key sheet (layout.WorkbookKey): the reader
refuses a workbook whose key was changed or belongs to another response.
"""

from __future__ import annotations

import ast
import datetime
import io
from collections.abc import Mapping
from typing import Any, Literal, cast

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from questionnaires.definition import grid_cell, grid_choices, grid_limits
from questionnaires.display import answer_display, range_words
from questionnaires.models import Response
from questionnaires.rounds import round_currency

from ..forms import answer_fingerprint, declared_answers
from ..portal import QuestionnairePlan, ResponseState
from .layout import (
    ANSWERS,
    COLUMN,
    COLUMNS,
    FIRST_ROW,
    INSTRUCTIONS,
    KEY_CELL,
    KEY_SHEET,
    LISTS,
    MULTIPLE_SEPARATOR,
    WorkbookKey,
    grid_row_key,
)

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UNLOCKED = Protection(locked=False)
ANSWER_FILL = PatternFill("solid", fgColor="FFF7D6")
HEADER_FONT = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
# Excel cuts a data validation's input message at 255 characters and its title at 32.
PROMPT_MAX = 250
DATE_FORMAT = "yyyy-mm-dd"
COMMENT_MAX_LENGTH = 4000


def workbook_filename(response: Response) -> str:
    vendor = "".join(ch if ch.isalnum() else "-" for ch in response.vendor.name).strip("-")
    return f"{vendor or 'response'}-questionnaire.xlsx"


def workbook_bytes(response: Response, plan: QuestionnairePlan, state: ResponseState) -> bytes:
    """The response as a workbook, with its answers as `state` holds them."""
    writer = _Writer(response, plan, state)
    return writer.write()


class _Writer:
    def __init__(self, response: Response, plan: QuestionnairePlan, state: ResponseState):
        self.response = response
        self.plan = plan
        self.state = state
        self.currency = round_currency(response.selection)
        self.book = Workbook()
        self.instructions: Worksheet = self.book.active  # type: ignore[assignment]
        self.instructions.title = INSTRUCTIONS
        self.sheet = self.book.create_sheet(ANSWERS)
        self.lists = self.book.create_sheet(LISTS)
        self.key_sheet = self.book.create_sheet(KEY_SHEET)
        self.row = FIRST_ROW
        self.list_column = 0
        self.row_keys: list[str] = []

    def write(self) -> bytes:
        self._write_header()
        for section in self.plan.definition["sections"]:
            for question in section["questions"]:
                self._write_question(section, question)
        self._write_instructions()
        self._write_key()
        self._fit_rows(self.sheet, first=FIRST_ROW)
        self._fit_rows(self.instructions, first=1)
        self._print_setup()
        self._protect()
        out = io.BytesIO()
        self.book.save(out)
        return out.getvalue()

    # The Answers sheet ----------------------------------------------------------------

    def _write_header(self) -> None:
        for index, (_, title, width) in enumerate(COLUMNS, start=1):
            cell = self.sheet.cell(row=1, column=index, value=title)
            cell.font = HEADER_FONT
            self.sheet.column_dimensions[get_column_letter(index)].width = width
        self.sheet.column_dimensions["A"].hidden = True
        self.sheet.freeze_panes = "C2"

    def _put(self, name: str, value: Any) -> Any:
        cell = self.sheet.cell(row=self.row, column=COLUMN[name], value=_cell_text(value))
        cell.alignment = WRAP
        return cell

    def _write_question(self, section: Mapping[str, Any], question: Mapping[str, Any]) -> None:
        key = question["key"]
        answer = self.state.answer(key)
        self._put("key", key)
        self._put("number", self.plan.numbers[key])
        self._put("section", section["title"])
        text = question["text"]
        unit = _unit_hint(question, self.currency)
        self._put("question", f"{text} ({unit})" if unit else text)
        self._put("required", "Required" if question["required"] else "")
        self._put("only_if", condition_in_words(question.get("show_if"), self.plan))
        self._put("documents", self._documents(question))
        self._put("help", question.get("help") or "")
        self.row_keys.append(key)
        qtype = question["type"]
        answer_cell = self._put("answer", None)
        if question.get("derived"):
            value = self.state.values.get(key)
            answer_cell.value = (
                "Worked out from other answers: "
                + answer_display(question, value, currency=self.currency)
                if value is not None
                else "Worked out from other answers"
            )
        elif qtype == "file":
            answer_cell.value = "Upload the documents in the portal"
        elif qtype == "grid":
            answer_cell.value = "Answer each row below"
        else:
            self._answer_cell(question, answer.value, answer_cell)
        if not question.get("derived") and qtype != "file":
            # A file question's comment goes with its documents, in the portal.
            comment = self._put("comment", answer.comment or None)
            self._unlock(comment)
            self._validate(
                comment,
                DataValidation(
                    type="textLength",
                    operator="lessThanOrEqual",
                    formula1=str(COMMENT_MAX_LENGTH),
                    allow_blank=True,
                ),
                "Comment",
                f"Up to {COMMENT_MAX_LENGTH:,} characters.",
            )
        self.row += 1
        if qtype == "grid":
            self._write_grid(question, answer.value)

    def _answer_cell(self, question: Mapping[str, Any], value: Any, cell: Any) -> None:
        qtype = question["type"]
        self._unlock(cell)
        cell.fill = ANSWER_FILL
        if qtype == "yes_no":
            cell.value = {"yes": "Yes", "no": "No"}.get(value)
            self._choice_list(cell, ["Yes", "No"], "Choose Yes or No from the list.")
        elif qtype == "single_choice":
            labels = {c["key"]: c["label"] for c in question["choices"]}
            cell.value = labels.get(value)
            self._choice_list(cell, list(labels.values()), "Choose one answer from the list.")
        elif qtype == "multiple_choice":
            labels = {c["key"]: c["label"] for c in question["choices"]}
            chosen = value if isinstance(value, list) else []
            cell.value = _cell_text(
                f"{MULTIPLE_SEPARATOR} ".join(labels[k] for k in chosen if k in labels)
            )
            self._multiple_hint(cell, question)
        elif qtype in ("integer", "decimal", "percentage"):
            declared = declared_answers(question)
            cell.value = declared.get(value, value) if isinstance(value, str) else value
            self._number_check(cell, question)
        elif qtype == "date":
            cell.value = _date_or_text(value)
            cell.number_format = DATE_FORMAT
            self._validate(
                cell,
                DataValidation(type="date", operator="greaterThan", formula1="1", allow_blank=True),
                "Date",
                "A date, for example 2026-03-31.",
                "Enter a date, for example 2026-03-31.",
            )
        else:
            cell.value = _cell_text(value)
            limit = question.get("max_length") or 2000
            self._validate(
                cell,
                DataValidation(
                    type="textLength",
                    operator="lessThanOrEqual",
                    formula1=str(limit),
                    allow_blank=True,
                ),
                "Text",
                f"Up to {limit:,} characters.",
                f"Keep this answer to {limit:,} characters or fewer.",
            )

    def _write_grid(self, question: Mapping[str, Any], value: Any) -> None:
        key = question["key"]
        labels = {c["key"]: c["label"] for c in question["cells"]}
        with_limit = [c["label"] for c in question["cells"] if c["limit"]]
        choices, limits = grid_choices(value), grid_limits(value)
        options = self._options_range(list(labels.values()))
        for index, row in enumerate(question["rows"], start=1):
            for column in question["columns"]:
                cell_key = grid_cell(row["key"], column["key"])
                self._put("key", grid_row_key(key, row["key"], column["key"]))
                self._put("number", f"{self.plan.numbers[key]}.{index}")
                self._put("question", f"{row['label']}: {column['label']}")
                self.row_keys.append(grid_row_key(key, row["key"], column["key"]))
                cell = self._put("answer", labels.get(choices.get(cell_key)))
                self._unlock(cell)
                cell.fill = ANSWER_FILL
                self._validate(
                    cell,
                    DataValidation(type="list", formula1=options, allow_blank=True),
                    "One answer",
                    "Choose one answer from the list.",
                    "Choose one of the answers in the list.",
                )
                if with_limit:
                    amount = self._put("amount", limits.get(cell_key))
                    self._unlock(amount)
                    self._validate(
                        amount,
                        DataValidation(
                            type="decimal",
                            operator="greaterThanOrEqual",
                            formula1="0",
                            allow_blank=True,
                        ),
                        "Amount",
                        f"Only with \u201c{with_limit[0]}\u201d: the limit"
                        + (f" in {self.currency}" if self.currency else "")
                        + ".",
                        "Enter an amount of at least 0.",
                    )
                self.row += 1

    def _documents(self, question: Mapping[str, Any]) -> str:
        key = question["key"]
        if question["type"] == "file" or question.get("evidence"):
            files = self.state.evidence.get(key, [])
            held = f" ({len(files)} attached)" if files else ""
            return f"Requested: upload in the portal{held}"
        if key in self.state.documents_asked:
            return "Asked for by the analyst: upload in the portal"
        return ""

    # Checks on the answer cells ---------------------------------------------------------

    def _unlock(self, cell: Any) -> None:
        cell.protection = UNLOCKED

    def _validate(
        self, cell: Any, check: DataValidation, title: str, prompt: str, error: str = ""
    ) -> None:
        check.promptTitle = title[:32]
        check.prompt = prompt[:PROMPT_MAX]
        check.showInputMessage = True
        if error:
            check.errorTitle = "Not accepted"
            check.error = error[:PROMPT_MAX]
            check.showErrorMessage = True
        else:
            check.showErrorMessage = False
        self.sheet.add_data_validation(check)
        check.add(cell)

    def _options_range(self, options: list[str]) -> str:
        """Write `options` in a column of the Lists sheet; the range that lists them."""
        self.list_column += 1
        column = get_column_letter(self.list_column)
        self.lists.column_dimensions[column].width = 40
        for index, option in enumerate(options, start=1):
            self.lists.cell(row=index, column=self.list_column, value=_cell_text(option))
        return f"{quote_sheetname(LISTS)}!${column}$1:${column}${len(options)}"

    def _choice_list(self, cell: Any, options: list[str], prompt: str) -> None:
        self._validate(
            cell,
            DataValidation(type="list", formula1=self._options_range(options), allow_blank=True),
            "One answer",
            prompt,
            "Choose one of the answers in the list.",
        )

    def _multiple_hint(self, cell: Any, question: Mapping[str, Any]) -> None:
        # A list check allows one item, so several choices are typed: the input message
        # says how; the reader names any item it does not know.
        self._options_range([c["label"] for c in question["choices"]])
        column = get_column_letter(self.list_column)
        self._validate(
            cell,
            DataValidation(type="textLength", operator="lessThanOrEqual", formula1="4000"),
            "Several answers",
            "Type the answers that apply, separated by \u201c;\u201d, as written on the "
            f"Lists sheet (column {column}), for example \u201cFirst answer; Second answer\u201d.",
        )

    def _number_check(self, cell: Any, question: Mapping[str, Any]) -> None:
        qtype = question["type"]
        low, high = question.get("min"), question.get("max")
        if qtype == "percentage":
            low = 0 if low is None else low
            high = 100 if high is None else high
        declared = list(declared_answers(question).values())
        noun = {"integer": "A whole number", "percentage": "A percentage (12.5 for 12.5%)"}.get(
            qtype, "A number"
        )
        bounds = range_words(low, high)
        prompt = f"{noun}{bounds}."
        if declared:
            prompt += " Or instead: " + " / ".join(f"\u201c{d}\u201d" for d in declared)
        error = f"Enter {noun[0].lower()}{noun[1:]}{bounds}" + (
            ", or one of the answers instead of a figure." if declared else "."
        )
        where = cell.coordinate
        if declared:
            tests = [f"ISNUMBER({where})"]
            if qtype == "integer":
                tests.append(f"INT({where})={where}")
            if low is not None:
                tests.append(f"{where}>={low}")
            if high is not None:
                tests.append(f"{where}<={high}")
            quoted = ",".join(f'{where}="{d.replace(chr(34), chr(34) * 2)}"' for d in declared)
            formula = f"OR(AND({','.join(tests)}),{quoted})"
            check = DataValidation(type="custom", formula1=formula, allow_blank=True)
        else:
            kind: Literal["whole", "decimal"] = "whole" if qtype == "integer" else "decimal"
            if low is not None and high is not None:
                check = DataValidation(
                    type=kind,
                    operator="between",
                    formula1=str(low),
                    formula2=str(high),
                    allow_blank=True,
                )
            elif low is not None:
                check = DataValidation(
                    type=kind, operator="greaterThanOrEqual", formula1=str(low), allow_blank=True
                )
            elif high is not None:
                check = DataValidation(
                    type=kind, operator="lessThanOrEqual", formula1=str(high), allow_blank=True
                )
            else:
                check = DataValidation(
                    type=kind,
                    operator="between",
                    formula1="-999999999999999",
                    formula2="999999999999999",
                    allow_blank=True,
                )
        self._validate(cell, check, "Number", prompt, error)

    # The other sheets --------------------------------------------------------------------

    def _write_instructions(self) -> None:
        sheet = self.instructions
        sheet.column_dimensions["A"].width = 110
        response = self.response
        lines = [
            (f"{self.plan.definition['title']}: answering offline", True),
            (f"Vendor: {response.vendor.name}. Round: {response.selection}.", False),
            (f"Written {datetime.date.today().isoformat()}, with the answers saved then.", False),
            ("", False),
            ("How to fill it in", True),
            (
                "Answer on the Answers sheet, in the yellow Answer column, with a comment "
                "where you want one. Only the Answer, Amount and Comment cells can be edited.",
                False,
            ),
            (
                "One answer: choose it from the cell's drop-down list. Yes/no: choose Yes or No.",
                False,
            ),
            (
                "Several answers: type them separated by a semicolon (;), as the Lists sheet "
                "writes them, for example \u201cFirst answer; Second answer\u201d.",
                False,
            ),
            (
                "Numbers: type the figure only (12.5 for 12.5%). A question may offer an "
                "answer instead of a figure (such as \u201cWe do not measure this\u201d): "
                "type it exactly as the cell's message shows it.",
                False,
            ),
            ("Dates: type them as 2026-03-31.", False),
            (
                "Tables (grids): answer each row below the question, one cell of the table "
                "per row; where the answer takes a limit, put the amount in the Amount column.",
                False,
            ),
            (
                "Worked-out values (rates from two counts) are shown, not typed: they follow "
                "from the answers they come from.",
                False,
            ),
            (
                "\u201cAnswer only if\u201d: answer that question only when the condition "
                "holds; otherwise it is not asked and anything typed there is ignored.",
                False,
            ),
            (
                "Documents cannot travel in the workbook: upload them in the portal.",
                False,
            ),
            (
                "Type values, not formulas: a cell holding a formula is refused.",
                False,
            ),
            ("", False),
            ("Sending it back", True),
            (
                "Upload it through the portal's “Answer offline in a workbook” page "
                "(linked from its first page). Nothing is saved until you have seen the "
                "preview (what is new, changed, unchanged, and what someone else saved "
                "since this workbook was written) and confirmed it.",
                False,
            ),
            (
                "Do not change the hidden Key column or the Key sheet, insert or delete rows: "
                "the workbook belongs to this response only and is refused if they change.",
                False,
            ),
        ]
        for index, (text, bold) in enumerate(lines, start=1):
            cell = sheet.cell(row=index, column=1, value=text)
            cell.alignment = Alignment(wrap_text=True)
            if bold:
                cell.font = HEADER_FONT

    def _write_key(self) -> None:
        answers = {
            key: (self.state.answer(key).revision, _loaded(self.state, key))
            for key in self.plan.questions_by_key
        }
        key = WorkbookKey(
            response_id=self.response.pk,
            version_id=self.response.version_id,
            rows=tuple(self.row_keys),
            answers=answers,
        )
        self.key_sheet[KEY_CELL] = key.sign()
        self.key_sheet["A2"] = "Do not edit: this binds the workbook to its response."
        self.key_sheet.sheet_state = "hidden"
        # The Lists sheet stays visible (protected): the prompts send the vendor to it.

    def _fit_rows(self, sheet: Worksheet, *, first: int) -> None:
        """Give each row of wrapped text the height its longest text needs: applications
        that do not measure rows themselves (LibreOffice on opening, printing) would
        otherwise draw it one line high, overlapping the next."""
        widths = {
            letter: dimension.width or DEFAULT_COLUMN_WIDTH
            for letter, dimension in sheet.column_dimensions.items()
        }
        for row in sheet.iter_rows(min_row=first):
            lines = 1
            for cell in row:
                letter = get_column_letter(cast(int, cell.column))
                if cell.value in (None, "") or sheet.column_dimensions[letter].hidden:
                    continue
                width = widths.get(letter, DEFAULT_COLUMN_WIDTH)
                lines = max(lines, _lines(str(cell.value), width))
            sheet.row_dimensions[cast(int, row[0].row)].height = min(
                lines * LINE_HEIGHT + 3, MAX_ROW_HEIGHT
            )

    def _print_setup(self) -> None:
        """Print the Answers and Instructions sheets landscape, one page wide, the
        Answers header on every page."""
        for sheet in (self.sheet, self.instructions):
            sheet.page_setup.orientation = "landscape"
            sheet.page_setup.fitToWidth = 1
            sheet.page_setup.fitToHeight = 0  # as many pages down as it takes
            sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        self.sheet.print_title_rows = "1:1"

    def _protect(self) -> None:
        for sheet in (self.sheet, self.lists):
            for row in sheet.iter_rows():
                for cell in row:
                    _as_text_if_formula_like(cell)
        for sheet in (self.sheet, self.lists, self.key_sheet, self.instructions):
            sheet.protection.sheet = True
        # Widening columns and rows to read long texts does no harm.
        self.sheet.protection.formatColumns = False
        self.sheet.protection.formatRows = False
        self.book.active = 1


DEFAULT_COLUMN_WIDTH = 13
LINE_HEIGHT = 15  # points, one line of the default 11-point font
MAX_ROW_HEIGHT = 409  # the most a spreadsheet row can be


def _lines(text: str, width: float) -> int:
    """How many lines `text` takes wrapped in a column `width` characters wide (a
    little generous: proportional fonts fit about that many average characters)."""
    per_line = max(int(width * 1.1) - 1, 1)
    return sum(max(-(-len(part) // per_line), 1) for part in text.split("\n"))


def _cell_text(value: Any) -> Any:
    """Text as a cell can hold it: control characters (which XLSX cannot store) left out."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def _as_text_if_formula_like(cell: Any) -> None:
    # An answer typed as "=SUM(...)" is text: stored as a string, shown with a quote
    # prefix, so no spreadsheet ever runs it as a formula.
    if isinstance(cell.value, str) and cell.value.startswith("="):
        cell.data_type = "s"
        cell.quotePrefix = True


def _loaded(state: ResponseState, key: str) -> str:
    answer = state.answer(key)
    return answer_fingerprint(answer.value, answer.comment)


def _date_or_text(value: Any) -> Any:
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        return str(value)


def _unit_hint(question: Mapping[str, Any], currency: str | None) -> str:
    unit = question.get("unit")
    if question["type"] == "percentage":
        return "%"
    if unit == "currency":
        return currency or "buyer's currency"
    return unit if unit and unit != "count" else ""


# "Answer only if" in words -------------------------------------------------------------

_COMPARISONS = {
    ast.Eq: "is",
    ast.NotEq: "is not",
    ast.Gt: "is more than",
    ast.GtE: "is at least",
    ast.Lt: "is less than",
    ast.LtE: "is at most",
    ast.In: "is one of",
    ast.NotIn: "is none of",
}


def condition_in_words(expression: str | None, plan: QuestionnairePlan) -> str:
    """A `show_if` as a vendor reads it: "2.1 (Autonomy) is one of: Drafts, Acts alone".

    Falls back to the expression itself for anything it does not know how to say."""
    if not expression:
        return ""
    try:
        tree = ast.parse(expression, mode="eval").body
        return _words(tree, plan, None)
    except (SyntaxError, _Unsayable):
        return expression


class _Unsayable(Exception):
    pass


def _words(node: ast.AST, plan: QuestionnairePlan, subject: Mapping[str, Any] | None) -> str:
    if isinstance(node, ast.BoolOp):
        joiner = " and " if isinstance(node.op, ast.And) else " or "
        return joiner.join(_words(v, plan, None) for v in node.values)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return "not (" + _words(node.operand, plan, None) + ")"
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        left = node.left
        if not isinstance(left, ast.Name) or left.id not in plan.questions_by_key:
            raise _Unsayable
        question = plan.questions_by_key[left.id]
        op = _COMPARISONS.get(type(node.ops[0]))
        if op is None:
            raise _Unsayable
        right = _value_words(node.comparators[0], question)
        name = f"{plan.numbers[left.id]} ({_short(question['text'])})"
        return f"{name} {op}{':' if op.endswith('of') else ''} {right}"
    if isinstance(node, ast.Name) and node.id in plan.questions_by_key:
        return f"{plan.numbers[node.id]} is answered"
    raise _Unsayable


def _value_words(node: ast.AST, question: Mapping[str, Any]) -> str:
    labels = {c["key"]: c["label"] for c in question.get("choices") or ()}
    labels.update({"yes": "Yes", "no": "No"} if question["type"] == "yes_no" else {})
    labels.update(declared_answers(question))
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return ", ".join(_value_words(item, question) for item in node.elts)
    if isinstance(node, ast.Constant):
        if isinstance(node.value, str):
            return f"\u201c{labels.get(node.value, node.value)}\u201d"
        if isinstance(node.value, bool) or node.value is None:
            raise _Unsayable
        return f"{node.value:g}" if isinstance(node.value, float) else str(node.value)
    raise _Unsayable


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"
