"""Invitations and private links: the only code that creates, revokes or reissues them.

A link's token exists only in the emails: the invitation task mints the link's own token
while it builds the email, and every later email to the contact (reminders, clarification
requests, the acceptance) mints a further one (LinkToken); only SHA-256 hashes are
stored, so neither the database nor the broker ever holds a token. Until then a link holds the hash of a token
nobody has, and opens nothing. Emails are recorded in the outbox with the change that
causes them, so a rolled back invitation never sends a link that does not exist.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from collections.abc import Iterable, Mapping

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from cxvet.outbox.services import outbox_enqueue
from questionnaires.audit import link_issued_data, link_revoked_data
from questionnaires.models import (
    EDITABLE_STATUSES,
    AuditEvent,
    Response,
    ResponseStatus,
    Selection,
    VersionStatus,
)
from questionnaires.services.answers import (
    AnswerChange,
    ResponseNotEditable,
    SaveOutcome,
    answers_save,
)
from questionnaires.services.carry_forward import carry_forward

from .models import AccessLink, Contact, LinkToken, Vendor, WorkbookImport

# 32 random bytes: 256 bits, URL-safe (43 characters).
TOKEN_BYTES = 32


class InvitationError(ValueError):
    """The invitation cannot be made as asked; the message says why and what to do."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A fresh private-link token: 32 random bytes, URL-safe."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def unusable_token_hash() -> str:
    """The hash of a token nobody has (it is thrown away): a link that opens nothing yet."""
    return token_hash(new_token())


def portal_url(token: str) -> str:
    """The absolute address of a private link, as sent to the vendor."""
    return settings.SITE_URL + reverse("portal:overview", args=[token])


def link_expires_on(due_date: datetime.date) -> datetime.date:
    """The last day a link works: the due date plus the grace period."""
    return due_date + datetime.timedelta(days=settings.PORTAL_LINK_GRACE_DAYS)


def contact_label(contact: Contact) -> str:
    """How a vendor contact is named in audit trails and `updated_by` fields."""
    return f"{contact.name} <{contact.email}>"


@transaction.atomic
def invitation_create(
    *, selection: Selection, contacts: Iterable[Contact], user: User | None
) -> list[AccessLink]:
    """Invite contacts of one or more vendors into a round.

    Each vendor gets its own response in the round (or keeps it: re-inviting a vendor
    gives the chosen contacts fresh links to the same response), due on the round's due
    date and started from the vendor's latest earlier answers (carry_forward). Each
    contact gets a fresh private link, revoking the contact's earlier links to the same
    response, emailed once the transaction commits.
    """
    contacts = list(contacts)
    _check_invitation(contacts, selection)
    links = []
    for vendor_contacts in _by_vendor(contacts):
        response = _round_response(selection, vendor_contacts[0].vendor, user)
        for contact in vendor_contacts:
            for old in AccessLink.objects.filter(
                response=response, contact=contact, revoked_at__isnull=True
            ):
                link_revoke(link=old, user=user, reason="replaced by a new invitation")
            links.append(_link_issue(response=response, contact=contact, user=user))
    return links


def _by_vendor(contacts: list[Contact]) -> list[list[Contact]]:
    groups: dict[int, list[Contact]] = {}
    for contact in contacts:
        groups.setdefault(contact.vendor_id, []).append(contact)
    return list(groups.values())


def _round_response(selection: Selection, vendor: Vendor, user: User | None) -> Response:
    """The vendor's response in the round: new (carried forward), or the one it has.

    Two invitations of the vendor at once both find no row to lock, so the unique
    constraint decides: one creates the response, and get_or_create makes the other's
    refused insert read (and lock) that one instead of failing or adding a second.
    """
    assert selection.version is not None and selection.due_date is not None
    response, created = Response.objects.select_for_update().get_or_create(
        selection=selection,
        vendor=vendor,
        defaults={
            "version": selection.version,
            "due_date": selection.due_date,
            "due_date_set_at": timezone.now(),
        },
    )
    if created:
        carry_forward(response=response)
        return response
    if response.status == ResponseStatus.ACCEPTED:
        raise InvitationError(
            f"{vendor.name}'s response in {selection.name} is accepted; start a new round "
            "to assess it again."
        )
    return response


def _check_invitation(contacts: list[Contact], selection: Selection) -> None:
    if not contacts:
        raise InvitationError("Choose at least one contact to invite.")
    version = selection.version
    if version is None:
        raise InvitationError(
            f"{selection.name} has no questionnaire version: choose one on the round first."
        )
    if version.status != VersionStatus.PUBLISHED:
        raise InvitationError(
            f"{version} is not published. Publish it (or give the round a published version) "
            "before inviting vendors: vendors only ever answer a frozen version."
        )
    if selection.due_date is None:
        raise InvitationError(f"{selection.name} has no due date: set one on the round first.")
    if selection.due_date < timezone.localdate():
        raise InvitationError(
            f"The round's due date {selection.due_date:%d %b %Y} is in the past; move it to "
            "today or a later day first."
        )


