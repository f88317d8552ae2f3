"""The advisory board's admin: the site, its dashboard, the forms the board fills in, what
each person may do on a version right now, the version diff and the audit export.

Admin-only. Every move a form leads to is one of ``editorial.workflow``'s services; this
module decides only what to offer, never what is allowed.
"""

from __future__ import annotations

import difflib
import itertools
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.contenttypes import views as contenttype_views
from django.core.exceptions import PermissionDenied
from django.urls import path
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django_fsm import can_proceed, has_transition_perm

from articles.models import Article, ArticleVersion, Reference, VersionState
from editorial import selectors, workflow
from editorial.audit import HASH_FIELDS, PUBLIC_ACTIONS, verify_rows
from editorial.models import (
    AssignmentState,
    AuditEvent,
    Decision,
    DeclineReason,
    ReviewAssignment,
)
from workspace.forms import ThrottledAuthenticationForm

# The site ---------------------------------------------------------------------------------


def is_board_member(user) -> bool:
    """Reviewers and editors work in the admin; authors (and everyone else) do not."""
    return bool(
        user.is_active
        and user.is_staff
        and (
            user.is_superuser
            or user.has_perm("articles.review_version")
            or user.has_perm("articles.decide_version")
        )
    )


def is_editor(user) -> bool:
    return bool(user.is_active and user.has_perm("articles.decide_version"))


def member_label(user) -> str:
    """A board member by the name the board knows them by."""
    member = getattr(user, "board_member", None)
    return member.display_name if member else (user.get_full_name() or user.get_username())


def is_late(assignment: ReviewAssignment, now: datetime) -> bool:
    if assignment.state not in (AssignmentState.INVITED, AssignmentState.ACCEPTED):
        return False
    if assignment.overdue or assignment.review_due < now:
        return True
    return assignment.state == AssignmentState.INVITED and assignment.response_due < now


class ThrottledAdminAuthenticationForm(ThrottledAuthenticationForm, AdminAuthenticationForm):
    """The admin's sign-in form with the workspace's throttle: the same counters (per username
    and address, and per address), so guesses spread over both doors add up."""

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "throttled": ThrottledAuthenticationForm.error_messages["throttled"],
    }

    def confirm_login_allowed(self, user) -> None:
        # Only the board signs in here (a staff flag alone is not enough): anyone else is told
        # what any wrong password is told, and it counts as a failure.
        super().confirm_login_allowed(user)
        if not is_board_member(user):
            raise forms.ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


class BoardAdminSite(admin.AdminSite):
    """Django admin, branded for the board, with the board's dashboard as its index."""

    site_header = "Medical Advisory Board"
    site_title = "Medical Advisory Board"
    index_title = "Board dashboard"
    index_template = "editorial/admin/index.html"
    login_form = ThrottledAdminAuthenticationForm

    def has_permission(self, request) -> bool:
        return is_board_member(request.user)

    def login(self, request, extra_context=None):
        response = super().login(request, extra_context)
        form = (getattr(response, "context_data", None) or {}).get("form")
        if request.method == "POST" and getattr(form, "throttled", False):
            response.status_code = 429
        return response

    def get_urls(self):
        # Django's "view on site" redirects any board member to any object's public address,
        # which names unpublished articles a reviewer was never assigned: editors only.
        urls = super().get_urls()
        return [
            path(
                "r/<path:content_type_id>/<path:object_id>/",
                self.admin_view(self.view_on_site),
                name="view_on_site",
            )
            if getattr(url, "name", None) == "view_on_site"
            else url
            for url in urls
        ]

    def view_on_site(self, request, content_type_id, object_id):
        if not is_editor(request.user):
            raise PermissionDenied
        return contenttype_views.shortcut(request, content_type_id, object_id)

    def index(self, request, extra_context=None):
        context = {"dashboard": dashboard_for(request.user), **(extra_context or {})}
        return super().index(request, context)


# The dashboard ----------------------------------------------------------------------------

DASHBOARD_ROWS = 10
RE_REVIEW_WINDOW_DAYS = 30


@dataclass
class Panel:
    key: str
    title: str
    rows: list
    count: int
    link: str
    empty: str


