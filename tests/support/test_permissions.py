"""The permission table's own shape (not the product's behaviour), checked here beside the
table and nowhere else: every verb the registry lets a person press has a row, and the table
holds every outcome, so no consumer of it can pass by testing only one kind of answer."""

import pytest

from editorial.verbs import ANNOTATION_VERBS, PRESSED, RE_REVIEW_VERBS, VERBS
from tests.support.permissions import (
    ADMIN_VERBS,
    ANNOTATION_RULES,
    ASSIGNMENT_ACTOR,
    ASSIGNMENT_VERBS,
    DENIED,
    HTTP_TABLE,
    NOTHING,
    OK,
    RE_REVIEW_TABLE,
    REFUSED,
    ROLES,
    SERVICE_TABLE,
    SERVICE_VERBS,
    STATES,
    TRANSITIONS,
    VERSION_VERBS,
    expected,
    expected_http,
    expected_re_review,
)


def test_every_verb_a_person_presses_has_a_row_and_a_button():
    # The registry's version verbs are the table's transitions; its assignment verbs have an actor.
    assert set(TRANSITIONS) == set(VERSION_VERBS)
    assert set(ASSIGNMENT_ACTOR) == set(ASSIGNMENT_VERBS)
    assert set(PRESSED) <= set(SERVICE_VERBS) and set(PRESSED) <= set(ADMIN_VERBS.values())
    # The annotation verbs have their rules, and their rows over the services.
    assert set(ANNOTATION_RULES) == set(ANNOTATION_VERBS) and set(ANNOTATION_VERBS) <= set(SERVICE_VERBS)
    # The re-review verbs have their own table; every one has rows.
    assert {verb for verb, _ in RE_REVIEW_TABLE} == set(RE_REVIEW_VERBS)
    # Only a verb nobody presses (supersede: it happens to the previous version) is left out.
    assert set(VERBS) - set(PRESSED) - set(ANNOTATION_VERBS) - set(RE_REVIEW_VERBS) == {"supersede"}


def test_the_table_answers_every_role_in_every_state_for_every_verb():
    for verb in SERVICE_VERBS:
        for role in ROLES:
            for state in STATES:
                assert expected(verb, role, state) in (OK, DENIED, REFUSED, NOTHING)


def test_the_table_holds_every_outcome_over_the_services_and_over_http():
    assert {expected(*row) for row in SERVICE_TABLE} == {OK, DENIED, REFUSED, NOTHING}
    assert {status for status, _ in (expected_http(*row) for row in HTTP_TABLE)} == {302, 403, 404, 409}


def test_the_re_review_table_holds_every_outcome():
    outcomes = {expected_re_review(verb, role, state) for verb, state in RE_REVIEW_TABLE for role in ROLES}
    assert outcomes == {OK, DENIED, REFUSED, NOTHING}


def test_a_verb_without_a_row_is_never_guessed():
    with pytest.raises(AssertionError, match="no row in the permission table"):
        expected("reopen", "editor", "published")
    with pytest.raises(AssertionError, match="no row in the permission table"):
        expected_re_review("reopen", "editor", "open")
