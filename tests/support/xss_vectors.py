"""Known cross-site scripting vectors, and the checks that none of them got through.

Each vector tries, if it ever runs, to set ``window.__xss`` to its own number, open an
``alert`` with that number and (where it builds an element) leave a marker element
(``id``/``class`` ``xssmarker``, ``data-xss``). The number names the vector when a check fails.

Used by ``tests/web/test_xss.py`` (the rendered bytes of every surface, parsed) and
``tests/browser/test_xss_browser.py`` (the same pages in Chromium). ``hostile_board`` writes them
through the real services into every field an author or a reviewer can write.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field

from tests.support.html import Attributes, Elements
from tests.support.signing import signed

MARKER = "xssmarker"


def _js(n: int) -> str:
    """What a vector runs if it gets through: no quotes, no spaces, so it fits anywhere."""
    return f"window.__xss={n},alert({n})"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


_TEMPLATES: list[tuple[str, str]] = [
    # Script elements, plain and disguised.
    ("script tag", "<script>{js}</script>"),
    ("script tag, upper case", "<SCRIPT>{js}</SCRIPT>"),
    ("script with src", "<script src=data:,{js}></script>"),
    ("script, slash instead of space", "<script/x>{js}</script>"),
    ("script nested to survive one pass", "<scr<script>ipt>{js}</scr</script>ipt>"),
    ("script, doubled angle brackets", "<<script>script>{js}<</script>/script>"),
    ("script, unclosed", "<script>{js}"),
    ("script in an HTML block", "<div>\n<script>{js}</script>\n</div>"),
    # Event handlers.
    ("img onerror", "<img src=x onerror={js} class=xssmarker>"),
    ("img onerror, quoted", '<img src="x" onerror="{js}" id="xssmarker">'),
    ("img, slashes as separators", "<img/src/onerror={js}>"),
    ("img, entity-encoded equals", "<img src=x onerror&#x3d;{js}>"),
    ("IMG SRC javascript mixed case", "<IMG SRC=JaVaScRiPt:{js}>"),
    ("svg onload", "<svg onload={js} class=xssmarker>"),
    ("svg/onload", "<svg/onload={js}>"),
    ("body onload", "<body onload={js}>"),
    ("details ontoggle", "<details open ontoggle={js} data-xss=1>"),
    ("input autofocus onfocus", "<input autofocus onfocus={js} class=xssmarker>"),
    ("select autofocus onfocus", "<select autofocus onfocus={js}></select>"),
    ("video source onerror", "<video><source onerror={js}></video>"),
    ("audio onerror", "<audio src=x onerror={js}>"),
    ("marquee onstart", "<marquee onstart={js}>x</marquee>"),
    ("div onmouseover", '<div onmouseover="{js}" id=xssmarker>hover</div>'),
    ("b onclick", "<b onclick={js}>bold</b>"),
    # javascript:, data:, vbscript: with case, entity, whitespace and control-character tricks.
    ("a href javascript", '<a href="javascript:{js}" class=xssmarker>x</a>'),
    ("a href JaVaScRiPt", '<a href="JaVaScRiPt:{js}">x</a>'),
    (
        "a href entity-encoded javascript",
        '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;{js}">x</a>',
    ),
    ("a href hex entities", '<a href="&#x6A;avascript&#x3A;{js}">x</a>'),
    ("a href tab inside scheme", '<a href="jav&#x09;ascript:{js}">x</a>'),
    ("a href leading control character", '<a href=" &#14; javascript:{js}">x</a>'),
    ("a href newline inside scheme", '<a href="java\nscript:{js}">x</a>'),
    ("a href data html", '<a href="data:text/html;base64,{b64}">x</a>'),
    ("a href vbscript", '<a href="vbscript:msgbox({n})">x</a>'),
    ("iframe javascript", '<iframe src="javascript:{js}"></iframe>'),
    ("iframe srcdoc", '<iframe srcdoc="<script>{js}</script>"></iframe>'),
    ("object data", '<object data="javascript:{js}"></object>'),
    ("embed data URL", '<embed src="data:text/html;base64,{b64}">'),
    ("form action javascript", '<form action="javascript:{js}"><button>go</button></form>'),
    ("button formaction", "<button formaction=javascript:{js}>go</button>"),
    ("base href", '<base href="javascript:{js}//">'),
    ("meta refresh", '<meta http-equiv="refresh" content="0;url=javascript:{js}">'),
    ("link stylesheet javascript", "<link rel=stylesheet href=javascript:{js}>"),
    ("style attribute url", '<div style="background:url(javascript:{js})" class=xssmarker>x</div>'),
    ("style element import", "<style>@import 'javascript:{js}';</style>"),
    # SVG and MathML.
    ("svg script", "<svg><script>{js}</script></svg>"),
    ("svg animate onbegin", "<svg><animate onbegin={js} attributeName=x dur=1s>"),
    ("svg a xlink:href", '<svg><a xlink:href="javascript:{js}"><text x=20 y=20>x</text></a></svg>'),
    ("svg set href", '<svg><a><set attributeName=href to="javascript:{js}"/><text y=20>x</text></a></svg>'),
    ("mathml href", '<math href="javascript:{js}">x</math>'),
    ("mathml mutation", "<math><mtext><table><mglyph><style><img src=x onerror={js}>"),
    # Malformed, nested, comments, raw-text breakouts.
    ("comment breakout", '<!--<img src="--><img src=x onerror={js}//">'),
    ("noscript breakout", '<noscript><p title="</noscript><img src=x onerror={js}>">'),
    ("unclosed attribute", '<img src="x onerror={js} "'),
    ("textarea breakout", "</textarea><script>{js}</script>"),
    ("title breakout", "</title><script>{js}</script>"),
    ("style breakout", "</style><script>{js}</script>"),
    ("JSON-LD breakout", "</script><script>{js}</script>"),
    ("JSON-LD breakout, spaced end tag", "</SCRIPT ><img src=x onerror={js}>"),
    ("script data escape state", "<!--<script>"),
    # Attribute breakouts, for text that lands in a value="..." or title="...".
    ("double-quote breakout", '"><script>{js}</script>'),
    ("single-quote breakout", "'><img src=x onerror={js}>"),
    ("double-quote handler", '" onmouseover="{js}" x="'),
    ("single-quote autofocus handler", "' autofocus onfocus='{js}' x='"),
    ("unquoted attribute handler", "x autofocus onfocus={js} "),
    # Markdown link and image tricks.
    ("md link javascript", "[click](javascript:{js})"),
    ("md link JaVaScRiPt", "[click](JaVaScRiPt:{js})"),
    ("md link entity colon", "[click](javascript&colon;{js})"),
    ("md link numeric entity", "[click](&#106;avascript:{js})"),
    ("md link angle brackets", "[click](<javascript:{js}>)"),
    ("md link leading space", "[click]( javascript:{js})"),
    ("md link data URL", "[click](data:text/html;base64,{b64})"),
    ("md link vbscript", "[click](vbscript:msgbox({n}))"),
    ("md link title breakout", '[click](https://example.org "a\\" onmouseover=\\"{js}")'),
    ("md link with html text", "[<img src=x onerror={js}>](https://example.org)"),
    ("md image javascript", "![x](javascript:{js})"),
    ("md image onerror breakout", '![x](https://example.org/x.png"onerror="{js})'),
    ("md image data svg", "![x](data:image/svg+xml;base64,{svg64})"),
    ("md reference link", "[click][xss{n}]\n\n[xss{n}]: javascript:{js}"),
    ("md reference link entity", "[click][e{n}]\n\n[e{n}]: &#x6A;avascript:{js}"),
    ("md autolink javascript", "<javascript:{js}>"),
    ("md autolink quote breakout", '<https://example.org/"onmouseover="{js}>'),
    ("md table cell html", "| a |\n|---|\n| <script>{js}</script> |"),
    ("md code span", "`<script>{js}</script>`"),
    ("md citation marker breakout", '[1" onmouseover="{js}] [1]<script>{js}</script>'),
    # Entities that must stay text.
    ("escaped entities", "&lt;script&gt;{js}&lt;/script&gt;"),
    ("numeric entities", "&#60;script&#62;{js}&#60;/script&#62;"),
    # Template syntax: never evaluated.
    ("template variable", "{{{{ request.user.password }}}}{{{{7*7}}}}"),
    ("template tags", "{{% debug %}}{{% load static %}}{{% csrf_token %}}"),
    ("JS template literal", "${{{js}}}"),
    # Bare schemes, for the URL fields.
    ("bare javascript URL", "javascript:{js}"),
    ("bare javascript URL, upper and spaced", " JAVASCRIPT:{js}"),
    ("bare data URL", "data:text/html;base64,{b64}"),
    ("bare vbscript URL", "vbscript:msgbox({n})"),
]


@dataclass(frozen=True)
class Vector:
    number: int
    name: str
    payload: str

    def __str__(self) -> str:
        return f"#{self.number} {self.name}"


def _build() -> list[Vector]:
    vectors = []
    for n, (name, template) in enumerate(_TEMPLATES, start=1):
        js = _js(n)
        payload = template.format(
            js=js,
            n=n,
            b64=_b64(f"<script>{js}</script>"),
            svg64=_b64(f'<svg xmlns="http://www.w3.org/2000/svg" onload="{js}"/>'),
        )
        vectors.append(Vector(n, name, payload))
    return vectors


VECTORS: list[Vector] = _build()
BY_NUMBER = {vector.number: vector for vector in VECTORS}


def pack(
    limit: int, *, suffix: str = "", separator: str = " ", order: list[Vector] | None = None
) -> list[str]:
    """The vectors joined into as few strings of at most ``limit`` characters as they fit in,
    each ending with ``suffix``. A vector longer than ``limit`` on its own is left out."""
    chunks: list[str] = []
    current = ""
    budget = limit - len(suffix)
    for vector in order or VECTORS:
        payload = vector.payload
        if len(payload) > budget:
            continue
        candidate = f"{current}{separator}{payload}" if current else payload
        if len(candidate) <= budget:
            current = candidate
        else:
            chunks.append(current + suffix)
            current = payload
    if current:
        chunks.append(current + suffix)
    return chunks


def covered(chunks: list[str]) -> set[int]:
    return {vector.number for vector in VECTORS if any(vector.payload in chunk for chunk in chunks)}


# The check over rendered bytes ------------------------------------------------------------

# What the project's own pages contain; anything else of these kinds was injected.
SCRIPT_SRC_ALLOWED = ("/static/", "/admin/jsi18n/")
FORBIDDEN_TAGS = {
    "iframe",
    "object",
    "embed",
    "svg",
    "math",
    "img",
    "style",
    "base",
    "video",
    "audio",
    "source",
    "marquee",
    "frame",
    "frameset",
    "applet",
    "animate",
    "set",
    "mglyph",
    "xmp",
}
URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "data",
    "background",
    "poster",
    "srcdoc",
    "to",
    "from",
    "values",
}
BAD_SCHEME = re.compile(r"^(?:javascript|vbscript|data|livescript):", re.IGNORECASE)
_STRIPPED = re.compile(r"[\x00-\x20]+")
# Signs that template syntax was evaluated: the test hasher's password hashes, {% debug %}.
EVALUATED_TEMPLATE = ("md5$", "sql_queries", 'csrfmiddlewaretoken" value="{{')


@dataclass
class Finding:
    what: str
    vectors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        named = ", ".join(self.vectors) or "no vector number in it"
        return f"{self.what} [{named}]"


def name_vectors(text: str) -> list[str]:
    """The vectors whose own number appears in ``text`` as ``__xss=N`` or ``alert(N)``."""
    numbers = {int(n) for n in re.findall(r"(?:__xss=|alert\(|msgbox\(|xss|\be)(\d+)", text)}
    return [str(BY_NUMBER[n]) for n in sorted(numbers) if n in BY_NUMBER]


# The workflow graph's image (editorial/workflow_graph.py): drawn by the project, at its own address.
WORKFLOW_IMAGE = re.compile(r"^/(?:admin/articles/articleversion/\d+|editorial-policy)/workflow\.svg$")


def _own(tag: str, attributes: dict, shown: str) -> bool:
    """The project's own icons, images and stylesheets (the admin's SVG theme icons, the
    dashboard's charts, static images, the workflow graph)."""
    if name_vectors(shown):
        return False
    if tag == "svg":
        return True
    if tag == "img" and WORKFLOW_IMAGE.match(attributes.get("src") or ""):
        return True
    return tag in ("img", "link") and (attributes.get("src") or attributes.get("href") or "").startswith(
        "/static/"
    )


