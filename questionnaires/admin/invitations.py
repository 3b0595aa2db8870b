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

from vendors.models import AccessLink
from vendors.services import InvitationError, invitation_create

from .. import access
from ..models import Selection


def invite_posted(
    request: HttpRequest, form: forms.Form, selection: Selection | None = None
) -> list[AccessLink] | None:
    """Invite the contacts a valid posted `form` chose into `selection` (else into the
    round the form chose): the links issued, or None when nothing was posted, the form is
    not valid or the invitation was refused (the reason is then one of the form's errors)."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        return invitation_create(
            selection=selection or form.cleaned_data["selection"],
            contacts=form.cleaned_data["contacts"],
            user=access.acting_account(request),
        )
    except InvitationError as exc:
        form.add_error(None, str(exc))
        return None


def invited_message(who: str, into: str, selection: Selection, links: Iterable[Any]) -> str:
    """ "Invited <who> into <into>, due 12 May 2026. The emails … are on their way.",
    naming any response invited again that keeps a due date of its own (an overdue one
    stays overdue until its due date is moved)."""
    today = timezone.localdate()
    own = sorted(
        {
            (link.response.vendor.name, link.response.due_date)
            for link in links
            if link.response.due_date and link.response.due_date != selection.due_date
        }
    )
    kept = "".join(
        f" {name}'s response keeps its due date, {due:%d %b %Y}"
        f"{' (overdue)' if due < today else ''}: move it on the response page to give more time."
        for name, due in own
    )
    return (
        f"Invited {who} into {into}, due {selection.due_date:%d %b %Y}.{kept} "
        "The emails with their private links are on their way."
    )


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
