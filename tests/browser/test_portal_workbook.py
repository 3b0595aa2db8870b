"""Answering offline in Chromium: the vendor downloads the workbook, fills it in,
uploads it, reads the preview, corrects the cell it reports, confirms, and sees the
answers in the portal."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from questionnaires.models import Answer
from tests.browser.accessibility import assert_accessible
from tests.vendors.helpers import open_response, url
from tests.vendors.workbook_helpers import cell_of, edited, open_book

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_vendor_answers_in_a_workbook_and_sees_the_answers_in_the_portal(
    page: Page, live_server, example_version, tmp_path
):
    token, response = open_response(example_version)
    page.goto(live_server.url + url("overview", token))
    page.get_by_role("link", name="Answer offline in a workbook").click()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the workbook").click()
    downloaded = tmp_path / "downloaded.xlsx"
    download_info.value.save_as(downloaded)
    data = downloaded.read_bytes()

    # Filled with one mistake: a negative count.
    answers = {
        "live_deployments": -12,
        "live_monitoring": "Real-time monitoring with alerting",
        "human_approval_money": "Yes",
        "kill_switch_owner": "The on-call lead",
    }
    first = tmp_path / "first.xlsx"
    first.write_bytes(edited(data, answers, comments={"live_monitoring": "Paged 24x7"}))
    page.get_by_label("Filled-in workbook (.xlsx)").set_input_files(str(first))
    page.get_by_role("button", name="Upload and preview").click()

    problems = page.locator("#workbook-problems")
    where = cell_of(open_book(data), "live_deployments")
    expect(problems).to_contain_text(f"Answers!{where}, question 1.1")
    expect(problems).to_contain_text("Enter a whole number of at least 0.")
    assert_accessible(page)
    assert not Answer.objects.filter(response=response).exists()

    # The vendor corrects that cell and uploads again.
    fixed = tmp_path / "fixed.xlsx"
    fixed.write_bytes(edited(first.read_bytes(), {"live_deployments": 12}))
    page.get_by_label("Filled-in workbook (.xlsx)").set_input_files(str(fixed))
    page.get_by_role("button", name="Upload and preview").click()

    expect(page.locator("#workbook-summary")).to_contain_text("4 new, 0 changed")
    expect(page.locator("#workbook-new")).to_contain_text("New answers (4)")
    expect(page.locator('tr[data-key="live_monitoring"]')).to_contain_text("Paged 24x7")
    assert_accessible(page)
    page.get_by_role("button", name="Save 4 answers").click()

    expect(page.get_by_text("The workbook's answers are saved: 4 changed.")).to_be_visible()
    page.goto(live_server.url + url("section", token, "oversight"))
    expect(page.get_by_label("Real-time monitoring with alerting")).to_be_checked()
    expect(page.get_by_label("Who may pull the kill switch?")).to_have_value("The on-call lead")
    page.goto(live_server.url + url("section", token, "track_record"))
    expect(page.locator("#id_live_deployments")).to_have_value("12")
