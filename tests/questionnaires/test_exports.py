"""questionnaires.exports: CSV and XLSX of a comparison, as analysts open and print them."""

from __future__ import annotations

import csv
import datetime
import io
from pathlib import Path

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from questionnaires.comparison import Cell, build_comparison
from questionnaires.exports import (
    ANSWER_HEADERS,
    INTERNAL_NOTE,
    MAX_HEADER,
    MAX_WIDTH,
    MIN_WIDTH,
    SUMMARY_HEADERS,
    Figure,
    answer_value,
    comparison_csv,
    comparison_xlsx,
    csv_safe,
    export_facts,
)
from questionnaires.models import ResponseScore, ResponseStatus
from questionnaires.services.scores import response_score
from tests.factories import ResponseFactory, VendorFactory, answer_all, round_of
from tests.libreoffice import libreoffice_convert, requires_libreoffice

pytestmark = pytest.mark.django_db

SHEETS = ["Summary", "Matrix", "Answers", "Questions"]


@pytest.fixture
def comparison(example_version):
    submitted = {"version": example_version, "status": ResponseStatus.SUBMITTED}
    alpha = ResponseFactory(**submitted, vendor=VendorFactory(name="Alpha"))
    beta = ResponseFactory(**submitted, vendor=VendorFactory(name="Beta"))
    answer_all(
        alpha,
        {
            "live_deployments": 1200,
            "rollback_rate": 7.9,
            "live_monitoring": "sampled",
            "human_approval_money": "yes",
            "kill_switch_owner": '=HYPERLINK("http://evil.example")',
        },
    )
    answer_all(beta, {"live_deployments": 3, "rollback_rate": 0, "human_approval_money": "no"})
    alpha.answers.filter(question__key="rollback_rate").update(comment="-5% since the fix")
    return build_comparison([alpha, beta])


@pytest.fixture
def eur_round(extensions_version):
    """A round in EUR whose vendors answer amounts, hours, a derived percentage and a grid;
    one of them with an override."""
    selection = round_of(extensions_version, name="Northwind 2027", buyer_currency="EUR")
    answers = {
        "Acme Voice": {
            "live_deployments": 1200,
            "rollbacks": 30,
            "time_to_rollback": 2.5,
            "live_monitoring": "realtime",
            "refund_limit": 250,
            "action_authority": {
                "choices": {
                    "refund.voice": "alone_limited",
                    "refund.chat": "approved",
                    "account_change.voice": "not_offered",
                    "account_change.chat": "approved",
                },
                "limits": {"refund.voice": 50},
            },
        },
        "Blip Chat": {"live_deployments": 20, "rollbacks": 1, "time_to_rollback": "not_tested"},
    }
    for name, values in answers.items():
        response = ResponseFactory(
            version=extensions_version,
            vendor=VendorFactory(name=name),
            status=ResponseStatus.SUBMITTED,
            selection=selection,
            submitted_at=timezone.make_aware(datetime.datetime(2026, 11, 3, 10, 0)),
        )
        answer_all(response, values)
        response_score(response=response)
    ResponseScore.objects.filter(response__vendor__name="Blip Chat").update(
        override_score=90,
        override_tier="critical",
        override_reason="No rollback was ever tested.",
        override_justification="Their CTO admitted it on the call; do not quote.",
    )
    return build_comparison(list(selection.responses.all()))


def _csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "spreadsheet apps need the UTF-8 BOM"
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def _sheet_rows(sheet) -> list[dict]:
    header = [c.value for c in sheet[1]]
    return [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2)]


# CSV -------------------------------------------------------------------------------------


def test_answers_csv_has_one_row_per_vendor_and_question_with_raw_numbers(comparison):
    data = comparison_csv(comparison)
    header = next(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    body = _csv(data)

    assert tuple(header) == ANSWER_HEADERS
    assert len(body) == 2 * 7
    by = {(r["Vendor"], r["Question key"]): r for r in body}
    rate = by[("Alpha", "rollback_rate")]
    # A percentage as its number of percent, the unit beside it; no "%", no separators.
    assert (rate["Answer"], rate["Unit"], rate["No."]) == ("7.9", "%", "Q1.2")
    assert float(rate["Answer"]) == 7.9
    assert by[("Alpha", "live_deployments")]["Answer"] == "1200"
    assert float(rate["Risk (0-1)"]) == 0.1
    assert rate["Risk level"] == "low"
    assert float(rate["Risk points"]) > 0
    assert rate["Evidence level"] == "Self-attested"
    assert rate["Section"] == "Production track record"
    money = by[("Beta", "human_approval_money")]
    assert (money["Answer"], money["Flagged"]) == ("No", "yes")
    assert money["Flags"] == "Money moves without human approval"
    hidden = by[("Beta", "rollback_reasons")]
    assert (hidden["Answer"], hidden["Answer state"]) == ("", "hidden")


def test_csv_cannot_smuggle_formulas_into_a_spreadsheet(comparison):
    body = {(r["Vendor"], r["Question key"]): r for r in _csv(comparison_csv(comparison))}

    assert body[("Alpha", "kill_switch_owner")]["Answer"] == '\'=HYPERLINK("http://evil.example")'
    assert body[("Alpha", "rollback_rate")]["Comment"] == "'-5% since the fix"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "-1"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("plain", "plain"),
        (-3.5, -3.5),
        (None, ""),
    ],
)
def test_csv_safe(value, expected):
    assert csv_safe(value) == expected


