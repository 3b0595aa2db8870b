"""The comparison PDF's decision pages (framework coverage, business case, baselines) on
a real round of the shipped version 2: they agree with the comparison page's data
(questionnaires.decision.decision_data), print units and currency, and go stale when a
price or the frameworks change."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from questionnaires.comparison import build_comparison
from questionnaires.decision import decision_data
from questionnaires.models import ReportKind
from questionnaires.reports import render_report, report_subject
from questionnaires.reports.changes import change_lines
from questionnaires.reports.inputs import current_inputs_hash, report_inputs
from questionnaires.reports.staleness import reports_staleness
from questionnaires.selectors import reports_with_change_signal
from questionnaires.services.prices import response_price_set
from questionnaires.services.reports import report_request
from tests.questionnaires.reports_data import (  # noqa: F401  (eager_tasks is a fixture)
    eager_tasks,
    pdf_pages_text,
)
from tests.questionnaires.test_decision import decision_round

FRAMEWORKS = ["owasp_llm_2025", "nist_ai_rmf"]


def _one_line(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def round_(shipped_v2_version):
    return decision_round(shipped_v2_version, name="Support agent 2027", frameworks=FRAMEWORKS)


def _subject(selection):
    return report_subject(kind=ReportKind.COMPARISON, selection=selection)


def _pages(selection) -> list[str]:
    return [_one_line(p) for p in pdf_pages_text(render_report(_subject(selection)).pdf)]


def test_every_controls_status_per_vendor_is_on_its_framework_page(round_):
    selection, acme, bolt = round_
    decision = decision_data(
        selection, build_comparison([acme.pk, bolt.pk], profile_key=selection.profile_key)
    )
    pages = _pages(selection)
    text = " ".join(pages)
    assert len(decision.frameworks) == 2
    # The PDF's columns follow the ranking; here it is the comparison's order too.
    assert matrix_order(decision) == ("Acme", "Bolt")
    assert re.search(r"1 Acme .* 2 Bolt ", pages[1])
    for matrix in decision.frameworks:
        title = f"Framework coverage: {matrix.framework.title}"
        assert title in text
        assert f"Framework coverage: {matrix.framework.short_title}" in pages[0]  # contents
        framework_text = _part(pages, title)
        for row in matrix.rows:
            assert row.control_id in framework_text
            # The row's cells in the PDF's vendor order (rank order), statuses in words.
            after = framework_text[framework_text.index(row.control_id) :]
            labels = [cell.label for cell in row.cells]
            assert _in_order(after, labels), (row.control_id, labels)
        for question in matrix.rows[0].cells[0].questions:
            assert f"Q{question.question.number} " in framework_text
        # The counts per vendor, under the table.
        for counts in matrix.counts:
            open_ = counts["unanswered"] + counts["unverified"]
            line = f"{counts['met']} · {counts['partly_met']} · {counts['gap']} · {open_}"
            assert line in framework_text


def matrix_order(decision) -> tuple[str, ...]:
    return decision.frameworks[0].vendors


def _part(pages: list[str], title: str) -> str:
    """The pages from the one starting with `title` to the next part's (a table may run
    over several pages)."""
    start = next(i for i, page in enumerate(pages) if page.startswith(title))
    end = next(
        (
            i
            for i in range(start + 1, len(pages))
            if pages[i].startswith(("Framework coverage:", "Business case, stress-tested"))
        ),
        len(pages),
    )
    return " ".join(pages[start:end])


def _in_order(text: str, words: list[str]) -> bool:
    position = 0
    for word in words:
        found = text.find(word, position)
        if found < 0:
            return False
        position = found + len(word)
    return True


def test_the_business_case_page_prints_the_hand_computed_figures_with_the_currency(round_):
    selection, _, _ = round_
    pages = _pages(selection)
    page = next(p for p in pages if p.startswith("Business case, stress-tested"))
    assert "1,000,000 contacts a year" in page
    assert "5.00 EUR per contact" in page
    # Acme: (a) 1,000,000 x 60% x 5 - 1,200,000; (b) 1,000,000 x 40% x (1 - 10%) x 5 - 1,200,000;
    # its repeat-contact rate is not verified, so (b) runs from 0 contacts saved (- the price).
    assert "1,200,000.00 EUR: entered by an analyst" in page
    assert "600,000 contacts" in page and "3,000,000.00 EUR" in page
    assert "1,800,000.00 EUR" in page  # (a) net, and (b) gross
    assert "360,000 contacts" in page
    assert "600,000.00 EUR" in page
    assert "-1,200,000.00 EUR to 600,000.00 EUR" in page
    assert "Works only if unverified figures hold" in page
    # Bolt: no price, so no net; its gross (a) is 1,000,000 x 50% x 5.
    assert "2,500,000.00 EUR" in page
    assert "Unknown: no analyst's price" in page
    assert "Bolt: The yearly price is unknown" in page
    summary = pages[1]
    assert summary.startswith("Executive summary")
    assert "net yearly savings, whole EUR" in summary
    assert "Acme 1,800,000 600,000 -1,200,000 to 600,000 Works only if" in summary
    assert "Framework coverage: controls met · partly · gap · open" in summary
    assert pages[2].startswith("How the assessment was made")  # the summary is one page


def test_limitations_list_the_caveat_of_each_baseline_used(round_):
    selection, _, _ = round_
    pages = _pages(selection)
    text = " ".join(pages)
    start = next(i for i, p in enumerate(pages) if "Limitations Self-attested answers" in p)
    limitations = " ".join(pages[start : start + 2])
    assert "Sinch" in limitations and "beside Q" in limitations
    assert "Industry baselines beside the vendors' figures" in text
    baselines = text[text.index("Industry baselines beside the vendors' figures A baseline") :]
    # Neither vendor is asked the rollback questions (an earlier answer skips them).
    assert re.search(r"Q\d+\.\d+ .*not asked: an earlier answer skips it", baselines)
    assert "Coverage is read against the frameworks chosen for the round" in limitations


def test_a_round_choosing_no_framework_has_no_framework_page(round_):
    selection, _, _ = round_
    selection.frameworks = []
    selection.save(update_fields=["frameworks"])
    pages = _pages(selection)
    text = " ".join(pages)
    assert "Framework coverage:" not in text
    assert "No framework was chosen for this round" in text
    assert "Business case, stress-tested" in text


@pytest.mark.parametrize(
    "change",
    [
        lambda selection, acme: _set(acme, analyst_yearly_price=Decimal("900000")),
        lambda selection, acme: _set(selection, frameworks=["owasp_llm_2025"]),
        lambda selection, acme: _set(selection, human_contact_cost=Decimal("4.50")),
        lambda selection, acme: _set(selection, yearly_contact_volume=2_000_000),
        lambda selection, acme: _set(selection, buyer_currency="USD"),
    ],
    ids=["price", "frameworks", "human cost", "volume", "currency"],
)
def test_a_report_goes_stale_when_a_decision_input_changes(round_, change):
    selection, acme, _ = round_
    subject = _subject(selection)
    before = current_inputs_hash(subject)
    snapshot = report_inputs(subject)
    assert snapshot["selection"]["frameworks"] == FRAMEWORKS
    change(selection, acme)
    assert current_inputs_hash(subject) != before


def _set(obj, **fields):
    for name, value in fields.items():
        setattr(obj, name, value)
    obj.save(update_fields=list(fields))


def test_the_assessment_summary_gives_the_vendors_coverage_counts_and_business_case(round_):
    selection, acme, bolt = round_
    decision = decision_data(
        selection, build_comparison([acme.pk, bolt.pk], profile_key=selection.profile_key)
    )
    rendered = render_report(report_subject(kind=ReportKind.ASSESSMENT, response=acme))
    pages = [_one_line(p) for p in pdf_pages_text(rendered.pdf)]
    summary = " ".join(p for p in pages[1:3])
    assert "Framework coverage" in summary

    def controls(n: int) -> str:
        return f"{n} control" if n == 1 else f"{n} controls"

    for matrix in decision.frameworks:
        counts = matrix.counts[0]  # Acme's
        open_ = counts["unanswered"] + counts["unverified"]
        assert (
            f"{matrix.framework.title} {controls(counts['met'])} "
            f"{controls(counts['partly_met'])} {controls(counts['gap'])} {controls(open_)}"
        ) in summary
    assert " 1 controls" not in summary
    assert "1,200,000.00 EUR: entered by an analyst" in summary
    assert "1,800,000.00 EUR 600,000.00 EUR -1,200,000.00 EUR to 600,000.00 EUR" in summary
    assert "Works only if unverified figures hold" in summary
    assert "For 1,000,000 contacts a year and 5.00 EUR per contact" in summary


@pytest.mark.usefixtures("eager_tasks")
def test_a_ready_report_is_stale_once_a_price_or_the_frameworks_change(
    round_, django_capture_on_commit_callbacks
):
    selection, acme, _ = round_
    with django_capture_on_commit_callbacks(execute=True):
        report = report_request(kind=ReportKind.COMPARISON, selection=selection)
    report.refresh_from_db()
    assert not reports_staleness([report])[report.pk].stale

    response_price_set(response=acme, price=Decimal("900000"))
    selection.frameworks = ["owasp_llm_2025"]
    selection.save()

    flagged = reports_with_change_signal(type(report).objects.filter(pk=report.pk)).get()
    assert flagged.changed_since
    found = reports_staleness([report])[report.pk]
    assert found.stale and found.rerender
    lines = change_lines(found.changes, {})
    assert "The round's chosen frameworks changed" in lines
    assert "Acme: the analyst's yearly price changed" in lines


@pytest.mark.usefixtures("eager_tasks")
def test_the_price_alone_signals_the_round_s_reports(round_, django_capture_on_commit_callbacks):
    selection, acme, _ = round_
    with django_capture_on_commit_callbacks(execute=True):
        report = report_request(kind=ReportKind.COMPARISON, selection=selection)
    report.refresh_from_db()
    reports = type(report).objects.filter(pk=report.pk)
    assert report.status == "ready" and not reports_with_change_signal(reports).get().changed_since
    response_price_set(response=acme, price=Decimal("900000"))
    flagged = reports_with_change_signal(type(report).objects.filter(pk=report.pk)).get()
    assert flagged.changed_since


def test_with_ten_vendors_and_four_frameworks_the_summary_stays_one_page(shipped_v2_version):
    from tests.synthetic import scored_selection

    demo = scored_selection(version=shipped_v2_version, vendors=10)
    selection = demo.selection
    selection.version = shipped_v2_version
    selection.frameworks = ["owasp_llm_2025", "nist_ai_rmf", "eu_ai_act", "iso_42001"]
    selection.buyer_currency = "EUR"
    selection.yearly_contact_volume = 12_500_000
    selection.human_contact_cost = Decimal("4.80")
    selection.save()
    for n, response in enumerate(demo.responses):
        response_price_set(response=response, price=Decimal(1_250_000 + 125_000 * n))
    pages = _pages(selection)
    assert pages[1].startswith("Executive summary")
    assert "Framework coverage: controls met · partly · gap · open" in pages[1]
    assert pages[1].count(" EUR") <= 3  # the header and the legend name it, not each cell
    assert pages[2].startswith("How the assessment was made")
    for title in ("OWASP", "NIST AI RMF", "EU AI Act", "ISO"):
        assert f"Framework coverage: {title}" in pages[0]
