from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

admin.site.site_header = "CX Vet"
admin.site.site_title = "CX Vet"
admin.site.index_title = "Due diligence on AI customer-communications agents"

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    path("portal/", include("vendors.urls")),
]
