"""The XLSX export of a round: its framework sheets and its business case sheet, read from
the same decision data as the comparison page (questionnaires/decision.py)."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from questionnaires.comparison import build_comparison
from questionnaires.decision import decision_data
from questionnaires.exports import (
    BUSINESS_CASE_SHEET,
    MAX_HEADER,
    MAX_SHEET_NAME,
    comparison_xlsx,
    sheet_name,
)
from questionnaires.frameworks.vendor_coverage import STATUS_LABELS, STATUSES
from questionnaires.models import Selection
from tests.factories import scored_submission
from tests.libreoffice import libreoffice_convert, requires_libreoffice
from tests.questionnaires.test_decision import BOLT, decision_round
from tests.questionnaires.test_exports import LIBREOFFICE_CSV_FILTER, _libreoffice_csv

pytestmark = pytest.mark.django_db

FRAMEWORKS = ["owasp_llm_2025", "iso_42001", "retired_framework"]


@pytest.fixture
def round_(shipped_v2_version):
    """Acme with a price, a verified resolution rate and pen test; Bolt with a price and
    no verified figures; the round in EUR with its volume and cost of a human contact."""
    return decision_round(
        shipped_v2_version,
        name="Northwind 2027",
        frameworks=FRAMEWORKS,
        bolt_price=Decimal("900000"),
    )


def _comparison(selection):
    return build_comparison(
        list(selection.responses.values_list("pk", flat=True)),
        profile_key=selection.profile_key,
        robustness=False,
    )


def _workbook(comparison, selection):
    return load_workbook(io.BytesIO(comparison_xlsx(comparison, selection)))


def _table(sheet) -> list[dict]:
    """The rows of the sheet's table (up to the first empty row), by header."""
    header = [c.value for c in sheet[1]]
    rows = []
    for row in sheet.iter_rows(min_row=2):
        if all(c.value is None for c in row):
            break
        rows.append(dict(zip(header, row, strict=True)))
    return rows


def _below(sheet) -> list[list]:
    """The rows below the table (its totals and notes), as values, blank rows left out."""
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    start = next((i for i, row in enumerate(values) if all(v is None for v in row)), len(values))
    return [row for row in values[start:] if any(v is not None for v in row)]


def test_a_round_has_a_sheet_per_known_framework_it_chose_and_a_business_case(round_):
    selection, _, _ = round_
    workbook = _workbook(_comparison(selection), selection)

    assert workbook.sheetnames == [
        "Summary",
        "Matrix",
        "Answers",
        "Questions",
        "OWASP LLM Top 10 2025",
        "ISO-IEC 42001",  # a "/" is no character of a sheet's name
        BUSINESS_CASE_SHEET,
    ]
    notes = " ".join(str(row[0]) for row in _below(workbook["Summary"]))
    assert "sheet “ISO-IEC 42001”" in notes
    assert "retired_framework" in notes  # chosen, but no catalogue has it


def test_framework_sheets_give_the_statuses_of_the_comparison_pages_coverage(round_):
    selection, _, _ = round_
    comparison = _comparison(selection)
    decision = decision_data(selection, comparison)
    workbook = _workbook(comparison, selection)
    summary_order = [r["Vendor"].value for r in _table(workbook["Summary"])]

    for matrix, name in zip(
        decision.frameworks, ["OWASP LLM Top 10 2025", "ISO-IEC 42001"], strict=True
    ):
        sheet = workbook[name]
        header = [c.value for c in sheet[1]]
        assert header == ["Control", "Title", *summary_order, "Questions"]
        rows = _table(sheet)
        assert [r["Control"].value for r in rows] == [row.control_id for row in matrix.rows]
        for row, expected in zip(rows, matrix.rows, strict=True):
            assert row["Title"].value == expected.title
            for i, vendor in enumerate(matrix.vendors):
                assert row[vendor].value == expected.cells[i].label, (name, expected.control_id)
                assert row[vendor].data_type == "s"
        # Each vendor's counts below the table, the same as the page's.
        totals = {row[0]: row for row in _below(sheet)}
        for i, vendor in enumerate(matrix.vendors):
            column = header.index(vendor)
            for status in STATUSES:
                assert totals[STATUS_LABELS[status]][column] == matrix.counts[i][status]
        assert str(matrix.uncovered) in totals["Not mapped"][1]
        # The filter covers the table, not its totals.
        assert sheet.auto_filter.ref == f"A1:{get_column_letter(len(header))}{len(rows) + 1}"

    owasp = {r["Control"].value: r for r in _table(workbook["OWASP LLM Top 10 2025"])}
    llm01 = owasp["LLM01:2025"]
    assert (llm01["Acme"].value, llm01["Bolt"].value) == ("Met", "Unverified")
    assert owasp["LLM10:2025"]["Acme"].value == "Gap"
    assert owasp["LLM03:2025"]["Acme"].value == "Partly met"
    key = {r["No."].value: r["Question"].value for r in _table(workbook["Questions"])}
    numbers = {r["Question key"].value: r["No."].value for r in _table(workbook["Questions"])}
    questions = llm01["Questions"].value.split("\n")
    assert [q.split(" ")[0] for q in questions] == [
        numbers["prompt_injection_defences"],
        numbers["ai_pentest"],
    ]
    for label in questions:  # the number and the question's start; its text in Questions
        number, start = label.split(" ", 1)
        assert len(label) <= MAX_HEADER
        assert key[number].startswith(start.removesuffix("…"))
    assert llm01["Questions"].alignment.wrap_text


