"""Cross-site scripting in a real browser (Debian's Chromium): the hostile board of
``tests/support/xss_vectors.py`` (93 vectors in every field an author or a reviewer can write) on
every reader, author workspace and admin page that shows them, plus the draft editor's own
form filled with vectors and saved. On every page: no dialog opened, ``window.__xss`` never
set, no marker element, no event-handler attribute, no script, frame or dangerous URL that the
project did not write, and no Content-Security-Policy violation (the reader pages' CSP would
block an inline handler: a violation means one reached the page)."""

import json
from collections import defaultdict
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.support.xss_vectors import VECTORS, WORKFLOW_IMAGE, hostile_board, name_vectors, pack, pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(settings.BASE_DIR) / "var" / "test-artifacts"

RECORD_CSP = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample || ''}`);
});
"""

# After the load event: hover and focus everything (inline handlers would run), then look.
INSPECT = """
(ownImage) => {
  const found = [];
  const all = Array.from(document.querySelectorAll('*'));
  for (const el of all) {
    for (const type of ['mouseover', 'mouseenter', 'focus', 'animationstart']) {
      try { el.dispatchEvent(new Event(type, {bubbles: true})); } catch (e) {}
    }
  }
  const describe = (el) => el.outerHTML.slice(0, 160);
  for (const el of document.querySelectorAll('#xssmarker, .xssmarker, [data-xss]')) {
    found.push('marker element ' + describe(el));
  }
  for (const el of all) {
    for (const attr of Array.from(el.attributes)) {
      if (attr.name.toLowerCase().startsWith('on')) found.push('event handler ' + describe(el));
      if (['href', 'src', 'action', 'formaction', 'xlink:href', 'data'].includes(attr.name.toLowerCase())) {
        let scheme = '';
        try { scheme = new URL(attr.value, location.href).protocol; } catch (e) {}
        if (['javascript:', 'vbscript:', 'data:'].includes(scheme)) found.push('dangerous URL ' + describe(el));
      }
    }
  }
  for (const el of document.querySelectorAll('iframe, object, embed, frame, base, math, video, audio, marquee, meta[http-equiv="refresh" i]')) {
    found.push('injected element ' + describe(el));
  }
  for (const el of document.querySelectorAll('img')) {
    const src = el.getAttribute('src') || '';
    if (!(src.startsWith('/static/') || new RegExp(ownImage).test(src))) found.push('injected image ' + describe(el));
  }
  for (const el of document.scripts) {
    const src = el.getAttribute('src') || '';
    const own = src.startsWith('/static/') || src.startsWith('/admin/jsi18n/');
    if (!own && el.type !== 'application/ld+json') found.push('injected script ' + describe(el));
    if (el.type === 'application/ld+json') {
      try { JSON.parse(el.textContent); } catch (e) { found.push('JSON-LD broken ' + el.textContent.slice(0, 160)); }
    }
  }
  return {xss: window.__xss === undefined ? null : String(window.__xss), found, csp: window.__csp || []};
}
"""


def _login_cookie(user) -> dict | None:
    if user is None:
        return None
    client = Client()
    client.force_login(user)
    return {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value}


def _inspect(page, console: list[str]) -> list[str]:
    result = page.evaluate(INSPECT, WORKFLOW_IMAGE.pattern)  # the workflow graph is the project's own
    problems = list(result["found"])
    if result["xss"] is not None:
        problems.append(f"window.__xss was set to {result['xss']}")
    problems += [f"CSP violation: {violation}" for violation in result["csp"]]
    problems += [f"console: {text}" for text in console if "Content Security Policy" in text]
    problems += [f"dialog opened: {message!r}" for message in page.dialogs]
    page.dialogs.clear()
    console.clear()
    return problems


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"xss-{name}.png"), full_page=False)


def test_no_vector_runs_in_chromium_on_any_surface(browser_page, capsys):
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 900})
    page.add_init_script(RECORD_CSP)
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    board = hostile_board()

    per_surface: dict[str, dict] = defaultdict(lambda: {"pages": 0, "problems": []})
    by_reader: dict = defaultdict(list)
    for one in pages(board, title_articles=0):
        by_reader[getattr(one.who, "pk", None)].append(one)
    for entries in by_reader.values():
        page.context.clear_cookies()
        cookie = _login_cookie(entries[0].who)
        if cookie:
            page.context.add_cookies([{**cookie, "url": page.base_url}])
        for one in entries:
            response = page.goto(page.base_url + one.url, wait_until="load")
            assert response.status == 200, (one, response.status)
            seen = per_surface[one.surface]
            seen["pages"] += 1
            seen["problems"] += [f"{one.label} ({one.url}): {p}" for p in _inspect(page, console)]
            if one.label in ("round 0 article", "round 0 v1"):
                shot(page, one.surface.split(" ")[0] + "-" + one.label.replace(" ", "-"))

    # The draft editor's own form, filled with vectors in a browser and saved: the 400 page
    # that shows the values back (a bad DOI), then the preview after a good save.
    author_rounds = board.rounds[-1]
    page.context.clear_cookies()
    page.context.add_cookies([{**_login_cookie(board.author), "url": page.base_url}])
    edit_url = reverse("workspace:version", kwargs={"slug": author_rounds.article.slug, "number": 5})
    page.goto(page.base_url + edit_url)
    fills = {
        "#id_title": pack(200, suffix=" ?")[3],
        "#id_lead": pack(2000)[0],
        "#id_body": "\n\n".join(v.payload for v in VECTORS),
        "#id_summary": pack(4000)[0],
        "#id_change_note": pack(2000)[1],
        "#id_refs-0-title": pack(500)[2],
        "#id_refs-0-authors": pack(500)[3],
        "#id_refs-0-source": pack(300)[4],
        "#id_refs-0-doi": "not a DOI",
    }
    for selector, value in fills.items():
        page.fill(selector, value)
    page.click("button:has-text('Save and preview')")
    assert page.locator(".ws-field-doi.ws-field-invalid .errorlist").is_visible()
    per_surface["author workspace"]["pages"] += 1
    per_surface["author workspace"]["problems"] += [
        f"draft editor, refused: {p}" for p in _inspect(page, console)
    ]
    shot(page, "workspace-form-refused")
    page.fill("#id_refs-0-doi", "10.1000/" + next(v.payload for v in VECTORS if " " not in v.payload))
    page.click("button:has-text('Save and preview')")
    page.wait_for_url("**/preview/")
    per_surface["author workspace"]["pages"] += 1
    per_surface["author workspace"]["problems"] += [
        f"preview after save: {p}" for p in _inspect(page, console)
    ]
    assert page.locator("h1#article-title").text_content().endswith("?")
    shot(page, "workspace-preview-after-save")

    figures = {}
    for surface, seen in sorted(per_surface.items()):
        named = {name for problem in seen["problems"] for name in name_vectors(problem)}
        figures[surface] = {
            "pages": seen["pages"],
            "vectors_tried": len(VECTORS),
            "vectors_blocked": len(VECTORS) - len(named),
            "problems": len(seen["problems"]),
        }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "xss-browser-figures.json").write_text(json.dumps(figures, indent=2) + "\n")
    with capsys.disabled():
        print("\nXSS in Chromium, per surface:", json.dumps(figures))
    problems = [problem for seen in per_surface.values() for problem in seen["problems"]]
    # What ran first (a dialog, window.__xss, a blocked handler), then what was merely there.
    problems.sort(key=lambda problem: not any(sign in problem for sign in ("dialog", "__xss was", "CSP")))
    assert not problems, "\n".join(problems[:40])
