"""Emails to vendor contacts, sent through the outbox (cxvet/outbox/tasks.py).

Each task takes ids, re-reads what it needs, and claims its work with a conditional
update before sending, so a repeated task never emails twice. Only errors that a later
attempt can cure (the mail server is unreachable or busy) are retried, with a growing
delay; the claim is released first so the retry can take it.
"""

from __future__ import annotations

import logging
import smtplib

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import timezone

from cxvet.outbox.tasks import OutboxTask
from questionnaires.definition import iter_questions
from questionnaires.models import Answer, Response, ResponseStatus

from .models import AccessLink
from .services import (
    link_expires_on,
    links_to_notify_of_clarification,
    new_token,
    portal_url,
    token_hash,
)

logger = logging.getLogger(__name__)

# The mail server could not be reached or asked us to come back later.
TRANSIENT_MAIL_ERRORS = (
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    smtplib.SMTPHeloError,
    ConnectionError,
    TimeoutError,
)


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, TRANSIENT_MAIL_ERRORS):
        return True
    # 4xx replies (mailbox busy, greylisting) are temporary by definition.
    return isinstance(exc, smtplib.SMTPResponseException) and 400 <= exc.smtp_code < 500


class EmailTask(OutboxTask):
    """An email: retried on the mail server's temporary errors, 1, 2, 4, 8, 16 minutes apart."""

    outbox_max_attempts = 6
    outbox_backoff_seconds = 60
    # An SMTP conversation that takes minutes is stuck.
    time_limit = 120
    soft_time_limit = 100

    def outbox_is_transient(self, exc: BaseException) -> bool:
        return _is_transient(exc)


def _send(subject_template: str, body_template: str, context: dict, to: list[str]) -> None:
    subject = " ".join(render_to_string(subject_template, context).split())
    body = render_to_string(body_template, context)
    EmailMessage(
        subject=subject, body=body, to=to, reply_to=[settings.ANALYST_CONTACT_EMAIL]
    ).send()


@shared_task(base=EmailTask, bind=True, outbox_label="Invitation email")
def send_invitation(self, link_id: int) -> str:
    """Email a contact their private link, minting its token here.

    The token exists only in this process's memory and in the email: the link gets its
    hash by a conditional update (the link unchanged, not revoked, not emailed yet)
    before the email is sent. Each attempt mints a new token, so a retry after a failed
    send, or after a crash between sending and noting it, leaves only the newest
    email's link working.
    """
    link = (
        AccessLink.objects.select_related("contact__vendor", "response__version")
        .filter(pk=link_id)
        .first()
    )
    if link is None:
        return "not sent: the link no longer exists"
    if link.revoked_at is not None:
        return "not sent: the link was revoked"
    if link.email_sent_at is not None:
        return "already sent"
    token = new_token()
    minted = AccessLink.objects.filter(
        pk=link.pk,
        token_hash=link.token_hash,
        revoked_at__isnull=True,
        email_sent_at__isnull=True,
    ).update(token_hash=token_hash(token))
    if not minted:
        return "not sent: the link changed meanwhile"
    response = link.response
    context = {
        "contact": link.contact,
        "vendor": link.contact.vendor,
        "questionnaire_title": response.version.title,
        "description": response.version.definition.get("description", ""),
        "due_date": response.due_date,
        "expires_on": link_expires_on(response.due_date),
        "url": portal_url(token),
        "analyst_email": settings.ANALYST_CONTACT_EMAIL,
    }
    _send("emails/invitation_subject.txt", "emails/invitation.txt", context, [link.contact.email])
    AccessLink.objects.filter(pk=link.pk).update(email_sent_at=timezone.now())
    return "sent"


@shared_task(base=EmailTask, bind=True, outbox_label="Clarification email")
def send_clarification_request(self, response_id: int) -> str:
    """Tell every active contact of a response which answers the analyst reopened.

    The email lists each reopened question with the analyst's note and reminds the
    contact that the private link from their invitation still works. Each link is
    claimed for the current round, so a repeated task sends nothing new; a temporary
    error releases the link's claim and is raised, and the retry emails those not done.
    """
    response = Response.objects.select_related("vendor", "version").filter(pk=response_id).first()
    if response is None or response.status != ResponseStatus.CLARIFICATION_REQUESTED:
        return "not sent: clarification is no longer requested"
    items = _reopened_questions(response)
    links = (
        AccessLink.objects.filter(response=response, revoked_at__isnull=True)
        .filter(links_to_notify_of_clarification(response))
        .select_related("contact")
    )
    notified_emails: set[str] = set()
    for link in links:
        _notify_link(link, response, items, notified_emails)
    return f"sent to {len(notified_emails)} contact{'s' if len(notified_emails) != 1 else ''}"


def _notify_link(
    link: AccessLink, response: Response, items: list[dict], notified_emails: set[str]
) -> None:
    """Email one link's contact, unless claimed already; a temporary error releases the
    claim before it is raised."""
    before = link.clarification_notified_at
    claimed = (
        AccessLink.objects.filter(pk=link.pk)
        .filter(links_to_notify_of_clarification(response))
        .update(clarification_notified_at=timezone.now())
    )
    email = link.contact.email.lower()
    if not claimed or email in notified_emails:
        return
    context = {
        "contact": link.contact,
        "vendor": response.vendor,
        "questionnaire_title": response.version.title,
        "items": items,
        "analyst_email": settings.ANALYST_CONTACT_EMAIL,
    }
    try:
        _send(
            "emails/clarification_request_subject.txt",
            "emails/clarification_request.txt",
            context,
            [link.contact.email],
        )
    except Exception as exc:
        if _is_transient(exc):
            AccessLink.objects.filter(pk=link.pk).update(clarification_notified_at=before)
        raise
    notified_emails.add(email)


def _reopened_questions(response: Response) -> list[dict]:
    """The reopened questions in questionnaire order, each with its section and note."""
    notes = dict(
        Answer.objects.filter(response=response, needs_clarification=True).values_list(
            "question__key", "clarification_note"
        )
    )
    return [
        {"section": section["title"], "text": question["text"], "note": notes[question["key"]]}
        for section, question in iter_questions(response.version.definition)
        if question["key"] in notes
    ]
