"""Autosave through a failing server: a real browser keeps the answer and retries.

Playwright stands in for a proxy or a server in trouble (`page.route`): it answers the
page's autosave requests with proxy error pages (502, 503 with Retry-After, 429, a 404
without the portal's marker) or cuts the connection, for as long as the test says, then
lets them through to the live server. The vendor sees "Not saved, retrying", the answer
survives a reload, and it ends saved in the database. Only the portal's own
"link no longer works" reply stops the retries; a colleague's change made meanwhile is
shown as a conflict, not overwritten.
"""

from __future__ import annotations

import itertools
import time

import pytest
from django.utils import timezone
from playwright.sync_api import Page, Route, expect

from questionnaires.models import Answer
from questionnaires.services.answers import AnswerChange, answers_save
from tests.browser.accessibility import assert_accessible
from tests.vendors.helpers import open_response, url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

QUESTION = "kill_switch_owner"
STORED_DRAFTS = "Object.keys(localStorage).filter((k) => k.startsWith('cxvet-unsaved:'))"

PROXY_PAGE = "<html><body><h1>{status} {reason}</h1><hr><center>nginx</center></body></html>"
FAILURES = [
    {"status": 502, "reason": "Bad Gateway"},
    None,  # the connection is cut
    {"status": 503, "reason": "Service Temporarily Unavailable", "retry_after": "1"},
    {"status": 429, "reason": "Too Many Requests"},
    {"status": 404, "reason": "Not Found"},  # a proxy's, without the portal's marker
]


class FlakyServer:
    """Fails every autosave while `failing`, cycling through FAILURES."""

    def __init__(self, page: Page):
        self.failing = True
        self.failed = 0
        self.passed = 0
        self._next = itertools.cycle(FAILURES)
        page.route("**/autosave/**", self._answer)

    def _answer(self, route: Route) -> None:
        if not self.failing:
            self.passed += 1
            route.continue_()
            return
        self.failed += 1
        failure = next(self._next)
        if failure is None:
            route.abort("connectionreset")
            return
        headers = {"Retry-After": failure["retry_after"]} if "retry_after" in failure else {}
        route.fulfill(
            status=failure["status"],
            content_type="text/html",
            headers=headers,
            body=PROXY_PAGE.format(**failure),
        )

    def wait_for_failures(self, page: Page, count: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while self.failed < count:
            assert time.monotonic() < deadline, f"only {self.failed} of {count} attempts seen"
            page.wait_for_timeout(100)


@pytest.fixture
def section(live_server, example_version):
    """(the oversight section's address, its response)"""
    token, response = open_response(example_version)
    return live_server.url + url("section", token, "oversight"), response


def _stored(response):
    answer = Answer.objects.filter(response=response, question__key=QUESTION).first()
    return answer.value if answer else None


def test_refused_saves_are_retried_kept_over_a_reload_and_land(page: Page, section, artifacts_dir):
    address, response = section
    server = FlakyServer(page)
    page.on("dialog", lambda dialog: dialog.accept())  # "leave with unsaved changes?"
    page.goto(address)
    field = page.get_by_label("Who may pull the kill switch?")
    card_state = page.locator(f"#q-{QUESTION} [data-save-state]")
    status = page.locator("[data-save-status]")

    field.fill("The duty manager")
    field.press("Tab")
    expect(card_state).to_contain_text("Not saved, retrying")
    expect(status).to_contain_text("Not saved, retrying")
    server.wait_for_failures(page, 2)  # a 502 page, then a cut connection
    assert _stored(response) is None
    page.screenshot(path=str(artifacts_dir / "portal-retrying.png"), full_page=True)
    assert_accessible(page)

    page.reload()
    expect(field).to_have_value("The duty manager")
    expect(card_state).to_contain_text("Not saved, retrying")
    server.wait_for_failures(page, 5)  # 503 with Retry-After, 429, a proxy's 404
    expect(field).to_have_value("The duty manager")

    server.failing = False
    expect(card_state).to_contain_text("Saved", timeout=40_000)
    expect(status).to_contain_text("All changes saved")
    assert _stored(response) == "The duty manager"
    assert page.evaluate(STORED_DRAFTS) == []

    page.reload()
    expect(field).to_have_value("The duty manager")
    expect(card_state).to_be_empty()  # nothing restored, nothing sent again
    assert server.passed == 1


def test_a_colleagues_change_made_during_the_outage_is_shown_not_overwritten(page: Page, section):
    address, response = section
    server = FlakyServer(page)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(address)
    field = page.get_by_label("Who may pull the kill switch?")
    field.fill("The CTO")
    field.press("Tab")
    server.wait_for_failures(page, 1)
    page.reload()
    expect(field).to_have_value("The CTO")

    answers_save(
        response=response,
        changes=[AnswerChange(QUESTION, "Head of operations", "", base_revision=0)],
        actor="Sam Colleague <sam@vendor.example>",
    )
    server.failing = False

    conflict = page.locator(f"#q-{QUESTION} [data-conflict]")
    expect(conflict).to_contain_text("Someone else changed this answer", timeout=40_000)
    expect(conflict.locator("[data-theirs]")).to_contain_text("Head of operations")
    expect(conflict.locator("[data-yours]")).to_contain_text("The CTO")
    assert _stored(response) == "Head of operations"

    # Reloaded again, the kept answer still rests on the old revision: the conflict
    # comes back rather than the answer being saved over theirs.
    page.reload()
    expect(conflict).to_contain_text("Someone else changed this answer", timeout=10_000)
    assert _stored(response) == "Head of operations"

    conflict.get_by_role("button", name="Keep my answer").click()
    expect(page.locator(f"#q-{QUESTION} [data-save-state]")).to_contain_text("Saved")
    assert _stored(response) == "The CTO"
    assert page.evaluate(STORED_DRAFTS) == []


def test_only_the_portals_link_gone_reply_stops_the_retries(page: Page, section):
    address, response = section
    sent = []
    page.on(
        "request", lambda request: sent.append(request.url) if "/autosave/" in request.url else None
    )
    page.goto(address)
    response.access_links.update(revoked_at=timezone.now())

    field = page.get_by_label("Who may pull the kill switch?")
    field.fill("The duty manager")
    field.press("Tab")
    expect(page.locator("[data-save-status]")).to_contain_text("this link no longer works")
    expect(page.locator(f"#q-{QUESTION} [data-save-state]")).to_contain_text(
        "Copy your answer before leaving"
    )
    page.wait_for_timeout(3_000)
    assert len(sent) == 1
    expect(field).to_have_value("The duty manager")  # still there to copy
    assert page.evaluate(STORED_DRAFTS) == []  # nothing kept beyond the link
    assert _stored(response) is None