def _link_issue(*, response: Response, contact: Contact, user: User | None) -> AccessLink:
    link = AccessLink.objects.create(
        response=response, contact=contact, token_hash=unusable_token_hash()
    )
    AuditEvent.objects.create(
        response=response,
        kind=AuditEvent.Kind.LINK_ISSUED,
        actor_user=user,
        data=link_issued_data(link_id=link.pk, contact=contact.email, due_date=response.due_date),
    )
    # Imported here: tasks import this module for token_hash and portal_url.
    from .tasks import send_invitation

    outbox_enqueue(task=send_invitation, kwargs={"link_id": link.pk}, subject=response)
    return link


@transaction.atomic
def link_revoke(*, link: AccessLink, user: User | None, reason: str = "") -> AccessLink:
    """Stop a link from working. Revoking an already revoked link changes nothing."""
    now = timezone.now()
    revoked = AccessLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(revoked_at=now)
    if revoked:
        link.revoked_at = now
        AuditEvent.objects.create(
            response_id=link.response_id,
            kind=AuditEvent.Kind.LINK_REVOKED,
            actor_user=user,
            data=link_revoked_data(link_id=link.pk, contact=link.contact.email, reason=reason),
        )
    return link


@transaction.atomic
def link_reissue(*, link: AccessLink, user: User | None) -> AccessLink:
    """Revoke a link and email its contact a new one to the same response."""
    link_revoke(link=link, user=user, reason="reissued")
    return _link_issue(response=link.response, contact=link.contact, user=user)


@transaction.atomic
def links_revoke(*, links: QuerySet[AccessLink], user: User | None, reason: str = "") -> int:
    """Revoke those of these links not revoked yet; returns how many it revoked."""
    pending = list(links.filter(revoked_at__isnull=True).select_related("contact"))
    for link in pending:
        link_revoke(link=link, user=user, reason=reason)
    return sum(link.revoked_at is not None for link in pending)


@transaction.atomic
def links_reissue(*, links: QuerySet[AccessLink], user: User | None) -> list[AccessLink]:
    """Reissue each of these links (see link_reissue); returns the new links."""
    return [
        link_reissue(link=link, user=user) for link in links.select_related("contact", "response")
    ]


def link_token_mint(*, link: AccessLink, purpose: str, take_over: bool = False) -> str | None:
    """A fresh token for an active link, for the email named by `purpose`; None if that
    email already has one (it was sent, or is being sent) or the link is revoked.

    Called by the worker building the email: the token is returned to it and only its
    hash is stored, so it exists in that worker's memory and the email alone. The row is
    the email's claim (unique per link and purpose). With `take_over` (the task's earlier
    run was cut short: its worker died) a claim whose email was never sent is withdrawn
    first, so the email goes out after all; nobody received that claim's token.
    """
    if link.revoked_at is not None:
        return None
    token = new_token()
    try:
        with transaction.atomic():
            if take_over:
                _unsent_tokens(link, purpose).delete()
            LinkToken.objects.create(link=link, token_hash=token_hash(token), purpose=purpose)
    except IntegrityError:
        return None
    return token


def link_token_sent(*, link: AccessLink, purpose: str) -> None:
    """Note that the mail server accepted the email carrying the link's token for
    `purpose`: from now on no redelivery sends it again."""
    _unsent_tokens(link, purpose).update(sent_at=timezone.now())


def _unsent_tokens(link: AccessLink, purpose: str) -> QuerySet[LinkToken]:
    return LinkToken.objects.filter(link=link, purpose=purpose, sent_at__isnull=True)


def link_token_release(*, link: AccessLink, purpose: str) -> None:
    """Withdraw the token minted for an email that could not be sent (nobody has it), so
    that a later attempt mints another."""
    LinkToken.objects.filter(link=link, purpose=purpose).delete()


def link_touch(*, link: AccessLink) -> None:
    """Note that a link was used; at most one write every few minutes per link."""
    now = timezone.now()
    if link.last_used_at and now - link.last_used_at < datetime.timedelta(minutes=5):
        return
    AccessLink.objects.filter(pk=link.pk).update(last_used_at=now)
    link.last_used_at = now


def active_links(response: Response) -> list[AccessLink]:
    """Links of a response that still open it (not revoked), with their contacts."""
    return list(
        AccessLink.objects.filter(response=response, revoked_at__isnull=True)
        .select_related("contact")
        .order_by("contact__name", "pk")
    )


def links_to_notify_of_clarification(response: Response) -> Q:
    """Links not yet told about the current clarification round.

    A round starts when the vendor (re)submits and the analyst then asks; a link
    notified before the latest submission belongs to an earlier round.
    """
    pending = Q(clarification_notified_at__isnull=True)
    if response.submitted_at:
        pending |= Q(clarification_notified_at__lt=response.submitted_at)
    return pending


