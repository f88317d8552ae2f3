"""Review assignments, reviews and the board's members."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import transaction
from django.utils import timezone
from django.utils.html import format_html

from editorial import selectors, workflow
from editorial.admin.options import ReadOnlyAdmin, version_url
from editorial.errors import WorkflowError
from editorial.models import BoardMember, Review, ReviewAssignment
from editorial.roles import is_editor, member_name


def _own_unless_editor(queryset, user, field: str):
    if user.is_superuser or is_editor(user):
        return queryset
    return queryset.filter(**{field: user})


class VersionReviewerColumns:
    """The version and reviewer columns shared by the assignment and review lists."""

    @admin.display(description="Version", ordering="version__article__slug")
    def version_link(self, obj):
        return format_html(
            '<a href="{}">{} v{}</a>',
            version_url(obj.version_id),
            obj.version.article.slug,
            obj.version.number,
        )

    @admin.display(description="Reviewer")
    def reviewer_col(self, obj):
        return member_name(obj.reviewer)


@admin.register(ReviewAssignment)
class ReviewAssignmentAdmin(VersionReviewerColumns, ReadOnlyAdmin):
    list_display = (
        "version_link",
        "reviewer_col",
        "state",
        "response_due",
        "review_due",
        "late_col",
        "created_at",
    )
    # The version column is a link of its own: the row's link to its page is on the state.
    list_display_links = ("state",)
    list_filter = ("state", "overdue")
    list_select_related = ("version__article", "reviewer__board_member")
    search_fields = ("version__article__slug", "reviewer__board_member__display_name")
    actions = ("accept_selected", "withdraw_selected")
    ordering = ("review_due", "pk")

    def get_queryset(self, request):
        return _own_unless_editor(super().get_queryset(request), request.user, "reviewer")

    @admin.display(description="Late", boolean=True)
    def late_col(self, obj):
        return obj.is_late(timezone.now())

    def has_accept_permission(self, request) -> bool:
        return request.user.has_perm("articles.review_version")

    def has_withdraw_permission(self, request) -> bool:
        return is_editor(request.user)

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
        self._bulk(
            request,
            queryset,
            lambda a: workflow.assignment_accept(assignment=a, actor=request.user),
            "{count} invitation(s) accepted.",
        )

    @admin.action(description="Withdraw the selected assignments", permissions=["withdraw"])
    def withdraw_selected(self, request, queryset):
        self._bulk(
            request,
            queryset,
            lambda a: workflow.assignment_withdraw(
                assignment=a, actor=request.user, reason="Withdrawn by an editor."
            ),
            "{count} assignment(s) withdrawn.",
        )


@admin.register(Review)
class ReviewAdmin(VersionReviewerColumns, ReadOnlyAdmin):
    list_display = (
        "version_link",
        "reviewer_col",
        "decision",
        "citations_checked",
        "doses_checked",
        "conflict_col",
        "created_at",
    )
    list_display_links = ("decision",)  # the version column is a link of its own
    list_filter = ("decision",)
    list_select_related = ("version__article", "reviewer__board_member")
    ordering = ("-created_at", "pk")

    def get_queryset(self, request):
        return _own_unless_editor(super().get_queryset(request), request.user, "reviewer")

    fields = (
        "version",
        "reviewer",
        "decision",
        "citations_checked",
        "doses_checked",
        "no_conflict_declared",
        "conflict_statement",
        "comment_to_author",
        "confidential_comment",
        "created_at",
    )

    @admin.display(description="No conflict declared", boolean=True)
    def conflict_col(self, obj):
        return obj.no_conflict_declared and not obj.conflict_statement


# The board --------------------------------------------------------------------------------


@admin.register(BoardMember)
class BoardMemberAdmin(admin.ModelAdmin):
    list_display = ("display_name", "credentials", "specialty", "public", "open_load_col", "active_col")
    list_filter = ("public",)
    search_fields = ("display_name", "specialty", "credentials", "user__first_name", "user__last_name")
    list_select_related = ("user",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(open_load=selectors.open_load())

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a member's name stays on the reviews they signed

    @admin.display(description="Open assignments", ordering="open_load")
    def open_load_col(self, obj):
        return obj.open_load

    @admin.display(description="Active", boolean=True)
    def active_col(self, obj):
        return obj.user.is_active
