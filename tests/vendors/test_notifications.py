"""Who is emailed when a response's status changes, and the private links in vendor emails.

Analysts of the round hear of submissions and resubmissions; vendors of clarification
requests and the acceptance, each email with a working link of its own (a LinkToken,
stored hashed) that keeps working until the link is revoked.
"""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cxvet.outbox.models import OutboxMessage
from questionnaires.models import Answer, AuditEvent
from questionnaires.services.answers import AnswerChange, answers_save, response_submit
from questionnaires.services.reviews import clarification_request, response_accept
from tests import mail_backends
from tests.factories import ContactFactory, UserFactory, VendorFactory, round_of
from tests.questionnaires.reports_data import ANSWERS
from tests.vendors.helpers import run_delivered
from tests.vendors.test_invitations import LINK_PATTERN
from vendors.models import AccessLink, LinkToken
from vendors.services import invitation_create, link_revoke, token_hash
from vendors.tasks import send_acceptance, send_clarification_request

COMPLETE = ANSWERS["Acme Voice"]


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "http://testserver"
    settings.ANALYST_CONTACT_EMAIL = "analysts@cxvet.example"


@pytest.fixture
def invited(example_version, django_capture_on_commit_callbacks):
    """A response of Parrot AI in a round owned by Dana, invitation emails sent."""
    selection = round_of(
        example_version,
        timezone.localdate() + datetime.timedelta(days=20),
        name="Northwind CX 2027",
        buyer_industry="Retail",
    )
    selection.owners.add(UserFactory(username="dana", email="dana@cx.example"))
    vendor = VendorFactory(name="Parrot AI")
    contact = ContactFactory(vendor=vendor, name="Alice", email="alice@parrot.example")
    with django_capture_on_commit_callbacks(execute=True):
        [link] = invitation_create(contacts=[contact], selection=selection, user=None)
    mail.outbox.clear()
    return link.response


def _save(response, values: dict) -> None:
    revisions = dict(
        Answer.objects.filter(response=response).values_list("question__key", "revision")
    )
    changes = [
        AnswerChange(question_key=k, value=v, comment="", base_revision=revisions.get(k, 0))
        for k, v in values.items()
    ]
    answers_save(response=response, changes=changes, actor="Alice")


def _emails_to(address: str) -> list:
    return [m for m in mail.outbox if address in m.to]


def test_the_rounds_analysts_are_told_of_a_submission(invited, django_capture_on_commit_callbacks):
    _save(invited, COMPLETE)
    with django_capture_on_commit_callbacks(execute=True):
        response_submit(response=invited, actor="Alice")

    [email] = mail.outbox
    assert email.to == ["dana@cx.example"]
    assert email.subject == "Submitted: Parrot AI in Northwind CX 2027"
    assert f"/admin/questionnaires/response/{invited.pk}/change/" in email.body
    [(html, kind)] = email.alternatives
    assert kind == "text/html" and "Northwind CX 2027" in html
    assert "Vendors see the buyer as: A buyer in Retail" in email.body
    assert AuditEvent.objects.filter(
        response=invited, kind=AuditEvent.Kind.EMAIL_SENT, data__what="Submission notice"
    ).exists()


def test_without_owners_the_analysts_address_hears_of_submissions(
    invited, django_capture_on_commit_callbacks
):
    invited.selection.owners.clear()
    _save(invited, COMPLETE)
    with django_capture_on_commit_callbacks(execute=True):
        response_submit(response=invited, actor="Alice")

    assert [m.to for m in mail.outbox] == [["analysts@cxvet.example"]]


def test_clarification_and_resubmission_are_each_emailed_with_the_notes_and_a_link(
    invited, django_capture_on_commit_callbacks, client
):
    analyst = UserFactory(username="ana")
    _save(invited, COMPLETE)
    with django_capture_on_commit_callbacks(execute=True):
        response_submit(response=invited, actor="Alice")
    invited.clarification_reply_by = timezone.localdate() + datetime.timedelta(days=5)
    invited.save(update_fields=["clarification_reply_by"])
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        clarification_request(
            response=invited, questions={"rollback_rate": "Which period?"}, user=analyst
        )

    [ask] = mail.outbox
    assert ask.to == ["alice@parrot.example"]
    assert "Which period?" in ask.body
    assert f"{invited.clarification_reply_by:%A} " in ask.body  # the reply-by date
    token = LINK_PATTERN.search(ask.body).group(1)
    assert LinkToken.objects.get(token_hash=token_hash(token)).purpose.startswith("clarification:")
    assert client.get(f"/portal/{token}/").status_code == 200

    mail.outbox.clear()
    _save(invited, {"rollback_rate": 9})
    with django_capture_on_commit_callbacks(execute=True):
        response_submit(response=invited, actor="Alice")

    [told] = mail.outbox
    assert told.to == ["dana@cx.example"]
    assert told.subject.startswith("Clarified and submitted again: Parrot AI")
    assert "rolled back" in told.body  # the question answered again