def _tag_findings(tag: str, attrs: Attributes) -> list[str]:
    """What one start tag carries that an injected vector could have put there."""
    found = []
    attributes = dict(attrs)
    shown = f"<{tag} " + " ".join(f'{k}="{v}"' for k, v in attrs) + ">"
    if tag == "script":
        src = attributes.get("src") or ""
        kind = attributes.get("type") or ""
        if not (src.startswith(SCRIPT_SRC_ALLOWED) or kind == "application/ld+json"):
            found.append(f"injected script element {shown}")
    if tag in FORBIDDEN_TAGS and not _own(tag, attributes, shown):
        found.append(f"injected element {shown}")
    if tag == "meta" and (attributes.get("http-equiv") or "").lower() == "refresh":
        found.append(f"injected refresh {shown}")
    rel = (attributes.get("rel") or "").lower()
    if tag == "link" and ("stylesheet" in rel or "import" in rel) and not _own(tag, attributes, shown):
        found.append(f"injected stylesheet {shown}")
    for name, value in attrs:
        value = value or ""
        if name.startswith("on"):
            found.append(f"event handler attribute {name} in {shown}")
        if name in URL_ATTRIBUTES and BAD_SCHEME.match(_STRIPPED.sub("", value)):
            found.append(f"dangerous URL in {name} of {shown}")
        if name == "style" and re.search(r"url\(|expression\(|javascript", value, re.IGNORECASE):
            found.append(f"style attribute with a URL in {shown}")
        if (name in ("id", "class") and MARKER in value) or name == "data-xss":
            found.append(f"marker element {shown}")
    return found


