from django.contrib import admin

from ..models import Report


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ("kind", "selection", "response", "status", "created_at")
