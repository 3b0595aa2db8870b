"""A real browser through the analyst workspace: response list -> comparison -> export."""

from __future__ import annotations

import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from questionnaires.models import ResponseStatus
from questionnaires.services.scores import response_score
from tests.browser.accessibility import DJANGO_ADMIN_CHROME, assert_accessible
from tests.factories import ResponseFactory, UserFactory, VendorFactory, answer_all

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
VENDORS = {
    "Careful Co": {
        "live_deployments": 40,
        "rollback_rate": 4,
        "live_monitoring": "realtime",
        "human_approval_money": "yes",
        "kill_switch_owner": "Head of support",
    },
    "Reckless Inc": {
        "live_deployments": 12,
        "rollback_rate": 30,
        "rollback_reasons": ["hallucination"],
        "live_monitoring": "none",
        "human_approval_money": "no",
    },
    "Middling Ltd": {
        "live_deployments": 25,
        "rollback_rate": 12,
        "rollback_reasons": ["latency"],
        "live_monitoring": "sampled",
        "human_approval_money": "yes",
    },
}


@pytest.fixture
def responses(example_version):
    created = []
    for name, answers in VENDORS.items():
        response = ResponseFactory(
            version=example_version,
            vendor=VendorFactory(name=name),
            status=ResponseStatus.SUBMITTED,
            submitted_at=timezone.now(),
        )
        answer_all(response, answers)
        response_score(response=response)
        created.append(response)
    response = created[1]
    response.answers.filter(question__key="live_monitoring").update(
        comment="We rely on customer complaints."
    )
    return created


def _shot(page, artifacts_dir, name: str) -> None:
    """Screenshot a workspace page for review and audit the accessibility of our part."""
    page.screenshot(path=str(artifacts_dir / f"{name}.png"), full_page=True)
    assert_accessible(page, exclude=DJANGO_ADMIN_CHROME)


def _log_in(page, base_url: str) -> None:
    page.set_viewport_size({"width": 1600, "height": 1000})
    user = UserFactory(username="browser-analyst")
    page.goto(f"{base_url}/admin/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")


def test_from_the_response_list_to_a_comparison_and_an_export(
    page, live_server, responses, artifacts_dir
):
    _log_in(page, live_server.url)
    page.goto(f"{live_server.url}/admin/questionnaires/response/")
    page.wait_for_selector("#result_list")
    assert page.locator("#result_list tbody tr").count() == 3
    assert page.locator("#result_list .cx-tier-critical", has_text="Critical").count() == 1
    _shot(page, artifacts_dir, "admin-response-list")

    # Tick every response and run the admin action.
    page.check("#action-toggle")
    page.select_option("select[name=action]", "compare_selected")
    page.click("button[name=index]")
    page.wait_for_selector("#comparison-matrix")

    assert page.locator(".cx-vendor-head").count() == 3
    robustness = page.locator("#robustness").inner_text()
    assert "ranks first" in robustness and "draws" in robustness
    # Risk is shown as a word next to its colour.
    assert page.locator(".cx-risk.risk-severe", has_text="severe").count() >= 1
    # A comment opens on demand.
    comment = page.locator("details", has_text="We rely on customer complaints.")
    assert not comment.locator(".cx-comment").is_visible()
    comment.locator("summary").click()
    assert comment.locator(".cx-comment").is_visible()
    _shot(page, artifacts_dir, "admin-comparison")

    # Controls apply as they change (each change loads the page again): lowest risk
    # first, only flagged questions, another profile.
    assert not page.locator("#comparison-controls input[type=submit]").is_visible()
    with page.expect_navigation(wait_until="load"):
        page.select_option("#id_order", "risk")
    with page.expect_navigation(wait_until="load"):
        page.check("input[name=flagged]")
    # The old page has a matrix too: wait for the new one, stylesheets included.
    with page.expect_navigation(wait_until="load"):
        page.select_option("#id_profile", "financial_services")
    heads = page.locator(".cx-vendor-head .cx-vendor-name").all_inner_texts()
    assert heads[0] == "Careful Co"
    assert page.locator("#comparison-matrix tbody tr[id^=q-]").count() == 1
    assert page.locator("#id_profile").input_value() == "financial_services"
    _shot(page, artifacts_dir, "admin-comparison-flagged")

    with page.expect_download() as download_info:
        page.click("text=XLSX (summary, matrix, answers)")
    download = download_info.value
    target = artifacts_dir / download.suggested_filename
    download.save_as(str(target))
    workbook = load_workbook(io.BytesIO(target.read_bytes()))
    assert workbook.sheetnames == ["Summary", "Matrix", "Answers", "Questions"]
    summary = workbook["Summary"]
    assert summary["I1"].value == "Profile"
    assert summary["I2"].value == "Financial services"
    assert {summary.cell(row=r, column=1).value for r in range(2, 5)} == set(VENDORS)


def test_reviewing_a_response_in_the_browser(page, live_server, responses, artifacts_dir):
    careful = responses[0]
    _log_in(page, live_server.url)
    page.goto(f"{live_server.url}/admin/questionnaires/response/{careful.pk}/change/")
    page.wait_for_selector("#answers")
    _shot(page, artifacts_dir, "admin-response-review")

    page.select_option("#level-rollback_rate", "verified")
    page.click("input[name=set-rollback_rate]")
    page.wait_for_selector(".messagelist")
    assert "is now verified by an analyst" in page.locator(".messagelist").inner_text()

    page.click("#accept-response")
    page.wait_for_selector(".messagelist")
    assert "Accepted the response of Careful Co." in page.locator(".messagelist").inner_text()
    assert "Submitted → Accepted" in page.locator("#history").inner_text()


def test_requesting_clarification_in_the_browser(page, live_server, responses, artifacts_dir):
    middling = responses[2]
    _log_in(page, live_server.url)
    page.goto(f"{live_server.url}/admin/questionnaires/response/{middling.pk}/change/")
    page.click("#request-clarification")
    page.wait_for_selector("#clarification-form")

    page.check("#id_reopen__rollback_rate")
    page.fill("#id_note__rollback_rate", "Which of the 25 deployments were rolled back, and why?")
    _shot(page, artifacts_dir, "admin-clarification-form")
    page.click("#clarification-form input[type=submit]")
    page.wait_for_selector(".messagelist")

    assert (
        "Reopened 1 question and notified Middling Ltd, to reply by "
        in page.locator(".messagelist").inner_text()
    )
    assert "clarification asked" in page.locator("#answer-rollback_rate").inner_text()
    assert "Accept response" not in page.locator("#review-actions").inner_text()
    history = page.locator("#history").inner_text()
    assert (
        "Reopened Q1.2 “Of those deployments, what share was rolled back, paused or…”: "
        "Which of the 25 deployments were rolled back" in history
    )
