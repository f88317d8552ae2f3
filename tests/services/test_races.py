"""Races on PostgreSQL: many people acting on one version at the same moment.

Each attempt runs in its own thread with its own database connection, all released together
by a barrier. Exactly one conflicting verb wins; every other attempt is refused with a
message; the audit chain verifies and holds only the winner's event.
"""

import threading
from collections import Counter

import pytest
from django.db import connection

from articles.models import ArticleVersion, VersionState
from editorial import workflow
from editorial.audit import verify_chain
from editorial.errors import WorkflowError
from editorial.models import AuditEvent
from tests.support import flows
from tests.support.signing import signed

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]

ATTEMPTS = 64


def race(calls):
    """Run the callables at once; return ("won", result) or ("refused", message) for each."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            outcomes[index] = ("won", call())
        except WorkflowError as exc:
            outcomes[index] = ("refused", exc.message)
        except Exception as exc:  # noqa: BLE001 - anything else is a bug the test must show
            outcomes[index] = ("crashed", repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_64_conflicting_decisions_on_one_version_one_wins(on_postgres, author, editor, reviewers):
    # given a version under review with its quorum of approvals
    version = flows.under_review(author, editor, reviewers[:2])
    for reviewer in reviewers[:2]:
        flows.review(version, reviewer)
    events_before = AuditEvent.objects.count()
    verbs = [
        lambda: workflow.version_approve(version=version, actor=editor, signing=signed(editor, "approve")),
        lambda: workflow.version_request_changes(version=version, actor=editor, message="More work."),
        lambda: workflow.version_reject(version=version, actor=editor, reason="No."),
        lambda: workflow.version_withdraw(version=version, actor=author, reason="Pulling it."),
    ]
    # when 64 attempts at conflicting verbs start together
    outcomes = race([verbs[i % len(verbs)] for i in range(ATTEMPTS)])
    # then exactly one wins and every other attempt is refused with a message
    kinds = Counter(kind for kind, _ in outcomes)
    assert kinds == {"won": 1, "refused": ATTEMPTS - 1}, outcomes
    assert all(message for kind, message in outcomes if kind == "refused")
    version = ArticleVersion.objects.get(pk=version.pk)
    assert version.state in {
        VersionState.APPROVED,
        VersionState.CHANGES_REQUESTED,
        VersionState.REJECTED,
        VersionState.WITHDRAWN,
    }
    # both assignments were completed by their reviews, so the decision is the only new event
    assert AuditEvent.objects.count() == events_before + 1
    assert verify_chain().ok


def test_64_publishers_and_a_withdrawing_author_one_wins(on_postgres, author, editor, reviewers):
    version = flows.approved(author, editor, reviewers[:2])
    events_before = AuditEvent.objects.count()
    outcomes = race(
        [
            lambda: workflow.version_publish(version=version, actor=editor, signing=signed(editor, "publish"))
            for _ in range(ATTEMPTS)
        ]
    )
    assert Counter(kind for kind, _ in outcomes) == {"won": 1, "refused": ATTEMPTS - 1}, outcomes
    assert AuditEvent.objects.count() == events_before + 1
    assert AuditEvent.objects.filter(action="editorial.version.published").count() == 1
    assert verify_chain().ok


def test_64_annotators_at_once_never_pass_the_per_version_limit(
    on_postgres, author, editor, reviewers, settings
):
    from editorial import annotations
    from editorial.models import Annotation

    settings.EDITORIAL = {**settings.EDITORIAL, "MAX_ANNOTATIONS_PER_VERSION": 10}
    version = flows.under_review(author, editor, reviewers[:2])
    calls = [
        (
            lambda i=i: annotations.annotation_create(
                version=version, actor=reviewers[i % 2], exact="The answer first.", comment=f"Note {i}."
            )
        )
        for i in range(ATTEMPTS)
    ]
    outcomes = race(calls)
    kinds = Counter(kind for kind, _ in outcomes)
    assert kinds == {"won": 10, "refused": ATTEMPTS - 10}, outcomes
    assert all("already holds 10 annotations" in what for kind, what in outcomes if kind == "refused")
    assert Annotation.objects.filter(version=version).count() == 10
    assert AuditEvent.objects.filter(action="editorial.annotation.created").count() == 10
    assert verify_chain().ok


def test_a_must_fix_made_while_the_editor_approves_is_either_before_or_refused(
    on_postgres, author, editor, reviewers
):
    from editorial import annotations
    from editorial.models import Annotation

    for attempt in range(8):
        version = flows.under_review(author, editor, reviewers[:2], slug=f"race-must-fix-{attempt}")
        for reviewer in reviewers[:2]:
            flows.review(version, reviewer)
        outcomes = race(
            [
                lambda version=version: workflow.version_approve(
                    version=version, actor=editor, signing=signed(editor, "approve")
                ),
                lambda version=version: annotations.annotation_create(
                    version=version,
                    actor=editor,
                    exact="The answer first.",
                    comment="Wait.",
                    severity="must_fix",
                ),
            ]
        )
        approved, annotated = (kind == "won" for kind, _ in outcomes)
        version.refresh_from_db()
        # never both: an approved version with an open must-fix made before the approval
        assert approved != annotated, outcomes
        assert (version.state == VersionState.APPROVED) == approved
        assert Annotation.objects.filter(version=version).exists() == annotated
    assert verify_chain().ok
