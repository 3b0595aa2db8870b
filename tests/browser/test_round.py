"""A whole selection round in a real browser, through the interfaces people use.

An analyst (Analyst group) creates a round in the admin for a buyer whose name vendors
may not see and invites contacts of three vendors at once; one vendor answered the same
questionnaire in an earlier round. That vendor opens the link in its invitation email,
sees the buyer context and its carried-forward answers, confirms them a section at a
time, completes what is missing and submits. The analyst, told by email, asks for a
clarification with a document and a reply-by date; the vendor, told by email, changes
the answer, uploads the document and submits again; the analyst, told again, sees the
answers before and after side by side, accepts, and downloads the assessment and the
comparison PDFs, which name the same profile and the same score and tier.

Emails are read from django.core.mail.outbox (tasks run in-process); PDFs are read back
with pypdf. Screenshots go to test-artifacts/round-*.png.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from cxvet.celery import app as celery_app
from questionnaires.display import score_shown
from questionnaires.models import (
    Answer,
    Evidence,
    Report,
    ReportKind,
    ResponseScore,
    ResponseStatus,
    Selection,
)
from questionnaires.roles import ANALYST
from questionnaires.services.answers import AnswerChange, answers_save
from questionnaires.services.roles import roles_sync
from tests.factories import ContactFactory, UserFactory, VendorFactory, round_of
from vendors.services import invitation_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
LINK = re.compile(r"(http://\S+/portal/[^/\s]+/)")
# Analysts name rounds after their buyers: neither may reach a vendor.
ROUND = "Northwind Bank re-tender 2026"
BUYER_DESCRIBED = "A buyer in retail banking, serving customers in the EU and the UK"
BUYER_DETAILS = {
    "Currency": "EUR",
    "Channels in scope": "Web and app chat, Voice",
    "Customer contacts a year": "2,400,000",
    "Use cases in scope": "Card disputes and address changes",
    "Note from the analyst": "Voice first; chat follows in year two.",
}
# What Parrot Labs answered in an earlier round (it never said who approves payments).
EARLIER = {
    "live_deployments": 12,
    "rollback_rate": 5,
    "live_monitoring": "sampled",
    "kill_switch_owner": "Head of support",
}
CLARIFY_NOTE = "Which tool raises the alerts, and who answers them at night?"
# Score, range (an en dash between) and tier as both PDFs print them; the tier capitalised.
# A score as the PDFs print it: one decimal (display.score_shown), the range, the tier.
SCORE_ROW = r"(\d+\.\d)\*?\s+(\d+\.\d)\u2013(\d+\.\d)\s+(?i:(low|moderate|high|critical))"


@pytest.fixture
def eager_tasks():
    # Emails and PDFs are made in-process, so that the test reads them as they go out.
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def world(live_server, settings, example_version, eager_tasks):
    """The analyst's account, the vendors and their contacts, and Parrot Labs' earlier
    round with its answers."""
    settings.SITE_URL = live_server.url
    roles_sync()
    analyst = UserFactory(
        username="ana", email="ana@cxvet.example", is_superuser=False, first_name="Ana"
    )
    analyst.groups.add(Group.objects.get(name=ANALYST))
    parrot = VendorFactory(name="Parrot Labs", product="Parrot Agent")
    robin = ContactFactory(vendor=parrot, name="Robin Vendor", email="robin@parrot.example")
    blip = VendorFactory(name="Blip Chat", product="Blip Voice")
    ContactFactory(vendor=blip, name="Bo Blip", email="bo@blip.example")
    ContactFactory(vendor=blip, name="Bea Blip", email="bea@blip.example")
    cora = VendorFactory(name="Cora Talk", product="Cora")
    ContactFactory(vendor=cora, name="Cy Cora", email="cy@cora.example")

    earlier_round = round_of(example_version, name="Contoso spring 2026", buyer_name="Contoso")
    [link] = invitation_create(contacts=[robin], selection=earlier_round, user=None)
    answers_save(
        response=link.response,
        changes=[
            AnswerChange(question_key=key, value=value, comment="", base_revision=0)
            for key, value in EARLIER.items()
        ],
        actor="Robin Vendor <robin@parrot.example>",
    )
    mail.outbox.clear()
    return analyst


def _shot(page: Page, artifacts_dir: Path, name: str) -> None:
    page.screenshot(path=str(artifacts_dir / f"round-{name}.png"), full_page=True)


def _emails_to(address: str) -> list:
    return [m for m in mail.outbox if address in m.to]


def _only_email_to(address: str, subject_start: str):
    found = [m for m in _emails_to(address) if m.subject.startswith(subject_start)]
    assert len(found) == 1, [m.subject for m in _emails_to(address)]
    return found[0]


def _parts(email) -> list[str]:
    """The subject, the text and the HTML of an email."""
    [(html, kind)] = email.alternatives
    assert kind == "text/html"
    return [email.subject, email.body, html]


def _long_date(day: datetime.date) -> str:
    """As the emails and the portal write a date: Friday 18 December 2026."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def _messages(page: Page):
    return page.locator(".messagelist")


