"""Articles and their audit trail (editors only): chain status, the trail, the JSON export."""

from __future__ import annotations

import json
from functools import cached_property

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme

from articles.models import Article, ArticleVersion
from editorial import checkpoints, selectors
from editorial.admin.dashboard import RE_REVIEW_WINDOW_DAYS
from editorial.admin.options import EditorsOnlyAdmin, state_badge, version_url
from editorial.audit import action_label
from editorial.audit_export import trail_export
from editorial.models import AuditAction, AuditEvent
from editorial.roles import member_name


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


CHAIN_CLASSES = {
    "verified": "chain-ok",
    "behind": "chain-behind",
    "unverified": "chain-behind",
    "broken": "chain-broken",
}


def chain_html(article: Article, *, button: bool = True):
    """An article's checkpoint as the board reads it, and a button that verifies the rest now.
    The button posts the form it stands in (the change list's, the change form's): that
    form carries the CSRF token, ``verify_chain_view`` reads nothing else of it."""
    status = checkpoints.checkpoint_of(article)
    text = format_html('<span class="{}">{}</span>', CHAIN_CLASSES[status.state], status)
    if not button or status.state not in ("behind", "unverified"):
        return text
    return format_html(
        '{} <button type="submit" class="button verify-chain" formaction="{}" formmethod="post" '
        'aria-label="Verify the audit chain of {} now">Verify now</button>',
        text,
        reverse("admin:articles_article_verify_chain", args=[article.pk]),
        article.slug,
    )


class TopicFilter(admin.AllValuesFieldListFilter):
    """The topics, with articles that have none named so (Django would show an empty link)."""

    def choices(self, changelist):
        for choice in super().choices(changelist):
            yield {**choice, "display": choice["display"] or "(no topic)"}


@admin.register(Article)
class ArticleAdmin(EditorsOnlyAdmin):
    list_display = ("slug", "title_col", "topic", "live_col", "next_review_col", "chain_col")
    list_filter = (ReReviewFilter, ("topic", TopicFilter))
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
        # select_related here, not list_select_related: the change list skips that once the
        # queryset has any (with_chain_checkpoint adds one), and every live version would cost a query.
        return selectors.with_chain_checkpoint(
            super()
            .get_queryset(request)
            .select_related("live_version")
            .annotate(title_now=Coalesce(F("live_version__title"), Subquery(latest)))
        )

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:article_id>/verify-chain/",
                wrap(self.verify_chain_view),
                name="articles_article_verify_chain",
            ),
            *super().get_urls(),
        ]

    def verify_chain_view(self, request, article_id: int):
        """Advance one article's checkpoint now (POST), then go back where the button was."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        article = get_object_or_404(Article, pk=article_id)
        back = request.headers.get("referer", "")
        if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
            back = reverse("admin:articles_article_changelist")
        if request.method != "POST":
            messages.info(request, "Verifying a chain takes the Verify now button.")
            return HttpResponseRedirect(back)
        result = checkpoints.verify_from_checkpoint(article)
        if result.ok:
            noun = "event" if result.checked == 1 else "events"
            messages.success(
                request,
                f"Audit chain of {article.slug}: {result.checked} new {noun} verified, "
                f"up to event {result.seq}.",
            )
        else:
            told = " The editors have been emailed." if result.alerted else ""
            messages.error(
                request,
                f"Audit chain of {article.slug} is broken at event {result.broken_seq}: {result.reason}. "
                f"Verified up to event {result.seq}.{told}",
            )
        return HttpResponseRedirect(back)

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
        return chain_html(obj)

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


class CappedPaginator(Paginator):
    """Counts at most ``cap`` rows (``SELECT count(*)`` over a LIMIT), so a page of a million
    events costs what a page of ten thousand does; past the cap the list says "more than"."""

    cap = 10_000

    @cached_property
    def count(self) -> int:
        counted = self.object_list.order_by()[: self.cap + 1].count()
        self.capped = counted > self.cap
        return min(counted, self.cap)


class ChosenOnlyFilter(admin.SimpleListFilter):
    """A filter by id that lists only the chosen one: listing every article or person who
    ever acted would read the whole event table."""

    def lookups(self, request, model_admin):
        # A filter with no lookups is not applied at all, so a bad id is listed too (and finds nothing).
        value = self.value()
        if not value:
            return []
        return [(value, self.name_of(int(value)) if value.isdigit() else f"no such {self.title}")]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if not value.isdigit():
            return queryset.none()
        return queryset.filter(**{self.field: int(value)})


class ArticleFilter(ChosenOnlyFilter):
    title = "article"
    parameter_name = "article__id__exact"
    field = "article_id"

    def name_of(self, pk: int) -> str:
        return Article.objects.filter(pk=pk).values_list("slug", flat=True).first() or f"article {pk}"


class PersonFilter(ChosenOnlyFilter):
    title = "person"
    parameter_name = "actor__id__exact"
    field = "actor_id"

    def name_of(self, pk: int) -> str:
        user = get_user_model().objects.select_related("board_member").filter(pk=pk).first()
        return member_name(user) if user else f"person {pk}"


class ActionFilter(admin.SimpleListFilter):
    """The actions from their definition (a DISTINCT over the table would read all of it)."""

    title = "action"
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return AuditAction.choices

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(EditorsOnlyAdmin):
    """The whole trail, newest first. Built for a million events: the order is the primary
    key's, the count stops at ``CappedPaginator.cap``, the filters list no table-wide values,
    and search goes by article, person, action and date through indexes
    (``selectors.AuditSearch``)."""

    list_display = ("seq", "article", "version_col", "action_col", "actor_label", "state_col", "when_col")
    list_display_links = ("seq",)
    list_filter = (ArticleFilter, PersonFilter, ActionFilter, ("created_at", admin.DateFieldListFilter))
    list_select_related = ("article", "version")
    search_fields = ("article__slug",)  # shows the search box; get_search_results does the search
    search_help_text = (
        "Search by article (slug or title), person, action, or a day as YYYY-MM-DD; "
        "words combine, for example “baclofen 2026-12-02”."
    )
    ordering = ("-pk",)
    sortable_by = ()
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # facet counts would read the whole table per filter
    paginator = CappedPaginator
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

    def get_search_results(self, request, queryset, search_term):
        search = selectors.AuditSearch.parse(search_term)
        if search.bad_dates:
            messages.error(request, f"Not a date: {', '.join(search.bad_dates)} (write it as YYYY-MM-DD).")
        return search.filter(queryset), False

    @admin.display(description="Version", ordering="version__number")
    def version_col(self, obj):
        return f"v{obj.version.number}" if obj.version_id else "—"

    @admin.display(description="Action", ordering="action")
    def action_col(self, obj):
        return format_html('<span title="{}">{}</span>', obj.action, action_label(obj.action))

    @admin.display(description="When", ordering="created_at")
    def when_col(self, obj):
        when = timezone.localtime(obj.created_at)
        # Day and time each unbroken; the column may wrap between them, never inside a date.
        return format_html(
            '<span class="nowrap">{}</span> <span class="nowrap">{}</span>',
            when.strftime("%Y-%m-%d"),
            when.strftime("%H:%M"),
        )

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
            article = selectors.with_chain_checkpoint(Article.objects.filter(pk=int(article_id))).first()
            if article is not None:
                extra_context["chain"] = {
                    "article": article,
                    "status": checkpoints.checkpoint_of(article),
                    "verify_url": reverse("admin:articles_article_verify_chain", args=[article.pk]),
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