def test_summary_csv_ranks_vendors_with_raw_scores_and_sections(comparison):
    rows = _csv(comparison_csv(comparison, part="summary"))

    assert tuple(rows[0])[: len(SUMMARY_HEADERS)] == SUMMARY_HEADERS
    assert list(rows[0])[len(SUMMARY_HEADERS) :] == [
        "Section: Production track record",
        "Section: Human oversight",
    ]
    summary = {row["Vendor"]: row for row in rows}
    alpha = comparison.vendors[0]
    # Beta's critical tier ranks it below Alpha.
    assert [r["Vendor"] for r in rows] == ["Alpha", "Beta"]
    assert (summary["Alpha"]["Rank"], summary["Beta"]["Rank"]) == ("1", "2")
    assert float(summary["Alpha"]["Score (0-100)"]) == pytest.approx(alpha.result.score, abs=0.05)
    assert summary["Alpha"]["Score (0-100)"] == summary["Alpha"]["Computed score"]
    assert float(summary["Alpha"]["Coverage (%)"]) == pytest.approx(
        alpha.result.coverage * 100, abs=0.05
    )
    assert summary["Beta"]["Tier"] == "critical"
    assert summary["Beta"]["Flags"] == "1"
    assert summary["Beta"]["Flag titles"] == "Money moves without human approval (critical)"
    assert summary["Alpha"]["Profile"] == "General"
    assert summary["Alpha"]["Overridden"] == "no"


def test_summary_shows_the_effective_score_the_reason_and_the_labelled_internal_note(eur_round):
    rows = {r["Vendor"]: r for r in _csv(comparison_csv(eur_round, part="summary"))}

    blip, acme = rows["Blip Chat"], rows["Acme Voice"]
    assert (blip["Score (0-100)"], blip["Tier"], blip["Overridden"]) == ("90.0", "critical", "yes")
    assert float(blip["Computed score"]) != 90
    assert blip["Override reason"] == "No rollback was ever tested."
    assert blip[INTERNAL_NOTE] == "Their CTO admitted it on the call; do not quote."
    # The note is under its own header only.
    assert [k for k, v in blip.items() if "do not quote" in v] == [INTERNAL_NOTE]
    assert (acme["Rank"], blip["Rank"]) == ("1", "2")  # the override ranks Blip last
    assert blip["Round"] == "Northwind 2027"
    assert blip["Submitted"] == "2026-11-03"