def scan(html: str | bytes) -> list[Finding]:
    """Everything in a rendered page that an injected vector could have put there."""
    text = html.decode() if isinstance(html, bytes) else html
    page = Elements(text)
    flagged = [what for tag, attrs in page.start_tags for what in _tag_findings(tag, attrs)]
    json_ld = []
    for attributes, script in page.scripts:
        if (attributes.get("type") or "") == "application/ld+json":
            json_ld.append(script)
        elif script.strip():
            flagged.append(f"inline script: {script[:120]!r}")
    findings = [Finding(what, name_vectors(what)) for what in flagged]
    for block in json_ld:
        try:
            json.loads(block)
        except ValueError as exc:
            findings.append(Finding(f"JSON-LD does not parse ({exc}): {block[:120]!r}", name_vectors(block)))
    for sign in EVALUATED_TEMPLATE:
        if sign in text:
            findings.append(Finding(f"template syntax was evaluated ({sign!r} is on the page)"))
    return findings


# Writing them everywhere, through the real services -------------------------------------

# Title-like places (<title>, meta content, h1, JSON-LD) get these first.
TITLE_FIRST = ("breakout", "quote", "script tag", "img onerror", "template", "svg onload", "handler")
BENIGN_REFERENCE = {"number": 1, "kind": "other", "title": "A plain reference", "source": "A publisher"}
REFERENCES_PER_VERSION = 60


