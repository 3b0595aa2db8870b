"""Invitations, private links and the emails that carry them."""

from __future__ import annotations

import datetime
import re
import smtplib

import pytest
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from questionnaires.models import Answer, AuditEvent, Response, ResponseStatus
from tests.conftest import wait_until
from tests.factories import ContactFactory, ResponseFactory, UserFactory, VendorFactory, round_of
from vendors.models import AccessLink, LinkToken
from vendors.services import (
    InvitationError,
    invitation_create,
    link_reissue,
    link_revoke,
    token_hash,
)
from vendors.tasks import send_clarification_request, send_invitation

LINK_PATTERN = re.compile(r"http://testserver/portal/([A-Za-z0-9_-]+)/")


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "http://testserver"


def _due(days: int = 21) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


def _tokens_in_outbox() -> list[str]:
    return [LINK_PATTERN.search(m.body).group(1) for m in mail.outbox]


def test_invitation_creates_response_and_emails_each_contact_a_private_link(
    example_version, django_capture_on_commit_callbacks
):
    vendor = VendorFactory(name="Acme Bots")
    alice = ContactFactory(vendor=vendor, name="Alice", email="alice@acme.example")
    bob = ContactFactory(vendor=vendor, name="Bob", email="bob@acme.example")
    analyst = UserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        links = invitation_create(
            contacts=[alice, bob], selection=round_of(example_version, _due()), user=analyst
        )

    response = Response.objects.get(vendor=vendor, version=example_version)
    assert response.status == ResponseStatus.INVITED
    assert response.due_date == _due()
    assert [link.contact for link in links] == [alice, bob]
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@acme.example", "bob@acme.example"]
    message = next(m for m in mail.outbox if m.to == ["alice@acme.example"])
    assert "Hello Alice" in message.body
    assert "Example AI agent check" in message.subject
    assert message.reply_to == ["analysts@cxvet.localhost"]
    # The token in the email is the only copy: the database keeps its hash.
    tokens = _tokens_in_outbox()
    assert len(set(tokens)) == 2
    for token in tokens:
        assert len(token) >= 43  # 32 random bytes, base64: 256 bits
        stored = AccessLink.objects.get(token_hash=token_hash(token))
        assert stored.response == response
        assert stored.email_sent_at is not None
        assert not AccessLink.objects.filter(token_hash=token).exists()
    assert (
        AuditEvent.objects.filter(
            response=response, kind=AuditEvent.Kind.LINK_ISSUED, actor_user=analyst
        ).count()
        == 2
    )


def test_email_is_queued_only_after_commit(example_version, django_capture_on_commit_callbacks):
    contact = ContactFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invitation_create(
            contacts=[contact], selection=round_of(example_version, _due()), user=None
        )
    assert mail.outbox == []
    assert len(callbacks) == 1


def test_reinviting_into_the_round_reuses_the_response_and_replaces_the_old_link(
    example_version, django_capture_on_commit_callbacks
):
    contact = ContactFactory()
    selection = round_of(example_version, _due(10))
    with django_capture_on_commit_callbacks(execute=True):
        [first] = invitation_create(contacts=[contact], selection=selection, user=None)
        [second] = invitation_create(contacts=[contact], selection=selection, user=None)
    assert Response.objects.filter(vendor=contact.vendor).count() == 1
    assert second.response == first.response
    first.refresh_from_db()
    assert first.revoked_at is not None
    assert second.revoked_at is None


