"""Property-based tests: the citation parser and the renderer hold their invariants on any input."""

from hypothesis import given, settings
from hypothesis import strategies as st

from articles.citations import check_integrity, find_citations, parse_marker
from articles.rendering import render_body, render_version
from tests.support.html import Elements, active_content

# Markdown-ish text: brackets, digits, dashes and Markdown punctuation are over-represented.
_pieces = [
    *"[]()0123456789,-–`*_#>!<&\"' \n\tabcxyz:/\\",
    "javascript:",
    "<script>",
    "](",
    "<img src=x onerror=y>",
]
markdownish = st.lists(st.sampled_from(_pieces), max_size=120).map("".join)
numbers = st.lists(st.integers(min_value=1, max_value=60), max_size=12)


@settings(max_examples=300, deadline=None)
@given(body=markdownish, refs=numbers)
def test_integrity_report_is_consistent_on_any_input(body, refs):
    report = check_integrity(body, refs)
    cited = set(report.cited)
    assert set(report.unresolved) == cited - set(refs)
    assert set(report.uncited) == set(refs) - cited
    assert list(report.cited) == sorted(cited)
    assert all(n >= 1 for n in cited)
    assert report.blocks_approval == bool(report.unresolved or report.malformed)


@settings(max_examples=300, deadline=None)
@given(body=markdownish)
def test_every_citation_number_comes_from_its_marker(body):
    for citation in find_citations(body):
        assert citation.raw.startswith("[") and citation.raw.endswith("]")
        numbers_again, malformed = parse_marker(citation.raw[1:-1])
        assert (numbers_again, malformed) == (citation.numbers, citation.malformed)
        assert citation.raw in body


@settings(max_examples=200, deadline=None)
@given(items=st.lists(st.tuples(st.integers(1, 40), st.integers(0, 5)), min_size=1, max_size=6))
def test_lists_and_ranges_expand_to_their_numbers(items):
    marker = ", ".join(f"{a}-{a + d}" if d else str(a) for a, d in items)
    expected = list(dict.fromkeys(n for a, d in items for n in range(a, a + d + 1)))
    (citation,) = find_citations(f"Claim [{marker}].")
    assert list(citation.numbers) == expected and not citation.malformed


@settings(max_examples=300, deadline=None)
@given(body=markdownish, refs=numbers)
def test_rendering_never_fails_and_never_lets_script_through(body, refs):
    assert active_content(render_body(body, refs)) == []


@settings(max_examples=200, deadline=None)
@given(lead=markdownish, body=markdownish, refs=numbers)
def test_citation_anchor_ids_are_unique_across_lead_and_body(lead, body, refs):
    lead_html, body_html = render_version(lead, body, refs)
    ids = Elements(lead_html + body_html).ids()
    assert len(ids) == len(set(ids))
    # every resolved citation links to a reference that exists
    for anchor in ids:
        number = int(anchor.split("-")[1])
        assert number in refs