def title_order() -> list[Vector]:
    first = [v for v in VECTORS if any(word in v.name for word in TITLE_FIRST)]
    return first + [v for v in VECTORS if v not in first]


def reference_for(vector: Vector, number: int) -> dict:
    """One reference with ``vector`` in each field that accepts it (see ``reference_refusals``)."""
    payload = vector.payload
    ref = {
        "number": number,
        "kind": "other",
        "title": payload[:500],
        "authors": payload[:500],
        "source": payload[:300],
        "year": 2020,
    }
    if not re.search(r"\s", payload):
        ref["doi"] = ("10.1000/" + payload)[:200]
        ref["url"] = ("https://example.org/" + payload)[:500]
    return ref


@dataclass
class Round:
    article: object
    changes_requested: object  # v1: declined, conflict, confidential, request-changes message
    published: object  # v2: approved with notes, published
    rejected: object  # v3
    withdrawn: object  # v4
    draft: object  # v5: the author's next draft, with the board's feedback on v4 beside it


@dataclass
class HostileBoard:
    author: object
    editor: object
    reviewers: list
    rounds: list[Round]
    title_articles: list  # one more published article per title chunk the rounds did not use
    retracted: object  # an article whose version was retracted with a hostile reason
    coverage: dict[str, set[int]]  # field -> vector numbers written into it


