"""Annotations: the board's comments anchored to a passage of a version, their threads, their
resolution, and how they follow the text into the next version.

The rules of who may annotate, reply and resolve, and in which states, live here once
(``refusal``); the registry (``editorial.verbs``) asks them for the pages' forms, the services
below raise them. Each service locks the version (as ``editorial.workflow`` does), checks,
writes and records its audit event in one transaction: a refusal writes nothing.

Anchoring is the W3C Web Annotation Data Model's: a ``TextQuoteSelector`` (the exact words, with
up to 32 characters before and after) and a ``TextPositionSelector`` (start and end) over the
version's plain text, which ``articles.passages`` alone builds.

Overlapping passages: a new annotation's passage may sit inside another open annotation's, hold
it, or be the same passage (two reviewers on one claim); it may not *cross* one (start inside
it and end outside it). Crossing ranges cannot be shown as one passage beside its comments, and
a reviewer who meant the two claims together can select both whole. Carried annotations are
not refused: they keep the words they were made on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django_fsm import ConcurrentTransition

from articles.models import OPEN_VERSION_STATES, ArticleVersion, VersionState
from articles.passages import (
    CONTEXT_CHARS,
    EXACT_WITH_CONTEXT,
    NOT_FOUND,
    Passage,
    collapse,
    in_context,
    locate,
    normalize,
    occurrences,
    plain_text,
)
from editorial import audit, workflow
from editorial.errors import ConcurrentChange, InvalidInput, NotPermitted, TransitionRefused, WorkflowError
from editorial.models import (
    Anchor,
    Annotation,
    AnnotationReply,
    AnnotationState,
    AssignmentState,
    AuditAction,
    ReviewAssignment,
    Severity,
    max_annotations,
)
from editorial.roles import member_name
from editorial.selectors import annotations_on, author_may_read, open_must_fix
from editorial.verbs import VERBS

# Passages are annotated and annotations resolved while the board has the version; the author
# answers carried annotations in the next draft too.
ANNOTATING_STATES = (VersionState.SUBMITTED, VersionState.UNDER_REVIEW)
REPLYING_STATES = OPEN_VERSION_STATES
ON_THE_BOARD = (AssignmentState.INVITED, AssignmentState.ACCEPTED, AssignmentState.COMPLETED)


@dataclass(frozen=True)
class Standing:
    """One person's place on one version, found once per page (not once per annotation)."""

    user_id: int | None
    active: bool = False
    is_author: bool = False
    is_editor: bool = False
    is_assigned: bool = False

    @property
    def on_the_board(self) -> bool:
        return self.is_editor or self.is_assigned


