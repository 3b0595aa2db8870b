"""The exported workbook: what each row says, the checks on each answer cell, what is
protected, the signed key; and LibreOffice opens it."""

from __future__ import annotations

import csv
import shutil
import subprocess

import pytest

from questionnaires.definition import iter_questions
from tests.factories import answer_all
from tests.vendors.helpers import open_response
from tests.vendors.workbook_helpers import cell_of, export, open_book, row_of
from vendors.forms import answer_field
from vendors.portal import questionnaire_plan
from vendors.workbook.export import condition_in_words
from vendors.workbook.layout import (
    ANSWERS,
    COLUMN,
    FIRST_ROW,
    INSTRUCTIONS,
    KEY_SHEET,
    LISTS,
    WorkbookKey,
)


def _row(book, key) -> dict:
    sheet = book[ANSWERS]
    row = row_of(book, key)
    return {name: sheet.cell(row=row, column=index).value for name, index in COLUMN.items()}


def _check_of(book, key, column="answer"):
    where = cell_of(book, key, column)
    found = [dv for dv in book[ANSWERS].data_validations.dataValidation if where in dv.sqref]
    assert len(found) == 1, f"{key}: {len(found)} checks on {where}"
    return found[0]


@pytest.fixture
def minimal_book(example_version):
    _, response = open_response(example_version)
    answer_all(
        response,
        {
            "live_deployments": 12,
            "rollback_rate": 8.5,
            "rollback_reasons": ["hallucination", "cost"],
            "live_monitoring": "realtime",
            "human_approval_money": "yes",
        },
    )
    return response, open_book(export(response))


def test_each_question_is_a_row_in_order_with_its_answer(minimal_book):
    response, book = minimal_book
    sheet = book[ANSWERS]
    keys = [sheet.cell(row=r, column=1).value for r in range(2, sheet.max_row + 1)]
    assert [k for k in keys if k] == [
        q.key for q in response.version.questions.order_by("section__position", "position")
    ]
    row = _row(book, "rollback_reasons")
    assert row["number"] == "1.3"
    assert row["section"] == "Production track record"
    assert row["answer"] == "Hallucinated policy or commitment; Cost"
    assert row["only_if"] == (
        "1.2 (Of those deployments, what share was rolled back, paused or\u2026) is more than 0"
    )
    assert _row(book, "live_monitoring")["answer"] == "Real-time monitoring with alerting"
    assert _row(book, "human_approval_money")["answer"] == "Yes"
    assert _row(book, "rollback_rate")["answer"] == 8.5
    assert _row(book, "rollback_rate")["question"].endswith("(%)")
    assert _row(book, "live_deployments")["help"].startswith("The denominator")
    assert _row(book, "monitoring_report")["documents"].startswith(
        "Requested: upload in the portal"
    )


def test_answer_cells_have_the_checks_of_their_question(minimal_book):
    _, book = minimal_book
    whole = _check_of(book, "live_deployments")
    assert (whole.type, whole.operator, whole.formula1) == ("whole", "greaterThanOrEqual", "0")
    percent = _check_of(book, "rollback_rate")
    assert (percent.type, percent.operator, percent.formula1, percent.formula2) == (
        "decimal",
        "between",
        "0",
        "100",
    )
    one = _check_of(book, "live_monitoring")
    assert one.type == "list" and one.formula1.startswith("'Lists'!$")
    column = one.formula1.split("$")[1]
    options = [book[LISTS][f"{column}{i}"].value for i in (1, 2, 3)]
    assert options == [
        "Real-time monitoring with alerting",
        "Sampled review after the fact",
        "Not monitored",
    ]
    several = _check_of(book, "rollback_reasons")
    assert "separated by \u201c;\u201d" in several.prompt
    text = _check_of(book, "kill_switch_owner")
    assert (text.type, text.formula1) == ("textLength", "500")
    comment = _check_of(book, "kill_switch_owner", "comment")
    assert (comment.type, comment.formula1) == ("textLength", "4000")


