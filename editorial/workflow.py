"""One service per workflow verb. Views, admin actions, commands and tasks call these and
nothing else writes a version's or an assignment's state.

Each service: locks the article row and then the version row (always in that order, so two
services never deadlock), checks the actor's permission (django-fsm does not), runs the
transition, saves, and writes the audit event in the same transaction. A refusal raises a
``WorkflowError`` before anything is written. Emails are ``Notification`` rows written in the
same transaction and handed to Celery once it commits (``editorial.notifications``): a
transition never fails because the broker is down.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition, can_proceed, has_transition_perm

from articles.models import (
    OPEN_VERSION_STATES,
    Article,
    ArticleVersion,
    Reference,
    VersionFrozen,
    VersionState,
)
from articles.rules import validate_reference_number, validate_reference_numbers
from editorial import annotations, audit, notifications, signatures
from editorial.errors import (
    ApprovalBlocked,
    ConcurrentChange,
    InvalidInput,
    NotPermitted,
    TransitionRefused,
)
from editorial.models import (
    COMMENT_VALIDATORS,
    OPEN_ASSIGNMENT_STATES,
    AssignmentState,
    AuditAction,
    Decision,
    DeclineReason,
    ReReview,
    ReReviewState,
    Review,
    ReviewAssignment,
    Signature,
)
from editorial.roles import member_name
from editorial.signatures import Signing
from editorial.verbs import VERBS


def quorum() -> int:
    return settings.EDITORIAL["QUORUM"]


def _lock_version(version: ArticleVersion | int) -> ArticleVersion:
    """Lock the version's article, then the version; return the version as stored now."""
    version_id = version if isinstance(version, int) else version.pk
    article_id = ArticleVersion.objects.filter(pk=version_id).values_list("article_id", flat=True).first()
    if article_id is None:
        raise TransitionRefused("That version does not exist.")
    Article.objects.select_for_update().filter(pk=article_id).values_list("pk", flat=True).get()
    return ArticleVersion.objects.select_for_update().select_related("article").get(pk=version_id)


def _require_perm(actor, perm: str, message: str) -> None:
    if actor is None or not actor.is_active or not actor.has_perm(perm):
        raise NotPermitted(message)


def _transition(
    version: ArticleVersion,
    name: str,
    *,
    actor,
    message: str = "",
    data: dict | None = None,
    signature: Signature | None = None,
    **kwargs,
) -> ArticleVersion:
    """Run transition ``name`` (a registered verb) on a locked version as ``actor`` and record
    it under the verb's audit action (with ``signature``, saved, and its facts in the event)."""
    verb = VERBS[name]
    check_transition(version, name, actor=actor)
    if name in signatures.SIGNING_VERBS:
        signatures.require(signature)
    before = version.state
    getattr(version, name)(at=timezone.now(), **kwargs)
    try:
        version.save()
    except ConcurrentTransition as exc:
        raise ConcurrentChange(
            f"Version {version.number} was changed by someone else at the same moment; reload and try again."
        ) from exc
    if signature is not None:
        data = {**(data or {}), "signature": _save_signature(signature, version)}
    audit.record(
        article=version.article_id,
        version=version,
        actor=actor,
        action=verb.action,
        state_before=before,
        state_after=version.state,
        message=message,
        data=data,
    )
    return version


def check_transition(version: ArticleVersion, name: str, *, actor) -> None:
    """Refuse ``actor`` transition ``name`` (a registered verb) on ``version`` as it is: the
    wrong state first, whoever asks, then the wrong person."""
    verb = VERBS[name]
    method = getattr(version, name)
    if not can_proceed(method):
        raise TransitionRefused(
            f"Version {version.number} of “{version.title}” is {version.get_state_display().lower()}: "
            f"{verb.refused_state}."
        )
    if actor is None or not actor.is_active or not has_transition_perm(method, actor):
        if actor is not None and actor.pk == version.author_id and name not in ("submit", "withdraw"):
            raise NotPermitted(f"You wrote version {version.number}: someone else must decide on it.")
        raise NotPermitted(f"You do not have permission to {verb.refused_person}.")


def _signed(verb: str, *, version: ArticleVersion, actor, signing: Signing | None) -> Signature | None:
    """Outside the verb's transaction: refuse the wrong state or person as the verb would (on
    the version as stored now), then check the signature (``signatures.sign``), whose refusal
    must commit its audit event whatever happens next. The transaction checks again, locked."""
    current = ArticleVersion.objects.select_related("article").filter(pk=version.pk).first()
    if current is None:
        raise TransitionRefused("That version does not exist.")
    check_transition(current, verb, actor=actor)
    return signatures.sign(verb=verb, signer=actor, signing=signing, version=current)


