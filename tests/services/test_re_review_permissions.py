"""The re-review rows of the permission table (tests/support/permissions.py): every role tries
every re-review verb with the cycle (or the report) in every state, through the service, in a
savepoint rolled back after each try; the registry's ``may`` answers the same."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from editorial import reports
from editorial.errors import ConcurrentChange, NotPermitted, TransitionRefused
from editorial.models import ReaderReport, ReviewAssignment
from editorial.verbs import VERBS
from tests.support import flows
from tests.support.permissions import (
    DENIED,
    NOTHING,
    OK,
    RE_REVIEW_TABLE,
    REFUSED,
    ROLES,
    expected_re_review,
)
from tests.support.signing import signed

pytestmark = pytest.mark.django_db


class Rollback(Exception):
    pass


def outcome(call) -> str:
    try:
        with transaction.atomic():
            call()
            raise Rollback
    except Rollback:
        return OK
    except NotPermitted:
        return DENIED
    except (TransitionRefused, ConcurrentChange):
        return REFUSED


def people(author, other_author, editor, reviewers) -> dict:
    return {
        "anonymous": AnonymousUser(),
        "author": author,
        "other_author": other_author,
        "reviewer": reviewers[0],
        "other_reviewer": reviewers[2],
        "editor": editor,
    }


def cycle_in(state: str, version, editor, reviewers):
    if state == "none":
        return None
    cycle = flows.re_review(version, editor, reviewers[:2])
    if state == "confirmed":
        flows.confirm(cycle, reviewers[1])
        flows.confirm(cycle, reviewers[0])
    elif state == "revision_requested":
        from editorial import rereview

        rereview.re_review_request_revision(
            assignment=cycle.assignments.get(reviewer=reviewers[1]),
            actor=reviewers[1],
            comment="A newer label.",
            no_conflict_declared=True,
        )
    return cycle


def report_in(state: str, version, editor) -> ReaderReport:
    report = reports.report_submit(
        article=version.article, message="The link is hard to find.", email="r@example.org"
    )
    if state == "dismissed":
        reports.report_dismiss(report=report, actor=editor, reason="Not a problem.")
    elif state == "replied":
        reports.report_reply(report=report, actor=editor, reply="Thank you.")
    elif state == "re_review":
        reports.report_open_re_review(report=report, actor=editor, reason="Check the sources.")
    report.refresh_from_db()
    return report


@pytest.mark.parametrize(("verb", "state"), RE_REVIEW_TABLE)
def test_every_role_meets_the_table(verb, state, author, other_author, editor, reviewers, settings):
    settings.EDITORIAL = {**settings.EDITORIAL, "QUORUM": 2}
    version = flows.published(author, editor, reviewers[:2])
    who = people(author, other_author, editor, reviewers)
    entry = VERBS[verb]
    if verb in ("dismiss_report", "reply_report", "re_review_report"):
        target = report_in(state, version, editor)

        def call(user):
            words = {entry.words: "Checked: see the sources."}
            return entry.call(report=target, actor=user, **words)
    elif verb == "open_re_review":
        cycle_in(state, version, editor, reviewers)
        target = type(version.article).objects.select_related("live_version").get(pk=version.article_id)

        def call(user):
            return entry.call(article=target, actor=user, reason="A newer guideline.")
    elif verb == "flag_reference":
        cycle_in(state, version, editor, reviewers)
        target = version.references.get(number=1)

        def call(user):
            return entry.call(reference=target, actor=user, note="Replaced by a 2027 guideline.")
    else:
        cycle = cycle_in(state, version, editor, reviewers)
        if cycle is None:
            assert not ReviewAssignment.objects.filter(re_review__isnull=False).exists()
            for role in ROLES:
                assert expected_re_review(verb, role, state) == NOTHING
            return
        target = cycle.assignments.select_related("version__article", "re_review").get(reviewer=reviewers[0])

        def call(user):
            extra = (
                {"signing": signed(user, "confirm")} if verb == "confirm" else {"comment": "A newer label."}
            )
            return entry.call(assignment=target, actor=user, no_conflict_declared=True, **extra)

    for role in ROLES:
        user = who[role]
        want = expected_re_review(verb, role, state)
        assert outcome(lambda user=user: call(user)) == want, (verb, role, state)
        assert entry.may(target, user) == (want == OK), (verb, role, state)