def test_a_number_cell_words_its_range_as_the_portal_does(minimal_book):
    response, book = minimal_book
    questions = {q["key"]: q for _, q in iter_questions(response.version.definition)}
    whole = _check_of(book, "live_deployments")
    portal = answer_field(questions["live_deployments"]).error_messages["min_value"]
    assert whole.error == portal == "Enter a whole number of at least 0."
    percent = _check_of(book, "rollback_rate")
    portal = answer_field(questions["rollback_rate"]).error_messages["max_value"]
    assert portal == "Enter a percentage between 0 and 100."
    assert percent.prompt == "A percentage (12.5 for 12.5%) between 0 and 100."
    assert percent.error == "Enter a percentage (12.5 for 12.5%) between 0 and 100."


def test_declared_answers_are_allowed_values_of_a_number_cell(extensions_version):
    _, response = open_response(extensions_version)
    book = open_book(export(response))
    check = _check_of(book, "rollbacks")
    where = cell_of(book, "rollbacks")
    assert check.type == "custom"
    assert check.formula1 == (
        f'OR(AND(ISNUMBER({where}),INT({where})={where},{where}>=0),{where}="We do not count them")'
    )
    assert "We do not count them" in check.prompt


def test_derived_values_are_shown_and_locked_and_grids_have_a_row_per_cell(extensions_version):
    _, response = open_response(extensions_version)
    answer_all(response, {"live_deployments": 10, "rollbacks": 2})
    book = open_book(export(response))
    sheet = book[ANSWERS]
    derived = sheet[cell_of(book, "rollback_rate")]
    assert derived.value == "Worked out from other answers: 20%"
    assert derived.protection.locked
    cells = [
        k
        for k in (sheet.cell(row=r, column=1).value for r in range(2, sheet.max_row + 1))
        if k and k.startswith("action_authority/")
    ]
    assert cells == [
        "action_authority/refund/voice",
        "action_authority/refund/chat",
        "action_authority/account_change/voice",
        "action_authority/account_change/chat",
    ]
    grid_cell = _check_of(book, "action_authority/refund/voice")
    assert grid_cell.type == "list"
    amount = _check_of(book, "action_authority/refund/voice", "amount")
    assert (amount.type, amount.formula1) == ("decimal", "0")


def test_only_answer_amount_and_comment_cells_are_unlocked(minimal_book):
    _, book = minimal_book
    sheet = book[ANSWERS]
    assert sheet.protection.sheet
    assert sheet.column_dimensions["A"].hidden
    row = row_of(book, "live_deployments")
    unlocked = {
        name
        for name, index in COLUMN.items()
        if not sheet.cell(row=row, column=index).protection.locked
    }
    assert unlocked == {"answer", "comment"}
    assert book[KEY_SHEET].sheet_state == "hidden" and book[KEY_SHEET].protection.sheet
    # The prompts send the vendor to the Lists sheet: it is there to read, not to edit.
    assert book[LISTS].sheet_state == "visible" and book[LISTS].protection.sheet


def test_the_key_binds_the_workbook_to_the_response_and_its_revisions(minimal_book):
    response, book = minimal_book
    key = WorkbookKey.unsign(book[KEY_SHEET]["A1"].value)
    assert (key.response_id, key.version_id) == (response.pk, response.version_id)
    revisions = dict(response.answers.values_list("question__key", "revision"))
    assert {k: v[0] for k, v in key.answers.items() if k in revisions} == revisions
    # No token, no secret in the workbook: the signature is over ids and revisions.
    assert "token" not in book[KEY_SHEET]["A1"].value


def test_the_instructions_say_how_to_fill_it_in(minimal_book):
    _, book = minimal_book
    text = " ".join(str(c.value or "") for c in book[INSTRUCTIONS]["A"])
    for words in ("semicolon (;)", "upload them in the portal", "formula", "preview"):
        assert words in text