# Answering offline: a workbook's changes, from preview to saved -------------------------


class WorkbookImportGone(Exception):
    """The preview was replaced by a newer upload, applied already, or expired."""


def workbook_import_store(
    *,
    response: Response,
    changes: Iterable[AnswerChange],
    questions: Iterable[str],
    not_asked: Iterable[str] = (),
    warnings: Mapping[str, str] | None = None,
    via: str,
    entered_by: str,
    file_name: str,
    file_sha256: str,
) -> WorkbookImport:
    """Keep a checked workbook's changes until its preview is confirmed. It replaces any
    earlier one waiting for this response, and old ones are cleared on the way.
    `warnings` (per question key, from the reading) are kept with their change, for the
    preview to show."""
    warnings = warnings or {}
    expired = timezone.now() - datetime.timedelta(hours=settings.WORKBOOK_IMPORT_HOURS)
    with transaction.atomic():
        WorkbookImport.objects.filter(Q(response=response) | Q(created_at__lt=expired)).delete()
        return WorkbookImport.objects.create(
            response=response,
            via=via,
            entered_by=entered_by[:200],
            file_name=file_name[:200],
            file_sha256=file_sha256,
            questions=list(questions),
            not_asked=list(not_asked),
            changes=[
                {
                    "question_key": c.question_key,
                    "value": c.value,
                    "comment": c.comment,
                    "base_revision": c.base_revision,
                    **({"warning": warnings[c.question_key]} if c.question_key in warnings else {}),
                }
                for c in changes
            ],
        )


def workbook_import_pending(response: Response, import_id: int, via: str) -> WorkbookImport:
    """The import waiting for `response` under this id, entered through `via`; raise
    WorkbookImportGone when there is none (another response's id finds nothing), saying
    why where that is known: too old, or replaced by a newer upload."""
    hours = settings.WORKBOOK_IMPORT_HOURS
    expired = timezone.now() - datetime.timedelta(hours=hours)
    found = WorkbookImport.objects.filter(pk=import_id, response=response, via=via).first()
    if found is not None and found.created_at >= expired:
        return found
    if found is not None:
        raise WorkbookImportGone(
            f"This preview is no longer waiting: it is more than {hours} hours old. "
            "Upload the workbook again."
        )
    if WorkbookImport.objects.filter(response=response, via=via, pk__gt=import_id).exists():
        raise WorkbookImportGone(
            "This preview is no longer waiting: it was replaced by a newer upload. Upload "
            "the workbook again, or confirm the newer preview."
        )
    # Deleted: confirmed, or replaced by one since confirmed, or swept once expired; the
    # row is gone, so which one cannot be told.
    raise WorkbookImportGone(
        "This preview is no longer waiting: it was confirmed already, replaced by a newer "
        f"upload, or it is more than {hours} hours old. Upload the workbook again."
    )


def workbook_import_changes(workbook_import: WorkbookImport) -> list[AnswerChange]:
    return [
        AnswerChange(
            question_key=str(c["question_key"]),
            value=c["value"],
            comment=str(c["comment"]),
            base_revision=int(c["base_revision"]),
        )
        for c in workbook_import.changes
    ]


def workbook_import_warnings(workbook_import: WorkbookImport) -> dict[str, str]:
    """Per question key, the doubt the reading had about its value (read.fraction_warning)."""
    return {
        str(c["question_key"]): str(c["warning"])
        for c in workbook_import.changes
        if c.get("warning")
    }


@transaction.atomic
def workbook_import_apply(
    *, workbook_import: WorkbookImport, link: int | None = None
) -> SaveOutcome:
    """Save a confirmed workbook's changes through the portal's own save (answers_save),
    as its `entered_by` and, when a vendor confirms it in the portal, through its private
    `link`: the same revision checks, clarification locks and audit events as an
    autosave. An answer saved by someone else since the workbook was written is a
    conflict and stays as saved. Raises ResponseNotEditable once the response is submitted.
    """
    status = Response.objects.filter(pk=workbook_import.response_id).values_list(
        "status", flat=True
    )
    if status.first() not in EDITABLE_STATUSES:
        # Checked even with nothing to save, so that a preview of no changes never
        # reports a submitted response's answers as saved.
        raise ResponseNotEditable(
            "This response has been submitted, so its answers can no longer change."
        )
    deleted, _ = WorkbookImport.objects.filter(pk=workbook_import.pk).delete()
    if not deleted:
        # A second click, or two tabs: the first one applied it.
        raise WorkbookImportGone("This workbook was applied already.")
    changes = workbook_import_changes(workbook_import)
    if not changes:
        return SaveOutcome()
    return answers_save(
        response=workbook_import.response,
        changes=changes,
        actor=workbook_import.entered_by,
        link=link,
    )
