"""Report life cycle: request, reuse, render in the task, claims, retries and failures."""

from __future__ import annotations

import datetime
import io
import os
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone
from pypdf import PdfReader

from questionnaires.models import (
    Answer,
    EvidenceLevel,
    Profile,
    Report,
    ReportKind,
    ReportStatus,
    ResponseScore,
)
from questionnaires.reports import (
    RENDER_HARD_TIME_LIMIT,
    ReportNotPossible,
    current_inputs_hash,
    report_subject,
)
from questionnaires.services.reports import report_request
from questionnaires.services.scores import score_override
from questionnaires.tasks.reports import MAX_RETRIES, report_render
from tests.conftest import wait_until
from tests.factories import SelectionFactory, UserFactory
from tests.questionnaires.reports_data import (  # noqa: F401  (eager_tasks is a fixture)
    eager_tasks,
    pdf_text,
    report_selection,
)


@pytest.fixture
def data(example_version, eager_tasks):  # noqa: F811
    return report_selection(example_version)


@pytest.fixture
def analyst(db):
    return UserFactory(username="dana")


def _request_comparison(data, analyst, capture, **kwargs):
    with capture(execute=True) as callbacks:
        report = report_request(
            kind=ReportKind.COMPARISON, selection=data.selection, user=analyst, **kwargs
        )
    report.refresh_from_db()
    return report, callbacks


def _pdf_of(report: Report) -> bytes:
    with default_storage.open(report.file.name, "rb") as handle:
        return handle.read()


def test_request_renders_the_comparison_in_the_task(
    data, analyst, django_capture_on_commit_callbacks
):
    report, callbacks = _request_comparison(data, analyst, django_capture_on_commit_callbacks)

    assert len(callbacks) == 1  # the task was queued after commit, not before
    assert report.status == ReportStatus.READY
    assert report.error == ""
    assert report.attempts == 1
    assert report.requested_by == analyst
    assert report.profile_key == "general"
    assert report.finished_at is not None
    assert report.file.name.startswith("reports/comparison-")
    assert report.inputs_hash == current_inputs_hash(
        report_subject(kind=ReportKind.COMPARISON, selection=data.selection)
    )
    pdf = _pdf_of(report)
    assert pdf.startswith(b"%PDF")
    assert "Acme Voice" in pdf_text(pdf)
    assert report.inputs_hash[:12] in pdf_text(pdf)


def test_assessment_is_rendered_for_one_response(data, analyst, django_capture_on_commit_callbacks):
    blip = data.responses["Blip Chat"]
    with django_capture_on_commit_callbacks(execute=True):
        report = report_request(
            kind=ReportKind.ASSESSMENT,
            response=blip,
            profile_key="financial_services",
            user=analyst,
        )
    report.refresh_from_db()

    assert report.status == ReportStatus.READY
    assert report.response == blip and report.selection is None
    text = pdf_text(_pdf_of(report))
    assert "Blip Chat" in text
    assert "Financial services" in text


def test_unchanged_inputs_reuse_the_stored_file(data, analyst, django_capture_on_commit_callbacks):
    first, _ = _request_comparison(data, analyst, django_capture_on_commit_callbacks)

    second, callbacks = _request_comparison(data, analyst, django_capture_on_commit_callbacks)

    assert second.pk == first.pk
    assert second.file.name == first.file.name
    assert callbacks == []  # nothing queued
    assert Report.objects.count() == 1


def test_a_request_while_rendering_is_pending_joins_it(data, analyst):
    # Without running the on-commit callbacks the first report stays queued.
    first = report_request(kind=ReportKind.COMPARISON, selection=data.selection, user=analyst)
    second = report_request(kind=ReportKind.COMPARISON, selection=data.selection, user=analyst)

    assert first.status == ReportStatus.QUEUED
    assert second.pk == first.pk


def _change_answer_value(data, analyst):
    Answer.objects.filter(
        response=data.responses["Acme Voice"], question__key="live_deployments"
    ).update(value=41)


