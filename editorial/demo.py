"""The demo: fictional board members carry the real baclofen article through the real
workflow services, exactly as ``shared/seed/README.md`` describes.

Then version 3, a wording-only change (headings in sentence case: no new statement, dose or
source), goes under review with one reviewer overdue, so a newcomer sees the reminder sweep
remind that reviewer and alert the editors while readers still see version 2."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from articles.models import Article, ArticleVersion, VersionState
from editorial import annotations, reports, workflow
from editorial.models import Anchor, BoardMember, Decision, ReaderReport, Severity
from editorial.roles import ensure_roles
from editorial.signatures import MEANINGS, Signing

CONTENT_DIR = Path(__file__).resolve().parent.parent / "articles" / "content"
DEMO_SLUG = "baclofen-muscle-cramping"


@dataclass(frozen=True)
class DemoPerson:
    username: str
    first_name: str
    last_name: str
    role: str
    credentials: str = ""
    specialty: str = ""
    biography: str = ""
    conflicts: str = ""


FICTIONAL = "A fictional board member of this demonstration site."

# Fictional people. Only the article and its sources are real: their biographies say so, and
# name no real institution, publication or sponsor.
PEOPLE = (
    DemoPerson("dana.author", "Dana", "Whitfield", "Author"),
    DemoPerson(
        "priya.raman",
        "Priya",
        "Raman",
        "Reviewer",
        "MD",
        "Hepatology",
        f"{FICTIONAL} In this demo she reviews articles on liver disease and on the muscle "
        "cramps that often come with it.",
    ),
    DemoPerson(
        "tomas.lindqvist",
        "Tomas",
        "Lindqvist",
        "Reviewer",
        "MD, PhD",
        "Neurology",
        f"{FICTIONAL} In this demo he reviews articles on spasticity and nerve disorders.",
        "Fictional, for the demo: paid speaker for a fictional company that makes no muscle "
        "relaxant. Shown to illustrate how a declared interest reads.",
    ),
    DemoPerson(
        "grace.okafor",
        "Grace",
        "Okafor",
        "Reviewer",
        "PharmD",
        "Clinical pharmacology",
        f"{FICTIONAL} In this demo she checks doses, interactions and prescribing information.",
    ),
    DemoPerson(
        "helen.brandt",
        "Helen",
        "Brandt",
        "Editor",
        "MD",
        "Board chair",
        f"{FICTIONAL} In this demo she chairs the board and records its decisions.",
    ),
)


def demo_password() -> str:
    return os.environ.get("DEMO_PASSWORD", "medreview-demo")


def demo_signing(verb: str) -> Signing:
    """The demo's people sign with the demo password (it stands in for the signer's own) and
    the first meaning the verb offers."""
    return Signing(password=demo_password(), meaning=MEANINGS[verb][0].value)


def load_content(slug: str = DEMO_SLUG) -> dict:
    folder = CONTENT_DIR / slug
    spec = json.loads((folder / "article.json").read_text())
    for version in spec["versions"]:
        version["body"] = (folder / version.pop("body_file")).read_text()
        if "summary_file" in version:
            version["summary"] = (folder / version.pop("summary_file")).read_text().strip()
    return spec


def ensure_people() -> dict[str, object]:
    User = get_user_model()
    ensure_roles()
    users = {}
    for person in PEOPLE:
        user, created = User.objects.get_or_create(
            username=person.username,
            defaults={
                "first_name": person.first_name,
                "last_name": person.last_name,
                "email": f"{person.username}@example.org",
                "is_staff": person.role != "Author",
            },
        )
        if created:
            user.set_password(demo_password())
            user.save()
        user.groups.add(Group.objects.get(name=person.role))
        if person.role in ("Reviewer", "Editor"):
            BoardMember.objects.get_or_create(
                user=user,
                defaults={
                    "display_name": f"Dr. {person.first_name} {person.last_name}",
                    "credentials": person.credentials,
                    "specialty": person.specialty,
                    "biography": person.biography,
                    "conflicts_of_interest": person.conflicts,
                    "public": True,
                },
            )
        users[person.username] = User.objects.get(pk=user.pk)  # fresh permission cache
    return users


def _content(spec: dict) -> dict:
    return {k: spec[k] for k in ("title", "lead", "body", "summary", "change_note")}


@transaction.atomic
def load_demo(*, log=print) -> Article:
    """Create the demo people, publish the baclofen article, and put a wording-only version 3
    under review with one reviewer overdue. Safe to run twice: each step runs only if its
    result is missing."""
    users = ensure_people()
    article = Article.objects.filter(slug=DEMO_SLUG).first()
    if article is None:
        article = _publish_first_versions(users, log)
    else:
        log(f"The demo article is already loaded: /articles/{DEMO_SLUG}/")
    _put_update_under_review(article, users, log)
    _put_reader_report(article, log)
    return Article.objects.get(pk=article.pk)


# A reader's report, waiting on the editors' dashboard. It invents no medical fact: a reader
# says a link is hard to find and asks when the page was last checked.
DEMO_REPORT = (
    "I could not find the link to the prescribing information you cite; it is hard to spot in the "
    "list of sources. Also, when was this page last checked against its sources?"
)


def _put_reader_report(article: Article, log) -> None:
    if ReaderReport.objects.filter(article=article).exists():
        return
    reports.report_submit(article=article, message=DEMO_REPORT)
    log("A reader's report is waiting on the editors' dashboard (Reader reports).")


def _publish_first_versions(users: dict, log) -> Article:
    spec = load_content()
    first, second = spec["versions"]
    author, editor = users["dana.author"], users["helen.brandt"]
    priya, tomas, grace = users["priya.raman"], users["tomas.lindqvist"], users["grace.okafor"]

    # Version 1, as the source page had it: six sources cited, three listed.
    v1 = workflow.article_create(
        author=author,
        slug=spec["slug"],
        topic=spec["topic"],
        references=first["references"],
        **_content(first),
    )
    v1 = workflow.version_submit(version=v1, actor=author)
    log(
        f"v1 submitted; citation check: unresolved {v1.integrity['unresolved']}, "
        f"uncited {v1.integrity['uncited']}"
    )
    for reviewer in (priya, tomas):
        workflow.assignment_create(version=v1, reviewer=reviewer, actor=editor)
    workflow.version_start_review(version=v1, actor=editor)
    findings = _annotate_findings(v1, priya=priya, tomas=tomas)
    log(
        f"v1: {len(findings)} must-fix annotations anchored to the claims cited 2, 4 and 5 and to “Bacloffen”"
    )
    unresolved = ", ".join(map(str, v1.integrity["unresolved"]))
    reviews = {
        priya: (
            f"The citation check reports citations {unresolved} as unresolved: the body cites six "
            "sources and the reference list has three. Each of those statements needs a real, "
            "identifiable source, or must lose its citation number. Reference 3's title is "
            "misspelt (“Bacloffen”)."
        ),
        tomas: (
            "The approved indication, the rheumatic-disorder non-indication, the abrupt-withdrawal "
            "warning and the tolerance statements cite sources that are not listed. The "
            "prescribing information covers the first three; I know of no identifiable source "
            "the page meant for tolerance."
        ),
    }
    for reviewer, comment in reviews.items():
        assignment = v1.assignments.get(reviewer=reviewer)
        workflow.review_record(
            assignment=assignment,
            actor=reviewer,
            decision=Decision.REQUEST_CHANGES,
            comment_to_author=comment,
            no_conflict_declared=True,
            citations_checked=True,
            doses_checked=True,
            confidential_comment="Demo note for editors only: never shown to authors or readers.",
        )
    workflow.version_request_changes(
        version=v1,
        actor=editor,
        message=f"Citations {unresolved} have no reference. Cite a real, identifiable source for "
        "each statement, or remove the citation number and say why.",
    )

    # Version 2: the drug label backs 2 and 4; the tolerance statements lose their number.
    v2 = workflow.version_create_next(article=v1.article, author=author)
    v2 = workflow.version_edit_draft(
        version=v2, actor=author, references=second["references"], **_content(second)
    )
    _answer_findings(v2, author=author)
    v2 = workflow.version_submit(version=v2, actor=author)
    log(
        f"v2 submitted; citation check: unresolved {v2.integrity['unresolved']}, "
        f"uncited {v2.integrity['uncited']}"
    )
    for reviewer in (priya, grace):
        workflow.assignment_create(version=v2, reviewer=reviewer, actor=editor)
    workflow.version_start_review(version=v2, actor=editor)
    _resolve_findings(v2, editor=editor, log=log)
    for reviewer in (priya, grace):
        workflow.review_record(
            assignment=v2.assignments.get(reviewer=reviewer),
            actor=reviewer,
            decision=Decision.APPROVE,
            signing=demo_signing("review"),
            no_conflict_declared=True,
            citations_checked=True,
            doses_checked=True,
            comment_to_author="Every citation now resolves to a listed source.",
        )
    workflow.version_approve(version=v2, actor=editor, signing=demo_signing("approve"))
    v2 = workflow.version_publish(version=v2, actor=editor, signing=demo_signing("publish"))
    log(f"v2 published: /articles/{DEMO_SLUG}/")
    return ArticleVersion.objects.get(pk=v2.pk).article


# The board's findings on version 1, each anchored to the words it is about (all of them are in
# the seed page), with the author's answer in version 2 and how it was settled. No source,
# dose or bibliographic detail beyond what the seed README and version 2's change note state.
FINDINGS = (
    (
        "priya",
        "Baclofen is officially indicated for spasticity resulting from multiple sclerosis, spinal "
        "cord injuries, and other spinal cord diseases",
        "Cited as 2, which has no entry in the reference list. The baclofen prescribing information "
        "states the approved indication: cite it, or remove the number.",
        "Now cites the baclofen prescribing information, reference 2.",
        "Reference 2 is the prescribing information, which states the indication.",
    ),
    (
        "tomas",
        "Can lead to hallucinations and withdrawal symptoms",
        "Cited as 4, which has no entry in the reference list. The prescribing information carries "
        "the warning about abrupt withdrawal.",
        "Now cites the baclofen prescribing information, reference 2, as does the other "
        "withdrawal statement.",
        "The withdrawal warning now cites the prescribing information.",
    ),
    (
        "tomas",
        "Potential for tolerance development with long-term use",
        "Cited as 5, which has no entry in the reference list, and I know of no identifiable source "
        "the page meant. Without one, the number must go.",
        "No identifiable source: both tolerance statements lose their citation number.",
        "The tolerance statements no longer cite a source that does not exist.",
    ),
    (
        "priya",
        "Bacloffen",
        "Misspelt in reference 3's title: “Baclofen”.",
        "Corrected to “Baclofen”, with the other reference titles and journal names.",
        "Corrected in version 2.",
    ),
)


def _annotate_findings(v1: ArticleVersion, **reviewers) -> list:
    return [
        annotations.annotation_create(
            version=v1, actor=reviewers[who], exact=quote, comment=comment, severity=Severity.MUST_FIX
        )
        for who, quote, comment, _, _ in FINDINGS
    ]


def _answer_findings(v2: ArticleVersion, *, author) -> None:
    carried = {a.exact: a for a in v2.annotations.all()}
    for _, quote, _, answer, _ in FINDINGS:
        annotations.annotation_reply(annotation=carried[quote], actor=author, comment=answer)


def _resolve_findings(v2: ArticleVersion, *, editor, log) -> None:
    """Dr. Raman resolves her own findings (she reviews version 2 too); the editor resolves Dr.
    Lindqvist's, who is not on version 2."""
    carried = {a.exact: a for a in v2.annotations.select_related("creator")}
    for _, quote, _, _, note in FINDINGS:
        annotation = carried[quote]
        actor = annotation.creator if v2.assignments.filter(reviewer=annotation.creator).exists() else editor
        annotations.annotation_resolve(annotation=annotation, actor=actor, note=note)
    changed = sum(1 for a in carried.values() if a.anchor == Anchor.CHANGED)
    log(
        f"v2: {len(carried)} must-fix annotations carried from v1 ({changed} on a passage that changed), answered and resolved"
    )