def hostile_board(*, title_rounds: int | None = None) -> HostileBoard:
    """Every vector in every field an author or reviewer can write, through editorial.workflow.

    ``title_rounds`` limits how many extra articles carry the remaining title chunks (all of
    them by default)."""
    from editorial import annotations, workflow
    from editorial.models import Decision, DeclineReason
    from tests.support.factories import make_user

    author = make_user("Author", username="hostile-author", first_name="Hana", last_name="Author")
    editor = make_user("Editor", username="hostile-editor")
    reviewers = [make_user("Reviewer", username=f"hostile-reviewer{i}") for i in (1, 2, 3)]
    r1, r2, r3 = reviewers

    titles = pack(200, order=title_order(), suffix=" ?")
    topics = pack(80, order=title_order())
    leads, summaries, notes = pack(2000), pack(4000), pack(2000)
    comments, short_comments = pack(10_000), pack(2000)
    body = "\n\n".join(v.payload for v in VECTORS) + "\n\nCited [1]."
    ref_batches = [
        VECTORS[i : i + REFERENCES_PER_VERSION] for i in range(0, len(VECTORS), REFERENCES_PER_VERSION)
    ]
    n_rounds = max(len(leads), len(summaries), len(notes), len(short_comments), len(ref_batches))
    coverage: dict[str, set[int]] = {}

    def pick(name: str, chunks: list[str], i: int) -> str:
        chunk = chunks[i % len(chunks)]
        coverage.setdefault(name, set()).update(covered([chunk]))
        return chunk

    def references(i: int) -> list[dict]:
        if i >= len(ref_batches):
            return [BENIGN_REFERENCE]
        refs = [reference_for(v, n) for n, v in enumerate(ref_batches[i], start=1)]
        for name in ("title", "authors", "source", "doi", "url"):
            coverage.setdefault(f"reference {name}", set()).update(
                v.number for v, ref in zip(ref_batches[i], refs, strict=True) if name in ref
            )
        return refs

    def review(version, reviewer, decision, i, **extra):
        assignment = version.assignments.get(reviewer=reviewer)
        return workflow.review_record(
            assignment=assignment,
            actor=reviewer,
            decision=decision,
            comment_to_author=pick("review comment to author", comments, i),
            confidential_comment=pick("review confidential comment", comments, i + 1),
            citations_checked=True,
            doses_checked=True,
            **extra,
            signing=signed(reviewer, "review"),
        )

    def to_review(version, people):
        version = workflow.version_submit(version=version, actor=author)
        for person in people:
            workflow.assignment_create(version=version, reviewer=person, actor=editor)
        return version

    rounds = []
    coverage["body"] = {v.number for v in VECTORS}
    for i in range(n_rounds):
        v1 = workflow.article_create(
            author=author,
            slug=f"hostile-{i}",
            topic=pick("topic", topics, i),
            title=pick("title", titles, i),
            lead=pick("lead", leads, i),
            body=body,
            summary=pick("summary", summaries, i),
            change_note=pick("change note", notes, i),
            references=references(i),
        )
        article = v1.article
        v1 = to_review(v1, reviewers)
        workflow.assignment_decline(
            assignment=v1.assignments.get(reviewer=r3),
            actor=r3,
            reason=DeclineReason.CONFLICT,
            note=pick("decline note", short_comments, i),
        )
        workflow.version_start_review(version=v1, actor=editor)
        review(
            v1,
            r1,
            Decision.REQUEST_CHANGES,
            i,
            no_conflict_declared=False,
            conflict_statement=pick("conflict statement", short_comments, i),
        )
        review(v1, r2, Decision.APPROVE, i + 2, no_conflict_declared=True)
        # an annotation on the body's last paragraph and a board member's reply, carried into
        # every later version with the author's answer (v2 draft): shown on the admin's
        # version pages and beside the paragraph in the workspace
        note = annotations.annotation_create(
            version=v1, actor=r1, exact="Cited 1.", comment=pick("annotation comment", comments, i)
        )
        annotations.annotation_reply(
            annotation=note, actor=r2, comment=pick("annotation reply", comments, i + 1)
        )
        workflow.version_request_changes(
            version=v1, actor=editor, message=pick("request-changes message", comments, i)
        )

        v2 = workflow.version_create_next(article=article, author=author)
        annotations.annotation_reply(
            annotation=v2.annotations.get(),
            actor=author,
            comment=pick("annotation answer", short_comments, i),
        )
        workflow.version_edit_draft(version=v2, actor=author, change_note=pick("change note", notes, i + 1))
        v2 = to_review(v2, [r1, r2])
        workflow.version_start_review(version=v2, actor=editor)
        review(v2, r1, Decision.APPROVE, i + 3, no_conflict_declared=True)
        review(v2, r2, Decision.APPROVE, i + 4, no_conflict_declared=True)
        workflow.version_approve(
            version=v2,
            actor=editor,
            message=pick("approval note", comments, i),
            signing=signed(editor, "approve"),
        )
        v2 = workflow.version_publish(version=v2, actor=editor, signing=signed(editor, "publish"))

        v3 = to_review(workflow.version_create_next(article=article, author=author), [r1])
        workflow.version_start_review(version=v3, actor=editor)
        v3 = workflow.version_reject(version=v3, actor=editor, reason=pick("reject reason", comments, i))

        v4 = workflow.version_submit(
            version=workflow.version_create_next(article=article, author=author), actor=author
        )
        v4 = workflow.version_withdraw(version=v4, actor=author, reason=pick("withdraw reason", comments, i))
        v5 = workflow.version_create_next(article=article, author=author)
        rounds.append(Round(article, v1, v2, v3, v4, v5))

    def publish_plain(slug: str, title: str, topic: str):
        version = workflow.article_create(
            author=author,
            slug=slug,
            topic=topic,
            title=title,
            lead="A plain answer [1].",
            body="A plain body [1].",
            references=[BENIGN_REFERENCE],
        )
        version = to_review(version, [r1, r2])
        workflow.version_start_review(version=version, actor=editor)
        for person in (r1, r2):
            workflow.review_record(
                assignment=version.assignments.get(reviewer=person),
                actor=person,
                decision=Decision.APPROVE,
                no_conflict_declared=True,
                citations_checked=True,
                doses_checked=True,
                signing=signed(person, "review"),
            )
        version = workflow.version_approve(version=version, actor=editor, signing=signed(editor, "approve"))
        return workflow.version_publish(version=version, actor=editor, signing=signed(editor, "publish"))

    extra = range(
        n_rounds, len(titles) if title_rounds is None else min(len(titles), n_rounds + title_rounds)
    )
    title_articles = [
        publish_plain(f"hostile-title-{i}", pick("title", titles, i), pick("topic", topics, i)).article
        for i in extra
    ]
    retracted = publish_plain("hostile-retracted", pick("title", titles, len(titles) - 1), "")
    workflow.version_retract(
        version=retracted,
        actor=editor,
        reason=pick("retract reason", comments, 1),
        signing=signed(editor, "retract"),
    )
    return HostileBoard(author, editor, reviewers, rounds, title_articles, retracted.article, coverage)


