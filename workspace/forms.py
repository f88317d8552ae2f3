"""Forms of the author workspace. They validate and clean; the editorial services write."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.text import slugify

from articles.models import (
    DOI_RE,
    FIRST_YEAR,
    KINDS_NEEDING_SOURCE,
    PMID_RE,
    Article,
    ArticleVersion,
    Reference,
    ReferenceKind,
)

# 10.<registrant, four to nine digits, dotted sub-codes allowed>/<suffix, no spaces>
DOI_PREFIXES = ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "doi:")
PMID_PREFIXES = ("pmid:", "pmid")


def max_references() -> int:
    return settings.EDITORIAL["MAX_REFERENCES"]


def _max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


def propose_slug(title: str) -> str:
    """An address made from the title: lower case, hyphens, cut at a word within the limit."""
    limit = _max_length(Article, "slug")
    slug = slugify(title)
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0] if "-" in slug[:limit] else slug[:limit]
    return slug.strip("-")


def clean_question(title: str) -> str:
    title = " ".join(title.split())
    if not title.endswith("?"):
        raise ValidationError(
            "Write the title as the question a reader asks, ending with a question mark.",
            code="not_a_question",
        )
    return title


class ArticleStartForm(forms.Form):
    title = forms.CharField(
        max_length=_max_length(ArticleVersion, "title"),
        help_text="The question, as readers ask it. For example: “Is drug X safe in pregnancy?”",
    )
    topic = forms.CharField(
        max_length=_max_length(Article, "topic"),
        required=False,
        help_text="A short subject, for example “Neurology”.",
    )
    slug = forms.SlugField(
        label="Address",
        max_length=_max_length(Article, "slug"),
        required=False,
        help_text="The last part of the article's web address. Leave it empty to use one made from the title.",
    )

    def clean_title(self) -> str:
        return clean_question(self.cleaned_data["title"])

    def clean(self):
        cleaned = super().clean()
        if "title" in cleaned and not cleaned.get("slug") and "slug" not in self.errors:
            slug = propose_slug(cleaned["title"])
            if not slug:
                self.add_error("slug", "The title has no letters to make an address from: type one.")
            cleaned["slug"] = slug
        slug = cleaned.get("slug")
        if slug and Article.objects.filter(slug=slug).exists():
            self.add_error(
                "slug",
                f"An article with the address “{slug}” already exists. Choose another address.",
            )
        return cleaned


class VersionContentForm(forms.Form):
    """The text of a draft. Lead and body may stay empty while drafting; submitting needs them."""

    title = forms.CharField(
        max_length=_max_length(ArticleVersion, "title"), help_text="The question, as readers see it."
    )
    lead = forms.CharField(
        label="Lead answer",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The answer first, in one paragraph. Citation markers like [1] work here too.",
    )
    body = forms.CharField(
        required=False,
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 18}),
        help_text="Markdown. Cite references by number: [1], [1, 3] or [2-4].",
    )
    summary = forms.CharField(
        label="Plain-language summary for patients",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    change_note = forms.CharField(
        label="Change note",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What changed in this version, for the board and the review history.",
    )

    def clean_title(self) -> str:
        return clean_question(self.cleaned_data["title"])

    def clean_body(self) -> str:
        body = self.cleaned_data["body"]
        limit = settings.EDITORIAL["MAX_BODY_CHARS"]
        if len(body) > limit:
            raise ValidationError(
                "The body is %(length)s characters long; the limit is %(limit)s.",
                code="max_length",
                params={"length": f"{len(body):,}", "limit": f"{limit:,}"},
            )
        return body


class ReferenceForm(forms.Form):
    number = forms.IntegerField(min_value=1, max_value=999, help_text="The number you cite: [1].")
    kind = forms.ChoiceField(choices=[("", "Choose a kind")] + list(ReferenceKind.choices))
    title = forms.CharField(max_length=_max_length(Reference, "title"))
    authors = forms.CharField(max_length=_max_length(Reference, "authors"), required=False)
    source = forms.CharField(
        max_length=_max_length(Reference, "source"),
        required=False,
        help_text="Journal or publisher. Required for research and guidelines.",
    )
    year = forms.IntegerField(required=False)
    doi = forms.CharField(
        label="DOI",
        max_length=_max_length(Reference, "doi"),
        required=False,
        help_text="For example 10.1000/xyz123",
    )
    pmid = forms.CharField(
        label="PMID", max_length=_max_length(Reference, "pmid"), required=False, help_text="Digits only"
    )
    url = forms.URLField(
        label="URL", max_length=_max_length(Reference, "url"), required=False, assume_scheme="https"
    )

    def clean_year(self):
        year = self.cleaned_data.get("year")
        last = timezone.now().year + 1
        if year is not None and not FIRST_YEAR <= year <= last:
            raise ValidationError(f"Enter a year between {FIRST_YEAR} and {last}.", code="implausible_year")
        return year

    def clean_doi(self) -> str:
        doi = self.cleaned_data.get("doi", "").strip()
        for prefix in DOI_PREFIXES:
            if doi.lower().startswith(prefix):
                doi = doi[len(prefix) :].strip()
        if doi and not DOI_RE.match(doi):
            raise ValidationError(
                "A DOI starts with “10.”, a registrant code of at least four digits and a slash, "
                "for example 10.1000/xyz123.",
                code="bad_doi",
            )
        return doi

    def clean_pmid(self) -> str:
        pmid = self.cleaned_data.get("pmid", "").strip()
        for prefix in PMID_PREFIXES:
            if pmid.lower().startswith(prefix):
                pmid = pmid[len(prefix) :].strip()
                break
        if pmid and not PMID_RE.match(pmid):
            raise ValidationError(
                "A PubMed ID (PMID) is a number of up to nine digits, for example 12345678.",
                code="bad_pmid",
            )
        return pmid

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") in KINDS_NEEDING_SOURCE and not cleaned.get("source", "").strip():
            label = ReferenceKind(cleaned["kind"]).label.lower()
            self.add_error("source", f"A {label} reference needs its source: the journal or publisher.")
        return cleaned


class BaseReferenceFormSet(forms.BaseFormSet):
    default_error_messages = {
        **forms.BaseFormSet.default_error_messages,
        "too_many_forms": "A version can list at most %(num)d references. Remove some, or merge duplicates.",
    }

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        if index is not None and index >= self.initial_form_count():
            # A blank row proposes the next free number, so the author knows what to cite.
            taken = [row.get("number") or 0 for row in (self.initial or [])]
            kwargs["initial"] = {"number": max(taken, default=0) + 1 + index - self.initial_form_count()}
        return kwargs

    def clean(self):
        super().clean()
        seen: dict[int, int] = {}
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data or data.get("DELETE") or data.get("number") is None:
                continue
            number = data["number"]
            if number in seen:
                form.add_error(
                    "number", f"Reference {number} is already listed above: give each its own number."
                )
            seen[number] = seen.get(number, 0) + 1

    def references(self) -> list[dict]:
        """The rows to keep, as the services take them, in number order."""
        rows = []
        for form in self.forms:
            data = form.cleaned_data
            if not data or data.get("DELETE"):
                continue
            rows.append({name: data.get(name) for name in ReferenceForm.base_fields})
        return sorted(rows, key=lambda row: row["number"])


def reference_formset(*, extra: int):
    return forms.formset_factory(
        ReferenceForm,
        formset=BaseReferenceFormSet,
        extra=extra,
        can_delete=True,
        max_num=max_references(),
        validate_max=True,
        absolute_max=max_references(),
    )


def reference_initial(version: ArticleVersion) -> list[dict]:
    return [
        {name: getattr(ref, name) for name in ReferenceForm.base_fields} for ref in version.references.all()
    ]


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional. The board sees it, and it appears in the article's review history.",
    )


class SubmitConfirmForm(forms.Form):
    """The author's confirmation, tied to the findings they saw: if the findings changed in
    between, they are asked again."""

    findings = forms.CharField(widget=forms.HiddenInput, required=False)


def findings_token(report) -> str:
    return "unresolved:{};malformed:{}".format(
        ",".join(map(str, report.unresolved)), "|".join(report.malformed)
    )