def test_one_invitation_brings_several_vendors_each_into_its_own_response(
    example_version, django_capture_on_commit_callbacks
):
    selection = round_of(example_version, _due())
    acme, globex = VendorFactory(), VendorFactory()
    contacts = [
        ContactFactory(vendor=acme),
        ContactFactory(vendor=acme),
        ContactFactory(vendor=globex),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        links = invitation_create(contacts=contacts, selection=selection, user=None)
    assert len(links) == 3
    assert links[0].response == links[1].response != links[2].response
    assert set(selection.responses.values_list("vendor", flat=True)) == {acme.pk, globex.pk}
    assert {r.version for r in selection.responses.all()} == {example_version}
    assert len(mail.outbox) == 3


def test_the_same_vendor_answers_again_in_another_round_of_the_same_version(
    example_version, django_capture_on_commit_callbacks
):
    contact = ContactFactory()
    first_round, second_round = round_of(example_version), round_of(example_version)
    with django_capture_on_commit_callbacks(execute=True):
        [first] = invitation_create(contacts=[contact], selection=first_round, user=None)
        [second] = invitation_create(contacts=[contact], selection=second_round, user=None)
    assert first.response != second.response
    assert second.response.selection == second_round
    first.refresh_from_db()
    assert first.revoked_at is None  # a link to another round's response stays


def test_an_invitation_that_races_another_for_the_vendor_joins_the_response_it_made(
    example_version, django_capture_on_commit_callbacks
):
    contact = ContactFactory()
    selection = round_of(example_version, _due())
    other = Response(
        selection=selection, vendor=contact.vendor, version=example_version, due_date=_due()
    )

    def the_other_commits_after_the_read(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        # A concurrent invitation of the same vendor commits its response just after
        # this one looked for the vendor's response in the round and found none.
        if (
            other.pk is None
            and sql.startswith("SELECT")
            and 'FROM "questionnaires_response"' in sql
        ):
            Response.objects.bulk_create([other])
        return result

    with (
        connection.execute_wrapper(the_other_commits_after_the_read),
        django_capture_on_commit_callbacks(execute=True),
    ):
        [link] = invitation_create(contacts=[contact], selection=selection, user=None)
    assert other.pk is not None
    assert link.response == other
    assert Response.objects.filter(selection=selection).count() == 1


def test_the_database_refuses_a_second_response_of_a_vendor_in_a_round(example_version):
    selection = round_of(example_version)
    first = ResponseFactory(version=example_version, selection=selection)
    with pytest.raises(IntegrityError), transaction.atomic():
        ResponseFactory(version=example_version, selection=selection, vendor=first.vendor)
    # Outside a round (tests and tools) the same vendor may have several.
    ResponseFactory.create_batch(2, version=example_version, vendor=first.vendor)
    ResponseFactory(
        version=example_version, selection=round_of(example_version), vendor=first.vendor
    )
    assert Response.objects.filter(vendor=first.vendor).count() == 4


@pytest.mark.parametrize(
    "problem, expected",
    [
        ("no_contacts", "Choose at least one contact"),
        ("no_due_date", "no due date"),
        ("past_due", "in the past"),
        ("draft", "not published"),
    ],
)
def test_invalid_invitations_say_what_is_wrong(example_version, problem, expected):
    contacts = [ContactFactory()]
    due = _due()
    version = example_version
    if problem == "no_contacts":
        contacts = []
    elif problem == "no_due_date":
        due = None
    elif problem == "past_due":
        due = _due(-1)
    elif problem == "draft":
        version.status = "draft"  # not saved: the check reads the instance
    with pytest.raises(InvitationError, match=expected):
        selection = round_of(version)
        selection.due_date = due
        invitation_create(contacts=contacts, selection=selection, user=None)
    assert not Response.objects.exists()


def test_revoke_records_who_and_is_idempotent(example_version):
    contact = ContactFactory()
    [link] = invitation_create(
        contacts=[contact], selection=round_of(example_version, _due()), user=None
    )
    analyst = UserFactory()
    link_revoke(link=link, user=analyst)
    first_revoked_at = AccessLink.objects.get(pk=link.pk).revoked_at
    link_revoke(link=link, user=analyst)
    assert AccessLink.objects.get(pk=link.pk).revoked_at == first_revoked_at
    assert (
        AuditEvent.objects.filter(kind=AuditEvent.Kind.LINK_REVOKED, actor_user=analyst).count()
        == 1
    )


def test_reissue_revokes_and_emails_a_new_working_link(
    example_version, django_capture_on_commit_callbacks
):
    contact = ContactFactory()
    with django_capture_on_commit_callbacks(execute=True):
        [old] = invitation_create(
            contacts=[contact], selection=round_of(example_version, _due()), user=None
        )
    with django_capture_on_commit_callbacks(execute=True):
        new = link_reissue(link=old, user=UserFactory())
    old.refresh_from_db()
    new.refresh_from_db()
    assert old.revoked_at is not None
    assert new.revoked_at is None and new.response_id == old.response_id
    old_token, new_token = _tokens_in_outbox()
    assert token_hash(new_token) == new.token_hash != token_hash(old_token)


def test_a_link_revoked_before_its_email_went_out_is_never_emailed(
    example_version, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        [link] = invitation_create(
            contacts=[ContactFactory()], selection=round_of(example_version, _due()), user=None
        )
        link_revoke(link=link, user=None)
    assert mail.outbox == []


def test_invitation_task_rerun_sends_nothing_twice(example_version):
    [link] = invitation_create(
        contacts=[ContactFactory()], selection=round_of(example_version, _due()), user=None
    )
    send_invitation.apply(args=[link.pk])
    send_invitation.apply(args=[link.pk])
    assert len(mail.outbox) == 1
    [token] = _tokens_in_outbox()
    assert AccessLink.objects.get(pk=link.pk).token_hash == token_hash(token)


def test_a_link_opens_nothing_until_its_email_is_built(example_version):
    """The token is minted by the email task; before it runs the link's hash belongs to
    a token nobody has, and each invitation gets a different one."""
    contacts = [ContactFactory(), ContactFactory()]
    contacts[1].vendor = contacts[0].vendor
    contacts[1].save()
    links = invitation_create(
        contacts=contacts, selection=round_of(example_version, _due()), user=None
    )
    assert len({link.token_hash for link in links}) == 2
    send_invitation.apply(args=[links[0].pk])
    [token] = _tokens_in_outbox()
    assert AccessLink.objects.get(pk=links[0].pk).token_hash == token_hash(token)
    assert AccessLink.objects.get(pk=links[1].pk).token_hash == links[1].token_hash


def _flaky_mail(monkeypatch, failures: list[Exception]) -> list[list[str]]:
    """Make the test mail backend raise these errors first, then deliver; returns the
    links' stored hashes as each attempt found them."""
    from django.core.mail.backends.locmem import EmailBackend

    real_send = EmailBackend.send_messages
    attempts = []

    def flaky_send(self, messages):
        attempts.append(list(AccessLink.objects.values_list("token_hash", flat=True)))
        if len(attempts) <= len(failures):
            raise failures[len(attempts) - 1]
        return real_send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", flaky_send)
    return attempts


def test_invitation_is_retried_when_the_mail_server_is_down_with_a_new_token(
    example_version, monkeypatch, django_capture_on_commit_callbacks
):
    from cxvet.outbox.models import OutboxMessage

    attempts = _flaky_mail(monkeypatch, [smtplib.SMTPServerDisconnected("connection closed")])
    # Without a broker the outbox runs the retry at once, as a worker would later.
    with django_capture_on_commit_callbacks(execute=True):
        [link] = invitation_create(
            contacts=[ContactFactory()], selection=round_of(example_version, _due()), user=None
        )

    assert len(attempts) == 2
    [token] = _tokens_in_outbox()
    # Each attempt minted its own token; only the one in the email opens the link.
    [first_hash], [second_hash] = attempts
    assert first_hash != second_hash
    assert AccessLink.objects.get(pk=link.pk).token_hash == token_hash(token) == second_hash
    message = OutboxMessage.objects.get()
    assert (message.status, message.attempts) == (OutboxMessage.Status.SENT, 2)
    assert message.last_error == "SMTPServerDisconnected: connection closed"


def test_invitation_is_not_retried_after_a_permanent_error(
    example_version, monkeypatch, django_capture_on_commit_callbacks
):
    from cxvet.outbox.models import OutboxMessage

    refused = smtplib.SMTPRecipientsRefused({"x@y": (550, b"no such user")})
    attempts = _flaky_mail(monkeypatch, [refused])
    with django_capture_on_commit_callbacks(execute=True):
        [link] = invitation_create(
            contacts=[ContactFactory()], selection=round_of(example_version, _due()), user=None
        )

    assert len(attempts) == 1
    assert mail.outbox == []
    assert AccessLink.objects.get(pk=link.pk).email_sent_at is None
    message = OutboxMessage.objects.get()
    assert (message.status, message.attempts) == (OutboxMessage.Status.FAILED, 1)
    assert message.last_error.startswith("SMTPRecipientsRefused")


# Clarification emails -------------------------------------------------------------------


def _clarification_round(version, note="Which deployments?"):
    response = ResponseFactory(version=version, status=ResponseStatus.CLARIFICATION_REQUESTED)
    response.submitted_at = timezone.now() - datetime.timedelta(hours=1)
    response.save(update_fields=["submitted_at"])
    question = version.questions.get(key="live_deployments")
    Answer.objects.create(
        response=response,
        question=question,
        value=3,
        needs_clarification=True,
        clarification_note=note,
    )
    return response


def test_clarification_email_lists_questions_and_notes_to_every_active_contact(example_version):
    response = _clarification_round(example_version)
    active = ContactFactory(vendor=response.vendor, email="active@v.example")
    revoked = ContactFactory(vendor=response.vendor, email="revoked@v.example")
    AccessLink.objects.create(response=response, contact=active, token_hash="a" * 64)
    AccessLink.objects.create(
        response=response, contact=revoked, token_hash="b" * 64, revoked_at=timezone.now()
    )

    send_clarification_request.apply(args=[response.pk])

    assert [m.to for m in mail.outbox] == [["active@v.example"]]
    body = mail.outbox[0].body
    assert "How many enterprise deployments" in body
    assert "Which deployments?" in body
    # The email carries a working link of its own: a token minted for it, stored hashed.
    token = LINK_PATTERN.search(body).group(1)
    assert LinkToken.objects.get(token_hash=token_hash(token)).link.contact == active
    assert not LinkToken.objects.filter(token_hash=token).exists()
    assert "text/html" in [kind for _, kind in mail.outbox[0].alternatives]


def test_clarification_email_is_sent_once_per_round(example_version):
    response = _clarification_round(example_version)
    contact = ContactFactory(vendor=response.vendor)
    AccessLink.objects.create(response=response, contact=contact, token_hash="c" * 64)

    send_clarification_request.apply(args=[response.pk])
    send_clarification_request.apply(args=[response.pk])
    assert len(mail.outbox) == 1

    # The vendor resubmits and the analyst asks again: a new round, a new email.
    Response.objects.filter(pk=response.pk).update(submitted_at=timezone.now())
    send_clarification_request.apply(args=[response.pk])
    assert len(mail.outbox) == 2


def test_clarification_email_is_skipped_when_no_longer_requested(example_version):
    response = _clarification_round(example_version)
    AccessLink.objects.create(
        response=response, contact=ContactFactory(vendor=response.vendor), token_hash="d" * 64
    )
    Response.objects.filter(pk=response.pk).update(status=ResponseStatus.SUBMITTED)
    send_clarification_request.apply(args=[response.pk])
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_invitation_email_goes_through_the_worker(example_version, celery_worker_process):
    """With REDIS_URL set this runs in a real worker process; otherwise in-process."""
    contact = ContactFactory()
    [link] = invitation_create(
        contacts=[contact], selection=round_of(example_version, _due()), user=None
    )
    wait_until(lambda: AccessLink.objects.get(pk=link.pk).email_sent_at is not None)
