"""Reader pages: only published articles, to anonymous readers (and, in pending-review mode
only, versions awaiting the board, under a caution banner and ``noindex``)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotFound,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from articles.models import ReferenceKind, VersionState
from editorial import audit_heads, reports, workflow_graph
from editorial import selectors as editorial_selectors
from editorial.audit import action_label
from editorial.errors import WorkflowError
from editorial.models import AuditAction
from reader import pagecache, selectors
from reader.forms import ReportForm
from reader.headers import reader_headers
from reader.pages import (
    AUDIENCE_COOKIE,
    AUDIENCES,
    SITE_NAME,
    article_page_context,
    audience_of,
    contact_email,
)
from reader.structured_data import medical_web_page, to_json_ld

AUDIENCE_COOKIE_AGE = 365 * 24 * 60 * 60
MAX_QUERY_LENGTH = 200
ARTICLES_PER_PAGE = 20


def policy_numbers() -> dict:
    editorial = settings.EDITORIAL
    return {
        "quorum": editorial["QUORUM"],
        "response_days": editorial.get("RESPONSE_DAYS"),
        "review_days": editorial.get("REVIEW_DAYS"),
        "re_review_months": editorial["RE_REVIEW_MONTHS"],
        "anonymous_reviews": editorial.get("ANONYMOUS_REVIEWS_TO_AUTHORS"),
        "pending_visible": editorial.get("PENDING_REVIEW_VISIBLE", False),
        "overdue_every_days": editorial.get("OVERDUE_EVERY_DAYS"),
        "overdue_max_reminders": editorial.get("OVERDUE_MAX_REMINDERS"),
    }


# The home page ----------------------------------------------------------------------------
@reader_headers
@require_safe
def article_list(request: HttpRequest) -> HttpResponse:
    # NUL can be in no database text, so it can match nothing: dropped, never sent (a 500).
    query = request.GET.get("q", "")[:MAX_QUERY_LENGTH].replace("\x00", "").strip()
    topic = request.GET.get("topic", "")[:80].replace("\x00", "").strip()
    articles = selectors.search_published_articles(query=query, topic=topic)
    page = Paginator(articles, ARTICLES_PER_PAGE).get_page(request.GET.get("page"))
    pending = []
    if selectors.pending_review_visible() and not (query or topic):
        pending = list(selectors.pending_articles()[:ARTICLES_PER_PAGE])
    context = {
        "page": page,
        "articles": page.object_list,
        "query": query,
        "topic": topic,
        "topics": selectors.published_topics(),
        "pending": pending,
        "searching": bool(query or topic),
    }
    response = render(request, "reader/article_list.html", context)
    if query or pending:
        response.headers["X-Robots-Tag"] = "noindex"
    return response


# The article page ---------------------------------------------------------------------------
@reader_headers
@require_safe
def article_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The cached page bytes when they are current (no SQL query), a fresh render otherwise,
    with the validators a conditional GET is answered from."""
    audience = audience_of(request)
    page = pagecache.serve(
        slug=slug,
        audience=audience,
        render=lambda token: _render_article(request, slug=slug, audience=audience, token=token),
    )
    response = pagecache.response(page)
    # Browsers keep the page and ask again each time; the answer is usually a 304.
    response.headers["Cache-Control"] = "public, no-cache"
    patch_vary_headers(response, ["Cookie"])
    return response  # config's ConditionalGetMiddleware answers a matching conditional GET with 304


def _render_article(request: HttpRequest, *, slug: str, audience: str, token: str) -> pagecache.CachedPage:
    """Render one article page. At most five queries, however long its history: the article
    and live version, the references, the approvals, the public history, the update check."""
    shown = selectors.article_for_reader(slug=slug)
    article, version, references = shown.article, shown.version, shown.references
    published = version.state == VersionState.PUBLISHED
    trail = editorial_selectors.public_trail(article=article)  # the history and the chain head, one query
    events = trail.events
    history = _history_by_version(events)
    approvals = list(editorial_selectors.approving_reviews(version=version)) if not shown.pending else []
    update_under_review = published and editorial_selectors.update_under_review(article=article)

    url = request.build_absolute_uri(article.get_absolute_url())
    context = article_page_context(
        article=article,
        version=version,
        references=references,
        audience=audience,
        pending=shown.pending,
        approvals=approvals,
        history=history,
        trail=trail,
        update_under_review=update_under_review,
        canonical_url=url,
    )
    if published:
        context["json_ld"] = to_json_ld(
            medical_web_page(
                url=url,
                site_name=SITE_NAME,
                policy_url=request.build_absolute_uri(reverse("reader:policy")),
                version=version,
                description=context["description"],
                references=references,
                approvals=approvals,
                topic=article.topic,
                first_published=_first_published(events),
                overdue=context["overdue_since"] is not None,
            )
        )
    noindex = context["noindex"]
    content = render_to_string("reader/article_detail.html", context, request=request).encode()
    headers = (("X-Robots-Tag", "noindex"),) if noindex else ()
    return pagecache.cached_page(
        content=content, version=version, events=events, article_id=article.pk, token=token, headers=headers
    )


def _first_published(events: list) -> datetime | None:
    return next((event.created_at for event in events if event.action == AuditAction.VERSION_PUBLISHED), None)


def _history_by_version(events: list) -> list[dict]:
    """The public events grouped per version, newest version first; each group carries the
    change note its author submitted with it."""
    groups: dict[int | None, dict] = {}
    for event in events:
        number = getattr(event, "version_number", None)
        group = groups.setdefault(number, {"number": number, "change_note": "", "events": []})
        if event.action == AuditAction.VERSION_SUBMITTED:
            group["change_note"] = event.message
        show_message = event.action not in (AuditAction.VERSION_CREATED, AuditAction.VERSION_SUBMITTED)
        group["events"].append(
            {
                "event": event,
                "label": action_label(event.action),
                "message": event.message if show_message else "",
            }
        )
    return sorted(groups.values(), key=lambda group: group["number"] or 0, reverse=True)


