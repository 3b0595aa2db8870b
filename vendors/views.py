"""The vendor portal: thin views over the access helper, the forms and the services."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def overview(request: HttpRequest, token: str) -> HttpResponse:
    return HttpResponse("")
