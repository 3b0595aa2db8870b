"""The analyst's view of scores: stored scores, profiles and their re-weighting, rescoring.

- ResponseScore: read-only. The computed score and the analyst's override side by side,
  staleness (engine version or inputs changed since), the explanation, the override
  history; an action recomputes the selected scores. Overrides are made on the response
  page (a form with a justification), which this page links to.
- Profile: section weights are edited one number per section; saving goes through
  `profile_weights_update`, which starts a batched rescoring job; the page shows its
  progress and updates it without a reload.
- RescoreJob: every rescoring with status and done/total; `<id>/progress/` is the JSON
  the progress bars poll.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from .. import access
from ..definition import is_positive_weight
from ..display import score_shown
from ..models import Profile, RescoreJob, ResponseScore
from ..scoring import ENGINE_VERSION, ScoreResult
from ..selectors import (
    profile_recent_rescore_jobs,
    profiles_with_rescore_jobs,
    score_override_history,
    stale_scores,
)
from ..services.scores import (
    ACTIVE_JOB_STATUSES,
    profile_weights_update,
    profiles_rescore,
    response_scores_recompute,
)
from ..templatetags.workspace import tier_badge
from .records import PartOfResponseAdmin, RecordAdmin
from .responses import score_text

if TYPE_CHECKING:
    from django.contrib.admin.options import _FieldOpts, _FieldsetSpec

WORKSPACE_CSS = "cxvet/admin/workspace.css"
SCORES_CSS = "scores/scores.css"
POLL_SCRIPT = "cxvet/admin/poll.js"
PROGRESS_SCRIPT = "scores/rescore_progress.js"
RECENT_JOBS = 5
EXPLANATION_ROWS = 12


# Rescoring jobs -----------------------------------------------------------------------------


def job_progress(job: RescoreJob) -> dict[str, Any]:
    """What a progress bar shows, as JSON-able data."""
    total = max(job.total, job.done)
    return {
        "id": job.pk,
        "status": job.status,
        "label": job.get_status_display(),
        "done": job.done,
        "total": total,
        "percent": 100 if total == 0 and not job_active(job) else _percent(job.done, total),
        "finished": not job_active(job),
        "error": job.error,
    }


def job_active(job: RescoreJob) -> bool:
    return job.status in ACTIVE_JOB_STATUSES


def _percent(done: int, total: int) -> int:
    return 0 if total == 0 else min(100, math.floor(100 * done / total))


def progress_bar(job: RescoreJob) -> SafeString:
    data = job_progress(job)
    url = reverse("admin:questionnaires_rescorejob_progress", args=[job.pk])
    return format_html(
        '<span class="cx-rescore" data-progress-url="{}" data-finished="{}">'
        '<progress max="100" value="{}"></progress> '
        '<span class="cx-rescore-text">{} of {} responses · {}</span></span>',
        url,
        "true" if data["finished"] else "false",
        data["percent"],
        data["done"],
        data["total"],
        data["label"],
    )


@admin.register(RescoreJob)
class RescoreJobAdmin(RecordAdmin):
    # Jobs start when a profile's weights change, or from a profile's action.
    list_display = ("created_at", "profile", "progress", "reason", "requested_by")
    list_filter = ("status", "profile__version__questionnaire")
    list_select_related = ("profile__version", "requested_by")
    readonly_fields = (
        "profile",
        "status",
        "progress",
        "reason",
        "weights_before",
        "weights_after",
        "cursor",
        "error",
        "requested_by",
        "created_at",
        "started_at",
        "finished_at",
    )
    fields = readonly_fields

    class Media:
        css = {"all": (WORKSPACE_CSS, SCORES_CSS)}
        js = (POLL_SCRIPT, PROGRESS_SCRIPT)

    @admin.display(description="progress")
    def progress(self, job: RescoreJob) -> SafeString:
        return progress_bar(job)

    def get_urls(self) -> list[URLPattern]:
        urls = [
            path(
                "<int:job_id>/progress/",
                self.admin_site.admin_view(self.progress_view),
                name="questionnaires_rescorejob_progress",
            )
        ]
        return urls + super().get_urls()

    def progress_view(self, request: HttpRequest, job_id: int) -> JsonResponse:
        if not self.has_view_permission(request):
            return JsonResponse({"error": "You may not view rescoring jobs."}, status=403)
        job = get_object_or_404(RescoreJob, pk=job_id)
        return JsonResponse(job_progress(job))


# Profiles -----------------------------------------------------------------------------------


def _weight_field_name(section_key: str) -> str:
    return f"weight_{section_key}"


def _positive(value: float | None) -> None:
    if value is not None and not is_positive_weight(value):
        raise ValidationError(
            "A weight must be a positive number; leave it blank for the section's own weight."
        )


class ProfileWeightsForm(forms.ModelForm):
    """One number per section of the profile's version; blank keeps the section's own."""

    class Meta:
        model = Profile
        fields: tuple[str, ...] = ()

    @classmethod
    def for_profile(cls, profile: Profile) -> type[ProfileWeightsForm]:
        declared: dict[str, Any] = {}
        weights = profile.section_weights or {}
        for section in profile.version.definition["sections"]:
            declared[_weight_field_name(section["key"])] = forms.FloatField(
                label=section["title"],
                required=False,
                validators=[_positive],
                initial=weights.get(section["key"]),
                help_text=(
                    f"Blank: the section's own weight ({section['weight']:g}). Weights are "
                    "relative: doubling every weight changes nothing."
                ),
                widget=forms.NumberInput(attrs={"step": "any", "min": "0"}),
            )
        return type("ProfileWeightsForm", (cls,), declared)

    def section_weights(self) -> dict[str, float]:
        """The cleaned weights, keyed by section, without the blank ones."""
        weights = {}
        for section in self.instance.version.definition["sections"]:
            value = self.cleaned_data.get(_weight_field_name(section["key"]))
            if value is not None:
                weights[section["key"]] = int(value) if value.is_integer() else value
        return weights


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("title", "key", "version", "weights", "latest_rescoring", "updated_at")
    list_filter = ("version__questionnaire",)
    list_select_related = ("version",)
    search_fields = ("key", "title")
    readonly_fields = (
        "version",
        "key",
        "title",
        "description",
        "weights",
        "rules_text",
        "rescoring",
    )
    actions = ["rescore_profiles"]
    form = ProfileWeightsForm

    class Media:
        css = {"all": (WORKSPACE_CSS, SCORES_CSS)}
        js = (POLL_SCRIPT, PROGRESS_SCRIPT)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # profiles come with the questionnaire's YAML

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def get_form(
        self, request: HttpRequest, obj: Profile | None = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm]:
        if obj is not None and self.has_change_permission(request, obj):
            kwargs["form"] = ProfileWeightsForm.for_profile(obj)
            kwargs["fields"] = [
                _weight_field_name(s["key"]) for s in obj.version.definition["sections"]
            ]
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: Profile | None = None) -> _FieldsetSpec:
        described: tuple[None, _FieldOpts] = (
            None,
            {"fields": ("version", "key", "title", "description")},
        )
        if obj is None:
            return [described]
        weights: _FieldOpts
        if self.has_change_permission(request, obj):
            weights = {
                "fields": [
                    _weight_field_name(s["key"]) for s in obj.version.definition["sections"]
                ],
                "description": "Saving new weights rescores every submitted or already "
                "scored response under this profile, in the background.",
            }
        else:
            weights = {"fields": ["weights"]}  # read-only: the weights as text
        return [
            described,
            ("Section weights", weights),
            ("Rules added under this profile", {"fields": ("rules_text",)}),
            ("Rescoring", {"fields": ("rescoring",)}),
        ]

    def save_model(
        self, request: HttpRequest, obj: Profile, form: ProfileWeightsForm, change: bool
    ) -> None:
        weights = form.section_weights()
        if weights == (obj.section_weights or {}):
            return
        job = profile_weights_update(
            profile=obj, section_weights=weights, user=access.acting_account(request)
        )
        self.message_user(
            request,
            format_html(
                "New weights saved; rescoring {} response{} under {} in the background "
                '(<a href="{}">progress</a>).',
                job.total,
                "" if job.total == 1 else "s",
                obj.title,
                reverse("admin:questionnaires_rescorejob_change", args=[job.pk]),
            ),
            messages.SUCCESS,
        )

    @admin.display(description="section weights")
    def weights(self, profile: Profile) -> str:
        own = {s["key"]: s["weight"] for s in profile.version.definition["sections"]}
        own.update(profile.section_weights or {})
        return ", ".join(f"{key} {weight:g}" for key, weight in own.items())

    def get_queryset(self, request: HttpRequest) -> QuerySet[Profile]:
        # The list shows each profile's latest job: one query for all of them.
        return profiles_with_rescore_jobs(super().get_queryset(request))

    @admin.display(description="latest rescoring")
    def latest_rescoring(self, profile: Profile) -> SafeString | str:
        jobs = list(profile.rescore_jobs.all())
        return progress_bar(jobs[0]) if jobs else "—"

    @admin.display(description="rules")
    def rules_text(self, profile: Profile) -> SafeString | str:
        if not profile.rules:
            return "None: only the questionnaire's rules apply."
        return render_to_string(
            "admin/questionnaires/scores/_profile_rules.html", {"rules": profile.rules}
        )

    @admin.display(description="rescoring jobs")
    def rescoring(self, profile: Profile) -> SafeString | str:
        if profile.pk is None:
            return "—"
        jobs = profile_recent_rescore_jobs(profile, limit=RECENT_JOBS)
        return render_to_string(
            "admin/questionnaires/scores/_rescore_jobs.html",
            {
                "jobs": [(job, progress_bar(job)) for job in jobs],
                "all_url": reverse("admin:questionnaires_rescorejob_changelist")
                + f"?profile__id__exact={profile.pk}",
            },
        )

    # Rescoring writes every affected score: it is what changing the weights does.
    @admin.action(
        description="Rescore every affected response under the selected profiles",
        permissions=["change"],
    )
    def rescore_profiles(self, request: HttpRequest, queryset: QuerySet[Profile]) -> None:
        jobs = profiles_rescore(
            profiles=queryset, user=access.acting_account(request), reason="Requested by an analyst"
        )
        total = sum(job.total for job in jobs)
        self.message_user(
            request,
            f"Rescoring {total} response{'' if total == 1 else 's'} under "
            f"{len(jobs)} profile{'' if len(jobs) == 1 else 's'} in the background.",
            messages.SUCCESS,
        )


# Stored scores ----------------------------------------------------------------------------


def profile_title(score: ResponseScore) -> str:
    """The title of the profile a stored score (and its override) belongs to."""
    for profile in score.response.version.definition["profiles"]:
        if profile["key"] == score.profile_key:
            return profile["title"]
    return score.profile_key


@admin.register(ResponseScore)
class ResponseScoreAdmin(PartOfResponseAdmin, RecordAdmin):
    # Scores are computed, never typed in; overrides go through the response page's form.
    list_display = (
        "vendor",
        "profile_key",
        "computed",
        "computed_tier",
        "override",
        "coverage_percent",
        "flag_count",
        "freshness",
    )
    list_filter = ("profile_key", "tier", "response__version__questionnaire")
    list_select_related = ("response__vendor", "response__version")
    search_fields = ("response__vendor__name", "response__vendor__product")
    actions = ["recompute"]
    fieldsets = [
        (None, {"fields": ("response_link", "profile_key", "side_by_side")}),
        ("Explanation", {"fields": ("explanation",)}),
        ("Override history", {"fields": ("history",)}),
        (
            "Provenance",
            {"fields": ("engine_version", "inputs_hash", "computed_at", "freshness")},
        ),
    ]
    readonly_fields = (
        "response_link",
        "profile_key",
        "side_by_side",
        "explanation",
        "history",
        "engine_version",
        "inputs_hash",
        "computed_at",
        "freshness",
    )

    class Media:
        css = {"all": (WORKSPACE_CSS, SCORES_CSS)}

    def has_recompute_permission(self, request: HttpRequest) -> bool:
        return access.may_recompute_scores(request.user)

    def get_changelist_instance(self, request: HttpRequest) -> ChangeList:
        changelist = super().get_changelist_instance(request)
        # Staleness of the rows on this page, in a constant number of queries.
        rows = list(changelist.result_list)
        stale = {s.pk for s in stale_scores({row.response_id for row in rows})}
        for row in rows:
            row.cx_stale = row.pk in stale
        return changelist

    def _is_stale(self, score: ResponseScore) -> bool:
        stale: bool | None = getattr(score, "cx_stale", None)  # a list page marks its rows
        if stale is None:
            stale = any(s.pk == score.pk for s in stale_scores([score.response_id]))
            # A memo on this row object, not a model field.
            score.cx_stale = stale  # type: ignore[attr-defined]
        return stale

    @admin.display(description="vendor", ordering="response__vendor__name")
    def vendor(self, score: ResponseScore) -> str:
        return score.response.vendor.name

    @admin.display(description="computed score (range)", ordering="score")
    def computed(self, score: ResponseScore) -> str:
        return score_text(score.score, score.low, score.high)

    @admin.display(description="computed tier", ordering="tier")
    def computed_tier(self, score: ResponseScore) -> SafeString:
        return tier_badge(score.tier)

    @admin.display(description="override")
    def override(self, score: ResponseScore) -> SafeString | str:
        if score.override_score is None and not score.override_tier:
            return "—"
        return format_html(
            '<span class="cx-override">override · {}</span> {} {}',
            profile_title(score),
            "" if score.override_score is None else score_shown(score.override_score),
            tier_badge(score.override_tier) if score.override_tier else "",
        )

    @admin.display(description="coverage", ordering="coverage")
    def coverage_percent(self, score: ResponseScore) -> str:
        return f"{score.coverage:.0%}"

    @admin.display(description="fresh?")
    def freshness(self, score: ResponseScore) -> SafeString:
        if score.engine_version != ENGINE_VERSION:
            return format_html(
                '<span class="cx-stale">stale</span> engine {} (now {})',
                score.engine_version,
                ENGINE_VERSION,
            )
        if self._is_stale(score):
            return mark_safe(
                '<span class="cx-stale">stale</span> answers, evidence or weights changed'
            )
        return mark_safe('<span class="cx-fresh">up to date</span>')

    @admin.display(description="response")
    def response_link(self, score: ResponseScore) -> SafeString:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:questionnaires_response_change", args=[score.response_id]),
            score.response,
        )

    @admin.display(description="computed and override")
    def side_by_side(self, score: ResponseScore) -> SafeString:
        result = ScoreResult.from_dict(score.result)
        return render_to_string(
            "admin/questionnaires/scores/_computed_vs_override.html",
            {
                "score": score,
                "result": result,
                "profile_title": profile_title(score),
                "overridden": score.override_score is not None or bool(score.override_tier),
                "recomputed_since": bool(
                    score.overridden_at and score.computed_at > score.overridden_at
                ),
                "override_url": reverse(
                    "admin:questionnaires_response_override", args=[score.response_id]
                )
                + f"?profile={score.profile_key}",
            },
        )

    @admin.display(description="what moved the score")
    def explanation(self, score: ResponseScore) -> SafeString:
        result = ScoreResult.from_dict(score.result)
        contributions = sorted(result.contributions, key=lambda c: (-abs(c.shift), -c.uncertainty))
        return render_to_string(
            "admin/questionnaires/scores/_explanation.html",
            {
                "result": result,
                "movers": [c for c in contributions if c.answered][:EXPLANATION_ROWS],
                "open": sorted(
                    (c for c in result.contributions if c.uncertainty > 0),
                    key=lambda c: -c.uncertainty,
                )[:EXPLANATION_ROWS],
            },
        )

    @admin.display(description="overrides")
    def history(self, score: ResponseScore) -> SafeString:
        return render_to_string(
            "admin/questionnaires/scores/_override_history.html",
            {"events": score_override_history(score), "profile_title": profile_title(score)},
        )

    @admin.action(description="Recompute the selected scores now", permissions=["recompute"])
    def recompute(self, request: HttpRequest, queryset: QuerySet[ResponseScore]) -> None:
        done = response_scores_recompute(scores=queryset)
        self.message_user(
            request, f"Recomputed {done.count} score{'' if done.count == 1 else 's'}."
        )
        for response, keys in done.missing:
            self.message_user(
                request, f"{response}: no profile {', '.join(keys)} any more", messages.WARNING
            )