def _save_signature(signature: Signature, version: ArticleVersion, *, review: Review | None = None) -> dict:
    """Save a signature ``signatures.sign`` built, on the locked ``version``; its facts."""
    signatures.check_unchanged(signature, version)
    signature.version = version
    signature.review = review
    signature.save()
    return signature.facts()


# Input -----------------------------------------------------------------------------------
# The rules for what a version, a reference or a comment may hold live on the models (the
# fields' validators and ``clean()``, ``articles.rules``). The services run them before anything
# is written, for every caller: the workspace, the admin, the demo loader, scripts. A refusal
# names the field.


def _of(where: str) -> str:
    """How a field's label says where it belongs: " of reference 3" for "Reference 3"."""
    return f" of {where[0].lower()}{where[1:]}" if where else ""


def _sentence(error: ValidationError, label: str, *, where: str = "") -> str:
    """The first message of ``error`` (about the field called ``label``) as a sentence a person
    can act on. ``where`` names what the field belongs to: "Reference 3"."""
    # A value too long is told so first: its other faults may be the length's.
    first = next((e for e in error.error_list if e.code == "max_length"), error.error_list[0])
    params = first.params or {}
    of = _of(where)
    if first.code == "max_length":
        return (
            f"The {label}{of} is {params['show_value']:,} characters long; "
            f"the limit is {params['limit_value']:,}."
        )
    if first.code == "null_characters_not_allowed":  # PostgreSQL refuses to store it
        return f"The {label}{of} contains a null character; remove it."
    if first.code == "blank":
        return f"{where} needs a {label}." if where else f"Fill in the {label}."
    message = first.messages[0]
    return f"{where}: {message[0].lower()}{message[1:]}" if where else message


def _refusal(model, error: ValidationError, *, where: str = "") -> InvalidInput:
    """``full_clean``'s error as the service's refusal, naming the first field it is about."""
    name, errors = next(iter(error.error_dict.items()))
    if name == NON_FIELD_ERRORS:
        return InvalidInput(f"{where}: {errors[0].messages[0]}" if where else errors[0].messages[0])
    label = str(model._meta.get_field(name).verbose_name)
    return InvalidInput(_sentence(ValidationError(errors), label, where=where))


def _typed(model, values: dict, *, where: str = "", strip: bool = False) -> dict:
    """``values`` as the types their fields hold, None meaning empty text. Django would save a
    list as its repr and read "1" as 1; a caller passing those gets a refusal instead."""
    typed = {}
    for name, value in values.items():
        field = model._meta.get_field(name)
        label = f"{field.verbose_name}{_of(where)}"
        if isinstance(field, models.CharField | models.TextField):
            if value is None:
                value = ""
            if not isinstance(value, str):
                raise InvalidInput(f"The {label} must be text.")
            value = value.strip() if strip else value
        elif isinstance(field, models.IntegerField) and (
            isinstance(value, bool) or not isinstance(value, int | None)
        ):
            raise InvalidInput(f"The {label} must be a whole number.")
        typed[name] = value
    return typed


def _validated(instance, names, *, where: str = "", unique: bool = False) -> dict:
    """Run the model's rules on the fields ``names`` of an unsaved ``instance``; return their
    values as Django cleaned them."""
    exclude = [field.name for field in instance._meta.fields if field.name not in names]
    try:
        instance.full_clean(exclude=exclude, validate_unique=unique, validate_constraints=False)
    except ValidationError as exc:
        raise _refusal(type(instance), exc, where=where) from None
    return {name: getattr(instance, name) for name in names}


def _checked_field(model, name: str, value, *, label: str = "") -> str:
    """One text field of ``model``, checked by its own validators."""
    field = model._meta.get_field(name)
    return _checked_words(value, label or str(field.verbose_name), field.validators)


