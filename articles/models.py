"""The content: what is said. The review process lives in ``editorial``, which imports this
app and never the other way round."""

from __future__ import annotations

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from articles.citations import IntegrityReport, check_integrity
from articles.rendering import render_version
from articles.rules import (
    max_body_chars,
    no_null_characters,
    validate_doi,
    validate_pmid,
    validate_reference_number,
    validate_web_url,
    validate_year,
)


class VersionFrozen(Exception):
    """Raised when something tries to change the content of a submitted version."""


class ArticleQuerySet(models.QuerySet):
    def readable(self) -> ArticleQuerySet:
        """Articles a reader may open: a published live version, or a retracted one."""
        return self.filter(live_version__state__in=[VersionState.PUBLISHED, VersionState.RETRACTED])

    def published(self) -> ArticleQuerySet:
        return self.filter(live_version__state=VersionState.PUBLISHED)


class Article(models.Model):
    """A question the site answers. Not its text: that lives in its versions."""

    slug = models.SlugField(
        "address",
        max_length=120,
        unique=True,
        error_messages={
            "invalid": "An article's address uses only letters, numbers, hyphens and underscores.",
            "unique": "An article with this address already exists: choose another.",
        },
    )
    topic = models.CharField(max_length=80, blank=True, validators=[no_null_characters])
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="articles"
    )
    live_version = models.OneToOneField(
        "ArticleVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The version readers see. Set only by the publish service.",
    )
    re_review_months = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Overrides the board's re-review interval."
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug

    def get_absolute_url(self) -> str:
        return reverse("reader:detail", kwargs={"slug": self.slug})

    @property
    def next_review_due(self):
        """When the live version comes due for re-review: its publication (or the day a re-review
        last confirmed it) plus the interval."""
        version = self.live_version
        if version is None or version.published_at is None:
            return None
        months = self.re_review_months or settings.EDITORIAL["RE_REVIEW_MONTHS"]
        # The same day, or the month's last day where that day is missing (31 August + 6 = 28 February).
        return (version.last_reviewed_at or version.published_at) + relativedelta(months=months)

    @property
    def title(self) -> str:
        version = self.live_version or self.versions.order_by("-number").first()
        return version.title if version else self.slug


class VersionState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    UNDER_REVIEW = "under_review", "Under review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    REJECTED = "rejected", "Rejected"
    APPROVED = "approved", "Approved"
    PUBLISHED = "published", "Published"
    WITHDRAWN = "withdrawn", "Withdrawn"
    RETRACTED = "retracted", "Retracted"
    SUPERSEDED = "superseded", "Superseded"


# A version is open while it may still move without an editor's decision: its author is not
# to start another until it is finished or withdrawn.
OPEN_VERSION_STATES = (VersionState.DRAFT, VersionState.SUBMITTED, VersionState.UNDER_REVIEW)


# Permission checks on the transitions. The editorial services call ``has_transition_perm``
# with the acting user; django-fsm never checks these by itself.
def _is_own_author(version: ArticleVersion, user) -> bool:
    return user.has_perm("articles.submit_version") and version.author_id == user.pk


def _is_deciding_editor(version: ArticleVersion, user) -> bool:
    # Separation of duties: nobody decides on a version they wrote.
    return user.has_perm("articles.decide_version") and version.author_id != user.pk


def _can_withdraw(version: ArticleVersion, user) -> bool:
    return _is_own_author(version, user) or user.has_perm("articles.decide_version")


def _can_publish(version: ArticleVersion, user) -> bool:
    return user.has_perm("articles.publish_version")