def test_matrix_csv_has_a_column_per_question_and_per_grid_row_with_units(eur_round):
    data = comparison_csv(eur_round, part="matrix")
    header = next(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    rows = {r["Vendor"]: r for r in _csv(data)}

    assert all(len(h) <= MAX_HEADER for h in header)
    by_number = {h.split(" ")[0]: h for h in header if h.startswith("Q")}
    assert by_number["Q1.3"].endswith("(%)")
    assert by_number["Q1.7"].endswith("(hours)")
    assert by_number["Q2.3"].endswith("(EUR)")
    assert by_number["Q2.2.1"] == "Q2.2.1 Refund"
    assert by_number["Q2.2.2"] == "Q2.2.2 Account change"
    acme = rows["Acme Voice"]
    assert acme["Q2.2.1 Refund"] == (
        "Voice: Acts alone up to a limit (EUR 50); Chat: A human approves each one"
    )
    assert float(acme[by_number["Q1.1"]]) == 1200
    assert float(acme[by_number["Q1.3"]]) == pytest.approx(2.5)  # worked out: 30 of 1,200
    assert float(acme[by_number["Q1.7"]]) == 2.5
    assert float(acme[by_number["Q2.3"]]) == 250
    assert rows["Blip Chat"][by_number["Q1.7"]] == "Never done or tested"
    assert acme["Currency"] == "EUR"


def test_unknown_csv_part_is_refused(comparison):
    with pytest.raises(ValueError, match="'answers', 'summary' or 'matrix'"):
        comparison_csv(comparison, part="everything")


# XLSX ------------------------------------------------------------------------------------


def test_xlsx_stores_numbers_and_dates_typed_and_formatted(eur_round):
    workbook = load_workbook(io.BytesIO(comparison_xlsx(eur_round)))

    assert workbook.sheetnames == SHEETS
    summary = {r["Vendor"].value: r for r in _sheet_rows(workbook["Summary"])}
    blip = summary["Blip Chat"]
    assert (blip["Score (0-100)"].value, blip["Score (0-100)"].number_format) == (90, "0.0")
    assert blip["Rank"].data_type == "n"
    assert blip["Coverage (%)"].number_format == "0.0%"
    assert 0 < blip["Coverage (%)"].value <= 1  # a fraction, shown as a percent
    assert blip["Submitted"].value == datetime.datetime(2026, 11, 3)
    assert blip["Submitted"].is_date and blip["Submitted"].number_format == "yyyy-mm-dd"

    matrix = workbook["Matrix"]
    header = [c.value for c in matrix[1]]
    column = {h.split(" ")[0]: h for h in header if h.startswith("Q")}
    acme = {r["Vendor"].value: r for r in _sheet_rows(matrix)}["Acme Voice"]
    rate, hours, amount = acme[column["Q1.3"]], acme[column["Q1.7"]], acme[column["Q2.3"]]
    assert (rate.value, rate.number_format) == (pytest.approx(0.025), "0.0%")
    assert (hours.value, hours.number_format) == (2.5, "#,##0.0#")
    assert (amount.value, amount.number_format) == (250, '"EUR" #,##0')
    assert (acme[column["Q1.1"]].value, acme[column["Q1.1"]].number_format) == (1200, "#,##0")

    answers = {
        (r["Vendor"].value, r["Question key"].value): r for r in _sheet_rows(workbook["Answers"])
    }
    limit = answers[("Acme Voice", "refund_limit")]
    assert (limit["Answer"].value, limit["Unit"].value) == (250, "EUR")
    assert limit["Risk points"].data_type == "n" or limit["Risk points"].value is None
    assert answers[("Acme Voice", "live_monitoring")]["Risk (0-1)"].number_format == "0.00"


def test_what_an_export_reads_besides_the_comparison_takes_three_queries(
    eur_round, django_assert_num_queries
):
    # rounds, override reasons, definitions; a round's XLSX reads two more for its decision
    # sheets (tests/questionnaires/test_exports_decision.py).
    with django_assert_num_queries(3):
        facts = export_facts(eur_round)

    assert facts.numbers["rollback_rate"] == "1.3"
    assert set(facts.reasons.values()) == {"", "No rollback was ever tested."}


def test_a_date_answer_is_a_date_and_an_undated_one_stays_text():
    question = {"type": "date", "key": "go_live"}
    cell = Cell(state="answered", display="7 Mar 2026", value="2026-03-07")

    value = answer_value(question, cell, None)

    assert isinstance(value, Figure)
    assert (value.xlsx, value.csv, value.number_format) == (
        datetime.date(2026, 3, 7),
        "2026-03-07",
        "yyyy-mm-dd",
    )
    odd = Cell(state="answered", display="soon", value="soon")
    assert answer_value(question, odd, None) == "soon"


def test_xlsx_freezes_the_vendor_column_and_prints_landscape_fit_to_width(eur_round):
    workbook = load_workbook(io.BytesIO(comparison_xlsx(eur_round)))

    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == "B2", sheet.title
        assert sheet.page_setup.orientation == "landscape", sheet.title
        assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.fitToHeight == 0
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.print_title_rows == "$1:$1", sheet.title
        assert sheet["A1"].font.bold
        assert sheet.auto_filter.ref == sheet.dimensions


def test_xlsx_headers_are_short_with_the_full_text_at_hand(eur_round):
    workbook = load_workbook(io.BytesIO(comparison_xlsx(eur_round)))

    for sheet in workbook.worksheets:
        headers = [c.value for c in sheet[1]]
        assert all(len(h) <= MAX_HEADER for h in headers), (sheet.title, headers)
    matrix = workbook["Matrix"]
    rate = next(c for c in matrix[1] if str(c.value).startswith("Q1.3 "))
    question = next(row.text for _, row in eur_round.rows() if row.key == "rollback_rate")
    assert len(question) > MAX_HEADER
    assert question in rate.comment.text
    key = {r["No."].value: r["Question"].value for r in _sheet_rows(workbook["Questions"])}
    assert key["Q1.3"] == question
    assert key["Q2.2.1"] == "Refund"


def test_xlsx_columns_fit_their_content_within_bounds_and_long_text_wraps(eur_round):
    workbook = load_workbook(io.BytesIO(comparison_xlsx(eur_round)))

    for sheet in workbook.worksheets:
        for letter, dimension in sheet.column_dimensions.items():
            assert MIN_WIDTH <= dimension.width <= MAX_WIDTH, (sheet.title, letter)
    answers = workbook["Answers"]
    header = [c.value for c in answers[1]]
    width = {h: answers.column_dimensions[chr(ord("A") + i)].width for i, h in enumerate(header)}
    assert width["Question"] == MAX_WIDTH  # the long text wraps instead
    assert width["Flagged"] <= 12
    question = answers.cell(row=2, column=header.index("Question") + 1)
    assert question.alignment.wrap_text


def test_xlsx_stores_formula_like_text_as_text(comparison):
    workbook = load_workbook(io.BytesIO(comparison_xlsx(comparison)))

    cells = [
        cell
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if str(cell.value).startswith("=HYPERLINK")
    ]
    assert cells, "the formula-like answer is exported"
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)


