"""The one way this project turns HTML into PDF: WeasyPrint, locked down.

Reports print text that vendors typed. Django's autoescaping keeps that text from
becoming markup, and this module makes sure that even markup that slipped through
could not read anything: the URL fetcher serves only the project's own static files
and `data:` URIs, refuses every other scheme (no network, so no redirects either),
and the base URL is the static directory, so a relative reference cannot climb out
of it. WeasyPrint's default fetcher, by contrast, embeds local files and internal
URLs (`<link rel="attachment" href="file:///...">`) into the PDF.

Every PDF is produced by `render_pdf`; nothing else in the project calls WeasyPrint.
"""

from __future__ import annotations

import functools
import logging
import mimetypes
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from django.conf import settings

# WeasyPrint reports every layout step of every page at INFO; that floods worker logs.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

from weasyprint import HTML  # noqa: E402
from weasyprint.urls import URLFetcher, URLFetcherResponse, path2url  # noqa: E402

logger = logging.getLogger(__name__)


class FetchRefused(ValueError):
    """A resource outside the project's static files was requested while rendering.

    WeasyPrint catches it, logs it and renders on without the resource, which is what
    we want for an image reference hidden in vendor text.
    """


class StaticOnlyFetcher(URLFetcher):
    """Serves `data:` URIs and files under the given directories; refuses the rest."""

    def __init__(self, roots: tuple[Path, ...]):
        super().__init__(timeout=5, allowed_protocols=("data", "file"), allow_redirects=False)
        self.roots = tuple(root.resolve() for root in roots)

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = self.allowed_path(url)
            content_type, _ = mimetypes.guess_type(path.name)
            return URLFetcherResponse(
                path2url(path),
                body=path.read_bytes(),
                headers={"Content-Type": content_type or "application/octet-stream"},
            )
        raise self._refuse(url, f"the {scheme or 'missing'} scheme is not allowed")

    def allowed_path(self, url: str) -> Path:
        """The real path of a file: URL, if it lies inside a static directory."""
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise self._refuse(url, "file URLs on another host are not allowed")
        # resolve() follows symlinks and `..`, so neither can lead outside the roots.
        path = Path(url2pathname(parts.path)).resolve()
        if not any(path.is_relative_to(root) for root in self.roots):
            raise self._refuse(url, "only the project's static files may be used")
        if not path.is_file():
            raise self._refuse(url, "no such static file")
        return path

    def _refuse(self, url: str, reason: str) -> FetchRefused:
        logger.warning("PDF rendering refused to fetch %.200s: %s", url, reason)
        return FetchRefused(f"{reason}: {url[:200]}")


def static_roots() -> tuple[Path, ...]:
    """The directories a report may load files from: the project's static files."""
    roots = [Path(d) for d in settings.STATICFILES_DIRS]
    if settings.STATIC_ROOT:
        roots.append(Path(settings.STATIC_ROOT))
    return tuple(roots)


@functools.lru_cache(maxsize=4)
def _fetcher_for(roots: tuple[Path, ...]) -> StaticOnlyFetcher:
    # One per process: building a fetcher loads the CA certificates every time.
    return StaticOnlyFetcher(roots)


def url_fetcher() -> StaticOnlyFetcher:
    return _fetcher_for(static_roots())


def render_pdf(html: str) -> bytes:
    """Render a complete HTML document to PDF bytes, fetching only static files."""
    fetcher = url_fetcher()
    base_url = path2url(fetcher.roots[0]) if fetcher.roots else None
    document = HTML(string=html, base_url=base_url, url_fetcher=fetcher)
    return document.write_pdf(presentational_hints=False, attachments=None)
