"""Response headers: the Content-Security-Policy every page gets, and what every file
download gets on top (docs/security.md).

The policy itself is settings.CONTENT_SECURITY_POLICY, applied by django-csp. Its
middleware builds the header anew for each response, which cost about 0.12 ms here,
against about 1.7 ms for a whole cached portal page; the subclass below builds it once
per process for every response that nothing asked to differ.

A download is any response sent as an attachment (evidence files, PDF reports, XLSX
and CSV exports). Evidence comes from vendors, who are untrusted: if a browser were ever
to open such a file in place of saving it, a sandboxing policy with nothing allowed
keeps whatever it holds from running scripts or reaching this site with the analyst's
cookies. One middleware instead of a line in each view, so a new download cannot
forget it.
"""

from __future__ import annotations

import functools
import http.client
from collections.abc import Callable
from typing import Any

from csp.constants import HEADER
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponseBase

# What a view sets (django-csp's decorators) to make its response's policy differ.
_PER_RESPONSE = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_exempt",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
    "_csp_exempt_ro",
)
_DEBUG_PAGES = (http.client.NOT_FOUND, http.client.INTERNAL_SERVER_ERROR)


@functools.cache
def site_policy() -> str:
    """The header value settings.CONTENT_SECURITY_POLICY gives, built once."""
    return build_policy()


@receiver(setting_changed)
def _forget_policy(*, setting: str, **kwargs: Any) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        site_policy.cache_clear()


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware with the site-wide header built once.

    A response whose view used django-csp's decorators, a page that asked for a nonce,
    a report-only policy, excluded paths, and Django's debug pages all take django-csp's
    own way, unchanged.
    """

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if not self._is_site_wide(request, response):
            return super().process_response(request, response)
        if HEADER not in response:
            response[HEADER] = site_policy()
        # As django-csp does: a nonce asked for after the header is written is an error.
        # django-csp adds `csp_nonce` to the request; HttpRequest's stubs do not know it.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response

    @staticmethod
    def _is_site_wide(request: HttpRequest, response: HttpResponseBase) -> bool:
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}
        return not (
            getattr(request, "_csp_nonce", None) is not None
            or any(hasattr(response, name) for name in _PER_RESPONSE)
            or getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
            or policy.get("EXCLUDE_URL_PREFIXES")
            or (settings.DEBUG and response.status_code in _DEBUG_PAGES)
        )


def is_download(response: HttpResponseBase) -> bool:
    disposition = response.get("Content-Disposition", "")
    return disposition.strip().lower().startswith("attachment")


class DownloadHeadersMiddleware:
    """Give attachments the download policy (settings.DOWNLOAD_CSP) and nosniff.

    Sits below the CSP middleware, which leaves a policy already set alone.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if is_download(response):
            response["Content-Security-Policy"] = settings.DOWNLOAD_CSP
            response["X-Content-Type-Options"] = "nosniff"
        return response
