"""No log line holds a private link's token (cxvet/redaction.py).

Django logs the path of every 4xx and 5xx reply, runserver every request line, and an
exception may quote a URL: the portal's URLs start with the token. These tests send
such requests with real tokens through the configured logging, record what every
handler the project's settings leave in place would write (after its filters), and
search each record for the tokens.
"""

from __future__ import annotations

import logging

import pytest
from django.test import Client, RequestFactory
from django.utils import timezone

from cxvet.redaction import REDACTED, PortalTokenFilter, redact
from tests.vendors.helpers import open_response, url

pytestmark = pytest.mark.django_db


def _configured_handlers() -> list[logging.Handler]:
    """Every handler on every logger, the ones pytest adds to capture output excepted."""
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    handlers = {id(h): h for logger in loggers for h in logger.handlers}
    return [h for h in handlers.values() if not type(h).__module__.startswith("_pytest")]


@pytest.fixture
def emitted(monkeypatch) -> list[tuple[logging.Handler, str, logging.LogRecord]]:
    """(handler, text it writes, record) for each record a handler's filters let through."""
    captured: list[tuple[logging.Handler, str, logging.LogRecord]] = []
    for handler in _configured_handlers():

        def emit(record: logging.LogRecord, handler: logging.Handler = handler) -> None:
            captured.append((handler, handler.format(record), record))

        monkeypatch.setattr(handler, "emit", emit)
    return captured


def _texts(text: str, record: logging.LogRecord) -> list[str]:
    """What a handler could write of a record: its text, message and exception, and the
    request Django attaches (an error email shows its path and environment)."""
    texts = [text, record.getMessage(), record.exc_text or "", record.stack_info or ""]
    request = getattr(record, "request", None)
    if hasattr(request, "META"):
        texts += [request.path, request.path_info, request.get_full_path()]
        texts += [str(v) for v in request.META.values()]
        texts.append(repr(getattr(request, "resolver_match", None)))
    return texts


def _assert_no_token(emitted, *tokens: str) -> None:
    assert emitted, "the requests should have been logged"
    for handler, text, record in emitted:
        for part in _texts(text, record):
            for token in tokens:
                assert token not in part, f"{handler!r} would write the token: {part!r}"


def test_portal_404s_and_410s_log_no_token(client, example_version, emitted):
    token, _ = open_response(example_version)
    revoked, response = open_response(example_version)
    response.access_links.update(revoked_at=timezone.now())
    mistyped = token[:-1]  # a link cut short is nearly the token

    replies = [
        client.get(url("section", token, "no-such-section")),
        client.get(url("overview", mistyped)),
        client.get(url("overview", revoked)),
        client.get(
            url("section", revoked, "oversight"), HTTP_REFERER=f"http://x{url('overview', token)}"
        ),
        client.get(url("autosave", token, "kill_switch_owner")),  # 405: POST only
        Client(enforce_csrf_checks=True).post(url("autosave", token, "kill_switch_owner")),
    ]

    assert [r.status_code for r in replies] == [404, 404, 410, 410, 405, 403]
    _assert_no_token(emitted, token, mistyped, revoked)
    messages = [record.getMessage() for _, _, record in emitted]
    assert "Not Found: /portal/[redacted]/sections/no-such-section/" in messages
    assert "Gone: /portal/[redacted]/" in messages


def test_the_development_servers_request_lines_hold_no_token(example_version, emitted):
    token, _ = open_response(example_version)

    # As django.core.servers.basehttp.WSGIRequestHandler.log_message logs each request.
    logging.getLogger("django.server").info(
        '"%s" %s %s',
        f"GET {url('overview', token)} HTTP/1.1",
        "200",
        "5120",
        extra={"request": object(), "server_time": "01/Dec/2026 10:00:00", "status_code": 200},
    )

    _assert_no_token(emitted, token)
    assert any("/portal/[redacted]/" in text for _, text, _ in emitted)


def test_an_exception_quoting_the_token_is_redacted_with_its_request(example_version, emitted):
    token, _ = open_response(example_version)
    request = RequestFactory().get(url("section", token, "oversight"))

    try:
        raise ValueError(f"Reverse for 'section' with arguments '({token!r}, 'x')' not found")
    except ValueError:
        logging.getLogger("django.request").exception(
            "Internal Server Error: %s", request.path, extra={"request": request}
        )

    _assert_no_token(emitted, token)
    assert any(REDACTED in (record.exc_text or "") for _, _, record in emitted)
    # The request being served keeps its path.
    assert request.path == url("section", token, "oversight")


def test_the_filter_leaves_other_records_as_they_were():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "Saved %s of %d", ("a", 3), None)

    assert PortalTokenFilter().filter(record)
    assert (record.msg, record.args) == ("Saved %s of %d", ("a", 3))


def test_a_record_whose_arguments_do_not_fit_is_kept_not_raised():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "/portal/abc/ %d", ("x",), None)

    assert PortalTokenFilter().filter(record)
    assert record.getMessage() == "/portal/[redacted]/ %d (arguments unreadable)"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "GET /portal/abcDEF_-123/sections/x/ HTTP/1.1",
            "GET /portal/[redacted]/sections/x/ HTTP/1.1",
        ),
        ("https://h/portal/abc", "https://h/portal/[redacted]"),
        (
            "/admin/login/?next=%2Fportal%2Fabc%2Fsent%2F",
            "/admin/login/?next=%2Fportal%2F[redacted]%2Fsent%2F",
        ),
        ('"/portal/abc/" and /portal/def?x=1', '"/portal/[redacted]/" and /portal/[redacted]?x=1'),
        ("/admin/vendors/", "/admin/vendors/"),
        ("GET /static/portal/portal.css HTTP/1.1", "GET /static/portal/portal.css HTTP/1.1"),
        ("/portal/abc/", "/portal/[redacted]/"),
    ],
)
def test_redact(text, expected):
    assert redact(text) == expected


def test_the_portal_is_mounted_where_the_filter_looks():
    assert url("overview", "t").startswith("/portal/t/")


def test_a_celery_workers_own_handlers_redact_too():
    from celery.signals import after_setup_logger

    logger = logging.getLogger("test-worker-root")
    handler = logging.StreamHandler()
    logger.addHandler(handler)
    try:
        after_setup_logger.send(sender=None, logger=logger, loglevel=logging.INFO)
        after_setup_logger.send(sender=None, logger=logger, loglevel=logging.INFO)
    finally:
        logger.removeHandler(handler)

    assert [type(f) for f in handler.filters] == [PortalTokenFilter]
