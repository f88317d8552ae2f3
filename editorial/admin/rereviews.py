"""The board's pages for re-reviews, evidence watch and reader reports: each a thin view over a
registered verb (``editorial.verbs``, Target.RE_REVIEW), served by the board's admin site.

A refusal is answered with the service's status (400, 403, 404, 409, 429) and its message on
the page; a success goes back where the person came from with a message. Never a 500.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from articles.models import Article, Reference
from editorial import rereview
from editorial.admin.forms import SigningForm
from editorial.errors import InvalidInput, WorkflowError
from editorial.models import ReaderReport, ReReview, ReviewAssignment
from editorial.roles import is_editor, member_name
from editorial.signatures import code_state
from editorial.verbs import VERBS

REPORT_TRIAGE = ("dismiss_report", "reply_report", "re_review_report")


class DecisionForm(forms.Form):
    verb = forms.ChoiceField(choices=[("confirm", "Confirm"), ("request_revision", "Ask for a revision")])
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    no_conflict_declared = forms.BooleanField(required=False)
    conflict_statement = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


def _refused(request, site, error: WorkflowError, *, title: str):
    context = {**site.each_context(request), "title": title, "error": error.message}
    return TemplateResponse(request, "editorial/admin/refused.html", context, status=error.status)


def urls(site) -> list:
    view = site.admin_view

    def cycle_page(request, pk: int):
        cycle = get_object_or_404(ReReview.objects.select_related("version__article", "article"), pk=pk)
        editor = is_editor(request.user)
        mine = (
            cycle.assignments.filter(reviewer=request.user)
            .select_related("re_review", "version__article")
            .first()
        )
        if not editor and mine is None:
            raise Http404("No such re-review.")  # a reviewer sees the cycles they are assigned to
        assignments = list(
            cycle.assignments.select_related("reviewer__board_member").order_by("created_at", "pk")
        )
        suggested = [
            u for u in rereview.suggested_reviewers(cycle) if u.pk not in {a.reviewer_id for a in assignments}
        ]
        User = get_user_model()
        board = [
            u
            for u in User.objects.filter(is_active=True, board_member__isnull=False).select_related(
                "board_member"
            )
            if u.has_perm("articles.review_version") and u.pk != cycle.version.author_id
        ]
        context = {
            **site.each_context(request),
            "title": f"Re-review of “{cycle.version.title}” (version {cycle.version.number})",
            "cycle": cycle,
            "assignments": [(a, member_name(a.reviewer)) for a in assignments],
            "suggested": [(u, member_name(u)) for u in suggested],
            "board": [(u, member_name(u)) for u in board],
            "may_assign": editor and cycle.is_open,
            "mine": mine if mine is not None and VERBS["confirm"].may(mine, request.user) else None,
            "form": DecisionForm(),
            # the confirmation's electronic signature: the same form as every signing verb's
            "signing_form": SigningForm(verb="confirm", **code_state(request)) if mine is not None else None,
            "signing_window": settings.EDITORIAL["SIGNING_WINDOW_MINUTES"],
            "references": list(cycle.version.references.order_by("number")),
            "flagged": rereview.flagged_references(cycle.version),
            "confirmations": len(rereview.confirmations(cycle)),
        }
        return TemplateResponse(request, "editorial/admin/re_review.html", context)

    @require_POST
    def open_cycle(request, pk: int):
        article = get_object_or_404(Article.objects.select_related("live_version"), pk=pk)
        try:
            cycle = VERBS["open_re_review"].call(
                article=article, actor=request.user, reason=request.POST.get("reason", "")
            )
        except WorkflowError as exc:
            return _refused(request, site, exc, title="The re-review was not opened")
        messages.success(request, VERBS["open_re_review"].done_for(cycle.version))
        return HttpResponseRedirect(reverse("admin:editorial_re_review", args=[cycle.pk]), status=303)

    @require_POST
    def assign(request, pk: int):
        cycle = get_object_or_404(ReReview, pk=pk)
        reviewer = get_user_model().objects.filter(pk=_int(request.POST.get("reviewer"))).first()
        if reviewer is None:
            return _refused(
                request, site, InvalidInput("Choose a board member."), title="Nobody was assigned"
            )
        try:
            rereview.re_review_assign(cycle=cycle, reviewer=reviewer, actor=request.user)
        except WorkflowError as exc:
            return _refused(request, site, exc, title="Nobody was assigned")
        messages.success(request, f"{member_name(reviewer)} invited to the re-review.")
        return HttpResponseRedirect(reverse("admin:editorial_re_review", args=[cycle.pk]), status=303)

    @require_POST
    def decide(request, pk: int):
        assignment = get_object_or_404(ReviewAssignment.objects.select_related("re_review"), pk=pk)
        if assignment.re_review_id is None:
            raise Http404("Not a re-review assignment.")
        form = DecisionForm(request.POST)
        if not form.is_valid():
            return _refused(request, site, _bad_form(form), title="Nothing was recorded")
        data = form.cleaned_data
        common = {
            "assignment": assignment,
            "actor": request.user,
            "comment": data["comment"],
            "no_conflict_declared": data["no_conflict_declared"],
            "conflict_statement": data["conflict_statement"],
        }
        try:
            if data["verb"] == "confirm":
                signing_form = SigningForm(request.POST, verb="confirm", **code_state(request))
                VERBS["confirm"].call(signing=signing_form.signing(request), **common)
            else:
                VERBS["request_revision"].call(**common)
        except WorkflowError as exc:
            return _refused(request, site, exc, title="Nothing was recorded")
        messages.success(request, VERBS[data["verb"]].done)
        return HttpResponseRedirect(reverse("admin:index"), status=303)

    @require_POST
    def flag(request, pk: int):
        reference = get_object_or_404(Reference.objects.select_related("version"), pk=pk)
        try:
            VERBS["flag_reference"].call(
                reference=reference, actor=request.user, note=request.POST.get("note", "")
            )
        except WorkflowError as exc:
            return _refused(request, site, exc, title="The reference was not marked")
        messages.success(request, VERBS["flag_reference"].done)
        cycle = rereview.open_cycle(reference.version_id)
        target = reverse("admin:editorial_re_review", args=[cycle.pk]) if cycle else reverse("admin:index")
        return HttpResponseRedirect(target, status=303)

    @require_POST
    def triage(request, pk: int):
        report = get_object_or_404(ReaderReport, pk=pk)
        verb = request.POST.get("verb", "")
        if verb not in REPORT_TRIAGE:
            return _refused(
                request, site, InvalidInput("Choose how to triage the report."), title="Not triaged"
            )
        entry = VERBS[verb]
        try:
            entry.call(report=report, actor=request.user, **{entry.words: request.POST.get("words", "")})
        except WorkflowError as exc:
            return _refused(request, site, exc, title="Not triaged")
        messages.success(request, entry.done)
        return HttpResponseRedirect(reverse("admin:index"), status=303)

    return [
        path("re-review/<int:pk>/", view(cycle_page), name="editorial_re_review"),
        path("re-review/article/<int:pk>/open/", view(open_cycle), name="editorial_re_review_open"),
        path("re-review/<int:pk>/assign/", view(assign), name="editorial_re_review_assign"),
        path("re-review/assignment/<int:pk>/decide/", view(decide), name="editorial_re_review_decide"),
        path("re-review/reference/<int:pk>/flag/", view(flag), name="editorial_reference_flag"),
        path("reports/<int:pk>/triage/", view(triage), name="editorial_report_triage"),
    ]


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _bad_form(form: forms.Form) -> WorkflowError:
    return InvalidInput(" ".join(str(e) for errors in form.errors.values() for e in errors))
