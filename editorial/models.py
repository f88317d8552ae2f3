"""The process: who checked a version, when, and the record of it."""

from __future__ import annotations

from datetime import UTC

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from articles.models import Article, ArticleVersion, Reference
from articles.passages import Part
from articles.rules import no_null_characters


def max_comment_chars() -> int:
    """The most characters a comment, note or reason may hold: EDITORIAL["MAX_COMMENT_CHARS"]."""
    return settings.EDITORIAL["MAX_COMMENT_CHARS"]


# What a person may write in the process (a comment, a reason): the services check the words
# of every verb with these, and the fields below that hold such words carry them. (A form's
# CharField refuses NUL by itself: forms take ``validate_comment_length``.)
validate_comment_length = MaxLengthValidator(max_comment_chars)
COMMENT_VALIDATORS = [validate_comment_length, no_null_characters]
# A short note (a conflict statement, why an invitation was declined).
NOTE_VALIDATORS = [MaxLengthValidator(2000), no_null_characters]


# What readers read where a conflict-of-interest statement is empty.
NONE_DECLARED = "None declared"


def conflict_declaration(statement: str) -> str:
    """A conflict-of-interest statement as readers read it: the statement, or "None declared"."""
    return statement.strip() or NONE_DECLARED


# The board members readers find on the board page: those who agreed to be listed, still active.
LISTED = models.Q(public=True, user__is_active=True)


