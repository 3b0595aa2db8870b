"""What a locked-out sign-in sees: what happened, and from when to try again.

django-axes counts failed sign-ins in the database, one counter per account and one per
client address (settings.AXES_LOCKOUT_PARAMETERS), and calls `lockout_response` once
either counter reaches the limit. Failures during a lockout are not counted (settings:
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT), so the time shown here holds.
"""

from __future__ import annotations

import datetime
import math

from axes.helpers import (
    get_client_parameters,
    get_client_username,
    get_cool_off,
    get_failure_limit,
)
from axes.models import AccessAttempt
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from vendors.access import client_ip

LOCKED_OUT_STATUS = 429


def client_address(request: HttpRequest) -> str | None:
    """The address failures count against: the portal's rule (vendors.access.client_ip,
    the last entry of PORTAL_CLIENT_IP_HEADER behind a proxy), so one setting serves
    both. None for a sign-in that came over no connection (Django's test client's
    force_login, a management command).
    """
    if "REMOTE_ADDR" not in request.META:
        return None
    return client_ip(request)


def locked_until(request: HttpRequest, credentials: dict | None) -> datetime.datetime:
    """When the sign-in locks that hold for this request lift.

    A lock holds while the failures of the last cool-off period reach the limit; each
    stored attempt carries its latest failure time and its count, so a lock lifts when
    the attempt that brought the count to the limit, counting from the newest, ages out.
    """
    now = getattr(request, "axes_attempt_time", None) or timezone.now()
    cool_off = get_cool_off(request)
    limit = get_failure_limit(request, credentials)
    lifts = []
    for filters in get_client_parameters(
        get_client_username(request, credentials),
        # AxesMiddleware sets these on the request; HttpRequest's stubs do not know them.
        request.axes_ip_address,  # type: ignore[attr-defined]
        request.axes_user_agent,  # type: ignore[attr-defined]
        request,
        credentials,
    ):
        recent = (
            AccessAttempt.objects.filter(**filters, attempt_time__gte=now - cool_off)
            .order_by("-attempt_time")
            .values_list("attempt_time", "failures_since_start")
        )
        counted = 0
        for attempt_time, failures in recent:
            counted += failures
            if counted >= limit:
                lifts.append(attempt_time + cool_off)
                break
    # The longest lock that holds; with none found, a whole cool-off from now.
    return max((lift for lift in lifts if lift > now), default=now + cool_off)


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """The lockout page (status 429, with Retry-After), in the admin's own look."""
    until = locked_until(request, credentials)
    now = getattr(request, "axes_attempt_time", None) or timezone.now()
    seconds = max(1, math.ceil((until - now).total_seconds()))
    context = {
        **admin.site.each_context(request),
        "title": "Sign-in paused",
        "until": until,
        "minutes": math.ceil(seconds / 60),
        "failure_limit": get_failure_limit(request, credentials),
        "cool_off_minutes": round(get_cool_off(request).total_seconds() / 60),
    }
    # Rendered now: a middleware returns this page, after any view has run.
    response = render(request, "admin/locked_out.html", context, status=LOCKED_OUT_STATUS)
    response["Retry-After"] = str(seconds)
    return response
