"""A real browser through the vendor portal, from the invitation email to the admin.

Chromium (Debian's) drives pytest-django's live server. Screenshots of the main pages
are saved in test-artifacts/ for review, and each of those pages passes an axe-core
audit (WCAG 2.1 A and AA, and axe's best practices).
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from questionnaires.models import Answer, Evidence, ResponseStatus
from tests.browser.accessibility import assert_accessible
from tests.factories import ContactFactory, UserFactory, VendorFactory, round_of
from vendors.services import invitation_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def invitation(live_server, settings, example_version, eager_tasks):
    """Invite a vendor contact and return (private link from the email, response)."""
    settings.SITE_URL = live_server.url
    vendor = VendorFactory(name="Parrot Labs", product="Parrot Agent")
    contact = ContactFactory(vendor=vendor, name="Robin Vendor", email="robin@parrot.example")
    [link] = invitation_create(
        contacts=[contact],
        selection=round_of(example_version, timezone.localdate() + timezone.timedelta(days=14)),
        user=None,
    )
    [message] = mail.outbox
    url = re.search(r"(http://\S+/portal/\S+/)", message.body).group(1)
    return url, link.response


# The portal's error red (static/portal/portal.css), as the browser computes it.
ERROR_RED = "rgb(176, 42, 55)"


def _card_colours(card) -> dict[str, str]:
    """The computed colours of a card's border, its question's label and its save state."""
    return card.evaluate(
        """(card) => {
            const label = card.querySelector(".form-label, legend");
            const state = card.querySelector("[data-save-state]");
            const style = getComputedStyle(card);
            return {
                border: style.borderTopColor + " " + style.borderTopWidth,
                label: getComputedStyle(label).color,
                state: getComputedStyle(state).color,
            };
        }"""
    )


def _assert_shows_an_error(card, *, autosaved: bool = True) -> None:
    """Red border and question; after an autosave, a red "Not saved" too (a page the
    server drew shows the message beside the field and in the summary instead)."""
    colours = _card_colours(card)
    if not autosaved:
        del colours["state"]
    assert colours == {"border": f"{ERROR_RED} 2px", "label": ERROR_RED} | (
        {"state": ERROR_RED} if autosaved else {}
    )
    # A reopened answer's amber border does not cover an error.
    card.evaluate("(card) => card.classList.add('is-reopened')")
    try:
        assert _card_colours(card)["border"] == f"{ERROR_RED} 2px"
    finally:
        card.evaluate("(card) => card.classList.remove('is-reopened')")


def _saved(page: Page, key: str) -> None:
    expect(page.locator(f"#q-{key} [data-save-state]")).to_contain_text("Saved", timeout=10_000)


def _shot(page: Page, artifacts_dir, name: str, *, audit: bool = True) -> None:
    """Screenshot a main page for review and audit its accessibility."""
    page.screenshot(path=str(artifacts_dir / f"portal-{name}.png"), full_page=True)
    if audit:
        assert_accessible(page)


def test_vendor_answers_everything_and_the_analyst_sees_it(
    page: Page, new_context, invitation, artifacts_dir, live_server, tmp_path
):
    link, response = invitation
    evidence_pdf = tmp_path / "Rollback log 2025.pdf"
    evidence_pdf.write_bytes(PDF)
    report_pdf = tmp_path / "monitoring-march.pdf"
    report_pdf.write_bytes(PDF)

    # The overview: vendor, questionnaire, due date, sections with progress.
    page.goto(link)
    expect(page.locator("h1")).to_have_text("Example AI agent check")
    expect(page.locator("#overall-progress")).to_have_text("0 of 5 questions answered")
    expect(page.get_by_text("Still missing")).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to content")
    _shot(page, artifacts_dir, "overview")

    page.get_by_role("link", name=re.compile("Production track record")).click()
    expect(page.locator("h1")).to_have_text("Production track record")
    # The follow-up question is hidden until the first answer makes it apply.
    rollback = page.locator("#q-rollback_rate")
    expect(rollback).to_be_hidden()
    page.get_by_label("How many enterprise deployments").fill("12")
    page.keyboard.press("Tab")
    _saved(page, "live_deployments")
    expect(rollback).to_be_visible()

    # A wrong value is named next to the field, in the vendor's words.
    rate = page.get_by_label("Of those deployments, what share")
    rate.fill("150")
    rate.press("Tab")
    expect(rollback.locator(".invalid-feedback")).to_have_text(
        "Enter a percentage between 0 and 100."
    )
    expect(rollback.locator("[data-save-state]")).to_contain_text("Not saved")
    _assert_shows_an_error(rollback)
    # Save without fixing: the summary at the top links to the field.
    page.get_by_role("button", name="Save", exact=True).click()
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("Enter a percentage between 0 and 100.")
    expect(summary).to_be_focused()
    _assert_shows_an_error(rollback, autosaved=False)  # as the server draws it
    _shot(page, artifacts_dir, "validation-error")
    summary.get_by_role("link").click()
    expect(rate).to_be_focused()

    # Fixed: a high rate asks for an explanation; documents upload when chosen.
    rate.fill("30")
    rate.press("Tab")
    _saved(page, "rollback_rate")
    colours = _card_colours(rollback)
    assert ERROR_RED not in colours.values() and ERROR_RED not in colours["border"]
    expect(rollback.locator("[data-explain-notice]")).to_be_visible()
    explanation = page.get_by_label("What caused the rollbacks, and what changed since?")
    explanation.fill("Two pilots paused for latency; fixed with regional hosting.")
    explanation.press("Tab")
    _saved(page, "rollback_rate")
    rollback.locator("input[type=file]").set_input_files(str(evidence_pdf))
    expect(rollback.locator("[data-evidence-list]")).to_contain_text("Rollback-log-2025.pdf")
    reasons = page.locator("#q-rollback_reasons")
    expect(reasons).to_be_visible()
    reasons.get_by_label("Latency or outages").check()
    _saved(page, "rollback_reasons")
    expect(page.locator("[data-save-status]")).to_contain_text("All changes saved at")

    # A reload mid-way shows the draft exactly as entered.
    page.reload()
    expect(page.get_by_label("How many enterprise deployments")).to_have_value("12")
    expect(rate).to_have_value("30")
    expect(explanation).to_have_value("Two pilots paused for latency; fixed with regional hosting.")
    expect(reasons.get_by_label("Latency or outages")).to_be_checked()
    expect(rollback.locator("[data-evidence-list]")).to_contain_text("Rollback-log-2025.pdf")
    expect(page.locator("[data-save-status]")).to_contain_text("Last saved at")
    _shot(page, artifacts_dir, "section-track-record")

    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator("h1")).to_have_text("Human oversight")
    page.get_by_label("Sampled review after the fact").check()
    page.locator("#q-human_approval_money").get_by_label("Yes").check()
    page.get_by_label("Who may pull the kill switch?").fill("The duty manager, any hour")
    page.get_by_label("Attach a recent monitoring report.").set_input_files(str(report_pdf))
    expect(page.locator("#q-monitoring_report [data-evidence-list]")).to_contain_text(
        "monitoring-march.pdf"
    )
    page.set_viewport_size(PHONE)
    _shot(page, artifacts_dir, "section-oversight-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("button", name="Save and review").click()
    expect(page.locator("h1")).to_have_text("Review and submit")
    _shot(page, artifacts_dir, "submit")
    page.get_by_role("button", name="Submit my answers").click()
    expect(page.get_by_text("Thank you: your response was submitted.")).to_be_visible()
    expect(page.get_by_text("The duty manager, any hour")).to_be_visible()
    expect(page.get_by_text("monitoring-march.pdf")).to_be_visible()
    _shot(page, artifacts_dir, "sent")

    response.refresh_from_db()
    assert response.status == ResponseStatus.SUBMITTED
    answers = dict(Answer.objects.filter(response=response).values_list("question__key", "value"))
    assert answers["rollback_rate"] == 30
    assert answers["rollback_reasons"] == ["latency"]
    assert Evidence.objects.filter(answer__response=response).count() == 2

    # The analyst sees the submitted response in the admin.
    UserFactory(username="ana")
    analyst = new_context().new_page()
    analyst.goto(f"{live_server.url}/admin/login/")
    analyst.get_by_label("Username").fill("ana")
    analyst.get_by_label("Password").fill(PASSWORD)
    analyst.get_by_role("button", name="Log in").click()
    analyst.goto(f"{live_server.url}/admin/questionnaires/response/")
    row = analyst.locator("#result_list tr", has_text="Parrot Labs")
    expect(row).to_contain_text("Submitted")
    row.get_by_role("link").first.click()
    expect(
        analyst.get_by_role("cell", name="The duty manager, any hour", exact=True)
    ).to_be_visible()
    # Django's own admin pages: their styles are Django's, not audited here.
    _shot(analyst, artifacts_dir, "admin-response", audit=False)
    analyst.close()


def test_two_people_editing_the_same_answer_see_both_values(
    page: Page, new_context, invitation, artifacts_dir
):
    link, response = invitation
    section = link + "sections/oversight/"
    colleague = new_context().new_page()
    page.goto(section)
    colleague.goto(section)

    colleague.get_by_label("Who may pull the kill switch?").fill("Head of operations")
    colleague.keyboard.press("Tab")
    _saved(colleague, "kill_switch_owner")

    owner = page.get_by_label("Who may pull the kill switch?")
    owner.fill("The CTO")
    owner.press("Tab")
    conflict = page.locator("#q-kill_switch_owner [data-conflict]")
    expect(conflict).to_contain_text("Someone else changed this answer")
    expect(conflict.locator("[data-theirs]")).to_contain_text("Head of operations")
    expect(conflict.locator("[data-yours]")).to_contain_text("The CTO")
    _shot(page, artifacts_dir, "conflict")
    stored = Answer.objects.get(response=response, question__key="kill_switch_owner")
    assert stored.value == "Head of operations"

    conflict.get_by_role("button", name="Keep my answer").click()
    _saved(page, "kill_switch_owner")
    stored.refresh_from_db()
    assert stored.value == "The CTO"
    colleague.close()


def test_the_portal_works_without_javascript(new_context, invitation, artifacts_dir):
    link, response = invitation
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(link + "sections/track_record/")
    # Without scripts the follow-up appears after saving, decided by the server.
    expect(page.locator("#q-rollback_rate")).to_be_hidden()
    page.get_by_label("How many enterprise deployments").fill("4")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Your answers are saved.")).to_be_visible()
    expect(page.locator("#q-rollback_rate")).to_be_visible()
    page.get_by_label("Of those deployments, what share").fill("abc")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#error-summary")).to_contain_text("Enter a percentage between 0 and 100.")
    # axe runs as JavaScript in the page, so it cannot audit this one; the same
    # templates are audited with JavaScript on in the tests above.
    _shot(page, artifacts_dir, "no-javascript-error", audit=False)
    page.get_by_label("Of those deployments, what share").fill("5")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Your answers are saved.")).to_be_visible()
    answers = dict(Answer.objects.filter(response=response).values_list("question__key", "value"))
    assert answers == {"live_deployments": 4, "rollback_rate": 5}
    context.close()


def test_a_withdrawn_link_says_so(page: Page, invitation, artifacts_dir):
    link, response = invitation
    response.access_links.update(revoked_at=timezone.now())
    page.goto(link)
    expect(page.locator("h1")).to_have_text("This link has been withdrawn")
    expect(page.get_by_role("link", name="analysts@cxvet.localhost").first).to_be_visible()
    _shot(page, artifacts_dir, "gone")


def test_the_save_bar_never_covers_a_field_scrolled_to(page: Page, invitation):
    """The sticky bar sits over the viewport's bottom: every field scrolled into view, as
    focusing or clicking it does, stops above the bar."""
    url, _ = invitation
    # A short viewport, so that the section scrolls under the bar.
    page.set_viewport_size({"width": 390, "height": 420})
    page.goto(url + "sections/track_record/")
    covered, scrolled = page.evaluate(
        """() => {
            const bar = document.querySelector(".save-bar");
            const covered = [];
            let scrolled = false;
            for (const field of document.querySelectorAll(".question-card input, .question-card textarea")) {
                if (!field.checkVisibility()) continue;  // hidden, e.g. in a closed <details>
                // Instant: Bootstrap scrolls smoothly, which would measure mid-way.
                field.scrollIntoView({block: "end", behavior: "instant"});
                scrolled = scrolled || window.scrollY > 0;
                if (field.getBoundingClientRect().bottom > bar.getBoundingClientRect().top + 1)
                    covered.push(field.name);
            }
            return [covered, scrolled];
        }"""
    )
    assert covered == [] and scrolled