class BoardMember(models.Model):
    """A member of the medical advisory board as readers see them: name, credentials, a short
    biography and their standing conflict-of-interest statement. Not a login: the user account
    is separate."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="board_member"
    )
    display_name = models.CharField(max_length=120)
    credentials = models.CharField(max_length=120, help_text='For example "MD, FRCP".')
    specialty = models.CharField(max_length=120, blank=True)
    biography = models.TextField(
        blank=True, validators=NOTE_VALIDATORS, help_text="A few sentences readers see on the board page."
    )
    conflicts_of_interest = models.TextField(
        "conflict-of-interest statement",
        blank=True,
        validators=NOTE_VALIDATORS,
        help_text="Standing interests readers should know of (funding, advisory roles). Empty reads "
        '"None declared". Each review also carries its own declaration.',
    )
    public = models.BooleanField(
        "shown on the public board page",
        default=False,
        help_text="Only members who agreed to be listed appear at /board/ and as links from articles.",
    )

    class Meta:
        ordering = ["display_name"]

    def __str__(self) -> str:
        return f"{self.display_name}, {self.credentials}"

    @property
    def conflict_declaration(self) -> str:
        return conflict_declaration(self.conflicts_of_interest)

    @property
    def is_listed(self) -> bool:
        """``LISTED`` for this row: whether readers find this member on the board page."""
        return self.public and self.user.is_active

    @property
    def anchor(self) -> str:
        """The fragment that names this member on the board page."""
        return f"member-{self.pk}"


class AssignmentState(models.TextChoices):
    INVITED = "invited", "Invited"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    COMPLETED = "completed", "Completed"
    WITHDRAWN = "withdrawn", "Withdrawn"


class DeclineReason(models.TextChoices):
    CONFLICT = "conflict", "Conflict of interest"
    EXPERTISE = "expertise", "Outside my expertise"
    TIME = "time", "No time"


# An assignment is open while the reviewer may still answer or deliver.
OPEN_ASSIGNMENT_STATES = (AssignmentState.INVITED, AssignmentState.ACCEPTED)


def late(now) -> models.Q:
    """Open assignments past a due date, or flagged overdue by the reminder sweep: the rule
    ``ReviewAssignment.is_late`` applies to one row, as a filter."""
    return models.Q(state__in=OPEN_ASSIGNMENT_STATES) & (
        models.Q(overdue=True)
        | models.Q(review_due__lt=now)
        | models.Q(state=AssignmentState.INVITED, response_due__lt=now)
    )


class ReviewAssignment(ConcurrentTransitionMixin, models.Model):
    """A board member asked to review one version, with the dates that answer is due.
    Not the review itself: that is a ``Review``."""

    version = models.ForeignKey(ArticleVersion, on_delete=models.PROTECT, related_name="assignments")
    re_review = models.ForeignKey(
        "ReReview",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assignments",
        help_text="The re-review of a live version this assignment belongs to; empty: its first review.",
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="review_assignments"
    )
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    state = FSMField(
        default=AssignmentState.INVITED,
        choices=AssignmentState.choices,
        protected=True,
        db_index=True,
    )
    response_due = models.DateTimeField()
    review_due = models.DateTimeField()
    decline_reason = models.CharField(max_length=20, choices=DeclineReason.choices, blank=True)
    decline_note = models.TextField(blank=True, validators=NOTE_VALIDATORS)
    overdue = models.BooleanField(default=False, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    responded_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["version", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "reviewer"],
                condition=models.Q(re_review__isnull=True),
                name="one_assignment_per_reviewer_per_version",
            ),
            models.UniqueConstraint(
                fields=["re_review", "reviewer"],
                condition=models.Q(re_review__isnull=False),
                name="one_assignment_per_reviewer_per_re_review",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} on {self.version}"

    def is_late(self, now) -> bool:
        """``late(now)`` for this row."""
        if self.state not in OPEN_ASSIGNMENT_STATES:
            return False
        if self.overdue or self.review_due < now:
            return True
        return self.state == AssignmentState.INVITED and self.response_due < now

    @transition(field=state, source=AssignmentState.INVITED, target=AssignmentState.ACCEPTED)
    def accept(self, *, at) -> None:
        self.responded_at = at

    @transition(field=state, source=AssignmentState.INVITED, target=AssignmentState.DECLINED)
    def decline(self, *, at, reason: str, note: str) -> None:
        self.responded_at = at
        self.decline_reason = reason
        self.decline_note = note

    @transition(
        field=state,
        source=[AssignmentState.INVITED, AssignmentState.ACCEPTED],
        target=AssignmentState.COMPLETED,
    )
    def complete(self, *, at) -> None:
        self.completed_at = at
        self.overdue = False

    @transition(
        field=state,
        source=[AssignmentState.INVITED, AssignmentState.ACCEPTED],
        target=AssignmentState.WITHDRAWN,
    )
    def withdraw(self, *, at) -> None:
        self.completed_at = at
        self.overdue = False

    for _method in (accept, decline, complete, withdraw):
        _method.alters_data = True
    del _method


class Decision(models.TextChoices):
    APPROVE = "approve", "Approve"
    REQUEST_CHANGES = "request_changes", "Request changes"
    REJECT = "reject", "Reject"
    # A re-review of a live version (``ReReview``):
    CONFIRM = "confirm", "Confirm: still accurate and current"
    REQUEST_REVISION = "request_revision", "Ask for a revision"


# The decisions of a first review, and of a re-review.
REVIEW_DECISIONS = (Decision.APPROVE, Decision.REQUEST_CHANGES, Decision.REJECT)
RE_REVIEW_DECISIONS = (Decision.CONFIRM, Decision.REQUEST_REVISION)


class Review(models.Model):
    """One board member's decision on one version, with their comments and checklist.
    Not the editor's final decision: that is a state change of the version."""

    assignment = models.OneToOneField(ReviewAssignment, on_delete=models.PROTECT, related_name="review")
    version = models.ForeignKey(ArticleVersion, on_delete=models.PROTECT, related_name="reviews")
    re_review = models.ForeignKey(
        "ReReview", on_delete=models.PROTECT, null=True, blank=True, related_name="reviews"
    )
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews")
    decision = models.CharField(max_length=20, choices=Decision.choices)
    comment_to_author = models.TextField("comment to the author", blank=True, validators=COMMENT_VALIDATORS)
    confidential_comment = models.TextField(
        blank=True,
        validators=COMMENT_VALIDATORS,
        help_text="For the editors only. Never shown to the author or readers.",
    )
    no_conflict_declared = models.BooleanField(
        help_text="The reviewer declares no conflict of interest with this article."
    )
    conflict_statement = models.TextField(blank=True, validators=NOTE_VALIDATORS)
    citations_checked = models.BooleanField(default=False)
    doses_checked = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["version", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "reviewer"],
                condition=models.Q(re_review__isnull=True),
                name="one_review_per_reviewer_per_version",
            ),
            models.UniqueConstraint(
                fields=["re_review", "reviewer"],
                condition=models.Q(re_review__isnull=False),
                name="one_review_per_reviewer_per_re_review",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} by {self.reviewer} on {self.version}"

    @property
    def conflict_declaration(self) -> str:
        """This review's conflict-of-interest declaration as readers read it."""
        return conflict_declaration(self.conflict_statement)


