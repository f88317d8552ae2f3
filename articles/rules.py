"""What a version and its references may hold. The model fields carry these rules as validators
(with ``Reference.clean``); the editorial services run them through ``full_clean`` for every
caller, and the workspace's ModelForms show their messages next to the field. Limits that are
settings are read when a value is checked, never at import."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator, RegexValidator, URLValidator
from django.utils import timezone

# PostgreSQL cannot store a NUL character in a text column.
no_null_characters = ProhibitNullCharactersValidator()


def max_body_chars() -> int:
    """The most characters a version's body may hold: EDITORIAL["MAX_BODY_CHARS"]."""
    return settings.EDITORIAL["MAX_BODY_CHARS"]


def max_references() -> int:
    """The most references a version may list: EDITORIAL["MAX_REFERENCES"]."""
    return settings.EDITORIAL["MAX_REFERENCES"]


MAX_REFERENCE_NUMBER = 999


def validate_reference_number(value) -> None:
    """A reference's number, as cited in the text ([1]): a whole number from 1 to 999. Strict
    about the type, so a service can check a caller's raw value before Django converts it."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_REFERENCE_NUMBER:
        raise ValidationError(
            "A reference number is a whole number from 1 to %(last)s.",
            code="reference_number",
            params={"last": MAX_REFERENCE_NUMBER},
        )


FIRST_YEAR = 1800


def validate_year(value: int) -> None:
    """A plausible year of publication: from 1800 to next year (in press)."""
    last = timezone.now().year + 1
    if not FIRST_YEAR <= value <= last:
        raise ValidationError(
            "Enter a year between %(first)s and %(last)s.",
            code="implausible_year",
            params={"first": FIRST_YEAR, "last": last},
        )


# 10.<registrant, four to nine digits, dotted sub-codes allowed>/<suffix, no spaces>
validate_doi = RegexValidator(
    r"^10\.\d{4,9}(?:\.\d+)*/\S+\Z",
    message="A DOI starts with “10.”, a registrant code of at least four digits and a slash, "
    "for example 10.1000/xyz123.",
    code="bad_doi",
)
validate_pmid = RegexValidator(
    r"^[1-9][0-9]{0,8}\Z",
    message="A PubMed ID (PMID) is a number of up to nine digits, for example 12345678.",
    code="bad_pmid",
)
# A reader's browser opens it: http and https only (Django's URLField also takes ftp). Its own
# code, so that a form's "invalid" message does not replace this one.
validate_web_url = URLValidator(
    schemes=["http", "https"],
    message="The URL must be a web address starting with http:// or https://.",
    code="not_a_web_address",
)

# How people paste identifiers; a form takes these off before the validators look.
DOI_PREFIXES = ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "doi:")
PMID_PREFIXES = ("pmid:", "pmid")


def doi_from(text: str) -> str:
    """A DOI as stored, from one pasted as a link or after "doi:"."""
    doi = text.strip()
    for prefix in DOI_PREFIXES:
        if doi.lower().startswith(prefix):
            doi = doi[len(prefix) :].strip()
    return doi


def pmid_from(text: str) -> str:
    """A PMID as stored, from one pasted after "PMID:"."""
    pmid = text.strip()
    for prefix in PMID_PREFIXES:
        if pmid.lower().startswith(prefix):
            return pmid[len(prefix) :].strip()
    return pmid


def validate_reference_numbers(numbers: Sequence[int]) -> None:
    """A version's list of references: at most ``max_references()``, each number once. The
    error for a number listed twice carries it as ``params["number"]``."""
    limit = max_references()
    if len(numbers) > limit:
        raise ValidationError(
            "A version can list at most %(limit)s references; this one has %(count)s.",
            code="too_many_references",
            params={"limit": limit, "count": len(numbers)},
        )
    twice = sorted(number for number, count in Counter(numbers).items() if count > 1)
    if twice:
        raise ValidationError(
            "Reference %(number)s is listed twice: give each reference its own number.",
            code="duplicate_reference_number",
            params={"number": twice[0]},
        )