def dashboard_for(user) -> list[Panel]:
    """The panels one board member sees on the admin index, each with its count and link."""
    from django.urls import reverse

    now = timezone.now()
    versions = reverse("admin:articles_articleversion_changelist")
    panels = []
    if user.has_perm("articles.review_version"):
        mine = selectors.assignments_waiting_for(reviewer=user)
        panels.append(
            Panel(
                "mine",
                "Waiting for my review",
                list(mine[:DASHBOARD_ROWS]),
                mine.count(),
                f"{versions}?queue=mine",
                "Nothing is waiting for your review.",
            )  # fmt: skip
        )
    editor = is_editor(user)
    if editor:
        waiting = selectors.versions_awaiting_decision(editor=user)
        rows = list(waiting[:DASHBOARD_ROWS])
        for version in rows:
            version.next_step = next_step(version)
        panels.append(
            Panel(
                "decision",
                "Waiting for a decision",
                rows,
                waiting.count(),
                f"{versions}?queue=decision",
                "No version is waiting for an editor.",
            )  # fmt: skip
        )
    overdue = selectors.overdue_assignments(now=now, reviewer=None if editor else user)
    panels.append(
        Panel(
            "overdue",
            "Overdue",
            list(overdue[:DASHBOARD_ROWS]),
            overdue.count(),
            f"{versions}?queue=overdue",
            "Nothing is overdue.",
        )  # fmt: skip
    )
    if editor:
        due = selectors.articles_due_for_re_review(now=now, within_days=RE_REVIEW_WINDOW_DAYS)
        panels.append(
            Panel(
                "re_review",
                "Due for re-review",
                due[:DASHBOARD_ROWS],
                len(due),
                reverse("admin:articles_article_changelist") + "?re_review=due",
                f"No published article comes due in the next {RE_REVIEW_WINDOW_DAYS} days.",
            )  # fmt: skip
        )
    return panels


def next_step(version: ArticleVersion) -> str:
    """What the editor does next with a version from ``versions_awaiting_decision``."""
    if version.state == VersionState.SUBMITTED:
        return "Assign reviewers and start the review"
    if version.state == VersionState.APPROVED:
        return "Publish"
    if getattr(version, "has_objection", False):
        return "A board member objected: request changes or reject"
    return f"Decide ({getattr(version, 'approvals', 0)} of {workflow.quorum()} approvals)"


# What one person may do on one version, now ---------------------------------------------


def _may(version: ArticleVersion, transition: str, user) -> bool:
    method = getattr(version, transition)
    return bool(user.is_active and can_proceed(method) and has_transition_perm(method, user))


@dataclass
class VersionActions:
    """The buttons to show. The services decide again when one is pressed."""

    start_review: bool = False
    start_review_hint: str = ""
    approve: bool = False
    approve_blockers: list[str] = field(default_factory=list)
    request_changes: bool = False
    reject: bool = False
    publish: bool = False
    withdraw: bool = False
    retract: bool = False
    assign: bool = False
    withdraw_assignment: bool = False
    my_assignment: ReviewAssignment | None = None
    accept: bool = False
    decline: bool = False
    review: bool = False
    review_hint: str = ""

    @property
    def editor_any(self) -> bool:
        return any((self.start_review, self.approve, self.request_changes, self.reject, self.publish,
                    self.withdraw, self.retract, self.assign, self.approve_blockers))  # fmt: skip


def actions_for(version: ArticleVersion, user, assignments: list[ReviewAssignment]) -> VersionActions:
    actions = VersionActions()
    active = [a for a in assignments if a.state not in (AssignmentState.DECLINED, AssignmentState.WITHDRAWN)]
    if _may(version, "start_review", user):
        actions.start_review = bool(active)
        if not active:
            actions.start_review_hint = "Assign at least one board reviewer before starting the review."
    if _may(version, "approve", user):
        actions.approve_blockers = workflow.approval_blockers(version)
        actions.approve = not actions.approve_blockers
    actions.request_changes = _may(version, "request_changes", user)
    actions.reject = _may(version, "reject", user)
    actions.publish = _may(version, "publish", user)
    actions.withdraw = _may(version, "withdraw", user)
    actions.retract = _may(version, "retract", user)
    editor = is_editor(user)
    actions.assign = editor and version.state in (VersionState.SUBMITTED, VersionState.UNDER_REVIEW)
    actions.withdraw_assignment = editor
    mine = next((a for a in assignments if a.reviewer_id == user.pk), None)
    actions.my_assignment = mine
    if mine is not None and user.has_perm("articles.review_version"):
        open_ = mine.state in (AssignmentState.INVITED, AssignmentState.ACCEPTED)
        actions.accept = actions.decline = mine.state == AssignmentState.INVITED
        if open_ and version.author_id != user.pk:
            actions.review = version.state == VersionState.UNDER_REVIEW
            if not actions.review:
                actions.review_hint = (
                    f"The review opens when an editor starts it (the version is "
                    f"{version.get_state_display().lower()})."
                )
    return actions