class AuditAction(models.TextChoices):
    """Every action the audit trail records, with the label people read. The ``PUBLIC`` ones
    appear in an article's review history on the reader's page, under their label."""

    VERSION_CREATED = "editorial.version.created", "Version drafted"
    VERSION_SUBMITTED = "editorial.version.submitted", "Submitted for review"
    VERSION_INTEGRITY_CHECKED = "editorial.version.integrity_checked", "Citations checked"
    VERSION_REVIEW_STARTED = "editorial.version.review_started", "Review started"
    REVIEW_RECORDED = "editorial.review.recorded", "Board review recorded"
    VERSION_CHANGES_REQUESTED = "editorial.version.changes_requested", "Changes requested"
    VERSION_REJECTED = "editorial.version.rejected", "Rejected"
    VERSION_APPROVED = "editorial.version.approved", "Approved"
    VERSION_PUBLISHED = "editorial.version.published", "Published"
    VERSION_SUPERSEDED = "editorial.version.superseded", "Superseded by a newer version"
    VERSION_WITHDRAWN = "editorial.version.withdrawn", "Withdrawn"
    VERSION_RETRACTED = "editorial.version.retracted", "Retracted"
    ASSIGNMENT_CREATED = "editorial.assignment.created", "Assignment created"
    ASSIGNMENT_ACCEPTED = "editorial.assignment.accepted", "Assignment accepted"
    ASSIGNMENT_DECLINED = "editorial.assignment.declined", "Assignment declined"
    ASSIGNMENT_WITHDRAWN = "editorial.assignment.withdrawn", "Assignment withdrawn"
    ASSIGNMENT_REMINDED = "editorial.assignment.reminded", "Reviewer reminded"
    ASSIGNMENT_ESCALATED = "editorial.assignment.escalated", "Escalated to the editors"
    ARTICLE_RE_REVIEW_DUE = "editorial.article.re_review_due", "Due for re-review"
    ANNOTATION_CREATED = "editorial.annotation.created", "Passage annotated"
    ANNOTATION_REPLIED = "editorial.annotation.replied", "Annotation answered"
    ANNOTATION_RESOLVED = "editorial.annotation.resolved", "Annotation resolved"
    ANNOTATIONS_CARRIED = "editorial.annotation.carried", "Open annotations carried to the next version"
    SIGNING_REFUSED = "editorial.signature.refused", "Electronic signature refused (wrong password)"
    RE_REVIEW_OPENED = "editorial.re_review.opened", "Re-review opened"
    RE_REVIEW_CONFIRMED = "editorial.re_review.confirmed", "Re-review closed"
    RE_REVIEW_REVISION_REQUESTED = "editorial.re_review.revision_requested", "Re-review: revision requested"
    RE_REVIEW_OVERDUE = "editorial.re_review.overdue", "Overdue for review"
    RE_REVIEW_ENDED = "editorial.re_review.ended", "Re-review ended: a newer version was published"
    REFERENCE_FLAGGED = "editorial.reference.flagged", "Reference under review"
    REPORT_RECEIVED = "editorial.report.received", "Reader report received"
    REPORT_DISMISSED = "editorial.report.dismissed", "Reader report dismissed"
    REPORT_REPLIED = "editorial.report.replied", "Reader report answered"
    REPORT_ESCALATED = "editorial.report.re_review", "Reader report: re-review opened"
    REPORT_EMAIL_DELETED = "editorial.report.email_deleted", "Reader report: email deleted (retention)"


