from django.contrib import admin

from ..models import Answer, AuditEvent, Response, Selection


class AnswerInline(admin.TabularInline):
    model = Answer
    fields = ("question", "value", "comment", "evidence_level", "revision")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ("vendor", "version", "status", "due_date", "submitted_at")
    list_filter = ("status", "version__questionnaire")
    search_fields = ("vendor__name", "vendor__product")
    list_select_related = ("vendor", "version")
    inlines = [AnswerInline]


@admin.register(Selection)
class SelectionAdmin(admin.ModelAdmin):
    list_display = ("name", "buyer_name", "profile_key", "created_at")
    filter_horizontal = ("responses",)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "kind", "response", "actor_user", "actor_label")
    list_filter = ("kind",)
