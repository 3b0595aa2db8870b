"""Questionnaires, their versions and the rows of a version, in the admin.

Everything here is read-only but a version's status, which moves forward only (draft,
published, retired) through services.definitions.version_status_move.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from ..models import Choice, Profile, Question, Questionnaire, QuestionnaireVersion, Section
from ..services.definitions import NEXT_STATUS, version_status_move
from .danger import DangerLastActionsMixin
from .records import RecordAdmin


class VersionInline(admin.TabularInline):
    model = QuestionnaireVersion
    fields = ("number", "status", "title", "published_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(Questionnaire)
class QuestionnaireAdmin(DangerLastActionsMixin, admin.ModelAdmin):
    list_display = ("title", "key", "created_at")
    search_fields = ("title", "key")
    inlines = [VersionInline]


class SectionInline(admin.TabularInline):
    model = Section
    fields = ("position", "key", "title", "weight")
    readonly_fields = fields
    extra = 0
    can_delete = False


class ProfileInline(admin.TabularInline):
    model = Profile
    fields = ("key", "title", "section_weights")
    # Weights change on the profile's own page (admin/scores.py), which rescores.
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # profiles come with the questionnaire's YAML


class VersionStatusForm(forms.ModelForm):
    """A version's status, offering only the one it has and the next."""

    class Meta:
        model = QuestionnaireVersion
        fields = ("status",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        status = cast("forms.ChoiceField | None", self.fields.get("status"))
        if status is None:
            return  # shown read-only to someone who may not change it
        offered = {self.instance.status, NEXT_STATUS.get(self.instance.status)}
        # Django reads choices back as a list of pairs; the stubs allow any input form.
        choices = cast("list[tuple[str, str]]", status.choices)
        status.choices = [(value, label) for value, label in choices if value in offered]


@admin.register(QuestionnaireVersion)
class QuestionnaireVersionAdmin(DangerLastActionsMixin, admin.ModelAdmin):
    list_display = ("title", "number", "status", "published_at")
    list_filter = ("status", "questionnaire")
    readonly_fields = (
        "questionnaire",
        "number",
        "title",
        "content_hash",
        "created_at",
        "published_at",
        "retired_at",
        "definition",
    )
    fields = ("status", *readonly_fields)
    form = VersionStatusForm
    inlines = [SectionInline, ProfileInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Versions come from YAML files (import_questionnaire), validated as a whole.
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: QuestionnaireVersion | None = None
    ) -> bool:
        # Only a draft goes, and only for someone who may delete versions at all.
        frozen = obj is not None and obj.is_frozen
        return not frozen and super().has_delete_permission(request, obj)

    def save_model(
        self, request: HttpRequest, obj: QuestionnaireVersion, form: forms.ModelForm, change: bool
    ) -> None:
        version_status_move(version=obj, status=form.cleaned_data["status"])


class ChoiceInline(admin.TabularInline):
    model = Choice
    fields = ("position", "key", "label", "risk")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Question)
class QuestionAdmin(RecordAdmin):
    # Questions are rows of a version's definition: they change only with a new version
    # (a deleted question would take its published version's meaning with it).
    list_display = ("key", "section", "type", "required", "evidence_requested")
    list_filter = ("version", "type")
    search_fields = ("key", "text")
    readonly_fields = (
        "version",
        "section",
        "key",
        "position",
        "text",
        "type",
        "required",
        "evidence_requested",
    )
    inlines = [ChoiceInline]
