"""Reading an uploaded workbook: every refusal, and each problem a cell can have, named
by sheet, cell, question number and label, with what to do."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core import signing

from questionnaires.models import ResponseStatus
from tests.factories import answer_all
from tests.vendors.helpers import open_response
from tests.vendors.workbook_helpers import cell_of, edited, export, open_book, read, save
from vendors.workbook.layout import KEY_CELL, KEY_SHEET, SIGNING_SALT, WorkbookKey
from vendors.workbook.read import WorkbookRefused, cell_order, check_name, check_package


@pytest.fixture
def minimal(example_version):
    _, response = open_response(example_version)
    return response, export(response)


@pytest.fixture
def extended(extensions_version):
    _, response = open_response(extensions_version)
    return response, export(response)


def _refusal(response, data) -> str:
    with pytest.raises(WorkbookRefused) as caught:
        read(response, data)
    return str(caught.value)


# Refusals: the file as a whole --------------------------------------------------------


def test_an_unchanged_workbook_reads_without_problems_or_changes(minimal):
    response, data = minimal
    reading = read(response, data)
    assert reading.problems == []
    assert reading.changes == []
    # Every question but the file question travels in the workbook.
    assert "monitoring_report" not in reading.keys
    assert {"live_deployments", "rollback_reasons", "kill_switch_owner"} <= set(reading.keys)


def test_a_workbook_of_another_response_is_refused(example_version, minimal):
    _, data = minimal
    _, other = open_response(example_version)
    assert "downloaded for another response" in _refusal(other, data)


def test_a_workbook_of_another_version_is_refused(minimal):
    response, data = minimal
    book = open_book(data)
    key = WorkbookKey.unsign(book[KEY_SHEET][KEY_CELL].value)
    forged = WorkbookKey(key.response_id, key.version_id + 1000, key.rows, key.answers)
    book[KEY_SHEET][KEY_CELL] = forged.sign()
    assert "another version of the questionnaire" in _refusal(response, save(book))


def test_a_tampered_key_is_refused(minimal):
    response, data = minimal
    book = open_book(data)
    signed = book[KEY_SHEET][KEY_CELL].value
    book[KEY_SHEET][KEY_CELL] = signed[:-3] + ("AAA" if not signed.endswith("AAA") else "BBB")
    assert "key was changed" in _refusal(response, save(book))


def test_a_key_signed_with_another_salt_is_refused(minimal):
    """The portal token, or any other signature of ours, does not make a workbook key."""
    response, data = minimal
    book = open_book(data)
    key = WorkbookKey.unsign(book[KEY_SHEET][KEY_CELL].value)
    book[KEY_SHEET][KEY_CELL] = signing.dumps({"response": key.response_id}, salt="other")
    assert SIGNING_SALT != "other"
    assert "key was changed" in _refusal(response, save(book))


def test_a_changed_key_column_is_refused_naming_the_row(minimal):
    response, data = minimal
    changed = edited(data, change=lambda b: b["Answers"].cell(row=2, column=1, value="oops"))
    refusal = _refusal(response, changed)
    assert refusal.startswith("Answers row 2 should be question 1.1 but holds a changed hidden key")


def test_moved_rows_are_refused_naming_the_first_row_out_of_place(minimal):
    response, data = minimal

    def swap(book):
        sheet = book["Answers"]
        a, b = sheet.cell(row=2, column=1).value, sheet.cell(row=3, column=1).value
        sheet.cell(row=2, column=1, value=b)
        sheet.cell(row=3, column=1, value=a)

    assert _refusal(response, edited(data, change=swap)).startswith(
        "Answers row 2 should be question 1.1 but holds question 1.2: rows were moved"
    )


def test_a_deleted_row_names_the_first_row_that_moved_up(minimal):
    response, data = minimal
    refusal = _refusal(response, edited(data, change=lambda b: b["Answers"].delete_rows(3)))
    assert refusal.startswith("Answers row 3 should be question 1.2 but holds question 1.3")
    assert "put the rows back in order" in refusal


def test_a_copied_row_below_the_table_is_refused_naming_it(minimal):
    response, data = minimal

    def copy_first(book):
        sheet = book["Answers"]
        last = sheet.max_row + 1
        for column in range(1, 12):
            sheet.cell(row=last, column=column, value=sheet.cell(row=2, column=column).value)

    refusal = _refusal(response, edited(data, change=copy_first))
    assert "is below the last question but holds question 1.1: a row was copied" in refusal


def test_text_outside_the_table_is_a_problem_named_by_its_cell(minimal):
    response, data = minimal

    def notes(book):
        sheet = book["Answers"]
        below = sheet.max_row + 3
        sheet.cell(row=below, column=6, value="Ask Sam about this")
        sheet.cell(row=2, column=13, value="see appendix")
        sheet.cell(row=3, column=14, value="   ")  # blank: says nothing

    reading = read(response, edited(data, change=notes))
    below = open_book(data)["Answers"].max_row + 3
    assert [str(p) for p in reading.problems] == [
        "Answers!M2: this cell is outside the answers table; move its text into a comment "
        "or remove it.",
        f"Answers!F{below}: this cell is outside the answers table; move its text into a "
        "comment or remove it.",
    ]
    assert reading.changes == []


def test_problems_are_listed_top_to_bottom_by_row_then_column(minimal):
    """Found question by question (outside cells first, the form's own checks last);
    listed in the order the vendor corrects the file."""
    response, data = minimal
    below = open_book(data)["Answers"].max_row + 3

    def notes(book):
        book["Answers"].cell(row=below, column=6, value="Ask Sam about this")

    reading = read(
        response,
        edited(data, {"live_deployments": -1, "live_monitoring": "x"}, change=notes),
    )
    book = open_book(data)
    cells = [p.cell for p in reading.problems]
    expected = [
        f"Answers!{cell_of(book, 'live_deployments')}",
        f"Answers!{cell_of(book, 'live_monitoring')}",
        f"Answers!F{below}",
    ]
    assert cells == sorted(expected, key=lambda c: int(c.split("!F")[1]))
    assert cells[-1] == f"Answers!F{below}"


def test_cells_sort_by_sheet_row_then_column():
    cells = ["Answers!F129", "Answers!AA16", "Answers!F24", "Answers!Z16", "Answers", "Key!A1"]
    assert sorted(cells, key=cell_order) == [
        "Answers",
        "Answers!Z16",
        "Answers!AA16",
        "Answers!F24",
        "Answers!F129",
        "Key!A1",
    ]


def test_empty_cells_below_the_table_say_nothing(minimal):
    response, data = minimal

    def blanks(book):
        sheet = book["Answers"]
        sheet.cell(row=sheet.max_row + 2, column=4, value="")
        sheet.cell(row=sheet.max_row + 4, column=1, value=" ")

    reading = read(response, edited(data, change=blanks))
    assert reading.problems == [] and reading.changes == []


def test_a_macro_enabled_name_is_refused():
    with pytest.raises(WorkbookRefused, match="macro-enabled"):
        check_name("answers.xlsm")


def test_a_name_that_is_not_xlsx_is_refused():
    with pytest.raises(WorkbookRefused, match="not an Excel workbook"):
        check_name("answers.csv")


def _with_member(data: bytes, name: str, content: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        target.writestr(name, content)
    return out.getvalue()


def test_a_workbook_with_a_vba_project_is_refused(minimal):
    response, data = minimal
    with_macros = _with_member(data, "xl/vbaProject.bin", b"\x00" * 64)
    assert "holds macros" in _refusal(response, with_macros)


def test_a_macro_enabled_content_type_is_refused(minimal):
    response, data = minimal
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            body = source.read(item.filename)
            if item.filename == "[Content_Types].xml":
                body = body.replace(b"sheet.main+xml", b"sheet.macroEnabled.main+xml")
            target.writestr(item, body)
    assert "macro-enabled" in _refusal(response, out.getvalue())


def test_a_file_over_the_size_limit_is_refused_before_it_is_opened(settings, minimal):
    response, data = minimal
    settings.WORKBOOK_MAX_BYTES = len(data) - 1
    assert "a workbook can be at most" in _refusal(response, data)


def test_a_zip_bomb_is_refused_from_its_declared_sizes(settings):
    settings.WORKBOOK_MAX_UNCOMPRESSED_BYTES = 5 * 1024 * 1024
    # 50 MB of zeros compress to about 50 KB: the zip's directory declares the 50 MB.
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        bomb.writestr("[Content_Types].xml", b"<Types/>")
        bomb.writestr("xl/workbook.xml", b"<workbook/>")
        bomb.writestr("xl/worksheets/sheet1.xml", b"\x00" * (50 * 1024 * 1024))
    assert len(out.getvalue()) < settings.WORKBOOK_MAX_BYTES
    with pytest.raises(WorkbookRefused, match="unpacks to 50"):
        check_package(out.getvalue())


@pytest.mark.parametrize("content", [b"not a zip at all", b"PK\x03\x04broken", b""])
def test_a_file_that_is_not_an_xlsx_is_refused(minimal, content):
    response, _ = minimal
    assert "not an Excel workbook" in _refusal(response, content)


def test_a_zip_that_is_not_a_workbook_is_refused(minimal):
    response, _ = minimal
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as other:
        other.writestr("readme.txt", b"hello")
    assert "not an Excel workbook" in _refusal(response, out.getvalue())


def test_a_workbook_not_from_the_portal_is_refused(minimal):
    from openpyxl import Workbook

    response, _ = minimal
    assert "not a workbook downloaded from the portal" in _refusal(response, save(Workbook()))


def test_too_many_rows_are_refused(settings, minimal):
    response, data = minimal
    settings.WORKBOOK_MAX_ROWS = 3
    assert "more than 3 rows" in _refusal(response, data)


# Problems: cell by cell ---------------------------------------------------------------


def _problems(response, data, cells=None, **kwargs) -> list[str]:
    return [str(p) for p in read(response, edited(data, cells, **kwargs)).problems]


def test_a_formula_is_never_evaluated_and_is_a_problem(minimal):
    response, data = minimal
    book = open_book(data)
    where = cell_of(book, "live_deployments")
    problems = _problems(response, data, {"live_deployments": "=1+1"})
    assert problems == [
        f"Answers!{where}, question 1.1 (How many enterprise deployments of the agent were "
        "live at any time in the last 12 months?): This cell holds a formula; type the "
        "value itself."
    ]
    assert read(response, edited(data, {"live_deployments": "=1+1"})).changes == []


def test_a_formula_in_a_comment_is_a_problem_too(minimal):
    response, data = minimal
    problems = _problems(response, data, comments={"live_deployments": '=HYPERLINK("x")'})
    assert len(problems) == 1 and "formula" in problems[0]


def test_a_number_out_of_bounds_names_the_cell_and_the_bounds(minimal):
    response, data = minimal
    where = cell_of(open_book(data), "live_deployments")
    problems = _problems(response, data, {"live_deployments": -3})
    assert problems == [
        f"Answers!{where}, question 1.1 (How many enterprise deployments of the agent were "
        "live at any time in the last 12 months?): Enter a whole number of at least 0."
    ]


def test_text_in_a_number_cell_says_what_to_type(minimal):
    response, data = minimal
    (problem,) = _problems(response, data, {"live_deployments": "about twelve"})
    assert problem.endswith("Enter a whole number of at least 0.")


def test_a_fraction_in_a_whole_number_cell_is_a_problem(minimal):
    response, data = minimal
    for typed in (2.5, "2.5"):
        (problem,) = _problems(response, data, {"live_deployments": typed})
        assert problem.endswith(
            "\u201c2.5\u201d is not a whole number; this question takes a whole number, "
            "for example 12."
        )


def test_a_percentage_over_100_is_a_problem(minimal):
    response, data = minimal
    (problem,) = _problems(response, data, {"live_deployments": 4, "rollback_rate": 140})
    assert "question 1.2" in problem and "between 0 and 100" in problem


def test_an_unknown_choice_lists_the_choices(minimal):
    response, data = minimal
    where = cell_of(open_book(data), "live_monitoring")
    (problem,) = _problems(response, data, {"live_monitoring": "Daily"})
    assert problem == (
        f"Answers!{where}, question 2.1 (How are live interactions monitored?): \u201cDaily\u201d "
        "is not one of the answers; choose one of \u201cReal-time monitoring with alerting\u201d, "
        "\u201cSampled review after the fact\u201d, \u201cNot monitored\u201d from the cell's list."
    )


def test_yes_no_takes_yes_or_no_only(minimal):
    response, data = minimal
    (problem,) = _problems(response, data, {"human_approval_money": "maybe"})
    assert "choose one of \u201cYes\u201d or \u201cNo\u201d" in problem


def test_an_unknown_item_among_several_choices_is_named(minimal):
    response, data = minimal
    (problem,) = _problems(
        response,
        data,
        {"live_deployments": 4, "rollback_rate": 10, "rollback_reasons": "Cost; Weather"},
    )
    assert "\u201cWeather\u201d is not among the answers" in problem
    assert "separated by \u201c;\u201d" in problem


def test_text_over_its_length_is_a_problem(minimal):
    response, data = minimal
    (problem,) = _problems(response, data, {"kill_switch_owner": "x" * 1501})
    assert problem.endswith("Keep this answer to 500 characters or fewer; it has 1,501.")


def test_a_comment_over_its_length_is_a_problem(minimal):
    response, data = minimal
    where = cell_of(open_book(data), "live_deployments", "comment")
    (problem,) = _problems(response, data, comments={"live_deployments": "y" * 4001})
    assert problem.startswith(f"Answers!{where}, question 1.1")
    assert "Keep the comment to 4,000 characters or fewer" in problem


def test_a_date_in_a_number_cell_is_a_problem(minimal):
    import datetime

    response, data = minimal
    (problem,) = _problems(response, data, {"live_deployments": datetime.date(2026, 1, 2)})
    assert "type a number" in problem


def test_an_unknown_grid_answer_names_the_row_and_column(extended):
    response, data = extended
    where = cell_of(open_book(data), "action_authority/refund/chat")
    (problem,) = _problems(response, data, {"action_authority/refund/chat": "Sometimes"})
    assert problem.startswith(f"Answers!{where}, question 2.2 (For each action")
    assert "Refund, Chat: \u201cSometimes\u201d is not one of the answers" in problem


def test_a_grid_amount_that_is_not_a_number_is_a_problem(extended):
    response, data = extended
    where = cell_of(open_book(data), "action_authority/refund/chat", "amount")
    (problem,) = _problems(
        response,
        data,
        {"action_authority/refund/chat": "Acts alone up to a limit"},
        amounts={"action_authority/refund/chat": "lots"},
    )
    assert problem.startswith(f"Answers!{where}, question 2.2")
    assert "Enter a number" in problem


def test_every_problem_is_reported_at_once(minimal):
    response, data = minimal
    problems = _problems(
        response,
        data,
        {"live_deployments": -1, "live_monitoring": "Daily", "kill_switch_owner": "=A1"},
    )
    assert len(problems) == 3


def test_problems_in_questions_not_asked_are_not_reported(minimal):
    """A follow-up hidden by the answers is ignored, whatever it holds."""
    response, data = minimal
    reading = read(response, edited(data, {"live_deployments": 0, "rollback_rate": "lots"}))
    assert reading.problems == []
    assert [c.question_key for c in reading.changes] == ["live_deployments"]


def test_an_answer_to_a_question_not_asked_is_ignored_and_said(minimal):
    response, data = minimal
    reading = read(response, edited(data, {"live_deployments": 0, "rollback_rate": 12}))
    assert reading.not_asked == ["rollback_rate"]
    assert "rollback_rate" not in {c.question_key for c in reading.changes}


# What is read ----------------------------------------------------------------------------


def test_values_are_read_as_the_portal_stores_them(minimal):
    response, data = minimal
    reading = read(
        response,
        edited(
            data,
            {
                "live_deployments": "1,200",
                "rollback_rate": 12.5,
                "rollback_reasons": "cost; Hallucinated policy or commitment",
                "live_monitoring": "not monitored",
                "human_approval_money": "Yes",
                "kill_switch_owner": "  The on-call lead  ",
            },
            comments={"live_monitoring": "We are adding it."},
        ),
    )
    assert reading.problems == []
    got = {c.question_key: (c.value, c.comment) for c in reading.changes}
    assert got == {
        "live_deployments": (1200, ""),
        "rollback_rate": (12.5, ""),
        # In the questionnaire's order, whatever order typed; keys and labels alike.
        "rollback_reasons": (["hallucination", "cost"], ""),
        "live_monitoring": ("none", "We are adding it."),
        "human_approval_money": ("yes", ""),
        "kill_switch_owner": ("The on-call lead", ""),
    }
    assert all(c.base_revision == 0 for c in reading.changes)


def test_a_percentage_typed_with_a_percent_sign_in_the_sheet_reads_as_percent(minimal):
    response, data = minimal

    def as_percent(book):
        cell = book["Answers"][cell_of(book, "rollback_rate")]
        cell.value = 0.125
        cell.number_format = "0.0%"

    changed = edited(data, {"live_deployments": 4}, change=as_percent)
    got = {c.question_key: c.value for c in read(response, changed).changes}
    assert got["rollback_rate"] == 12.5


def test_a_fraction_in_a_percent_formatted_cell_is_read_as_its_percentage(minimal):
    response, data = minimal

    def as_percent(book):
        cell = book["Answers"][cell_of(book, "rollback_rate")]
        cell.value = 0.45
        cell.number_format = "0%"

    reading = read(response, edited(data, {"live_deployments": 4}, change=as_percent))
    assert {c.question_key: c.value for c in reading.changes}["rollback_rate"] == 45
    assert reading.warnings == {}


@pytest.mark.parametrize("typed", [0.45, 1, "0.45"])
def test_a_fraction_in_a_general_percentage_cell_is_kept_with_a_warning(minimal, typed):
    response, data = minimal
    reading = read(response, edited(data, {"live_deployments": 4, "rollback_rate": typed}))
    assert reading.problems == []
    assert {c.question_key: c.value for c in reading.changes}["rollback_rate"] == float(typed)
    assert reading.warnings["rollback_rate"].startswith(f"Read as {float(typed):g}%.")


@pytest.mark.parametrize("typed", [0, 1.5, 45, "12 %"])
def test_a_percentage_outside_0_to_1_or_with_a_sign_has_no_warning(minimal, typed):
    response, data = minimal
    reading = read(response, edited(data, {"live_deployments": 4, "rollback_rate": typed}))
    assert "rollback_rate" not in reading.warnings


def test_declared_answers_grids_and_amounts_are_read(extended):
    response, data = extended
    reading = read(
        response,
        edited(
            data,
            {
                "live_deployments": 10,
                "rollbacks": "We do not count them",
                "time_to_rollback": "never done or tested",
                "action_authority/refund/voice": "Acts alone up to a limit",
                "action_authority/refund/chat": "A human approves each one",
            },
            amounts={"action_authority/refund/voice": 250},
        ),
    )
    assert reading.problems == []
    got = {c.question_key: c.value for c in reading.changes}
    assert got["rollbacks"] == "not_measured"
    assert got["time_to_rollback"] == "not_tested"
    assert got["action_authority"] == {
        "choices": {"refund.voice": "alone_limited", "refund.chat": "approved"},
        "limits": {"refund.voice": 250},
    }


def test_a_cleared_cell_clears_the_answer(example_version):
    _, response = open_response(example_version)
    answer_all(response, {"live_deployments": 3})
    data = export(response)
    revision = response.answers.get().revision
    (change,) = read(response, edited(data, {"live_deployments": None})).changes
    # Based on the revision the answer had when the workbook was written.
    assert (change.question_key, change.value, change.base_revision) == (
        "live_deployments",
        None,
        revision,
    )


def test_reading_does_not_depend_on_status_but_uploads_do(example_version):
    """read_workbook checks content; the upload step refuses a submitted response."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from vendors.portal import questionnaire_plan, response_state
    from vendors.workbook.uploads import NOT_EDITABLE, read_upload

    _, response = open_response(example_version, status=ResponseStatus.SUBMITTED)
    data = export(response)
    plan = questionnaire_plan(response.version)
    with pytest.raises(WorkbookRefused) as caught:
        read_upload(
            SimpleUploadedFile("a.xlsx", data),
            response=response,
            plan=plan,
            state=response_state(response, plan),
        )
    assert str(caught.value) == NOT_EDITABLE


# Dates (the generated long section has date questions; the shipped ones have none) -----


@pytest.fixture
def dated(db):
    from tests.synthetic import import_definition, one_section_definition

    version = import_definition(one_section_definition(8, key="dated"))
    _, response = open_response(version)
    answer_all(response, {"s0_q0": 3})  # the section's gate: its questions are asked
    date_key = next(q.key for q in version.questions.all() if q.type == "date")
    return response, date_key


def test_a_date_cell_is_checked_and_read_as_an_iso_date(dated):
    import datetime

    response, key = dated
    data = export(response)
    book = open_book(data)
    check = next(
        dv
        for dv in book["Answers"].data_validations.dataValidation
        if cell_of(book, key) in dv.sqref
    )
    assert check.type == "date"
    reading = read(response, edited(data, {key: datetime.date(2026, 3, 31)}))
    assert [(c.question_key, c.value) for c in reading.changes] == [(key, "2026-03-31")]
    typed = read(response, edited(data, {key: "31/03/2026"}))
    assert [c.value for c in typed.changes] == ["2026-03-31"]


def test_a_date_that_is_not_one_says_how_to_write_it(dated):
    response, key = dated
    (problem,) = [str(p) for p in read(response, edited(export(response), {key: "soon"})).problems]
    assert problem.endswith("Enter a date as YYYY-MM-DD, for example 2026-03-31.")

    def plain_number(book):
        # Dates are numbers in a date-formatted cell (which reads as the date); a plain
        # number is not one.
        cell = book["Answers"][cell_of(book, key)]
        cell.value, cell.number_format = 46000, "General"

    (number,) = read(response, edited(export(response), change=plain_number)).problems
    assert "holds a number; type a date" in number.message


def test_multiple_choices_stored_in_another_order_read_as_unchanged(example_version):
    """Older data keeps a multiple choice in the order it was ticked; the workbook
    writes it back in the questionnaire's order: the same set is the same answer."""
    _, response = open_response(example_version)
    answer_all(response, {"rollback_rate": 5, "rollback_reasons": ["cost", "hallucination"]})
    reading = read(response, export(response))
    assert reading.problems == []
    assert reading.changes == []


def test_the_fingerprint_of_a_multiple_choice_does_not_depend_on_its_order():
    from vendors.forms import answer_fingerprint

    assert answer_fingerprint(["cost", "latency"], "") == answer_fingerprint(
        ["latency", "cost"], ""
    )
    assert answer_fingerprint(["cost"], "") != answer_fingerprint(["cost", "latency"], "")


def test_an_amount_on_a_cell_that_takes_none_is_a_problem(extended):
    response, data = extended
    where = cell_of(open_book(data), "action_authority/refund/chat", "amount")
    problems = _problems(
        response,
        data,
        {"action_authority/refund/chat": "A human approves each one"},
        amounts={"action_authority/refund/chat": 300},
    )
    assert len(problems) == 1
    assert problems[0].startswith(f"Answers!{where}, question ")
    assert problems[0].endswith(
        ": an amount applies only to \u201cActs alone up to a limit\u201d; clear it or "
        "change the answer."
    )
    assert "Chat: an amount" in problems[0]


@pytest.mark.parametrize("typed", ["\u00a3250", "EUR 250", "250 \u20ac", "$1,000"])
def test_an_amount_with_a_currency_says_to_type_the_number_alone(extended, typed):
    response, data = extended
    (problem,) = _problems(
        response,
        data,
        {"action_authority/refund/voice": "Acts alone up to a limit"},
        amounts={"action_authority/refund/voice": typed},
    )
    assert "type the number without a currency sign" in problem


def test_acts_alone_up_to_a_limit_without_an_amount_is_taken_as_the_portal_takes_it(extended):
    """The portal's amount box is optional: the workbook asks no more."""
    response, data = extended
    reading = read(
        response, edited(data, {"action_authority/refund/voice": "Acts alone up to a limit"})
    )
    assert reading.problems == []
    (change,) = [c for c in reading.changes if c.question_key == "action_authority"]
    assert change.value == {"choices": {"refund.voice": "alone_limited"}, "limits": {}}