class ArticleVersion(ConcurrentTransitionMixin, models.Model):
    """One numbered version of an article's text and references. Frozen once submitted:
    a change means a new version."""

    # What an author writes; a draft may leave any of it empty, a submission needs the first three.
    CONTENT_FIELDS = ("title", "lead", "body", "summary", "change_note")
    NEEDED_TO_SUBMIT = ("title", "lead", "body")

    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    # A TextField's limit is a validator: Django gives a TextField's max_length to forms only.
    title = models.CharField(
        max_length=200,
        blank=True,
        validators=[no_null_characters],
        help_text="The question, as readers see it.",
    )
    lead = models.TextField(
        "lead answer",
        blank=True,
        validators=[MaxLengthValidator(2000), no_null_characters],
        help_text="The answer first, in one paragraph.",
    )
    body = models.TextField(
        blank=True,
        validators=[MaxLengthValidator(max_body_chars), no_null_characters],
        help_text="Markdown with citation markers [1].",
    )
    summary = models.TextField(
        "plain-language summary",
        blank=True,
        validators=[MaxLengthValidator(4000), no_null_characters],
        help_text="Plain-language summary for patients.",
    )
    change_note = models.TextField(blank=True, validators=[MaxLengthValidator(2000), no_null_characters])
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="article_versions"
    )
    state = FSMField(default=VersionState.DRAFT, choices=VersionState.choices, protected=True, db_index=True)
    based_on = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # Written once, when the version is submitted, from its frozen content.
    integrity = models.JSONField(default=dict, blank=True)
    lead_html = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    review_started_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.TextField(blank=True)
    # Set by editorial's re-review service when the board confirms the version unchanged.
    last_reviewed_at = models.DateTimeField(
        null=True, blank=True, help_text="When a re-review last confirmed this version is still accurate."
    )

    class Meta:
        ordering = ["article", "number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="one_number_per_article"),
        ]
        permissions = [
            ("submit_version", "Can write and submit own versions"),
            ("review_version", "Can review versions as a board member"),
            ("decide_version", "Can manage review and decide on versions"),
            ("publish_version", "Can publish and retract versions"),
        ]

    def __str__(self) -> str:
        return f"{self.article.slug} v{self.number}"

    def save(self, *args, **kwargs) -> None:
        loaded_state = getattr(self, "_loaded_state", None)
        if loaded_state not in (None, VersionState.DRAFT):
            changed = [
                name
                for name, value in getattr(self, "_loaded_content", {}).items()
                if getattr(self, name) != value
            ]
            if changed:
                raise VersionFrozen(
                    f"{self} is {loaded_state}: its content is frozen ({', '.join(changed)}). "
                    "Start a new version to change it."
                )
        super().save(*args, **kwargs)
        self._loaded_state = self.state
        self._loaded_content = {name: getattr(self, name) for name in self.CONTENT_FIELDS}

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_content = {
            name: getattr(instance, name) for name in cls.CONTENT_FIELDS if name in field_names
        }
        instance._loaded_state = instance.state if "state" in field_names else None
        return instance

    @property
    def reviewed_at(self):
        """When the board last reviewed this version: a confirming re-review, or its approval."""
        return self.last_reviewed_at or self.decided_at

    @property
    def is_editable(self) -> bool:
        return self.state == VersionState.DRAFT

    def missing_to_submit(self) -> list[str]:
        """The content a submission needs that this version leaves empty."""
        return [name for name in self.NEEDED_TO_SUBMIT if not getattr(self, name).strip()]

    def reference_numbers(self) -> list[int]:
        return [ref.number for ref in self.references.all()]

    def check_integrity(self) -> IntegrityReport:
        """Citations in the lead and the body against this version's references."""
        return check_integrity(f"{self.lead}\n\n{self.body}", self.reference_numbers())

    def render(self) -> tuple[str, str]:
        """(lead, body) as sanitized HTML: frozen once submitted, rendered live in a draft."""
        if self.body_html and not self.is_editable:
            return self.lead_html, self.body_html
        return render_version(self.lead, self.body, self.reference_numbers())

    # The workflow graph. Transition methods change fields in memory only; the services
    # in ``editorial.workflow`` lock, check permission, save and write the audit trail.
    @transition(
        field=state, source=VersionState.DRAFT, target=VersionState.SUBMITTED, permission=_is_own_author
    )
    def submit(self, *, at) -> None:
        report = self.check_integrity()
        self.integrity = report.to_dict()
        self.lead_html, self.body_html = render_version(self.lead, self.body, report.references)
        self.submitted_at = at

    @transition(
        field=state,
        source=VersionState.SUBMITTED,
        target=VersionState.UNDER_REVIEW,
        permission=_is_deciding_editor,
    )
    def start_review(self, *, at) -> None:
        self.review_started_at = at

    @transition(
        field=state,
        source=VersionState.UNDER_REVIEW,
        target=VersionState.APPROVED,
        permission=_is_deciding_editor,
    )
    def approve(self, *, at) -> None:
        self.decided_at = at

    @transition(
        field=state,
        source=VersionState.UNDER_REVIEW,
        target=VersionState.CHANGES_REQUESTED,
        permission=_is_deciding_editor,
    )
    def request_changes(self, *, at) -> None:
        self.decided_at = at

    @transition(
        field=state,
        source=VersionState.UNDER_REVIEW,
        target=VersionState.REJECTED,
        permission=_is_deciding_editor,
    )
    def reject(self, *, at, reason: str) -> None:
        self.decided_at = at
        self.end_reason = reason

    @transition(
        field=state, source=VersionState.APPROVED, target=VersionState.PUBLISHED, permission=_can_publish
    )
    def publish(self, *, at) -> None:
        self.published_at = at

    @transition(
        field=state,
        source=[VersionState.DRAFT, VersionState.SUBMITTED, VersionState.UNDER_REVIEW],
        target=VersionState.WITHDRAWN,
        permission=_can_withdraw,
    )
    def withdraw(self, *, at, reason: str) -> None:
        self.ended_at = at
        self.end_reason = reason

    @transition(
        field=state, source=VersionState.PUBLISHED, target=VersionState.RETRACTED, permission=_can_publish
    )
    def retract(self, *, at, reason: str) -> None:
        self.ended_at = at
        self.end_reason = reason

    @transition(
        field=state, source=VersionState.PUBLISHED, target=VersionState.SUPERSEDED, permission=_can_publish
    )
    def supersede(self, *, at) -> None:
        self.ended_at = at

    for _method in (
        submit,
        start_review,
        approve,
        request_changes,
        reject,
        publish,
        withdraw,
        retract,
        supersede,
    ):
        _method.alters_data = True
    del _method