def test_acceptance_is_emailed_once_with_a_link_to_what_was_sent(
    invited, django_capture_on_commit_callbacks, client
):
    _save(invited, COMPLETE)
    response_submit(response=invited, actor="Alice")
    with django_capture_on_commit_callbacks(execute=True):
        response_accept(response=invited, user=UserFactory(username="ana"))

    [email] = _emails_to("alice@parrot.example")
    assert "accepted" in email.subject
    token = LINK_PATTERN.search(email.body).group(1)
    assert client.get(f"/portal/{token}/").status_code == 200
    # A repeated task finds the email's token row (its claim) and sends nothing.
    assert send_acceptance.apply(args=[invited.pk]).get() == "sent to 0 contacts"
    assert len(_emails_to("alice@parrot.example")) == 1


def test_every_email_is_recorded_in_the_outbox_with_the_change(invited):
    _save(invited, COMPLETE)
    response_submit(response=invited, actor="Alice")  # on_commit never runs here

    assert list(
        OutboxMessage.objects.about(invited)
        .filter(status=OutboxMessage.Status.PENDING)
        .values_list("kind", flat=True)
    ) == ["vendors.tasks.notify_analysts_of_submission"]


def test_no_vendor_email_names_the_round_or_its_hidden_buyer(
    invited, django_capture_on_commit_callbacks
):
    """Analysts name rounds after their buyers ("Northwind CX 2027"): the round's name
    reaches the analysts' emails only, never the vendors'."""
    selection = invited.selection
    selection.buyer_name = "Northwind Retail"
    selection.buyer_regions = "Germany"
    selection.save(update_fields=["buyer_name", "buyer_regions"])
    contact = invited.access_links.get().contact
    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(contacts=[contact], selection=selection, user=None)
    _save(invited, COMPLETE)
    with django_capture_on_commit_callbacks(execute=True):
        response_submit(response=invited, actor="Alice")
    with django_capture_on_commit_callbacks(execute=True):
        clarification_request(
            response=invited, questions={"rollback_rate": "Which period?"}, user=None
        )
    _save(invited, {"rollback_rate": 9})
    with django_capture_on_commit_callbacks(execute=True):
        response_submit(response=invited, actor="Alice")
    with django_capture_on_commit_callbacks(execute=True):
        response_accept(response=invited, user=None)

    to_vendor = _emails_to("alice@parrot.example")
    assert len(to_vendor) == 3  # invitation, clarification request, acceptance
    for email in to_vendor:
        [(html, _)] = email.alternatives
        for part in (email.subject, email.body, html):
            assert "Northwind" not in part, email.subject
        assert "A buyer in Retail, serving customers in Germany" in email.body
    assert "for a buyer in Retail, serving customers in Germany and ask" in to_vendor[0].body
    to_analysts = _emails_to("dana@cx.example")
    assert [m.subject.split(":")[0] for m in to_analysts] == [
        "Submitted",
        "Clarified and submitted again",
    ]
    for email in to_analysts:
        assert email.subject.endswith("Parrot AI in Northwind CX 2027")
        assert "Round: Northwind CX 2027 (buyer: Northwind Retail)" in email.body


# The tokens in emails ---------------------------------------------------------------------


def test_every_token_of_a_link_opens_it_in_one_query_until_the_link_is_revoked(
    invited, django_capture_on_commit_callbacks, client
):
    _save(invited, COMPLETE)
    response_submit(response=invited, actor="Alice")
    with django_capture_on_commit_callbacks(execute=True):
        response_accept(response=invited, user=UserFactory(username="ana"))
    link = AccessLink.objects.get(response=invited)
    extra = LINK_PATTERN.search(_emails_to("alice@parrot.example")[-1].body).group(1)
    assert LinkToken.objects.filter(link=link).count() == 1

    from vendors.access import _links, link_id_of_token

    with CaptureQueriesContext(connection) as queries:
        found = _links().get(pk=link_id_of_token(token_hash(extra)))
    assert found == link and len(queries) == 1

    link_revoke(link=link, user=None)
    assert client.get(f"/portal/{extra}/").status_code == 410
    assert client.get(f"/portal/{extra[:-1]}x/").status_code in (404, 410)


