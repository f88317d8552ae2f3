"""The content API at /api/v1/: read-only, published content only, for partners with a key.

django-ninja serves the operations and writes the OpenAPI document from ``api/schemas.py``.
Every refusal is JSON with a ``detail``: 401 without a key or with an unknown one, 403 with a
revoked one, 429 past the key's quota (with ``Retry-After``), 400 for malformed parameters,
404 for what is not published, 410 for a retracted article.
"""

from __future__ import annotations

from datetime import datetime

from django.core.paginator import EmptyPage, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, NinjaAPI, Path, Query, Schema
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import APIKeyHeader

from api import content, keys, schemas, usage
from reader import pagecache
from reader import selectors as reader_selectors

MAX_PAGE_SIZE = 100
MAX_QUERY_LENGTH = 200


class QuotaExceeded(Exception):
    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after


class PartnerKey(APIKeyHeader):
    """The partner's key in the ``X-API-Key`` header; each request counts against its quota."""

    param_name = "X-API-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> keys.Caller:
        caller = keys.authenticate(key)
        retry_after = usage.count_request(partner_id=caller.partner_id, per_minute=caller.requests_per_minute)
        if retry_after is not None:
            raise QuotaExceeded(retry_after)
        return caller


api = NinjaAPI(
    title="Medically reviewed answers: content API",
    version="1.0.0",
    description=(
        "Read-only access to the published, board-reviewed articles, their references, reviewers "
        "and review history, and the public board roster. Send your key in the `X-API-Key` header. "
        "Show the `attribution` text with any content you reuse. Only published content is "
        "reachable: a retracted article answers 410 with its retraction notice."
    ),
    urls_namespace="api",
    docs_url=None,  # ninja's Swagger page loads from a CDN; /api/v1/docs/ is rendered here
    auth=PartnerKey(),
)

# Every operation may answer these.
REFUSALS = {401: schemas.Error, 403: schemas.Error, 429: schemas.Error}


def _error(request, status: int, detail: str, **extra) -> HttpResponse:
    return api.create_response(request, {"detail": detail, **extra}, status=status)


@api.exception_handler(keys.KeyRefused)
def key_refused(request, exc: keys.KeyRefused):
    return _error(request, exc.status, exc.message)


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    return _error(request, 401, "An API key is required: send it in the X-API-Key header.")


@api.exception_handler(QuotaExceeded)
def quota_exceeded(request, exc: QuotaExceeded):
    response = _error(
        request, 429, f"This key's quota of requests per minute is used up: retry in {exc.retry_after} s."
    )
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(ValidationError)
def invalid(request, exc: ValidationError):
    errors = [
        {
            "field": ".".join(str(part) for part in error.get("loc", ())[1:]) or "request",
            "message": error["msg"],
        }
        for error in exc.errors
    ]
    summary = "; ".join(f"{error['field']}: {error['message']}" for error in errors)
    return _error(request, 400, f"Invalid request: {summary}", errors=errors)


@api.exception_handler(Http404)
def not_found(request, exc: Http404):
    return _error(request, 404, str(exc) or "Not found.")


# Text a query may hold: anything but NUL (which no database column can hold either).
NO_NUL = r"^[^\x00]*$"
SLUG = r"^[-a-zA-Z0-9_]+$"


class ArticleFilters(Schema):
    q: str = Field("", max_length=MAX_QUERY_LENGTH, pattern=NO_NUL, description="Full-text search")
    topic: str = Field("", max_length=80, pattern=NO_NUL)
    updated_since: datetime | None = Field(
        None, description="Only articles whose live version was published at or after this moment (ISO 8601)."
    )
    page: int = Field(1, ge=1)
    page_size: int = Field(20, ge=1, le=MAX_PAGE_SIZE)


@api.get(
    "/articles",
    response={200: schemas.ArticlePage, 400: schemas.BadRequest, 404: schemas.Error, **REFUSALS},
    url_name="articles",
    summary="Published articles",
    description="Newest publication first, or best match first when searching.",
)
def articles(request: HttpRequest, filters: Query[ArticleFilters]):
    found = reader_selectors.search_published_articles(query=filters.q.strip(), topic=filters.topic.strip())
    if filters.updated_since is not None:
        found = found.filter(live_version__published_at__gte=filters.updated_since)
    paginator = Paginator(found, filters.page_size)
    try:
        page = paginator.page(filters.page)
    except EmptyPage:
        raise Http404(f"No page {filters.page}: there are {paginator.num_pages}.") from None

    def link(number: int) -> str:
        params = request.GET.copy()
        params["page"] = str(number)
        return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")

    return {
        "count": paginator.count,
        "page": page.number,
        "page_size": filters.page_size,
        "pages": paginator.num_pages,
        "next": link(page.next_page_number()) if page.has_next() else None,
        "previous": link(page.previous_page_number()) if page.has_previous() else None,
        "results": [content.article_summary(request, article) for article in page.object_list],
    }


@api.get(
    "/articles/{slug}",
    response={
        200: schemas.ArticleOut,
        304: None,
        400: schemas.BadRequest,
        404: schemas.Error,
        410: schemas.Retracted,
        **REFUSALS,
    },
    url_name="article",
    summary="One published article",
    description=(
        "The live version with its references, reviewers, review history and attribution. Served "
        "from a per-version cache with `ETag` and `Last-Modified`: send `If-None-Match` or "
        "`If-Modified-Since` to get a 304."
    ),
)
def article(request: HttpRequest, slug: str = Path(..., max_length=200, pattern=SLUG)):
    page = pagecache.serve(
        slug=slug,
        kind=content.cache_kind(),
        render=lambda token: content.render_article(request, slug=slug, token=token),
    )
    response = pagecache.response(page, content_type="application/json")
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["Vary"] = "X-API-Key"
    return response  # config's ConditionalGetMiddleware answers a matching conditional GET with 304


@api.get("/topics", response={200: list[schemas.Topic], **REFUSALS}, url_name="topics", summary="Topics")
def topics(request: HttpRequest):
    return content.topics(request)


@api.get(
    "/board",
    response={200: list[schemas.BoardMemberOut], **REFUSALS},
    url_name="board",
    summary="The public board roster",
    description="Members who agreed to be listed, with the published articles each approved.",
)
def board(request: HttpRequest):
    return content.board(request)