def test_business_case_sheet_holds_the_hand_computed_figures_as_currency_numbers(round_):
    selection, _, _ = round_
    sheet = _workbook(_comparison(selection), selection)[BUSINESS_CASE_SHEET]
    rows = {r["Vendor"].value: r for r in _table(sheet)}

    acme, bolt = rows["Acme"], rows["Bolt"]
    money = [h for h in acme if "(EUR)" in h]
    assert money == [
        "Yearly price (EUR)",
        "Net, assumed rate (EUR)",
        "Net, verified rate (EUR)",
        "Verified: low (EUR)",
        "Verified: high (EUR)",
        "Break-even price (EUR)",
    ]
    for row in (acme, bolt):
        for header in money:
            cell = row[header]
            if cell.value is not None:
                assert cell.data_type == "n", header
                assert cell.number_format == '"EUR" #,##0.00', header
    # Acme: 1,000,000 contacts x 60% x 5 - 1,200,000 on its assumed rate; its verified
    # 40% net of its 10% repeat contacts, 1,000,000 x 40% x 90% x 5 - 1,200,000. Its
    # repeat rate is self-attested: it may be anything up to 100%, which saves nothing.
    assert acme["Yearly price (EUR)"].value == 1_200_000
    assert acme["Net, assumed rate (EUR)"].value == 3_000_000 - 1_200_000
    assert acme["Net, verified rate (EUR)"].value == 1_800_000 - 1_200_000
    assert acme["Verified: low (EUR)"].value == 0 - 1_200_000
    assert acme["Verified: high (EUR)"].value == 1_800_000 - 1_200_000
    assert acme["Break-even price (EUR)"].value == 1_800_000
    assert acme["Works only on the assumed rate"].value == "no"
    assert acme["Works only if unverified figures hold"].value == "yes"
    assert acme["Missing"].value is None
    assert acme["Pricing basis"].value == "A fixed platform fee"
    # Bolt measures neither rate: 1,000,000 x 50% x 5 - 900,000 on its assumed rate, no
    # verified figure, a range from nothing to its assumed rate.
    assert bolt["Net, assumed rate (EUR)"].value == 2_500_000 - 900_000
    assert bolt["Net, verified rate (EUR)"].value is None
    assert bolt["Verified: low (EUR)"].value == -900_000
    assert bolt["Verified: high (EUR)"].value == 2_500_000 - 900_000
    assert bolt["Break-even price (EUR)"].value is None
    assert bolt["Works only on the assumed rate"].value == "yes"
    assert bolt["Works only if unverified figures hold"].value is None
    assert bolt["Missing"].value.split("\n") == [
        "The vendor gives no verified resolution rate.",
        "The vendor gives no repeat-contact rate.",
    ]


def test_a_round_that_chose_no_framework_has_no_framework_sheet_and_says_so(round_):
    selection, acme, _ = round_
    selection.frameworks = []
    selection.save(update_fields=["frameworks"])
    acme.analyst_yearly_price = None
    acme.save(update_fields=["analyst_yearly_price"])
    workbook = _workbook(_comparison(selection), selection)

    assert workbook.sheetnames == ["Summary", "Matrix", "Answers", "Questions", "Business case"]
    notes = [row[0] for row in _below(workbook["Summary"])]
    assert "Frameworks: the round chose none, so this workbook has no framework sheets." in notes
    summary = workbook["Summary"]
    assert summary.auto_filter.ref.endswith(str(len(_table(summary)) + 1))
    # An unknown price leaves its figures empty and says why.
    acme_case = {r["Vendor"].value: r for r in _table(workbook[BUSINESS_CASE_SHEET])}["Acme"]
    assert acme_case["Yearly price (EUR)"].value is None
    assert acme_case["Net, assumed rate (EUR)"].value is None
    assert acme_case["Works only on the assumed rate"].value is None
    assert "The yearly price is unknown" in acme_case["Missing"].value


