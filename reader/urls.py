from django.contrib.sitemaps.views import sitemap
from django.urls import path

from reader import views
from reader.feeds import ArticleFeed
from reader.sitemaps import SITEMAPS

app_name = "reader"
urlpatterns = [
    path("", views.article_list, name="list"),
    path("articles/<slug:slug>/", views.article_detail, name="detail"),
    path("articles/<slug:slug>/report/", views.report_problem, name="report"),
    path("audience/", views.choose_audience, name="audience"),
    path("editorial-policy/", views.editorial_policy, name="policy"),
    path("editorial-policy/workflow.svg", views.workflow_svg, name="workflow"),
    path("board/", views.board, name="board"),
    path("feed/", ArticleFeed(), name="feed"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", views.robots_txt, name="robots"),
    path("audit/heads.json", views.audit_heads_json, name="audit_heads"),
    path("audit/key", views.audit_key, name="audit_key"),
]
