from django.contrib import admin
from django.urls import include, path

from api.docs import docs as api_docs
from api.views import api

admin.site.site_header = "Medical Advisory Board"
admin.site.site_title = "Medical Advisory Board"
admin.site.index_title = "Editorial review"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("author/", include("workspace.urls")),
    path("api/v1/docs/", api_docs, name="api_docs"),
    path("api/v1/", api.urls),
    path("", include("reader.urls")),
]