def test_without_the_round_an_export_has_no_decision_sheets_nor_notes(round_):
    selection, _, _ = round_
    comparison = _comparison(selection)

    workbook = _workbook(comparison, None)

    assert workbook.sheetnames == ["Summary", "Matrix", "Answers", "Questions"]
    assert _below(workbook["Summary"]) == []
    assert BUSINESS_CASE_SHEET in _workbook(comparison, selection).sheetnames


def test_decision_sheets_follow_the_workbooks_conventions(round_):
    selection, acme, _ = round_
    acme.vendor.name = '=HYPERLINK("http://evil.example")'
    acme.vendor.save(update_fields=["name"])
    workbook = _workbook(_comparison(selection), selection)

    for name in ["OWASP LLM Top 10 2025", "ISO-IEC 42001", BUSINESS_CASE_SHEET]:
        sheet = workbook[name]
        assert sheet.freeze_panes == "B2", name
        assert sheet.page_setup.orientation == "landscape", name
        assert sheet.print_title_rows == "$1:$1", name
        assert all(len(str(c.value)) <= MAX_HEADER for c in sheet[1]), name
        for letter, dimension in sheet.column_dimensions.items():
            assert 8 <= dimension.width <= 60, (name, letter)
        formula_like = [
            c for row in sheet.iter_rows() for c in row if str(c.value).startswith("=HYPERLINK")
        ]
        assert formula_like, name  # the vendor's name: a header, or a business case row
        assert all(c.data_type == "s" and c.quotePrefix for c in formula_like), name


def test_the_decision_sheets_add_two_reads_whatever_the_number_of_vendors(
    round_, shipped_v2_version, django_assert_num_queries
):
    selection, _, _ = round_
    # The round as the admin loads it (access.selection_for_user), its version not with it.
    selection = Selection.objects.get(pk=selection.pk)
    comparison = _comparison(selection)
    # export_facts: rounds, override reasons, definitions; the decision data: the round's
    # version, the analysts' prices.
    with django_assert_num_queries(5):
        comparison_xlsx(comparison, selection)
    for name in ("Cirrus", "Dyna", "Echo"):
        response = scored_submission(shipped_v2_version, name, BOLT)
        response.selection = selection
        response.save(update_fields=["selection"])
    selection = Selection.objects.get(pk=selection.pk)
    comparison = _comparison(selection)
    with django_assert_num_queries(5):
        workbook = load_workbook(io.BytesIO(comparison_xlsx(comparison, selection)))
    assert len(_table(workbook[BUSINESS_CASE_SHEET])) == 5


@pytest.mark.parametrize(
    ("wanted", "taken", "expected"),
    [
        ("ISO/IEC 42001", set(), "ISO-IEC 42001"),
        (
            "A framework with a title far longer than Excel allows",
            set(),
            "A framework with a title far lo",
        ),
        ("Summary", {"summary"}, "Summary (2)"),
        ("summary", {"summary", "summary (2)"}, "summary (3)"),
        ("x" * 40, {"x" * 31}, "x" * 27 + " (2)"),
        ("'[*?]'", set(), "----"),
    ],
)
def test_sheet_names_are_bounded_valid_and_unique(wanted, taken, expected):
    name = sheet_name(wanted, taken)

    assert name == expected
    assert len(name) <= MAX_SHEET_NAME
    assert name.casefold() in taken


@requires_libreoffice
def test_libreoffice_reads_the_business_case_as_numbers(round_, tmp_path: Path):
    selection, _, _ = round_
    source = tmp_path / "round.xlsx"
    source.write_bytes(comparison_xlsx(_comparison(selection), selection))
    libreoffice_convert(source, LIBREOFFICE_CSV_FILTER, tmp_path)
    cases = _libreoffice_csv(tmp_path / "round-Business case.csv")

    acme = cases["Acme"]
    assert acme["Net, assumed rate (EUR)"] == ("number", 1_800_000)
    assert acme["Verified: low (EUR)"] == ("number", -1_200_000)
    assert acme["Works only if unverified figures hold"] == ("text", "yes")
    owasp = _libreoffice_csv(tmp_path / "round-OWASP LLM Top 10 2025.csv")
    assert owasp["LLM10:2025"]["Acme"] == ("text", "Gap")


def test_the_rounds_export_download_holds_its_framework_and_business_case_sheets(
    round_, admin_client
):
    selection = round_[0]
    base = f"/admin/questionnaires/selection/{selection.pk}/compare/"
    page = admin_client.get(base)
    assert "frameworks, business case" in page.content.decode()
    download = admin_client.get(f"{base}export/?format=xlsx")
    assert download.status_code == 200
    sheets = load_workbook(io.BytesIO(download.content)).sheetnames
    assert sheets[-3:] == ["OWASP LLM Top 10 2025", "ISO-IEC 42001", BUSINESS_CASE_SHEET]