@dataclass(frozen=True)
class Page:
    surface: str  # reader, author workspace, admin (editor), admin (reviewer)
    who: object  # the user who reads it (None: an anonymous reader)
    url: str
    label: str


def pages(board: HostileBoard, *, rounds: int | None = None, title_articles: int | None = None) -> list[Page]:
    """Every page on which the hostile fields are shown, with who reads it."""
    from django.urls import reverse

    from editorial.models import AuditEvent, Review

    def admin(name: str, *args) -> str:
        return reverse(f"admin:{name}", args=args)

    def ws(name: str, article, number: int | None = None) -> str:
        kwargs = {"slug": article.slug} | ({"number": number} if number else {})
        return reverse(f"workspace:{name}", kwargs=kwargs)

    editor, (r1, r2, r3) = board.editor, board.reviewers
    found = [
        Page("reader", None, reverse("reader:list"), "home"),
        Page("reader", None, board.retracted.get_absolute_url(), "retracted article"),
        Page("author workspace", board.author, reverse("workspace:dashboard"), "dashboard"),
        Page("admin (editor)", editor, admin("articles_articleversion_changelist"), "versions list"),
        Page("admin (editor)", editor, admin("articles_article_changelist"), "articles list"),
        Page("admin (editor)", editor, admin("editorial_review_changelist"), "reviews list"),
        Page("admin (editor)", editor, admin("editorial_reviewassignment_changelist"), "assignments list"),
        Page("admin (editor)", editor, admin("editorial_auditevent_changelist"), "audit list"),
        Page(
            "admin (editor)",
            editor,
            admin("articles_articleversion_change", board.retracted.live_version_id),
            "retracted version",
        ),
        Page("admin (reviewer)", r1, admin("articles_articleversion_changelist"), "versions list"),
    ]
    for i, one in enumerate(board.rounds[:rounds]):
        a = one.article
        review = Review.objects.filter(version=one.changes_requested, reviewer=r1).get()
        event = AuditEvent.objects.filter(
            version=one.changes_requested, action__endswith="changes_requested"
        ).get()
        found += [
            Page("reader", None, a.get_absolute_url(), f"round {i} article"),
            Page("author workspace", board.author, ws("preview", a, 2), f"round {i} preview v2"),
            Page(
                "author workspace",
                board.author,
                ws("preview", a, 5) + "?audience=patient",
                f"round {i} preview v5 (patient)",
            ),
            Page("author workspace", board.author, ws("article", a), f"round {i} article page"),
            Page("author workspace", board.author, ws("version", a, 1), f"round {i} v1 feedback"),
            Page("author workspace", board.author, ws("version", a, 3), f"round {i} v3 rejected"),
            Page("author workspace", board.author, ws("version", a, 4), f"round {i} v4 withdrawn"),
            Page("author workspace", board.author, ws("version", a, 5), f"round {i} v5 draft editor"),
            Page("author workspace", board.author, ws("withdraw", a, 5), f"round {i} v5 withdraw form"),
            Page(
                "admin (editor)",
                editor,
                admin("articles_articleversion_change", one.changes_requested.pk),
                f"round {i} v1",
            ),
            Page(
                "admin (editor)",
                editor,
                admin("articles_articleversion_change", one.published.pk),
                f"round {i} v2",
            ),
            Page(
                "admin (editor)",
                editor,
                admin("articles_articleversion_change", one.rejected.pk),
                f"round {i} v3",
            ),
            Page(
                "admin (editor)",
                editor,
                admin("articles_articleversion_change", one.withdrawn.pk),
                f"round {i} v4",
            ),
            Page("admin (editor)", editor, admin("editorial_review_change", review.pk), f"round {i} review"),
            Page(
                "admin (editor)", editor, admin("editorial_auditevent_change", event.pk), f"round {i} event"
            ),
            Page(
                "admin (reviewer)",
                r1,
                admin("articles_articleversion_change", one.changes_requested.pk),
                f"round {i} v1 (conflicted reviewer)",
            ),
            Page(
                "admin (reviewer)",
                r2,
                admin("articles_articleversion_change", one.published.pk),
                f"round {i} v2",
            ),
            Page(
                "admin (reviewer)",
                r3,
                admin("articles_articleversion_change", one.changes_requested.pk),
                f"round {i} v1 (declined)",
            ),
        ]
    for a in board.title_articles[:title_articles]:
        found += [
            Page("reader", None, a.get_absolute_url(), f"{a.slug}"),
            Page("author workspace", board.author, ws("preview", a, 1), f"{a.slug} preview"),
            Page(
                "admin (editor)", editor, admin("articles_articleversion_change", a.live_version_id), a.slug
            ),
        ]
    return found
