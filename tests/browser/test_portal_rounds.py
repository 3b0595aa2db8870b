"""A vendor in a later round, in a real browser: the buyer context, carried-forward
answers confirmed one by one and a section at once, and a clarification that asks for a
document on a question that takes none. Each main page passes the axe-core audit."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from questionnaires.models import Answer, AuditEvent, Channel, ResponseStatus
from tests.browser.accessibility import assert_accessible
from tests.factories import ContactFactory, ResponseFactory, VendorFactory, answer_all, round_of
from tests.vendors.helpers import link_for
from vendors.services import invitation_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
NOTICE = "Carried forward from your previous answers"
EARLIER = {
    "live_deployments": 12,
    "rollback_rate": 5,
    "live_monitoring": "realtime",
    "human_approval_money": "yes",
}
BUYER = {
    "buyer_name": "Northwind Bank",
    "buyer_industry": "retail banking",
    "buyer_regions": "the EU",
    "buyer_currency": "EUR",
    "buyer_channels": [Channel.VOICE],
    "yearly_contact_volume": 900_000,
    "buyer_note": "Voice first.",
}


@pytest.fixture
def second_round(live_server, settings, example_version, eager_tasks):
    """A vendor that answered an earlier round, invited into a new one: (link, response)."""
    settings.SITE_URL = live_server.url
    vendor = VendorFactory(name="Parrot Labs", product="Parrot Agent")
    earlier = ResponseFactory(
        version=example_version,
        vendor=vendor,
        status=ResponseStatus.SUBMITTED,
        selection=round_of(example_version, name="Spring round"),
    )
    answer_all(earlier, EARLIER)
    contact = ContactFactory(vendor=vendor, name="Robin Vendor", email="robin@parrot.example")
    selection = round_of(
        example_version,
        timezone.localdate() + datetime.timedelta(days=14),
        name="Northwind autumn round",
        **BUYER,
    )
    [link] = invitation_create(contacts=[contact], selection=selection, user=None)
    [message] = mail.outbox
    url = re.search(r"(http://\S+/portal/\S+/)", message.body).group(1)
    return url, link.response


def _carried(response) -> set[str]:
    return set(
        Answer.objects.filter(response=response, carried_forward=True).values_list(
            "question__key", flat=True
        )
    )


def test_a_vendor_confirms_its_carried_forward_answers(page: Page, second_round, artifacts_dir):
    link, response = second_round
    assert _carried(response) == set(EARLIER)

    page.goto(link)
    context = page.locator("section[data-buyer-context]")
    expect(context).to_contain_text("A buyer in retail banking, serving customers in the EU")
    expect(context).to_contain_text("EUR")
    expect(page.locator("#carried-summary")).to_contain_text("4 answers were carried forward")
    expect(page.locator("#overall-progress")).to_have_text("0 of 7 questions answered")
    expect(page.get_by_text("Northwind")).to_have_count(0)
    page.screenshot(path=str(artifacts_dir / "portal-round-overview.png"), full_page=True)
    assert_accessible(page)

    page.get_by_role("link", name=re.compile("Production track record")).click()
    expect(page.locator("details[data-buyer-context] summary")).to_contain_text(
        "About the buyer: A buyer in retail banking"
    )
    deployments = page.locator("#q-live_deployments")
    rate = page.locator("#q-rollback_rate")
    bar = page.locator("[data-carried-bar]")
    expect(deployments.locator("[data-carried]")).to_contain_text(NOTICE)
    expect(page.get_by_label("How many enterprise deployments")).to_have_value("12")
    expect(bar).to_contain_text("2 answers on this page")
    page.screenshot(path=str(artifacts_dir / "portal-round-carried.png"), full_page=True)
    assert_accessible(page)

    # One answer confirmed in place: its notice goes, the page's count follows.
    deployments.get_by_role("button", name=re.compile("Confirm this answer")).click()
    expect(deployments.locator("[data-save-state]")).to_contain_text("Confirmed")
    expect(deployments.locator("[data-carried]")).to_be_hidden()
    expect(bar).to_contain_text("One answer on this page")
    expect(page.locator("[data-section-progress]")).to_have_text("1 of 3 answered")

    # Changing the other one confirms it too.
    field = page.get_by_label("Of those deployments, what share")
    field.fill("7")
    field.press("Tab")
    expect(rate.locator("[data-save-state]")).to_contain_text("Saved", timeout=10_000)
    expect(rate.locator("[data-carried]")).to_be_hidden()
    expect(bar).to_be_hidden()
    assert _carried(response) == {"live_monitoring", "human_approval_money"}

    # A whole section at once.
    page.get_by_role("link", name="Next section").click()
    expect(page.locator("h1")).to_have_text("Human oversight")
    page.get_by_role("button", name="Confirm all unchanged").click()
    expect(page.get_by_text("carried-forward answers confirmed")).to_be_visible()
    expect(page.locator("[data-carried]")).to_have_count(0)
    assert _carried(response) == set()

    page.goto(link + "submit/")
    page.get_by_role("button", name="Submit my answers").click()
    expect(page.get_by_text("Thank you: your response was submitted.")).to_be_visible()
    response.refresh_from_db()
    assert response.status == ResponseStatus.SUBMITTED
    confirmed = AuditEvent.objects.filter(
        response=response, kind=AuditEvent.Kind.ANSWERS_CONFIRMED
    ).count()
    assert confirmed == 2


def test_a_clarification_asking_for_a_document_takes_one(
    page: Page, live_server, example_version, artifacts_dir, tmp_path
):
    selection = round_of(example_version, name="Northwind autumn round", **BUYER)
    response = ResponseFactory(
        version=example_version,
        vendor=VendorFactory(name="Parrot Labs"),
        selection=selection,
        status=ResponseStatus.CLARIFICATION_REQUESTED,
        clarification_reply_by=datetime.date(2026, 12, 18),
    )
    answer_all(response, EARLIER)
    Answer.objects.filter(response=response, question__key="live_monitoring").update(
        needs_clarification=True,
        clarification_note="Which tool raises the alerts?",
        clarification_wants_document=True,
    )
    token, _ = link_for(response)
    document = tmp_path / "alerting-runbook.pdf"
    document.write_bytes(PDF)

    page.goto(f"{live_server.url}/portal/{token}/sections/oversight/")
    expect(page.locator("[data-reply-by]")).to_have_text("Please reply by Friday 18 December 2026.")
    card = page.locator("#q-live_monitoring")
    expect(card).to_contain_text("Which tool raises the alerts?")
    expect(card).to_contain_text("The analyst asked for a document")
    card.locator("input[type=file]").set_input_files(str(document))
    expect(card.locator("[data-evidence-list]")).to_contain_text("alerting-runbook.pdf")
    # The other questions of the page take no files.
    expect(page.locator("#q-human_approval_money input[type=file]")).to_have_count(0)
    page.screenshot(path=str(artifacts_dir / "portal-round-clarification.png"), full_page=True)
    assert_accessible(page)
    assert Answer.objects.get(pk=card_answer(response)).evidence.count() == 1


def card_answer(response) -> int:
    return Answer.objects.get(response=response, question__key="live_monitoring").pk
