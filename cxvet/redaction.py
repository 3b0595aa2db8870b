"""Private link tokens kept out of the logs.

A vendor's private link is `/portal/<token>/...`: whoever reads a log line holding one
can open and change that vendor's response. Django logs the path of every 4xx and 5xx
reply (`django.request`, "Not Found: /portal/..."), runserver and gunicorn log every
request line, and an exception's message may quote the URL or the token itself.
`PortalTokenFilter`, on every handler of the settings' LOGGING and on gunicorn's own
loggers (cxvet.gunicorn_logging), rewrites such records before anything writes them:
the path segment after `/portal/` becomes `[redacted]`, and so does the request's own
token wherever else it appears in the record.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

from django.http import HttpRequest

REDACTED = "[redacted]"
# The segment after /portal/ (the token, or whatever was sent in its place: a link cut
# short or mistyped is nearly the token) where /portal/ begins a path, alone or after a
# host (not /static/portal/...), plain or percent-encoded (a `next=` query).
_PLAIN = re.compile(r"((?:^|[\s\"'(<=,;]|//[^/\s\"'<>]*)/portal/)[^/?#\s\"'<>\\]+")
_ENCODED = re.compile(
    r"(?i)((?:^|[\s\"'(<=&,;]|%2F%2F[^/%\s\"'<>&]*)%2Fportal%2F)[^/?#&\s\"'<>\\%]+"
)
# A raw token is searched for elsewhere in a record only when it is this long: real
# tokens have 43 characters, and a short guess ("x") would blank out ordinary words.
_MIN_RAW_TOKEN = 20


def redact(text: str, *tokens: str) -> str:
    """`text` with every portal token in a path, and each of `tokens`, replaced."""
    text = _ENCODED.sub(rf"\1{REDACTED}", _PLAIN.sub(rf"\1{REDACTED}", text))
    for token in tokens:
        text = text.replace(token, REDACTED)
    return text


def path_token(path: str) -> str | None:
    """The token a portal path carries, if it is long enough to look for elsewhere."""
    match = _PLAIN.match(path)
    token = match.group(0)[len(match.group(1)) :] if match else ""
    return token if len(token) >= _MIN_RAW_TOKEN else None


class PortalTokenFilter(logging.Filter):
    """Rewrites a record so that it holds no portal token: its message and arguments,
    the text of its exception and stack, and the request Django attaches (its path and
    environment). Never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            self._redact(record)
        except Exception:
            # Arguments that do not fit the message: a filter that raised would break
            # the code that logged, so keep the message alone, redacted.
            record.msg, record.args = redact(str(record.msg)) + " (arguments unreadable)", ()
        return True

    def _redact(self, record: logging.LogRecord) -> None:
        request = getattr(record, "request", None)
        tokens: tuple[str, ...] = ()
        if isinstance(request, HttpRequest):
            token = path_token(request.path)
            tokens = (token,) if token else ()
            if token or _PLAIN.search(request.path):
                record.request = _redacted_request(request, tokens)
        message = record.getMessage()
        clean = redact(message, *tokens)
        if clean != message:
            # Formatted here: an argument of any type (a request, a URL object) may
            # print the token, and the handler then has nothing left to format.
            record.msg, record.args = clean, ()
        if record.exc_info and not record.exc_text:
            # What Formatter.format would write; it uses exc_text once set.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, *tokens)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, *tokens)


def _redacted_request(request: HttpRequest, tokens: tuple[str, ...]) -> HttpRequest:
    """A copy of the request for the record, its path and environment redacted; the
    request itself, still in use, is left alone."""
    copied = copy.copy(request)
    copied.path = redact(request.path, *tokens)
    copied.path_info = redact(request.path_info, *tokens)
    meta: dict[str, Any] = {
        key: redact(value, *tokens) if isinstance(value, str) else value
        for key, value in request.META.items()
    }
    copied.META = meta
    if hasattr(copied, "environ"):
        copied.environ = meta
    # The URL's arguments, the token among them.
    copied.resolver_match = None
    return copied
