"""The version's plain text (articles.passages): one function, deterministic, passage by
passage; and finding a quote in it."""

from types import SimpleNamespace

from articles.passages import EXACT_ONLY, EXACT_WITH_CONTEXT, NOT_FOUND, SEPARATOR, html_blocks, locate


def test_blocks_are_the_innermost_with_their_text_and_html():
    html = '<h2>Dosing</h2><ul><li><p>Start <em>low</em> <sup class="citation"><a href="#ref-1">1</a></sup></p></li></ul>'
    assert html_blocks(html) == [
        ("h2", "Dosing", "Dosing"),
        ("p", "Start low 1", 'Start <em>low</em> <sup class="citation"><a href="#ref-1">1</a></sup>'),
    ]


def test_text_in_blocks_is_escaped_again_in_their_html():
    [(tag, text, html)] = html_blocks("<p>a &lt;script&gt; b</p>")
    assert text == "a <script> b" and html == "a &lt;script&gt; b"


TEXT = SEPARATOR.join(["Stop slowly.", "Stop slowly, always.", "Never stop slowly? No."])


def test_locate_prefers_the_whole_context():
    start, end, how = locate(TEXT, "Stop slowly", prefix="slowly.\n\n", suffix=", always")
    assert (TEXT[start:end], TEXT[end:].startswith(", always"), how) == (
        "Stop slowly",
        True,
        EXACT_WITH_CONTEXT,
    )


def test_locate_falls_back_to_the_exact_words_nearest_the_longest_agreeing_context():
    start, end, how = locate(TEXT, "Stop slowly", prefix="zzz", suffix=", always!!")
    assert how == EXACT_ONLY and TEXT[end:].startswith(", always")


def test_locate_reports_a_changed_passage():
    assert locate(TEXT, "Taper over weeks") == (None, None, NOT_FOUND)


def test_the_plain_text_is_deterministic_and_passages_add_up(db):
    from articles.passages import plain_text

    version = SimpleNamespace(
        lead="The answer [1].",
        body="## Head\n\n- one [1]\n- two",
        summary="Plain words.\n\nMore.",
        render=lambda: ("The answer <sup>1</sup>.", "<h2>Head</h2><ul><li>one 1</li><li>two</li></ul>"),
        references=SimpleNamespace(
            all=lambda: [SimpleNamespace(number=1, title="A label", authors="", source="FDA", year=2020)]
        ),
    )
    first, second = plain_text(version), plain_text(version)
    assert first == second
    assert [p.part for p in first.passages] == [
        "lead",
        "body",
        "body",
        "body",
        "summary",
        "summary",
        "reference",
    ]
    for passage in first.passages:
        assert first.text[passage.start : passage.end] == passage.text
    assert first.passages[-1].text == "A label · FDA, 2020"
