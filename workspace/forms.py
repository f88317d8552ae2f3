"""Forms of the author workspace. They validate and clean; the editorial services write."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import slugify

from articles.models import Article, ArticleVersion, Reference, ReferenceKind
from articles.rules import (
    MAX_REFERENCE_NUMBER,
    doi_from,
    max_references,
    pmid_from,
    validate_reference_numbers,
)
from editorial.models import validate_comment_length


def propose_slug(title: str) -> str:
    """An address made from the title: lower case, hyphens, cut at a word within the limit."""
    limit = Article._meta.get_field("slug").max_length
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


class ArticleStartForm(forms.ModelForm):
    """An article's address and topic (the rules are ``Article``'s, uniqueness included) and the
    first version's title."""

    title = ArticleVersion._meta.get_field("title").formfield(
        required=True,
        help_text="The question, as readers ask it. For example: “Is drug X safe in pregnancy?”",
    )
    field_order = ["title", "topic", "slug"]

    class Meta:
        model = Article
        fields = ["topic", "slug"]
        labels = {"slug": "Address"}
        help_texts = {
            "topic": "A short subject, for example “Neurology”.",
            "slug": "The last part of the article's web address. "
            "Leave it empty to use one made from the title.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False  # proposed from the title

    def clean_title(self) -> str:
        return clean_question(self.cleaned_data["title"])

    def clean(self):
        cleaned = super().clean()
        if "title" in cleaned and not cleaned.get("slug") and "slug" not in self.errors:
            slug = propose_slug(cleaned["title"])
            if not slug:
                self.add_error("slug", "The title has no letters to make an address from: type one.")
            cleaned["slug"] = slug
        return cleaned


class VersionContentForm(forms.ModelForm):
    """The text of a draft, with ``ArticleVersion``'s limits. Lead and body may stay empty while
    drafting; submitting needs them."""

    class Meta:
        model = ArticleVersion
        fields = ArticleVersion.CONTENT_FIELDS
        labels = {"summary": "Plain-language summary for patients"}
        help_texts = {
            "lead": "The answer first, in one paragraph. Citation markers like [1] work here too.",
            "body": "Markdown. Cite references by number: [1], [1, 3] or [2-4].",
            "summary": "",
            "change_note": "What changed in this version, for the board and the review history.",
        }
        widgets = {
            "lead": forms.Textarea(attrs={"rows": 3}),
            "body": forms.Textarea(attrs={"rows": 18}),
            "summary": forms.Textarea(attrs={"rows": 4}),
            "change_note": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["title"].required = True  # a draft may have none; this page asks for it

    def clean_title(self) -> str:
        return clean_question(self.cleaned_data["title"])


def _reference_formfield(field, **kwargs):
    if field.name == "url":
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


class ReferenceForm(forms.ModelForm):
    """One reference, with ``Reference``'s rules (its fields' validators and ``clean``)."""

    class Meta:
        model = Reference
        fields = Reference.CONTENT_FIELDS
        formfield_callback = _reference_formfield
        help_texts = {
            "source": "The journal or publisher.",
            "doi": "For example 10.1000/xyz123",
            "pmid": "Digits only",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["number"].widget.attrs.update(min=1, max=MAX_REFERENCE_NUMBER)
        self.fields["kind"].choices = [("", "Choose a kind"), *ReferenceKind.choices]
        number = self.initial.get("number") or (
            self.data.get(self.add_prefix("number")) if self.data else None
        )
        self.fields["number"].help_text = (
            f"Cite it in the text as [{number}]." if number else "The number you cite in the text, as in [1]."
        )
        # Say which fields a reference cannot do without, before a save says it.
        for field in self.fields.values():
            if field.required:
                field.label = f"{field.label} (required)"
        self.fields["source"].label = f"{self.fields['source'].label} (required for research and guidelines)"

    def clean_doi(self) -> str:
        return doi_from(self.cleaned_data["doi"])

    def clean_pmid(self) -> str:
        return pmid_from(self.cleaned_data["pmid"])


class BaseReferenceFormSet(forms.BaseFormSet):
    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        if index is not None and index >= self.initial_form_count():
            # A blank row proposes the next free number, so the author knows what to cite.
            taken = [row.get("number") or 0 for row in (self.initial or [])]
            kwargs["initial"] = {"number": max(taken, default=0) + 1 + index - self.initial_form_count()}
        return kwargs

    def clean(self):
        super().clean()
        kept = [form for form in self.forms if self._kept(form)]
        try:
            validate_reference_numbers([form.cleaned_data["number"] for form in kept])
        except ValidationError as exc:
            if exc.code != "duplicate_reference_number":
                raise
            # The message goes beside the second row with that number.
            rows = [form for form in kept if form.cleaned_data["number"] == exc.params["number"]]
            rows[1].add_error("number", exc)

    @staticmethod
    def _kept(form) -> bool:
        data = getattr(form, "cleaned_data", None) or {}
        return bool(data) and not data.get("DELETE") and data.get("number") is not None

    def references(self) -> list[dict]:
        """The rows to keep, as the services take them, in number order."""
        rows = [
            {name: form.cleaned_data.get(name) for name in Reference.CONTENT_FIELDS}
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        return sorted(rows, key=lambda row: row["number"])


def reference_formset(*, extra: int):
    """Rows for at most ``max_references()`` references. One row more is read, so that the
    rule in ``articles.rules`` refuses it with its message; a page posting more is forged, and
    Django refuses it before building the forms."""
    return forms.formset_factory(
        ReferenceForm,
        formset=BaseReferenceFormSet,
        extra=extra,
        can_delete=True,
        max_num=max_references(),
        absolute_max=max_references() + 1,
    )


def reference_initial(version: ArticleVersion) -> list[dict]:
    return [
        {name: getattr(ref, name) for name in Reference.CONTENT_FIELDS} for ref in version.references.all()
    ]


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        required=False,
        validators=[validate_comment_length],
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
