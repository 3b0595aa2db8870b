"""Honest replies: a post the server could not read is never answered "saved" or
"unchanged". It gets a 4xx saying what is wrong: JSON in the shape portal.js already
shows (an "invalid" reply, with the message beside the question), a page otherwise.

Bodies are bounded before they are read: past PORTAL_MAX_REQUEST_BYTES a post is refused
on its declared length, unread; Django's own limits stop the rest while it is parsed.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import BOUNDARY, MULTIPART_CONTENT, FakePayload, encode_multipart

from questionnaires.models import Answer, AuditEvent, Evidence, ResponseStatus
from tests.vendors.helpers import url
from vendors.forms import PAGE_UNREADABLE
from vendors.post_limits import DAMAGED, NOT_A_FORM, TOO_MANY_FIELDS
from vendors.views import ANSWER_NOT_SENT, NO_FILE, SECTION_NOT_SENT

from .conftest import AS_SCRIPT

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _nothing_written(response):
    assert not Answer.objects.filter(response=response).exists()
    assert not Evidence.objects.filter(answer__response=response).exists()
    assert not AuditEvent.objects.filter(response=response, kind="answer_changed").exists()


def _refusal(reply, status=400):
    assert reply.status_code == status
    assert reply["Content-Type"] == "application/json"
    assert reply["Cache-Control"] == "no-store"
    body = reply.json()
    # The shape portal.js shows without change: "invalid", the words beside the question.
    assert body["status"] == "invalid"
    assert list(body["errors"].values()) == [[body["message"]]]
    return body["message"]


# Autosave --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"live_deployments": "12"},  # the value without the page's revision
        {"other_question-revision": "0", "live_deployments-comment": "x"},
        {"junk": "1", "csrfmiddlewaretoken": "abc"},
    ],
)
def test_an_autosave_without_the_answer_as_the_page_sends_it_is_a_400(client, portal, data):
    token, response = portal
    reply = client.post(url("autosave", token, "live_deployments"), data, **AS_SCRIPT)
    assert _refusal(reply) == ANSWER_NOT_SENT
    _nothing_written(response)


@pytest.mark.parametrize(
    "body, content_type",
    [
        (b'{"live_deployments": 12, "live_deployments-revision": 0}', "application/json"),
        (b"live_deployments=12&live_deployments-revision=0", "text/plain"),
        (b"live_deployments=12", ""),
        (b"<x/>", "application/xml"),
    ],
)
def test_a_post_that_is_not_a_form_is_a_400_not_unchanged(client, portal, body, content_type):
    token, response = portal
    reply = client.post(
        url("autosave", token, "live_deployments"), body, content_type=content_type, **AS_SCRIPT
    )
    assert _refusal(reply) == NOT_A_FORM
    _nothing_written(response)


@pytest.mark.parametrize(
    "content_type, body, message",
    [
        ("multipart/form-data", b"no boundary at all", DAMAGED),
        ("multipart/form-data; boundary=", b"--\r\n", DAMAGED),
        (
            "multipart/form-data; boundary=xyz",
            b'--xyz\r\nContent-Disposition: form-data; name="f"; filename="a.pdf"\r\n'
            b"Content-Transfer-Encoding: base64\r\n\r\n!!!not base64!!\r\n--xyz--\r\n",
            DAMAGED,
        ),
        ("application/x-www-form-urlencoded; charset=latin-1", b"live_deployments=12", DAMAGED),
        # Cut off before its first field: Django reads it as an empty form.
        (
            "multipart/form-data; boundary=xyz",
            b"--xyz\r\nContent-Disposition: form-data\r\n",
            ANSWER_NOT_SENT,
        ),
    ],
)
def test_a_damaged_body_is_a_400_that_says_so(client, portal, content_type, body, message):
    token, response = portal
    reply = client.post(
        url("autosave", token, "live_deployments"), body, content_type=content_type, **AS_SCRIPT
    )
    assert _refusal(reply) == message
    _nothing_written(response)


def test_an_unchanged_answer_is_still_reported_unchanged(client, portal):
    token, _ = portal
    first = client.post(
        url("autosave", token, "live_deployments"),
        {"live_deployments": "12", "live_deployments-revision": 0},
        **AS_SCRIPT,
    ).json()
    again = client.post(
        url("autosave", token, "live_deployments"),
        {"live_deployments": "12", "live_deployments-revision": first["revision"]},
        **AS_SCRIPT,
    ).json()
    assert (first["status"], again["status"]) == ("saved", "unchanged")


# The section page, without the script --------------------------------------------------------


def test_a_section_post_with_none_of_its_answers_is_a_page_saying_nothing_was_saved(client, portal):
    token, response = portal
    page = client.post(url("section", token, "track_record"), {"action": "save"})

    assert page.status_code == 400
    body = page.content.decode()
    assert "Your changes were not saved" in body
    assert SECTION_NOT_SENT.replace("'", "&#x27;") in body
    assert "Your answers are saved" not in body
    assert f'href="{url("section", token, "track_record")}"' in body
    assert page["Cache-Control"] == "no-store"
    _nothing_written(response)


def test_a_section_post_with_a_broken_revision_names_the_question(client, portal):
    token, response = portal
    page = client.post(
        url("section", token, "oversight"),
        {
            "kill_switch_owner": "Ops lead",
            "kill_switch_owner-revision": "not-a-number",
            "live_monitoring": "realtime",
            "live_monitoring-revision": 0,
        },
    )
    body = page.content.decode()
    assert page.status_code == 200
    assert PAGE_UNREADABLE.replace("'", "&#x27;") in body
    stored = dict(Answer.objects.filter(response=response).values_list("question__key", "value"))
    assert stored == {"live_monitoring": "realtime"}


def test_saving_a_section_where_nothing_can_change_says_so(client, portal):
    token, response = portal
    response.status = ResponseStatus.CLARIFICATION_REQUESTED
    response.save(update_fields=["status"])

    page = client.post(url("section", token, "oversight"), {"action": "save"}, follow=True)

    body = page.content.decode()
    assert "Only the answers the analyst reopened can change." in body
    assert "Your answers are saved" not in body


# Uploads -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"some-other-field": SimpleUploadedFile("a.pdf", PDF)},
        {"monitoring_report-evidence": ""},
    ],
)
def test_an_upload_without_a_file_is_a_400_not_saved(client, portal, data):
    token, response = portal
    reply = client.post(url("evidence", token, "monitoring_report"), data, **AS_SCRIPT)
    assert _refusal(reply) == NO_FILE
    _nothing_written(response)


# Bodies bounded before they are read ----------------------------------------------------------


class CountingPayload(FakePayload):
    """A request body that notes how much of it the server read."""

    def __init__(self, content: bytes):
        super().__init__(content)
        self.bytes_read = 0

    def read(self, size=-1):
        data = super().read(size)
        self.bytes_read += len(data)
        return data

    def readline(self, size=-1):
        data = super().readline(size)
        self.bytes_read += len(data)
        return data


def _multipart_post(client, path, data, **extra):
    body = encode_multipart(BOUNDARY, data)
    payload = CountingPayload(body)
    reply = client.generic(
        "POST",
        path,
        content_type=MULTIPART_CONTENT,
        **{"wsgi.input": payload, "CONTENT_LENGTH": str(len(body))},
        **extra,
    )
    return reply, payload


@pytest.mark.parametrize("endpoint", ["autosave", "evidence", "section", "submit"])
def test_a_body_over_the_portal_limit_is_refused_unread(client, portal, settings, endpoint):
    settings.PORTAL_MAX_REQUEST_BYTES = 10_000
    token, response = portal
    args = {
        "autosave": ("monitoring_report",),
        "evidence": ("monitoring_report",),
        "section": ("oversight",),
        "submit": (),
    }[endpoint]
    data = {
        "monitoring_report-revision": "0",
        "monitoring_report-evidence": SimpleUploadedFile("big.pdf", PDF + b"0" * 20_000),
        "confirm": "yes",
    }

    reply, payload = _multipart_post(client, url(endpoint, token, *args), data, **AS_SCRIPT)

    message = _refusal(reply, status=413)
    assert "the portal takes at most 9.8 KB at once" in message
    assert payload.bytes_read == 0
    _nothing_written(response)


def test_a_body_over_the_limit_without_the_script_gets_a_page(client, portal, settings):
    settings.PORTAL_MAX_REQUEST_BYTES = 10_000
    token, _ = portal
    data = {"monitoring_report-evidence": SimpleUploadedFile("big.pdf", PDF + b"0" * 20_000)}
    reply, payload = _multipart_post(client, url("section", token, "oversight"), data)
    assert reply.status_code == 413
    assert "Your changes were not saved" in reply.content.decode()
    assert payload.bytes_read == 0


def test_too_much_text_is_refused_with_the_limit(client, portal, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 50_000
    token, response = portal
    reply = client.post(
        url("autosave", token, "kill_switch_owner"),
        {"kill_switch_owner": "x" * 60_000, "kill_switch_owner-revision": 0},
        **AS_SCRIPT,
    )
    assert "(48.8 KB of text)" in _refusal(reply)
    _nothing_written(response)


def test_too_much_urlencoded_text_is_refused_unread(client, portal, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 50_000
    token, _ = portal
    body = b"kill_switch_owner=" + b"x" * 60_000
    payload = CountingPayload(body)
    reply = client.generic(
        "POST",
        url("autosave", token, "kill_switch_owner"),
        content_type="application/x-www-form-urlencoded",
        **{"wsgi.input": payload, "CONTENT_LENGTH": str(len(body))},
        **AS_SCRIPT,
    )
    assert reply.status_code == 400
    assert payload.bytes_read == 0


def test_too_many_fields_are_refused(client, portal, settings):
    token, response = portal
    data = {f"junk{i}": "x" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 5)}
    data |= {"live_deployments": "12", "live_deployments-revision": "0"}
    for encoded in (True, False):
        if encoded:
            reply = client.post(url("autosave", token, "live_deployments"), data, **AS_SCRIPT)
        else:
            reply = client.post(
                url("autosave", token, "live_deployments"),
                "&".join(f"{k}={v}" for k, v in data.items()),
                content_type="application/x-www-form-urlencoded",
                **AS_SCRIPT,
            )
        assert _refusal(reply) == TOO_MANY_FIELDS
    _nothing_written(response)


def test_too_many_files_at_once_are_refused(client, portal, settings):
    token, response = portal
    files = [
        SimpleUploadedFile(f"f{i}.pdf", PDF)
        for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1)
    ]
    reply = client.post(
        url("evidence", token, "monitoring_report"),
        {"monitoring_report-evidence": files},
        **AS_SCRIPT,
    )
    assert f"at most {settings.DATA_UPLOAD_MAX_NUMBER_FILES} files" in _refusal(reply)
    _nothing_written(response)


def test_limits_apply_to_portal_posts_only_and_never_to_reading_pages(client, portal, settings):
    settings.PORTAL_MAX_REQUEST_BYTES = 10
    token, _ = portal
    assert client.get(url("section", token, "oversight")).status_code == 200
    # Outside the portal, Django's own handling stays (the admin's sign-in here).
    page = client.post("/admin/login/", "x=1", content_type="text/plain")
    assert page.status_code in (200, 403)


def test_removing_a_file_that_is_not_there_replies_with_the_reason_and_the_true_list(
    client, portal
):
    token, _ = portal
    client.post(
        url("evidence", token, "monitoring_report"),
        {"monitoring_report-evidence": SimpleUploadedFile("kept.pdf", PDF)},
        **AS_SCRIPT,
    )
    reply = client.post(url("evidence_remove", token, "monitoring_report", 999_999), **AS_SCRIPT)

    assert reply.status_code == 404
    body = reply.json()
    # portal.js redraws the file list from list_html and shows the errors.
    assert (body["status"], body["errors"]) == ("error", ["No such file in this response."])
    assert "kept.pdf" in body["list_html"]
    assert body["count"] == 1
