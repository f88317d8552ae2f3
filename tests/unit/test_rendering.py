import pytest

from articles.rendering import render_body, render_version
from tests.support.html import active_content, unsafe_link

VECTORS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    '<svg onload="alert(1)"></svg>',
    '<a href="javascript:alert(1)">x</a>',
    "<iframe src=//evil.example></iframe>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "[x](java\tscript:alert(1))",
    "<<script>script>alert(1)<</script>/script>",
    '"><script>alert(1)</script>',
    "<details open ontoggle=alert(1)>",
]


@pytest.mark.parametrize("vector", VECTORS)
def test_no_author_markdown_can_carry_script(vector):
    html = render_body(f"Text [1] {vector}", [1])
    assert active_content(html) == []


def test_the_checker_itself_sees_script():
    found = active_content('<p><a href="javascript:x" onclick="y">z</a><script></script></p>')
    assert sorted(found) == ["a[href=javascript:x]", "a[onclick]", "script"]


def test_citations_become_superscript_links_with_unique_anchors():
    lead, body = render_version("Lead claim [1].", "Body claim [1] and [1, 2].", [1, 2])
    assert '<sup class="citation"><a href="#ref-1" id="cite-1-1"' in lead
    assert 'id="cite-1-2"' in body and 'id="cite-1-3"' in body and 'id="cite-2-1"' in body


def test_unresolved_citation_is_marked_not_linked():
    html = render_body("Claim [4].", [1])
    assert "citation-unresolved" in html and 'href="#ref-4"' not in html


def test_markdown_structure_survives_sanitizing():
    html = render_body(
        "## Heading\n\n- item **bold**\n\n1. first\n2. second\n\n[site](https://example.org)", []
    )
    assert "<h2>Heading</h2>" in html and "<strong>bold</strong>" in html and "<ol>" in html
    assert '<a href="https://example.org" rel="noopener noreferrer nofollow">site</a>' in html


@pytest.mark.parametrize(
    ("href", "unsafe"),
    [
        ("javascript:alert(1)", True),
        (" JaVa\tScRiPt:alert(1)", True),
        ("data:text/html,x", True),
        ("vbscript:x", True),
        ("https://example.org/", False),
        ("mailto:board@example.org", False),
        ("#ref-1", False),
        ("", False),
        ("relative/page", False),
    ],
)
def test_the_link_check_tells_a_script_link_from_a_plain_one(href, unsafe):
    assert unsafe_link(href) is unsafe