HEADING = re.compile(r"^(#{1,6} )(.+)$")
ACRONYM = re.compile(r"^[A-Z0-9]{2,}$")


def sentence_case_headings(markdown: str) -> str:
    """Headings in sentence case (the house style); every other line untouched. Acronyms
    (all capitals) keep their case."""

    def fix(line: str) -> str:
        match = HEADING.match(line)
        if not match:
            return line
        first, *rest = match.group(2).split(" ")
        first = first[:1] + "-".join(
            part if ACRONYM.match(part) else part.lower() for part in first[1:].split("-")
        )
        words = [word if ACRONYM.match(word.strip("():,")) else word.lower() for word in rest]
        return match.group(1) + " ".join([first, *words])

    return "\n".join(fix(line) for line in markdown.split("\n"))


V3_CHANGE_NOTE = (
    "Wording only: headings in sentence case, as the house style asks. No statement, dose or "
    "reference changed."
)


def _put_update_under_review(article: Article, users: dict, log) -> None:
    """Version 3 under review, with Dr. Lindqvist's review overdue long enough for the sweep
    to remind him and alert the editors, and Dr. Okafor's due in ten days."""
    latest = article.versions.order_by("-number").first()
    if latest.number != 2 or latest.state != VersionState.PUBLISHED:
        return  # version 3 exists already (or the demo has been taken further by hand)
    author, editor = users["dana.author"], users["helen.brandt"]
    tomas, grace = users["tomas.lindqvist"], users["grace.okafor"]
    v3 = workflow.version_create_next(article=article, author=author)
    body = sentence_case_headings(v3.body)
    changed = [(a, b) for a, b in zip(v3.body.split("\n"), body.split("\n"), strict=True) if a != b]
    if any(not HEADING.match(a) for a, _ in changed):  # never touch a statement
        raise AssertionError("The version 3 edit must change headings only.")
    v3 = workflow.version_edit_draft(version=v3, actor=author, body=body, change_note=V3_CHANGE_NOTE)
    v3 = workflow.version_submit(version=v3, actor=author)
    policy = settings.EDITORIAL
    now = timezone.now()
    # Overdue past the last reminder: the first sweep sends the reminder due now and the escalation.
    overdue_by = timedelta(days=policy["OVERDUE_EVERY_DAYS"] * policy["OVERDUE_MAX_REMINDERS"], hours=1)
    late = workflow.assignment_create(
        version=v3,
        reviewer=tomas,
        actor=editor,
        response_due=now - overdue_by - timedelta(days=7),
        review_due=now - overdue_by,
    )
    on_time = workflow.assignment_create(
        version=v3, reviewer=grace, actor=editor, review_due=now + timedelta(days=10)
    )
    for assignment, reviewer in ((late, tomas), (on_time, grace)):
        workflow.assignment_accept(assignment=assignment, actor=reviewer)
    workflow.version_start_review(version=v3, actor=editor)
    log(
        f"v3 (headings in sentence case, wording only) under review; {len(changed)} headings changed. "
        f"Dr. Lindqvist's review was due {late.review_due:%Y-%m-%d} (overdue): "
        "`manage.py send_reminders` or the next beat sweep reminds him and alerts the editors."
    )
