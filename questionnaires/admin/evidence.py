"""Evidence files in the admin, and their download: for analysts only.

Files are stored through Django's default storage and have no public URL (media is not
served): the only way to read one is this staff-only view, which sends it as an
attachment with its checked content type, so a browser never renders it inline.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import FileResponse, Http404, HttpRequest
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from .. import access
from ..evidence import human_size
from ..models import Evidence
from .records import PartOfResponseAdmin, RecordAdmin


@admin.register(Evidence)
class EvidenceAdmin(PartOfResponseAdmin, RecordAdmin):
    # Files come from vendors through the portal, checked on the way in; they are part of
    # what the vendor submitted, and the audit trail refers to them.
    list_display = (
        "original_name",
        "question_key",
        "vendor",
        "size_label",
        "uploaded_at",
        "download",
    )
    list_filter = ("content_type", "answer__response__version__questionnaire")
    search_fields = ("original_name", "answer__response__vendor__name", "answer__question__key")
    list_select_related = ("answer__question", "answer__response__vendor")
    readonly_fields = (
        "answer",
        "original_name",
        "content_type",
        "size",
        "sha256",
        "uploaded_at",
        "uploaded_by",
        "download",
    )
    fields = readonly_fields

    @admin.display(description="Question", ordering="answer__question__key")
    def question_key(self, obj: Evidence) -> str:
        return obj.answer.question.key

    @admin.display(description="Vendor", ordering="answer__response__vendor__name")
    def vendor(self, obj: Evidence) -> str:
        return obj.answer.response.vendor.name

    @admin.display(description="Size", ordering="size")
    def size_label(self, obj: Evidence) -> str:
        return human_size(obj.size)

    @admin.display(description="File")
    def download(self, obj: Evidence) -> str:
        if not obj.pk:
            return "-"
        url = reverse("admin:questionnaires_evidence_download", args=[obj.pk])
        return format_html('<a href="{}">Download</a>', url)

    def get_urls(self) -> list[URLPattern]:
        urls = [
            path(
                "<int:evidence_id>/download/",
                self.admin_site.admin_view(self.download_view),
                name="questionnaires_evidence_download",
            )
        ]
        return urls + super().get_urls()

    def download_view(self, request: HttpRequest, evidence_id: int) -> FileResponse:
        evidence = access.evidence_for_user(request.user, evidence_id)
        try:
            handle = evidence.file.open("rb")
        except FileNotFoundError:
            raise Http404("The stored file is missing.") from None
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=evidence.original_name,
            content_type=evidence.content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response
