"""Units, declared answers and scoring notes in what analysts and buyers read: the
comparison, the admin, the XLSX export and the PDF."""

from __future__ import annotations

import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from questionnaires.comparison import build_comparison
from questionnaires.exports import comparison_xlsx
from questionnaires.models import ReportKind, ResponseStatus
from questionnaires.reports import render_report, report_subject
from questionnaires.services.scores import response_score
from tests.factories import ResponseFactory, VendorFactory, answer_all, round_of
from tests.questionnaires.reports_data import pdf_text

ANSWERS = {
    "Acme Voice": {
        "live_deployments": 9,
        "rollbacks": "not_measured",
        "time_to_rollback": 2,
        "live_monitoring": "realtime",
        "refund_limit": 250,
        "rollback_counted": "full",
        "rollback_base": "all_live",
        "rollback_window": "months_12",
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
    "Blip Chat": {
        "live_deployments": 20,
        "rollbacks": 1,
        "time_to_rollback": "not_tested",
        "live_monitoring": "realtime",
        "refund_limit": 0,
        "rollback_counted": "rollbacks_only",
        "rollback_base": "live_at_end",
        "rollback_window": "days_90",
    },
    "Cora Bots": {
        "live_deployments": 10,
        "rollbacks": 2,
        "live_monitoring": "realtime",
        "rollback_counted": "full",
        "rollback_base": "all_live",
        "rollback_window": "months_12",
    },
    "Dune AI": {
        "live_deployments": 8,
        "rollbacks": 1,
        "rollback_counted": "full",
        "rollback_base": "all_live",
        "rollback_window": "months_12",
    },
    "Echo Desk": {"live_deployments": 5, "rollbacks": 1, "rollback_counted": "full"},
}


@pytest.fixture
def eur_round(extensions_version):
    selection = round_of(extensions_version, name="Northwind 2027", buyer_currency="EUR")
    for name, values in ANSWERS.items():
        response = ResponseFactory(
            version=extensions_version,
            vendor=VendorFactory(name=name),
            status=ResponseStatus.SUBMITTED,
            selection=selection,
        )
        answer_all(response, values)
        response_score(response=response)
    return selection


def _displays(comparison) -> dict[tuple[str, str], str]:
    names = [c.vendor_name for c in comparison.vendors]
    return {
        (row.key, name): cell.display
        for _, row in comparison.rows()
        for name, cell in zip(names, row.cells, strict=True)
    }


def test_the_comparison_shows_units_the_rounds_currency_and_declared_answers(eur_round):
    comparison = build_comparison(list(eur_round.responses.all()))
    shown = _displays(comparison)
    assert shown[("time_to_rollback", "Acme Voice")] == "2 hours"
    assert shown[("time_to_rollback", "Blip Chat")] == "Never done or tested"
    assert shown[("rollback_rate", "Acme Voice")] == "We do not measure this"
    assert shown[("rollbacks", "Acme Voice")] == "We do not count them"
    assert shown[("rollback_rate", "Blip Chat")] == "5%"  # worked out: 1 of 20
    assert shown[("refund_limit", "Acme Voice")] == "EUR 250"
    notes = {row.key: row.scoring_notes for _, row in comparison.rows()}
    assert notes["rollback_rate"].startswith("Up to 10% scores 0.1 (low)")
    # "Not measured" carries its declared risk, the worst band's.
    acme = comparison.vendors[[c.vendor_name for c in comparison.vendors].index("Acme Voice")]
    risk = {t.question_key: t.risk for t in acme.result.contributions}
    assert risk["rollback_rate"] == 1


def test_the_xlsx_answers_carry_their_units(eur_round):
    comparison = build_comparison(list(eur_round.responses.all()))
    sheet = load_workbook(io.BytesIO(comparison_xlsx(comparison)))["Answers"]
    header = [c.value for c in sheet[1]]
    key, answer, unit = (header.index(h) for h in ("Question key", "Answer", "Unit"))
    answers = {
        row[0].value + "/" + row[key].value: (row[answer].value, row[unit].value)
        for row in sheet.iter_rows(min_row=2)
    }
    assert answers["Acme Voice/time_to_rollback"] == (2, "hours")
    assert answers["Acme Voice/refund_limit"] == (250, "EUR")
    assert answers["Blip Chat/time_to_rollback"] == ("Never done or tested", None)


def test_the_pdf_methodology_says_how_each_answer_is_scored(eur_round):
    text = " ".join(
        pdf_text(
            render_report(report_subject(kind=ReportKind.COMPARISON, selection=eur_round)).pdf
        ).split()
    )
    assert "How each answer is scored" in text
    assert "Under an hour scores 0 (low), up to a day 0.5 (high), longer 1 (severe)." in text


def test_analysts_see_the_scoring_notes_on_the_response_page(client, eur_round, analyst):
    response = eur_round.responses.get(vendor__name="Acme Voice")
    page = client.get(
        reverse("admin:questionnaires_response_change", args=[response.pk])
    ).content.decode()
    assert "Scoring: Under an hour scores 0 (low)" in page
    assert "EUR 250" in page


def test_figures_counted_differently_are_marked_everywhere(client, eur_round, analyst):
    comparison = build_comparison(list(eur_round.responses.all()))
    [row] = [row for _, row in comparison.rows() if row.key == "rollback_rate"]
    by_vendor = dict(zip([v.vendor_name for v in comparison.vendors], row.cells, strict=True))
    # Cora and Dune count alike (the majority); Blip counts full rollbacks over 90 days;
    # Echo left its definition half given; Acme's "not measured" is no figure to define.
    assert by_vendor["Blip Chat"].unlike_definition
    assert by_vendor["Blip Chat"].definition == (
        "Full rollbacks only / Deployments live at the end of the window / The last 90 days"
    )
    assert not by_vendor["Cora Bots"].unlike_definition
    assert not by_vendor["Dune AI"].unlike_definition
    assert by_vendor["Echo Desk"].unlike_definition
    assert by_vendor["Echo Desk"].definition == "definition not given"
    assert by_vendor["Acme Voice"].definition == ""

    sheet = load_workbook(io.BytesIO(comparison_xlsx(comparison)))["Answers"]
    header = [c.value for c in sheet[1]]
    differs = {
        (r[0].value, r[header.index("Question key")].value): r[
            header.index("Definition differs")
        ].value
        for r in sheet.iter_rows(min_row=2)
    }
    assert differs[("Blip Chat", "rollback_rate")] == "yes"
    assert differs[("Cora Bots", "rollback_rate")] == "no"
    assert not differs[("Cora Bots", "live_monitoring")]  # no definition: left empty

    ids = ",".join(str(v.response_id) for v in comparison.vendors)
    page = client.get(
        reverse("admin:questionnaires_response_compare") + f"?ids={ids}"
    ).content.decode()
    assert "\u2260 counted differently: Full rollbacks only" in page

    pdf = render_report(report_subject(kind=ReportKind.COMPARISON, selection=eur_round)).pdf
    assert "\u2260 counted differently" in pdf_text(pdf)


def test_the_action_authority_grid_reads_as_a_grid_in_the_admin_and_the_pdf(
    client, eur_round, analyst
):
    comparison = build_comparison(list(eur_round.responses.all()))
    ids = ",".join(str(v.response_id) for v in comparison.vendors)
    page = client.get(
        reverse("admin:questionnaires_response_compare") + f"?ids={ids}"
    ).content.decode()
    # One line per action under the question, each vendor's channels in its column.
    assert re.search(
        r'<tr class="cx-grid-line"><th class="cx-q" scope="row">Refund</th>'
        r"(<td></td>)*<td>Voice: Acts alone up to a limit \(EUR 50\)<br>"
        r"Chat: A human approves each one</td>",
        page,
    )
    text = " ".join(
        pdf_text(
            render_report(report_subject(kind=ReportKind.COMPARISON, selection=eur_round)).pdf
        ).split()
    )
    assert "Refund Voice: Acts alone up to a limit (EUR 50) Chat: A human approves each one" in text
    assert "Account change" in text


def test_a_partly_answered_grid_is_marked_in_the_comparison_and_the_assessment_pdfs(
    client, extensions_version, analyst
):
    selection = round_of(extensions_version, name="Northwind 2027", buyer_currency="EUR")
    partial = {"choices": {"refund.chat": "approved"}, "limits": {}}
    responses = {}
    for name, grid in (("Acme Voice", ANSWERS["Acme Voice"]["action_authority"]), ("Fay", partial)):
        responses[name] = ResponseFactory(
            version=extensions_version,
            vendor=VendorFactory(name=name),
            status=ResponseStatus.SUBMITTED,
            selection=selection,
        )
        answer_all(responses[name], {"live_deployments": 9, "action_authority": grid})
        response_score(response=responses[name])
    mark = "Partly answered (1 of 4 cells)"
    # The admin's words, which the PDFs must repeat.
    ids = ",".join(str(r.pk) for r in responses.values())
    page = client.get(reverse("admin:questionnaires_response_compare") + f"?ids={ids}")
    assert mark in page.content.decode()

    comparison = " ".join(
        pdf_text(
            render_report(report_subject(kind=ReportKind.COMPARISON, selection=selection)).pdf
        ).split()
    )
    assessment = " ".join(
        pdf_text(
            render_report(report_subject(kind=ReportKind.ASSESSMENT, response=responses["Fay"])).pdf
        ).split()
    )

    assert comparison.count(mark) == 1
    # Under it, the one answered cell; the row with none answered says so.
    assert "Chat: A human approves each one" in comparison
    assert re.search(
        r"Account change Voice: Not offered Chat: A human approves each one\s+"
        r"Not answered",
        comparison,
    )
    assert mark in assessment
    assert "Refund Chat: A human approves each one" in assessment
    assert "Account change Not answered" in assessment


def test_the_derived_rate_and_the_grid_read_alike_on_the_page_in_the_xlsx_and_the_pdf(
    client, eur_round, analyst
):
    """The rollback rate is worked out from two counts (1 of 20 is 5%), never typed in;
    it and the action-authority grid must come out the same in every output."""
    comparison = build_comparison(list(eur_round.responses.all()))
    ids = ",".join(str(v.response_id) for v in comparison.vendors)
    page = client.get(
        reverse("admin:questionnaires_response_compare") + f"?ids={ids}"
    ).content.decode()
    row = page[page.index('<tr id="q-rollback_rate">') :]
    row = row[: row.index("</tr>")]
    shown = re.findall(r'<div class="cx-answer">([^<]*)</div>', row)
    order = [v.vendor_name for v in comparison.vendors]
    assert dict(zip(order, shown, strict=True)) == {
        "Blip Chat": "5%",
        "Cora Bots": "20%",
        "Acme Voice": "We do not measure this",
        "Dune AI": "12.5%",
        "Echo Desk": "20%",
    }

    workbook = load_workbook(io.BytesIO(comparison_xlsx(comparison)))
    answers = workbook["Answers"]
    header = [c.value for c in answers[1]]
    key, answer, unit = (header.index(h) for h in ("Question key", "Answer", "Unit"))
    cells = {
        (r[0].value, r[key].value): (r[answer], r[unit].value) for r in answers.iter_rows(min_row=2)
    }
    rate, rate_unit = cells[("Blip Chat", "rollback_rate")]
    assert (rate.value, rate.number_format, rate_unit) == (0.05, "0.0%", "%")
    grid, _ = cells[("Acme Voice", "action_authority")]
    assert grid.value == (
        "Refund — Voice: Acts alone up to a limit (EUR 50), Chat: A human approves each one; "
        "Account change — Voice: Not offered, Chat: A human approves each one"
    )
    matrix = workbook["Matrix"]
    heads = [c.value for c in matrix[1]]
    by_vendor = {r[0].value: r for r in matrix.iter_rows(min_row=2)}
    rate_column = next(i for i, h in enumerate(heads) if h.startswith("Q1.3 "))
    assert by_vendor["Dune AI"][rate_column].value == 0.125
    assert by_vendor["Dune AI"][rate_column].number_format == "0.0%"
    refund = heads.index("Q2.2.1 Refund")
    assert by_vendor["Acme Voice"][refund].value == (
        "Voice: Acts alone up to a limit (EUR 50); Chat: A human approves each one"
    )

    text = " ".join(
        pdf_text(
            render_report(report_subject(kind=ReportKind.COMPARISON, selection=eur_round)).pdf
        ).split()
    )
    # The baseline's row beside the survey, then the section table's cell, in rank order.
    assert (
        "Q1.3 Share of those deployments rolled back, paused or shut down "
        "5% 20% We do not measure this 12.5% 20%"
    ) in text
    assert "LOW 5% ≠ counted differently" in text


def test_a_question_an_earlier_answer_skips_reads_so_in_the_pdf(eur_round):
    # No live deployment: the rollback follow-ups are not asked of this vendor.
    response = ResponseFactory(
        version=eur_round.version,
        vendor=VendorFactory(name="Fog Systems"),
        status=ResponseStatus.SUBMITTED,
        selection=eur_round,
    )
    answer_all(response, {"live_deployments": 0, "live_monitoring": "realtime"})
    response_score(response=response)
    comparison = build_comparison(list(eur_round.responses.all()))
    skipped = [
        (row.key, vendor.vendor_name)
        for _, row in comparison.rows()
        for vendor, cell in zip(comparison.vendors, row.cells, strict=True)
        if cell.state == "hidden"
    ]
    assert skipped  # the fixture has follow-ups that some vendors' answers skip
    text = " ".join(
        pdf_text(
            render_report(report_subject(kind=ReportKind.COMPARISON, selection=eur_round)).pdf
        ).split()
    )
    assert "skipped by an earlier answer" in text
    assert not re.search(r"\bhidden\b", text.split("Appendix")[0])
