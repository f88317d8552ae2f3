import pytest

from articles.citations import check_integrity, find_citations, parse_marker


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("A statement [1].", [(1,)]),
        ("Two sources [1, 4] here.", [(1, 4)]),
        ("A range [2-4].", [(2, 3, 4)]),
        ("An en dash range [2\u20134].", [(2, 3, 4)]),
        ("Mixed [1, 3-5, 7].", [(1, 3, 4, 5, 7)]),
        ("Repeats collapse [2, 2].", [(2,)]),
        ("Two markers [1] and [6].", [(1,), (6,)]),
        ("No space needed [1][2].", [(1,), (2,)]),
    ],
)
def test_parser_reads_numbers_lists_and_ranges(body, expected):
    assert [c.numbers for c in find_citations(body)] == expected


@pytest.mark.parametrize(
    "body",
    [
        "Code span `[1]` is text.",
        "```\nfenced [1]\n```",
        "    indented code [1]",
        "Escaped \\[1] is text.",
        "A link [1](https://example.org) is a link.",
        "A reference link [1][ref].\n\n[ref]: https://example.org",
        "Words in brackets [see above] are text.",
    ],
)
def test_parser_ignores_markers_that_are_not_citations(body):
    assert find_citations(body) == []


@pytest.mark.parametrize("inner", ["3-1", "1,,2", "0", "1-", "1-100", "2-2-3"])
def test_malformed_markers_are_reported(inner):
    numbers, malformed = parse_marker(inner)
    assert malformed and numbers == ()
    report = check_integrity(f"Claim [{inner}].", [1, 2, 3])
    assert report.malformed == (f"[{inner}]",)
    assert report.blocks_approval


def test_parser_reports_the_line_of_each_marker():
    body = "First paragraph [1].\n\nSecond paragraph\ncontinues [2]."
    assert [(c.raw, c.line) for c in find_citations(body)] == [("[1]", 1), ("[2]", 3)]


def test_integrity_report_finds_unresolved_and_uncited():
    # given the seed page: six sources cited, references 1, 3 and 6 listed, and one extra
    body = "a [1] b [2] c [3] d [1, 4] e [5] f [6]"
    report = check_integrity(body, [1, 3, 6, 7])
    assert report.unresolved == (2, 4, 5)
    assert report.uncited == (7,)
    assert report.blocks_approval
    assert "2, 4, 5" in report.summary()


def test_clean_report_does_not_block():
    report = check_integrity("a [1] b [2]", [1, 2])
    assert report.is_clean and not report.blocks_approval
    assert report.to_dict() == {
        "cited": [1, 2],
        "references": [1, 2],
        "unresolved": [],
        "uncited": [],
        "malformed": [],
    }


def test_uncited_reference_alone_does_not_block_approval():
    report = check_integrity("a [1]", [1, 2])
    assert report.uncited == (2,) and not report.blocks_approval