# Forms ------------------------------------------------------------------------------------


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=Decision.choices, widget=forms.RadioSelect)
    citations_checked = forms.BooleanField(
        required=False, label="I checked every citation against its source."
    )
    doses_checked = forms.BooleanField(required=False, label="I checked every dose, unit and interval.")
    no_conflict_declared = forms.BooleanField(
        required=False, label="I declare no conflict of interest with this article."
    )
    conflict_statement = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
        label="Or describe the conflict of interest",
    )  # fmt: skip
    comment_to_author = forms.CharField(
        required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 5}),
        label="Comment to the author", help_text="The author reads this. Required unless you approve.",
    )  # fmt: skip
    confidential_comment = forms.CharField(
        required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 3}),
        label="Confidential comment to the editors", help_text="Never shown to the author or to readers.",
    )  # fmt: skip


class DeclineForm(forms.Form):
    reason = forms.ChoiceField(choices=DeclineReason.choices)
    note = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
        label="Note to the editors",
    )  # fmt: skip


class MessageForm(forms.Form):
    """The words a decision needs: the comment to the author, or the reason."""

    message = forms.CharField(required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 3}))


def default_due_dates(today: date | None = None) -> tuple[date, date]:
    today = today or timezone.localdate()
    policy = settings.EDITORIAL
    return today + timedelta(days=policy["RESPONSE_DAYS"]), today + timedelta(days=policy["REVIEW_DAYS"])


def end_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(23, 59)))


class AssignForm(forms.Form):
    reviewers = forms.TypedMultipleChoiceField(coerce=int, widget=forms.CheckboxSelectMultiple)
    response_due = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Answer due")
    review_due = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Review due")

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = candidates
        self.fields["reviewers"].choices = [(member.user_id, str(member)) for member in candidates]
        if not self.is_bound:
            self.initial["response_due"], self.initial["review_due"] = default_due_dates()

    def clean(self):
        data = super().clean()
        response_due, review_due = data.get("response_due"), data.get("review_due")
        if response_due and response_due < timezone.localdate():
            self.add_error("response_due", "The answer cannot be due in the past.")
        if response_due and review_due and review_due < response_due:
            self.add_error("review_due", "The review cannot be due before the answer.")
        return data


def search_members(queryset, query: str):
    """Board members whose name, credentials or specialty hold every word of ``query``."""
    from django.db.models import Q

    for word in query.split()[:8]:
        queryset = queryset.filter(
            Q(display_name__icontains=word) | Q(specialty__icontains=word) | Q(credentials__icontains=word)
            | Q(user__first_name__icontains=word) | Q(user__last_name__icontains=word)
        )  # fmt: skip
    return queryset


# The diff against the previous version --------------------------------------------------

WORD_RE = re.compile(r"\s+|[^\s]+")
CONTEXT_LINES = 2


@dataclass(frozen=True)
class DiffRow:
    kind: str  # equal, replace, delete, insert, skip
    left_no: int | None = None
    left: SafeString | str = ""
    right_no: int | None = None
    right: SafeString | str = ""


def _words(left: str, right: str) -> tuple[SafeString, SafeString]:
    """Both lines escaped, with the changed words marked (<del> left, <ins> right)."""
    a, b = WORD_RE.findall(left), WORD_RE.findall(right)
    out_a, out_b = [], []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        old, new = escape("".join(a[i1:i2])), escape("".join(b[j1:j2]))
        if tag == "equal":
            out_a.append(old)
            out_b.append(new)
            continue
        if old:
            out_a.append(f"<del>{old}</del>")
        if new:
            out_b.append(f"<ins>{new}</ins>")
    return mark_safe("".join(out_a)), mark_safe("".join(out_b))  # noqa: S308 - every piece escaped above


def side_by_side(old: str, new: str) -> list[DiffRow]:
    """A side-by-side diff of two texts, line by line, words marked; unchanged runs folded."""
    a, b = old.splitlines(), new.splitlines()
    if a == b:
        return []
    rows: list[DiffRow] = []
    last = 0
    for group in difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(CONTEXT_LINES):
        if group[0][1] > last or (rows and group[0][1] == last):
            rows.append(DiffRow("skip"))
        last = group[-1][2]
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                rows += [
                    DiffRow("equal", i + 1, a[i], j + 1, b[j])
                    for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
                ]
            elif tag == "replace":
                for i, j in itertools.zip_longest(range(i1, i2), range(j1, j2)):
                    if i is not None and j is not None:
                        left, right = _words(a[i], b[j])
                        rows.append(DiffRow("replace", i + 1, left, j + 1, right))
                    elif i is not None:
                        rows.append(DiffRow("delete", i + 1, a[i]))
                    else:
                        rows.append(DiffRow("insert", right_no=j + 1, right=b[j]))
            elif tag == "delete":
                rows += [DiffRow("delete", i + 1, a[i]) for i in range(i1, i2)]
            else:
                rows += [DiffRow("insert", right_no=j + 1, right=b[j]) for j in range(j1, j2)]
    if last < len(a):
        rows.append(DiffRow("skip"))
    return rows


