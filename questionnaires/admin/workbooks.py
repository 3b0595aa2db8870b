"""An analyst enters a vendor's workbook from the response's admin page.

The same steps as the portal's (vendors.workbook.uploads): download, upload, a preview,
confirm; the saves go through the portal's own save (answers_save) recorded as the
analyst, on the vendor's behalf. Every view needs the right to change the response
(questionnaires.access), so a read-only reviewer is refused (403).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods

from vendors.models import WorkbookImport
from vendors.portal import questionnaire_plan, response_state
from vendors.services import (
    WorkbookImportGone,
    workbook_import_apply,
    workbook_import_pending,
    workbook_import_store,
)
from vendors.workbook.export import XLSX_CONTENT_TYPE, workbook_bytes, workbook_filename
from vendors.workbook.read import WorkbookRefused
from vendors.workbook.uploads import (
    NOT_EDITABLE_FOR_ANALYST,
    outcome_summary,
    pending_preview,
    preview_context,
    read_upload,
    workbook_actor,
)

from .. import access
from ..evidence import human_size, refused_while_streaming
from ..models import EDITABLE_STATUSES, Response
from ..rounds import round_currency
from ..services.answers import ResponseNotEditable

if TYPE_CHECKING:
    from .responses import ResponseAdmin

FIELD = "workbook"


def analyst_actor(request: HttpRequest) -> str:
    """How the audit trail and the answers' updated_by name an analyst's entry."""
    account = access.acting_account(request)
    name = account.get_full_name() or account.get_username()
    return workbook_actor(name, "analyst, for the vendor")


def workbook_urls(model_admin: ResponseAdmin) -> list[URLPattern]:
    pages = _WorkbookPages(model_admin)
    wrap = model_admin.admin_site.admin_view
    return [
        path(
            "<path:object_id>/workbook/",
            wrap(require_http_methods(["GET", "POST"])(pages.upload_view)),
            name="questionnaires_response_workbook",
        ),
        path(
            "<path:object_id>/workbook/download/",
            wrap(require_http_methods(["GET"])(pages.download_view)),
            name="questionnaires_response_workbook_download",
        ),
        path(
            "<path:object_id>/workbook/<int:import_id>/",
            wrap(require_http_methods(["GET", "POST"])(pages.preview_view)),
            name="questionnaires_response_workbook_preview",
        ),
    ]


class _WorkbookPages:
    def __init__(self, model_admin: ResponseAdmin):
        self.model_admin = model_admin

    def _response(self, request: HttpRequest, object_id: str, *, change: bool = True) -> Response:
        return access.response_for_user(request.user, unquote(object_id), change=change)

    def _render(
        self, request: HttpRequest, template: str, response: Response, **context: Any
    ) -> TemplateResponse:
        admin = self.model_admin
        status = context.pop("status", 200)
        request.current_app = admin.admin_site.name
        change_url = reverse("admin:questionnaires_response_change", args=[response.pk])
        return TemplateResponse(
            request,
            template,
            {
                **admin.admin_site.each_context(request),
                "opts": admin.model._meta,
                "original": response,
                "response": response,
                "change_url": change_url,
                **context,
            },
            status=status,
        )

    def upload_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        # Reading the page (and its download link) is a read; entering a workbook a change.
        response = self._response(request, object_id, change=request.method == "POST")
        can_change = access.may_change_responses(request.user)
        context: dict[str, Any] = {
            "title": f"Enter a workbook for {response.vendor.name}"
            if can_change
            else f"The workbook of {response.vendor.name}",
            "max_bytes": human_size(settings.WORKBOOK_MAX_BYTES),
            "can_change": can_change,
            "editable": can_change and response.status in EDITABLE_STATUSES,
        }
        if request.method == "POST":
            plan = questionnaire_plan(response.version)
            try:
                upload = read_upload(
                    request.FILES.get(FIELD),
                    response=response,
                    plan=plan,
                    state=response_state(response, plan),
                    refused=refused_while_streaming(request, FIELD),
                    when_submitted=NOT_EDITABLE_FOR_ANALYST,
                )
            except WorkbookRefused as exc:
                context.update(refused=str(exc), status=400)
            else:
                if upload.reading.problems:
                    context.update(problems=upload.reading.problems, status=400)
                else:
                    pending = workbook_import_store(
                        response=response,
                        changes=upload.reading.changes,
                        questions=upload.reading.keys,
                        not_asked=upload.reading.not_asked,
                        via=WorkbookImport.Via.ADMIN,
                        entered_by=analyst_actor(request),
                        file_name=upload.name,
                        file_sha256=upload.sha256,
                    )
                    return HttpResponseRedirect(
                        reverse(
                            "admin:questionnaires_response_workbook_preview",
                            args=[response.pk, pending.pk],
                        )
                    )
        return self._render(request, "admin/workbooks/upload.html", response, **context)

    def download_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        # A read: the read-only reviewer may download it too (but not enter one).
        response = self._response(request, object_id, change=False)
        plan = questionnaire_plan(response.version)
        data = workbook_bytes(response, plan, response_state(response, plan, with_evidence=True))
        reply = HttpResponse(data, content_type=XLSX_CONTENT_TYPE)
        reply["Content-Disposition"] = (
            content_disposition_header(True, workbook_filename(response)) or "attachment"
        )
        reply["Cache-Control"] = "no-store"
        return reply

    def preview_view(self, request: HttpRequest, object_id: str, import_id: int) -> HttpResponse:
        response = self._response(request, object_id)
        change_url = reverse("admin:questionnaires_response_change", args=[response.pk])
        try:
            pending = workbook_import_pending(response, import_id, WorkbookImport.Via.ADMIN)
        except WorkbookImportGone as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(
                reverse("admin:questionnaires_response_workbook", args=[response.pk])
            )
        if request.method == "POST":
            try:
                outcome = workbook_import_apply(workbook_import=pending)
            except (ResponseNotEditable, WorkbookImportGone) as exc:
                messages.error(request, str(exc))
            else:
                numbers = questionnaire_plan(response.version).numbers
                messages.success(request, outcome_summary(outcome, numbers))
            return HttpResponseRedirect(change_url)
        plan = questionnaire_plan(response.version)
        preview = pending_preview(pending, response, response_state(response, plan))
        currency = round_currency(response.selection)
        return self._render(
            request,
            "admin/workbooks/preview.html",
            response,
            title=f"Check the workbook's answers for {response.vendor.name}",
            pending=pending,
            **preview_context(plan, preview, currency, pending.not_asked),
        )
