"""Reader pages: only published articles, to anonymous readers."""

from django.shortcuts import render

from articles import selectors
from editorial import selectors as editorial_selectors
from editorial.audit import PUBLIC_ACTIONS


def article_list(request):
    return render(request, "articles/article_list.html", {"articles": selectors.published_articles()})


def article_detail(request, slug: str):
    article = selectors.readable_article(slug=slug)
    version = article.live_version
    history = [
        {"event": event, "label": PUBLIC_ACTIONS[event.action]}
        for event in editorial_selectors.public_history(article=article)
    ]
    lead_html, body_html = version.render()
    context = {
        "article": article,
        "version": version,
        "lead_html": lead_html,
        "body_html": body_html,
        "references": list(version.references.all()),
        "approvals": list(editorial_selectors.approving_reviews(version=version)),
        "history": history,
        "update_under_review": editorial_selectors.update_under_review(article=article),
    }
    return render(request, "articles/article_detail.html", context)
