"""The vendor portal, mounted at /portal/. Every URL starts with the private token."""

from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("<str:token>/", views.overview, name="overview"),
    path("<str:token>/sections/<slug:section_key>/", views.section, name="section"),
    path("<str:token>/autosave/<slug:question_key>/", views.autosave, name="autosave"),
    path("<str:token>/evidence/<slug:question_key>/", views.evidence_upload, name="evidence"),
    path(
        "<str:token>/evidence/<slug:question_key>/<int:evidence_id>/remove/",
        views.evidence_delete,
        name="evidence_remove",
    ),
    path("<str:token>/confirm/<slug:question_key>/", views.confirm, name="confirm"),
    path("<str:token>/submit/", views.submit, name="submit"),
    path("<str:token>/sent/", views.sent, name="sent"),
    path("<str:token>/workbook/", views.workbook, name="workbook"),
    path("<str:token>/workbook/download/", views.workbook_download, name="workbook_download"),
    path("<str:token>/workbook/<int:import_id>/", views.workbook_preview, name="workbook_preview"),
]
