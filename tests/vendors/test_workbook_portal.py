"""The portal's workbook pages: download, upload, the preview (new, changed, unchanged,
conflicts), confirming through the autosave's save, editability and isolation."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from questionnaires.models import Answer, AuditEvent, ResponseStatus
from questionnaires.services.answers import (
    AnswerChange,
    AnswerState,
    answers_save,
    response_submit,
)
from questionnaires.services.reviews import clarification_request
from tests.factories import UserFactory, answer_all
from tests.vendors.helpers import open_response, url
from tests.vendors.workbook_helpers import edited, export
from vendors.models import WorkbookImport
from vendors.workbook.preview import CHANGED, CONFLICT, LOCKED, NEW, UNCHANGED, classify
from vendors.workbook.uploads import workbook_actor

COMPLETE = {
    "live_deployments": 12,
    "rollback_rate": 8,
    "live_monitoring": "realtime",
    "human_approval_money": "yes",
}


def _stored(response) -> dict:
    return {
        key: (value, comment)
        for key, value, comment in Answer.objects.filter(response=response).values_list(
            "question__key", "value", "comment"
        )
    }


def _upload(client, token, data, name="answers.xlsx"):
    return client.post(url("workbook", token), {"workbook": SimpleUploadedFile(name, data)})


# The classification (pure) -----------------------------------------------------------------


def _state(key, value, comment="", revision=1):
    return AnswerState(key, value, comment, revision)


def test_classify_sorts_new_changed_unchanged_conflict_and_locked():
    stored = {
        "b": _state("b", 5),
        "c": _state("c", 5),
        "d": _state("d", 7, revision=3),  # saved twice since the workbook (revision 1)
        "e": _state("e", 1),
        "f": _state("f", 9, revision=2),  # saved since, to what the workbook says
    }
    changes = [
        AnswerChange("a", 1, "", 0),
        AnswerChange("b", 6, "", 1),
        AnswerChange("d", 8, "", 1),
        AnswerChange("e", 2, "", 1),
        AnswerChange("f", 9, "", 1),
    ]
    preview = classify(
        keys=["a", "b", "c", "d", "e", "f"],
        changes=changes,
        stored=stored,
        editable={"a", "b", "c", "d", "f"},
    )
    assert [(i.question_key, i.status) for i in preview.items] == [
        ("a", NEW),
        ("b", CHANGED),
        ("c", UNCHANGED),
        ("d", CONFLICT),
        ("e", LOCKED),
        ("f", UNCHANGED),
    ]
    assert preview.to_apply == ["a", "b"]
    conflict = preview.of(CONFLICT)[0]
    assert conflict.stored == (7, "") and conflict.workbook == (8, "")


def test_classify_a_comment_alone_is_a_change():
    preview = classify(
        keys=["a"],
        changes=[AnswerChange("a", 5, "Since May", 1)],
        stored={"a": _state("a", 5)},
        editable={"a"},
    )
    assert preview.items[0].status == CHANGED


def test_classify_an_answer_row_without_a_value_or_comment_counts_as_new():
    preview = classify(
        keys=["a"],
        changes=[AnswerChange("a", 5, "", 2)],
        stored={"a": _state("a", None, revision=2)},
        editable={"a"},
    )
    assert preview.items[0].status == NEW


# Download ----------------------------------------------------------------------------------


def test_the_overview_links_to_the_workbook_page(client, example_version):
    token, _ = open_response(example_version)
    body = client.get(url("overview", token)).content.decode()
    assert url("workbook", token) in body


def test_the_download_is_a_private_attachment(client, example_version):
    token, _response = open_response(example_version)
    reply = client.get(url("workbook_download", token))
    assert reply.status_code == 200
    assert reply["Content-Type"].startswith("application/vnd.openxmlformats")
    assert reply["Content-Disposition"].startswith("attachment; filename=")
    assert reply["Cache-Control"] == "no-store"
    assert reply.content[:2] == b"PK"


# Upload, preview, confirm ---------------------------------------------------------------------


def test_upload_previews_then_confirm_saves_as_autosave_does(client, example_version):
    token, response = open_response(example_version)
    answer_all(response, {"live_deployments": 3})
    data = export(response)
    filled = edited(
        data,
        {"live_deployments": 12, "live_monitoring": "Real-time monitoring with alerting"},
        comments={"live_monitoring": "Paged 24x7"},
    )

    reply = _upload(client, token, filled)
    assert reply.status_code == 302
    pending = WorkbookImport.objects.get(response=response)
    assert reply["Location"] == url("workbook_preview", token, pending.pk)
    assert _stored(response) == {"live_deployments": (3, "")}  # nothing saved yet

    page = client.get(reply["Location"]).content.decode()
    assert "1 new, 1 changed" in page
    assert 'data-key="live_monitoring"' in page and "Paged 24x7" in page
    assert "Documents are uploaded in the portal" in page

    done = client.post(reply["Location"])
    assert done.status_code == 302 and done["Location"] == url("overview", token)
    assert _stored(response) == {
        "live_deployments": (12, ""),
        "live_monitoring": ("realtime", "Paged 24x7"),
    }
    events = AuditEvent.objects.filter(response=response, kind=AuditEvent.Kind.ANSWER_CHANGED)
    assert {e.data["question"]: e.data["old_value"] for e in events} == {
        "live_deployments": 3,
        "live_monitoring": None,
    }
    # Recorded as the contact whose link uploaded it, as an autosave is.
    labels = {e.actor_label for e in events}
    assert len(labels) == 1
    (label,) = labels
    assert label.startswith("Dana Vendor <") and label.endswith("> (vendor, via workbook)")
    assert set(Answer.objects.filter(response=response).values_list("updated_by", flat=True)) == {
        label
    }
    assert not WorkbookImport.objects.exists()  # applied: gone
    assert "answers are saved: 2 changed." in client.get(url("overview", token)).content.decode()


def test_a_second_confirm_saves_nothing_twice(client, example_version):
    token, response = open_response(example_version)
    reply = _upload(client, token, edited(export(response), {"live_deployments": 4}))
    client.post(reply["Location"])
    again = client.post(reply["Location"], follow=True)
    assert "no longer waiting" in again.content.decode()
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.ANSWER_CHANGED).count() == 1


def test_problems_are_listed_and_nothing_is_kept(client, example_version):
    token, response = open_response(example_version)
    reply = _upload(
        client, token, edited(export(response), {"live_deployments": -1, "live_monitoring": "x"})
    )
    assert reply.status_code == 400
    body = reply.content.decode()
    assert "2 cells to correct" in body
    assert "Answers!F2</strong>, question 1.1" in body
    assert not WorkbookImport.objects.exists()
    assert _stored(response) == {}


def test_a_refused_file_says_why(client, example_version):
    token, _ = open_response(example_version)
    reply = _upload(client, token, b"hello", name="answers.xlsm")
    assert reply.status_code == 400
    assert "macro-enabled workbook" in reply.content.decode()


def test_no_file_says_to_choose_one(client, example_version):
    token, _ = open_response(example_version)
    reply = client.post(url("workbook", token), {})
    assert reply.status_code == 400
    assert "No file arrived" in reply.content.decode()


def test_a_conflict_with_an_answer_saved_since_the_download_is_shown_and_kept(
    client, example_version
):
    token, response = open_response(example_version)
    answer_all(response, {"live_deployments": 3})
    revision = response.answers.get().revision
    data = export(response)
    # A colleague saves in the portal after the download.
    answers_save(
        response=response,
        changes=[AnswerChange("live_deployments", 5, "", revision)],
        actor="Colleague",
    )
    reply = _upload(
        client, token, edited(data, {"live_deployments": 9, "human_approval_money": "No"})
    )
    page = client.get(reply["Location"]).content.decode()
    assert "1 in conflict" in page
    assert 'id="workbook-conflicts"' in page
    assert "Changed in the portal since you downloaded the workbook" in page

    client.post(reply["Location"])
    assert _stored(response)["live_deployments"] == (5, "")  # kept as the colleague saved
    assert _stored(response)["human_approval_money"] == ("no", "")


def test_a_conflict_arising_between_preview_and_confirm_is_kept_too(client, example_version):
    token, response = open_response(example_version)
    reply = _upload(client, token, edited(export(response), {"live_deployments": 9}))
    answers_save(
        response=response, changes=[AnswerChange("live_deployments", 5, "", 0)], actor="Other"
    )
    done = client.post(reply["Location"], follow=True)
    assert (
        "Kept as saved, since they changed in the portal after the workbook was downloaded: "
        "question 1.1; check them in the portal."
    ) in done.content.decode()
    assert _stored(response)["live_deployments"] == (5, "")


def test_a_newer_upload_replaces_the_waiting_one(client, example_version):
    token, response = open_response(example_version)
    data = export(response)
    first = _upload(client, token, edited(data, {"live_deployments": 1}))
    second = _upload(client, token, edited(data, {"live_deployments": 2}))
    assert WorkbookImport.objects.filter(response=response).count() == 1
    gone = client.post(first["Location"], follow=True)
    assert "no longer waiting" in gone.content.decode()
    client.post(second["Location"])
    assert _stored(response)["live_deployments"] == (2, "")


def test_an_old_preview_expires(client, example_version, settings):
    token, response = open_response(example_version)
    reply = _upload(client, token, edited(export(response), {"live_deployments": 1}))
    WorkbookImport.objects.update(
        created_at=timezone.now() - datetime.timedelta(hours=settings.WORKBOOK_IMPORT_HOURS + 1)
    )
    client.post(reply["Location"])
    assert _stored(response) == {}


# Editability -------------------------------------------------------------------------------------


def test_a_submitted_response_takes_no_workbook(client, example_version):
    token, response = open_response(example_version)
    data = export(response)
    answer_all(response, COMPLETE)
    response_submit(response=response, actor="Dana")
    reply = _upload(client, token, edited(data, {"kill_switch_owner": "Ops"}))
    assert reply.status_code == 400
    assert "has been submitted" in reply.content.decode()


def test_a_response_submitted_between_preview_and_confirm_is_not_changed(client, example_version):
    token, response = open_response(example_version)
    answer_all(response, COMPLETE)
    reply = _upload(client, token, edited(export(response), {"kill_switch_owner": "Ops"}))
    response_submit(response=response, actor="Dana")
    done = client.post(reply["Location"], follow=True)
    assert "can no longer change" in done.content.decode()
    assert "kill_switch_owner" not in _stored(response)


def test_during_clarification_only_reopened_answers_change(client, example_version):
    token, response = open_response(example_version)
    answer_all(response, COMPLETE)
    response_submit(response=response, actor="Dana")
    clarification_request(
        response=response, questions={"rollback_rate": "Which period?"}, user=UserFactory()
    )
    response.refresh_from_db()
    data = export(response)
    reply = _upload(client, token, edited(data, {"rollback_rate": 9, "live_deployments": 40}))
    page = client.get(reply["Location"]).content.decode()
    assert "1 changed" in page and "1 not reopened" in page
    done = client.post(reply["Location"], follow=True).content.decode()
    assert "Not changed, as only the answers the analyst reopened can change: question 1.1." in done
    stored = _stored(response)
    assert stored["rollback_rate"] == (9, "")
    assert stored["live_deployments"] == (12, "")


# Isolation -----------------------------------------------------------------------------------------


def test_another_responses_workbook_is_refused(client, example_version):
    token, _ = open_response(example_version)
    _, other = open_response(example_version)
    reply = _upload(client, token, edited(export(other), {"live_deployments": 1}))
    assert reply.status_code == 400
    assert "downloaded for another response" in reply.content.decode()
    assert _stored(other) == {}


def test_another_responses_preview_cannot_be_opened_or_confirmed(client, example_version):
    token, _ = open_response(example_version)
    other_token, other = open_response(example_version)
    reply = _upload(client, other_token, edited(export(other), {"live_deployments": 1}))
    pending = WorkbookImport.objects.get(response=other)
    foreign = url("workbook_preview", token, pending.pk)
    assert client.get(foreign).status_code == 302
    client.post(foreign)
    assert _stored(other) == {}
    assert WorkbookImport.objects.filter(pk=pending.pk).exists()
    assert reply.status_code == 302


def test_an_analysts_import_cannot_be_confirmed_through_the_portal(client, example_version):
    token, response = open_response(example_version)
    pending = WorkbookImport.objects.create(
        response=response,
        via=WorkbookImport.Via.ADMIN,
        entered_by="Ann (analyst, for the vendor)",
        changes=[
            {"question_key": "live_deployments", "value": 3, "comment": "", "base_revision": 0}
        ],
        questions=["live_deployments"],
        file_name="a.xlsx",
        file_sha256="0" * 64,
    )
    client.post(url("workbook_preview", token, pending.pk))
    assert _stored(response) == {}


@pytest.mark.parametrize("name", ["workbook", "workbook_download"])
def test_an_unknown_token_opens_no_workbook(client, db, name):
    assert client.get(url(name, "x" * 43)).status_code == 404


def test_the_preview_says_which_answers_are_ignored_as_not_asked(client, example_version):
    token, response = open_response(example_version)
    filled = edited(export(response), {"live_deployments": 0, "rollback_rate": 12})
    reply = _upload(client, token, filled)
    page = client.get(reply["Location"]).content.decode()
    assert 'id="workbook-not-asked"' in page
    assert "1.2 (Of those deployments" in page
    client.post(reply["Location"])
    assert _stored(response) == {"live_deployments": (0, "")}


def test_a_file_over_the_limit_is_refused_by_its_size(client, example_version, settings):
    token, response = open_response(example_version)
    data = export(response)
    settings.WORKBOOK_MAX_BYTES = len(data) // 2
    reply = _upload(client, token, data)
    assert reply.status_code == 400
    assert "a workbook can be at most" in reply.content.decode()


def test_a_file_dropped_while_it_streamed_in_says_why(client, example_version, settings):
    token, response = open_response(example_version)
    data = export(response)
    settings.EVIDENCE_MAX_BYTES = len(data) // 2  # the upload handlers' per-file limit
    reply = _upload(client, token, data)
    assert reply.status_code == 400
    assert "the limit for one file" in reply.content.decode()
    assert not WorkbookImport.objects.exists()


def test_classify_the_same_choices_in_another_order_are_unchanged():
    stored = {"m": _state("m", ["cost", "latency"])}
    changes = [AnswerChange("m", ["latency", "cost"], "", 1, (["cost", "latency"], ""))]
    preview = classify(keys=["m"], changes=changes, stored=stored, editable={"m"})
    assert [item.status for item in preview.items] == [UNCHANGED]


def test_saving_the_same_choices_in_another_order_writes_nothing(example_version):
    _, response = open_response(example_version)
    answer_all(response, {"rollback_rate": 5, "rollback_reasons": ["cost", "hallucination"]})
    stored = (["cost", "hallucination"], "")
    for changes in (
        # One change (the in-place path), then several (the general path).
        [AnswerChange("rollback_reasons", ["hallucination", "cost"], "", 1, stored)],
        [
            AnswerChange("rollback_reasons", ["hallucination", "cost"], "", 1, stored),
            AnswerChange("rollback_rate", 5, "", 1, (5, "")),
        ],
    ):
        outcome = answers_save(response=response, changes=changes, actor="Dana")
        assert outcome.results["rollback_reasons"].status == "unchanged"
    assert _stored(response)["rollback_reasons"] == (["cost", "hallucination"], "")
    assert not AuditEvent.objects.filter(response=response, kind=AuditEvent.Kind.ANSWER_CHANGED)


def test_an_empty_upload_says_the_file_is_empty(client, example_version):
    token, _ = open_response(example_version)
    reply = _upload(client, token, b"")
    assert reply.status_code == 400
    assert "The file is empty" in reply.content.decode()


def test_a_submitted_response_offers_no_upload_and_says_why(client, example_version):
    token, _ = open_response(example_version, status=ResponseStatus.SUBMITTED)
    page = client.get(url("workbook", token)).content.decode()
    assert 'name="workbook"' not in page and "Upload it below" not in page
    assert 'id="workbook-closed"' in page and "was submitted" in page


def test_a_long_name_keeps_the_workbook_mark():
    label = workbook_actor("x" * 300, "vendor")
    assert len(label) == 200 and label.endswith(" (vendor, via workbook)")


# A percentage typed as a fraction ------------------------------------------------------------


def test_a_fraction_in_a_general_percentage_cell_is_read_as_typed_with_a_warning(
    client, example_version
):
    """0.45 in a General cell may mean 45%: the preview says how it was read, without
    refusing it (0.45% can be real)."""
    token, response = open_response(example_version)
    reply = _upload(
        client, token, edited(export(response), {"live_deployments": 4, "rollback_rate": 0.45})
    )
    assert reply.status_code == 302
    page = client.get(reply["Location"]).content.decode()
    assert 'id="workbook-warnings"' in page
    assert 'data-warning="rollback_rate"' in page
    assert "Read as 0.45%. If you meant 45%, enter 45 (or format the cell as a percentage)." in page
    client.post(reply["Location"])
    assert _stored(response)["rollback_rate"] == (0.45, "")


def test_a_whole_percentage_has_no_warning(client, example_version):
    token, response = open_response(example_version)
    reply = _upload(
        client, token, edited(export(response), {"live_deployments": 4, "rollback_rate": 45})
    )
    page = client.get(reply["Location"]).content.decode()
    assert "Read as" not in page and 'id="workbook-warnings"' not in page


# A preview outliving the response's editing -------------------------------------------------


def test_a_preview_of_a_submitted_response_offers_no_confirm_and_says_why(client, example_version):
    token, response = open_response(example_version)
    answer_all(response, COMPLETE)
    reply = _upload(client, token, export(response))  # no changes: "Save 0 answers"
    response_submit(response=response, actor="Dana")
    page = client.get(reply["Location"]).content.decode()
    assert 'id="workbook-confirm"' not in page
    assert 'id="workbook-closed"' in page
    assert "Uploading is closed because this response was submitted and is under review" in page

    refused = client.post(reply["Location"])
    body = refused.content.decode()
    assert refused.status_code == 409
    assert "Uploading is closed because" in body and "saved:" not in body
    assert WorkbookImport.objects.filter(response=response).exists()  # nothing applied
    overview = client.get(url("overview", token)).content.decode()
    assert "answers are saved" not in overview


def test_a_preview_of_an_accepted_response_says_it_was_accepted(client, example_version):
    token, response = open_response(example_version)
    reply = _upload(client, token, export(response))
    response.status = ResponseStatus.ACCEPTED
    response.save(update_fields=["status"])
    page = client.get(reply["Location"]).content.decode()
    assert "this response was accepted" in page and 'id="workbook-confirm"' not in page


def test_applying_no_changes_to_a_submitted_response_is_refused(example_version):
    """The admin confirms through the same service: never "saved" once submitted."""
    from questionnaires.services.answers import ResponseNotEditable
    from vendors.services import workbook_import_apply, workbook_import_store

    _, response = open_response(example_version)
    pending = workbook_import_store(
        response=response,
        changes=[],
        questions=[],
        via=WorkbookImport.Via.PORTAL,
        entered_by="Dana",
        file_name="a.xlsx",
        file_sha256="0" * 64,
    )
    answer_all(response, COMPLETE)
    response_submit(response=response, actor="Dana")
    with pytest.raises(ResponseNotEditable):
        workbook_import_apply(workbook_import=pending)


def test_the_workbook_page_of_a_submitted_response_leads_with_why_uploading_is_closed(
    client, example_version
):
    token, _ = open_response(example_version, status=ResponseStatus.SUBMITTED)
    page = client.get(url("workbook", token)).content.decode()
    closed = page.index('id="workbook-closed"')
    assert "Uploading is closed because" in page
    assert closed < page.index('id="workbook-download"')


def test_a_replaced_preview_says_it_was_replaced(client, example_version):
    token, response = open_response(example_version)
    first = _upload(client, token, edited(export(response), {"live_deployments": 1}))
    _upload(client, token, edited(export(response), {"live_deployments": 2}))
    gone = client.get(first["Location"], follow=True).content.decode()
    assert "it was replaced by a newer upload" in gone and "24 hours" not in gone


def test_an_expired_preview_says_it_is_too_old(client, example_version, settings):
    token, response = open_response(example_version)
    reply = _upload(client, token, edited(export(response), {"live_deployments": 1}))
    WorkbookImport.objects.update(
        created_at=timezone.now() - datetime.timedelta(hours=settings.WORKBOOK_IMPORT_HOURS + 1)
    )
    gone = client.get(reply["Location"], follow=True).content.decode()
    assert f"it is more than {settings.WORKBOOK_IMPORT_HOURS} hours old" in gone
    assert "replaced" not in gone and "confirmed already" not in gone
