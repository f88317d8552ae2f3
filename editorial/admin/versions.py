"""The version list and the version page: read-only, with the buttons this person may press
now, each calling the verb's service from ``editorial.verbs``."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from articles.models import ArticleVersion, VersionState
from editorial import selectors, signatures, workflow, workflow_graph
from editorial.admin.annotations import AnnotationViews, annotation_context
from editorial.admin.buttons import actions_for
from editorial.admin.diff import version_diff
from editorial.admin.forms import (
    AnnotateForm,
    AssignForm,
    DeclineForm,
    MessageForm,
    ReviewForm,
    SigningForm,
    end_of_day,
    search_members,
)
from editorial.admin.options import ReadOnlyAdmin, state_badge, version_url, visible_versions
from editorial.audit import action_label
from editorial.errors import InvalidInput, NotPermitted, WorkflowError
from editorial.models import AssignmentState, Decision, ReviewAssignment
from editorial.roles import is_editor, member_name
from editorial.signatures import SIGNING_VERBS
from editorial.verbs import PRESSED, VERBS, Target


def signed_in_trail(events) -> list[dict]:
    """The electronic signatures recorded in ``events`` (each signing verb's event holds its
    signature's facts, ``Signature.facts``), with the moment as a datetime."""
    found = []
    for event in events:
        facts = event.data.get("signature") if isinstance(event.data, dict) else None
        if isinstance(facts, dict):
            found.append({**facts, "signed_at": datetime.fromisoformat(facts["signed_at"])})
    return found


class QueueFilter(admin.SimpleListFilter):
    """The dashboard's queues, as a filter: the dashboard's links land here."""

    title = "queue"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        choices = []
        if request.user.has_perm("articles.review_version"):
            choices.append(("mine", "Waiting for my review"))
        if is_editor(request.user):
            choices.append(("decision", "Waiting for a decision"))
        choices.append(("overdue", "Overdue"))
        return choices

    def queryset(self, request, queryset):
        user, now = request.user, timezone.now()
        if self.value() == "mine":
            return queryset.filter(
                pk__in=selectors.assignments_waiting_for(reviewer=user).values("version_id")
            )
        if self.value() == "decision" and is_editor(user):
            return queryset.filter(pk__in=selectors.versions_awaiting_decision(editor=user).values("pk"))
        if self.value() == "overdue":
            reviewer = None if is_editor(user) else user
            overdue = selectors.overdue_assignments(now=now, reviewer=reviewer)
            return queryset.filter(pk__in=overdue.values("version_id"))
        return queryset


# The version verbs that take the person's words (a comment, a reason) from the page.
WORDED = tuple(name for name in PRESSED if VERBS[name].words)
# The forms for the verbs on the reviewer's own assignment; other verbs take no form.
ASSIGNMENT_FORMS = {"decline": DeclineForm, "review": ReviewForm}


@admin.register(ArticleVersion)
class ArticleVersionAdmin(AnnotationViews, ReadOnlyAdmin):
    list_display = (
        "version_col",
        "title",
        "state_col",
        "author_col",
        "submitted_at",
        "approvals_col",
        "open_col",
    )
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
        if not is_editor(request.user):
            mine = ReviewAssignment.objects.filter(version=OuterRef("pk"), reviewer=request.user)
            queryset = queryset.annotate(my_state=Subquery(mine.values("state")[:1]))
        return queryset

    def get_list_display(self, request):
        if is_editor(request.user):
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
            ),
            path(
                "<int:object_id>/workflow.svg",
                wrap(self.workflow_view),
                name="articles_articleversion_workflow",
            ),
            *self.annotation_urls(),
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
        # The version page's buttons post to the page itself (``verb`` names the button), so
        # a refused form is shown, with what was typed, at an address that can be reloaded.
        if request.method == "POST":
            return self.act_view(request, object_id, request.POST.get("verb", ""))
        return self.version_page(request, self._version(request, object_id))

    def version_page(self, request, version: ArticleVersion, *, forms: dict | None = None, status: int = 200):
        user = request.user
        article = version.article
        editor = is_editor(user)
        assignments = list(
            version.assignments.select_related("reviewer__board_member", "review").order_by(
                "created_at", "pk"
            )
        )
        actions = actions_for(version, user, assignments)
        mine = actions.my_assignment
        # Reviewers read the others' decisions once theirs is in, or once the version is decided.
        decided = version.state not in (VersionState.SUBMITTED, VersionState.UNDER_REVIEW)
        show_reviews = editor or decided or (mine is not None and mine.state == AssignmentState.COMPLETED)
        previous = version.based_on or (
            article.versions.filter(number__lt=version.number).order_by("-number").first()
        )
        lead_html, body_html = version.render()
        integrity = version.integrity if version.integrity else version.check_integrity().to_dict()
        references = list(version.references.all())
        forms = forms or {}
        audit_events = list(selectors.version_audit_trail(version=version))
        signing_state = signatures.code_state(request)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"{article.slug} · version {version.number}",
            "version": version,
            "article": article,
            "lead_html": lead_html,
            "body_html": body_html,
            "references": references,
            "integrity": integrity,
            "diff": version_diff(version, previous),
            "assignments": assignments,
            "show_reviews": show_reviews,
            "show_confidential": editor,
            "audit_events": [(event, action_label(event.action)) for event in audit_events],
            "workflow": workflow_graph.picture(
                src=reverse("admin:articles_articleversion_workflow", args=[version.pk]),
                path=workflow_graph.path_of(version, audit_events),
            ),
            "actions": actions,
            "is_editor": editor,
            "quorum": workflow.quorum(),
            "review_form": forms.get("review") or ReviewForm(),
            "decline_form": forms.get("decline") or DeclineForm(),
            "message_forms": {verb: forms.get(verb) or MessageForm(prefix=verb) for verb in WORDED},
            "signing_forms": {
                verb: forms.get(f"sign-{verb}") or SigningForm(verb=verb, **signing_state)
                for verb in SIGNING_VERBS
            },
            "signing_window": settings.EDITORIAL["SIGNING_WINDOW_MINUTES"],
            # The signatures as their audit events hold them (the trail is read already).
            "signatures": signed_in_trail(audit_events),
            "open_form": next(iter(forms), ""),
            "can_view_audit": user.has_perm("editorial.view_auditevent"),
            "annotate_form": AnnotateForm(),
            **annotation_context(version, user, references=references),
        }
        return TemplateResponse(request, "editorial/admin/version_detail.html", context, status=status)

    def workflow_view(self, request, object_id):
        """The workflow graph with this version's path through it in bold (an SVG image)."""
        version = self._version(request, object_id)
        return workflow_graph.svg_response(workflow_graph.path_of(version))

    # Acting on a version ----------------------------------------------------------------

    def act_view(self, request, object_id, verb):
        if request.method != "POST":  # a bookmark or a reload of an old action address
            return HttpResponseRedirect(version_url(self._version(request, object_id).pk))
        version = self._version(request, object_id)
        if verb not in PRESSED:
            raise Http404("No such action.")
        entry, user, form = VERBS[verb], request.user, None
        signing_form = (
            SigningForm(request.POST, verb=verb, **signatures.code_state(request))
            if verb in SIGNING_VERBS
            else None
        )
        signing = {"signing": signing_form.signing(request)} if signing_form else {}
        try:
            if entry.target is Target.VERSION:
                words = {}
                if entry.words:
                    form = MessageForm(request.POST, prefix=verb)
                    if not form.is_valid():
                        raise InvalidInput("The text is too long.")
                    words = {entry.words: form.cleaned_data["message"]}
                entry.call(version=version, actor=user, **words, **signing)
            else:
                fields = {}
                if verb in ASSIGNMENT_FORMS:
                    form = ASSIGNMENT_FORMS[verb](request.POST)
                    if not form.is_valid():
                        raise InvalidInput(form.refusal)
                    fields = form.cleaned_data
                entry.call(assignment=self._my_assignment(version, user), actor=user, **fields, **signing)
        except WorkflowError as exc:
            messages.error(request, exc.message)
            for name, problem in getattr(exc, "fields", {}).items():
                if form is not None and name in form.fields:
                    form.add_error(name, problem)  # beside its field, all at once
            version = self._version(request, object_id)  # as it is now: nothing was written
            shown = {verb: form} if form else {}
            if signing_form is not None:
                shown[f"sign-{verb}"] = signing_form
            return self.version_page(request, version, forms=shown, status=exc.status)
        messages.success(request, entry.done_for(version))
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
                assignment=assignment, actor=request.user, reason=request.POST.get("reason", "")
            )
        except WorkflowError as exc:
            messages.error(request, exc.message)
            return self.version_page(request, self._version(request, object_id), status=exc.status)
        messages.success(request, f"Assignment of {member_name(assignment.reviewer)} withdrawn.")
        return HttpResponseRedirect(version_url(version.pk))

    def assign_view(self, request, object_id):
        version = self._version(request, object_id)
        user = request.user
        try:
            workflow.check_assignable(version=version, actor=user)
        except WorkflowError as exc:
            messages.error(request, exc.message)
            return self.version_page(request, version, status=exc.status)
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
            form = AssignForm(request.POST, candidates=list(candidates))
            if form.is_valid():
                chosen = form.cleaned_data["reviewers"]
                people = get_user_model().objects.in_bulk(chosen)
                try:
                    with transaction.atomic():  # several at once: all of them, or none
                        for user_id in chosen:
                            workflow.assignment_create(
                                version=version,
                                reviewer=people[user_id],
                                actor=user,
                                response_due=end_of_day(form.cleaned_data["response_due"]),
                                review_due=end_of_day(form.cleaned_data["review_due"]),
                            )
                except WorkflowError as exc:
                    messages.error(request, f"Nobody was assigned: {exc.message}")
                    status = exc.status
                else:
                    names = ", ".join(member_name(people[user_id]) for user_id in chosen)
                    messages.success(request, f"Invited to review: {names}.")
                    return HttpResponseRedirect(version_url(version.pk))
            else:
                status = 400
        else:
            form = AssignForm(candidates=[])
        shown = search_members(candidates, query) if query else candidates
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
