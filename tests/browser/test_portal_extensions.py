"""A vendor answers the format's newer fields in a real browser: a declared "not
measured", a rate worked out as the counts are typed, a grid, a choice that asks for
details, units and the round's currency; no scoring note anywhere."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from questionnaires.definition import iter_questions
from questionnaires.models import Answer
from tests.browser.accessibility import assert_accessible
from tests.factories import ContactFactory, VendorFactory, round_of
from vendors.services import invitation_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def link(live_server, settings, extensions_version, eager_tasks):
    settings.SITE_URL = live_server.url
    contact = ContactFactory(vendor=VendorFactory(name="Parrot Labs"), email="robin@parrot.example")
    [invited] = invitation_create(
        contacts=[contact],
        selection=round_of(extensions_version, buyer_currency="EUR"),
        user=None,
    )
    [message] = mail.outbox
    return re.search(r"(http://\S+/portal/\S+/)", message.body).group(1), invited.response


def _saved(page: Page, key: str) -> None:
    expect(page.locator(f"#q-{key} [data-save-state]")).to_contain_text("Saved", timeout=10_000)


def _stored(response) -> dict:
    return dict(Answer.objects.filter(response=response).values_list("question__key", "value"))


def test_a_vendor_answers_the_newer_fields(page: Page, link, extensions_version, artifacts_dir):
    url, response = link
    notes = [
        q["scoring_notes"][:40]
        for _, q in iter_questions(extensions_version.definition)
        if "scoring_notes" in q
    ]
    page.goto(url)
    page.get_by_role("link", name=re.compile("Production track record")).click()

    # The rate is worked out as the counts are saved; it has no input of its own.
    page.get_by_label("How many enterprise deployments").fill("20")
    page.keyboard.press("Tab")
    _saved(page, "live_deployments")
    rate = page.locator("#q-rollback_rate [data-derived-value]")
    expect(rate).to_contain_text("Not worked out yet")
    page.get_by_label("How many of those deployments").fill("3")
    page.keyboard.press("Tab")
    _saved(page, "rollbacks")
    expect(rate).to_have_text("15%")
    expect(page.locator("#q-time_to_rollback .input-group-text")).to_have_text("hours")

    # "Not measured" instead of a figure clears the figure, and so does the rate.
    count = page.get_by_label("How many of those deployments")
    page.locator("#id_rollbacks-declared").select_option("not_measured")
    expect(count).to_have_value("")
    _saved(page, "rollbacks")
    expect(rate).to_have_text("We do not measure this")
    assert _stored(response)["rollbacks"] == "not_measured"
    body = page.content()
    assert not any(note in body for note in notes)
    page.screenshot(path=str(artifacts_dir / "portal-extensions-track.png"), full_page=True)
    assert_accessible(page)

    page.get_by_role("link", name=re.compile("Next section")).click()
    # A choice that asks for details says what to write.
    page.get_by_label("With a third-party tool").check()
    notice = page.locator("#q-live_monitoring [data-explain-notice]")
    expect(notice).to_be_visible(timeout=10_000)
    expect(notice).to_contain_text("Name the tool and what it alerts on.")
    # The grid: one labelled select per action and channel, and an amount where the
    # agent acts alone up to a limit.
    page.get_by_label("Refund, Voice", exact=True).select_option("alone_limited")
    page.get_by_label("Refund, Voice: up to what amount").fill("50")
    page.get_by_label("Refund, Chat", exact=True).select_option("approved")
    page.get_by_label("Account change, Voice", exact=True).select_option("not_offered")
    page.get_by_label("Account change, Chat", exact=True).select_option("approved")
    # The amount box shows only where the answer takes a limit.
    expect(page.get_by_label("Refund, Chat: up to what amount")).to_be_hidden()
    expect(page.get_by_label("Refund, Voice: up to what amount")).to_be_visible()
    page.get_by_label("Account change, Chat", exact=True).press("Tab")
    _saved(page, "action_authority")
    expect(page.locator("#q-action_authority [data-grid-limit]").first).to_contain_text("EUR")
    expect(page.locator("#q-refund_limit .input-group-text")).to_have_text("EUR")
    page.screenshot(path=str(artifacts_dir / "portal-extensions-oversight.png"), full_page=True)
    assert_accessible(page)
    grid = _stored(response)["action_authority"]
    assert grid["choices"]["refund.voice"] == "alone_limited"
    assert grid["limits"] == {"refund.voice": 50}
    assert not any(note in page.content() for note in notes)
