"""An analyst enters a vendor's workbook from the response's admin page: the same
preview and save as the portal's, recorded as the analyst; a reviewer is refused."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from questionnaires.models import Answer, AuditEvent, ResponseStatus
from questionnaires.roles import ANALYST, REVIEWER
from questionnaires.services.answers import AnswerChange, answers_save
from tests.factories import UserFactory, answer_all
from tests.vendors.helpers import open_response
from tests.vendors.workbook_helpers import edited, export
from vendors.models import WorkbookImport


def _page(response, name="questionnaires_response_workbook", *args):
    return reverse(f"admin:{name}", args=[response.pk, *args])


def _member(client, group: str):
    user = UserFactory(
        username=f"{group.lower()}-member", is_superuser=False, first_name="Ann", last_name="Lyst"
    )
    user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    return user


def _stored(response) -> dict:
    return dict(Answer.objects.filter(response=response).values_list("question__key", "value"))


def test_the_response_page_links_to_the_workbook_page(client, example_version):
    _member(client, ANALYST)
    _, response = open_response(example_version)
    page = client.get(reverse("admin:questionnaires_response_change", args=[response.pk]))
    assert _page(response) in page.content.decode()


def test_an_analyst_enters_a_workbook_recorded_as_the_analyst(client, example_version):
    _member(client, ANALYST)
    _, response = open_response(example_version)
    answer_all(response, {"live_deployments": 3})
    data = client.get(_page(response, "questionnaires_response_workbook_download")).content
    filled = edited(data, {"live_deployments": 30, "human_approval_money": "Yes"})

    reply = client.post(_page(response), {"workbook": SimpleUploadedFile("a.xlsx", filled)})
    assert reply.status_code == 302
    pending = WorkbookImport.objects.get(response=response)
    assert pending.via == WorkbookImport.Via.ADMIN
    preview = client.get(reply["Location"]).content.decode()
    assert "1 new, 1 changed" in preview
    assert _stored(response) == {"live_deployments": 3}

    done = client.post(reply["Location"])
    assert done["Location"] == reverse("admin:questionnaires_response_change", args=[response.pk])
    assert _stored(response) == {"live_deployments": 30, "human_approval_money": "yes"}
    actor = "Ann Lyst (analyst, for the vendor, via workbook)"
    events = AuditEvent.objects.filter(response=response, kind=AuditEvent.Kind.ANSWER_CHANGED)
    assert {e.actor_label for e in events} == {actor}
    assert set(Answer.objects.filter(response=response).values_list("updated_by", flat=True)) == {
        actor
    }
    # The response's history (its change page) shows who entered it.
    history = client.get(reverse("admin:questionnaires_response_change", args=[response.pk]))
    assert actor in history.content.decode()


def test_the_admin_preview_shows_a_conflict_and_keeps_the_saved_answer(client, example_version):
    _member(client, ANALYST)
    _, response = open_response(example_version)
    data = export(response)
    answers_save(
        response=response, changes=[AnswerChange("live_deployments", 5, "", 0)], actor="Dana"
    )
    reply = client.post(
        _page(response),
        {"workbook": SimpleUploadedFile("a.xlsx", edited(data, {"live_deployments": 9}))},
    )
    assert "1 in conflict" in client.get(reply["Location"]).content.decode()
    client.post(reply["Location"])
    assert _stored(response) == {"live_deployments": 5}


def test_problems_and_refusals_are_shown_on_the_admin_page(client, example_version):
    _member(client, ANALYST)
    _, response = open_response(example_version)
    data = export(response)
    bad = client.post(
        _page(response),
        {"workbook": SimpleUploadedFile("a.xlsx", edited(data, {"live_deployments": -4}))},
    )
    assert bad.status_code == 400
    assert "Answers!F2</strong>, question 1.1" in bad.content.decode()
    _, other = open_response(example_version)
    foreign = client.post(_page(other), {"workbook": SimpleUploadedFile("a.xlsx", data)})
    assert "downloaded for another response" in foreign.content.decode()
    assert not WorkbookImport.objects.exists()


def test_a_submitted_response_takes_no_workbook_from_the_admin(client, example_version):
    _member(client, ANALYST)
    _, response = open_response(example_version, status=ResponseStatus.SUBMITTED)
    reply = client.post(
        _page(response), {"workbook": SimpleUploadedFile("a.xlsx", export(response))}
    )
    assert reply.status_code == 400
    text = reply.content.decode()
    assert "has been submitted" in text and "ask the analyst" not in text
    page = client.get(_page(response)).content.decode()
    assert 'name="workbook"' not in page and 'id="workbook-closed"' in page
    assert "request a clarification" in page and "ask the analyst" not in page


def test_a_vendors_portal_import_cannot_be_confirmed_from_the_admin(client, example_version):
    _member(client, ANALYST)
    _, response = open_response(example_version)
    pending = WorkbookImport.objects.create(
        response=response,
        via=WorkbookImport.Via.PORTAL,
        entered_by="Dana",
        changes=[
            {"question_key": "live_deployments", "value": 3, "comment": "", "base_revision": 0}
        ],
        questions=["live_deployments"],
        file_name="a.xlsx",
        file_sha256="0" * 64,
    )
    client.post(_page(response, "questionnaires_response_workbook_preview", pending.pk))
    assert _stored(response) == {}


def test_a_reviewer_may_download_the_workbook_but_not_enter_one(client, example_version):
    _member(client, REVIEWER)
    _, response = open_response(example_version)
    download = client.get(_page(response, "questionnaires_response_workbook_download"))
    assert download.status_code == 200 and download.content.startswith(b"PK")
    page = client.get(_page(response))
    assert page.status_code == 200
    text = page.content.decode()
    assert 'id="workbook-download"' in text and 'name="workbook"' not in text
    assert 'id="workbook-read-only"' in text
    # The response page offers the reviewer the download, not the entry.
    change = client.get(reverse("admin:questionnaires_response_change", args=[response.pk]))
    assert 'id="download-workbook"' in change.content.decode()
    assert 'id="enter-workbook"' not in change.content.decode()
    reply = client.post(
        _page(response), {"workbook": SimpleUploadedFile("a.xlsx", export(response))}
    )
    assert reply.status_code == 403
    assert not WorkbookImport.objects.exists()


def test_a_reviewer_cannot_confirm_a_waiting_import(client, example_version):
    _, response = open_response(example_version)
    pending = WorkbookImport.objects.create(
        response=response,
        via=WorkbookImport.Via.ADMIN,
        entered_by="Ann",
        changes=[
            {"question_key": "live_deployments", "value": 3, "comment": "", "base_revision": 0}
        ],
        questions=["live_deployments"],
        file_name="a.xlsx",
        file_sha256="0" * 64,
    )
    _member(client, REVIEWER)
    path = _page(response, "questionnaires_response_workbook_preview", pending.pk)
    assert client.get(path).status_code == 403
    assert client.post(path).status_code == 403
    assert _stored(response) == {}