# The actions readers see in an article's review history, under their label.
PUBLIC_AUDIT_ACTIONS = frozenset(
    {
        AuditAction.VERSION_CREATED,
        AuditAction.VERSION_SUBMITTED,
        AuditAction.VERSION_REVIEW_STARTED,
        AuditAction.REVIEW_RECORDED,
        AuditAction.VERSION_CHANGES_REQUESTED,
        AuditAction.VERSION_REJECTED,
        AuditAction.VERSION_APPROVED,
        AuditAction.VERSION_PUBLISHED,
        AuditAction.VERSION_SUPERSEDED,
        AuditAction.VERSION_WITHDRAWN,
        AuditAction.VERSION_RETRACTED,
        AuditAction.RE_REVIEW_OPENED,
        AuditAction.RE_REVIEW_CONFIRMED,
        AuditAction.RE_REVIEW_REVISION_REQUESTED,
        AuditAction.RE_REVIEW_OVERDUE,
        AuditAction.RE_REVIEW_ENDED,
        AuditAction.REFERENCE_FLAGGED,
    }
)


class SignatureMeaning(models.TextChoices):
    """What a signer says their electronic signature means (21 CFR 11.50(a)(3)), as they chose
    it from the short list that fits the verb (``editorial.signatures.MEANINGS``)."""

    MEDICAL_ACCURACY = "medical_accuracy", "I reviewed this version for medical accuracy"
    DOSES_AND_CITATIONS = (
        "doses_and_citations",
        "I reviewed this version's doses and citations against their sources",
    )
    APPROVAL = "approval", "I approve this version for publication"
    PUBLICATION = "publication", "I authorise publication of this version"
    WITHDRAWAL = "withdrawal", "I withdraw this version from readers"
    STILL_CURRENT = "still_current", "I confirm this version is still accurate and current"


# How each meaning reads after "electronically signed <date>, " on the reader's page.
PUBLIC_MEANINGS = {
    SignatureMeaning.MEDICAL_ACCURACY: "for medical accuracy",
    SignatureMeaning.DOSES_AND_CITATIONS: "for doses and citations",
    SignatureMeaning.APPROVAL: "approving it for publication",
    SignatureMeaning.PUBLICATION: "authorising its publication",
    SignatureMeaning.WITHDRAWAL: "withdrawing it from readers",
    SignatureMeaning.STILL_CURRENT: "confirming it is still accurate and current",
}


def public_meaning(meaning: str) -> str:
    """How a signature's meaning reads on the reader's page."""
    if meaning in SignatureMeaning.values:
        return PUBLIC_MEANINGS.get(SignatureMeaning(meaning), SignatureMeaning(meaning).label)
    return meaning