def reference_line(ref: Reference) -> str:
    parts = [f"[{ref.number}] {ref.get_kind_display()}: {ref.title}"]
    parts += [p for p in (ref.authors, ref.source, str(ref.year or "")) if p]
    parts += [
        f"{label} {value}"
        for label, value in (("DOI", ref.doi), ("PMID", ref.pmid), ("URL", ref.url))
        if value
    ]
    return " · ".join(parts)


@dataclass
class VersionDiff:
    previous: ArticleVersion
    sections: list[tuple[str, list[DiffRow]]]

    @property
    def unchanged(self) -> list[str]:
        return [name for name, rows in self.sections if not rows]


def version_diff(version: ArticleVersion, previous: ArticleVersion | None) -> VersionDiff | None:
    if previous is None:
        return None
    refs_now = "\n".join(reference_line(ref) for ref in version.references.all())
    refs_before = "\n".join(reference_line(ref) for ref in previous.references.all())
    sections = [
        ("Title", side_by_side(previous.title, version.title)),
        ("Lead answer", side_by_side(previous.lead, version.lead)),
        ("Body", side_by_side(previous.body, version.body)),
        ("References", side_by_side(refs_before, refs_now)),
        ("Plain-language summary", side_by_side(previous.summary, version.summary)),
    ]
    return VersionDiff(previous=previous, sections=sections)


# The audit trail: chain status and export ----------------------------------------------


@dataclass(frozen=True)
class ChainStatus:
    checked: int
    broken_seq: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_seq is None

    def __str__(self) -> str:
        if self.ok:
            return f"verified ({self.checked} events)"
        return f"broken at event {self.broken_seq}: {self.reason}"


def chain_statuses(article_ids) -> dict[int, ChainStatus]:
    """Verify the chains of several articles with one query (``audit.verify_rows`` per article)."""
    rows = (
        AuditEvent.objects.filter(article_id__in=list(article_ids))
        .order_by("article_id", "seq")
        .values_list("pk", *HASH_FIELDS, "hash")
    )
    article_index = 1 + HASH_FIELDS.index("article_id")
    statuses = {}
    for article_id, group in itertools.groupby(
        rows.iterator(chunk_size=2000), key=lambda row: row[article_index]
    ):
        checked, _, broken, reason = verify_rows(group)
        # The broken row comes back as verify_rows checked it: (pk, article_id, seq, ...).
        statuses[article_id] = ChainStatus(checked, broken[2] if broken else None, reason)
    return statuses


TRAIL_FORMAT = "medreview-audit-trail/1"


def _json_value(name: str, value):
    if name == "created_at":
        # The form ``audit.compute_hash`` hashes: UTC, microseconds.
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return value


def trail_export(article: Article) -> dict:
    """One article's whole chain, as ``verify_audit --file`` checks it offline."""
    rows = AuditEvent.objects.filter(article=article).order_by("seq").values_list("pk", *HASH_FIELDS, "hash")
    events = [
        {"id": row[0], **{name: _json_value(name, value) for name, value in zip(HASH_FIELDS, row[1:-1], strict=True)},
         "hash": row[-1]}
        for row in rows
    ]  # fmt: skip
    return {
        "format": TRAIL_FORMAT,
        "article": {"id": article.pk, "slug": article.slug},
        "exported_at": timezone.now().astimezone(UTC).isoformat(timespec="seconds"),
        "hash_fields": list(HASH_FIELDS),
        "count": len(events),
        "head": events[-1]["hash"] if events else None,
        "events": events,
    }


def trail_rows(document: dict) -> list[tuple]:
    """The rows of an exported trail in the shape ``audit.verify_rows`` reads (``created_at``
    back to a datetime). Raises ``ValueError`` when the document is not an exported trail."""
    if not isinstance(document, dict) or document.get("format") != TRAIL_FORMAT:
        raise ValueError(f"not an exported audit trail (expected format “{TRAIL_FORMAT}”)")
    if list(document.get("hash_fields", [])) != list(HASH_FIELDS):
        raise ValueError("the trail was exported with different hash fields")
    events = document.get("events")
    if not isinstance(events, list):
        raise ValueError("the trail has no list of events")
    rows = []
    for position, event in enumerate(events, start=1):
        try:
            values = {name: event[name] for name in HASH_FIELDS}
            values["created_at"] = datetime.fromisoformat(values["created_at"])
            rows.append((event["id"], *values.values(), event["hash"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"event {position} in the file is unreadable: {exc}") from exc
    if document.get("count") != len(rows):
        raise ValueError(f"the file says {document.get('count')} events but holds {len(rows)}")
    return rows


def action_label(action: str) -> str:
    if action in PUBLIC_ACTIONS:
        return PUBLIC_ACTIONS[action]
    return action.removeprefix("editorial.").replace("_", " ").replace(".", " ").capitalize()
