"""PDF reports in the admin: request, follow the status without reloading, download.

URLs (under /admin/questionnaires/report/):
- request/comparison/<selection_id>/  and  request/assessment/<response_id>/: a GET shows
  the profile to use, a POST requests the report (reused when its inputs are unchanged);
- <id>/status/: the status as JSON, polled by static/reports/report_status.js;
- <id>/download/: the stored PDF, streamed from storage, to staff only;
- <id>/answers/: every answer as the report printed it beside the answer now.

A ready report whose inputs changed since it was rendered shows as stale in the list
and on its page, with what changed (reports.staleness).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.db.models import Model, Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from .. import access
from ..models import QuestionnaireVersion, Report, ReportKind, ReportStatus, Response, Selection
from ..reports import ReportNotPossible, report_subject
from ..reports.changes import answers_then_and_now, change_lines
from ..reports.staleness import Staleness, reports_staleness, stale_report_ids
from ..selectors import (
    latest_ready_reports,
    profiles_shared_by,
    reports_in_round,
    reports_previous,
    reports_with_change_signal,
    selection_profiles,
)
from ..services.reports import report_request
from .danger import DangerLastActionsMixin
from .filters import RoundFilter
from .records import PartOfResponseAdmin

POLL_SCRIPT = "cxvet/admin/poll.js"
STATUS_SCRIPT = "reports/report_status.js"
STATUS_STYLE = "reports/report_admin.css"
FINISHED = (ReportStatus.READY, ReportStatus.FAILED)
PREVIOUS_REPORTS = 5


class ReportRequestForm(forms.Form):
    profile = forms.ChoiceField(
        label="Industry profile",
        help_text="Scores, weights and flags are those of this profile.",
    )

    def __init__(self, *args: Any, profiles: Sequence[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["profile"]).choices = profiles


def _status_html(report: Report) -> str:
    """The status as an element the polling script keeps up to date."""
    return format_html(
        '<span class="cx-report-status cx-report-{}" data-status-url="{}"'
        ' data-finished="{}">{}</span>',
        report.status,
        reverse("admin:questionnaires_report_status", args=[report.pk]),
        "true" if report.status in FINISHED else "false",
        report.get_status_display(),
    )


def _download_link(report: Report) -> str:
    if report.status != ReportStatus.READY:
        return ""
    return format_html(
        '<a href="{}" class="cx-report-download">Download PDF</a>',
        reverse("admin:questionnaires_report_download", args=[report.pk]),
    )


class StaleFilter(admin.SimpleListFilter):
    """Ready reports whose inputs changed since they were rendered (the latest of each
    subject and profile: those an analyst would hand out), or that still hold."""

    title = "inputs since"
    parameter_name = "stale"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", "Changed (latest reports)"), ("no", "Unchanged")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Report]) -> QuerySet[Report]:
        if self.value() not in ("yes", "no"):
            return queryset
        stale = stale_report_ids(
            latest_ready_reports(reports_with_change_signal(queryset)).filter(changed_since=True)  # type: ignore[misc]  # annotated by the selector
        )
        if self.value() == "yes":
            return queryset.filter(pk__in=stale)
        return queryset.filter(status=ReportStatus.READY).exclude(pk__in=stale)


class ReportRoundFilter(RoundFilter):
    """The round's comparisons and the assessments of its responses."""

    def round_q(self, round_id: int) -> Q:
        return reports_in_round(round_id)