def test_the_clarification_email_says_which_questions_ask_for_a_document(
    invited, django_capture_on_commit_callbacks
):
    _save(invited, COMPLETE)
    with django_capture_on_commit_callbacks(execute=True):
        response_submit(response=invited, actor="Alice")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        clarification_request(
            response=invited,
            questions={"rollback_rate": "Which period?", "live_deployments": "How many?"},
            documents=["rollback_rate"],
            user=UserFactory(username="ana"),
        )

    [ask] = mail.outbox
    html = ask.alternatives[0][0]
    for body in (ask.body, html):
        # Once, on the question it was asked for (after its note), not on the other.
        assert body.count("A document is asked for") == 1
        assert body.index("Which period?") < body.index("A document is asked for")
    lines = ask.body.splitlines()
    asked = next(i for i, line in enumerate(lines) if "A document is asked for" in line)
    assert "Which period?" in lines[asked - 1]


# A worker killed mid-send: the redelivered message sends the email ------------------------


@pytest.fixture
def killed_once(invited, settings):
    """The next email to Alice (invited already) dies inside the mail backend, as a killed
    worker would."""
    settings.EMAIL_BACKEND = "tests.mail_backends.RefusingBackend"
    mail_backends.REFUSE["alice@parrot.example"] = (mail_backends.killed(), 1)
    yield
    mail_backends.REFUSE.clear()
    mail_backends.REFUSED.clear()


def _assert_sent_once_with_a_working_link(task, response, client, purpose: str) -> None:
    [email] = _emails_to("alice@parrot.example")
    token = LINK_PATTERN.search(email.body).group(1)
    assert client.get(f"/portal/{token}/").status_code == 200
    sent = LinkToken.objects.get(token_hash=token_hash(token))
    assert sent.purpose.startswith(purpose) and sent.sent_at is not None
    assert LinkToken.objects.filter(link__response=response, purpose=sent.purpose).count() == 1
    # Once sent, no delivery sends it again, redelivered or not.
    for redelivered in (False, True):
        assert run_delivered(task, response.pk, redelivered=redelivered) == "sent to 0 contacts"
    assert len(_emails_to("alice@parrot.example")) == 1


@pytest.mark.usefixtures("killed_once")
def test_a_clarification_request_cut_short_by_a_killed_worker_goes_out_on_redelivery(
    invited, client
):
    _save(invited, COMPLETE)
    response_submit(response=invited, actor="Alice")  # its messages stay in the outbox
    clarification_request(
        response=invited, questions={"rollback_rate": "Which period?"}, user=UserFactory()
    )

    with pytest.raises(SystemExit):
        run_delivered(send_clarification_request, invited.pk, redelivered=False)
    assert mail.outbox == []
    # An ordinary repeat leaves the claim alone: its run may still be sending.
    assert run_delivered(send_clarification_request, invited.pk, redelivered=False) == (
        "sent to 0 contacts"
    )
    # The broker hands the killed run's message back: the unsent claim is taken over.
    assert run_delivered(send_clarification_request, invited.pk, redelivered=True) == (
        "sent to 1 contact"
    )
    _assert_sent_once_with_a_working_link(
        send_clarification_request, invited, client, "clarification:"
    )


@pytest.mark.usefixtures("killed_once")
def test_an_acceptance_cut_short_by_a_killed_worker_goes_out_on_redelivery(invited, client):
    _save(invited, COMPLETE)
    response_submit(response=invited, actor="Alice")
    response_accept(response=invited, user=UserFactory())

    with pytest.raises(SystemExit):
        run_delivered(send_acceptance, invited.pk, redelivered=False)
    assert run_delivered(send_acceptance, invited.pk, redelivered=False) == "sent to 0 contacts"
    assert run_delivered(send_acceptance, invited.pk, redelivered=True) == "sent to 1 contact"
    _assert_sent_once_with_a_working_link(send_acceptance, invited, client, "accepted")
