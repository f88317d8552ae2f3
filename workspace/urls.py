from django.urls import include, path

from workspace import views

app_name = "workspace"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("", include("accounts.urls")),  # sign-in: login/, logout/, password-reset/, reset/...
    path("new/", views.article_start, name="article_start"),
    path("articles/<slug:slug>/", views.article_detail, name="article"),
    path("articles/<slug:slug>/next/", views.version_next, name="version_next"),
    path("articles/<slug:slug>/v<int:number>/", views.version_detail, name="version"),
    path("articles/<slug:slug>/v<int:number>/preview/", views.version_preview, name="preview"),
    path("articles/<slug:slug>/v<int:number>/submit/", views.version_submit, name="submit"),
    path("articles/<slug:slug>/v<int:number>/withdraw/", views.version_withdraw, name="withdraw"),
    path(
        "articles/<slug:slug>/v<int:number>/annotations/<int:annotation_id>/reply/",
        views.annotation_reply,
        name="annotation_reply",
    ),
]
