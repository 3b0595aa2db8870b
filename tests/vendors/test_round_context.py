"""The portal shows the round's buyer context, and the vendor's side of a clarification:
each reopened question's note, the reply-by date, and an upload box where the analyst
asked for a document."""

from __future__ import annotations

import datetime

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile

from questionnaires.evidence import check_upload
from questionnaires.models import Answer, Channel, Evidence, ResponseStatus
from questionnaires.services.answers import evidence_add
from tests.factories import answer_all, round_of
from tests.vendors.helpers import link_for, open_response, url
from vendors.forms import EVIDENCE, field_name

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
BUYER = {
    "buyer_name": "Northwind Bank",
    "buyer_industry": "retail banking",
    "buyer_regions": "the EU and the UK",
    "buyer_currency": "EUR",
    "buyer_channels": [Channel.VOICE, Channel.CHAT],
    "yearly_contact_volume": 2_400_000,
    "use_cases": "Card disputes and address changes",
    "buyer_note": "Voice first; chat follows in year two.",
}
SUBMITTED = {
    "live_deployments": 12,
    "rollback_rate": 8,
    "live_monitoring": "realtime",
    "human_approval_money": "yes",
}


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def _in_round(version, **buyer):
    selection = round_of(version, name="Northwind 2026 re-tender", **{**BUYER, **buyer})
    token, response = open_response(version, selection=selection)
    return token, response, selection


# Buyer context -------------------------------------------------------------------------------


def test_every_page_shows_the_buyer_context_without_the_hidden_name(client, example_version):
    token, _, _ = _in_round(example_version)
    pages = {
        "overview": url("overview", token),
        "section": url("section", token, "track_record"),
        "submit": url("submit", token),
        "sent": url("sent", token),
    }
    for name, page_url in pages.items():
        body = client.get(page_url).content.decode()
        assert "A buyer in retail banking, serving customers in the EU and the UK" in body, name
        assert "Customer contacts a year" in body and "2,400,000" in body, name
        assert "Voice, Web and app chat" in body, name
        assert "Voice first; chat follows in year two." in body, name
        # Neither the buyer's name nor the round's (which names the buyer) reaches vendors.
        assert "Northwind" not in body, name


def test_a_visible_buyer_is_named(client, example_version):
    token, _, _ = _in_round(example_version, buyer_name_visible=True)
    body = client.get(url("overview", token)).content.decode()
    assert "Northwind Bank" in body
    assert "Northwind 2026 re-tender" not in body


def test_a_response_outside_a_round_shows_no_panel(client, example_version):
    token, _ = open_response(example_version)
    body = client.get(url("overview", token)).content.decode()
    assert "data-buyer-context" not in body


def test_questions_that_refer_to_the_buyer_show_the_parts_they_refer_to(client, shipped_version):
    token, response, _ = _in_round(shipped_version)
    plan_questions = {
        q.key: q.section.key
        for q in shipped_version.questions.select_related("section").filter(
            key__in=["money_approval_threshold", "comparable_deployments", "agent_actions"]
        )
    }
    answer_all(response, {"live_deployments": 20, "autonomy": "acts_with_approval"})
    pages = {
        key: client.get(url("section", token, section)).content.decode()
        for key, section in plan_questions.items()
    }

    def beside(key: str) -> str:
        body = pages[key]
        card = body[body.index(f'id="q-{key}"') :]
        card = card[: card.index("</section>")]
        start = card.find("buyer-beside")
        return card[start : card.index("</aside>", start)] if start != -1 else ""

    assert "Currency: EUR" in beside("money_approval_threshold")
    assert "A buyer in retail banking" in beside("money_approval_threshold")
    comparable = beside("comparable_deployments")
    assert "Industry: retail banking" in comparable
    assert "Customer contacts a year: 2,400,000" in comparable
    assert "Currency" not in comparable
    assert beside("agent_actions") == ""


def test_a_change_to_the_round_shows_on_the_next_cached_view(client, example_version):
    token, _, selection = _in_round(example_version)
    page_url = url("section", token, "track_record")
    assert "EUR" in client.get(page_url).content.decode()
    selection.buyer_currency = "GBP"
    selection.buyer_name_visible = True
    selection.save()
    body = client.get(page_url).content.decode()
    assert "GBP" in body and "EUR" not in body
    assert "Northwind Bank" in body


# Clarification -----------------------------------------------------------------------------------


