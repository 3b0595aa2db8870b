"""questionnaires.exports: CSV and XLSX of a comparison."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from questionnaires.comparison import build_comparison
from questionnaires.exports import (
    ANSWER_HEADERS,
    SUMMARY_HEADERS,
    comparison_csv,
    comparison_xlsx,
    csv_safe,
)
from tests.factories import ResponseFactory, VendorFactory, answer_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def comparison(example_version):
    alpha = ResponseFactory(version=example_version, vendor=VendorFactory(name="Alpha"))
    beta = ResponseFactory(version=example_version, vendor=VendorFactory(name="Beta"))
    answer_all(
        alpha,
        {
            "live_deployments": 20,
            "rollback_rate": 12,
            "live_monitoring": "sampled",
            "human_approval_money": "yes",
            "kill_switch_owner": '=HYPERLINK("http://evil.example")',
        },
    )
    answer_all(beta, {"live_deployments": 3, "rollback_rate": 0, "human_approval_money": "no"})
    alpha.answers.filter(question__key="rollback_rate").update(comment="-5% since the fix")
    return build_comparison([alpha, beta])


def _csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "spreadsheet apps need the UTF-8 BOM"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_answers_csv_has_one_row_per_vendor_and_question(comparison):
    rows = _csv_rows(comparison_csv(comparison))

    assert tuple(rows[0]) == ANSWER_HEADERS
    body = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert len(body) == 2 * 7
    rate = next(r for r in body if r["Vendor"] == "Alpha" and r["Question key"] == "rollback_rate")
    assert rate["Answer"] == "12%"
    assert rate["Risk (0-1)"] == "0.5"
    assert rate["Risk level"] == "high"
    assert float(rate["Risk contribution (points)"]) > 0
    assert rate["Evidence level"] == "Self-attested"
    assert rate["Section"] == "Production track record"
    money = next(
        r for r in body if r["Vendor"] == "Beta" and r["Question key"] == "human_approval_money"
    )
    assert (money["Answer"], money["Flagged"]) == ("No", "yes")
    assert money["Flags"] == "Money moves without human approval"
    hidden = next(
        r for r in body if r["Vendor"] == "Beta" and r["Question key"] == "rollback_reasons"
    )
    assert (hidden["Answer"], hidden["Answer state"]) == ("", "hidden")


def test_csv_cannot_smuggle_formulas_into_a_spreadsheet(comparison):
    body = _csv_rows(comparison_csv(comparison))[1:]

    owner = next(r for r in body if r[0] == "Alpha" and r[5] == "kill_switch_owner")
    assert owner[7] == '\'=HYPERLINK("http://evil.example")'
    rate = next(r for r in body if r[0] == "Alpha" and r[5] == "rollback_rate")
    assert rate[14] == "'-5% since the fix"


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


def test_summary_csv_has_scores_per_vendor_and_section(comparison):
    rows = _csv_rows(comparison_csv(comparison, part="summary"))

    assert tuple(rows[0][: len(SUMMARY_HEADERS)]) == SUMMARY_HEADERS
    assert rows[0][len(SUMMARY_HEADERS) :] == [
        "Section score: Production track record",
        "Section score: Human oversight",
    ]
    summary = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    alpha = comparison.vendors[0]
    assert float(summary["Alpha"]["Score"]) == pytest.approx(alpha.result.score, abs=0.05)
    assert summary["Beta"]["Tier"] == "critical"
    assert summary["Beta"]["Flags"] == "1"
    assert summary["Beta"]["Flag titles"] == "Money moves without human approval (critical)"
    assert summary["Alpha"]["Profile"] == "General"


def test_unknown_csv_part_is_refused(comparison):
    with pytest.raises(ValueError, match="answers' or 'summary"):
        comparison_csv(comparison, part="everything")


def test_xlsx_has_readable_answers_and_summary_sheets(comparison):
    workbook = load_workbook(io.BytesIO(comparison_xlsx(comparison)))

    assert workbook.sheetnames == ["Answers", "Summary"]
    answers = workbook["Answers"]
    assert tuple(c.value for c in answers[1]) == ANSWER_HEADERS
    assert answers.max_row == 1 + 2 * 7
    assert answers.freeze_panes == "A2"
    assert answers["A1"].font.bold
    widths = {
        header: answers.column_dimensions[chr(ord("A") + i)].width
        for i, header in enumerate(ANSWER_HEADERS)
    }
    assert widths["Question"] >= 40
    assert 8 <= widths["Flagged"] <= 12
    assert all(w <= 60 for w in widths.values())
    question_cell = answers.cell(row=2, column=ANSWER_HEADERS.index("Question") + 1)
    assert question_cell.alignment.wrap_text
    summary = workbook["Summary"]
    assert summary.freeze_panes == "A2"
    assert summary.max_row == 3
    score = summary.cell(row=2, column=SUMMARY_HEADERS.index("Score") + 1).value
    assert score == pytest.approx(comparison.vendors[0].result.score, abs=0.05)


def test_xlsx_stores_formula_like_answers_as_text(comparison):
    answers = load_workbook(io.BytesIO(comparison_xlsx(comparison)))["Answers"]

    answer_column = ANSWER_HEADERS.index("Answer") + 1
    cells = [answers.cell(row=r, column=answer_column) for r in range(2, answers.max_row + 1)]
    owner = next(c for c in cells if str(c.value).startswith("=HYPERLINK"))
    assert owner.data_type == "s"