def standing_of(version: ArticleVersion, user) -> Standing:
    """``user``'s place on ``version``: its author, an editor, a reviewer assigned to it."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Standing(user_id=None)
    assigned = (
        user.has_perm("articles.review_version")
        and ReviewAssignment.objects.filter(version=version, reviewer=user, state__in=ON_THE_BOARD).exists()
    )
    return Standing(
        user_id=user.pk,
        active=True,
        is_author=version.author_id == user.pk,
        is_editor=user.has_perm("articles.decide_version"),
        is_assigned=assigned,
    )


def _state_refused(version: ArticleVersion, verb: str) -> TransitionRefused:
    return TransitionRefused(
        f"Version {version.number} is {version.get_state_display().lower()}: {VERBS[verb].refused_state}."
    )


def _person_refused(verb: str) -> NotPermitted:
    return NotPermitted(f"You do not have permission to {VERBS[verb].refused_person}.")


def refusal(verb: str, target, user, *, standing: Standing | None = None) -> WorkflowError | None:
    """Why ``user`` may not use annotation verb ``verb`` (annotate, reply, resolve) on ``target``
    (the version to annotate; the annotation to answer or resolve) now; None when they may.
    The state is asked first: a closed version refuses whoever asks."""
    annotation = target if isinstance(target, Annotation) else None
    version = annotation.version if annotation else target
    standing = standing or standing_of(version, user)
    if verb == "annotate":
        if version.state not in ANNOTATING_STATES:
            return _state_refused(version, verb)
        if standing.is_author:
            return NotPermitted(f"You wrote version {version.number}: the board annotates it.")
        return None if standing.active and standing.on_the_board else _person_refused(verb)
    if verb == "reply":
        if version.state not in REPLYING_STATES:
            return _state_refused(version, verb)
        if not annotation.is_open:
            return TransitionRefused("This annotation is resolved: its thread is closed.")
        if not standing.active:
            return _person_refused(verb)
        if standing.on_the_board or annotation.creator_id == standing.user_id:
            return None
        if standing.is_author and author_may_read(annotation, version_state=version.state):
            return None
        return _person_refused(verb)
    if verb == "resolve":
        if version.state not in ANNOTATING_STATES:
            return _state_refused(version, verb)
        if not annotation.is_open:
            return TransitionRefused("This annotation is already resolved.")
        maker_or_editor = annotation.creator_id == standing.user_id or standing.is_editor
        if standing.active and not standing.is_author and maker_or_editor:
            return None
        return _person_refused(verb)
    raise ValueError(f"{verb!r} is not an annotation verb")


def _refuse(verb: str, target, user) -> None:
    problem = refusal(verb, target, user)
    if problem is not None:
        raise problem


def _comment(value, label: str) -> str:
    text = workflow._checked_words(value, label)
    if not text.strip():
        raise InvalidInput(
            f"Write the {label}: an empty {label} says nothing.", fields={"comment": "Required."}
        )
    return text


def _position(value, name: str) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        value = value.strip()
        if not value.isdigit():
            raise InvalidInput(f"The {name} position must be a whole number.")
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(f"The {name} position must be a whole number.")
    return value


def _anchor(version: ArticleVersion, exact, prefix, suffix, start, end) -> dict:
    """The selectors of a new annotation on ``version``, checked against its plain text."""
    for value, name in ((exact, "quote"), (prefix, "prefix"), (suffix, "suffix")):
        if value is not None and not isinstance(value, str):
            raise InvalidInput(f"The {name} must be text.")
    exact = normalize(exact or "")
    if not exact:
        raise InvalidInput(
            "Select the passage to annotate: the quote is empty.", fields={"exact": "Required."}
        )
    if len(exact) > 4000:
        raise InvalidInput("Select at most 4,000 characters: annotate a passage, not the whole text.")
    text = plain_text(version)
    start, end = _position(start, "start"), _position(end, "end")
    if (start is None) != (end is None):
        raise InvalidInput("Give both the start and the end of the passage, or neither.")
    if start is not None:
        if not start < end <= len(text.text):
            raise InvalidInput(
                f"The position {start}–{end} is outside version {version.number}'s text "
                f"({len(text.text):,} characters)."
            )
        if text.passage_at(start, end) is None:
            raise InvalidInput("Select words within one paragraph, heading or reference.")
        if text.text[start:end] != exact:
            raise InvalidInput(
                f"The position {start}–{end} holds “{text.text[start:end][:60]}”, not the quote "
                f"“{exact[:60]}”."
            )
    else:
        starts = occurrences(text.text, exact)
        if not starts:
            raise InvalidInput(f"“{exact[:80]}” is not in the text of version {version.number}.")
        prefix, suffix = collapse(prefix or "")[-CONTEXT_CHARS:], collapse(suffix or "")[:CONTEXT_CHARS]
        if len(starts) > 1:
            starts = in_context(text.text, exact, prefix, suffix, starts)
        if len(starts) != 1:
            raise InvalidInput(
                f"“{exact[:80]}” appears {len(occurrences(text.text, exact))} times in version "
                f"{version.number}: select a few more words, or give the words around it."
            )
        start, end = starts[0], starts[0] + len(exact)
    passage = text.passage_at(start, end)
    if passage is None:
        raise InvalidInput("Select words within one paragraph, heading or reference.")
    prefix, suffix = text.context(start, end)
    return {
        "exact": exact,
        "prefix": prefix,
        "suffix": suffix,
        "start": start,
        "end": end,
        "part": passage.part,
        "reference_number": passage.reference_number,
    }


def _refuse_crossing(version: ArticleVersion, start: int, end: int) -> None:
    crossing = (
        version.annotations.filter(state=AnnotationState.OPEN, start__isnull=False)
        .exclude(start__gte=end)
        .exclude(end__lte=start)
        .exclude(start__lte=start, end__gte=end)  # it holds the new one
        .exclude(start__gte=start, end__lte=end)  # the new one holds it
        .select_related("creator__board_member")
        .first()
    )
    if crossing is not None:
        raise InvalidInput(
            f"The passage crosses {member_name(crossing.creator)}'s open annotation on "
            f"“{crossing.short_quote}”: select within it, or take it in whole."
        )


@transaction.atomic
def annotation_create(
    *,
    version: ArticleVersion,
    actor,
    exact: str,
    comment: str,
    severity: str = Severity.SUGGESTION,
    confidential: bool = False,
    prefix: str = "",
    suffix: str = "",
    start: int | str | None = None,
    end: int | str | None = None,
) -> Annotation:
    """A board member's comment on a passage of a submitted version or one under review."""
    comment = _comment(comment, "comment")
    if severity not in Severity.values:
        raise InvalidInput("Mark it must fix or suggestion.", fields={"severity": "Choose one."})
    if not isinstance(confidential, bool):
        raise InvalidInput("Say whether the annotation is for the board only.")
    version = workflow._lock_version(version)
    _refuse("annotate", version, actor)
    selectors = _anchor(version, exact, prefix, suffix, start, end)
    if version.annotations.count() >= max_annotations():
        raise InvalidInput(
            f"Version {version.number} already holds {max_annotations()} annotations, the most one "
            "version may hold: answer in an existing thread instead."
        )
    _refuse_crossing(version, selectors["start"], selectors["end"])
    annotation = Annotation.objects.create(
        version=version,
        creator=actor,
        severity=severity,
        confidential=confidential,
        comment=comment,
        **selectors,
    )
    audit.record(
        article=version.article_id,
        version=version,
        actor=actor,
        action=VERBS["annotate"].action,
        data={
            "annotation": annotation.pk,
            "severity": severity,
            "part": annotation.part,
            "confidential": confidential,
            "start": annotation.start,
            "end": annotation.end,
            "digest": audit.words_digest(annotation.exact, comment),
        },
    )
    return annotation


