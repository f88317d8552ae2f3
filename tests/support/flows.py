"""Drive versions through the workflow with the same services users trigger."""

from articles.models import ArticleVersion
from editorial import annotations, workflow
from editorial.models import Decision
from tests.support.signing import signed

CLEAN_BODY = "Baclofen is started at a low dose [1]. Stopping it abruptly is dangerous [2]."
REFERENCES = [
    {"number": 1, "kind": "guideline", "title": "A guideline", "source": "A society", "year": 2020},
    {"number": 2, "kind": "drug_label", "title": "A prescribing information", "source": "A label"},
]


def draft(author, *, slug="an-article", body=CLEAN_BODY, references=REFERENCES) -> ArticleVersion:
    return workflow.article_create(
        author=author,
        slug=slug,
        title="Is this a question?",
        lead="The answer first.",
        body=body,
        references=references,
    )


def submitted(author, **kwargs) -> ArticleVersion:
    return workflow.version_submit(version=draft(author, **kwargs), actor=author)


def under_review(author, editor, reviewers, **kwargs) -> ArticleVersion:
    version = submitted(author, **kwargs)
    for reviewer in reviewers:
        workflow.assignment_create(version=version, reviewer=reviewer, actor=editor)
    return workflow.version_start_review(version=version, actor=editor)


def review(version, reviewer, decision=Decision.APPROVE, comment="Looks right."):
    return workflow.review_record(
        assignment=version.assignments.get(reviewer=reviewer),
        actor=reviewer,
        decision=decision,
        comment_to_author=comment,
        no_conflict_declared=True,
        citations_checked=True,
        doses_checked=True,
        signing=signed(reviewer, "review"),
    )


def approved(author, editor, reviewers, **kwargs) -> ArticleVersion:
    version = under_review(author, editor, reviewers, **kwargs)
    for reviewer in reviewers:
        review(version, reviewer)
    return workflow.version_approve(version=version, actor=editor, signing=signed(editor, "approve"))


def next_approved(first, author, editor, reviewers, **content) -> ArticleVersion:
    """The next version of ``first``'s article (with ``content`` changed), through review to approved."""
    version = workflow.version_create_next(article=first.article, author=author)
    if content:
        version = workflow.version_edit_draft(version=version, actor=author, **content)
    workflow.version_submit(version=version, actor=author)
    for reviewer in reviewers:
        workflow.assignment_create(version=version, reviewer=reviewer, actor=editor)
    workflow.version_start_review(version=version, actor=editor)
    for reviewer in reviewers:
        review(version, reviewer)
    return workflow.version_approve(version=version, actor=editor, signing=signed(editor, "approve"))


def published(author, editor, reviewers, **kwargs) -> ArticleVersion:
    version = approved(author, editor, reviewers, **kwargs)
    return workflow.version_publish(version=version, actor=editor, signing=signed(editor, "publish"))


def published_next(article, editor, reviewers, **edits) -> ArticleVersion:
    """The article's next version, edited with ``edits``, carried to published by its author
    (which supersedes the version published before it)."""
    author = article.live_version.author
    version = workflow.version_create_next(article=article, author=author)
    version = workflow.version_edit_draft(version=version, actor=author, **edits)
    version = workflow.version_submit(version=version, actor=author)
    for reviewer in reviewers:
        workflow.assignment_create(version=version, reviewer=reviewer, actor=editor)
    version = workflow.version_start_review(version=version, actor=editor)
    for reviewer in reviewers:
        review(version, reviewer)
    version = workflow.version_approve(version=version, actor=editor, signing=signed(editor, "approve"))
    return workflow.version_publish(version=version, actor=editor, signing=signed(editor, "publish"))


def annotate(version, actor, exact="started at a low dose", *, comment="Which dose, exactly?", **kwargs):
    """``actor`` comments on the words ``exact`` of ``version`` (a suggestion unless told)."""
    return annotations.annotation_create(version=version, actor=actor, exact=exact, comment=comment, **kwargs)


def re_review(version, editor, reviewers, *, reason="A newer guideline was published."):
    """A re-review of the live ``version``, opened by ``editor`` with ``reviewers`` assigned."""
    from editorial import rereview

    cycle = rereview.re_review_open(article=version.article, actor=editor, reason=reason)
    for reviewer in reviewers:
        rereview.re_review_assign(cycle=cycle, reviewer=reviewer, actor=editor)
    return cycle


def confirm(cycle, reviewer):
    """``reviewer`` confirms the version of ``cycle`` is still accurate and current, signed."""
    from editorial import rereview

    return rereview.re_review_confirm(
        assignment=cycle.assignments.get(reviewer=reviewer),
        actor=reviewer,
        no_conflict_declared=True,
        signing=signed(reviewer, "confirm"),
    )
