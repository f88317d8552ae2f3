"""Articles and their audit trail (editors only): chain status, the trail, the JSON export."""

from __future__ import annotations

import json

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from articles.models import Article, ArticleVersion
from editorial import selectors
from editorial.admin.dashboard import RE_REVIEW_WINDOW_DAYS
from editorial.admin.options import EditorsOnlyAdmin, state_badge, version_url
from editorial.audit import action_label
from editorial.audit_export import ChainStatus, chain_statuses, trail_export
from editorial.models import AuditEvent


class ReReviewFilter(admin.SimpleListFilter):
    title = "re-review"
    parameter_name = "re_review"

    def lookups(self, request, model_admin):
        return [("due", f"Due within {RE_REVIEW_WINDOW_DAYS} days, or past")]

    def queryset(self, request, queryset):
        if self.value() == "due":
            due = selectors.articles_due_for_re_review(now=timezone.now(), within_days=RE_REVIEW_WINDOW_DAYS)
            return queryset.filter(pk__in=[article.pk for article in due])
        return queryset


class ChainCheckedChangeList(ChangeList):
    """Verifies the audit chains of the articles on the page, with one query."""

    def get_results(self, request):
        super().get_results(request)
        statuses = chain_statuses(article.pk for article in self.result_list)
        for article in self.result_list:
            article.chain_status = statuses.get(article.pk, ChainStatus(0))


def chain_html(status: ChainStatus):
    css = "chain-ok" if status.ok else "chain-broken"
    return format_html('<span class="{}">{}</span>', css, status)


@admin.register(Article)
class ArticleAdmin(EditorsOnlyAdmin):
    list_display = ("slug", "title_col", "topic", "live_col", "next_review_col", "chain_col")
    list_select_related = ("live_version",)
    list_filter = (ReReviewFilter, "topic")
    search_fields = ("slug", "topic", "versions__title")
    fields = (
        "slug",
        "title_col",
        "topic",
        "created_by",
        "created_at",
        "live_col",
        "next_review_col",
        "re_review_months",
        "versions_col",
        "chain_col",
        "trail_col",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        latest = ArticleVersion.objects.filter(article=OuterRef("pk")).order_by("-number").values("title")[:1]
        return (
            super()
            .get_queryset(request)
            .annotate(title_now=Coalesce(F("live_version__title"), Subquery(latest)))
        )

    def get_changelist(self, request, **kwargs):
        return ChainCheckedChangeList

    def get_search_results(self, request, queryset, search_term):
        queryset, _ = super().get_search_results(request, queryset, search_term)
        return queryset.distinct(), False

    @admin.display(description="Title")
    def title_col(self, obj):
        return obj.title_now

    @admin.display(description="Live version")
    def live_col(self, obj):
        live = obj.live_version
        if live is None:
            return "—"
        return format_html(
            '<a href="{}">v{}</a> {}',
            version_url(live.pk),
            live.number,
            state_badge(live.state, live.get_state_display()),
        )

    @admin.display(description="Next re-review")
    def next_review_col(self, obj):
        due = obj.next_review_due
        return due.date().isoformat() if due else "—"

    @admin.display(description="Audit chain")
    def chain_col(self, obj):
        status = getattr(obj, "chain_status", None) or chain_statuses([obj.pk]).get(obj.pk)
        return chain_html(status or ChainStatus(0))

    @admin.display(description="Versions")
    def versions_col(self, obj):
        return format_html_join(
            ", ",
            '<a href="{}">v{} ({})</a>',
            ((version_url(v.pk), v.number, v.get_state_display()) for v in obj.versions.order_by("number")),
        )

    @admin.display(description="Audit trail")
    def trail_col(self, obj):
        events = reverse("admin:editorial_auditevent_changelist") + f"?article__id__exact={obj.pk}"
        export = reverse("admin:editorial_auditevent_export", args=[obj.pk])
        return format_html(
            '<a href="{}">Read the trail</a> · <a href="{}">Export as JSON</a>', events, export
        )


@admin.register(AuditEvent)
class AuditEventAdmin(EditorsOnlyAdmin):
    list_display = ("seq", "article", "version_col", "action_col", "actor_label", "state_col", "when_col")
    list_display_links = ("seq",)
    list_filter = (
        ("article", admin.RelatedOnlyFieldListFilter),
        "action",
        ("actor", admin.RelatedOnlyFieldListFilter),
        "created_at",
    )
    list_select_related = ("article", "version")
    search_fields = ("message", "actor_label")
    ordering = ("article", "seq")
    list_per_page = 100
    change_list_template = "editorial/admin/auditevent_change_list.html"
    fields = (
        "article",
        "seq",
        "version",
        "actor",
        "actor_label",
        "action",
        "state_before",
        "state_after",
        "message",
        "data_col",
        "created_at",
        "prev_hash",
        "hash",
    )
    readonly_fields = fields

    @admin.display(description="Version", ordering="version__number")
    def version_col(self, obj):
        return f"v{obj.version.number}" if obj.version_id else "—"

    @admin.display(description="Action", ordering="action")
    def action_col(self, obj):
        return format_html('<span title="{}">{}</span>', obj.action, action_label(obj.action))

    @admin.display(description="When", ordering="created_at")
    def when_col(self, obj):
        return timezone.localtime(obj.created_at).strftime("%Y-%m-%d %H:%M")

    @admin.display(description="State")
    def state_col(self, obj):
        if not (obj.state_before or obj.state_after):
            return ""
        return f"{obj.state_before or '—'} → {obj.state_after or '—'}"

    @admin.display(description="Data")
    def data_col(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.data, indent=2, ensure_ascii=False))

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("export/<int:article_id>/", wrap(self.export_view), name="editorial_auditevent_export"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = dict(extra_context or {})
        article_id = request.GET.get("article__id__exact", "")
        if article_id.isdigit() and self.has_view_permission(request):
            article = Article.objects.filter(pk=int(article_id)).first()
            if article is not None:
                status = chain_statuses([article.pk]).get(article.pk, ChainStatus(0))
                extra_context["chain"] = {
                    "article": article,
                    "status": status,
                    "export_url": reverse("admin:editorial_auditevent_export", args=[article.pk]),
                }
        return super().changelist_view(request, extra_context)

    def export_view(self, request, article_id: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        article = get_object_or_404(Article, pk=article_id)
        body = json.dumps(trail_export(article), indent=2, ensure_ascii=False)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="audit-{article.slug}.json"'
        return response
