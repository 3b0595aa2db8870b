"""The analyst's workspace for responses: list, review page, actions and comparisons.

The list shows every response with the score under its version's default profile (the
first profile of the definition), read through one join, never a query per row. The
response page is read-only: the answers by section with their risk, evidence and
comments, the flags, the explanation of the score and the history; changes go through
the review actions (accept, request clarification, set the evidence level, override the
score), each a small form posted to a custom admin view that calls one service.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F, FilteredRelation, Q, QuerySet, Value
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Coalesce, NullIf
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from ..audit import EventLabels, describe_event
from ..comparison import ComparisonError, build_comparison
from ..definition import iter_questions
from ..display import answer_display
from ..models import (
    EDITABLE_STATUSES,
    HANDED_OVER_STATUSES,
    Answer,
    AuditEvent,
    Evidence,
    Questionnaire,
    Response,
    ResponseScore,
    ResponseStatus,
    Selection,
)
from ..services.reviews import (
    ReviewNotAllowed,
    answer_evidence_level_set,
    clarification_request,
    response_accept,
)
from ..services.scores import response_score, score_override
from ..templatetags.workspace import TIER_WORDS, tier_badge
from .comparison_pages import (
    BadRequestIds,
    ComparisonPage,
    comparison_view,
    export_response,
    export_view,
    parse_ids,
)
from .review_forms import ClarificationForm, EvidenceLevelForm, OverrideForm

# How many answers the explanation names: enough to see what drives the score.
EXPLANATION_SIZE = 6
HISTORY_SIZE = 200


def score_text(score: float | None, low: float | None, high: float | None) -> str:
    """'42 (31-58)', or the range alone when nothing is answered yet."""
    if low is None or high is None:
        return "—"
    span = f"{low:.0f}-{high:.0f}"
    return f"{score:.0f} ({span})" if score is not None else f"no score yet ({span})"


# The default profile's score, joined onto each response ---------------------------------


def _default_profile_key():
    # KT() across a relation is mis-compiled on SQLite in Django 5.2; nesting the
    # transforms explicitly works on SQLite and PostgreSQL alike.
    return KeyTextTransform(
        "key", KeyTransform("0", KeyTransform("profiles", "version__definition"))
    )


def with_default_score(queryset: QuerySet[Response]) -> QuerySet[Response]:
    """Annotate each response with its stored score under the version's default profile."""
    return (
        queryset.annotate(default_profile_key=_default_profile_key())
        .annotate(
            default_score=FilteredRelation(
                "scores", condition=Q(scores__profile_key=F("default_profile_key"))
            )
        )
        .annotate(
            score_value=F("default_score__score"),
            score_low=F("default_score__low"),
            score_high=F("default_score__high"),
            score_coverage=F("default_score__coverage"),
            score_tier=F("default_score__tier"),
            score_flags=F("default_score__flag_count"),
            score_override=F("default_score__override_score"),
            score_override_tier=F("default_score__override_tier"),
            effective_score=Coalesce(F("default_score__override_score"), F("default_score__score")),
            effective_tier=Coalesce(
                NullIf(F("default_score__override_tier"), Value("")), F("default_score__tier")
            ),
        )
    )


