from django.contrib import admin

from ..models import Choice, Profile, Question, Questionnaire, QuestionnaireVersion, Section


class VersionInline(admin.TabularInline):
    model = QuestionnaireVersion
    fields = ("number", "status", "title", "published_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(Questionnaire)
class QuestionnaireAdmin(admin.ModelAdmin):
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

    def has_add_permission(self, request, obj=None):
        return False  # profiles come with the questionnaire's YAML


@admin.register(QuestionnaireVersion)
class QuestionnaireVersionAdmin(admin.ModelAdmin):
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
    inlines = [SectionInline, ProfileInline]

    def has_add_permission(self, request):
        # Versions come from YAML files (import_questionnaire), validated as a whole.
        return False

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.is_frozen


class ChoiceInline(admin.TabularInline):
    model = Choice
    fields = ("position", "key", "label", "risk")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
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

    def has_add_permission(self, request):
        return False