def _clarifying(version, *, wants_document: bool, reply_by: datetime.date | None = None):
    """A submitted response reopened on live_monitoring (which asks for no documents)."""
    token, response, _ = _in_round(version)
    answer_all(response, SUBMITTED)
    Answer.objects.filter(response=response, question__key="live_monitoring").update(
        needs_clarification=True,
        clarification_note="Which tool raises the alerts?",
        clarification_wants_document=wants_document,
    )
    response.status = ResponseStatus.CLARIFICATION_REQUESTED
    response.clarification_reply_by = reply_by
    response.save(update_fields=["status", "clarification_reply_by"])
    return token, response


def _upload(client, token, key, name="alerting.pdf"):
    return client.post(
        url("evidence", token, key),
        {field_name(key, EVIDENCE): SimpleUploadedFile(name, PDF, "application/pdf")},
    )


def test_the_portal_shows_the_note_the_reply_by_date_and_the_upload_box(client, example_version):
    reply_by = datetime.date(2026, 12, 18)
    token, _ = _clarifying(example_version, wants_document=True, reply_by=reply_by)
    section = client.get(url("section", token, "oversight")).content.decode()
    overview = client.get(url("overview", token)).content.decode()
    for body in (section, overview):
        assert "Which tool raises the alerts?" in body
        assert "Please reply by Friday 18 December 2026." in body
        assert "The analyst asked for a document" in body
    assert f'name="{field_name("live_monitoring", EVIDENCE)}"' in section
    # Not on the other questions of the page, which ask for no documents either.
    assert f'name="{field_name("human_approval_money", EVIDENCE)}"' not in section


def test_without_a_document_asked_there_is_no_upload_box(client, example_version):
    token, _ = _clarifying(example_version, wants_document=False)
    section = client.get(url("section", token, "oversight")).content.decode()
    assert "Which tool raises the alerts?" in section
    assert f'name="{field_name("live_monitoring", EVIDENCE)}"' not in section
    assert "Please reply by" not in section


def test_an_upload_is_taken_where_the_analyst_asked_for_a_document(client, example_version):
    token, response = _clarifying(example_version, wants_document=True)
    reply = _upload(client, token, "live_monitoring").json()
    assert reply["status"] == "saved"
    assert reply["added"] == ["alerting.pdf"]
    answer = Answer.objects.get(response=response, question__key="live_monitoring")
    assert answer.evidence.count() == 1
    assert answer.evidence_level == "document"
    # And removed again while it is reopened.
    item = answer.evidence.get()
    removed = client.post(url("evidence_remove", token, "live_monitoring", item.pk))
    assert removed.status_code == 200
    assert not Evidence.objects.filter(pk=item.pk).exists()


def test_an_upload_is_still_refused_on_other_questions(client, example_version):
    token, response = _clarifying(example_version, wants_document=True)
    # Not reopened, no documents asked by the questionnaire.
    refused = _upload(client, token, "human_approval_money").json()
    assert refused["status"] == "error"
    assert "does not take documents" in refused["errors"][0]
    # Reopened, but no document asked for.
    Answer.objects.filter(response=response, question__key="live_deployments").update(
        needs_clarification=True
    )
    refused = _upload(client, token, "live_deployments").json()
    assert "does not take documents" in refused["errors"][0]
    # Once resubmitted, the document asked for no longer opens an upload.
    Answer.objects.filter(response=response).update(needs_clarification=False)
    with pytest.raises(ValueError):
        evidence_add(
            response=response,
            question_key="live_monitoring",
            upload=check_upload(SimpleUploadedFile("a.pdf", PDF, "application/pdf")),
            actor="x",
        )
    assert not Evidence.objects.filter(answer__response=response).exists()


def test_another_responses_link_cannot_upload_there(client, example_version):
    token, response = _clarifying(example_version, wants_document=True)
    other_token, other = open_response(example_version)
    other_link_token, _ = link_for(other)
    for stranger in (other_token, other_link_token):
        reply = _upload(client, stranger, "live_monitoring").json()
        assert reply["status"] == "error"
    assert not Evidence.objects.exists()
    assert token not in (other_token, other_link_token)
    assert Answer.objects.filter(response=other).count() == 0
    # The owner's link still can.
    assert _upload(client, token, "live_monitoring").json()["status"] == "saved"
    assert Evidence.objects.get().answer.response == response