class ReferenceKind(models.TextChoices):
    GUIDELINE = "guideline", "Guideline"
    RESEARCH = "research", "Research"
    REVIEW = "review", "Review"
    DRUG_LABEL = "drug_label", "Drug label"
    OTHER = "other", "Other"


KINDS_NEEDING_SOURCE = frozenset({ReferenceKind.RESEARCH, ReferenceKind.GUIDELINE})


class Reference(models.Model):
    """A source one version cites, by its number. Not shared across versions: a new
    version copies its references."""

    # What an author writes, and what a new version copies.
    CONTENT_FIELDS = ("number", "kind", "title", "authors", "source", "year", "doi", "pmid", "url")

    version = models.ForeignKey(ArticleVersion, on_delete=models.CASCADE, related_name="references")
    number = models.PositiveIntegerField(validators=[validate_reference_number])
    kind = models.CharField(
        max_length=20,
        choices=ReferenceKind.choices,
        error_messages={"invalid_choice": "Choose its kind: " + ", ".join(ReferenceKind.labels) + "."},
    )
    title = models.CharField(max_length=500, validators=[no_null_characters])
    authors = models.CharField(max_length=500, blank=True, validators=[no_null_characters])
    source = models.CharField(
        max_length=300, blank=True, validators=[no_null_characters], help_text="Publisher or journal."
    )
    year = models.PositiveSmallIntegerField(null=True, blank=True, validators=[validate_year])
    doi = models.CharField("DOI", max_length=200, blank=True, validators=[validate_doi, no_null_characters])
    pmid = models.CharField("PMID", max_length=20, blank=True, validators=[validate_pmid])
    # Django's URLField validator takes ftp too; validate_web_url refuses it, and both speak
    # with its message.
    url = models.URLField(
        "URL",
        max_length=500,
        blank=True,
        validators=[validate_web_url, no_null_characters],
        error_messages={"invalid": validate_web_url.message},
    )

    class Meta:
        ordering = ["version", "number"]
        constraints = [
            models.UniqueConstraint(fields=["version", "number"], name="one_reference_per_number"),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="reference_number_positive"),
        ]

    def __str__(self) -> str:
        return f"[{self.number}] {self.title}"

    def save(self, *args, **kwargs) -> None:
        self._refuse_if_frozen()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.kind in KINDS_NEEDING_SOURCE and not self.source.strip():
            raise ValidationError(
                {
                    "source": ValidationError(
                        "A %(kind)s reference needs its source: the journal or publisher.",
                        code="source_needed",
                        params={"kind": ReferenceKind(self.kind).label.lower()},
                    )
                }
            )

    def delete(self, *args, **kwargs):
        self._refuse_if_frozen()
        return super().delete(*args, **kwargs)

    def _refuse_if_frozen(self) -> None:
        state = ArticleVersion.objects.filter(pk=self.version_id).values_list("state", flat=True).first()
        if state not in (None, VersionState.DRAFT):
            raise VersionFrozen(
                f"References of a {state} version are frozen. Start a new version to change them."
            )

    @property
    def doi_url(self) -> str:
        return f"https://doi.org/{self.doi}" if self.doi else ""

    @property
    def pmid_url(self) -> str:
        return f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/" if self.pmid else ""
