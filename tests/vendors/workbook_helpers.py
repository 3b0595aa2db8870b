"""Builders shared by the workbook tests: export a response, edit cells, read it back."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from typing import Any

from openpyxl import Workbook, load_workbook

from questionnaires.models import Response
from vendors.portal import questionnaire_plan, response_state
from vendors.workbook.export import workbook_bytes
from vendors.workbook.layout import ANSWERS, COLUMN
from vendors.workbook.read import Reading, read_workbook


def export(response: Response) -> bytes:
    plan = questionnaire_plan(response.version)
    return workbook_bytes(response, plan, response_state(response, plan, with_evidence=True))


def read(response: Response, data: bytes) -> Reading:
    plan = questionnaire_plan(response.version)
    return read_workbook(data, response=response, plan=plan, state=response_state(response, plan))


def open_book(data: bytes) -> Workbook:
    return load_workbook(io.BytesIO(data))


def save(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def row_of(book: Workbook, key: str) -> int:
    sheet = book[ANSWERS]
    for row in range(2, sheet.max_row + 1):
        if sheet.cell(row=row, column=COLUMN["key"]).value == key:
            return row
    raise KeyError(key)


def cell_of(book: Workbook, key: str, column: str = "answer") -> str:
    """ "F12": the cell of a question's (or grid cell's) answer, amount or comment."""
    return book[ANSWERS].cell(row=row_of(book, key), column=COLUMN[column]).coordinate


def edited(
    data: bytes,
    cells: Mapping[str, Any] | None = None,
    *,
    comments: Mapping[str, str] | None = None,
    amounts: Mapping[str, Any] | None = None,
    change: Callable[[Workbook], None] | None = None,
) -> bytes:
    """The workbook with answer cells (by row key), comments and amounts set."""
    book = open_book(data)
    sheet = book[ANSWERS]
    for column, values in (("answer", cells), ("comment", comments), ("amount", amounts)):
        for key, value in (values or {}).items():
            # .value, not cell(value=...), which leaves the cell as it is for None.
            sheet.cell(row=row_of(book, key), column=COLUMN[column]).value = value
    if change:
        change(book)
    return save(book)
