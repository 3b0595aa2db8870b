"""Reports stay honest: a ready report keeps the snapshot it was rendered from, records
REPORT_GENERATED on its responses, and says when and how its inputs changed since, down
to each answer then and now."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from questionnaires.audit import ReportGenerated
from questionnaires.models import (
    Answer,
    AuditEvent,
    Report,
    ReportKind,
    ReportStatus,
    ResponseScore,
)
from questionnaires.reports import inputs_hash, report_subject
from questionnaires.reports.changes import (
    answers_then_and_now,
    change_lines,
    snapshot_changes,
)
from questionnaires.reports.staleness import reports_staleness
from questionnaires.selectors import latest_ready_reports, reports_with_change_signal
from questionnaires.services.reports import report_request
from questionnaires.services.scores import score_override
from questionnaires.services.selections import selection_save
from tests.factories import SelectionFactory, UserFactory, scored_submission
from tests.questionnaires.reports_data import (  # noqa: F401  (eager_tasks is a fixture)
    ANSWERS,
    eager_tasks,
    report_selection,
)

pytestmark = pytest.mark.usefixtures("eager_tasks")


@pytest.fixture
def data(example_version):
    return report_selection(example_version)


@pytest.fixture
def analyst(db):
    return UserFactory(username="dana")


def _ready(capture, **request) -> Report:
    with capture(execute=True):
        report = report_request(**request)
    report.refresh_from_db()
    assert report.status == ReportStatus.READY
    return report


def _comparison(data, capture, user=None) -> Report:
    return _ready(capture, kind=ReportKind.COMPARISON, selection=data.selection, user=user)


def _staleness(report: Report):
    return reports_staleness([report])[report.pk]


def _definitions(version):
    return {version.pk: version.definition}


# What a ready report keeps and records --------------------------------------------------


def test_a_rendered_report_keeps_its_snapshot_and_records_it_on_each_response(
    data, analyst, django_capture_on_commit_callbacks
):
    report = _comparison(data, django_capture_on_commit_callbacks, user=analyst)

    names = sorted(r["vendor__name"] for r in report.inputs["responses"])
    assert names == sorted(ANSWERS)
    subject = report_subject(kind=ReportKind.COMPARISON, selection=data.selection)
    # The kept snapshot fingerprints as the one the PDF was made from.
    assert inputs_hash(subject, report.inputs) == report.inputs_hash
    events = AuditEvent.objects.filter(kind=AuditEvent.Kind.REPORT_GENERATED)
    assert {e.response_id for e in events} == {r.pk for r in data.responses.values()}
    assert {e.actor_user for e in events} == {analyst}
    assert all(e.data[ReportGenerated.REPORT] == report.pk for e in events)
    assert _staleness(report).stale is False


def test_a_reused_report_records_nothing_again(data, django_capture_on_commit_callbacks):
    first = _comparison(data, django_capture_on_commit_callbacks)
    again = _comparison(data, django_capture_on_commit_callbacks)

    assert again.pk == first.pk
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.REPORT_GENERATED).count() == 3


def test_an_assessment_defaults_to_its_round_s_profile(example_version, db):
    response = scored_submission(example_version, "Acme Voice", ANSWERS["Acme Voice"])
    response.selection = SelectionFactory(version=example_version, profile_key="financial_services")
    response.save(update_fields=["selection"])

    assert report_subject(kind=ReportKind.ASSESSMENT, response=response).profile_key == (
        "financial_services"
    )
    # A round whose profile the version lacks falls back to the version's default.
    response.selection.profile_key = "no_such_profile"
    assert report_subject(kind=ReportKind.ASSESSMENT, response=response).profile_key == "general"


# What changed since -----------------------------------------------------------------------


def test_an_answer_changed_since_is_named_with_its_values(
    data, example_version, django_capture_on_commit_callbacks
):
    report = _comparison(data, django_capture_on_commit_callbacks)
    acme = data.responses["Acme Voice"]
    Answer.objects.filter(response=acme, question__key="rollback_rate").update(value=15)

    found = _staleness(report)

    assert found.stale and found.rerender
    [changed] = found.changes.answers
    assert (changed.vendor, changed.question_key, changed.parts) == (
        "Acme Voice",
        "rollback_rate",
        ("answer",),
    )
    lines = change_lines(found.changes, _definitions(example_version))
    assert lines == [
        "Acme Voice, Q1.2 “Of those deployments, what share was rolled back, paused or…”: "
        "answer changed (5% → 15%)"
    ]


def test_vendors_added_overrides_and_the_recommendation_are_named(
    data, example_version, analyst, django_capture_on_commit_callbacks
):
    report = _comparison(data, django_capture_on_commit_callbacks)
    newcomer = scored_submission(example_version, "Dot Voice", ANSWERS["Acme Voice"])
    data.selection.responses.add(newcomer)
    cora = ResponseScore.objects.get(response=data.responses["Cora Talk"], profile_key="general")
    score_override(
        response_score=cora,
        user=analyst,
        score=60,
        tier="",
        justification="Checked the incident logs with the vendor.",
    )
    data.selection.recommendation = "Proceed with Dot Voice."
    selection_save(selection=data.selection, user=analyst)

    found = _staleness(report)

    lines = change_lines(found.changes, _definitions(example_version))
    assert "Dot Voice was added to the round" in lines
    assert "Cora Talk: override none → 60 (high)" in lines
    assert "The analyst's recommendation was edited" in lines


def test_a_change_undone_is_no_change(data, django_capture_on_commit_callbacks):
    report = _comparison(data, django_capture_on_commit_callbacks)
    acme = data.responses["Acme Voice"]
    answers = Answer.objects.filter(response=acme, question__key="rollback_rate")
    answers.update(value=15)
    answers.update(value=5)
    AuditEvent.objects.create(response=acme, kind=AuditEvent.Kind.ANSWER_CHANGED, data={})

    flagged = reports_with_change_signal(Report.objects.filter(pk=report.pk)).get()

    assert flagged.changed_since  # something was recorded since
    assert not _staleness(report).stale  # but what the report shows is the same


def test_the_diff_of_two_snapshots_is_pure():
    before = {
        "responses": [{"pk": 1, "vendor__name": "A", "status": "submitted", "version_id": 9}],
        "answers": [
            {"id": 5, "response_id": 1, "question__key": "q", "value": 1, "comment": ""},
        ],
        "evidence": [],
        "scores": [[1, "e", "h", 40.0, 30.0, 50.0, "moderate", None, "", ""]],
        "profiles": [[9, "General", {}, []]],
        "selection": {"name": "R", "buyer_name": "B", "recommendation": "Go"},
    }
    after = {
        **before,
        "responses": [
            {"pk": 1, "vendor__name": "A", "status": "accepted", "version_id": 9},
            {"pk": 2, "vendor__name": "B", "status": "invited", "version_id": 9},
        ],
        "scores": [[1, "e", "h", 55.0, 40.0, 60.0, "high", None, "", ""]],
        "profiles": [[9, "General", {"s": 2}, []]],
    }

    changes = snapshot_changes(before, after)

    assert [v.name for v in changes.vendors_added] == ["B"]
    assert changes.statuses == (("A", "submitted", "accepted"),)
    assert changes.scores[0].score_changed and changes.scores[0].tier_changed
    assert not changes.scores[0].override_changed
    assert changes.weights_changed and not changes.recommendation_edited
    assert change_lines(changes, {})[-2:] == [
        "A: score 40 (30-50, moderate) → 55 (40-60, high)",
        "The profile's section weights or rules changed",
    ]
    assert not snapshot_changes(before, before)


# The admin ----------------------------------------------------------------------------------


@pytest.fixture
def staff_client(client, db):
    client.force_login(UserFactory(username="root"))
    return client


def test_the_report_list_and_page_show_a_stale_report_with_what_changed(
    staff_client, data, analyst, django_capture_on_commit_callbacks
):
    stale = _comparison(data, django_capture_on_commit_callbacks)
    blip = data.responses["Blip Chat"]
    fresh = _ready(django_capture_on_commit_callbacks, kind=ReportKind.ASSESSMENT, response=blip)
    cora = ResponseScore.objects.get(response=data.responses["Cora Talk"], profile_key="general")
    score_override(
        response_score=cora,
        user=analyst,
        score=60,
        tier="",
        justification="Checked the incident logs with the vendor.",
    )

    listing = staff_client.get(reverse("admin:questionnaires_report_changelist"))
    page = staff_client.get(reverse("admin:questionnaires_report_change", args=[stale.pk]))
    only_stale = staff_client.get(
        reverse("admin:questionnaires_report_changelist"), {"stale": "yes"}
    )

    html = listing.content.decode()
    assert html.count('class="cx-stale"') == 1 and html.count('class="cx-fresh"') == 1
    assert "Cora Talk: override none → 60 (high)" in html
    assert "Cora Talk: override none → 60 (high)" in page.content.decode()
    assert [r.pk for r in only_stale.context["cl"].result_list] == [stale.pk]
    assert fresh.pk not in {r.pk for r in only_stale.context["cl"].result_list}


def test_the_answers_page_shows_each_answer_then_and_now(
    staff_client, data, django_capture_on_commit_callbacks
):
    report = _comparison(data, django_capture_on_commit_callbacks)
    acme = data.responses["Acme Voice"]
    Answer.objects.filter(response=acme, question__key="rollback_rate").update(value=15)
    url = reverse("admin:questionnaires_report_answers", args=[report.pk])

    every = staff_client.get(url).content.decode()
    changed = staff_client.get(url, {"changed": "1"}).content.decode()

    assert "<strong>15%</strong>" in every and "5%" in every
    assert every.count('class="cx-changed"') == 1
    assert "Q1.1 How many enterprise deployments" in every
    assert "Q1.1 How many enterprise deployments" not in changed
    assert "<strong>15%</strong>" in changed


def test_answers_then_and_now_lists_every_question_of_every_vendor(
    data, example_version, django_capture_on_commit_callbacks
):
    report = _comparison(data, django_capture_on_commit_callbacks)
    found = _staleness(report)

    vendors = answers_then_and_now(found.kept, found.current, _definitions(example_version))

    assert [v.vendor for v in vendors] == list(ANSWERS)
    questions = len(found.current["answers"]) and len(vendors[0].answers)
    assert all(len(v.answers) == questions for v in vendors)
    assert not any(a.changed for v in vendors for a in v.answers)


def test_the_report_list_s_queries_do_not_grow_with_stale_reports(
    staff_client, data, analyst, django_capture_on_commit_callbacks
):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert (
                staff_client.get(reverse("admin:questionnaires_report_changelist")).status_code
                == 200
            )
        return len(queries)

    def stale_assessment(name: str) -> Report:
        response = data.responses[name]
        report = _ready(
            django_capture_on_commit_callbacks, kind=ReportKind.ASSESSMENT, response=response
        )
        AuditEvent.objects.create(response=response, kind="answer_changed")
        Answer.objects.filter(response=response).update(comment=f"new for {report.pk}")
        return report

    report = _comparison(data, django_capture_on_commit_callbacks)
    stale_assessment("Acme Voice")
    one = count()
    stale_assessment("Blip Chat")
    stale_assessment("Cora Talk")

    assert count() == one
    assert len(latest_ready_reports(Report.objects.all())) == 4
    assert report.pk in {r.pk for r in latest_ready_reports(Report.objects.all())}