def _change_comment(data, analyst):
    Answer.objects.filter(
        response=data.responses["Acme Voice"], question__key="live_monitoring"
    ).update(comment="We also sample 5% of conversations by hand.")


def _change_evidence_level(data, analyst):
    Answer.objects.filter(
        response=data.responses["Acme Voice"], question__key="rollback_rate"
    ).update(evidence_level=EvidenceLevel.VERIFIED)


def _change_override(data, analyst):
    stored = ResponseScore.objects.get(response=data.responses["Cora Talk"], profile_key="general")
    score_override(
        response_score=stored,
        user=analyst,
        score=55,
        tier="",
        justification="References confirmed monitoring gaps in two deployments.",
    )


def _change_profile_weights(data, analyst):
    profile = Profile.objects.get(version=data.responses["Acme Voice"].version, key="general")
    profile.section_weights = {**profile.section_weights, "oversight": 5}
    profile.save(update_fields=["section_weights"])


def _change_recommendation(data, analyst):
    data.selection.recommendation = "Proceed with Cora Talk instead."
    data.selection.save(update_fields=["recommendation"])


def _change_vendor_name(data, analyst):
    vendor = data.responses["Acme Voice"].vendor
    vendor.name = "Acme Voice Ltd"
    vendor.save(update_fields=["name"])


@pytest.mark.parametrize(
    "change",
    [
        _change_answer_value,
        _change_comment,
        _change_evidence_level,
        _change_override,
        _change_profile_weights,
        _change_recommendation,
        _change_vendor_name,
    ],
)
def test_any_change_to_the_inputs_makes_a_new_report(
    data, analyst, change, django_capture_on_commit_callbacks
):
    first, _ = _request_comparison(data, analyst, django_capture_on_commit_callbacks)

    change(data, analyst)
    second, callbacks = _request_comparison(data, analyst, django_capture_on_commit_callbacks)

    assert second.pk != first.pk
    assert second.inputs_hash != first.inputs_hash
    assert second.status == ReportStatus.READY
    assert len(callbacks) == 1
    assert second.file.name != first.file.name


def test_a_changed_template_makes_a_new_report(
    data, analyst, settings, tmp_path, django_capture_on_commit_callbacks
):
    first, _ = _request_comparison(data, analyst, django_capture_on_commit_callbacks)
    # A copy of the stylesheet, changed, in a template folder searched first.
    folder = tmp_path / "templates" / "reports"
    folder.mkdir(parents=True)
    css = (Path(django_settings.BASE_DIR) / "templates" / "reports" / "report.css").read_text()
    (folder / "report.css").write_text(css + "\nh1 { color: #000; }\n")
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path / "templates", *settings.TEMPLATES[0]["DIRS"]]}
    ]

    second, _ = _request_comparison(data, analyst, django_capture_on_commit_callbacks)

    assert second.pk != first.pk
    assert second.status == ReportStatus.READY


def test_a_different_profile_is_a_different_report(
    data, analyst, django_capture_on_commit_callbacks
):
    general, _ = _request_comparison(data, analyst, django_capture_on_commit_callbacks)
    financial, _ = _request_comparison(
        data, analyst, django_capture_on_commit_callbacks, profile_key="financial_services"
    )

    assert financial.pk != general.pk
    assert financial.profile_key == "financial_services"
    assert "Financial services" in pdf_text(_pdf_of(financial))


def test_rerunning_the_task_on_a_ready_report_does_nothing(
    data, analyst, django_capture_on_commit_callbacks
):
    report, _ = _request_comparison(data, analyst, django_capture_on_commit_callbacks)
    files_before = default_storage.listdir("reports")[1]

    outcome = report_render.apply(args=[report.pk]).get()

    after = Report.objects.get(pk=report.pk)
    assert outcome == "skipped"
    assert after.file.name == report.file.name
    assert after.attempts == report.attempts
    assert after.finished_at == report.finished_at
    assert default_storage.listdir("reports")[1] == files_before