def _checked_words(value, label: str, validators=COMMENT_VALIDATORS) -> str:
    """A comment or reason a person wrote for a verb: text within the comment limit."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"The {label} must be text.")
    errors = []
    for validator in validators:
        try:
            validator(value)
        except ValidationError as exc:
            errors.extend(exc.error_list)
    if errors:
        raise InvalidInput(_sentence(ValidationError(errors), label))
    return value


def _content_from(fields: dict) -> dict:
    unknown = set(fields) - set(ArticleVersion.CONTENT_FIELDS)
    if unknown:
        raise InvalidInput(f"Unknown version fields: {', '.join(sorted(unknown))}.")
    content = _typed(ArticleVersion, fields)
    return _validated(ArticleVersion(**content), content)


def _checked_reference(ref) -> dict:
    if not isinstance(ref, dict):
        raise InvalidInput("Each reference must be a set of fields.")
    unknown = set(ref) - set(Reference.CONTENT_FIELDS)
    if unknown:
        raise InvalidInput(f"Unknown reference fields: {', '.join(sorted(map(str, unknown)))}.")
    number = ref.get("number")
    try:
        validate_reference_number(number)  # before naming the reference by it
    except ValidationError as exc:
        raise InvalidInput(exc.messages[0]) from None
    where = f"Reference {number}"
    values = _typed(Reference, ref, where=where, strip=True)
    return _validated(Reference(**values), Reference.CONTENT_FIELDS, where=where)


def _checked_references(references) -> list[dict]:
    references = [_checked_reference(ref) for ref in references]
    try:
        validate_reference_numbers([ref["number"] for ref in references])
    except ValidationError as exc:
        raise InvalidInput(exc.messages[0]) from None
    return references


# Content ---------------------------------------------------------------------------------


def _write_references(version: ArticleVersion, references: list[dict]) -> None:
    """Replace the draft's references with ``references``, checked by ``_checked_references``."""
    version.references.all().delete()
    Reference.objects.bulk_create([Reference(version=version, **ref) for ref in references])


@transaction.atomic
def article_create(
    *, author, slug: str, topic: str = "", references: list[dict] = (), **content
) -> ArticleVersion:
    """Start an article with its first draft version."""
    _require_perm(author, "articles.submit_version", "Only authors can start articles.")
    content = _content_from(content)
    references = _checked_references(references)
    address = _typed(Article, {"slug": slug, "topic": topic})
    address = _validated(Article(**address), address, unique=True)
    article = Article.objects.create(created_by=author, **address)
    version = ArticleVersion.objects.create(article=article, number=1, author=author, **content)
    _write_references(version, references)
    audit.record(
        article=article,
        version=version,
        actor=author,
        action=AuditAction.VERSION_CREATED,
        state_after=version.state,
        message=version.change_note,
        data={"number": 1},
    )
    return version


@transaction.atomic
def version_create_next(*, article: Article, author) -> ArticleVersion:
    """Start version N+1 as a draft copy of the newest version, references included."""
    _require_perm(author, "articles.submit_version", "Only authors can write versions.")
    Article.objects.select_for_update().filter(pk=article.pk).values_list("pk", flat=True).get()
    if article.created_by_id != author.pk:
        raise NotPermitted("Only the article's author can start its next version.")
    latest = article.versions.order_by("-number").first()
    if latest is None:
        raise InvalidInput("This article has no version to start from.")
    if latest.state in OPEN_VERSION_STATES:
        raise TransitionRefused(
            f"Version {latest.number} is still {latest.get_state_display().lower()}; "
            "finish or withdraw it before starting another."
        )
    version = ArticleVersion.objects.create(
        article=article,
        number=latest.number + 1,
        author=author,
        based_on=latest,
        **{name: getattr(latest, name) for name in ArticleVersion.CONTENT_FIELDS if name != "change_note"},
    )
    Reference.objects.bulk_create(
        [
            Reference(version=version, **{k: getattr(ref, k) for k in Reference.CONTENT_FIELDS})
            for ref in latest.references.all()
        ]
    )
    audit.record(
        article=article,
        version=version,
        actor=author,
        action=AuditAction.VERSION_CREATED,
        state_after=version.state,
        data={"number": version.number, "based_on": latest.number},
    )
    annotations.carry_forward(previous=latest, version=version, actor=author)
    return version


@transaction.atomic
def version_edit_draft(
    *, version: ArticleVersion, actor, references: list[dict] | None = None, **content
) -> ArticleVersion:
    """Change a draft's content and, if given, replace its references."""
    content = _content_from(content)
    if references is not None:
        references = _checked_references(references)
    version = _lock_version(version)
    if version.author_id != getattr(actor, "pk", None):
        raise NotPermitted("Only the version's author can edit it.")
    if not version.is_editable:
        raise TransitionRefused(
            f"Version {version.number} is {version.get_state_display().lower()}: it is frozen. "
            "Start a new version to change it."
        )
    for name, value in content.items():
        setattr(version, name, value)
    try:
        version.save()
    except VersionFrozen as exc:
        raise TransitionRefused(str(exc)) from exc
    if references is not None:
        _write_references(version, references)
    annotations.reanchor(version)
    return version


