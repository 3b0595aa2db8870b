"""Evidence files in the admin, and their download: for analysts only.

Files are stored through Django's default storage and have no public URL (media is not
served): the only way to read one is this staff-only view, which sends it as an
attachment with its checked content type, so a browser never renders it inline.

The list filters by round, vendor, evidence level and question (named by number and
text), and its action "Mark the answers of the selected files verified" sets each
file's answer to verified through the review service that the response page's
evidence-level form uses (`services.reviews.answer_evidence_level_set`: audited,
rescored), for those who may review responses.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from .. import access
from ..audit import stored_question_name
from ..evidence import human_size
from ..models import Answer, Evidence, EvidenceLevel, Question
from ..services.reviews import ReviewNotAllowed, answer_evidence_level_set
from .filters import RoundFilter
from .records import PartOfResponseAdmin, RecordAdmin


def evidence_question_name(question: Question, *, with_version: bool = False) -> str:
    name = stored_question_name(question)
    return f"{name} (v{question.version.number})" if with_version else name


class EvidenceRoundFilter(RoundFilter):
    def round_q(self, round_id: int) -> Q:
        return Q(answer__response__selection_id=round_id)


class EvidenceQuestionFilter(admin.SimpleListFilter):
    """The questions files were given on, by number and text (and version, where the
    files answer several versions, whose numbering may differ)."""

    title = "question"
    parameter_name = "question"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        questions = list(
            Question.objects.filter(answers__evidence__isnull=False)
            .distinct()
            .select_related("version")
            .order_by("version__number", "position")
        )
        several = len({q.version_id for q in questions}) > 1
        return [(str(q.pk), evidence_question_name(q, with_version=several)) for q in questions]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Evidence]) -> QuerySet[Evidence]:
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(answer__question_id=int(value))
        return queryset


@admin.register(Evidence)
class EvidenceAdmin(PartOfResponseAdmin, RecordAdmin):
    # Files come from vendors through the portal, checked on the way in; they are part of
    # what the vendor submitted, and the audit trail refers to them.
    list_display = (
        "original_name",
        "question_column",
        "vendor",
        "level",
        "size_label",
        "uploaded_at",
        "download",
    )
    list_filter = (
        EvidenceRoundFilter,
        ("answer__response__vendor", admin.RelatedOnlyFieldListFilter),
        ("answer__evidence_level", admin.ChoicesFieldListFilter),
        EvidenceQuestionFilter,
        "content_type",
        "answer__response__version__questionnaire",
    )
    search_fields = ("original_name", "answer__response__vendor__name", "answer__question__text")
    search_help_text = "Search by file name, vendor or question text."
    list_select_related = ("answer__question__version", "answer__response__vendor")
    actions = ["mark_verified"]
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

    @admin.display(description="Question", ordering="answer__question__position")
    def question_column(self, obj: Evidence) -> str:
        return evidence_question_name(obj.answer.question)

    @admin.display(description="Evidence level", ordering="answer__evidence_level")
    def level(self, obj: Evidence) -> str:
        return obj.answer.get_evidence_level_display()

    # actions

    def has_verify_permission(self, request: HttpRequest) -> bool:
        """Verifying is reviewing: the right to see the files and to review responses."""
        return self.has_view_permission(request) and access.may_change_responses(request.user)

    @admin.action(
        description="Mark the answers of the selected files verified", permissions=["verify"]
    )
    def mark_verified(self, request: HttpRequest, queryset: QuerySet[Evidence]) -> None:
        answers = list(
            Answer.objects.filter(evidence__in=queryset)
            .distinct()
            .select_related("question__version", "response__vendor")
            .order_by("response_id", "question__position")
        )
        done, refused = 0, []
        for answer in answers:
            if answer.evidence_level == EvidenceLevel.VERIFIED:
                continue
            try:
                answer_evidence_level_set(
                    answer=answer,
                    level=EvidenceLevel.VERIFIED,
                    user=access.acting_account(request),
                )
            except ReviewNotAllowed as exc:
                name = stored_question_name(answer.question)
                refused.append(f"{answer.response.vendor.name}, {name}: {exc}")
            else:
                done += 1
        already = len(answers) - done - len(refused)
        if done:
            self.message_user(
                request,
                f"Marked {done} answer{'s' if done != 1 else ''} verified; their scores "
                "were updated.",
                messages.SUCCESS,
            )
        if already:
            self.message_user(
                request,
                f"{already} answer{'s were' if already != 1 else ' was'} verified already.",
                messages.INFO,
            )
        for reason in refused:
            self.message_user(request, reason, messages.ERROR)

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
