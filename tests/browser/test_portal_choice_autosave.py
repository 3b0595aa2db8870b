"""In a real browser: ticking several boxes of a multiple-choice question is one save, so
the audit trail holds one entry for it, not one per box."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from questionnaires.audit import AnswerChanged
from questionnaires.models import Answer, AuditEvent
from tests.conftest import wait_until
from tests.factories import answer_all
from tests.vendors.helpers import open_response, url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_ticking_three_boxes_is_one_saved_answer_and_one_event(
    live_server, page: Page, example_version
):
    token, response = open_response(example_version)
    answer_all(response, {"live_deployments": 10, "rollback_rate": 5})
    page.goto(live_server.url + url("section", token, "track_record"))
    reasons = page.locator("#q-rollback_reasons")
    expect(reasons).to_be_visible()

    for label in ("Hallucinated policy or commitment", "Latency or outages", "Cost"):
        reasons.get_by_label(label).check()
    expect(reasons.locator("[data-save-state]")).to_contain_text("Saved", timeout=10_000)

    stored = Answer.objects.get(response=response, question__key="rollback_reasons")
    assert stored.value == ["hallucination", "latency", "cost"]
    events = AuditEvent.objects.filter(
        response=response, kind=AuditEvent.Kind.ANSWER_CHANGED, data__question="rollback_reasons"
    )
    assert [e.data[AnswerChanged.VALUE] for e in events] == [["hallucination", "latency", "cost"]]

    # Changed again and left: one more save, one more entry.
    reasons.get_by_label("Cost").uncheck()
    page.get_by_label("How many enterprise deployments").focus()
    wait_until(lambda: events.all().count() == 2, timeout=10)
    assert events.all().order_by("pk").last().data[AnswerChanged.VALUE] == [
        "hallucination",
        "latency",
    ]