# The version workflow --------------------------------------------------------------------


def check_submittable(*, version: ArticleVersion) -> None:
    """Refuse, as ``version_submit`` would, a draft that lacks what the board needs (the
    workspace asks before it shows its confirmation)."""
    missing = version.missing_to_submit()
    if missing and version.state == VersionState.DRAFT:
        raise InvalidInput(f"Fill in {', '.join(missing)} before submitting.")


@transaction.atomic
def version_submit(*, version: ArticleVersion, actor) -> ArticleVersion:
    """Freeze a draft and send it to the board with its citation findings."""
    version = _lock_version(version)
    check_submittable(version=version)
    version = _transition(version, "submit", actor=actor, message=version.change_note)
    # The findings travel with the version; they never block submission.
    audit_data = {"integrity": version.integrity}
    audit.record(
        article=version.article_id,
        version=version,
        actor=None,
        action=AuditAction.VERSION_INTEGRITY_CHECKED,
        data=audit_data,
        message=_integrity_message(version.integrity),
    )
    return version


def _integrity_message(integrity: dict) -> str:
    parts = []
    if integrity.get("unresolved"):
        parts.append("Unresolved citations: " + ", ".join(map(str, integrity["unresolved"])))
    if integrity.get("malformed"):
        parts.append("Malformed markers: " + ", ".join(integrity["malformed"]))
    if integrity.get("uncited"):
        parts.append("References never cited: " + ", ".join(map(str, integrity["uncited"])))
    return "; ".join(parts) or "Every citation resolves and every reference is cited."


NEEDS_A_REVIEWER = "Assign at least one board reviewer before starting the review."


@transaction.atomic
def version_start_review(*, version: ArticleVersion, actor) -> ArticleVersion:
    version = _lock_version(version)
    if (
        version.state == VersionState.SUBMITTED
        and not version.assignments.exclude(
            state__in=[AssignmentState.DECLINED, AssignmentState.WITHDRAWN]
        ).exists()
    ):
        raise TransitionRefused(NEEDS_A_REVIEWER)
    return _transition(version, "start_review", actor=actor)


def approval_blockers(version: ArticleVersion) -> list[str]:
    """Why an editor may not approve this version now (empty when nothing stands in the way)."""
    blockers = []
    report = version.check_integrity()
    if report.unresolved:
        blockers.append("unresolved citations (no reference): " + ", ".join(map(str, report.unresolved)))
    if report.malformed:
        blockers.append("malformed citation markers: " + ", ".join(report.malformed))
    decisions = list(version.reviews.values_list("decision", flat=True))
    approvals = decisions.count(Decision.APPROVE)
    if approvals < quorum():
        blockers.append(f"{quorum()} board approvals are needed, {approvals} recorded")
    if Decision.REQUEST_CHANGES in decisions or Decision.REJECT in decisions:
        blockers.append("a board member has requested changes or rejection")
    must_fix = annotations.approval_blocker(version)
    if must_fix:
        blockers.append(must_fix)
    return blockers


def version_approve(
    *, version: ArticleVersion, actor, signing: Signing | None = None, message: str = ""
) -> ArticleVersion:
    """The editor's final approval, electronically signed: quorum met, no open request for
    changes, every citation resolved, no open must-fix annotation."""
    message = _checked_words(message, "note")
    signature = _signed("approve", version=version, actor=actor, signing=signing)
    return _version_approve(version=version, actor=actor, message=message, signature=signature)


@transaction.atomic
def _version_approve(
    *, version: ArticleVersion, actor, message: str, signature: Signature | None
) -> ArticleVersion:
    version = _lock_version(version)
    if version.state == VersionState.UNDER_REVIEW:
        blockers = approval_blockers(version)
        if blockers:
            raise ApprovalBlocked(
                f"Version {version.number} cannot be approved: " + "; ".join(blockers) + "."
            )
    approvals = list(version.reviews.filter(decision=Decision.APPROVE).values_list("reviewer_id", flat=True))
    version = _transition(
        version,
        "approve",
        actor=actor,
        message=message,
        data={"approvals": approvals, "quorum": quorum()},
        signature=signature,
    )
    close_open_assignments(version, actor=actor)
    notifications.notify_approved(version)
    return version