def test_a_live_claim_is_left_to_its_worker(data, analyst):
    report = report_request(kind=ReportKind.COMPARISON, selection=data.selection, user=analyst)
    claimed_at = timezone.now() - datetime.timedelta(seconds=5)
    Report.objects.filter(pk=report.pk).update(
        status=ReportStatus.RENDERING, claimed_at=claimed_at, attempts=1
    )

    outcome = report_render.apply(args=[report.pk]).get()

    after = Report.objects.get(pk=report.pk)
    assert outcome == "skipped"
    assert after.status == ReportStatus.RENDERING
    assert after.claimed_at == claimed_at
    assert after.attempts == 1


def test_a_claim_older_than_the_hard_limit_is_reclaimed(data, analyst):
    report = report_request(kind=ReportKind.COMPARISON, selection=data.selection, user=analyst)
    dead_worker_claim = timezone.now() - datetime.timedelta(seconds=RENDER_HARD_TIME_LIMIT + 30)
    Report.objects.filter(pk=report.pk).update(
        status=ReportStatus.RENDERING, claimed_at=dead_worker_claim, attempts=1
    )

    outcome = report_render.apply(args=[report.pk]).get()

    after = Report.objects.get(pk=report.pk)
    assert outcome == "ready"
    assert after.status == ReportStatus.READY
    assert after.attempts == 2
    assert after.claimed_at > dead_worker_claim


def test_a_request_revives_a_report_whose_worker_died(
    data, analyst, django_capture_on_commit_callbacks
):
    report = report_request(kind=ReportKind.COMPARISON, selection=data.selection, user=analyst)
    Report.objects.filter(pk=report.pk).update(
        status=ReportStatus.RENDERING,
        claimed_at=timezone.now() - datetime.timedelta(seconds=RENDER_HARD_TIME_LIMIT + 30),
    )

    again, callbacks = _request_comparison(data, analyst, django_capture_on_commit_callbacks)

    assert again.pk == report.pk
    assert len(callbacks) == 1
    assert again.status == ReportStatus.READY


def test_a_template_error_fails_the_report_with_its_reason(
    data, analyst, settings, tmp_path, django_capture_on_commit_callbacks
):
    folder = tmp_path / "templates" / "reports"
    folder.mkdir(parents=True)
    (folder / "comparison.html").write_text("{% extends 'reports/base.html' %}{% vendor_table %}")
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path / "templates", *settings.TEMPLATES[0]["DIRS"]]}
    ]

    report, _ = _request_comparison(data, analyst, django_capture_on_commit_callbacks)

    assert report.status == ReportStatus.FAILED
    assert "TemplateSyntaxError" in report.error
    assert "vendor_table" in report.error
    assert not report.file
    assert report.attempts == 1  # not a transient error: no retry


def test_unwritable_storage_is_retried_then_fails_with_the_reason(
    data, analyst, settings, tmp_path, django_capture_on_commit_callbacks
):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the media folder should be")
    settings.MEDIA_ROOT = blocker / "media"

    report, _ = _request_comparison(data, analyst, django_capture_on_commit_callbacks)

    assert report.status == ReportStatus.FAILED
    assert report.attempts == MAX_RETRIES + 1
    assert f"Gave up after {MAX_RETRIES + 1} attempts" in report.error
    assert "Not a directory" in report.error or "NotADirectoryError" in report.error
    assert not report.file


def test_a_failed_report_is_rendered_anew_on_the_next_request(
    data, analyst, settings, tmp_path, django_capture_on_commit_callbacks
):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    media = settings.MEDIA_ROOT
    settings.MEDIA_ROOT = blocker / "media"
    failed, _ = _request_comparison(data, analyst, django_capture_on_commit_callbacks)
    settings.MEDIA_ROOT = media

    again, _ = _request_comparison(data, analyst, django_capture_on_commit_callbacks)

    assert failed.status == ReportStatus.FAILED
    assert again.pk != failed.pk
    assert again.status == ReportStatus.READY


