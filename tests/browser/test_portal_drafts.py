"""What the portal's script keeps in the browser, and what it says, in Chromium.

Unsaved answers are kept in localStorage until the server confirms them; they are
forgotten once saved, once the response is submitted, when the link is withdrawn, and
after 30 days. An autosave to a follow-up question that the other answers no longer
ask is refused and shown as not saved, never as saved.
"""

from __future__ import annotations

import json
import time

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from questionnaires.models import Answer, ResponseStatus
from tests.factories import answer_all
from tests.vendors.helpers import open_response, url
from vendors.sections import NOT_ASKED

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STORED_DRAFTS = "Object.keys(localStorage).filter((k) => k.startsWith('cxvet-unsaved:'))"
COMPLETE = {
    "live_deployments": 12,
    "rollback_rate": 8,
    "live_monitoring": "realtime",
    "human_approval_money": "yes",
}


def _stored(response, key):
    answer = Answer.objects.filter(response=response, question__key=key).first()
    return answer.value if answer else None


def _keep_a_draft(page: Page, label: str, text: str) -> None:
    """Type an answer while every autosave fails: it stays in the browser's storage."""
    page.route("**/autosave/**", lambda route: route.abort("connectionreset"))
    field = page.get_by_label(label)
    field.fill(text)
    field.press("Tab")
    expect(page.locator("[data-save-status]")).to_contain_text("Not saved, retrying")
    drafts = page.evaluate(STORED_DRAFTS)
    assert len(drafts) == 1
    assert text in page.evaluate(f"localStorage.getItem({json.dumps(drafts[0])})")
    page.unroute("**/autosave/**")


def _plant(page: Page, name: str, *, age_days: float) -> None:
    """A stored answer of another link (or an old one), as the script writes them."""
    entry = {"at": int((time.time() - age_days * 86400) * 1000), "fields": [], "submitted": False}
    page.evaluate(f"localStorage.setItem({json.dumps(name)}, {json.dumps(json.dumps(entry))})")


def _digest(token: str) -> str:
    """portal.js's digest() as docs/security.md describes it ("Unsaved answers")."""
    a, b = 0x811C9DC5, 0x050C5D1F
    for char in token:
        a = ((a ^ ord(char)) * 0x01000193) & 0xFFFFFFFF
        b = (((b ^ ord(char)) * 0x01000193) & 0xFFFFFFFF) ^ (b >> 15)
    return f"{a:x}{b:x}"


def test_the_browser_keeps_an_unsaved_answer_under_a_digest_never_the_token(
    page: Page, live_server, example_version
):
    token, _ = open_response(example_version)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(live_server.url + url("section", token, "oversight"))
    _keep_a_draft(page, "Who may pull the kill switch?", "The night shift lead")

    stored = page.evaluate("JSON.stringify(Object.entries(localStorage))")
    assert "The night shift lead" in stored
    assert token not in stored  # neither in a key nor in a value
    assert page.evaluate(STORED_DRAFTS) == [f"cxvet-unsaved:{_digest(token)}:kill_switch_owner"]


def test_submitting_forgets_what_the_browser_kept_and_only_for_this_link(
    page: Page, live_server, example_version
):
    token, response = open_response(example_version)
    answer_all(response, COMPLETE)
    page.on("dialog", lambda dialog: dialog.accept())  # "leave with unsaved changes?"
    page.goto(live_server.url + url("section", token, "oversight"))
    _keep_a_draft(page, "Who may pull the kill switch?", "The night shift lead")
    _plant(page, "cxvet-unsaved:otherlink:kill_switch_owner", age_days=1)
    _plant(page, "cxvet-unsaved:oldlink:kill_switch_owner", age_days=31)

    page.goto(live_server.url + url("submit", token))
    page.get_by_role("button", name="Submit my answers").click()
    expect(page.get_by_text("Thank you: your response was submitted.")).to_be_visible()

    response.refresh_from_db()
    assert response.status == ResponseStatus.SUBMITTED
    # This link's copy went with the submission, the month-old one with its age; another
    # link's (another response, in this browser) stays until that one is done.
    assert page.evaluate(STORED_DRAFTS) == ["cxvet-unsaved:otherlink:kill_switch_owner"]


def test_the_page_of_a_draft_forgets_nothing_before_submitting(
    page: Page, live_server, example_version
):
    token, _ = open_response(example_version)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(live_server.url + url("section", token, "oversight"))
    _keep_a_draft(page, "Who may pull the kill switch?", "The night shift lead")

    page.goto(live_server.url + url("sent", token))  # "check all your answers"
    expect(page.get_by_text("Draft, not yet submitted")).to_be_visible()
    assert len(page.evaluate(STORED_DRAFTS)) == 1


def test_a_withdrawn_link_forgets_what_the_browser_kept(page: Page, live_server, example_version):
    token, response = open_response(example_version)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(live_server.url + url("section", token, "oversight"))
    _keep_a_draft(page, "Who may pull the kill switch?", "The night shift lead")
    response.access_links.update(revoked_at=timezone.now())

    page.goto(live_server.url + url("overview", token))
    expect(page.get_by_text("This link has been withdrawn")).to_be_visible()
    assert page.evaluate(STORED_DRAFTS) == []


def test_an_answer_to_a_question_no_longer_asked_is_not_shown_as_saved(
    page: Page, new_context, live_server, example_version
):
    token, response = open_response(example_version)
    answer_all(response, {"live_deployments": 12})
    address = live_server.url + url("section", token, "track_record")
    page.goto(address)
    rollback = page.locator("#q-rollback_rate")
    expect(rollback).to_be_visible()

    # Meanwhile a colleague answers that there are no deployments: no rollback rate then.
    colleague = new_context().new_page()
    colleague.goto(address)
    deployments = colleague.get_by_label("How many enterprise deployments")
    deployments.fill("0")
    deployments.press("Tab")
    expect(colleague.locator("#q-live_deployments [data-save-state]")).to_contain_text("Saved")
    colleague.close()

    rate = page.get_by_label("Of those deployments, what share")
    rate.fill("20")
    rate.press("Tab")

    status = page.locator("[data-save-status]")
    expect(status).to_have_text(NOT_ASKED)
    expect(rollback).to_be_hidden()
    expect(rollback.locator("[data-save-state]")).not_to_contain_text("Saved")
    assert _stored(response, "rollback_rate") is None
    assert page.evaluate(STORED_DRAFTS) == []

    # Back here the vendor keeps their own count (over the colleague's): the follow-up
    # applies again, and what was typed into it is saved then.
    page.get_by_label("How many enterprise deployments").fill("7")
    page.get_by_label("How many enterprise deployments").press("Tab")
    page.get_by_role("button", name="Keep my answer").click()
    expect(rollback).to_be_visible()
    expect(rollback.locator("[data-save-state]")).to_contain_text("Saved", timeout=10_000)
    assert _stored(response, "live_deployments") == 7
    assert _stored(response, "rollback_rate") == 20