def close_open_assignments(
    version: ArticleVersion,
    *,
    actor,
    assignments=None,
    message: str = "The version was decided before this review was recorded.",
    data: dict | None = None,
) -> None:
    """Withdraw the invitations and accepted reviews still open once a decision makes them moot,
    each with its audit event: the version's own (a first review), or ``assignments`` (a
    re-review cycle's, ``editorial.rereview``), locked first."""
    now = timezone.now()
    pending = assignments if assignments is not None else version.assignments.all()
    for assignment in pending.select_for_update().filter(
        state__in=[AssignmentState.INVITED, AssignmentState.ACCEPTED]
    ):
        before = assignment.state
        assignment.withdraw(at=now)
        assignment.save()
        audit.record(
            article=version.article_id,
            version=version,
            actor=actor,
            action=AuditAction.ASSIGNMENT_WITHDRAWN,
            state_before=before,
            state_after=assignment.state,
            message=message,
            data={"assignment": assignment.pk, "reviewer": assignment.reviewer_id, **(data or {})},
        )


@transaction.atomic
def version_request_changes(*, version: ArticleVersion, actor, message: str) -> ArticleVersion:
    message = _checked_words(message, "comment to the author")
    if not message.strip():
        raise InvalidInput("Say what must change: the author reads this comment.")
    version = _lock_version(version)
    version = _transition(version, "request_changes", actor=actor, message=message)
    close_open_assignments(version, actor=actor)
    # The author reads the editor's message and the reviewers' comments to the author, never
    # their confidential comments.
    notifications.notify_changes_requested(version, message=message)
    return version


@transaction.atomic
def version_reject(*, version: ArticleVersion, actor, reason: str) -> ArticleVersion:
    reason = _checked_words(reason, "reason")
    if not reason.strip():
        raise InvalidInput("Give the reason for rejecting: the author reads it.")
    version = _lock_version(version)
    version = _transition(version, "reject", actor=actor, message=reason, reason=reason)
    close_open_assignments(version, actor=actor)
    return version


def version_publish(*, version: ArticleVersion, actor, signing: Signing | None = None) -> ArticleVersion:
    """Make an approved version the one readers see, electronically signed; the previous live
    version is superseded."""
    signature = _signed("publish", version=version, actor=actor, signing=signing)
    return _version_publish(version=version, actor=actor, signature=signature)


@transaction.atomic
def _version_publish(*, version: ArticleVersion, actor, signature: Signature | None) -> ArticleVersion:
    version = _lock_version(version)
    version = _transition(version, "publish", actor=actor, signature=signature)
    article = version.article
    previous = article.live_version_id and ArticleVersion.objects.select_for_update().get(
        pk=article.live_version_id
    )
    if previous and previous.state == VersionState.PUBLISHED:
        _transition(previous, "supersede", actor=actor, data={"by_version": version.number})
        _end_re_reviews(previous, actor=actor, by=version)
    Article.objects.filter(pk=article.pk).update(live_version=version)
    article.live_version = version
    notifications.notify_published(version)
    return version


def _end_re_reviews(previous: ArticleVersion, *, actor, by: ArticleVersion) -> None:
    """A newer version is live: an open re-review of the previous one ends, its open
    assignments are withdrawn (``editorial.rereview`` holds the rest of the re-review rules)."""
    now = timezone.now()
    for cycle in ReReview.objects.select_for_update().filter(version=previous, state=ReReviewState.OPEN):
        for assignment in cycle.assignments.select_for_update().filter(state__in=OPEN_ASSIGNMENT_STATES):
            before = assignment.state
            assignment.withdraw(at=now)
            assignment.save()
            audit.record(
                article=previous.article_id,
                version=previous,
                actor=actor,
                action=AuditAction.ASSIGNMENT_WITHDRAWN,
                state_before=before,
                state_after=assignment.state,
                message="A newer version was published before this re-review was recorded.",
                data={"assignment": assignment.pk, "reviewer": assignment.reviewer_id, "re_review": cycle.pk},
            )
        before = cycle.state
        cycle.end(at=now)
        cycle.save()
        audit.record(
            article=previous.article_id,
            version=previous,
            actor=actor,
            action=AuditAction.RE_REVIEW_ENDED,
            state_before=before,
            state_after=cycle.state,
            message=f"Version {by.number} replaced version {previous.number} before its re-review closed.",
            data={"re_review": cycle.pk, "by_version": by.number},
        )