class Signature(models.Model):
    """One electronic signature on one version (21 CFR 11.50): the printed name, the moment
    (UTC), the meaning, and the SHA-256 of the content signed. Written by the signing verbs'
    services only (``editorial.signatures.sign``). Not a sign-in, and not the decision itself:
    the review or the version's state change is."""

    version = models.ForeignKey(ArticleVersion, on_delete=models.PROTECT, related_name="signatures")
    review = models.OneToOneField(
        Review, on_delete=models.PROTECT, null=True, blank=True, related_name="signature"
    )
    verb = models.CharField(max_length=20, help_text="The registered verb signed (editorial.verbs).")
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="signatures")
    printed_name = models.CharField(max_length=260, help_text="The signer's name and credentials, as signed.")
    meaning = models.CharField(max_length=40, choices=SignatureMeaning.choices)
    signed_at = models.DateTimeField()
    version_number = models.PositiveIntegerField()
    content_sha256 = models.CharField(max_length=64)
    components = models.CharField(
        max_length=20,
        default="password",
        help_text="The identification components signed with: password, or password+code (21 CFR 11.200).",
    )

    class Meta:
        ordering = ["version", "signed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.printed_name}: {self.get_meaning_display()} (version {self.version_number})"

    @property
    def public_meaning(self) -> str:
        return public_meaning(self.meaning)

    def facts(self) -> dict:
        """The signature as its audit event's ``data`` holds it (and the JSON export shows it)."""
        return {
            "printed_name": self.printed_name,
            "signer": self.signer_id,
            "signed_at": self.signed_at.astimezone(UTC).isoformat(),
            "meaning": self.meaning,
            "meaning_text": self.get_meaning_display(),
            "verb": self.verb,
            "version": self.version_id,
            "version_number": self.version_number,
            "content_sha256": self.content_sha256,
            "components": self.components,
        }


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Audit events are append-only: they cannot be updated.")

    def delete(self):
        raise PermissionError("Audit events are append-only: they cannot be deleted.")

    def public(self) -> AuditEventQuerySet:
        return self.filter(action__in=list(PUBLIC_AUDIT_ACTIONS))


class AuditEvent(models.Model):
    """One entry in an article's append-only, hash-chained record. Not editable by anyone:
    the ORM and a database trigger both refuse updates and deletes."""

    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="audit_events")
    seq = models.PositiveIntegerField(help_text="Position in the article's chain, from 1.")
    version = models.ForeignKey(
        ArticleVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="audit_events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=150, help_text="Who acted, as named at the time.")
    action = models.CharField(max_length=80, db_index=True)
    state_before = models.CharField(max_length=40, blank=True)
    state_after = models.CharField(max_length=40, blank=True)
    message = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["article", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["article", "seq"], name="one_event_per_article_seq"),
        ]
        # The audit list searches by day (a range on created_at); article, actor and action
        # have their indexes already (the constraint above, the foreign key, db_index).
        indexes = [models.Index(fields=["created_at"], name="audit_event_created_at")]

    def __str__(self) -> str:
        return f"{self.article_id}#{self.seq} {self.action}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise PermissionError("Audit events are append-only: they cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit events are append-only: they cannot be deleted.")


def max_annotations() -> int:
    """The most annotations one version may hold: EDITORIAL["MAX_ANNOTATIONS_PER_VERSION"]."""
    return settings.EDITORIAL["MAX_ANNOTATIONS_PER_VERSION"]


class Severity(models.TextChoices):
    MUST_FIX = "must_fix", "Must fix"
    SUGGESTION = "suggestion", "Suggestion"


