"""The analyst's workspace for responses: list, review page, actions and comparisons.

The list shows every response with the score under its round's profile (as the round's
reports use; the version's default without one), read through one join, never a query
per row. The
response page is read-only: the answers by section with their risk, evidence and
comments, the flags, the explanation of the score and the history; changes go through
the review actions (accept, request clarification, set the evidence level, override the
score), each a small form posted to a custom admin view that calls one service.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from .. import access
from ..audit import EventLabels, describe_event, stored_question_name
from ..clarifications import latest_clarification
from ..comparison import Comparison, ComparisonError, build_comparison
from ..display import score_range_shown, score_shown
from ..frameworks.coverage import controls_by_question
from ..models import (
    HANDED_OVER_STATUSES,
    Answer,
    AuditEvent,
    Evidence,
    QuestionnaireVersion,
    Response,
    ResponseStatus,
)
from ..scoring import TIERS
from ..selectors import (
    DUE_SOON_DAYS,
    clarified_before,
    due_soon,
    overdue,
    profile_titles,
    questionnaire_count,
    response_answers_as_left,
    response_clarification_events,
    response_delivery_problems,
    response_evidence,
    response_history,
    response_ids_in_order,
    response_stored_scores,
    response_vendor_rounds,
    responses_for_listing,
    responses_in_tier,
)
from ..services.reviews import (
    ReviewNotAllowed,
    answer_evidence_level_set,
    clarification_request,
    response_accept,
)
from ..services.scores import response_score_override
from ..templatetags.workspace import TIER_WORDS, tier_badge
from .comparison_pages import (
    BadRequestIds,
    ComparisonPage,
    comparison_view,
    export_response,
    export_view,
    parse_ids,
)
from .danger import DangerLastActionsMixin
from .filters import EmptyOrNotFilter, RoundFilter
from .records import PartOfResponseAdmin, RecordAdmin
from .review_forms import ClarificationForm, EvidenceLevelForm, OverrideForm
from .review_page import review_context
from .workbooks import workbook_urls

if TYPE_CHECKING:
    from ..selectors import ListedResponse

# How many answers the explanation names: enough to see what drives the score.
EXPLANATION_SIZE = 6
HISTORY_SIZE = 200


def score_text(score: float | None, low: float | None, high: float | None) -> str:
    """'42.3 (31.0-58.4)', or the range alone when nothing is answered yet: as the PDFs
    print scores (display.score_range_shown)."""
    return score_range_shown(score, low, high)


class TierFilter(admin.SimpleListFilter):
    title = "tier"
    parameter_name = "tier"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [
            *((t, TIER_WORDS[t]) for t in TIERS),
            ("none", "Not scored"),
        ]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[ListedResponse]
    ) -> QuerySet[ListedResponse]:
        value = self.value()
        if value == "none":
            return responses_in_tier(queryset, None)
        if value in TIER_WORDS:
            return responses_in_tier(queryset, value)
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    """By the vendor's deadline: the due date, or while a clarification is open its
    reply-by date."""

    title = "due date"
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [
            ("yes", "Overdue"),
            ("soon", f"Due within {DUE_SOON_DAYS} days"),
            ("no", "Not overdue"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Response]) -> QuerySet[Response]:
        if self.value() == "yes":
            return queryset.filter(overdue())
        if self.value() == "soon":
            return queryset.filter(due_soon())
        if self.value() == "no":
            return queryset.exclude(overdue())
        return queryset


class ClarifiedFilter(admin.SimpleListFilter):
    title = "clarification"
    parameter_name = "clarified"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", "Asked at least once"), ("no", "Never asked")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Response]) -> QuerySet[Response]:
        if self.value() == "yes":
            return queryset.filter(clarified_before())
        if self.value() == "no":
            return queryset.exclude(clarified_before())
        return queryset


# Response admin -------------------------------------------------------------------------


@admin.register(Response)
class ResponseAdmin(DangerLastActionsMixin, admin.ModelAdmin):
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
    list_filter = (
        "status",
        TierFilter,
        ("selection", admin.RelatedOnlyFieldListFilter),
        "version__questionnaire",
        OverdueFilter,
        ClarifiedFilter,
    )
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
        return responses_for_listing(super().get_queryset(request))

    def get_changelist_instance(self, request: HttpRequest) -> ChangeList:
        changelist = super().get_changelist_instance(request)
        # An override says which profile it belongs to: the titles of the profiles the
        # page's rows are scored under (their rounds'), in one query.
        rows = list(changelist.result_list)
        titles = profile_titles({(row.version_id, row.score_profile_key) for row in rows})
        for row in rows:
            row.cx_profile_title = titles.get((row.version_id, row.score_profile_key))
        return changelist

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A response exists because a vendor was invited (Vendors > invite), never bare.
        return False

    def has_view_permission(self, request: HttpRequest, obj: Response | None = None) -> bool:
        return access.may_view_responses(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Response | None = None) -> bool:
        return access.may_change_responses(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Response | None = None) -> bool:
        return access.may_delete_responses(request.user)

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
    def due_column(self, obj: ListedResponse) -> str:
        due = obj.due_date.strftime("%-d %b %Y")
        if obj.status == ResponseStatus.CLARIFICATION_REQUESTED and obj.clarification_reply_by:
            due = f"clarification by {obj.clarification_reply_by:%-d %b %Y}"
        if obj.is_overdue:
            return format_html('{} <span class="cx-overdue">overdue</span>', due)
        return due

    @admin.display(description="Score (range)", ordering="effective_score")
    def score_column(self, obj: ListedResponse) -> str:
        computed = score_text(obj.score_value, obj.score_low, obj.score_high)
        if obj.score_override is None:
            return computed
        return format_html(
            '<strong>{}</strong> <span class="cx-override">override · {}</span>'
            '<br><small class="cx-muted">computed {}</small>',
            score_shown(obj.score_override),
            getattr(obj, "cx_profile_title", "") or obj.score_profile_key,
            computed,
        )

    @admin.display(description="Tier", ordering="effective_tier")
    def tier_column(self, obj: ListedResponse) -> str:
        if obj.score_override_tier:
            return format_html(
                '{} <span class="cx-override">override</span><br><small class="cx-muted">'
                "computed {}</small>",
                tier_badge(obj.score_override_tier),
                TIER_WORDS.get(obj.score_tier or "", obj.score_tier or "—"),
            )
        return tier_badge(obj.score_tier)

    @admin.display(description="Coverage", ordering="score_coverage")
    def coverage_column(self, obj: ListedResponse) -> str:
        return "—" if obj.score_coverage is None else f"{obj.score_coverage:.0%}"

    @admin.display(description="Flags", ordering="score_flags")
    def flags_column(self, obj: ListedResponse) -> str:
        if obj.score_flags is None:
            return "—"
        return str(obj.score_flags)

    # actions

    @admin.action(description="Compare selected responses", permissions=["view"])
    def compare_selected(
        self, request: HttpRequest, queryset: QuerySet[Response]
    ) -> HttpResponse | None:
        if questionnaire_count(queryset) > 1:
            self.message_user(
                request,
                "The selected responses answer different questionnaires; only answers to the "
                "same questionnaire can be compared. Filter the list by questionnaire first.",
                messages.ERROR,
            )
            return None
        ids = ",".join(map(str, response_ids_in_order(queryset)))
        return HttpResponseRedirect(f"{reverse('admin:questionnaires_response_compare')}?ids={ids}")

    @admin.action(description="Export selected responses (XLSX)", permissions=["view"])
    def export_selected_xlsx(
        self, request: HttpRequest, queryset: QuerySet[Response]
    ) -> HttpResponse | None:
        return self._export_selected(request, queryset, "xlsx")

    @admin.action(description="Export selected responses (CSV answers)", permissions=["view"])
    def export_selected_csv(
        self, request: HttpRequest, queryset: QuerySet[Response]
    ) -> HttpResponse | None:
        return self._export_selected(request, queryset, "csv")

    def _export_selected(
        self, request: HttpRequest, queryset: QuerySet[Response], fmt: str
    ) -> HttpResponse | None:
        ids = access.responses_for_user(request.user, response_ids_in_order(queryset))
        try:
            comparison = build_comparison(ids, robustness=False)
        except ComparisonError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return None
        return export_response(comparison, fmt=fmt, part="answers", what="responses")

    # custom pages

    def get_urls(self) -> list[URLPattern]:
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
            *workbook_urls(self),
            *super().get_urls(),
        ]

    def _response_for(self, request: HttpRequest, object_id: str, *, change: bool) -> Response:
        return access.response_for_user(request.user, unquote(object_id), change=change)

    def _change_url(self, response: Response) -> str:
        return reverse("admin:questionnaires_response_change", args=[response.pk])

    def accept_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        response = self._response_for(request, object_id, change=True)
        try:
            response_accept(response=response, user=access.acting_account(request))
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
                    user=access.acting_account(request),
                    documents=form.documents(),
                    reply_by=form.cleaned_data["reply_by"],
                )
            except ReviewNotAllowed as exc:
                form.add_error(None, str(exc))
            else:
                count = len(form.questions())
                self.message_user(
                    request,
                    f"Reopened {count} question{'s' if count != 1 else ''} and notified "
                    f"{response.vendor.name}, to reply by "
                    f"{form.cleaned_data['reply_by']:%-d %b %Y}.",
                )
                return HttpResponseRedirect(self._change_url(response))
        answers = response_answers_as_left(response)
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
        profiles = _profile_choices(response.version)
        initial = {"profile": request.GET.get("profile") or response.round_profile_key}
        form = OverrideForm(request.POST or None, profiles=profiles, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                response_score_override(
                    response=response,
                    profile_key=form.cleaned_data["profile"],
                    user=access.acting_account(request),
                    score=form.score_value,
                    tier=form.cleaned_data["tier"],
                    justification=form.cleaned_data["justification"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                _add_service_errors(form, exc)
            else:
                self.message_user(request, "Score overridden; the computed score stays on record.")
                return HttpResponseRedirect(self._change_url(response))
        scores = response_stored_scores(response)
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
                    answer=answer,
                    level=form.cleaned_data["level"],
                    user=access.acting_account(request),
                )
            except ReviewNotAllowed as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"Evidence of {stored_question_name(answer.question)}"
                    " is now "
                    f"{answer.get_evidence_level_display().lower()}; the score was updated.",
                )
        return HttpResponseRedirect(f"{self._change_url(response)}#answer-{answer.question.key}")

    def compare_view(self, request: HttpRequest) -> HttpResponse:
        return self._compare(request, export=False)

    def compare_export_view(self, request: HttpRequest) -> HttpResponse:
        return self._compare(request, export=True)

    def _compare(self, request: HttpRequest, *, export: bool) -> HttpResponse:
        """The comparison of the responses named by ?ids=, as a page or an export."""
        changelist = reverse("admin:questionnaires_response_changelist")
        try:
            ids = access.responses_for_user(request.user, parse_ids(request.GET.get("ids", "")))
        except BadRequestIds as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(changelist)
        if export:
            return export_view(request, ids, what="comparison", back_url=changelist)
        page = ComparisonPage(
            title="Compare vendors",
            page_url=reverse("admin:questionnaires_response_compare"),
            export_url=reverse("admin:questionnaires_response_compare_export"),
            back_url=changelist,
            identity={"ids": ",".join(map(str, ids))},
        )
        return comparison_view(self, request, page, ids)

    def questionnaire_export_view(
        self, request: HttpRequest, questionnaire_id: int
    ) -> HttpResponse:
        """Every response to a questionnaire (all versions), as XLSX or CSV."""
        questionnaire, ids = access.questionnaire_responses_for_user(request.user, questionnaire_id)
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

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
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
            # Deleting stands apart, in the page's "danger" group at the end.
            "show_delete": False,
            "can_delete_response": self.has_delete_permission(request, response),
        }
        return super().change_view(request, object_id, form_url, extra_context=context)

    def _review_context(self, request: HttpRequest, response: Response) -> dict[str, Any]:
        profiles = _profile_choices(response.version)
        profile_key = request.GET.get("profile")
        if profile_key not in dict(profiles):
            profile_key = response.round_profile_key
        comparison = build_comparison([response.pk], profile_key=profile_key, robustness=False)
        column = comparison.vendors[0]
        # Keyed by answer id; a question without a stored answer (None) has no files.
        evidence: dict[int | None, list[tuple[Evidence, str]]] = {
            answer_id: [(item, evidence_url(item)) for item in items]
            for answer_id, items in response_evidence(response).items()
        }
        stored = response_stored_scores(response)
        can_change = access.may_change_responses(request.user)
        labels = EventLabels.of(response.version.definition)
        vendor_rounds = response_vendor_rounds(response, profile_key=profile_key, now=column.result)
        clarification = latest_clarification(
            response_clarification_events(response), response.version.definition
        )
        return {
            "comparison": comparison,
            "column": column,
            **review_context(
                comparison,
                evidence,
                vendor_rounds=vendor_rounds,
                clarification=clarification,
                show_values=request.GET.getlist("show"),
            ),
            "question_controls": controls_by_question(response.version.definition),
            "flags": _flags_with_answers(comparison),
            "explanation": _explanation(comparison),
            "stored_scores": [(key, title, stored.get(key)) for key, title in profiles],
            "stored": stored.get(profile_key),
            "profiles": profiles,
            "profile_key": profile_key,
            "events": [
                (event, describe_event(event.kind, event.data, labels))
                for event in response_history(response, limit=HISTORY_SIZE)
            ],
            "can_review": can_change and response.status == ResponseStatus.SUBMITTED,
            "can_set_evidence": can_change and response.status in HANDED_OVER_STATUSES,
            "can_override": can_change,
            "evidence_levels": cast(
                forms.ChoiceField, EvidenceLevelForm.base_fields["level"]
            ).choices,
            "can_request_report": access.may_request_reports(request.user),
            "delivery_problems": response_delivery_problems(response),
            "vendor_rounds": vendor_rounds,
            "can_view_audit": access.may_view_part_of_responses(
                request.user, "questionnaires.view_auditevent"
            ),
            "clarification": clarification,
        }

    def _render(
        self, request: HttpRequest, template: str, response: Response, **context: Any
    ) -> TemplateResponse:
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


def _profile_choices(version: QuestionnaireVersion) -> list[tuple[str, str]]:
    """(key, title) of the version's profiles, in its definition's order."""
    return [(p["key"], p["title"]) for p in version.definition["profiles"]]


def _add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        for message in exc.messages:
            form.add_error(None, message)


def evidence_url(item: Evidence) -> str:
    """The staff-only download of an evidence file (EvidenceAdmin)."""
    return reverse("admin:questionnaires_evidence_download", args=[item.pk])


def _flags_with_answers(comparison: Comparison) -> list[tuple[Any, list[tuple[Any, Any]]]]:
    """Each flag with the questions and answers that raised it."""
    rows = {row.key: row for _, row in comparison.rows()}
    return [
        (flag, [(rows[key], rows[key].cells[0]) for key in flag.questions if key in rows])
        for flag in comparison.vendors[0].flags
    ]


def _explanation(comparison: Comparison) -> list[tuple[Any, Any, Any]]:
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


class EventRoundFilter(RoundFilter):
    def round_q(self, round_id: int) -> Q:
        return Q(response__selection_id=round_id)


class ActorFilter(EmptyOrNotFilter):
    """Who acted: an analyst (an account), or a vendor or the system (a label)."""

    title = "who"
    parameter_name = "who"
    field = "actor_user"
    choices_by_emptiness = (
        ("analyst", "An analyst", False),
        ("other", "A vendor or CX Vet itself", True),
    )


@admin.register(AuditEvent)
class AuditEventAdmin(PartOfResponseAdmin, RecordAdmin):
    """The audit trail: every event, as people read it, filterable by kind, round,
    vendor, response, who and when. A record: the services write it (each save of an
    answer once), nobody edits or deletes it here."""

    list_display = ("at", "what", "round", "vendor", "who", "details")
    list_filter = (
        "kind",
        EventRoundFilter,
        ("response__vendor", admin.RelatedOnlyFieldListFilter),
        ActorFilter,
        ("actor_user", admin.RelatedOnlyFieldListFilter),
        ("at", admin.DateFieldListFilter),
    )
    date_hierarchy = "at"
    list_select_related = ("response__vendor", "response__selection", "actor_user")
    search_fields = ("response__vendor__name", "actor_label", "actor_user__username")
    search_help_text = "Search by vendor, or by who acted."
    readonly_fields = ("at", "what", "response", "round", "who", "details", "data")
    fields = readonly_fields

    class Media:
        css = {"all": ["cxvet/admin/workspace.css"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEvent]:
        # The versions' definitions name questions and profiles; read once per version
        # on the list (get_changelist_instance), never once per row.
        return super().get_queryset(request).select_related(*self.list_select_related)

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        # The response page links here with the events of one response.
        return lookup in ("response", "response__id__exact") or super().lookup_allowed(
            lookup, value, request
        )

    def get_changelist_instance(self, request: HttpRequest) -> ChangeList:
        changelist = super().get_changelist_instance(request)
        rows = list(changelist.result_list)
        labels = _labels_of_versions({row.response.version_id for row in rows if row.response})
        for row in rows:
            row.cx_labels = labels.get(row.response.version_id) if row.response else None
        return changelist

    @admin.display(description="what", ordering="kind")
    def what(self, event: AuditEvent) -> str:
        return event.get_kind_display()

    @admin.display(description="round", ordering="response__selection__name")
    def round(self, event: AuditEvent) -> str:
        selection = event.response.selection if event.response else None
        return selection.name if selection else "—"

    @admin.display(description="vendor", ordering="response__vendor__name")
    def vendor(self, event: AuditEvent) -> str:
        if event.response is None:
            return "—"
        url = reverse("admin:questionnaires_response_change", args=[event.response_id])
        return format_html('<a href="{}">{}</a>', url, event.response.vendor.name)

    @admin.display(description="who")
    def who(self, event: AuditEvent) -> str:
        return str(event.actor_user or event.actor_label or "—")

    @admin.display(description="details")
    def details(self, event: AuditEvent) -> str:
        labels = getattr(event, "cx_labels", None)
        if labels is None:
            labels = _labels_of_versions(
                {event.response.version_id} if event.response else set()
            ).get(event.response.version_id if event.response else 0, EventLabels())
        described = describe_event(event.kind, event.data, labels)
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in described.details))


def _labels_of_versions(version_ids: set[int]) -> dict[int, EventLabels]:
    """How each version names its questions and profiles: one query for all of them."""
    if not version_ids:
        return {}
    return {
        pk: EventLabels.of(definition)
        for pk, definition in QuestionnaireVersion.objects.filter(pk__in=version_ids).values_list(
            "pk", "definition"
        )
    }