@admin.register(Report)
class ReportAdmin(DangerLastActionsMixin, PartOfResponseAdmin):
    list_display = (
        "id",
        "kind",
        "subject",
        "profile_key",
        "status_badge",
        "inputs_since",
        "download",
        "requested_by",
        "created_at",
        "finished_at",
    )
    list_filter = ("status", "kind", StaleFilter, ReportRoundFilter)
    list_select_related = ("selection", "response__vendor", "requested_by")
    list_per_page = 50
    readonly_fields = (
        "kind",
        "subject",
        "profile_key",
        "status_badge",
        "download",
        "inputs_since",
        "error",
        "fingerprint",
        "requested_by",
        "created_at",
        "claimed_at",
        "finished_at",
        "attempts",
    )
    fields = readonly_fields
    actions = ["render_again"]

    class Media:
        js = [POLL_SCRIPT, STATUS_SCRIPT]
        css = {"all": [STATUS_STYLE]}

    # Reports are made by requesting them, never typed in.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_request_permission(self, request: HttpRequest) -> bool:
        """Requesting or re-rendering a report writes one: not for read-only reviewers."""
        return access.may_request_reports(request.user)

    @admin.display(description="Report on")
    def subject(self, report: Report) -> str:
        return str(report.selection or report.response or "—")

    @admin.display(description="Status")
    def status_badge(self, report: Report) -> str:
        return _status_html(report)

    @admin.display(description="File")
    def download(self, report: Report) -> str:
        return _download_link(report) or "—"

    @admin.display(description="Fingerprint")
    def fingerprint(self, report: Report) -> str:
        return report.inputs_hash[:12]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Report]:
        # The snapshots are large and only the stale check reads them (report_snapshots).
        return reports_with_change_signal(
            super()
            .get_queryset(request)
            # The list's own (ChangeList skips list_select_related once one is set).
            .select_related("selection", "response__vendor", "response__version", "requested_by")
            .defer("inputs", "response__version__definition")
        )

    def get_changelist_instance(self, request: HttpRequest) -> ChangeList:
        changelist = super().get_changelist_instance(request)
        # Compared only where something was recorded since: constant queries for the page.
        rows = list(changelist.result_list)
        found = reports_staleness([r for r in rows if r.changed_since])
        definitions = _definitions(*found.values())
        for row in rows:
            row.cx_staleness = found.get(row.pk)
            row.cx_definitions = definitions
        return changelist

    def _staleness(self, report: Report) -> Staleness | None:
        if not hasattr(report, "cx_staleness"):
            # A list page reads each row's staleness more than once: remember it on the row.
            report.cx_staleness = reports_staleness([report]).get(report.pk)  # type: ignore[attr-defined]
        return report.cx_staleness  # type: ignore[attr-defined]

    @admin.display(description="Inputs since")
    def inputs_since(self, report: Report) -> SafeString | str:
        if report.status != ReportStatus.READY:
            return "—"
        found = self._staleness(report)
        if found is None or not found.stale:
            return mark_safe('<span class="cx-fresh">unchanged</span>')
        if found.changes is None:
            return mark_safe(
                '<span class="cx-stale">stale</span> its inputs changed (made before '
                "reports kept what they showed)"
            )
        definitions = getattr(report, "cx_definitions", None) or _definitions(found)
        lines = change_lines(found.changes, definitions)
        answers_url = reverse("admin:questionnaires_report_answers", args=[report.pk])
        return format_html(
            '<span class="cx-stale">stale</span> changed since it was made:<ul class="cx-changes">'
            '{}</ul><a href="{}">Answers then and now</a>',
            format_html_join("", "<li>{}</li>", ((line,) for line in lines)),
            answers_url,
        )

    @admin.action(
        description="Render the selected reports again (with current data)",
        permissions=["request"],
    )
    def render_again(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        for report in access.reports_for_user(request.user, queryset):
            self._request(
                request, report.kind, report.selection, report.response, report.profile_key
            )

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path(
                "request/comparison/<int:selection_id>/",
                wrap(self.request_comparison_view),
                name="questionnaires_report_request_comparison",
            ),
            path(
                "request/assessment/<int:response_id>/",
                wrap(self.request_assessment_view),
                name="questionnaires_report_request_assessment",
            ),
            path(
                "<int:report_id>/status/",
                wrap(require_GET(self.status_view)),
                name="questionnaires_report_status",
            ),
            path(
                "<int:report_id>/download/",
                wrap(require_GET(self.download_view)),
                name="questionnaires_report_download",
            ),
            path(
                "<int:report_id>/answers/",
                wrap(require_GET(self.answers_view)),
                name="questionnaires_report_answers",
            ),
            *super().get_urls(),
        ]

    # Views ----------------------------------------------------------------------------

    def request_comparison_view(self, request: HttpRequest, selection_id: int) -> HttpResponse:
        selection = access.report_subject_for_user(
            request.user, kind=ReportKind.COMPARISON, subject_id=selection_id
        )
        return self._request_page(
            request,
            kind=ReportKind.COMPARISON,
            selection=selection,
            response=None,
            profiles=selection_profiles(selection),
            initial=selection.profile_key,
            back_url=reverse("admin:questionnaires_selection_change", args=[selection.pk]),
            title=f"Vendor comparison PDF: {selection.name}",
        )

    def request_assessment_view(self, request: HttpRequest, response_id: int) -> HttpResponse:
        response = access.report_subject_for_user(
            request.user, kind=ReportKind.ASSESSMENT, subject_id=response_id
        )
        return self._request_page(
            request,
            kind=ReportKind.ASSESSMENT,
            selection=None,
            response=response,
            profiles=profiles_shared_by([response.version_id]),
            initial=request.GET.get("profile") or response.round_profile_key,
            back_url=reverse("admin:questionnaires_response_change", args=[response.pk]),
            title=f"Assessment PDF: {response.vendor.name}",
        )

    def _request_page(
        self,
        request: HttpRequest,
        *,
        kind: ReportKind,
        selection: Selection | None,
        response: Response | None,
        profiles: Sequence[tuple[str, str]],
        initial: str,
        back_url: str,
        title: str,
    ) -> HttpResponse:
        if not profiles:
            # Nothing to choose from: say why (no responses yet, or no shared profile).
            try:
                report_subject(kind=kind, selection=selection, response=response)
            except ReportNotPossible as exc:
                messages.error(request, str(exc))
                return redirect(back_url)
        form = ReportRequestForm(
            request.POST or None, profiles=profiles, initial={"profile": initial}
        )
        if request.method == "POST" and form.is_valid():
            report = self._request(request, kind, selection, response, form.cleaned_data["profile"])
            if report is None:
                return redirect(back_url)
            return redirect(reverse("admin:questionnaires_report_change", args=[report.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            "form": form,
            "back_url": back_url,
            "subject": selection or response,
            "previous": reports_previous(
                kind=kind, selection=selection, response=response, limit=PREVIOUS_REPORTS
            ),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/questionnaires/report/request.html", context)

    def _request(
        self,
        request: HttpRequest,
        kind: str,
        selection: Selection | None,
        response: Response | None,
        profile_key: str,
    ) -> Report | None:
        try:
            report = report_request(
                kind=kind,
                selection=selection,
                response=response,
                profile_key=profile_key,
                user=access.acting_account(request),
            )
        except ReportNotPossible as exc:
            messages.error(request, str(exc))
            return None
        if report.status == ReportStatus.READY:
            messages.success(
                request,
                f"Nothing changed since report {report.pk} was made: it is ready to download.",
            )
        else:
            messages.info(
                request,
                f"Report {report.pk} is {report.get_status_display().lower()}; this page "
                "shows when it is ready.",
            )
        return report

    def status_view(self, request: HttpRequest, report_id: int) -> JsonResponse:
        report = access.report_for_user(request.user, report_id)
        download = _download_link(report) and reverse(
            "admin:questionnaires_report_download", args=[report.pk]
        )
        return JsonResponse(
            {
                "id": report.pk,
                "status": report.status,
                "label": report.get_status_display(),
                "finished": report.status in FINISHED,
                "error": report.error if report.status == ReportStatus.FAILED else "",
                "download_url": download or "",
            }
        )

    def answers_view(self, request: HttpRequest, report_id: int) -> HttpResponse:
        """Every answer as the report printed it, beside the answer now (?changed=1: only
        the answers that differ)."""
        report = access.report_for_user(request.user, report_id)
        found = reports_staleness([report]).get(report.pk)
        only_changed = request.GET.get("changed") == "1"
        vendors = []
        if found is not None and found.kept is not None:
            vendors = answers_then_and_now(found.kept, found.current, _definitions(found))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Answers then and now: report {report.pk}",
            "report": report,
            "found": found,
            "only_changed": only_changed,
            "vendors": [
                (vendor, [a for a in vendor.answers if a.changed or not only_changed])
                for vendor in vendors
            ],
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/questionnaires/report/answers.html", context)

    def download_view(self, request: HttpRequest, report_id: int) -> FileResponse:
        report = access.report_for_user(request.user, report_id)
        if report.status != ReportStatus.READY or not report.file:
            raise Http404(
                f"Report {report.pk} is {report.get_status_display().lower()}, not ready."
            )
        try:
            handle = report.file.open("rb")
        except FileNotFoundError:
            raise Http404(
                f"The file of report {report.pk} is missing from storage; request the report "
                "again to render a new one."
            ) from None
        return FileResponse(
            handle,
            as_attachment=True,
            filename=_download_name(report),
            content_type="application/pdf",
        )


def _definitions(*found: Staleness) -> dict[int, dict[str, Any]]:
    """The definitions of the versions the reports' responses answer (one query)."""
    versions = {
        row["version_id"]
        for one in found
        for snapshot in (one.kept or {}, one.current)
        for row in snapshot.get("responses", [])
    }
    if not versions:
        return {}
    return dict(
        QuestionnaireVersion.objects.filter(pk__in=versions).values_list("pk", "definition")
    )


def _download_name(report: Report) -> str:
    if report.selection:
        subject = report.selection.name
    else:
        assert report.response is not None  # report_request gives every report one subject
        subject = str(report.response.vendor.name)
    date = (report.finished_at or report.created_at).date().isoformat()
    return f"{report.kind}-{slugify(subject) or report.pk}-{date}.pdf"