@transaction.atomic
def version_withdraw(*, version: ArticleVersion, actor, reason: str = "") -> ArticleVersion:
    reason = _checked_words(reason, "reason")
    version = _lock_version(version)
    version = _transition(version, "withdraw", actor=actor, message=reason, reason=reason)
    close_open_assignments(version, actor=actor)
    return version


def version_retract(
    *, version: ArticleVersion, actor, reason: str, signing: Signing | None = None
) -> ArticleVersion:
    """Take a published version off the site, electronically signed; readers see the
    retraction notice and reason."""
    reason = _checked_words(reason, "reason")
    if not reason.strip():
        raise InvalidInput("Give the reason for the retraction: readers see it.")
    signature = _signed("retract", version=version, actor=actor, signing=signing)
    return _version_retract(version=version, actor=actor, reason=reason, signature=signature)


@transaction.atomic
def _version_retract(
    *, version: ArticleVersion, actor, reason: str, signature: Signature | None
) -> ArticleVersion:
    version = _lock_version(version)
    return _transition(version, "retract", actor=actor, message=reason, reason=reason, signature=signature)


# Assignments and reviews -----------------------------------------------------------------


def check_assignable(*, version: ArticleVersion, actor, re_review=None) -> None:
    """Refuse, as ``assignment_create`` would, when ``actor`` may not assign reviewers to
    ``version`` in its present state (the admin asks before showing the assign page). A
    re-review (``re_review``) takes reviewers on the live version while it is open."""
    _require_perm(actor, "articles.decide_version", "Only editors can assign reviewers.")
    if re_review is not None:
        if re_review.version_id != version.pk or not re_review.is_open:
            raise TransitionRefused("Reviewers are assigned to a re-review only while it is open.")
        return
    if version.state not in (VersionState.SUBMITTED, VersionState.UNDER_REVIEW):
        raise TransitionRefused(
            f"Version {version.number} is {version.get_state_display().lower()}: reviewers are "
            "assigned only to submitted versions or versions under review."
        )


def _due(days: int) -> datetime:
    return timezone.now() + timedelta(days=days)


@transaction.atomic
def assignment_create(
    *,
    version: ArticleVersion,
    reviewer,
    actor,
    response_due: datetime | None = None,
    review_due: datetime | None = None,
    re_review=None,
) -> ReviewAssignment:
    """Invite a board member to review a version (or, with ``re_review``, to re-review the live
    version in that cycle: ``editorial.rereview``)."""
    _require_perm(actor, "articles.decide_version", "Only editors can assign reviewers.")
    version = _lock_version(version)
    if re_review is not None:
        re_review = type(re_review).objects.select_for_update().get(pk=re_review.pk)
    check_assignable(version=version, actor=actor, re_review=re_review)
    if not reviewer.is_active or not reviewer.has_perm("articles.review_version"):
        raise InvalidInput(f"{member_name(reviewer)} is not a board reviewer.")
    if reviewer.pk == version.author_id:
        raise NotPermitted("Nobody reviews a version they wrote.")
    if version.assignments.filter(reviewer=reviewer, re_review=re_review).exists():
        raise ConcurrentChange(f"{member_name(reviewer)} is already assigned to this version.")
    policy = settings.EDITORIAL
    try:
        with transaction.atomic():
            assignment = ReviewAssignment.objects.create(
                version=version,
                reviewer=reviewer,
                assigned_by=actor,
                re_review=re_review,
                response_due=response_due or _due(policy["RESPONSE_DAYS"]),
                review_due=review_due or _due(policy["REVIEW_DAYS"]),
            )
    except IntegrityError as exc:
        raise ConcurrentChange(f"{member_name(reviewer)} is already assigned to this version.") from exc
    audit.record(
        article=version.article_id,
        version=version,
        actor=actor,
        action=AuditAction.ASSIGNMENT_CREATED,
        state_after=assignment.state,
        message=f"{member_name(reviewer)} invited to review.",
        data={
            "assignment": assignment.pk,
            "reviewer": reviewer.pk,
            "review_due": assignment.review_due.date().isoformat(),
            **({"re_review": re_review.pk} if re_review is not None else {}),
        },
    )
    notifications.notify_invited(assignment)
    return assignment


def _lock_assignment(assignment: ReviewAssignment) -> tuple[ArticleVersion, ReviewAssignment]:
    version = _lock_version(assignment.version_id)
    return version, ReviewAssignment.objects.select_for_update().get(pk=assignment.pk)