# Report a problem with this page --------------------------------------------------------------
def _client_address(request: HttpRequest) -> str:
    """The client's address as the sign-in throttle names it (behind a trusted proxy, the
    forwarded one): the site's one rule, named in settings."""
    return import_string(settings.AXES_CLIENT_IP_CALLABLE)(request)


@reader_headers
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def report_problem(request: HttpRequest, slug: str) -> HttpResponse:
    """A reader's report on a published article: a plain form (CSRF-protected, no JavaScript),
    a honeypot, the model's length limits, and the rate limits of ``editorial.reports``."""
    article = selectors.readable_article(slug=slug)
    version = article.live_version
    if version.state != VersionState.PUBLISHED:
        raise Http404("Reports are taken on published articles only.")
    here = reverse("reader:report", kwargs={"slug": article.slug})
    context = {"article": article, "version": version, "sent": request.GET.get("sent") == "1"}
    status = 200
    form = ReportForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_bot:  # a honeypot filled: answered as a success, nothing kept
            return HttpResponseRedirect(f"{here}?sent=1", status=303)
        if form.is_valid():
            try:
                # The flood limit is the web door's, like the sign-in throttle: it counts client
                # addresses, which only a request has (the demo and the services' callers do not).
                reports.admit(address=_client_address(request), article_id=article.pk)
                reports.report_submit(
                    article=article, message=form.cleaned_data["message"], email=form.cleaned_data["email"]
                )
            except WorkflowError as exc:
                for name, message in getattr(exc, "fields", {}).items():
                    form.add_error(name if name in form.fields else None, message)
                if not getattr(exc, "fields", None):
                    form.add_error(None, exc.message)
                status = exc.status
            else:
                return HttpResponseRedirect(f"{here}?sent=1", status=303)
        else:
            status = 400
    context["form"] = form
    return render(request, "reader/report.html", context, status=status)


# The audience picker ------------------------------------------------------------------------
@never_cache
@require_safe
def choose_audience(request: HttpRequest) -> HttpResponse:
    """Keep the reader's choice in a cookie and send them back to the page they were on.

    A plain GET form, so it works without JavaScript and without a CSRF token (the cached
    article pages are the same bytes for everyone, so they cannot carry one). Setting a
    display preference is idempotent and harmless, and ``next`` may only point back into
    this site.
    """
    audience = request.GET.get("audience", "")
    next_url = request.GET.get("next", "")
    if not (
        next_url.startswith("/")
        and url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        next_url = reverse("reader:list")
    if "#" not in next_url and audience in AUDIENCES:
        next_url += "#answer"
    response = HttpResponseRedirect(next_url, status=303)
    if audience in AUDIENCES:
        response.set_cookie(
            AUDIENCE_COOKIE,
            audience,
            max_age=AUDIENCE_COOKIE_AGE,
            samesite="Lax",
            httponly=True,
            secure=request.is_secure(),
        )
    elif audience == "none":
        response.delete_cookie(AUDIENCE_COOKIE, samesite="Lax")
    return response


# The editorial policy -----------------------------------------------------------------------
@reader_headers
@require_safe
def editorial_policy(request: HttpRequest) -> HttpResponse:
    context = {
        "policy": policy_numbers(),
        "board": list(editorial_selectors.board_members()),
        "contact_email": contact_email(),
        "reference_kinds": ReferenceKind.choices,
        "workflow": workflow_graph.picture(src=reverse("reader:workflow")),
    }
    return render(request, "reader/editorial_policy.html", context)


@reader_headers
@require_safe
def workflow_svg(request: HttpRequest) -> HttpResponse:
    """The workflow graph of the policy page, drawn from the model's transitions."""
    response = workflow_graph.svg_response()
    response["Cache-Control"] = "public, max-age=3600"
    return response


# The board ------------------------------------------------------------------------------------
@reader_headers
@require_safe
def board(request: HttpRequest) -> HttpResponse:
    """The public board roster: who reviews, their credentials, interests and what they
    reviewed. Only members who agreed to be listed."""
    context = {"roster": editorial_selectors.public_board(), "contact_email": contact_email()}
    return render(request, "reader/board.html", context)


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = ["User-agent: *", "Disallow: /admin/", "Disallow: /author/", "Disallow: /audience/"]
    lines.append(f"Sitemap: {request.build_absolute_uri(reverse('reader:sitemap'))}")
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


# The signed audit heads ------------------------------------------------------------------------
# Anyone may keep copies of the heads file and the key, and later check the board's record with
# ``verify_audit --heads`` (or any Ed25519 library): editorial/audit_heads.py writes and signs
# them; these views only read.
@require_safe
def audit_heads_json(request: HttpRequest) -> HttpResponse:
    """The newest signed heads file, as written."""
    path = audit_heads.newest_heads_file()
    if path is None:
        return HttpResponseNotFound(
            "No signed audit heads have been written yet: the first is written within the hour.\n",
            content_type="text/plain; charset=utf-8",
        )
    response = FileResponse(path.open("rb"), content_type="application/json")
    response.headers["Content-Disposition"] = f'inline; filename="{path.name}"'
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@require_safe
def audit_key(request: HttpRequest) -> HttpResponse:
    """The public half of the key that signs the heads (PEM)."""
    response = HttpResponse(audit_heads.public_key_pem(), content_type="text/plain; charset=utf-8")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
