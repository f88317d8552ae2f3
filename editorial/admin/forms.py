"""The forms the board fills in: a review, a decline, the words a decision needs, an
assignment of reviewers."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django import forms
from django.conf import settings
from django.utils import timezone

from editorial import signatures
from editorial.models import (
    Decision,
    DeclineReason,
    Review,
    ReviewAssignment,
    Severity,
    validate_comment_length,
)


class ReviewForm(forms.ModelForm):
    """A board member's review, with ``Review``'s limits on each comment."""

    refusal = "Choose a decision: approve, request changes or reject."

    decision = forms.ChoiceField(choices=Decision.choices, widget=forms.RadioSelect)

    class Meta:
        model = Review
        fields = [
            "decision",
            "citations_checked",
            "doses_checked",
            "no_conflict_declared",
            "conflict_statement",
            "comment_to_author",
            "confidential_comment",
        ]
        labels = {
            "citations_checked": "I checked every citation against its source.",
            "doses_checked": "I checked every dose, unit and interval.",
            "no_conflict_declared": "I declare no conflict of interest with this article.",
            "conflict_statement": "Or describe the conflict of interest",
            "comment_to_author": "Comment to the author",
            "confidential_comment": "Confidential comment to the editors",
        }
        help_texts = {
            "no_conflict_declared": "",
            "comment_to_author": "The author reads this. Required unless you approve.",
            "confidential_comment": "Never shown to the author or to readers.",
        }
        widgets = {
            "conflict_statement": forms.Textarea(attrs={"rows": 2}),
            "comment_to_author": forms.Textarea(attrs={"rows": 5}),
            "confidential_comment": forms.Textarea(attrs={"rows": 3}),
        }


class DeclineForm(forms.Form):
    refusal = "Choose a reason for declining."

    reason = forms.ChoiceField(choices=DeclineReason.choices)
    note = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Note to the editors"
    )

    def clean_note(self) -> str:
        # The assignment's own field holds the note: its validators are the limit.
        note = self.cleaned_data["note"]
        ReviewAssignment._meta.get_field("decline_note").run_validators(note)
        return note


class MessageForm(forms.Form):
    """The words a decision needs: the comment to the author, or the reason."""

    message = forms.CharField(
        required=False, validators=[validate_comment_length], widget=forms.Textarea(attrs={"rows": 3})
    )


class SigningForm(forms.Form):
    """The electronic signature a signing verb asks for, in the verb's own form: the signer's
    password again and the meaning they choose (``editorial.signatures``). Prefixed with the
    verb; the service checks both."""

    password = forms.CharField(
        required=False,
        strip=False,
        label="Your password (this is your electronic signature)",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    meaning = forms.ChoiceField(label="What your signature means", widget=forms.RadioSelect)
    otp_code = forms.CharField(
        required=False,
        max_length=20,
        label="Code from your authenticator app",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, *args, verb: str, second_factor: bool = False, code_needed: bool = True, **kwargs):
        kwargs.setdefault("prefix", verb)
        super().__init__(*args, **kwargs)
        self.verb = verb
        # Only a signer with a second factor is asked for its code (``editorial.signatures``).
        self.code_needed = second_factor and code_needed
        if not second_factor:
            del self.fields["otp_code"]
        else:  # the field's help says whether a code is needed now (signing_fields.html)
            self.fields["otp_code"].widget.attrs["aria-describedby"] = (
                f"id_{self.add_prefix('otp_code')}-help"
            )
        choices = signatures.meaning_choices(verb)
        self.fields["meaning"].choices = choices
        self.fields["meaning"].initial = choices[0][0]

    def signing(self, request) -> signatures.Signing:
        """What was sent, as the service takes it (the service refuses what is missing)."""
        return signatures.Signing(
            password=self.data.get(self.add_prefix("password"), ""),
            meaning=self.data.get(self.add_prefix("meaning"), ""),
            otp_code=self.data.get(self.add_prefix("otp_code"), ""),
            request=request,
        )


def default_due_dates(today: date | None = None) -> tuple[date, date]:
    today = today or timezone.localdate()
    policy = settings.EDITORIAL
    return today + timedelta(days=policy["RESPONSE_DAYS"]), today + timedelta(days=policy["REVIEW_DAYS"])


def end_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(23, 59)))


class AssignForm(forms.Form):
    reviewers = forms.TypedMultipleChoiceField(coerce=int, widget=forms.CheckboxSelectMultiple)
    response_due = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Answer due")
    review_due = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Review due")

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = candidates
        self.fields["reviewers"].choices = [(member.user_id, str(member)) for member in candidates]
        if not self.is_bound:
            self.initial["response_due"], self.initial["review_due"] = default_due_dates()

    def clean(self):
        data = super().clean()
        response_due, review_due = data.get("response_due"), data.get("review_due")
        if response_due and response_due < timezone.localdate():
            self.add_error("response_due", "The answer cannot be due in the past.")
        if response_due and review_due and review_due < response_due:
            self.add_error("review_due", "The review cannot be due before the answer.")
        return data


def search_members(queryset, query: str):
    """Board members whose name, credentials or specialty hold every word of ``query``."""
    from django.db.models import Q

    for word in query.split()[:8]:
        queryset = queryset.filter(
            Q(display_name__icontains=word)
            | Q(specialty__icontains=word)
            | Q(credentials__icontains=word)
            | Q(user__first_name__icontains=word)
            | Q(user__last_name__icontains=word)
        )
    return queryset


class AnnotateForm(forms.Form):
    """A comment on a passage: the W3C selectors (filled from the paragraph's link without
    JavaScript, from the selection with it) and the comment. The service checks every value."""

    exact = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Passage (exact words)"
    )
    prefix = forms.CharField(required=False, widget=forms.HiddenInput, strip=False)
    suffix = forms.CharField(required=False, widget=forms.HiddenInput, strip=False)
    start = forms.CharField(required=False, widget=forms.HiddenInput)
    end = forms.CharField(required=False, widget=forms.HiddenInput)
    severity = forms.ChoiceField(
        choices=Severity.choices, initial=Severity.SUGGESTION, widget=forms.RadioSelect, label="Severity"
    )
    confidential = forms.BooleanField(required=False, label="For the board only (the author never sees it)")
    comment = forms.CharField(
        required=False, strip=False, widget=forms.Textarea(attrs={"rows": 4}), label="Comment"
    )

    refusal = "Mark the annotation must fix or suggestion."

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {
            name: data[name]
            for name in ("exact", "prefix", "suffix", "start", "end", "severity", "confidential", "comment")
        }