class TierFilter(admin.SimpleListFilter):
    title = "tier"
    parameter_name = "tier"

    def lookups(self, request, model_admin):
        return [
            *((t, TIER_WORDS[t]) for t in ("low", "moderate", "high", "critical")),
            ("none", "Not scored"),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "none":
            return queryset.filter(Q(effective_tier__isnull=True) | Q(effective_tier="unrated"))
        if value in TIER_WORDS:
            return queryset.filter(effective_tier=value)
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    title = "due date"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", "Overdue"), ("no", "Not overdue")]

    def queryset(self, request, queryset):
        overdue = Q(due_date__lt=timezone.localdate(), status__in=EDITABLE_STATUSES)
        if self.value() == "yes":
            return queryset.filter(overdue)
        if self.value() == "no":
            return queryset.exclude(overdue)
        return queryset


# Response admin -------------------------------------------------------------------------


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = (
        "vendor_column",
        "version_column",
        "status",
        "due_column",
        "score_column",
        "tier_column",
        "coverage_column",
        "flags_column",
    )
    list_filter = ("status", TierFilter, "version__questionnaire", OverdueFilter)
    search_fields = ("vendor__name", "vendor__product")
    search_help_text = "Search by vendor or product name."
    list_per_page = 50
    actions = ["compare_selected", "export_selected_xlsx", "export_selected_csv"]
    readonly_fields = (
        "vendor",
        "version",
        "status",
        "due_date",
        "created_at",
        "submitted_at",
        "accepted_at",
    )
    fields = readonly_fields
    change_form_template = "admin/questionnaires/response/change_form.html"

    class Media:
        css = {"all": ["cxvet/admin/workspace.css"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Response]:
        queryset = (
            super()
            .get_queryset(request)
            .select_related("vendor", "version__questionnaire")
            # The definition can be large and the list never needs it.
            .defer("version__definition")
        )
        return with_default_score(queryset)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A response exists because a vendor was invited (Vendors > invite), never bare.
        return False

    # list columns

    @admin.display(description="Vendor", ordering="vendor__name")
    def vendor_column(self, obj: Response) -> str:
        return format_html(
            "{}<br><small class='cx-muted'>{}</small>", obj.vendor.name, obj.vendor.product
        )

    @admin.display(description="Questionnaire", ordering="version__questionnaire__title")
    def version_column(self, obj: Response) -> str:
        return f"{obj.version.questionnaire.title} v{obj.version.number}"

    @admin.display(description="Due", ordering="due_date")
    def due_column(self, obj: Response) -> str:
        if obj.status in EDITABLE_STATUSES and obj.due_date < timezone.localdate():
            return format_html(
                '{} <span class="cx-overdue">overdue</span>', obj.due_date.strftime("%-d %b %Y")
            )
        return obj.due_date.strftime("%-d %b %Y")

    @admin.display(description="Score (range)", ordering="effective_score")
    def score_column(self, obj: Response) -> str:
        computed = score_text(obj.score_value, obj.score_low, obj.score_high)
        if obj.score_override is None:
            return computed
        return format_html(
            '<strong>{}</strong> <span class="cx-override">override</span>'
            '<br><small class="cx-muted">computed {}</small>',
            f"{obj.score_override:.0f}",
            computed,
        )

    @admin.display(description="Tier", ordering="effective_tier")
    def tier_column(self, obj: Response) -> str:
        if obj.score_override_tier:
            return format_html(
                '{} <span class="cx-override">override</span><br><small class="cx-muted">'
                "computed {}</small>",
                tier_badge(obj.score_override_tier),
                TIER_WORDS.get(obj.score_tier, obj.score_tier or "—"),
            )
        return tier_badge(obj.score_tier)

    @admin.display(description="Coverage", ordering="score_coverage")
    def coverage_column(self, obj: Response) -> str:
        return "—" if obj.score_coverage is None else f"{obj.score_coverage:.0%}"

    @admin.display(description="Flags", ordering="score_flags")
    def flags_column(self, obj: Response) -> str:
        if obj.score_flags is None:
            return "—"
        return str(obj.score_flags)

    # actions

    @admin.action(description="Compare selected responses")
    def compare_selected(self, request: HttpRequest, queryset: QuerySet[Response]):
        if _questionnaire_count(queryset) > 1:
            self.message_user(
                request,
                "The selected responses answer different questionnaires; only answers to the "
                "same questionnaire can be compared. Filter the list by questionnaire first.",
                messages.ERROR,
            )
            return None
        ids = ",".join(
            str(pk) for pk in queryset.order_by("vendor__name").values_list("pk", flat=True)
        )
        return HttpResponseRedirect(f"{reverse('admin:questionnaires_response_compare')}?ids={ids}")

    @admin.action(description="Export selected responses (XLSX)")
    def export_selected_xlsx(self, request: HttpRequest, queryset: QuerySet[Response]):
        return self._export_selected(request, queryset, "xlsx")

    @admin.action(description="Export selected responses (CSV answers)")
    def export_selected_csv(self, request: HttpRequest, queryset: QuerySet[Response]):
        return self._export_selected(request, queryset, "csv")

    def _export_selected(self, request, queryset, fmt: str):
        ids = list(queryset.order_by("vendor__name").values_list("pk", flat=True))
        try:
            comparison = build_comparison(ids, robustness=False)
        except ComparisonError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return None
        return export_response(comparison, fmt=fmt, part="answers", what="responses")

    # custom pages

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("compare/", wrap(self.compare_view), name="questionnaires_response_compare"),
            path(
                "compare/export/",
                wrap(self.compare_export_view),
                name="questionnaires_response_compare_export",
            ),
            path(
                "export/questionnaire/<int:questionnaire_id>/",
                wrap(self.questionnaire_export_view),
                name="questionnaires_response_questionnaire_export",
            ),
            path(
                "<path:object_id>/accept/",
                wrap(require_POST(self.accept_view)),
                name="questionnaires_response_accept",
            ),
            path(
                "<path:object_id>/clarify/",
                wrap(self.clarify_view),
                name="questionnaires_response_clarify",
            ),
            path(
                "<path:object_id>/override/",
                wrap(self.override_view),
                name="questionnaires_response_override",
            ),
            path(
                "<path:object_id>/answers/<int:answer_id>/evidence-level/",
                wrap(require_POST(self.evidence_level_view)),
                name="questionnaires_response_evidence_level",
            ),
            *super().get_urls(),
        ]

    def _response_for(self, request: HttpRequest, object_id: str, *, change: bool) -> Response:
        """The one place that decides whether this analyst may see or act on a response."""
        response = self.get_object(request, object_id)
        if response is None:
            raise Http404(f"No response with id {object_id}.")
        allowed = (
            self.has_change_permission(request, response)
            if change
            else self.has_view_permission(request, response)
        )
        if not allowed:
            raise PermissionDenied
        return response

    def _change_url(self, response: Response) -> str:
        return reverse("admin:questionnaires_response_change", args=[response.pk])

    def accept_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        response = self._response_for(request, object_id, change=True)
        try:
            response_accept(response=response, user=request.user)
        except ReviewNotAllowed as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(request, f"Accepted the response of {response.vendor.name}.")
        return HttpResponseRedirect(self._change_url(response))

    def clarify_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        response = self._response_for(request, object_id, change=True)
        if response.status != ResponseStatus.SUBMITTED:
            self.message_user(
                request,
                f"Clarification can only be requested on a submitted response; this one is "
                f"{response.get_status_display().lower()}.",
                messages.ERROR,
            )
            return HttpResponseRedirect(self._change_url(response))
        form = ClarificationForm(request.POST or None, response=response)
        if request.method == "POST" and form.is_valid():
            try:
                clarification_request(
                    response=response,
                    questions=form.questions(),
                    note=form.cleaned_data["note"],
                    user=request.user,
                )
            except ReviewNotAllowed as exc:
                form.add_error(None, str(exc))
            else:
                count = len(form.questions())
                self.message_user(
                    request,
                    f"Reopened {count} question{'s' if count != 1 else ''} and notified "
                    f"{response.vendor.name}.",
                )
                return HttpResponseRedirect(self._change_url(response))
        answers = _current_answers(response)
        return self._render(
            request,
            "admin/questionnaires/response/clarify.html",
            response,
            title=f"Request clarification from {response.vendor.name}",
            form=form,
            answers=answers,
        )

    def override_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        response = self._response_for(request, object_id, change=True)
        profiles = [(p["key"], p["title"]) for p in response.version.definition["profiles"]]
        initial = {"profile": request.GET.get("profile") or profiles[0][0]}
        form = OverrideForm(request.POST or None, profiles=profiles, initial=initial)
        if request.method == "POST" and form.is_valid():
            stored = _stored_score(response, form.cleaned_data["profile"])
            try:
                score_override(
                    response_score=stored,
                    user=request.user,
                    score=form.score_value,
                    tier=form.cleaned_data["tier"],
                    justification=form.cleaned_data["justification"],
                )
            except ValidationError as exc:
                _add_service_errors(form, exc)
            else:
                self.message_user(request, "Score overridden; the computed score stays on record.")
                return HttpResponseRedirect(self._change_url(response))
        scores = {s.profile_key: s for s in response.scores.all()}
        return self._render(
            request,
            "admin/questionnaires/response/override.html",
            response,
            title=f"Override the score of {response.vendor.name}",
            form=form,
            scores=[(key, title, scores.get(key)) for key, title in profiles],
        )

    def evidence_level_view(
        self, request: HttpRequest, object_id: str, answer_id: int
    ) -> HttpResponse:
        response = self._response_for(request, object_id, change=True)
        answer = get_object_or_404(Answer, pk=answer_id, response=response)
        form = EvidenceLevelForm(request.POST)
        if not form.is_valid():
            self.message_user(request, "Choose a valid evidence level.", messages.ERROR)
        else:
            try:
                answer_evidence_level_set(
                    answer=answer, level=form.cleaned_data["level"], user=request.user
                )
            except ReviewNotAllowed as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"Evidence of “{answer.question.key}” is now "
                    f"{answer.get_evidence_level_display().lower()}; the score was updated.",
                )
        return HttpResponseRedirect(f"{self._change_url(response)}#answer-{answer.question.key}")

    def compare_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist = reverse("admin:questionnaires_response_changelist")
        try:
            ids = parse_ids(request.GET.get("ids", ""))
        except BadRequestIds as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(changelist)
        page = ComparisonPage(
            title="Compare vendors",
            page_url=reverse("admin:questionnaires_response_compare"),
            export_url=reverse("admin:questionnaires_response_compare_export"),
            back_url=changelist,
            identity={"ids": ",".join(map(str, ids))},
        )
        return comparison_view(self, request, page, ids)

    def compare_export_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist = reverse("admin:questionnaires_response_changelist")
        try:
            ids = parse_ids(request.GET.get("ids", ""))
        except BadRequestIds as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(changelist)
        return export_view(request, ids, what="comparison", back_url=changelist)

    def questionnaire_export_view(
        self, request: HttpRequest, questionnaire_id: int
    ) -> HttpResponse:
        """Every response to a questionnaire (all versions), as XLSX or CSV."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        questionnaire = get_object_or_404(Questionnaire, pk=questionnaire_id)
        ids = list(
            Response.objects.filter(version__questionnaire=questionnaire)
            .order_by("vendor__name", "version__number")
            .values_list("pk", flat=True)
        )
        changelist = reverse("admin:questionnaires_response_changelist")
        if not ids:
            self.message_user(
                request,
                f"Nobody has been invited to “{questionnaire.title}” yet.",
                messages.WARNING,
            )
            return HttpResponseRedirect(changelist)
        return export_view(request, ids, what="all-responses", back_url=changelist)

    # the response page

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method not in ("GET", "HEAD"):
            # Nothing on this page is edited directly: changes go through the review
            # actions, each with its own view, service and audit record.
            return HttpResponseNotAllowed(["GET", "HEAD"])
        response = self._response_for(request, object_id, change=False)
        context = {
            **(extra_context or {}),
            **self._review_context(request, response),
            "title": f"Review: {response.vendor.name}",
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().change_view(request, object_id, form_url, extra_context=context)

    def _review_context(self, request: HttpRequest, response: Response) -> dict[str, Any]:
        profiles = [(p["key"], p["title"]) for p in response.version.definition["profiles"]]
        profile_key = request.GET.get("profile")
        if profile_key not in dict(profiles):
            profile_key = profiles[0][0]
        comparison = build_comparison([response.pk], profile_key=profile_key, robustness=False)
        column = comparison.vendors[0]
        evidence = _evidence_by_answer(response)
        stored = {s.profile_key: s for s in response.scores.select_related("overridden_by")}
        can_change = self.has_change_permission(request, response)
        labels = EventLabels.of(response.version.definition)
        return {
            "comparison": comparison,
            "column": column,
            "sections": [
                (
                    section,
                    section.subtotals[0],
                    [
                        (row, row.cells[0], evidence.get(row.cells[0].answer_id, []))
                        for row in section.rows
                    ],
                )
                for section in comparison.sections
            ],
            "flags": _flags_with_answers(comparison),
            "explanation": _explanation(comparison),
            "stored_scores": [(key, title, stored.get(key)) for key, title in profiles],
            "stored": stored.get(profile_key),
            "profiles": profiles,
            "profile_key": profile_key,
            "events": [
                (event, describe_event(event.kind, event.data, labels))
                for event in AuditEvent.objects.filter(response=response).select_related(
                    "actor_user"
                )[:HISTORY_SIZE]
            ],
            "can_review": can_change and response.status == ResponseStatus.SUBMITTED,
            "can_set_evidence": can_change and response.status in HANDED_OVER_STATUSES,
            "can_override": can_change,
            "evidence_levels": EvidenceLevelForm.base_fields["level"].choices,
        }

    def _render(self, request, template: str, response: Response, **context) -> TemplateResponse:
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request,
            template,
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "original": response,
                "response": response,
                "change_url": self._change_url(response),
                **context,
            },
        )


def _questionnaire_count(queryset: QuerySet[Response]) -> int:
    return queryset.order_by().values("version__questionnaire").distinct().count()


def _current_answers(response: Response) -> dict[str, dict[str, str]]:
    """{question key: {"display", "comment"}} of the answers as the vendor left them."""
    questions = {q["key"]: q for _, q in iter_questions(response.version.definition)}
    rows = (
        Answer.objects.filter(response=response)
        .annotate(files=Count("evidence"))
        .values("question__key", "value", "comment", "files")
    )
    return {
        row["question__key"]: {
            "display": answer_display(questions[row["question__key"]], row["value"], row["files"])
            if row["value"] not in (None, "", []) or row["files"]
            else "",
            "comment": row["comment"],
        }
        for row in rows
        if row["question__key"] in questions
    }


def _stored_score(response: Response, profile_key: str) -> ResponseScore:
    """The stored score to override, computed first if the response was never scored."""
    stored = ResponseScore.objects.filter(response=response, profile_key=profile_key).first()
    if stored is None:
        [stored] = response_score(response=response, profile_keys=[profile_key])
    return stored


def _add_service_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        for message in exc.messages:
            form.add_error(None, message)


def _evidence_by_answer(response: Response) -> dict[int, list[tuple[Evidence, str]]]:
    by_answer: dict[int, list[tuple[Evidence, str]]] = {}
    for item in Evidence.objects.filter(answer__response=response).order_by("uploaded_at"):
        by_answer.setdefault(item.answer_id, []).append((item, evidence_url(item)))
    return by_answer


def evidence_url(item: Evidence) -> str:
    """The staff-only download of an evidence file (EvidenceAdmin)."""
    return reverse("admin:questionnaires_evidence_download", args=[item.pk])


def _flags_with_answers(comparison) -> list[tuple[Any, list[tuple[Any, Any]]]]:
    """Each flag with the questions and answers that raised it."""
    rows = {row.key: row for _, row in comparison.rows()}
    return [
        (flag, [(rows[key], rows[key].cells[0]) for key in flag.questions if key in rows])
        for flag in comparison.vendors[0].flags
    ]


def _explanation(comparison) -> list[tuple[Any, Any, Any]]:
    """The answers that moved the score most: the largest pulls away from the average.

    Each item is (contribution, row, cell); `shift` is how many points the answer moves
    the score above (+) or below (-) what an average answer would give.
    """
    rows = {row.key: row for _, row in comparison.rows()}
    answered = [c for c in comparison.vendors[0].result.contributions if c.answered]
    answered.sort(key=lambda c: abs(c.shift), reverse=True)
    return [
        (c, rows[c.question_key], rows[c.question_key].cells[0])
        for c in answered[:EXPLANATION_SIZE]
        if c.question_key in rows
    ]


# Selections ------------------------------------------------------------------------------


@admin.register(Selection)
class SelectionAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "buyer_name",
        "profile_key",
        "response_count",
        "compare_link",
        "created_at",
    )
    search_fields = ("name", "buyer_name")
    filter_horizontal = ("responses",)
    fields = ("name", "buyer_name", "profile_key", "responses", "recommendation")
    change_form_template = "admin/questionnaires/selection/change_form.html"

    class Media:
        css = {"all": ["cxvet/admin/workspace.css"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(response_total=Count("responses"))

    @admin.display(description="Responses", ordering="response_total")
    def response_count(self, obj: Selection) -> int:
        return obj.response_total

    @admin.display(description="Comparison")
    def compare_link(self, obj: Selection) -> str:
        url = reverse("admin:questionnaires_selection_compare", args=[obj.pk])
        return format_html('<a href="{}">Compare</a>', url)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "responses":
            # Each choice is labelled with its vendor and version: join them, skip the
            # definitions.
            kwargs["queryset"] = (
                Response.objects.select_related("vendor", "version")
                .defer("version__definition")
                .order_by("vendor__name", "version__number")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change and not obj.created_by_id:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/compare/",
                wrap(self.compare_view),
                name="questionnaires_selection_compare",
            ),
            path(
                "<path:object_id>/compare/export/",
                wrap(self.compare_export_view),
                name="questionnaires_selection_compare_export",
            ),
            *super().get_urls(),
        ]

    def _selection_for(self, request: HttpRequest, object_id: str) -> Selection:
        selection = self.get_object(request, object_id)
        if selection is None:
            raise Http404(f"No selection with id {object_id}.")
        if not self.has_view_permission(request, selection):
            raise PermissionDenied
        return selection

    def _response_ids(self, selection: Selection) -> list[int]:
        return list(
            selection.responses.order_by("vendor__name", "version__number").values_list(
                "pk", flat=True
            )
        )

    def compare_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        selection = self._selection_for(request, object_id)
        change_url = reverse("admin:questionnaires_selection_change", args=[selection.pk])
        ids = self._response_ids(selection)
        if not ids:
            self.message_user(
                request,
                "This selection has no responses yet: add the responses to compare, then save.",
                messages.WARNING,
            )
            return HttpResponseRedirect(change_url)
        page = ComparisonPage(
            title=f"{selection.name}: compare vendors for {selection.buyer_name}",
            page_url=reverse("admin:questionnaires_selection_compare", args=[selection.pk]),
            export_url=reverse(
                "admin:questionnaires_selection_compare_export", args=[selection.pk]
            ),
            back_url=change_url,
            identity={},
            default_profile=selection.profile_key,
            recommendation=selection.recommendation,
        )
        return comparison_view(self, request, page, ids)

    def compare_export_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        selection = self._selection_for(request, object_id)
        change_url = reverse("admin:questionnaires_selection_change", args=[selection.pk])
        return export_view(
            request,
            self._response_ids(selection),
            what="selection",
            back_url=change_url,
            default_profile=selection.profile_key,
        )


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "kind", "response", "actor_user", "actor_label", "details")
    list_filter = ("kind",)
    list_select_related = ("response__vendor", "response__version", "actor_user")
    search_fields = ("response__vendor__name", "actor_label", "actor_user__username")
    readonly_fields = ("at", "kind", "response", "actor_user", "actor_label", "details", "data")

    @admin.display(description="details")
    def details(self, event: AuditEvent) -> str:
        # The response's version names the questions and profiles that the data refers to.
        definition = event.response.version.definition if event.response else None
        return str(describe_event(event.kind, event.data, EventLabels.of(definition)))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # The audit trail is a record: nobody edits it.
        return False

    def has_delete_permission(self, request, obj=None):
        return False