class AnnotationState(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"


class Anchor(models.TextChoices):
    """How an annotation's quote was found in its version's plain text (articles.passages)."""

    CONTEXT = "context", "Anchored"  # made here, or its exact words found with their context
    EXACT = "exact", "Surroundings changed"  # the exact words found, in other surroundings
    CHANGED = "changed", "Passage changed"  # the words are gone: only the old quote remains


class Annotation(ConcurrentTransitionMixin, models.Model):
    """A board member's comment on a passage of one version, anchored by W3C Web Annotation
    selectors over the version's plain text (``articles.passages``): the quote (exact words,
    prefix, suffix) and its position (start, end). Not a review: that is the decision on the
    whole version. Carried into the next version as a copy that points back (``carried_from``)."""

    version = models.ForeignKey(ArticleVersion, on_delete=models.PROTECT, related_name="annotations")
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="annotations"
    )
    part = models.CharField(max_length=20, choices=Part.CHOICES)
    reference_number = models.PositiveIntegerField(null=True, blank=True)
    # TextQuoteSelector
    exact = models.TextField(validators=[MaxLengthValidator(4000), no_null_characters])
    prefix = models.CharField(max_length=64, blank=True)
    suffix = models.CharField(max_length=64, blank=True)
    # TextPositionSelector (empty once the passage is gone)
    start = models.PositiveIntegerField(null=True, blank=True)
    end = models.PositiveIntegerField(null=True, blank=True)
    anchor = models.CharField(max_length=10, choices=Anchor.choices, default=Anchor.CONTEXT)
    severity = models.CharField(max_length=12, choices=Severity.choices)
    confidential = models.BooleanField(
        default=False, help_text="For the board only. Never shown to the author or readers."
    )
    comment = models.TextField(validators=COMMENT_VALIDATORS)
    state = FSMField(default=AnnotationState.OPEN, choices=AnnotationState.choices, protected=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.TextField(blank=True, validators=COMMENT_VALIDATORS)
    carried_from = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="carried_to"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["version", "start", "created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(start__isnull=True, end__isnull=True, anchor="changed"))
                | (models.Q(start__isnull=False, end__gt=models.F("start")) & ~models.Q(anchor="changed")),
                name="annotation_position_matches_anchor",
            ),
            models.CheckConstraint(
                condition=models.Q(state="open", resolved_by__isnull=True)
                | models.Q(state="resolved", resolved_by__isnull=False),
                name="annotation_resolved_by_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_severity_display()} on {self.version}: “{self.short_quote}”"

    @property
    def short_quote(self) -> str:
        return self.exact if len(self.exact) <= 60 else self.exact[:57] + "…"

    @property
    def is_open(self) -> bool:
        return self.state == AnnotationState.OPEN

    @transition(field=state, source=AnnotationState.OPEN, target=AnnotationState.RESOLVED)
    def resolve(self, *, by, at, note: str) -> None:
        self.resolved_by = by
        self.resolved_at = at
        self.resolution_note = note

    resolve.alters_data = True


class AnnotationReply(models.Model):
    """One answer in an annotation's thread (the author's, or a board member's). Not an
    annotation: it has no passage of its own. Copied with its annotation into the next version."""

    annotation = models.ForeignKey(Annotation, on_delete=models.PROTECT, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    comment = models.TextField(validators=COMMENT_VALIDATORS)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["annotation", "created_at", "pk"]
        verbose_name_plural = "annotation replies"

    def __str__(self) -> str:
        return f"Reply by {self.author} on annotation {self.annotation_id}"


class ReminderRule(models.TextChoices):
    INVITATION = "invitation", "Unanswered invitation"
    DUE_SOON = "due_soon", "Review due soon"
    OVERDUE = "overdue", "Review overdue"
    ESCALATION = "escalation", "Escalated to the editors"
    RE_REVIEW = "re_review", "Re-review due"


class Reminder(models.Model):
    """One reminder, escalation or re-review notice the sweep has claimed: its row is the
    claim, inserted before any mail goes out. Not the mail itself: that is a ``Notification``."""

    rule = models.CharField(max_length=20, choices=ReminderRule.choices)
    step = models.PositiveSmallIntegerField(default=1, help_text="Which reminder of the rule, from 1.")
    assignment = models.ForeignKey(
        ReviewAssignment, on_delete=models.PROTECT, null=True, blank=True, related_name="reminders"
    )
    version = models.ForeignKey(ArticleVersion, on_delete=models.PROTECT, related_name="reminders")
    due_at = models.DateTimeField(help_text="When this step of the policy came due.")
    created_at = models.DateTimeField(default=timezone.now, help_text="When the sweep claimed it.")

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "rule", "step"],
                condition=models.Q(assignment__isnull=False),
                name="one_reminder_per_assignment_rule_step",
            ),
            models.UniqueConstraint(
                fields=["version", "rule", "step"],
                condition=models.Q(assignment__isnull=True),
                name="one_notice_per_version_rule_step",
            ),
            models.CheckConstraint(
                condition=models.Q(rule="re_review", assignment__isnull=True)
                | (~models.Q(rule="re_review") & models.Q(assignment__isnull=False)),
                name="reminder_has_assignment_unless_re_review",
            ),
            models.CheckConstraint(condition=models.Q(step__gte=1), name="reminder_step_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_rule_display()} #{self.step} ({self.assignment_id or self.version_id})"


class AuditCheckpoint(models.Model):
    """How far one article's audit chain has been verified: the event number and hash
    verification continues from (editorial/checkpoints.py), and the first broken event once one
    is found. Not part of the trail: it moves forward, the events never change."""

    article = models.OneToOneField(Article, on_delete=models.CASCADE, related_name="audit_checkpoint")
    seq = models.PositiveIntegerField(default=0, help_text="Verified up to this event (0: none yet).")
    hash = models.CharField(max_length=64, default="0" * 64, help_text="The hash of event ``seq``.")
    verified_at = models.DateTimeField(null=True, blank=True)
    broken_seq = models.PositiveIntegerField(
        null=True, blank=True, help_text="The first event that failed; the checkpoint never passes it."
    )
    broken_reason = models.CharField(max_length=200, blank=True)
    alerted_at = models.DateTimeField(
        null=True, blank=True, help_text="When the editors were told the chain is broken (once)."
    )

    class Meta:
        ordering = ["article"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(broken_seq__isnull=True) | models.Q(seq__lt=models.F("broken_seq")),
                name="audit_checkpoint_before_break",
                violation_error_message="A checkpoint never passes a broken event.",
            ),
        ]

    def __str__(self) -> str:
        if self.broken_seq is not None:
            return f"{self.article}: broken at event {self.broken_seq}"
        return f"{self.article}: verified up to event {self.seq}"


class NotificationKind(models.TextChoices):
    INVITED = "invited", "Invitation to review"
    REMINDER_INVITATION = "reminder_invitation", "Reminder: unanswered invitation"
    REMINDER_DUE_SOON = "reminder_due_soon", "Reminder: review due soon"
    REMINDER_OVERDUE = "reminder_overdue", "Reminder: review overdue"
    ESCALATED = "escalated", "Escalation: overdue review"
    RE_REVIEW_DUE = "re_review_due", "Re-review due"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Version approved"
    PUBLISHED = "published", "Version published"
    AUDIT_CHAIN_BROKEN = "audit_chain_broken", "Audit trail broken"


class Notification(models.Model):
    """One email to one person, written in the same transaction as the event that causes it
    (an outbox) and sent later by a Celery task. Not the audit trail: mails may be retried,
    events never change."""

    kind = models.CharField(max_length=30, choices=NotificationKind.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notifications"
    )
    to_email = models.EmailField(max_length=254)
    version = models.ForeignKey(ArticleVersion, on_delete=models.PROTECT, related_name="notifications")
    reminder = models.ForeignKey(
        Reminder, on_delete=models.PROTECT, null=True, blank=True, related_name="notifications"
    )
    context = models.JSONField(
        default=dict, blank=True, help_text="What the templates need, fixed when the event happened."
    )
    created_at = models.DateTimeField(default=timezone.now)
    dispatched_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was last handed to the Celery broker."
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sending_since = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Set, and committed, before the mail is handed to the mail server; cleared when "
        "the attempt records its outcome. Still set when no attempt is running: that attempt was "
        "killed and may have sent the mail.",
    )
    interrupted_attempts = models.PositiveSmallIntegerField(
        default=0,
        help_text="Attempts that started and never recorded an outcome (the process died mid-send). "
        "Each may have sent the mail: if this is above 0, the recipient may have it twice.",
    )

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(sent_at__isnull=True),
                name="notification_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.to_email}"

    @property
    def is_sent(self) -> bool:
        return self.sent_at is not None

    @property
    def possibly_sent_twice(self) -> bool:
        return self.sent_at is not None and self.interrupted_attempts > 0