def test_conditions_read_in_words(extensions_version, shipped_v2_version):
    plan = questionnaire_plan(shipped_v2_version)
    said = condition_in_words(
        "autonomy in ['drafts_for_human', 'acts_with_approval', 'acts_autonomously']", plan
    )
    assert said.startswith(plan.numbers["autonomy"] + " (")
    assert "is one of:" in said and "'" not in said
    assert "not_measured" not in condition_in_words(
        "live_deployments > 0 or live_deployments == 'not_measured'", plan
    )
    # Anything it cannot put in words stays as written rather than being guessed.
    assert condition_in_words("len(channels) > 1", plan) == "len(channels) > 1"


# LibreOffice opens it ------------------------------------------------------------------------


@pytest.mark.skipif(
    shutil.which("soffice") is None, reason="needs libreoffice-calc (make system-deps)"
)
def test_libreoffice_opens_the_workbook_and_reads_its_answers(shipped_v2_version, tmp_path):
    _, response = open_response(shipped_v2_version)
    answer_all(response, {"live_deployments": 12})
    source = tmp_path / "answers.xlsx"
    source.write_bytes(export(response))
    # The Answers sheet is the second; LibreOffice 7.2+ takes the sheet number in the
    # filter options (column 44 = comma, 34 = quotes, 76 = UTF-8, 1 = first line).
    result = subprocess.run(
        [
            "soffice",
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,2",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    converted = list(tmp_path.glob("answers*.csv"))
    assert converted, result.stdout + result.stderr
    rows = list(csv.reader(converted[0].open(encoding="utf-8")))
    assert rows[0][:6] == ["Key", "No.", "Section", "Question", "Required", "Answer"]
    by_key = {row[0]: row for row in rows[1:] if row}
    assert by_key["live_deployments"][5] == "12"
    assert len([k for k in by_key if "/" not in k]) == 105


@pytest.mark.skipif(
    shutil.which("soffice") is None, reason="needs libreoffice-calc (make system-deps)"
)
def test_a_workbook_saved_again_by_libreoffice_reads_back_unchanged(example_version, tmp_path):
    """A vendor who opens and saves the workbook in LibreOffice can upload it."""
    from tests.vendors.workbook_helpers import read

    _, response = open_response(example_version)
    answer_all(response, {"live_deployments": 12, "rollback_reasons": ["latency", "cost"]})
    source = tmp_path / "in" / "answers.xlsx"
    source.parent.mkdir()
    source.write_bytes(export(response))
    result = subprocess.run(
        [
            "soffice",
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    saved = (tmp_path / "answers.xlsx").read_bytes()
    assert saved != source.read_bytes()
    reading = read(response, saved)
    assert reading.problems == []
    assert reading.changes == []


def test_the_sheets_print_landscape_one_page_wide_with_the_header_repeated(minimal_book):
    _, book = minimal_book
    for name in (ANSWERS, INSTRUCTIONS):
        sheet = book[name]
        assert sheet.page_setup.orientation == "landscape"
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
    assert book[ANSWERS].print_title_rows == "$1:$1"


def test_rows_of_wrapped_text_are_as_high_as_their_longest_text(minimal_book):
    _, book = minimal_book
    sheet = book[ANSWERS]
    widths = {letter: d.width for letter, d in sheet.column_dimensions.items()}
    for row in range(FIRST_ROW, sheet.max_row + 1):
        height = sheet.row_dimensions[row].height
        assert height is not None and 15 <= height <= 409
        for cell in sheet[row]:
            if isinstance(cell.value, str) and cell.column_letter != "A":
                # Enough lines of 15 points for the text at about one character per
                # unit of column width.
                needed = len(cell.value) / (widths[cell.column_letter] * 1.1) * 15
                assert height >= min(needed, 409), (cell.coordinate, height, needed)
    assert all(book[INSTRUCTIONS].row_dimensions[row].height for row in range(1, 5))