@transaction.atomic
def assignment_accept(*, assignment: ReviewAssignment, actor) -> ReviewAssignment:
    version, assignment = _lock_assignment(assignment)
    if assignment.reviewer_id != getattr(actor, "pk", None):
        raise NotPermitted("Only the invited reviewer can accept this invitation.")
    if not can_proceed(assignment.accept):
        raise TransitionRefused(f"This invitation is {assignment.get_state_display().lower()}.")
    before = assignment.state
    assignment.accept(at=timezone.now())
    assignment.save()
    audit.record(
        article=version.article_id,
        version=version,
        actor=actor,
        action=VERBS["accept"].action,
        state_before=before,
        state_after=assignment.state,
        data={"assignment": assignment.pk},
    )
    return assignment


@transaction.atomic
def assignment_decline(
    *, assignment: ReviewAssignment, actor, reason: str, note: str = ""
) -> ReviewAssignment:
    """The invited reviewer says no, with a reason from the short list."""
    note = _checked_field(ReviewAssignment, "decline_note", note, label="note")
    version, assignment = _lock_assignment(assignment)
    if assignment.reviewer_id != getattr(actor, "pk", None):
        raise NotPermitted("Only the invited reviewer can decline this invitation.")
    if reason not in DeclineReason.values:
        raise InvalidInput(
            "Choose a reason: " + ", ".join(str(label) for label in DeclineReason.labels) + "."
        )
    if not can_proceed(assignment.decline):
        raise TransitionRefused(f"This invitation is {assignment.get_state_display().lower()}.")
    before = assignment.state
    assignment.decline(at=timezone.now(), reason=reason, note=note)
    assignment.save()
    # The free-text note may be personal (a conflict of interest): it stays on the assignment.
    audit.record(
        article=version.article_id,
        version=version,
        actor=actor,
        action=VERBS["decline"].action,
        state_before=before,
        state_after=assignment.state,
        data={"assignment": assignment.pk, "reason": reason},
    )
    return assignment


@transaction.atomic
def assignment_withdraw(*, assignment: ReviewAssignment, actor, reason: str = "") -> ReviewAssignment:
    """An editor takes back an invitation or an accepted assignment."""
    _require_perm(actor, "articles.decide_version", "Only editors can withdraw an assignment.")
    reason = _checked_words(reason, "reason")
    version, assignment = _lock_assignment(assignment)
    if not can_proceed(assignment.withdraw):
        raise TransitionRefused(f"This assignment is {assignment.get_state_display().lower()}.")
    before = assignment.state
    assignment.withdraw(at=timezone.now())
    assignment.save()
    audit.record(
        article=version.article_id,
        version=version,
        actor=actor,
        action=AuditAction.ASSIGNMENT_WITHDRAWN,
        state_before=before,
        state_after=assignment.state,
        message=reason,
        data={"assignment": assignment.pk, "reviewer": assignment.reviewer_id},
    )
    return assignment


def _review_digest(review: Review) -> str:
    """A hash of the review's words, so the audit trail can prove them without showing them."""
    return audit.words_digest(
        review.decision, review.comment_to_author, review.confidential_comment, review.conflict_statement
    )


CHECK_BEFORE_APPROVING = "Before approving, check the citations against their sources and the doses."


def _review_problems(
    *, decision, comment_to_author, no_conflict_declared, conflict_statement, citations_checked, doses_checked
) -> dict[str, str]:
    """Everything wrong with a review, each under the field at fault (all at once, so the
    reviewer can fix them in one go)."""
    problems = {}
    if decision not in Decision.values:
        problems["decision"] = f"Unknown decision “{decision}”."
    if not no_conflict_declared and not conflict_statement.strip():
        problems["no_conflict_declared"] = (
            "Declare that you have no conflict of interest, or describe the conflict."
        )
    if conflict_statement.strip() and decision == Decision.APPROVE:
        problems["conflict_statement"] = (
            "A reviewer with a declared conflict of interest cannot approve; decline the assignment instead."
        )
    if decision == Decision.APPROVE and not citations_checked:
        problems["citations_checked"] = CHECK_BEFORE_APPROVING
    if decision == Decision.APPROVE and not doses_checked:
        problems["doses_checked"] = CHECK_BEFORE_APPROVING
    if decision in Decision.values and decision != Decision.APPROVE and not comment_to_author.strip():
        problems["comment_to_author"] = "Say what must change: the author reads this comment."
    return problems


