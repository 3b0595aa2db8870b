"""Emails to vendor contacts, sent by Celery after the transaction that asked commits.

Each task takes ids, re-reads what it needs, and claims its work with a conditional
update before sending, so a redelivered or repeated task never emails twice. Only
errors that a later attempt can cure (the mail server is unreachable or busy) are
retried, with a growing delay; the claim is released first so the retry can take it.
"""

from __future__ import annotations

import logging
import smtplib

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import timezone

from questionnaires.definition import iter_questions
from questionnaires.models import Answer, Response, ResponseStatus

from .models import AccessLink
from .services import link_expires_on, links_to_notify_of_clarification, portal_url, token_hash

logger = logging.getLogger(__name__)

# The mail server could not be reached or asked us to come back later.
TRANSIENT_MAIL_ERRORS = (
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    smtplib.SMTPHeloError,
    ConnectionError,
    TimeoutError,
)
MAX_RETRIES = 5


def _backoff_seconds(retries: int) -> int:
    # 1, 2, 4, 8, 16 minutes: well inside the broker's visibility timeout.
    return 60 * 2**retries


def _is_transient(exc: Exception) -> bool:
    if isinstance(exc, TRANSIENT_MAIL_ERRORS):
        return True
    # 4xx replies (mailbox busy, greylisting) are temporary by definition.
    return isinstance(exc, smtplib.SMTPResponseException) and 400 <= exc.smtp_code < 500


def _send(subject_template: str, body_template: str, context: dict, to: list[str]) -> None:
    subject = " ".join(render_to_string(subject_template, context).split())
    body = render_to_string(body_template, context)
    EmailMessage(
        subject=subject, body=body, to=to, reply_to=[settings.ANALYST_CONTACT_EMAIL]
    ).send()


@shared_task(bind=True, max_retries=MAX_RETRIES)
def send_invitation(self, access_link_id: int, token: str) -> None:
    """Email a contact their private link (the token exists only in this message)."""
    link = (
        AccessLink.objects.select_related("contact__vendor", "response__version")
        .filter(pk=access_link_id)
        .first()
    )
    if link is None:
        return
    if token_hash(token) != link.token_hash:
        logger.error("send_invitation: the token does not belong to link %s", access_link_id)
        return
    claimed = AccessLink.objects.filter(
        pk=link.pk, email_sent_at__isnull=True, revoked_at__isnull=True
    ).update(email_sent_at=timezone.now())
    if not claimed:
        return
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
    try:
        _send(
            "emails/invitation_subject.txt", "emails/invitation.txt", context, [link.contact.email]
        )
    except Exception as exc:
        if not _is_transient(exc) or self.request.retries >= MAX_RETRIES:
            raise
        AccessLink.objects.filter(pk=link.pk).update(email_sent_at=None)
        raise self.retry(exc=exc, countdown=_backoff_seconds(self.request.retries)) from exc


@shared_task(bind=True, max_retries=MAX_RETRIES)
def send_clarification_request(self, response_id: int) -> None:
    """Tell every active contact of a response which answers the analyst reopened.

    The email lists each reopened question with the analyst's note and reminds the
    contact that the private link from their invitation still works. Each link is
    claimed for the current round, so a repeated task sends nothing new.
    """
    response = Response.objects.select_related("vendor", "version").filter(pk=response_id).first()
    if response is None or response.status != ResponseStatus.CLARIFICATION_REQUESTED:
        return
    items = _reopened_questions(response)
    links = (
        AccessLink.objects.filter(response=response, revoked_at__isnull=True)
        .filter(links_to_notify_of_clarification(response))
        .select_related("contact")
    )
    notified_emails: set[str] = set()
    for link in links:
        failure = _notify_link(link, response, items, notified_emails)
        if failure is not None:
            if self.request.retries >= MAX_RETRIES:
                raise failure
            raise self.retry(
                exc=failure, countdown=_backoff_seconds(self.request.retries)
            ) from failure


def _notify_link(
    link: AccessLink, response: Response, items: list[dict], notified_emails: set[str]
) -> Exception | None:
    """Email one link's contact; return a transient error to retry, raise others."""
    before = link.clarification_notified_at
    claimed = (
        AccessLink.objects.filter(pk=link.pk)
        .filter(links_to_notify_of_clarification(response))
        .update(clarification_notified_at=timezone.now())
    )
    email = link.contact.email.lower()
    if not claimed or email in notified_emails:
        return None
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
        if not _is_transient(exc):
            raise
        AccessLink.objects.filter(pk=link.pk).update(clarification_notified_at=before)
        return exc
    notified_emails.add(email)
    return None


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
