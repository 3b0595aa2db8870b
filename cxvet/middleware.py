"""A database that cannot be reached is a passing outage, not a server error.

When PostgreSQL restarts, or a connection to it breaks, a view meets OperationalError or
InterfaceError. Nothing was saved then: a write's transaction never committed. The
reply says so with 503 Service Unavailable and Retry-After, in JSON for the portal's
script (which keeps what was typed and tries again), as a short page for people. Django
closes the broken connection when the request ends, and checks a kept connection
before reusing it (CONN_HEALTH_CHECKS), so the next request connects afresh.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

RETRY_AFTER_SECONDS = 5
UNAVAILABLE_MESSAGE = "The database is not answering just now: nothing was saved. Retrying."

logger = logging.getLogger(__name__)


class DatabaseUnavailableMiddleware:
    """Answer 503 with Retry-After when a view could not reach the database."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        # The area only, never the path: portal paths carry the private token.
        area = request.path_info.strip("/").split("/")[0]
        logger.warning(
            "database unavailable, answered 503: %s /%s/... %s: %s",
            request.method,
            area,
            type(exception).__name__,
            _first_line(exception),
        )
        return database_unavailable(request)


def _first_line(exception: Exception) -> str:
    lines = str(exception).strip().splitlines()
    return lines[0] if lines else ""


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """503, with Retry-After: JSON when the client asked for JSON (portal.js), else a page.

    Rendered without the request, so that no context processor reaches for the
    database (the signed-in user, the session) while it is away.
    """
    if "application/json" in request.headers.get("Accept", ""):
        response: HttpResponse = JsonResponse(
            {"status": "unavailable", "message": UNAVAILABLE_MESSAGE}, status=503
        )
    else:
        page = render_to_string(
            "unavailable.html",
            {"analyst_email": settings.ANALYST_CONTACT_EMAIL, "retry_after": RETRY_AFTER_SECONDS},
        )
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response
