"""The reader's one form: "Report a problem with this page" (no account, no JavaScript)."""

from __future__ import annotations

from django import forms

from editorial.models import ReaderReport, max_report_chars


class ReportForm(forms.ModelForm):
    """What is wrong and, optionally, an email for a reply; the rules are the model's fields'.
    ``website`` is a honeypot: hidden from people (and from screen readers), filled by bots."""

    website = forms.CharField(required=False, max_length=200, label="Leave this field empty")

    class Meta:
        model = ReaderReport
        fields = ["message", "email"]
        labels = {"message": "What is wrong with this page?", "email": "Your email (optional)"}
        help_texts = {
            "message": f"At most {max_report_chars():,} characters. Please do not include personal health details.",
            "email": "Only if you would like a reply. Never shown publicly; deleted after a few months.",
        }
        widgets = {
            "message": forms.Textarea(attrs={"rows": 6, "maxlength": max_report_chars()}),
            "email": forms.EmailInput(attrs={"autocomplete": "email", "maxlength": 254}),
        }

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get("website"))