def _refuse_problems(**review) -> None:
    problems = _review_problems(**review)
    if problems:
        raise InvalidInput(" ".join(dict.fromkeys(problems.values())), fields=problems)


def review_record(
    *,
    assignment: ReviewAssignment,
    actor,
    decision: str,
    signing: Signing | None = None,
    comment_to_author: str = "",
    confidential_comment: str = "",
    no_conflict_declared: bool = False,
    conflict_statement: str = "",
    citations_checked: bool = False,
    doses_checked: bool = False,
) -> Review:
    """A board member's decision on the version they were assigned. An approving decision is
    an electronic signature (``signing``); the others are not signed."""
    comment_to_author = _checked_field(Review, "comment_to_author", comment_to_author)
    confidential_comment = _checked_field(Review, "confidential_comment", confidential_comment)
    conflict_statement = _checked_field(Review, "conflict_statement", conflict_statement)
    signature = None
    if decision == Decision.APPROVE:
        # Outside the transaction, as ``_signed``: the checks first, on the rows as stored now.
        current = ReviewAssignment.objects.select_related("version__article").get(pk=assignment.pk)
        _check_review(current.version, current, actor=actor)
        _refuse_problems(
            decision=decision,
            comment_to_author=comment_to_author,
            no_conflict_declared=no_conflict_declared,
            conflict_statement=conflict_statement,
            citations_checked=citations_checked,
            doses_checked=doses_checked,
        )
        signature = signatures.sign(verb="review", signer=actor, signing=signing, version=current.version)
    return _review_record(
        assignment=assignment,
        actor=actor,
        decision=decision,
        signature=signature,
        comment_to_author=comment_to_author,
        confidential_comment=confidential_comment,
        no_conflict_declared=no_conflict_declared,
        conflict_statement=conflict_statement,
        citations_checked=citations_checked,
        doses_checked=doses_checked,
    )


def _check_review(version: ArticleVersion, assignment: ReviewAssignment, *, actor) -> None:
    """Refuse ``actor`` a review of ``assignment`` on ``version`` as they are."""
    _require_perm(actor, "articles.review_version", "Only board reviewers can record a review.")
    if assignment.reviewer_id != actor.pk:
        raise NotPermitted("Only the assigned reviewer can record this review.")
    if version.author_id == actor.pk:
        raise NotPermitted("Nobody reviews a version they wrote.")
    if version.state != VersionState.UNDER_REVIEW:
        raise TransitionRefused(
            f"Version {version.number} is {version.get_state_display().lower()}: reviews are "
            "recorded only while it is under review."
        )
    if assignment.state not in (AssignmentState.INVITED, AssignmentState.ACCEPTED):
        raise TransitionRefused(f"This assignment is {assignment.get_state_display().lower()}.")


@transaction.atomic
def _review_record(
    *,
    assignment: ReviewAssignment,
    actor,
    decision: str,
    signature: Signature | None,
    comment_to_author: str,
    confidential_comment: str,
    no_conflict_declared: bool,
    conflict_statement: str,
    citations_checked: bool,
    doses_checked: bool,
) -> Review:
    version, assignment = _lock_assignment(assignment)
    _check_review(version, assignment, actor=actor)
    _refuse_problems(
        decision=decision,
        comment_to_author=comment_to_author,
        no_conflict_declared=no_conflict_declared,
        conflict_statement=conflict_statement,
        citations_checked=citations_checked,
        doses_checked=doses_checked,
    )
    if decision == Decision.APPROVE:
        signatures.require(signature)
    before = assignment.state
    review = Review.objects.create(
        assignment=assignment,
        version=version,
        reviewer=actor,
        decision=decision,
        comment_to_author=comment_to_author,
        confidential_comment=confidential_comment,
        no_conflict_declared=no_conflict_declared,
        conflict_statement=conflict_statement,
        citations_checked=citations_checked,
        doses_checked=doses_checked,
    )
    assignment.complete(at=review.created_at)
    assignment.save()
    data = {
        "decision": decision,
        "review": review.pk,
        "digest": _review_digest(review),
        "citations_checked": citations_checked,
        "doses_checked": doses_checked,
    }
    if signature is not None:
        data["signature"] = _save_signature(signature, version, review=review)
    audit.record(
        article=version.article_id,
        version=version,
        actor=actor,
        action=VERBS["review"].action,
        state_before=before,
        state_after=assignment.state,
        message=review.get_decision_display(),
        data=data,
    )
    return review
