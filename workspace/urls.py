from django.urls import path

from workspace import views

app_name = "workspace"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("reset/done/", views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("new/", views.article_start, name="article_start"),
    path("articles/<slug:slug>/", views.article_detail, name="article"),
    path("articles/<slug:slug>/next/", views.version_next, name="version_next"),
    path("articles/<slug:slug>/v<int:number>/", views.version_detail, name="version"),
    path("articles/<slug:slug>/v<int:number>/preview/", views.version_preview, name="preview"),
    path("articles/<slug:slug>/v<int:number>/submit/", views.version_submit, name="submit"),
    path("articles/<slug:slug>/v<int:number>/withdraw/", views.version_withdraw, name="withdraw"),
]