class PeriodicJob(models.TextChoices):
    """The jobs beat runs whose freshness the health check and the dashboard watch."""

    REMINDER_SWEEP = "reminder_sweep", "Reminder sweep"
    AUDIT_VERIFICATION = "audit_verification", "Audit chain verification"


class JobRun(models.Model):
    """When a periodic job last finished, one row per job (editorial/operations.py). Every
    machine's worker writes the same row, so any machine can tell whether beat and the
    workers are alive."""

    job = models.CharField(max_length=40, choices=PeriodicJob.choices, primary_key=True)
    finished_at = models.DateTimeField()
    detail = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"{self.get_job_display()} at {self.finished_at:%Y-%m-%d %H:%M}"


# Re-review of a live version, evidence watch and reader reports ------------------------------


class ReReviewState(models.TextChoices):
    OPEN = "open", "Open"
    CONFIRMED = "confirmed", "Confirmed: no changes needed"
    REVISION_REQUESTED = "revision_requested", "Revision requested"
    ENDED = "ended", "Ended: a newer version was published"


class ReReviewTrigger(models.TextChoices):
    SCHEDULE = "schedule", "The periodic re-review came due"
    EDITOR = "editor", "Opened by an editor"
    EVIDENCE = "evidence", "A reference was marked superseded"
    REPORT = "report", "A reader reported a problem"


