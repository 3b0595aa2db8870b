"""Reports in the admin: the request pages, live status, download, and who may use them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from questionnaires.models import Report, ReportKind, ReportStatus
from questionnaires.services.reports import report_request
from tests.factories import SelectionFactory, UserFactory
from tests.questionnaires.reports_data import (  # noqa: F401  (eager_tasks is a fixture)
    eager_tasks,
    pdf_text,
    report_selection,
)

pytestmark = pytest.mark.usefixtures("eager_tasks")


@pytest.fixture
def data(example_version):
    return report_selection(example_version)


@pytest.fixture
def staff_client(client, db):
    client.force_login(UserFactory(username="analyst-admin"))
    return client


def _ready_report(data, capture) -> Report:
    with capture(execute=True):
        report = report_request(kind=ReportKind.COMPARISON, selection=data.selection)
    report.refresh_from_db()
    assert report.status == ReportStatus.READY
    return report


def test_selection_and_response_pages_offer_generate_pdf(staff_client, data):
    selection_page = staff_client.get(
        reverse("admin:questionnaires_selection_change", args=[data.selection.pk])
    )
    blip = data.responses["Blip Chat"]
    response_page = staff_client.get(
        reverse("admin:questionnaires_response_change", args=[blip.pk])
    )

    assert (
        reverse("admin:questionnaires_report_request_comparison", args=[data.selection.pk])
        in selection_page.content.decode()
    )
    assert (
        reverse("admin:questionnaires_report_request_assessment", args=[blip.pk])
        in response_page.content.decode()
    )


def test_request_page_offers_the_profiles_and_defaults_to_the_selection_s(staff_client, data):
    url = reverse("admin:questionnaires_report_request_comparison", args=[data.selection.pk])

    page = staff_client.get(url)

    html = page.content.decode()
    assert page.status_code == 200
    assert '<option value="general" selected>General</option>' in html
    assert '<option value="financial_services">Financial services</option>' in html
    assert Report.objects.count() == 0  # looking does not request


def test_posting_the_request_renders_and_redirects_to_the_report(
    staff_client, data, django_capture_on_commit_callbacks
):
    url = reverse("admin:questionnaires_report_request_comparison", args=[data.selection.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url, {"profile": "financial_services"})

    report = Report.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:questionnaires_report_change", args=[report.pk])
    assert report.status == ReportStatus.READY
    assert report.profile_key == "financial_services"
    assert report.requested_by.username == "analyst-admin"


def test_posting_again_with_nothing_changed_says_it_is_reused(
    staff_client, data, django_capture_on_commit_callbacks
):
    report = _ready_report(data, django_capture_on_commit_callbacks)
    url = reverse("admin:questionnaires_report_request_comparison", args=[data.selection.pk])

    response = staff_client.post(url, {"profile": "general"}, follow=True)

    assert Report.objects.count() == 1
    assert f"Nothing changed since report {report.pk} was made" in response.content.decode()


def test_an_unknown_profile_is_a_form_error(staff_client, data):
    url = reverse("admin:questionnaires_report_request_comparison", args=[data.selection.pk])

    response = staff_client.post(url, {"profile": "retail"})

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert Report.objects.count() == 0


def test_an_empty_selection_explains_what_to_do(staff_client, db):
    selection = SelectionFactory(name="Nobody yet")
    url = reverse("admin:questionnaires_report_request_comparison", args=[selection.pk])

    response = staff_client.post(url, {"profile": "general"}, follow=True)

    assert "has no responses yet: add the vendors" in response.content.decode()
    assert Report.objects.count() == 0


def test_assessment_request_for_a_response(staff_client, data, django_capture_on_commit_callbacks):
    blip = data.responses["Blip Chat"]
    url = reverse("admin:questionnaires_report_request_assessment", args=[blip.pk])

    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(url, {"profile": "general"})

    report = Report.objects.get()
    assert report.kind == ReportKind.ASSESSMENT
    assert report.response == blip
    assert report.status == ReportStatus.READY


def test_status_endpoint_follows_the_report(staff_client, data, django_capture_on_commit_callbacks):
    queued = report_request(kind=ReportKind.COMPARISON, selection=data.selection)
    url = reverse("admin:questionnaires_report_status", args=[queued.pk])

    before = staff_client.get(url).json()
    Report.objects.filter(pk=queued.pk).delete()
    ready = _ready_report(data, django_capture_on_commit_callbacks)
    after = staff_client.get(reverse("admin:questionnaires_report_status", args=[ready.pk])).json()

    assert before == {
        "id": queued.pk,
        "status": "queued",
        "label": "Queued",
        "finished": False,
        "error": "",
        "download_url": "",
    }
    assert after["status"] == "ready" and after["finished"] is True
    assert after["download_url"] == reverse("admin:questionnaires_report_download", args=[ready.pk])


def test_status_endpoint_gives_the_failure_reason(staff_client, data):
    report = report_request(kind=ReportKind.COMPARISON, selection=data.selection)
    Report.objects.filter(pk=report.pk).update(
        status=ReportStatus.FAILED, error="TemplateSyntaxError: Invalid block tag"
    )

    payload = staff_client.get(
        reverse("admin:questionnaires_report_status", args=[report.pk])
    ).json()

    assert payload["status"] == "failed"
    assert payload["error"] == "TemplateSyntaxError: Invalid block tag"


def test_report_page_carries_the_polling_element_and_script(
    staff_client, data, django_capture_on_commit_callbacks
):
    queued = report_request(kind=ReportKind.COMPARISON, selection=data.selection)

    page = staff_client.get(reverse("admin:questionnaires_report_change", args=[queued.pk]))

    html = page.content.decode()
    status_url = reverse("admin:questionnaires_report_status", args=[queued.pk])
    assert f'data-status-url="{status_url}"' in html
    assert 'data-finished="false"' in html
    assert "reports/report_status.js" in html


def test_download_streams_the_stored_pdf(staff_client, data, django_capture_on_commit_callbacks):
    report = _ready_report(data, django_capture_on_commit_callbacks)

    response = staff_client.get(reverse("admin:questionnaires_report_download", args=[report.pk]))

    body = b"".join(response.streaming_content)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment;" in response["Content-Disposition"]
    assert "comparison-contact-centre-agent-2026-" in response["Content-Disposition"]
    assert "Acme Voice" in pdf_text(body)


def test_download_of_a_report_that_is_not_ready_is_not_found(staff_client, data):
    report = report_request(kind=ReportKind.COMPARISON, selection=data.selection)

    response = staff_client.get(reverse("admin:questionnaires_report_download", args=[report.pk]))

    assert response.status_code == 404


@pytest.mark.parametrize("name", ["status", "download"])
def test_anonymous_and_non_staff_users_get_nothing(
    client, data, name, django_capture_on_commit_callbacks
):
    report = _ready_report(data, django_capture_on_commit_callbacks)
    url = reverse(f"admin:questionnaires_report_{name}", args=[report.pk])

    anonymous = client.get(url)
    client.force_login(UserFactory(username="vendor-person", is_staff=False, is_superuser=False))
    non_staff = client.get(url)

    for response in (anonymous, non_staff):
        assert response.status_code == 302
        assert reverse("admin:login") in response["Location"]


def test_staff_without_report_permission_cannot_download(
    client, data, django_capture_on_commit_callbacks
):
    report = _ready_report(data, django_capture_on_commit_callbacks)
    client.force_login(UserFactory(username="staff-no-perms", is_superuser=False))

    response = client.get(reverse("admin:questionnaires_report_download", args=[report.pk]))

    assert response.status_code == 403


def test_report_list_shows_status_and_download_in_constant_queries(
    staff_client, data, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    for _ in range(3):
        _ready_report(data, django_capture_on_commit_callbacks)
        data.selection.recommendation += " More."
        data.selection.save(update_fields=["recommendation"])

    with django_assert_max_num_queries(8):
        page = staff_client.get(reverse("admin:questionnaires_report_changelist"))

    html = page.content.decode()
    assert html.count("Download PDF") == 3
    assert html.count("cx-report-status") == 3


def test_render_again_action_requests_failed_reports_anew(
    staff_client, data, django_capture_on_commit_callbacks
):
    failed = report_request(kind=ReportKind.COMPARISON, selection=data.selection)
    Report.objects.filter(pk=failed.pk).update(status=ReportStatus.FAILED, error="disk full")

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("admin:questionnaires_report_changelist"),
            {"action": "render_again", "_selected_action": [failed.pk]},
            follow=True,
        )

    fresh = Report.objects.exclude(pk=failed.pk).get()
    assert response.status_code == 200
    assert fresh.status == ReportStatus.READY
    assert Report.objects.get(pk=failed.pk).status == ReportStatus.FAILED  # kept, with its reason
