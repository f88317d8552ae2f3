"""The content rules in their one home: the model fields' validators, ``Reference.clean`` and
``articles.rules``. The services (tests/services/test_limits.py) and the forms
(tests/web/test_workspace.py) are tested through these; here each rule is tested where it lives,
without a database."""

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command

from articles.models import ArticleVersion, Reference
from articles.rules import (
    MAX_REFERENCE_NUMBER,
    doi_from,
    pmid_from,
    validate_reference_number,
    validate_reference_numbers,
    validate_year,
)
from editorial.admin.forms import DeclineForm, MessageForm, ReviewForm
from editorial.models import Review, ReviewAssignment
from workspace.forms import ReferenceForm, WithdrawForm


def errors_of(instance, names=None) -> dict[str, list[str]]:
    """``full_clean``'s error codes by field, on the fields ``names`` only, as the services run
    it (no database; a version's protected state is never cleaned)."""
    names = names or [field.name for field in instance._meta.fields if field.name not in ("id", "version")]
    exclude = [field.name for field in instance._meta.fields if field.name not in names]
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        return {name: [error.code for error in errors] for name, errors in exc.error_dict.items()}
    return {}


def reference(**fields) -> Reference:
    return Reference(**{"number": 1, "kind": "other", "title": "A title", **fields})


def test_a_well_formed_reference_passes():
    ref = reference(
        kind="research",
        source="A journal",
        year=2020,
        doi="10.1056/NEJMoa000000",
        pmid="123456",
        url="https://example.org/a",
    )
    assert errors_of(ref) == {}


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"number": 0}, "number", "reference_number"),
        ({"number": MAX_REFERENCE_NUMBER + 1}, "number", "reference_number"),
        ({"kind": "poem"}, "kind", "invalid_choice"),
        ({"title": ""}, "title", "blank"),
        ({"title": "t" * 501}, "title", "max_length"),
        ({"source": "s\x00"}, "source", "null_characters_not_allowed"),
        ({"year": 1799}, "year", "implausible_year"),
        ({"doi": "10.12/abc"}, "doi", "bad_doi"),
        ({"doi": "10.1000/a b"}, "doi", "bad_doi"),
        ({"doi": "10.1000/abc\n"}, "doi", "bad_doi"),
        ({"pmid": "PMC12345"}, "pmid", "bad_pmid"),
        ({"pmid": "0123"}, "pmid", "bad_pmid"),
        ({"url": "javascript:alert(1)"}, "url", "not_a_web_address"),
        ({"url": "ftp://example.org/file"}, "url", "not_a_web_address"),
        ({"url": "https://example.org/\x00"}, "url", "null_characters_not_allowed"),
    ],
)
def test_each_reference_field_carries_its_rule(fields, field, code):
    assert code in errors_of(reference(**fields)).get(field, [])


@pytest.mark.parametrize("kind", ["research", "guideline"])
def test_a_research_or_guideline_reference_needs_its_source(kind):
    refused = errors_of(reference(kind=kind, source="  "))
    assert refused == {"source": ["source_needed"]}
    assert errors_of(reference(kind="drug_label")) == {}


def test_the_url_rule_speaks_with_one_message_whoever_refuses():
    # Django's own URL validator and the http(s)-only one: the same words for both.
    ref = reference(url="ftp://example.org/file")
    with pytest.raises(ValidationError) as refused:
        ref.full_clean(exclude=["version"], validate_constraints=False, validate_unique=False)
    assert refused.value.message_dict["url"] == [
        "The URL must be a web address starting with http:// or https://."
    ]


@pytest.mark.parametrize("value", [1, MAX_REFERENCE_NUMBER])
def test_a_reference_number_from_1_to_999_passes(value):
    validate_reference_number(value)


@pytest.mark.parametrize("value", [0, -1, MAX_REFERENCE_NUMBER + 1, "1", True, None, 1.0])
def test_a_reference_number_is_a_whole_number_in_range_and_of_that_type(value):
    with pytest.raises(ValidationError, match="A reference number is a whole number from 1 to 999."):
        validate_reference_number(value)


@time_machine.travel("2030-06-01T12:00:00Z", tick=False)
def test_a_year_runs_from_1800_to_next_year_read_when_checked():
    validate_year(1800)
    validate_year(2031)
    for year in (1799, 2032):
        with pytest.raises(ValidationError, match="Enter a year between 1800 and 2031."):
            validate_year(year)


@pytest.mark.parametrize(
    ("text", "doi"),
    [
        ("https://doi.org/10.1000/xyz-1", "10.1000/xyz-1"),
        ("http://dx.doi.org/10.1000/xyz-1", "10.1000/xyz-1"),
        (" doi: 10.1056/NEJMoa000000 ", "10.1056/NEJMoa000000"),
        ("10.1000/xyz", "10.1000/xyz"),
    ],
)
def test_a_pasted_doi_is_read_as_stored(text, doi):
    assert doi_from(text) == doi


