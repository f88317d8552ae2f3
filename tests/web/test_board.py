"""The public board roster at /board/, and the article page's links to it with each review's
conflict-of-interest declaration."""

import pytest
from django.urls import reverse

from editorial import workflow
from editorial.models import NONE_DECLARED, BoardMember, Review, conflict_declaration
from tests.support import flows
from tests.support.html import Elements
from tests.support.signing import signed

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_cache")]

BOARD_URL = "/board/"


def list_publicly(*users, **fields):
    for user in users:
        BoardMember.objects.filter(user=user).update(public=True, **fields)


def board_html(client) -> str:
    response = client.get(BOARD_URL)
    assert response.status_code == 200
    return response.content.decode()


def test_the_board_page_lists_public_members_with_their_profile(client, author, editor, reviewers):
    # given two listed reviewers, one with a biography and a standing interest, and one not listed
    first, second, unlisted = reviewers
    list_publicly(first, biography="Twenty years in a (fictional) hospital.", conflicts_of_interest="")
    list_publicly(second, conflicts_of_interest="Speaker's fee from a fictional company.")
    version = flows.published(author, editor, [first, unlisted])
    # when a reader opens the board page
    html = board_html(client)
    # then the listed members appear with their profile, the other does not
    one, two, three = (BoardMember.objects.get(user=user) for user in reviewers)
    assert f'id="{one.anchor}"' in html and f'id="{two.anchor}"' in html
    assert one.display_name in html and "Internal medicine" in html and "MD" in html
    assert "Twenty years in a (fictional) hospital." in html
    assert "Speaker&#x27;s fee from a fictional company." in html
    assert NONE_DECLARED in html  # the first member declared nothing
    assert three.display_name not in html and f'id="{three.anchor}"' not in html
    # and the published article appears under the member who approved it, not the other
    sections = {s.split('"', 1)[0]: s for s in html.split('<section class="board-member" id="member-')[1:]}
    assert version.title in sections[str(one.pk)]
    assert version.article.get_absolute_url() in sections[str(one.pk)]
    assert version.title not in sections[str(two.pk)]


def test_unpublished_and_inactive_never_reach_the_board_page(client, author, editor, reviewers):
    # given a listed member who approved a version that is approved but not yet published
    first, second, _ = reviewers
    list_publicly(first, second)
    version = flows.approved(author, editor, [first, second], slug="not-yet")
    # then the board page does not name that article
    assert version.title not in board_html(client)
    # and a member whose account was deactivated is no longer listed
    second.is_active = False
    second.save()
    html = board_html(client)
    assert BoardMember.objects.get(user=second).display_name not in html
    assert BoardMember.objects.get(user=first).display_name in html


def test_a_retracted_article_leaves_the_board_page(client, author, editor, reviewers):
    list_publicly(*reviewers[:2])
    version = flows.published(author, editor, reviewers[:2])
    assert version.title in board_html(client)
    workflow.version_retract(
        version=version, actor=editor, reason="Wrong dose.", signing=signed(editor, "retract")
    )
    assert version.title not in board_html(client)


def test_the_board_page_costs_two_queries_however_many_members(
    client, django_assert_max_num_queries, author, editor, reviewers
):
    list_publicly(*reviewers, editor)
    flows.published(author, editor, reviewers[:2], slug="one")
    flows.published(author, editor, reviewers[1:], slug="two")
    with django_assert_max_num_queries(2):
        html = board_html(client)
    assert html.count('class="board-member"') == 4


def test_reviewed_by_links_to_the_board_and_shows_each_declaration(client, author, editor, reviewers):
    # given an article approved by a listed member and by one not listed
    listed, unlisted, _ = reviewers
    list_publicly(listed)
    version = flows.published(author, editor, [listed, unlisted])
    response = client.get(version.article.get_absolute_url())
    html = response.content.decode()
    member = BoardMember.objects.get(user=listed)
    # then the listed member's name links to their place on the board page; the other's does not
    links = Elements(html).hrefs()
    assert f"{reverse('reader:board')}#{member.anchor}" in links
    other = BoardMember.objects.get(user=unlisted)
    assert f"{reverse('reader:board')}#{other.anchor}" not in links
    # and each reviewer's conflict-of-interest declaration for this review is shown
    assert html.count(f'Conflict of interest: <span class="conflict-statement">{NONE_DECLARED}') == 2


def test_a_conflict_statement_reads_as_written_and_an_empty_one_as_none_declared(author, editor, reviewers):
    assert conflict_declaration("  ") == NONE_DECLARED
    assert (
        conflict_declaration(" Consulting for a maker of baclofen. ") == "Consulting for a maker of baclofen."
    )
    # a recorded review carries it: a conflict never approves, so it reads on a request for changes
    version = flows.under_review(author, editor, reviewers[:1])
    workflow.review_record(
        assignment=version.assignments.get(reviewer=reviewers[0]),
        actor=reviewers[0],
        decision="request_changes",
        comment_to_author="Needs a source.",
        no_conflict_declared=False,
        conflict_statement="Consulting for a maker of baclofen.",
        citations_checked=True,
        doses_checked=True,
        signing=signed(reviewers[0], "review"),
    )
    assert Review.objects.get(version=version).conflict_declaration == "Consulting for a maker of baclofen."


def test_the_demo_board_is_listed_and_fictional(client, demo):
    html = board_html(client)
    for name in ("Dr. Priya Raman", "Dr. Tomas Lindqvist", "Dr. Grace Okafor", "Dr. Helen Brandt"):
        assert name in html
    assert html.count("A fictional board member of this demonstration site.") == 4
    # the reviewers who approved the live version list the demo article
    assert demo.article.live_version.title in html


def test_what_a_member_wrote_is_text_on_the_page_never_markup(client, author, editor, reviewers):
    from tests.support.html import active_content

    hostile = '<script>alert(1)</script><img src=x onerror=alert(2)><a href="javascript:alert(3)">x</a>'
    list_publicly(reviewers[0], biography=hostile, conflicts_of_interest=hostile, specialty=hostile)
    BoardMember.objects.filter(user=reviewers[0]).update(display_name=hostile, credentials=hostile)
    flows.published(author, editor, reviewers[:2])
    html = board_html(client)
    main = html[html.index("<main") : html.index("</main>")]
    assert active_content(main) == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in main
