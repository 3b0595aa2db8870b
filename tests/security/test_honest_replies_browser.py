"""The portal's script shows an honest refusal: in Chromium, a save the server could not
read says so beside the question, and an upload too large to read says why."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from questionnaires.models import Answer, Evidence
from tests.vendors.helpers import open_response
from vendors.forms import PAGE_UNREADABLE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def section_page(page: Page, live_server, example_version):
    token, response = open_response(example_version)
    page.goto(f"{live_server.url}/portal/{token}/sections/oversight/")
    return page, response


def test_an_autosave_the_server_could_not_read_is_shown_as_not_saved(section_page):
    page, response = section_page
    # As if the page had been damaged: its revision is no longer one the server sent.
    page.locator('input[name="kill_switch_owner-revision"]').evaluate("el => el.value = 'x'")

    page.get_by_label("Who may pull the kill switch?").fill("The duty manager")
    page.get_by_label("Who may pull the kill switch?").blur()

    card = page.locator("#q-kill_switch_owner")
    expect(card.locator("[data-save-state]")).to_contain_text("Not saved", timeout=10_000)
    expect(card).to_contain_text(PAGE_UNREADABLE)
    expect(page.locator("[data-save-status]")).not_to_contain_text("All changes saved")
    assert not Answer.objects.filter(response=response).exists()


def test_an_upload_too_large_to_read_says_why(section_page, settings, tmp_path):
    page, _ = section_page
    settings.PORTAL_MAX_REQUEST_BYTES = 2_000
    big = tmp_path / "report.pdf"
    big.write_bytes(PDF + b"0" * 5_000)

    page.locator('input[name="monitoring_report-evidence"]').set_input_files(str(big))

    status = page.locator("#q-monitoring_report [data-evidence-status]")
    expect(status).to_contain_text("Nothing was saved: this request is", timeout=10_000)
    expect(status).to_contain_text("Send fewer files at a time.")
    assert not Evidence.objects.exists()
