"""A real browser: generate a PDF from a selection, and watch a report turn ready live."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from questionnaires.models import Report, ReportKind, ReportStatus
from questionnaires.reports import current_inputs_hash, report_subject
from questionnaires.tasks.reports import report_render
from tests.browser.accessibility import DJANGO_ADMIN_CHROME, assert_accessible
from tests.factories import UserFactory
from tests.questionnaires.reports_data import (  # noqa: F401  (eager_tasks is a fixture)
    eager_tasks,
    report_selection,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("eager_tasks"),
]

PASSWORD = "correct horse battery staple"


def _log_in(page: Page, base_url: str) -> None:
    page.set_viewport_size({"width": 1400, "height": 900})
    user = UserFactory(username="report-analyst")
    page.goto(f"{base_url}/admin/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")


def test_generate_pdf_from_the_selection_page_and_download_it(
    page: Page, live_server, example_version, artifacts_dir
):
    data = report_selection(example_version)
    _log_in(page, live_server.url)

    page.goto(f"{live_server.url}/admin/questionnaires/selection/{data.selection.pk}/change/")
    page.click("#generate-comparison-pdf")
    page.select_option("#id_profile", "financial_services")
    page.click("#generate-pdf")

    report = Report.objects.get()
    assert report.profile_key == "financial_services"
    expect(page.locator(".cx-report-status")).to_have_text("Ready", timeout=30_000)
    page.screenshot(path=str(artifacts_dir / "admin-report-ready.png"), full_page=True)
    assert_accessible(page, exclude=DJANGO_ADMIN_CHROME)
    with page.expect_download() as download_info:
        page.click("a.cx-report-download")
    download = download_info.value
    target = artifacts_dir / "reports" / download.suggested_filename
    target.parent.mkdir(exist_ok=True)
    download.save_as(str(target))
    text = "\n".join(p.extract_text() for p in PdfReader(target).pages)
    assert "Contact centre agent 2026" in text
    assert "Financial services" in text


def test_the_report_page_shows_ready_and_the_link_without_a_reload(
    page: Page, live_server, example_version
):
    data = report_selection(example_version)
    subject = report_subject(kind=ReportKind.COMPARISON, selection=data.selection)
    # Queued as if a worker had not picked it up yet.
    report = Report.objects.create(
        kind=ReportKind.COMPARISON,
        selection=data.selection,
        profile_key=subject.profile_key,
        inputs_hash=current_inputs_hash(subject),
    )
    _log_in(page, live_server.url)
    page.goto(f"{live_server.url}/admin/questionnaires/report/{report.pk}/change/")
    status = page.locator(".cx-report-status")
    expect(status).to_have_text("Queued")
    expect(page.locator("a.cx-report-download")).to_have_count(0)
    page.evaluate("window.__notReloaded = true")

    assert report_render.apply(args=[report.pk]).get() == "ready"

    expect(status).to_have_text("Ready", timeout=15_000)
    expect(page.locator("a.cx-report-download")).to_have_count(1)
    assert page.evaluate("window.__notReloaded") is True
    assert Report.objects.get(pk=report.pk).status == ReportStatus.READY


def test_a_failure_reason_appears_without_a_reload(page: Page, live_server, example_version):
    data = report_selection(example_version)
    subject = report_subject(kind=ReportKind.COMPARISON, selection=data.selection)
    report = Report.objects.create(
        kind=ReportKind.COMPARISON,
        selection=data.selection,
        profile_key=subject.profile_key,
        inputs_hash=current_inputs_hash(subject),
        status=ReportStatus.RENDERING,
    )
    _log_in(page, live_server.url)
    page.goto(f"{live_server.url}/admin/questionnaires/report/{report.pk}/change/")
    expect(page.locator(".cx-report-status")).to_have_text("Rendering")

    Report.objects.filter(pk=report.pk).update(
        status=ReportStatus.FAILED, error="TemplateSyntaxError: Invalid block tag 'vendor_table'"
    )

    expect(page.locator(".cx-report-status")).to_have_text("Failed", timeout=15_000)
    expect(page.locator(".cx-report-error")).to_have_text(
        "TemplateSyntaxError: Invalid block tag 'vendor_table'"
    )
