from django.contrib import admin

from ..models import Evidence


@admin.register(Evidence)
class EvidenceAdmin(admin.ModelAdmin):
    list_display = ("original_name", "answer", "content_type", "size", "uploaded_at")
