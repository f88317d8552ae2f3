"""The author workspace: write, cite, submit, revise. Every write goes through the editorial
services; a refusal is shown to the author with its message and status, never a 500."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from articles.citations import IntegrityReport, check_integrity
from articles.models import OPEN_VERSION_STATES, VersionFrozen
from editorial import annotations, workflow
from editorial import selectors as editorial_selectors
from editorial.errors import WorkflowError
from editorial.verbs import VERBS
from reader.pages import article_page_context
from workspace import selectors
from workspace.forms import (
    ArticleStartForm,
    SubmitConfirmForm,
    VersionContentForm,
    WithdrawForm,
    findings_token,
    max_references,
    reference_formset,
    reference_initial,
)

AUTHOR_PERMISSION = "articles.submit_version"


def author_required(view):
    """Signed in, and an author. Anyone else is shown why, with a 403."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.has_perm(AUTHOR_PERMISSION):
            return render(request, "workspace/not_author.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


def _version_url(version) -> str:
    return reverse("workspace:version", kwargs={"slug": version.article.slug, "number": version.number})


# My articles -------------------------------------------------------------------------------


@author_required
def dashboard(request):
    articles = list(selectors.author_articles(author=request.user))
    return render(request, "workspace/dashboard.html", {"articles": articles})


@author_required
@require_http_methods(["GET", "POST"])
def article_start(request):
    form = ArticleStartForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            version = workflow.article_create(
                author=request.user,
                slug=data["slug"],
                topic=data["topic"],
                title=data["title"],
                lead="",
                body="",
                summary="",
                change_note="",
                references=[],
            )
        except WorkflowError as exc:
            form.add_error("slug" if "address" in exc.message else None, exc.message)
            status = exc.status
        except IntegrityError:
            # Someone took the same address at the same moment.
            form.add_error("slug", f"An article with the address “{data['slug']}” already exists.")
            status = 409
        else:
            messages.success(request, "Article started. Write the lead answer, the body and the references.")
            return redirect(_version_url(version))
    return render(request, "workspace/article_start.html", {"form": form}, status=status)


def _article_context(request, article, **extra) -> dict:
    versions = list(article.versions.all())
    latest = versions[0] if versions else None
    return {
        "article": article,
        "versions": versions,
        "latest": latest,
        "can_start_next": latest is not None and latest.state not in OPEN_VERSION_STATES,
        **extra,
    }


@author_required
def article_detail(request, slug: str):
    article = selectors.author_article(author=request.user, slug=slug)
    return render(request, "workspace/article_detail.html", _article_context(request, article))


@author_required
@require_POST
def version_next(request, slug: str):
    article = selectors.author_article(author=request.user, slug=slug)
    try:
        version = workflow.version_create_next(article=article, author=request.user)
    except WorkflowError as exc:
        article = selectors.author_article(author=request.user, slug=slug)
        context = _article_context(request, article, error=exc.message)
        return render(request, "workspace/article_detail.html", context, status=exc.status)
    messages.success(
        request,
        f"Version {version.number} started from version {version.number - 1}, with its references. "
        "The board's comments are beside the editor.",
    )
    return redirect(_version_url(version))


# One version -------------------------------------------------------------------------------


def _threads(request, version) -> annotations.Threads:
    """The board's open annotations the author may read, beside their passages."""
    return annotations.threads(
        version=version,
        user=request.user,
        for_author=True,
        references=version.references.all(),
        open_only=True,
    )


def _edit_context(request, version, form, formset, **extra) -> dict:
    based_on = version.based_on
    return {
        "threads": _threads(request, version),
        "article": version.article,
        "version": version,
        "form": form,
        "formset": formset,
        "report": version.check_integrity(),
        "report_of": "saved",
        "based_on": based_on,
        "based_on_heading": f"What the board said about version {based_on.number}" if based_on else "",
        "based_on_feedback": (
            editorial_selectors.feedback_for_author(version=based_on, author=request.user)
            if based_on
            else None
        ),
        **extra,
    }


def _unsaved_report(data) -> IntegrityReport:
    """The citation check of what the author has on screen (a save that was refused): the
    posted lead and body against the posted reference numbers that are whole numbers."""
    numbers = set()
    total = data.get("refs-TOTAL_FORMS", "0")
    for index in range(min(int(total) if total.isdigit() else 0, max_references())):
        number = data.get(f"refs-{index}-number", "").strip()
        if number.isdigit() and not data.get(f"refs-{index}-DELETE"):
            numbers.add(int(number))
    return check_integrity(f"{data.get('lead', '')}\n\n{data.get('body', '')}", numbers)


def _read_only_context(request, version, **extra) -> dict:
    lead_html, body_html = version.render()
    return {
        "article": version.article,
        "version": version,
        "lead_html": lead_html,
        "body_html": body_html,
        "references": list(version.references.all()),
        "findings": version.integrity or version.check_integrity().to_dict(),
        "feedback": editorial_selectors.feedback_for_author(version=version, author=request.user),
        "can_withdraw": VERBS["withdraw"].may(version, request.user),
        "threads": _threads(request, version),
        **extra,
    }


def _blank_rows(version) -> int:
    return 2 if not version.references.exists() else 1


@author_required
@require_http_methods(["GET", "POST"])
def version_detail(request, slug: str, number: int):
    """A draft is edited here; any other version is read here."""
    version = selectors.author_version(author=request.user, slug=slug, number=number)
    if not version.is_editable:
        if request.method == "POST":
            message = (
                f"Version {version.number} is {version.get_state_display().lower()}: it is frozen. "
                "Start a new version to change it."
            )
            context = _read_only_context(request, version, error=message)
            return render(request, "workspace/version_read.html", context, status=409)
        return render(request, "workspace/version_read.html", _read_only_context(request, version))

    ReferenceFormSet = reference_formset(extra=_blank_rows(version))
    if request.method == "GET":
        form = VersionContentForm(instance=version)
        formset = ReferenceFormSet(initial=reference_initial(version), prefix="refs")
        return render(request, "workspace/version_edit.html", _edit_context(request, version, form, formset))

    form = VersionContentForm(request.POST)
    formset = ReferenceFormSet(request.POST, initial=reference_initial(version), prefix="refs")
    if not (form.is_valid() and formset.is_valid()):
        context = _edit_context(
            request,
            version,
            form,
            formset,
            invalid=True,
            report=_unsaved_report(request.POST),
            report_of="screen",
        )
        return render(request, "workspace/version_edit.html", context, status=400)
    try:
        version = workflow.version_edit_draft(
            version=version, actor=request.user, references=formset.references(), **form.cleaned_data
        )
    except (WorkflowError, VersionFrozen) as exc:
        message = getattr(exc, "message", str(exc))
        form.add_error(None, message)
        context = _edit_context(request, version, form, formset)
        return render(request, "workspace/version_edit.html", context, status=getattr(exc, "status", 409))

    action = request.POST.get("action", "save")
    version = selectors.author_version(author=request.user, slug=slug, number=number)
    if action == "submit":
        return _submit_or_confirm(request, version, confirmed=None, saved=True)
    report = version.check_integrity()
    if action == "preview":
        return redirect(reverse("workspace:preview", kwargs={"slug": slug, "number": number}))
    messages.success(request, f"Draft saved. Citation check: {report.summary()}.")
    return redirect(_version_url(version))


@author_required
def version_preview(request, slug: str, number: int):
    """The version as the reader page will show it."""
    version = selectors.author_version(author=request.user, slug=slug, number=number)
    context = article_page_context(
        version=version,
        references=list(version.references.all()),
        audience=request.GET.get("audience", ""),
        preview_url=request.path,
    )
    context["report"] = version.check_integrity()
    return render(request, "workspace/version_preview.html", context)


def _confirm_page(request, version, report, *, changed: bool = False):
    context = {
        "article": version.article,
        "version": version,
        "report": report,
        "form": SubmitConfirmForm(initial={"findings": findings_token(report)}),
        "changed": changed,
    }
    return render(request, "workspace/submit_confirm.html", context)


def _submit_or_confirm(request, version, *, confirmed: str | None, saved: bool = False):
    """Submit once the author has confirmed, on a page that says what freezing means and names
    any finding of the citation check. ``confirmed`` is the findings the author saw and
    accepted: if they changed in between, the author is asked again."""
    try:
        if version.is_editable:
            workflow.check_submittable(version=version)
            report = version.check_integrity()
            if confirmed != findings_token(report):
                return _confirm_page(request, version, report, changed=bool(confirmed))
        version = workflow.version_submit(version=version, actor=request.user)
    except WorkflowError as exc:
        version = selectors.author_version(
            author=request.user, slug=version.article.slug, number=version.number
        )
        if version.is_editable:
            form = VersionContentForm(instance=version)
            formset = reference_formset(extra=_blank_rows(version))(
                initial=reference_initial(version), prefix="refs"
            )
            error = f"Your draft was saved, but not submitted. {exc.message}" if saved else exc.message
            context = _edit_context(request, version, form, formset, error=error)
            return render(request, "workspace/version_edit.html", context, status=exc.status)
        context = _read_only_context(request, version, error=exc.message)
        return render(request, "workspace/version_read.html", context, status=exc.status)
    messages.success(request, VERBS["submit"].done_for(version))
    return redirect(_version_url(version))


@author_required
@require_http_methods(["GET", "POST"])
def version_submit(request, slug: str, number: int):
    version = selectors.author_version(author=request.user, slug=slug, number=number)
    if request.method == "GET":
        if not version.is_editable:
            return redirect(_version_url(version))
        return _confirm_page(request, version, version.check_integrity())
    form = SubmitConfirmForm(request.POST)
    confirmed = form.cleaned_data["findings"] if form.is_valid() else ""
    return _submit_or_confirm(request, version, confirmed=confirmed)


@author_required
@require_http_methods(["GET", "POST"])
def version_withdraw(request, slug: str, number: int):
    version = selectors.author_version(author=request.user, slug=slug, number=number)
    form = WithdrawForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            workflow.version_withdraw(version=version, actor=request.user, reason=form.cleaned_data["reason"])
        except WorkflowError as exc:
            form.add_error(None, exc.message)
            status = exc.status
        else:
            messages.success(request, VERBS["withdraw"].done_for(version))
            return redirect(_version_url(version))
    context = {"article": version.article, "version": version, "form": form}
    return render(request, "workspace/withdraw_confirm.html", context, status=status)


@author_required
@require_POST
def annotation_reply(request, slug: str, number: int, annotation_id: int):
    """The author answers one of the board's annotations (the registry's ``reply``)."""
    version = selectors.author_version(author=request.user, slug=slug, number=number)
    annotation = get_object_or_404(version.annotations.all(), pk=annotation_id)
    entry = VERBS["reply"]
    try:
        entry.call(annotation=annotation, actor=request.user, comment=request.POST.get("comment", ""))
    except WorkflowError as exc:
        messages.error(request, exc.message)
        return render(
            request,
            "editorial/refused.html",
            {"message": exc.message, "status": exc.status},
            status=exc.status,
        )
    messages.success(request, entry.done_for(version))
    return redirect(f"{_version_url(version)}#ws-annotation-{annotation.pk}")