class ReReview(ConcurrentTransitionMixin, models.Model):
    """One re-review cycle of a live (published) version: the board confirms it is still
    accurate and current, or asks for a revision. Its assignments and reviews are the ordinary
    ``ReviewAssignment`` and ``Review`` rows, pointing here. Not a new version: a revision is."""

    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="re_reviews")
    version = models.ForeignKey(ArticleVersion, on_delete=models.PROTECT, related_name="re_reviews")
    trigger = models.CharField(max_length=20, choices=ReReviewTrigger.choices)
    reason = models.TextField(blank=True, validators=COMMENT_VALIDATORS)
    due_at = models.DateTimeField(
        null=True, blank=True, help_text="The due date that opened it (the sweep's): one cycle per due date."
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    state = FSMField(default=ReReviewState.OPEN, choices=ReReviewState.choices, protected=True, db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    overdue_noted_at = models.DateTimeField(
        null=True, blank=True, help_text="When the sweep recorded that readers are told it is overdue."
    )

    class Meta:
        ordering = ["article", "opened_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "due_at"],
                condition=models.Q(trigger="schedule"),
                name="one_scheduled_re_review_per_due_date",
            ),
            models.UniqueConstraint(
                fields=["version"], condition=models.Q(state="open"), name="one_open_re_review_per_version"
            ),
        ]

    def __str__(self) -> str:
        return f"Re-review of {self.version} ({self.get_state_display().lower()})"

    @property
    def is_open(self) -> bool:
        return self.state == ReReviewState.OPEN

    @transition(field=state, source=ReReviewState.OPEN, target=ReReviewState.CONFIRMED)
    def confirm(self, *, at) -> None:
        self.closed_at = at

    @transition(field=state, source=ReReviewState.OPEN, target=ReReviewState.REVISION_REQUESTED)
    def request_revision(self, *, at) -> None:
        self.closed_at = at

    @transition(field=state, source=ReReviewState.OPEN, target=ReReviewState.ENDED)
    def end(self, *, at) -> None:
        self.closed_at = at

    for _method in (confirm, request_revision, end):
        _method.alters_data = True
    del _method


class ReferenceFlag(models.Model):
    """A board member's mark on one reference of a live version: the source was superseded (a
    newer guideline, a withdrawn paper, a changed label). Readers see the reference "under
    review" until the re-review it opened closes. Not a change to the reference: that is a new
    version."""

    reference = models.OneToOneField(Reference, on_delete=models.PROTECT, related_name="flag")
    version = models.ForeignKey(ArticleVersion, on_delete=models.PROTECT, related_name="reference_flags")
    re_review = models.ForeignKey(ReReview, on_delete=models.PROTECT, related_name="reference_flags")
    flagged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(validators=NOTE_VALIDATORS)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["version", "created_at", "pk"]

    def __str__(self) -> str:
        return f"Reference {self.reference_id} under review"


def max_report_chars() -> int:
    return 2000


class ReportState(models.TextChoices):
    NEW = "new", "Waiting for triage"
    DISMISSED = "dismissed", "Dismissed"
    REPLIED = "replied", "Answered"
    RE_REVIEW = "re_review", "Re-review opened"


class ReaderReport(models.Model):
    """A reader's "Report a problem with this page", with an optional email for a reply that
    is deleted after ``REPORT_RETENTION_DAYS`` and never shown publicly. Not an account, not a
    comment: only the editors read it."""

    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="reader_reports")
    version = models.ForeignKey(ArticleVersion, on_delete=models.PROTECT, related_name="+")
    message = models.TextField(
        "what is wrong", validators=[MaxLengthValidator(max_report_chars), no_null_characters]
    )
    email = models.EmailField("email for a reply", max_length=254, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    state = models.CharField(
        max_length=20, choices=ReportState.choices, default=ReportState.NEW, db_index=True
    )
    triaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    triaged_at = models.DateTimeField(null=True, blank=True)
    triage_note = models.TextField(blank=True, validators=COMMENT_VALIDATORS)
    email_deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Report on {self.article} ({self.get_state_display().lower()})"
