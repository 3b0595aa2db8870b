"""Headers on every file download: never sniffed, never run, never framed.

A download is any response sent as an attachment (evidence files, PDF reports, XLSX and
CSV exports). Evidence comes from vendors, who are untrusted: if a browser were ever to
open such a file in place of saving it, a sandboxing policy with nothing allowed keeps
whatever it holds from running scripts or reaching this site with the analyst's cookies.
One middleware instead of a line in each view, so a new download cannot forget it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase


def is_download(response: HttpResponseBase) -> bool:
    disposition = response.get("Content-Disposition", "")
    return disposition.strip().lower().startswith("attachment")


class DownloadHeadersMiddleware:
    """Give attachments the download policy (settings.DOWNLOAD_CSP) and nosniff.

    Sits below django-csp's middleware, which leaves a policy already set alone.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if is_download(response):
            response["Content-Security-Policy"] = settings.DOWNLOAD_CSP
            response["X-Content-Type-Options"] = "nosniff"
        return response
