"""The review workspace in a real browser on a 1366x768 screen: five vendors side by side
(they fit, and the vendors' header and the question column stay in view while the
matrix scrolls), the comparison's controls and the response page's answer filters
applying as they change."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.utils import timezone

from questionnaires.models import Answer, ResponseStatus
from questionnaires.services.scores import response_score
from tests.browser.accessibility import DJANGO_ADMIN_CHROME, assert_accessible
from tests.factories import ResponseFactory, UserFactory, VendorFactory, answer_all

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
LAPTOP = {"width": 1366, "height": 768}
BASE = {
    "live_deployments": 40,
    "rollback_rate": 4,
    "live_monitoring": "realtime",
    "human_approval_money": "yes",
    "kill_switch_owner": "Head of customer operations, with the on-call engineering lead",
}
FIVE = {
    "Corvane Conversational": {},
    "Bramblecall Voice AI": {"rollback_rate": 18, "rollback_reasons": ["latency"]},
    "Glimmerline Assist": {"live_monitoring": "sampled"},
    "Quillmere Agents": {"human_approval_money": "no"},
    "Tallyforge Support Cloud": {
        "rollback_rate": 30,
        "rollback_reasons": ["hallucination", "cost"],
        "live_monitoring": "none",
    },
}
# Screenshots for docs/comparison.md, taken when asked (CXVET_DOC_SCREENSHOTS=1).
DOCS = Path(__file__).resolve().parents[2] / "docs" / "images"


@pytest.fixture
def five(example_version):
    created = []
    for name, changes in FIVE.items():
        response = ResponseFactory(
            version=example_version,
            vendor=VendorFactory(name=name, product=f"{name.split()[0]} Agent"),
            status=ResponseStatus.SUBMITTED,
            submitted_at=timezone.now(),
        )
        answer_all(response, {**BASE, **changes})
        response_score(response=response)
        created.append(response)
    Answer.objects.filter(response=created[2], question__key="live_monitoring").update(
        comment="A supervisor samples 5% of conversations each week and escalates anything odd."
    )
    return created


def _log_in(page, base_url: str) -> None:
    page.set_viewport_size(LAPTOP)
    user = UserFactory(username="browser-analyst")
    page.goto(f"{base_url}/admin/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")


def _doc_shot(page, name: str) -> None:
    if os.environ.get("CXVET_DOC_SCREENSHOTS"):
        DOCS.mkdir(exist_ok=True)
        page.screenshot(path=str(DOCS / name))


def _box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


def test_five_vendors_fit_at_1366_and_header_and_question_column_stay_in_view(
    page, live_server, five, artifacts_dir
):
    _log_in(page, live_server.url)
    ids = ",".join(str(r.pk) for r in five)
    page.goto(f"{live_server.url}/admin/questionnaires/response/compare/?ids={ids}")
    page.wait_for_selector("#comparison-matrix")
    assert page.locator(".cx-vendor-head").count() == 5

    sizes = page.evaluate(
        """() => {
          const wrap = document.querySelector('.cx-matrix-wrap');
          return {scroll: wrap.scrollWidth, client: wrap.clientWidth,
                  page: document.documentElement.scrollWidth, view: window.innerWidth};
        }"""
    )
    # Five vendors fit: no sideways scrolling, in the matrix or the page.
    assert sizes["scroll"] <= sizes["client"], sizes
    assert sizes["page"] <= sizes["view"], sizes
    last = _box(page, ".cx-vendor-head >> nth=4")
    assert last["x"] + last["width"] <= LAPTOP["width"]
    page.screenshot(path=str(artifacts_dir / "workspace-five-vendors.png"), full_page=True)
    _doc_shot(page, "comparison-five-vendors.png")
    assert_accessible(page, exclude=DJANGO_ADMIN_CHROME)

    # Scrolled down inside the matrix, the vendors' header stays at its top.
    wrap = _box(page, ".cx-matrix-wrap")
    page.evaluate("() => { document.querySelector('.cx-matrix-wrap').scrollTop = 400; }")
    assert page.evaluate("() => document.querySelector('.cx-matrix-wrap').scrollTop") > 0
    head = _box(page, ".cx-vendor-head")
    assert abs(head["y"] - wrap["y"]) <= 2, (head, wrap)

    # Narrowed until the vendors no longer fit, the matrix scrolls sideways and the
    # question column stays at its left edge.
    page.set_viewport_size({"width": 900, "height": 768})
    page.evaluate("() => { document.querySelector('.cx-matrix-wrap').scrollLeft = 300; }")
    assert page.evaluate("() => document.querySelector('.cx-matrix-wrap').scrollLeft") > 0
    wrap = _box(page, ".cx-matrix-wrap")
    question = _box(page, "#comparison-matrix tbody th.cx-q")
    assert abs(question["x"] - wrap["x"]) <= 2, (question, wrap)
    page.set_viewport_size(LAPTOP)


def test_the_comparison_controls_apply_as_they_change(page, live_server, five):
    _log_in(page, live_server.url)
    ids = ",".join(str(r.pk) for r in five[:2])
    page.goto(f"{live_server.url}/admin/questionnaires/response/compare/?ids={ids}")
    page.wait_for_selector("#comparison-matrix")
    assert not page.locator("#comparison-controls input[type=submit]").is_visible()
    assert page.locator("#comparison-matrix tbody tr[id^=q-]").count() == 7

    with page.expect_navigation(wait_until="load"):
        page.check("input[name=differences]")

    assert "differences=1" in page.url
    # Corvane and Bramblecall differ in risk only on the rollback rate and its reasons.
    rows = page.locator("#comparison-matrix tbody tr[id^=q-]")
    assert sorted(rows.evaluate_all("rows => rows.map(r => r.id)")) == [
        "q-rollback_rate",
        "q-rollback_reasons",
    ]


def test_the_response_page_filters_hide_and_show_answers_as_they_are_ticked(
    page, live_server, five
):
    quillmere = five[3]  # money moves without a human: one flagged, risky answer
    _log_in(page, live_server.url)
    page.goto(f"{live_server.url}/admin/questionnaires/response/{quillmere.pk}/change/")
    page.wait_for_selector("#answer-filters")
    rows = page.locator("tr[data-cx-marks]")
    assert rows.count() == 7
    assert not page.locator("#answer-filters input[type=submit]").is_visible()
    visible = "rows => rows.filter(r => !r.hidden).map(r => r.id)"
    url_before = page.url

    page.check("input[name=show][value=flagged]")
    assert rows.evaluate_all(visible) == ["answer-human_approval_money"]
    assert page.url == url_before + "?show=flagged" or "show=flagged" in page.url
    assert page.locator("[data-cx-shown]").inner_text() == "1"
    # The section with no answer left is hidden with its heading; its count says 0.
    assert not page.locator("#section-track_record").is_visible()
    assert page.locator("[data-cx-section-count=track_record]").inner_text() == "0"
    _doc_shot(page, "response-filters.png")
    assert_accessible(page, exclude=DJANGO_ADMIN_CHROME)

    # Switching profile keeps the filter.
    with page.expect_navigation(wait_until="load"):
        page.click("a[data-cx-keeps-filters]")
    assert "profile=financial_services" in page.url and "show=flagged" in page.url
    assert page.locator("input[name=show][value=flagged]").is_checked()
    assert rows.evaluate_all(visible) == ["answer-human_approval_money"]

    page.check("input[name=show][value=unanswered]")
    assert set(rows.evaluate_all(visible)) == {
        "answer-human_approval_money",
        "answer-rollback_reasons",
        "answer-monitoring_report",
    }

    page.uncheck("input[name=show][value=flagged]")
    page.uncheck("input[name=show][value=unanswered]")
    assert rows.evaluate_all(visible).__len__() == 7
    assert page.locator("#section-track_record").is_visible()
    assert "show=" not in page.url

    # A jump link from the index lands on its section.
    page.click("#section-index a[href='#section-oversight']")
    assert page.url.endswith("#section-oversight")