def _lock_annotation(annotation: Annotation) -> Annotation:
    workflow._lock_version(annotation.version_id)
    return Annotation.objects.select_for_update(of=("self",)).select_related("version").get(pk=annotation.pk)


@transaction.atomic
def annotation_reply(*, annotation: Annotation, actor, comment: str) -> AnnotationReply:
    """An answer in an annotation's thread: the author's (to what the board let them read) or
    a board member's."""
    comment = _comment(comment, "answer")
    annotation = _lock_annotation(annotation)
    _refuse("reply", annotation, actor)
    reply = AnnotationReply.objects.create(annotation=annotation, author=actor, comment=comment)
    audit.record(
        article=annotation.version.article_id,
        version=annotation.version,
        actor=actor,
        action=VERBS["reply"].action,
        data={"annotation": annotation.pk, "reply": reply.pk, "digest": audit.words_digest(comment)},
    )
    return reply


@transaction.atomic
def annotation_resolve(*, annotation: Annotation, actor, note: str = "") -> Annotation:
    """Close an annotation: the board member who made it, or an editor, with a note (a must-fix
    needs one: the record says how it was fixed)."""
    note = workflow._checked_words(note, "note")
    annotation = _lock_annotation(annotation)
    _refuse("resolve", annotation, actor)
    if annotation.severity == Severity.MUST_FIX and not note.strip():
        raise InvalidInput(
            "Say how the must-fix was settled: a note is required.", fields={"note": "Required."}
        )
    annotation.resolve(by=actor, at=timezone.now(), note=note)
    try:
        annotation.save()
    except ConcurrentTransition as exc:
        raise ConcurrentChange("Someone resolved this annotation at the same moment; reload.") from exc
    audit.record(
        article=annotation.version.article_id,
        version=annotation.version,
        actor=actor,
        action=VERBS["resolve"].action,
        state_before=AnnotationState.OPEN,
        state_after=annotation.state,
        data={
            "annotation": annotation.pk,
            "severity": annotation.severity,
            "digest": audit.words_digest(note),
        },
    )
    return annotation


# Approval ----------------------------------------------------------------------------------


def approval_blocker(version: ArticleVersion) -> str:
    """The open must-fix annotations as one approval blocker (empty when there are none)."""
    found = list(open_must_fix(version=version))
    if not found:
        return ""
    named = "; ".join(f"“{a.short_quote}” ({member_name(a.creator)})" for a in found)
    return f"open must-fix annotations: {named}"


# Into the next version ---------------------------------------------------------------------


def _reanchored(text, original: Annotation) -> dict:
    """Where ``original``'s quote stands in ``text`` (a later version's plain text): its exact
    words with their context, else its exact words alone (its surroundings changed), else nowhere (the passage changed)."""
    start, end, how = locate(text.text, original.exact, original.prefix, original.suffix, near=original.start)
    passage = text.passage_at(start, end) if how != NOT_FOUND else None
    if passage is None:
        return {"start": None, "end": None, "anchor": Anchor.CHANGED}
    prefix, suffix = text.context(start, end)
    return {
        "start": start,
        "end": end,
        "anchor": Anchor.CONTEXT if how == EXACT_WITH_CONTEXT else Anchor.EXACT,
        "prefix": prefix,
        "suffix": suffix,
        "part": passage.part,
        "reference_number": passage.reference_number,
    }