def _download_report(page: Page, artifacts_dir: Path, name: str) -> str:
    """Wait until the report on the page is ready, download it, return its text."""
    expect(page.locator(".cx-report-status").first).to_have_text("Ready", timeout=60_000)
    _shot(page, artifacts_dir, f"{name}-ready")
    with page.expect_download() as info:
        page.locator("a.cx-report-download").first.click()
    target = artifacts_dir / "reports" / f"round-{name}.pdf"
    target.parent.mkdir(exist_ok=True)
    info.value.save_as(str(target))
    assert target.read_bytes().startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(target).pages)


def test_a_whole_selection_round(
    new_context, live_server, world, example_version, artifacts_dir, tmp_path
):
    base = live_server.url
    due = timezone.localdate() + datetime.timedelta(days=21)
    reply_by = timezone.localdate() + datetime.timedelta(days=5)
    analyst = new_context(viewport={"width": 1400, "height": 1000}).new_page()
    vendor = new_context(viewport={"width": 1280, "height": 900}).new_page()

    # 1. The analyst signs in and creates the round ------------------------------------
    analyst.goto(f"{base}/admin/")
    analyst.fill("#id_username", "ana")
    analyst.fill("#id_password", PASSWORD)
    analyst.click("input[type=submit]")
    expect(analyst.locator("#user-tools")).to_contain_text("Ana")
    analyst.locator("#content-main").get_by_role("link", name="Selection rounds").click()
    analyst.get_by_role("link", name="Add selection round").click()
    expect(analyst.locator("h1")).to_have_text("Add selection round")

    analyst.fill("#id_name", ROUND)
    analyst.fill("#id_buyer_name", "Northwind Bank")
    expect(analyst.locator("#id_buyer_name_visible")).not_to_be_checked()
    analyst.fill("#id_buyer_industry", "retail banking")
    analyst.fill("#id_buyer_regions", "the EU and the UK")
    analyst.fill("#id_buyer_currency", "eur")
    analyst.check("input[name=buyer_channels][value=voice]")
    analyst.check("input[name=buyer_channels][value=chat]")
    analyst.fill("#id_yearly_contact_volume", "2400000")
    analyst.fill("#id_use_cases", "Card disputes and address changes")
    analyst.fill("#id_buyer_note", "Voice first; chat follows in year two.")
    analyst.select_option("#id_version", str(example_version.pk))
    analyst.select_option("#id_profile_key", "financial_services")
    analyst.fill("#id_due_date", due.isoformat())
    _shot(analyst, artifacts_dir, "admin-add")
    analyst.click("input[name=_continue]")
    expect(_messages(analyst)).to_contain_text("was added successfully")

    selection = Selection.objects.get(name=ROUND)
    assert selection.buyer_name == "Northwind Bank" and not selection.buyer_name_visible
    assert selection.buyer_currency == "EUR"  # normalised
    assert sorted(selection.buyer_channels) == ["chat", "voice"]
    assert selection.yearly_contact_volume == 2_400_000
    assert selection.version == example_version
    assert selection.profile_key == "financial_services"
    assert selection.due_date == due
    assert list(selection.owners.all()) == [world]  # whoever creates a round owns it

    # ... and invites contacts of three vendors at once.
    analyst.click("#invite-vendors")
    expect(analyst.locator("h1")).to_have_text(f"Invite vendors into {ROUND}")
    for label in (
        "Parrot Labs: Robin Vendor <robin@parrot.example>",
        "Blip Chat: Bo Blip <bo@blip.example>",
        "Blip Chat: Bea Blip <bea@blip.example>",
        "Cora Talk: Cy Cora <cy@cora.example>",
    ):
        analyst.get_by_label(label).check()
    _shot(analyst, artifacts_dir, "admin-invite")
    analyst.get_by_role("button", name="Send invitations").click()
    expect(_messages(analyst)).to_contain_text(
        f"Invited 4 contacts of Blip Chat, Cora Talk, Parrot Labs into {ROUND}, due {due:%d %b %Y}."
    )
    vendors_in_round = analyst.locator("#responses-group")
    for name in ("Blip Chat", "Cora Talk", "Parrot Labs"):
        expect(vendors_in_round.locator("tr", has_text=name)).to_contain_text("Invited")
    _shot(analyst, artifacts_dir, "admin-round-invited")
    assert sorted(r.vendor.name for r in selection.responses.all()) == [
        "Blip Chat",
        "Cora Talk",
        "Parrot Labs",
    ]
    assert sorted(a for m in mail.outbox for a in m.to) == [
        "bea@blip.example",
        "bo@blip.example",
        "cy@cora.example",
        "robin@parrot.example",
    ]
    response = selection.responses.get(vendor__name="Parrot Labs")
    assert response.carried_from is not None
    assert set(
        Answer.objects.filter(response=response, carried_forward=True).values_list(
            "question__key", flat=True
        )
    ) == set(EARLIER)

    # 2. The vendor's invitation shows the buyer as vendors may see it ---------------
    invitation = _only_email_to("robin@parrot.example", "Parrot Labs: please answer")
    for part in _parts(invitation):
        assert "Northwind" not in part  # neither the buyer's name nor the round's
    assert f"by {due:%-d %B %Y}" in invitation.subject
    assert f"Buyer: {BUYER_DESCRIBED}" in invitation.body
    for label, text in BUYER_DETAILS.items():
        assert f"{label}: {text}" in invitation.body
    assert f"Please answer by {_long_date(due)}." in invitation.body
    assert "Card disputes and address changes" in _parts(invitation)[2]

    vendor.goto(LINK.search(invitation.body).group(1))
    expect(vendor.locator("h1")).to_have_text("Example AI agent check")
    context = vendor.locator("section[data-buyer-context]")
    expect(context).to_contain_text(BUYER_DESCRIBED)
    expect(context).to_contain_text("the buyer's name is not shared in this round")
    for label, text in BUYER_DETAILS.items():
        expect(context.locator("dt", has_text=label)).to_be_visible()
        expect(context).to_contain_text(text)
    expect(vendor.get_by_text("Northwind")).to_have_count(0)
    expect(vendor.locator("#carried-summary")).to_contain_text(
        "4 answers were carried forward from your previous answers"
    )
    expect(vendor.locator("#overall-progress")).to_have_text("0 of 7 questions answered")
    _shot(vendor, artifacts_dir, "portal-overview")

    # The first section: both answers carried forward, confirmed at once.
    vendor.get_by_role("link", name=re.compile("Production track record")).click()
    expect(vendor.locator("h1")).to_have_text("Production track record")
    expect(vendor.get_by_label("How many enterprise deployments")).to_have_value("12")
    expect(vendor.get_by_label("Of those deployments, what share")).to_have_value("5")
    expect(vendor.locator("[data-carried]")).to_have_count(2)
    expect(vendor.locator("[data-carried-bar]")).to_contain_text("2 answers on this page")
    _shot(vendor, artifacts_dir, "portal-carried")
    vendor.get_by_role("button", name="Confirm all unchanged").click()
    expect(vendor.get_by_text("carried-forward answers confirmed")).to_be_visible()
    expect(vendor.locator("[data-carried]")).to_have_count(0)
    expect(vendor.locator("[data-section-progress]")).to_have_text("2 of 3 answered")

    # The second: two carried forward, confirmed at once; the missing one answered.
    vendor.get_by_role("link", name="Next section").click()
    expect(vendor.locator("h1")).to_have_text("Human oversight")
    expect(vendor.get_by_label("Sampled review after the fact")).to_be_checked()
    expect(vendor.get_by_label("Who may pull the kill switch?")).to_have_value("Head of support")
    expect(vendor.locator("[data-carried-bar]")).to_contain_text("2 answers on this page")
    vendor.get_by_role("button", name="Confirm all unchanged").click()
    expect(vendor.get_by_text("carried-forward answers confirmed")).to_be_visible()
    expect(vendor.locator("[data-carried]")).to_have_count(0)
    money = vendor.locator("#q-human_approval_money")
    money.get_by_label("Yes").check()
    expect(money.locator("[data-save-state]")).to_contain_text("Saved", timeout=10_000)
    assert not Answer.objects.filter(response=response, carried_forward=True).exists()

    vendor.get_by_role("link", name="Review and submit").click()
    expect(vendor.locator("h1")).to_have_text("Review and submit")
    expect(vendor.locator("#error-summary")).to_have_count(0)
    _shot(vendor, artifacts_dir, "portal-submit")
    vendor.get_by_role("button", name="Submit my answers").click()
    expect(vendor.get_by_text("Thank you: your response was submitted.")).to_be_visible()
    response.refresh_from_db()
    assert response.status == ResponseStatus.SUBMITTED

    # 3. The analyst is told and asks for a clarification with a document ------------
    told = _only_email_to("ana@cxvet.example", "Submitted: Parrot Labs")
    assert told.subject == f"Submitted: Parrot Labs in {ROUND}"
    assert f"Round: {ROUND} (buyer: Northwind Bank)" in told.body
    review_url = re.search(r"Review the response: (\S+)", told.body).group(1)
    assert review_url == f"{base}/admin/questionnaires/response/{response.pk}/change/"
    analyst.goto(review_url)
    expect(analyst.locator("h1")).to_have_text("Review: Parrot Labs")
    expect(analyst.locator("#score h2")).to_have_text("Score under Financial services")
    expect(analyst.locator("#vendor-rounds")).to_contain_text("Contoso spring 2026")

    analyst.click("#request-clarification")
    analyst.check("#id_reopen__live_monitoring")
    analyst.check("#id_document__live_monitoring")
    analyst.fill("#id_note__live_monitoring", CLARIFY_NOTE)
    analyst.fill("#id_reply_by", reply_by.isoformat())
    _shot(analyst, artifacts_dir, "admin-clarify")
    analyst.click("#clarification-form input[type=submit]")
    expect(_messages(analyst)).to_contain_text(
        f"Reopened 1 question and notified Parrot Labs, to reply by {reply_by:%-d %b %Y}."
    )
    expect(analyst.locator("#answer-live_monitoring")).to_contain_text("clarification asked")
    asked = analyst.locator("#clarification")
    expect(asked).to_contain_text("Clarification requested")
    expect(asked).to_contain_text(f"to reply by {reply_by:%-d %b %Y}")
    expect(asked).to_contain_text("document asked for")
    response.refresh_from_db()
    assert response.status == ResponseStatus.CLARIFICATION_REQUESTED
    assert response.clarification_reply_by == reply_by

    # 4. The vendor is told, uploads the document and submits again -------------------
    ask = _only_email_to("robin@parrot.example", "Parrot Labs: questions about your answers")
    for part in _parts(ask):
        assert "Northwind" not in part
    assert CLARIFY_NOTE in ask.body
    assert "How are live interactions monitored?" in ask.body
    assert f"Please reply by {_long_date(reply_by)}." in ask.body
    assert f"Buyer: {BUYER_DESCRIBED}" in ask.body
    clarify_link = LINK.search(ask.body).group(1)
    assert clarify_link != LINK.search(invitation.body).group(1)  # a token of its own

    vendor.goto(clarify_link)
    alert = vendor.get_by_role("region", name="The analyst asked you to clarify one answer")
    expect(alert.locator("[data-reply-by]")).to_have_text(
        f"Please reply by {_long_date(reply_by)}."
    )
    expect(alert).to_contain_text(CLARIFY_NOTE)
    expect(alert).to_contain_text("The analyst asked for a document on this answer")
    alert.get_by_role("link", name="How are live interactions monitored?").click()
    expect(vendor.locator("h1")).to_have_text("Human oversight")
    card = vendor.locator("#q-live_monitoring")
    expect(card).to_contain_text("The analyst asked you to clarify this answer.")
    expect(card).to_contain_text(CLARIFY_NOTE)
    # The other answers stay as sent: read-only, and no upload box where none was asked.
    expect(vendor.locator("#q-human_approval_money")).to_contain_text("Read-only")
    expect(vendor.locator("#q-human_approval_money input[type=file]")).to_have_count(0)
    card.get_by_label("Real-time monitoring with alerting").check()
    expect(card.locator("[data-save-state]")).to_contain_text("Saved", timeout=10_000)
    runbook = tmp_path / "alerting-runbook.pdf"
    runbook.write_bytes(PDF)
    card.locator("input[type=file]").set_input_files(str(runbook))
    expect(card.locator("[data-evidence-list]")).to_contain_text("alerting-runbook.pdf")
    _shot(vendor, artifacts_dir, "portal-clarification")
    assert Evidence.objects.filter(
        answer__response=response, answer__question__key="live_monitoring"
    ).exists()

    vendor.get_by_role("link", name="Review and submit").click()
    expect(vendor.locator("h1")).to_have_text("Submit your clarified answers")
    vendor.get_by_role("button", name="Submit again").click()
    expect(vendor.get_by_text("Thank you: your response was submitted.")).to_be_visible()
    response.refresh_from_db()
    assert response.status == ResponseStatus.SUBMITTED

    told_again = _only_email_to("ana@cxvet.example", "Clarified and submitted again")
    assert told_again.subject == f"Clarified and submitted again: Parrot Labs in {ROUND}"
    assert "- How are live interactions monitored? (Human oversight)" in told_again.body

    # 5. Before and after side by side; accepted; both PDFs agree ---------------------
    analyst.goto(review_url)
    answered = analyst.locator("#clarification")
    expect(answered.locator("h2")).to_have_text("Clarification answered")
    expect(answered).to_contain_text("1 of 1 answer changed")
    row = answered.locator("#clarified-answers tbody tr")
    expect(row.locator("td").nth(0)).to_contain_text(CLARIFY_NOTE)
    expect(row.locator("td").nth(1)).to_have_text("Sampled review after the fact")
    expect(row.locator("td").nth(2)).to_contain_text("Real-time monitoring with alerting")
    expect(row.locator("td").nth(2)).to_contain_text("File added: alerting-runbook.pdf")
    # Against the earlier round as well: what changed since then, side by side.
    changed = analyst.locator("#rounds-changed")
    monitoring = changed.locator("tr", has_text="How are live interactions monitored?")
    expect(monitoring.locator("td").nth(1)).to_have_text("Sampled review after the fact")
    expect(monitoring.locator("td").nth(2)).to_have_text("Real-time monitoring with alerting")
    expect(
        changed.locator("tr", has_text="Does a human approve").locator("td").nth(2)
    ).to_have_text("Yes")
    expect(analyst.locator("#answer-live_monitoring")).to_contain_text("alerting-runbook.pdf")
    _shot(analyst, artifacts_dir, "admin-side-by-side")

    analyst.click("#accept-response")
    expect(_messages(analyst)).to_contain_text("Accepted the response of Parrot Labs.")
    expect(analyst.locator("#history")).to_contain_text("Submitted → Accepted")
    response.refresh_from_db()
    assert response.status == ResponseStatus.ACCEPTED
    assert _only_email_to("robin@parrot.example", "Parrot Labs: your answers").subject.endswith(
        "are accepted"
    )
    shown_score = analyst.locator("#score .cx-big").inner_text()

    # The assessment, from the response page: under the round's profile by default.
    analyst.click("#generate-assessment-pdf")
    expect(analyst.locator("#id_profile")).to_have_value("financial_services")
    analyst.click("#generate-pdf")
    assessment = _download_report(analyst, artifacts_dir, "assessment")

    # The comparison, from the round's page.
    analyst.goto(f"{base}/admin/questionnaires/selection/{selection.pk}/change/")
    analyst.click("#generate-comparison-pdf")
    expect(analyst.locator("#id_profile")).to_have_value("financial_services")
    analyst.click("#generate-pdf")
    comparison = _download_report(analyst, artifacts_dir, "comparison")

    assert {r.kind for r in Report.objects.all()} == {ReportKind.ASSESSMENT, ReportKind.COMPARISON}
    assert "Industry profile Financial services" in assessment
    assert "Industry profile Financial services" in comparison
    assert "Prepared for Northwind Bank" in comparison  # the buyer reads the PDFs
    assert "Vendors compared 3: Parrot Labs, Blip Chat, Cora Talk" in comparison
    # The assessment prints the clarified answer and its document.
    assert "Real-time monitoring with alerting" in assessment
    assert "alerting-runbook.pdf" in assessment
    in_assessment = re.search(
        r"Risk score \(0\u2013100\) Range Tier Coverage Flags\s+" + SCORE_ROW, assessment
    ).groups()
    in_comparison = re.search(r"Parrot Labs Parrot Agent · Accepted\s+" + SCORE_ROW, comparison)
    assert in_comparison, comparison[:2000]
    assert in_assessment == in_comparison.groups()
    stored = ResponseScore.objects.get(response=response, profile_key="financial_services")
    score, low, high, tier = in_assessment
    tier = tier.lower()
    assert (score, low, high, tier) == (
        score_shown(stored.score),
        score_shown(stored.low),
        score_shown(stored.high),
        stored.tier,
    )
    # The admin shows the same score, to the same decimal.
    assert shown_score.startswith(f"{score} ({low}-{high})")
