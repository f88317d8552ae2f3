"""The advisory board's admin. Reviewers see the versions assigned to them; editors see
everything; authors have no admin at all (``board.BoardAdminSite.has_permission``).

Nothing here writes a state: every button and admin action calls a service in
``editorial.workflow``, and a refusal comes back as an admin error message with the
service's own words. No model is editable through a change form.
"""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from articles.models import Article, ArticleVersion, VersionState
from editorial import board, selectors, workflow
from editorial.errors import InvalidInput, NotPermitted, WorkflowError
from editorial.models import AssignmentState, AuditEvent, BoardMember, Decision, Review, ReviewAssignment


class ReadOnlyAdmin(admin.ModelAdmin):
    """No add, change or delete through the admin, for anyone: the services write."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class EditorsOnlyAdmin(ReadOnlyAdmin):
    def has_view_permission(self, request, obj=None) -> bool:
        return board.is_editor(request.user) and super().has_view_permission(request, obj)

    def has_module_permission(self, request) -> bool:
        return self.has_view_permission(request)


def version_url(version_id: int) -> str:
    return reverse("admin:articles_articleversion_change", args=[version_id])


def visible_versions(user):
    """Every version for editors; for a reviewer, the versions they were assigned."""
    queryset = ArticleVersion.objects.all()
    if user.is_superuser or board.is_editor(user):
        return queryset
    return queryset.filter(Exists(ReviewAssignment.objects.filter(version=OuterRef("pk"), reviewer=user)))


STATE_CLASSES = {
    VersionState.UNDER_REVIEW: "state-active",
    VersionState.SUBMITTED: "state-active",
    VersionState.APPROVED: "state-ok",
    VersionState.PUBLISHED: "state-ok",
    VersionState.CHANGES_REQUESTED: "state-warn",
    VersionState.REJECTED: "state-bad",
    VersionState.RETRACTED: "state-bad",
}


def state_badge(state: str, label: str):
    return format_html(
        '<span class="state-badge {}">{}</span>', STATE_CLASSES.get(state, "state-quiet"), label
    )


# Versions ---------------------------------------------------------------------------------


class QueueFilter(admin.SimpleListFilter):
    """The dashboard's queues, as a filter: the dashboard's links land here."""

    title = "queue"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        choices = []
        if request.user.has_perm("articles.review_version"):
            choices.append(("mine", "Waiting for my review"))
        if board.is_editor(request.user):
            choices.append(("decision", "Waiting for a decision"))
        choices.append(("overdue", "Overdue"))
        return choices

    def queryset(self, request, queryset):
        user, now = request.user, timezone.now()
        if self.value() == "mine":
            return queryset.filter(
                pk__in=selectors.assignments_waiting_for(reviewer=user).values("version_id")
            )
        if self.value() == "decision" and board.is_editor(user):
            return queryset.filter(pk__in=selectors.versions_awaiting_decision(editor=user).values("pk"))
        if self.value() == "overdue":
            reviewer = None if board.is_editor(user) else user
            overdue = selectors.overdue_assignments(now=now, reviewer=reviewer)
            return queryset.filter(pk__in=overdue.values("version_id"))
        return queryset


FORM_VERBS = ("approve", "request_changes", "reject", "withdraw", "retract")
VERBS = ("start_review", "publish", "accept", "decline", "review", *FORM_VERBS)
DONE = {
    "start_review": "The review has started; the assigned board members can record their decisions.",
    "approve": "Version approved. Publish it to make it the version readers see.",
    "request_changes": "Changes requested; the author can draft the next version.",
    "reject": "Version rejected.",
    "publish": "Published: readers now see this version.",
    "withdraw": "Version withdrawn.",
    "retract": "Version retracted; readers see the retraction notice.",
    "accept": "You accepted the invitation.",
    "decline": "You declined the invitation; the editors have been told why.",
    "review": "Your review is recorded.",
}


@admin.register(ArticleVersion)
class ArticleVersionAdmin(ReadOnlyAdmin):
    list_display = ("version_col", "title", "state_col", "author_col", "submitted_at", "approvals_col",
                    "open_col")  # fmt: skip
    list_filter = (QueueFilter, "state")
    search_fields = ("title", "article__slug")
    list_select_related = ("article", "author")
    list_per_page = 50
    ordering = ("-submitted_at", "-pk")

    def get_queryset(self, request):
        open_states = [AssignmentState.INVITED, AssignmentState.ACCEPTED]
        queryset = visible_versions(request.user).annotate(
            approval_count=Count("reviews", filter=Q(reviews__decision=Decision.APPROVE), distinct=True),
            open_count=Count("assignments", filter=Q(assignments__state__in=open_states), distinct=True),
        )
        if not board.is_editor(request.user):
            mine = ReviewAssignment.objects.filter(version=OuterRef("pk"), reviewer=request.user)
            queryset = queryset.annotate(my_state=Subquery(mine.values("state")[:1]))
        return queryset

    def get_list_display(self, request):
        if board.is_editor(request.user):
            return self.list_display
        return ("version_col", "title", "state_col", "submitted_at", "my_assignment_col")

    @admin.display(description="Version", ordering="article__slug")
    def version_col(self, obj):
        return f"{obj.article.slug} v{obj.number}"

    @admin.display(description="State", ordering="state")
    def state_col(self, obj):
        return state_badge(obj.state, obj.get_state_display())

    @admin.display(description="Author")
    def author_col(self, obj):
        return obj.author.get_full_name() or obj.author.get_username()

    @admin.display(description="Approvals", ordering="approval_count")
    def approvals_col(self, obj):
        return f"{obj.approval_count} / {workflow.quorum()}"

    @admin.display(description="Open assignments", ordering="open_count")
    def open_col(self, obj):
        return obj.open_count

    @admin.display(description="My assignment")
    def my_assignment_col(self, obj):
        return AssignmentState(obj.my_state).label if obj.my_state else "—"

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:object_id>/act/<slug:verb>/", wrap(self.act_view), name="articles_articleversion_act"),
            path("<int:object_id>/assign/", wrap(self.assign_view), name="articles_articleversion_assign"),
            path(
                "<int:object_id>/assignments/<int:assignment_id>/withdraw/",
                wrap(self.withdraw_assignment_view),
                name="articles_articleversion_withdraw_assignment",
            ),  # fmt: skip
            *super().get_urls(),
        ]

    # Reading a version ------------------------------------------------------------------

    def _version(self, request, object_id) -> ArticleVersion:
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            pk = int(object_id)
        except (TypeError, ValueError):
            raise Http404("No such version.") from None
        return get_object_or_404(
            visible_versions(request.user).select_related("article", "author", "based_on"), pk=pk
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return self.version_page(request, self._version(request, object_id))

    def version_page(self, request, version: ArticleVersion, *, forms: dict | None = None, status: int = 200):
        user = request.user
        article = version.article
        editor = board.is_editor(user)
        assignments = list(
            version.assignments.select_related("reviewer__board_member", "review").order_by(
                "created_at", "pk"
            )
        )
        actions = board.actions_for(version, user, assignments)
        mine = actions.my_assignment
        # Reviewers read the others' decisions once theirs is in, or once the version is decided.
        decided = version.state not in (VersionState.SUBMITTED, VersionState.UNDER_REVIEW)
        show_reviews = editor or decided or (mine is not None and mine.state == AssignmentState.COMPLETED)
        previous = version.based_on or (
            article.versions.filter(number__lt=version.number).order_by("-number").first()
        )
        lead_html, body_html = version.render()
        integrity = version.integrity if version.integrity else version.check_integrity().to_dict()
        forms = forms or {}
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"{article.slug} · version {version.number}",
            "version": version,
            "article": article,
            "lead_html": lead_html,
            "body_html": body_html,
            "references": list(version.references.all()),
            "integrity": integrity,
            "diff": board.version_diff(version, previous),
            "assignments": assignments,
            "show_reviews": show_reviews,
            "show_confidential": editor,
            "audit_events": [
                (event, board.action_label(event.action))
                for event in selectors.version_audit_trail(version=version)
            ],
            "actions": actions,
            "is_editor": editor,
            "quorum": workflow.quorum(),
            "review_form": forms.get("review") or board.ReviewForm(),
            "decline_form": forms.get("decline") or board.DeclineForm(),
            "message_forms": {verb: forms.get(verb) or board.MessageForm(prefix=verb) for verb in FORM_VERBS},
            "open_form": next(iter(forms), ""),
            "can_view_audit": user.has_perm("editorial.view_auditevent"),
        }
        return TemplateResponse(request, "editorial/admin/version_detail.html", context, status=status)

    # Acting on a version ----------------------------------------------------------------

    def act_view(self, request, object_id, verb):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        version = self._version(request, object_id)
        if verb not in VERBS:
            raise Http404("No such action.")
        user = request.user
        form = None
        try:
            if verb in FORM_VERBS:
                form = board.MessageForm(request.POST, prefix=verb)
                text = form.cleaned_data["message"] if form.is_valid() else ""
                if not form.is_valid():
                    raise InvalidInput("The text is too long.")
                service = {
                    "approve": lambda: workflow.version_approve(version=version, actor=user, message=text),
                    "request_changes": lambda: workflow.version_request_changes(
                        version=version, actor=user, message=text
                    ),
                    "reject": lambda: workflow.version_reject(version=version, actor=user, reason=text),
                    "withdraw": lambda: workflow.version_withdraw(version=version, actor=user, reason=text),
                    "retract": lambda: workflow.version_retract(version=version, actor=user, reason=text),
                }[verb]
                service()
            elif verb == "start_review":
                workflow.version_start_review(version=version, actor=user)
            elif verb == "publish":
                workflow.version_publish(version=version, actor=user)
            elif verb == "accept":
                workflow.assignment_accept(assignment=self._my_assignment(version, user), actor=user)
            elif verb == "decline":
                form = board.DeclineForm(request.POST)
                if not form.is_valid():
                    raise InvalidInput("Choose a reason for declining.")
                workflow.assignment_decline(
                    assignment=self._my_assignment(version, user), actor=user, **form.cleaned_data
                )
            elif verb == "review":
                form = board.ReviewForm(request.POST)
                if not form.is_valid():
                    raise InvalidInput("Choose a decision: approve, request changes or reject.")
                workflow.review_record(
                    assignment=self._my_assignment(version, user), actor=user, **form.cleaned_data
                )
        except WorkflowError as exc:
            messages.error(request, exc.message)
            version = self._version(request, object_id)  # as it is now: nothing was written
            return self.version_page(request, version, forms={verb: form} if form else {}, status=exc.status)
        messages.success(request, DONE[verb])
        return HttpResponseRedirect(version_url(version.pk))

    @staticmethod
    def _my_assignment(version: ArticleVersion, user) -> ReviewAssignment:
        assignment = version.assignments.filter(reviewer=user).first()
        if assignment is None:
            raise NotPermitted("You are not assigned to review this version.")
        return assignment

    def withdraw_assignment_view(self, request, object_id, assignment_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        version = self._version(request, object_id)
        assignment = get_object_or_404(version.assignments.select_related("reviewer"), pk=assignment_id)
        try:
            workflow.assignment_withdraw(
                assignment=assignment, actor=request.user, reason=request.POST.get("reason", "")[:2000]
            )
        except WorkflowError as exc:
            messages.error(request, exc.message)
            return self.version_page(request, self._version(request, object_id), status=exc.status)
        messages.success(request, f"Assignment of {board.member_label(assignment.reviewer)} withdrawn.")
        return HttpResponseRedirect(version_url(version.pk))

    def assign_view(self, request, object_id):
        version = self._version(request, object_id)
        user = request.user
        if not board.is_editor(user):
            messages.error(request, "Only editors can assign reviewers.")
            return self.version_page(request, version, status=403)
        if version.state not in (VersionState.SUBMITTED, VersionState.UNDER_REVIEW):
            messages.error(
                request,
                f"Version {version.number} is {version.get_state_display().lower()}: reviewers are "
                "assigned only to submitted versions or versions under review.",
            )
            return HttpResponseRedirect(version_url(version.pk))
        assigned = list(
            version.assignments.select_related("reviewer__board_member").order_by("created_at", "pk")
        )
        candidates = (
            selectors.board_members_with_load()
            .exclude(user_id=version.author_id)
            .exclude(user_id__in=[a.reviewer_id for a in assigned])
        )
        query = request.GET.get("q", "").strip()[:200]
        status = 200
        if request.method == "POST":
            form = board.AssignForm(request.POST, candidates=list(candidates))
            if form.is_valid():
                chosen = form.cleaned_data["reviewers"]
                people = get_user_model().objects.in_bulk(chosen)
                try:
                    with transaction.atomic():  # several at once: all of them, or none
                        for user_id in chosen:
                            workflow.assignment_create(
                                version=version, reviewer=people[user_id], actor=user,
                                response_due=board.end_of_day(form.cleaned_data["response_due"]),
                                review_due=board.end_of_day(form.cleaned_data["review_due"]),
                            )  # fmt: skip
                except WorkflowError as exc:
                    messages.error(request, f"Nobody was assigned: {exc.message}")
                    status = exc.status
                else:
                    names = ", ".join(board.member_label(people[user_id]) for user_id in chosen)
                    messages.success(request, f"Invited to review: {names}.")
                    return HttpResponseRedirect(version_url(version.pk))
            else:
                status = 400
        else:
            form = board.AssignForm(candidates=[])
        shown = board.search_members(candidates, query) if query else candidates
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Assign reviewers to {version.article.slug} · version {version.number}",
            "version": version,
            "form": form,
            "query": query,
            "members": list(shown),
            "assigned": assigned,
            "chosen": {str(pk) for pk in request.POST.getlist("reviewers")},
        }
        return TemplateResponse(request, "editorial/admin/assign_reviewers.html", context, status=status)


# Assignments and reviews ----------------------------------------------------------------


def _own_unless_editor(queryset, user, field: str):
    if user.is_superuser or board.is_editor(user):
        return queryset
    return queryset.filter(**{field: user})


class VersionReviewerColumns:
    """The version and reviewer columns shared by the assignment and review lists."""

    @admin.display(description="Version", ordering="version__article__slug")
    def version_link(self, obj):
        return format_html('<a href="{}">{} v{}</a>', version_url(obj.version_id), obj.version.article.slug,
                           obj.version.number)  # fmt: skip

    @admin.display(description="Reviewer")
    def reviewer_col(self, obj):
        return board.member_label(obj.reviewer)


@admin.register(ReviewAssignment)
class ReviewAssignmentAdmin(VersionReviewerColumns, ReadOnlyAdmin):
    list_display = ("version_link", "reviewer_col", "state", "response_due", "review_due", "late_col",
                    "created_at")  # fmt: skip
    list_filter = ("state", "overdue")
    list_select_related = ("version__article", "reviewer__board_member")
    search_fields = ("version__article__slug", "reviewer__board_member__display_name")
    actions = ("accept_selected", "withdraw_selected")
    ordering = ("review_due", "pk")

    def get_queryset(self, request):
        return _own_unless_editor(super().get_queryset(request), request.user, "reviewer")

    @admin.display(description="Late", boolean=True)
    def late_col(self, obj):
        return board.is_late(obj, timezone.now())

    def has_accept_permission(self, request) -> bool:
        return request.user.has_perm("articles.review_version")

    def has_withdraw_permission(self, request) -> bool:
        return board.is_editor(request.user)

    def _bulk(self, request, queryset, call, done: str) -> None:
        count = 0
        try:
            with transaction.atomic():  # all of them, or none
                for assignment in queryset.select_related("version__article"):
                    try:
                        call(assignment)
                    except WorkflowError as exc:
                        exc.message = f"{assignment.version}: {exc.message}"
                        raise
                    count += 1
        except WorkflowError as exc:
            self.message_user(request, f"Nothing was changed. {exc.message}", messages.ERROR)
            return
        self.message_user(request, done.format(count=count), messages.SUCCESS)

    @admin.action(description="Accept the selected invitations", permissions=["accept"])
    def accept_selected(self, request, queryset):
        self._bulk(request, queryset,
                   lambda a: workflow.assignment_accept(assignment=a, actor=request.user),
                   "{count} invitation(s) accepted.")  # fmt: skip

    @admin.action(description="Withdraw the selected assignments", permissions=["withdraw"])
    def withdraw_selected(self, request, queryset):
        self._bulk(request, queryset,
                   lambda a: workflow.assignment_withdraw(assignment=a, actor=request.user,
                                                          reason="Withdrawn by an editor."),
                   "{count} assignment(s) withdrawn.")  # fmt: skip


@admin.register(Review)
class ReviewAdmin(VersionReviewerColumns, ReadOnlyAdmin):
    list_display = ("version_link", "reviewer_col", "decision", "citations_checked", "doses_checked",
                    "conflict_col", "created_at")  # fmt: skip
    list_filter = ("decision",)
    list_select_related = ("version__article", "reviewer__board_member")
    ordering = ("-created_at", "pk")

    def get_queryset(self, request):
        return _own_unless_editor(super().get_queryset(request), request.user, "reviewer")

    fields = ("version", "reviewer", "decision", "citations_checked", "doses_checked", "no_conflict_declared",
              "conflict_statement", "comment_to_author", "confidential_comment", "created_at")  # fmt: skip

    @admin.display(description="No conflict declared", boolean=True)
    def conflict_col(self, obj):
        return obj.no_conflict_declared and not obj.conflict_statement


# The board --------------------------------------------------------------------------------


@admin.register(BoardMember)
class BoardMemberAdmin(admin.ModelAdmin):
    list_display = ("display_name", "credentials", "specialty", "open_load_col", "active_col")
    search_fields = ("display_name", "specialty", "credentials", "user__first_name", "user__last_name")
    list_select_related = ("user",)

    def get_queryset(self, request):
        load = (
            ReviewAssignment.objects.filter(
                reviewer=OuterRef("user_id"), state__in=[AssignmentState.INVITED, AssignmentState.ACCEPTED]
            )
            .values("reviewer")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return super().get_queryset(request).annotate(open_load=Coalesce(Subquery(load), 0))

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a member's name stays on the reviews they signed

    @admin.display(description="Open assignments", ordering="open_load")
    def open_load_col(self, obj):
        return obj.open_load

    @admin.display(description="Active", boolean=True)
    def active_col(self, obj):
        return obj.user.is_active


# Articles and the audit trail (editors) ---------------------------------------------------


class ReReviewFilter(admin.SimpleListFilter):
    title = "re-review"
    parameter_name = "re_review"

    def lookups(self, request, model_admin):
        return [("due", f"Due within {board.RE_REVIEW_WINDOW_DAYS} days, or past")]

    def queryset(self, request, queryset):
        if self.value() == "due":
            due = selectors.articles_due_for_re_review(
                now=timezone.now(), within_days=board.RE_REVIEW_WINDOW_DAYS
            )
            return queryset.filter(pk__in=[article.pk for article in due])
        return queryset


class ChainCheckedChangeList(ChangeList):
    """Verifies the audit chains of the articles on the page, with one query."""

    def get_results(self, request):
        super().get_results(request)
        statuses = board.chain_statuses(article.pk for article in self.result_list)
        for article in self.result_list:
            article.chain_status = statuses.get(article.pk, board.ChainStatus(0))


def chain_html(status: board.ChainStatus):
    css = "chain-ok" if status.ok else "chain-broken"
    return format_html('<span class="{}">{}</span>', css, status)


@admin.register(Article)
class ArticleAdmin(EditorsOnlyAdmin):
    list_display = ("slug", "title_col", "topic", "live_col", "next_review_col", "chain_col")
    list_select_related = ("live_version",)
    list_filter = (ReReviewFilter, "topic")
    search_fields = ("slug", "topic", "versions__title")
    fields = ("slug", "title_col", "topic", "created_by", "created_at", "live_col", "next_review_col",
              "re_review_months", "versions_col", "chain_col", "trail_col")  # fmt: skip
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
        return format_html('<a href="{}">v{}</a> {}', version_url(live.pk), live.number,
                           state_badge(live.state, live.get_state_display()))  # fmt: skip

    @admin.display(description="Next re-review")
    def next_review_col(self, obj):
        due = obj.next_review_due
        return due.date().isoformat() if due else "—"

    @admin.display(description="Audit chain")
    def chain_col(self, obj):
        status = getattr(obj, "chain_status", None) or board.chain_statuses([obj.pk]).get(obj.pk)
        return chain_html(status or board.ChainStatus(0))

    @admin.display(description="Versions")
    def versions_col(self, obj):
        return format_html_join(
            ", ", '<a href="{}">v{} ({})</a>',
            ((version_url(v.pk), v.number, v.get_state_display()) for v in obj.versions.order_by("number")),
        )  # fmt: skip

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
    list_filter = (("article", admin.RelatedOnlyFieldListFilter), "action",
                   ("actor", admin.RelatedOnlyFieldListFilter), "created_at")  # fmt: skip
    list_select_related = ("article", "version")
    search_fields = ("message", "actor_label")
    ordering = ("article", "seq")
    list_per_page = 100
    change_list_template = "editorial/admin/auditevent_change_list.html"
    fields = ("article", "seq", "version", "actor", "actor_label", "action", "state_before", "state_after",
              "message", "data_col", "created_at", "prev_hash", "hash")  # fmt: skip
    readonly_fields = fields

    @admin.display(description="Version", ordering="version__number")
    def version_col(self, obj):
        return f"v{obj.version.number}" if obj.version_id else "—"

    @admin.display(description="Action", ordering="action")
    def action_col(self, obj):
        return format_html('<span title="{}">{}</span>', obj.action, board.action_label(obj.action))

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
                status = board.chain_statuses([article.pk]).get(article.pk, board.ChainStatus(0))
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
        body = json.dumps(board.trail_export(article), indent=2, ensure_ascii=False)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="audit-{article.slug}.json"'
        return response