def carry_forward(*, previous: ArticleVersion, version: ArticleVersion, actor) -> list[Annotation]:
    """Copy ``previous``'s open annotations onto ``version`` (its next version, just created, in
    the caller's transaction), re-anchored by their quote (``_reanchored``); where the passage is
    gone the old quote stays, shown as "passage changed". Their threads come with them. As the
    author edits the draft, ``reanchor`` places them again, from the quote they were made on."""
    open_ones = list(
        previous.annotations.filter(state=AnnotationState.OPEN).prefetch_related("replies").order_by("pk")
    )
    if not open_ones:
        return []
    text = plain_text(version)
    copies = []
    for old in open_ones:
        copy = Annotation(
            version=version,
            creator_id=old.creator_id,
            part=old.part,
            reference_number=old.reference_number,
            exact=old.exact,
            prefix=old.prefix,
            suffix=old.suffix,
            severity=old.severity,
            confidential=old.confidential,
            comment=old.comment,
            carried_from=old,
            created_at=old.created_at,
        )
        for name, value in _reanchored(text, old).items():
            setattr(copy, name, value)
        copies.append(copy)
    copies = Annotation.objects.bulk_create(copies)
    AnnotationReply.objects.bulk_create(
        [
            AnnotationReply(
                annotation=copy, author_id=reply.author_id, comment=reply.comment, created_at=reply.created_at
            )
            for old, copy in zip(open_ones, copies, strict=True)
            for reply in old.replies.all()
        ]
    )
    changed = sum(1 for copy in copies if copy.anchor == Anchor.CHANGED)
    audit.record(
        article=version.article_id,
        version=version,
        actor=actor,
        action=AuditAction.ANNOTATIONS_CARRIED,
        message=f"{len(copies)} open annotation{pluralize(len(copies))} carried from version "
        f"{previous.number}; {changed} on {'a passage' if changed == 1 else 'passages'} that changed.",
        data={"from_version": previous.number, "carried": [c.pk for c in copies], "changed": changed},
    )
    return copies


def reanchor(version: ArticleVersion) -> None:
    """Place the annotations carried into draft ``version`` again after its text changed (the
    caller's transaction), each from the quote it was made on."""
    carried = list(version.annotations.filter(carried_from__isnull=False).select_related("carried_from"))
    if not carried:
        return
    text = plain_text(version)
    fields = ("start", "end", "anchor", "prefix", "suffix", "part", "reference_number")
    for copy in carried:
        original = copy.carried_from
        found = {
            "prefix": original.prefix,
            "suffix": original.suffix,
            "part": original.part,
            "reference_number": original.reference_number,
            **_reanchored(text, original),
        }
        for name in fields:
            setattr(copy, name, found[name])
    Annotation.objects.bulk_update(carried, fields)


# Reading them beside the text (the board's version page, the author's workspace) -----------


@dataclass
class PassageRow:
    """One passage of a version and the annotations anchored in it."""

    passage: Passage
    annotations: list[Annotation] = field(default_factory=list)
    first_of_part: bool = False
    reference: object = None  # the Reference, for a reference's passage


@dataclass
class Threads:
    rows: list[PassageRow]
    changed: list[Annotation]  # carried, on a passage that is gone
    may_annotate: bool
    counts: dict

    @property
    def annotated_rows(self) -> list[PassageRow]:
        return [row for row in self.rows if row.annotations]


def threads(
    *, version: ArticleVersion, user, for_author: bool, references=(), open_only: bool = False
) -> Threads:
    """``version``'s passages, each with the annotations ``user`` may read beside it
    (``selectors.annotations_on``) and what they may do to each (``may_reply``,
    ``may_resolve``), decided from their standing, found once: the queries do not grow with
    the threads."""
    references = list(references)
    text = plain_text(version, references=references)
    standing = standing_of(version, user)
    found = annotations_on(version=version, for_author=for_author)
    if open_only:
        found = [a for a in found if a.is_open]
    by_number = {reference.number: reference for reference in references}
    rows = [
        PassageRow(passage, reference=by_number.get(passage.reference_number)) for passage in text.passages
    ]
    changed = []
    for annotation in found:
        annotation.may_reply = refusal("reply", annotation, user, standing=standing) is None
        annotation.may_resolve = refusal("resolve", annotation, user, standing=standing) is None
        passage = None if annotation.start is None else text.passage_at(annotation.start, annotation.end)
        if passage is None:
            changed.append(annotation)
        else:
            rows[passage.index].annotations.append(annotation)
    for previous, row in zip([None, *rows], rows, strict=False):
        row.first_of_part = previous is None or previous.passage.part != row.passage.part
    open_ = [a for a in found if a.is_open]
    return Threads(
        rows=rows,
        changed=changed,
        may_annotate=refusal("annotate", version, user, standing=standing) is None,
        counts={
            "open": len(open_),
            "must_fix": sum(1 for a in open_ if a.severity == Severity.MUST_FIX),
            "all": len(found),
        },
    )