def test_an_empty_selection_cannot_be_reported(analyst):
    selection = SelectionFactory(name="Empty shortlist")

    with pytest.raises(ReportNotPossible, match="has no responses yet"):
        report_request(kind=ReportKind.COMPARISON, selection=selection, user=analyst)
    assert Report.objects.count() == 0


def test_an_unknown_profile_is_refused_with_the_choices(data, analyst):
    with pytest.raises(ReportNotPossible, match=r"choose one of: general, financial_services\.$"):
        report_request(
            kind=ReportKind.COMPARISON, selection=data.selection, profile_key="retail", user=analyst
        )
    assert Report.objects.count() == 0


def test_render_report_command_writes_a_pdf(data, tmp_path):
    output = tmp_path / "comparison.pdf"
    html = tmp_path / "comparison.html"

    call_command(
        "render_report",
        "comparison",
        "--selection",
        str(data.selection.pk),
        "-o",
        str(output),
        "--html",
        str(html),
    )

    reader = PdfReader(io.BytesIO(output.read_bytes()))
    assert len(reader.pages) >= 5
    assert "Contact centre agent 2026" in html.read_text()
    assert Report.objects.count() == 0  # scripting renders without a record


def test_render_report_command_names_what_is_missing(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="needs --response ID"):
        call_command("render_report", "assessment", "-o", "/dev/null")
    with pytest.raises(CommandError, match="No selection with id 999"):
        call_command("render_report", "comparison", "--selection", "999", "-o", "/dev/null")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_worker_renders_a_requested_report(example_version, celery_worker_process):
    data = report_selection(example_version)
    analyst = UserFactory(username="worker-analyst")

    report = report_request(kind=ReportKind.COMPARISON, selection=data.selection, user=analyst)

    ready = wait_until(
        lambda: Report.objects.filter(pk=report.pk, status=ReportStatus.READY).first(),
        timeout=120,
    )
    assert ready.attempts == 1
    if celery_worker_process is None:  # eager: rendered in this process
        pdf = _pdf_of(ready)
    else:  # the worker process stored it under its own MEDIA_ROOT
        stored = _worker_media_root() / ready.file.name
        pdf = stored.read_bytes()
        stored.unlink()
    assert pdf.startswith(b"%PDF")
    assert "Blip Chat" in pdf_text(pdf)


def _worker_media_root() -> Path:
    return Path(os.environ.get("MEDIA_ROOT", Path(django_settings.BASE_DIR) / "media"))


def test_a_selection_mixing_questionnaires_is_refused(data, analyst):
    from questionnaires.services.definitions import questionnaire_import
    from tests.conftest import EXAMPLE_DEFINITION
    from tests.factories import ResponseFactory

    text = EXAMPLE_DEFINITION.read_text().replace("key: example_agent_check", "key: other_check")
    other = questionnaire_import(text=text, publish=True).version
    data.selection.responses.add(ResponseFactory(version=other))

    with pytest.raises(ReportNotPossible, match="responses to different questionnaires"):
        report_request(kind=ReportKind.COMPARISON, selection=data.selection, user=analyst)


def test_a_run_that_lost_its_claim_cannot_fail_or_publish_the_report(data, analyst):
    from questionnaires.services.reports import report_claim, report_fail, report_store

    report = report_request(kind=ReportKind.COMPARISON, selection=data.selection, user=analyst)
    old_run = report_claim(report_id=report.pk)
    # Another worker took the report over (the old claim looked dead).
    Report.objects.filter(pk=report.pk).update(claimed_at=timezone.now())

    failed = report_fail(report=old_run, reason="late failure of the old run")
    published = report_store(report=old_run, pdf=b"%PDF-1.7 old", inputs_hash="0" * 64)

    after = Report.objects.get(pk=report.pk)
    assert (failed, published) == (False, False)
    assert after.status == ReportStatus.RENDERING
    assert after.error == ""
    assert not after.file
    assert default_storage.listdir("reports")[1] == []  # the old run's file was removed
