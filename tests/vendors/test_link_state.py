"""The portal marks its own "this link does not work" replies (X-Portal-Link), the only
replies after which portal.js gives up saving; every other error it retries."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from tests.vendors.helpers import open_response, url
from vendors.access import LINK_STATE_HEADER

pytestmark = pytest.mark.django_db


def _autosave(client, token, question="kill_switch_owner"):
    return client.post(
        url("autosave", token, question),
        {question: "Night shift lead", f"{question}-revision": 0},
        headers={"Accept": "application/json"},
    )


def test_a_revoked_or_expired_link_is_marked_gone(client, example_version):
    revoked, response = open_response(example_version)
    response.access_links.update(revoked_at=timezone.now())
    expired, _ = open_response(example_version, due_date=datetime.date(2000, 1, 1))

    for token in (revoked, expired):
        reply = _autosave(client, token)
        assert reply.status_code == 410
        assert reply[LINK_STATE_HEADER] == "gone"


def test_an_unknown_link_or_question_is_marked_not_found(client, example_version):
    token, _ = open_response(example_version)

    assert _autosave(client, "x" * 43)[LINK_STATE_HEADER] == "not-found"
    assert _autosave(client, token, "no_such_question")[LINK_STATE_HEADER] == "not-found"


def test_the_apps_other_replies_carry_no_marker(client, example_version):
    token, _ = open_response(example_version)
    saved = _autosave(client, token)
    missing_file = client.post(url("evidence_remove", token, "monitoring_report", 999))

    assert saved.status_code == 200
    assert missing_file.status_code == 404  # JSON: the file, not the link, is gone
    assert LINK_STATE_HEADER not in saved
    assert LINK_STATE_HEADER not in missing_file
