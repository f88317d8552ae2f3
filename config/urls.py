from django.contrib import admin
from django.urls import include, path, re_path

from api.docs import docs as api_docs
from api.docs import index as api_index
from api.docs import not_found as api_not_found
from api.views import api
from config.health import HealthView

admin.site.site_header = "Medical Advisory Board"
admin.site.site_title = "Medical Advisory Board"
admin.site.index_title = "Editorial review"

urlpatterns = [
    path("health/", HealthView.as_view(), name="health"),
    path("admin/", admin.site.urls),
    path("author/", include("workspace.urls")),
    path("api/v1/docs/", api_docs, name="api_docs"),
    path("api/v1/", api_index, name="api_index"),  # before ninja's own root, a 404 it needs to exist
    path("api/v1/", api.urls),
    re_path(r"^api/v1/(?P<rest>.*)$", api_not_found, name="api_not_found"),
    path("", include("reader.urls")),
]
