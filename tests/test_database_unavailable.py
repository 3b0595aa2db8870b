"""A view that cannot reach the database answers 503 with Retry-After, never 500.

The database is made to fail through Django's own hook for wrapping every query
(`connection.execute_wrapper`), as a restarting server does: the statement raises
OperationalError or InterfaceError. tests/faults/test_postgres_restart.py restarts a
real PostgreSQL under gunicorn.
"""

from __future__ import annotations

import json

import pytest
from django.db import InterfaceError, OperationalError, connection

from questionnaires.models import Answer
from tests.test_settings import load_settings
from tests.vendors.helpers import open_response, url

pytestmark = pytest.mark.django_db


def _failing_with(error: type[Exception]):
    def fail(execute, sql, params, many, context):
        raise error("server closed the connection unexpectedly")

    return fail


@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_an_autosave_that_cannot_reach_the_database_answers_503_in_json(
    client, example_version, error
):
    token, response = open_response(example_version)
    with connection.execute_wrapper(_failing_with(error)):
        reply = client.post(
            url("autosave", token, "kill_switch_owner"),
            {"kill_switch_owner": "Night shift lead", "kill_switch_owner-revision": 0},
            headers={"Accept": "application/json"},
        )

    assert reply.status_code == 503
    assert reply["Content-Type"] == "application/json"
    assert json.loads(reply.content)["status"] == "unavailable"
    assert int(reply["Retry-After"]) > 0
    assert reply["Cache-Control"] == "no-store"
    assert not Answer.objects.filter(response=response).exists()


def test_a_page_that_cannot_reach_the_database_says_so_with_503(client, example_version):
    token, _ = open_response(example_version)
    with connection.execute_wrapper(_failing_with(OperationalError)):
        page = client.get(url("section", token, "oversight"))

    assert page.status_code == 503
    assert int(page["Retry-After"]) > 0
    body = page.content.decode()
    assert "We could not save or load this just now" in body
    assert "Traceback" not in body and "Server Error" not in body
    # Security headers still apply to the outage page.
    assert "script-src 'self'" in page["Content-Security-Policy"]


def test_the_admin_also_answers_503(client, analyst):
    with connection.execute_wrapper(_failing_with(OperationalError)):
        page = client.get("/admin/questionnaires/response/")

    assert page.status_code == 503


def test_other_errors_are_still_server_errors(client, example_version):
    """Only a database out of reach is a passing outage; a bug stays a 500."""
    token, _ = open_response(example_version)

    def broken(execute, sql, params, many, context):
        raise ZeroDivisionError

    client.raise_request_exception = False
    with connection.execute_wrapper(broken):
        page = client.get(url("section", token, "oversight"))

    assert page.status_code == 500


def test_the_outage_is_logged_without_the_private_link(client, example_version, caplog):
    token, _ = open_response(example_version)
    with connection.execute_wrapper(_failing_with(OperationalError)):
        client.get(url("overview", token))

    [record] = [r for r in caplog.records if r.name == "cxvet.middleware"]
    assert "answered 503" in record.getMessage()
    assert token not in record.getMessage()


@pytest.mark.parametrize(
    ("setting", "checked"),
    [({}, "True 60"), ({"DATABASE_CONN_HEALTH_CHECKS": "false"}, "False 60")],
)
def test_kept_connections_are_checked_before_reuse_unless_told_not_to(setting, checked):
    """Checked, a connection a database restart cut is replaced before the request uses
    it (tests/faults/test_postgres_restart.py shows the difference)."""
    result = load_settings(
        show="s.DATABASES['default']['CONN_HEALTH_CHECKS'], s.DATABASES['default']['CONN_MAX_AGE']",
        DEBUG="true",
        DATABASE_URL="postgres://u@127.0.0.1:5432/db",
        **setting,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == checked
