"""Small builders shared by the portal tests."""

from __future__ import annotations

import datetime
import secrets

from django.urls import reverse
from django.utils import timezone

from cxvet.outbox.services import Delivery
from questionnaires.models import Response, ResponseStatus
from tests.factories import ContactFactory, ResponseFactory
from vendors.models import AccessLink
from vendors.services import token_hash


def link_for(response: Response, *, contact=None, **fields) -> tuple[str, AccessLink]:
    """A working private link to `response`: (token, link)."""
    token = secrets.token_urlsafe(32)
    contact = contact or ContactFactory(vendor=response.vendor, name="Dana Vendor")
    link = AccessLink.objects.create(
        response=response, contact=contact, token_hash=token_hash(token), **fields
    )
    return token, link


def open_response(version, **fields) -> tuple[str, Response]:
    """An in-progress response to `version` with a private link: (token, response)."""
    fields.setdefault("status", ResponseStatus.IN_PROGRESS)
    response = ResponseFactory(version=version, **fields)
    token, _ = link_for(response)
    return token, response


def url(name: str, token: str, *args) -> str:
    return reverse(f"portal:{name}", args=[token, *args])


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def section_post(form_values: dict, *, revisions: dict | None = None, action="save") -> dict:
    """POST data for a section form: values keyed by question, revision 0 unless given."""
    data: dict = {"action": action}
    for key, value in form_values.items():
        data[key] = value
        data[f"{key}-revision"] = (revisions or {}).get(key, 0)
    return data


def run_delivered(task, *args, redelivered: bool):
    """Run `task` as the outbox runs a delivery of its message: `redelivered` when the
    broker handed it back because the worker running it died."""
    task.push_request(outbox_delivery=Delivery(message_id=0, attempt=2, redelivered=redelivered))
    try:
        return task.run(*args)
    finally:
        task.pop_request()
