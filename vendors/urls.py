"""The vendor portal, mounted at /portal/. Every URL starts with the private token."""

from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("<str:token>/", views.overview, name="overview"),
]
