"""What a portal post may carry, and the honest reply to one the server cannot read.

Django reads a form post the first time something asks for it, which for the portal is
the CSRF check, before any portal view runs. A body over Django's limits, a broken
multipart body or a post that is not a form would then end as Django's bare 400 page,
which portal.js can only take for a link that stopped working. So this middleware sits
above the CSRF middleware and, for portal posts only:

- refuses, unread, a body whose declared length is over PORTAL_MAX_REQUEST_BYTES (413);
- refuses a post that is not a form (400);
- reads the form itself, and answers what it cannot read with a 400 saying what is wrong.

A refusal is JSON for portal.js (the shape of an autosave's "invalid" reply, so the page
shows the message next to the question or the upload) and a page otherwise. Nothing is
saved by a refused post; the reply never says "saved" or "unchanged".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import HttpRequest, HttpResponse, JsonResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render

from questionnaires.evidence import human_size

from .access import PRIVATE_HEADERS

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

RELOAD = "Reload the page and try again."
NOT_A_FORM = f"Nothing was saved: what arrived was not a form from this page. {RELOAD}"
DAMAGED = f"Nothing was saved: what arrived was damaged on the way and could not be read. {RELOAD}"
TOO_MANY_FIELDS = (
    f"Nothing was saved: the request had more fields than any page of this questionnaire. {RELOAD}"
)
TEXT_TOO_LONG = (
    "Nothing was saved: the answers sent are longer than the portal reads at once "
    "({limit} of text). Shorten the longest answers and save again."
)


def too_many_files() -> str:
    return (
        f"Nothing was saved: at most {settings.DATA_UPLOAD_MAX_NUMBER_FILES} files can be "
        "sent at once. Choose fewer files, then add the rest."
    )


def too_large(size: int) -> str:
    return (
        f"Nothing was saved: this request is {human_size(size)}, and the portal takes at "
        f"most {human_size(settings.PORTAL_MAX_REQUEST_BYTES)} at once (each file at most "
        f"{human_size(settings.EVIDENCE_MAX_BYTES)}). Send fewer files at a time."
    )


def wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def unreadable_response(
    request: HttpRequest, message: str, *, status: int = 400, field_id: str | None = None
) -> HttpResponse:
    """The reply to a portal post that could not be read: nothing was saved, and why.

    For portal.js, `field_id` names the input the message belongs next to (without it,
    the page shows it below the question); otherwise a page with the message.
    """
    response: HttpResponse
    if wants_json(request):
        response = JsonResponse(
            {"status": "invalid", "message": message, "errors": {field_id or "request": [message]}},
            status=status,
        )
    else:
        context = {"message": message, "page_url": request.path}
        response = render(request, "portal/unreadable.html", context, status=status)
    for header, value in PRIVATE_HEADERS.items():
        response[header] = value
    return response


def declared_length(request: HttpRequest) -> int:
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


def read_problem(request: HttpRequest) -> tuple[str, int] | None:
    """Why this post cannot be read (the message and the status), or None once it is."""
    size = declared_length(request)
    if size > settings.PORTAL_MAX_REQUEST_BYTES:
        return too_large(size), 413
    if request.content_type not in FORM_TYPES:
        return NOT_A_FORM, 400
    try:
        request.POST  # noqa: B018 - reading the form is the point
        request.FILES  # noqa: B018
    except RequestDataTooBig:
        return TEXT_TOO_LONG.format(limit=human_size(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)), 400
    except TooManyFieldsSent:
        return TOO_MANY_FIELDS, 400
    except TooManyFilesSent:
        return too_many_files(), 400
    except (MultiPartParserError, BadRequest, UnreadablePostError):
        return DAMAGED, 400
    return None


class PortalPostLimitsMiddleware:
    """Read portal posts before the CSRF check does, and refuse what cannot be read."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        match = request.resolver_match
        if request.method != "POST" or match is None or match.namespace != "portal":
            return None
        problem = read_problem(request)
        if problem is None:
            return None
        message, status = problem
        return unreadable_response(request, message, status=status)
