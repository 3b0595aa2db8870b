"""What the two invitation pages share: a round's ("Invite vendors", contacts of several
vendors) and a vendor's ("Invite into a round", its contacts into a round it picks).

Both post contacts to vendors.services.invitation_create; a refusal is shown on the form,
a success is said in one sentence and the analyst goes back to the page they came from.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone

from vendors.models import AccessLink, Contact
from vendors.services import InvitationError, invitation_create

from .. import access
from ..models import EDITABLE_STATUSES, Response, Selection


def invite_posted(
    request: HttpRequest, form: forms.Form, selection: Selection | None = None
) -> list[AccessLink] | None:
    """Invite the contacts a valid posted `form` chose into `selection` (else into the
    round the form chose): the links issued, or None when nothing was posted, the form is
    not valid or the invitation was refused (the reason is then one of the form's errors)."""
    if request.method != "POST" or not form.is_valid():
        return None
    selection = selection or form.cleaned_data["selection"]
    contacts = form.cleaned_data["contacts"]
    passed = overdue_responses(selection, contacts)
    if passed:
        form.add_error(None, overdue_refusal(selection, passed))
        return None
    try:
        return invitation_create(
            selection=selection, contacts=contacts, user=access.acting_account(request)
        )
    except InvitationError as exc:
        form.add_error(None, str(exc))
        return None


def overdue_responses(selection: Selection, contacts: Iterable[Contact]) -> list[Response]:
    """The open responses in the round of the contacts' vendors whose due date has passed.

    Invited again, a vendor keeps its response's due date: its links would expire soon or
    have expired, and the portal would say "overdue" from the first visit."""
    vendors = {contact.vendor_id for contact in contacts}
    return list(
        Response.objects.filter(
            selection=selection,
            vendor_id__in=vendors,
            status__in=EDITABLE_STATUSES,
            due_date__lt=timezone.localdate(),
        )
        .select_related("vendor")
        .order_by("vendor__name")
    )


def overdue_refusal(selection: Selection, passed: Iterable[Response]) -> str:
    names = "; ".join(f"{r.vendor.name}'s, due {r.due_date:%d %b %Y}" for r in passed)
    return (
        f"Not sent: a vendor invited again keeps its response's due date, and it has passed "
        f"({names}). Extend it first: move the due date of {selection.name} on the round's "
        "page (Questionnaire and deadline), which moves every open response's, then invite again."
    )


def invited_message(who: str, into: str, selection: Selection, links: Iterable[Any]) -> str:
    """ "Invited <who> into <into>, due 12 May 2026. …", naming the due date the vendors
    see: a vendor invited again keeps its response's own, which may not be the round's."""
    dates = sorted({(link.response.vendor.name, link.response.due_date) for link in links})
    if len({due for _, due in dates}) <= 1:
        due = dates[0][1] if dates else selection.due_date
        seen = f", due {due:%d %b %Y}."
    else:
        seen = (
            ". The due dates they see: "
            + "; ".join(f"{name} {due:%d %b %Y}" for name, due in dates)
            + "."
        )
    return f"Invited {who} into {into}{seen} The emails with their private links are on their way."


def invite_page(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    template: str,
    *,
    title: str,
    original: Any,
    **context: Any,
) -> TemplateResponse:
    """The invitation page of `original` (the round or the vendor), in the admin's frame."""
    return TemplateResponse(
        request,
        template,
        {
            **model_admin.admin_site.each_context(request),
            "title": title,
            "opts": model_admin.model._meta,
            "original": original,
            **context,
        },
    )