@pytest.mark.parametrize(("text", "pmid"), [("PMID: 123456", "123456"), ("pmid123", "123"), ("42", "42")])
def test_a_pasted_pmid_is_read_as_stored(text, pmid):
    assert pmid_from(text) == pmid


def test_the_list_of_references_is_limited_by_the_setting_read_when_checked(settings):
    settings.EDITORIAL = {**settings.EDITORIAL, "MAX_REFERENCES": 3}
    validate_reference_numbers([1, 2, 3])
    with pytest.raises(ValidationError, match="at most 3 references; this one has 4.") as refused:
        validate_reference_numbers([1, 2, 3, 4])
    assert refused.value.code == "too_many_references"


def test_a_reference_number_listed_twice_is_named():
    with pytest.raises(ValidationError) as refused:
        validate_reference_numbers([1, 4, 2, 4, 1])
    assert refused.value.code == "duplicate_reference_number"
    assert refused.value.params == {"number": 1}
    assert refused.value.messages == ["Reference 1 is listed twice: give each reference its own number."]


@pytest.mark.parametrize(("name", "limit"), [("lead", 2000), ("summary", 4000), ("change_note", 2000)])
def test_each_version_text_field_holds_its_limit(name, limit):
    assert errors_of(ArticleVersion(**{name: "x" * limit}), ArticleVersion.CONTENT_FIELDS) == {}
    refused = errors_of(ArticleVersion(**{name: "x" * (limit + 1)}), ArticleVersion.CONTENT_FIELDS)
    assert refused == {name: ["max_length"]}


def test_the_body_limit_is_the_setting_read_when_checked(settings):
    settings.EDITORIAL = {**settings.EDITORIAL, "MAX_BODY_CHARS": 10}
    assert errors_of(ArticleVersion(body="b" * 10), ArticleVersion.CONTENT_FIELDS) == {}
    assert errors_of(ArticleVersion(body="b" * 11), ArticleVersion.CONTENT_FIELDS) == {"body": ["max_length"]}


@pytest.mark.parametrize("name", ArticleVersion.CONTENT_FIELDS)
def test_no_version_field_takes_a_null_character(name):
    refused = errors_of(ArticleVersion(**{name: "a\x00b"}), ArticleVersion.CONTENT_FIELDS)
    assert refused == {name: ["null_characters_not_allowed"]}


def test_a_draft_may_be_empty_and_a_submission_needs_title_lead_and_body():
    assert errors_of(ArticleVersion(), ArticleVersion.CONTENT_FIELDS) == {}
    assert ArticleVersion(title="Is it?", lead="", body=" ").missing_to_submit() == ["lead", "body"]
    assert ArticleVersion(title="Is it?", lead="Yes.", body="Because.").missing_to_submit() == []


# The forms reuse the same validators --------------------------------------------------------


@pytest.mark.django_db  # a ModelForm checks Reference's CheckConstraint with a query
def test_the_reference_form_refuses_what_the_model_refuses_beside_the_field():
    # ftp passes Django's URLField form field; the model's http(s)-only rule refuses it.
    form = ReferenceForm(data={"number": 1, "kind": "other", "title": "T", "url": "ftp://example.org/f"})
    assert not form.is_valid()
    assert form.errors["url"] == ["The URL must be a web address starting with http:// or https://."]
    form = ReferenceForm(data={"number": MAX_REFERENCE_NUMBER + 1, "kind": "other", "title": "T"})
    assert form.errors["number"] == ["A reference number is a whole number from 1 to 999."]
    form = ReferenceForm(data={"number": 1, "kind": "research", "title": "T", "source": " "})
    assert form.errors["source"] == ["A research reference needs its source: the journal or publisher."]


def test_comment_limits_come_from_the_setting_read_when_checked(settings):
    settings.EDITORIAL = {**settings.EDITORIAL, "MAX_COMMENT_CHARS": 5}
    for form in (
        MessageForm(data={"message": "x" * 6}),
        WithdrawForm(data={"reason": "x" * 6}),
        ReviewForm(data={"decision": "request_changes", "comment_to_author": "x" * 6}),
    ):
        assert not form.is_valid()
        assert "Ensure this value has at most 5 characters (it has 6)." in str(form.errors)
    assert MessageForm(data={"message": "x" * 5}).is_valid()


def test_notes_are_limited_by_their_model_fields():
    assert ReviewAssignment._meta.get_field("decline_note").run_validators("n" * 2000) is None
    form = DeclineForm(data={"reason": "time", "note": "n" * 2001})
    assert form.errors["note"] == ["Ensure this value has at most 2000 characters (it has 2001)."]
    form = ReviewForm(data={"decision": "reject", "comment_to_author": "c", "conflict_statement": "c" * 2001})
    assert form.errors["conflict_statement"] == [
        "Ensure this value has at most 2000 characters (it has 2001)."
    ]
    assert Review._meta.get_field("conflict_statement").verbose_name == "conflict statement"


@pytest.mark.django_db
def test_the_models_and_their_migrations_agree():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
