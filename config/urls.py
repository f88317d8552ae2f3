from django.contrib import admin
from django.urls import include, path

from config.health import HealthView

admin.site.site_header = "Medical Advisory Board"
admin.site.site_title = "Medical Advisory Board"
admin.site.index_title = "Editorial review"

urlpatterns = [
    path("health/", HealthView.as_view(), name="health"),
    path("admin/", admin.site.urls),
    path("author/", include("workspace.urls")),
    path("", include("reader.urls")),
]