def test_xlsx_keeps_a_vendor_named_like_a_formula_as_text(example_version):
    response = ResponseFactory(version=example_version, vendor=VendorFactory(name="=1+2"))
    answer_all(response, {"live_deployments": 4})
    workbook = load_workbook(io.BytesIO(comparison_xlsx(build_comparison([response]))))

    for sheet in workbook.worksheets[:3]:
        assert (sheet["A2"].value, sheet["A2"].data_type) == ("=1+2", "s"), sheet.title


# A real spreadsheet application -----------------------------------------------------------


@requires_libreoffice
def test_libreoffice_opens_the_workbook_with_numbers_as_numbers(eur_round, tmp_path: Path):
    source = tmp_path / "export.xlsx"
    source.write_bytes(comparison_xlsx(eur_round))
    libreoffice_convert(source, LIBREOFFICE_CSV_FILTER, tmp_path)
    summary = _libreoffice_csv(tmp_path / "export-Summary.csv")
    matrix = _libreoffice_csv(tmp_path / "export-Matrix.csv")

    blip = summary["Blip Chat"]
    assert blip["Vendor"] == ("text", "Blip Chat")
    assert blip["Score (0-100)"] == ("number", 90)
    assert blip["Rank"] == ("number", 2)
    assert blip["Coverage (%)"] == ("number", 0.5)  # a percent of a fraction
    assert blip["Submitted"] == ("date", datetime.date(2026, 11, 3))
    acme = matrix["Acme Voice"]
    column = {h.split(" ")[0]: h for h in acme if h.startswith("Q")}
    assert acme[column["Q1.1"]] == ("number", 1200)
    assert acme[column["Q1.3"]] == ("number", pytest.approx(0.025))
    assert acme[column["Q1.7"]] == ("number", 2.5)
    assert acme[column["Q2.3"]] == ("number", 250)
    kind, text = acme[column["Q2.2.1"]]
    assert kind == "text" and text.startswith("Voice: Acts alone up to a limit")


# Every sheet to its own CSV (token 12: -1), text cells quoted (token 7) and values rather
# than their display (token 9), so that a cell LibreOffice read as a number comes out
# unquoted, and one it read as text quoted.
LIBREOFFICE_CSV_FILTER = (
    "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,true,true,false,false,false,-1"
)


def _libreoffice_csv(path: Path) -> dict[str, dict[str, tuple[str, object]]]:
    """Rows by their first cell; each cell as ("text", str) when quoted, else as LibreOffice
    wrote a number: ("number", float) or ("date", date)."""
    rows = _quoted_fields(path.read_text(encoding="utf-8"))
    header = [value for _, value in rows[0]]
    return {
        str(row[0][1]): {
            name: _typed(quoted, value) for name, (quoted, value) in zip(header, row, strict=True)
        }
        for row in rows[1:]
        if row and row[0][1]
    }


def _typed(quoted: bool, value: str) -> tuple[str, object]:
    if quoted or not value:
        return ("text", value)
    if value.endswith("%"):
        return ("number", float(value[:-1]) / 100)
    try:
        return ("date", datetime.date.fromisoformat(value))
    except ValueError:
        return ("number", float(value))


def _quoted_fields(text: str) -> list[list[tuple[bool, str]]]:
    """CSV rows as (was quoted, value) pairs: the csv module does not say which were."""
    rows: list[list[tuple[bool, str]]] = []
    row: list[tuple[bool, str]] = []
    i = 0
    while i < len(text):
        if text[i] == '"':
            end = i + 1
            value = []
            while True:
                if text[end] == '"' and text[end + 1 : end + 2] == '"':
                    value.append('"')
                    end += 2
                elif text[end] == '"':
                    break
                else:
                    value.append(text[end])
                    end += 1
            row.append((True, "".join(value)))
            i = end + 1
        else:
            end = i
            while end < len(text) and text[end] not in ",\n":
                end += 1
            row.append((False, text[i:end]))
            i = end
        if i < len(text) and text[i] == ",":
            i += 1
            if i == len(text) or text[i] == "\n":
                row.append((False, ""))
        if i < len(text) and text[i] == "\n":
            rows.append(row)
            row = []
            i += 1
    if row:
        rows.append(row)
    return rows
