from django.contrib import admin

from ..models import ResponseScore


@admin.register(ResponseScore)
class ResponseScoreAdmin(admin.ModelAdmin):
    list_display = ("response", "profile_key", "score", "tier", "coverage", "computed_at")
