"""The version page's annotations: the passages with their threads beside them, the form that
annotates a passage (per paragraph without JavaScript, from a selection with it), the reply and
resolve forms, and the W3C JSON-LD of them all. Every write calls the registry's verb."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path

from articles.models import ArticleVersion
from articles.passages import PlainText, plain_text
from editorial import annotations, selectors
from editorial.admin import webannotation
from editorial.admin.forms import AnnotateForm
from editorial.admin.options import version_url
from editorial.annotations import refusal
from editorial.errors import InvalidInput, WorkflowError
from editorial.models import Annotation
from editorial.verbs import VERBS


def annotation_context(version: ArticleVersion, user, *, references=()) -> dict:
    """What the version page shows of the annotations (``editorial.annotations.threads``)."""
    threads = annotations.threads(version=version, user=user, for_author=False, references=references)
    return {
        "passage_rows": threads.rows,
        "changed_annotations": threads.changed,
        "may_annotate": threads.may_annotate,
        "annotation_counts": threads.counts,
    }


def _initial(text: PlainText, index: str | None) -> dict:
    """The form's selectors for the whole passage ``index`` (the paragraph's own link)."""
    try:
        passage = text.passages[int(index)]
    except (TypeError, ValueError, IndexError):
        return {}
    prefix, suffix = text.context(passage.start, passage.end)
    return {
        "exact": passage.text,
        "prefix": prefix,
        "suffix": suffix,
        "start": passage.start,
        "end": passage.end,
    }


class AnnotationViews:
    """Mixed into the version admin (``editorial.admin.versions``): its ``_version`` and
    ``version_page``."""

    def annotation_urls(self) -> list:
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:object_id>/annotations.jsonld",
                wrap(self.annotations_jsonld_view),
                name="articles_articleversion_annotations_jsonld",
            ),
            path(
                "<int:object_id>/annotate/", wrap(self.annotate_view), name="articles_articleversion_annotate"
            ),
            path(
                "<int:object_id>/annotations/<int:annotation_id>/<slug:verb>/",
                wrap(self.annotation_act_view),
                name="articles_articleversion_annotation_act",
            ),
        ]

    def annotations_jsonld_view(self, request, object_id):
        version = self._version(request, object_id)
        annotations = selectors.annotations_on(version=version, for_author=False)
        response = JsonResponse(
            webannotation.collection(version, annotations),
            json_dumps_params={"ensure_ascii": False, "indent": 1},
        )
        response["Content-Type"] = webannotation.MEDIA_TYPE
        return response

    def annotate_view(self, request, object_id):
        version = self._version(request, object_id)
        text = plain_text(version)
        status = 200
        if request.method == "POST":
            form = AnnotateForm(request.POST)
            try:
                if not form.is_valid():
                    raise InvalidInput(AnnotateForm.refusal)
                annotation = VERBS["annotate"].call(
                    version=version, actor=request.user, **form.service_fields()
                )
            except WorkflowError as exc:
                messages.error(request, exc.message)
                status = exc.status
            else:
                messages.success(request, VERBS["annotate"].done_for(version))
                return HttpResponseRedirect(f"{version_url(version.pk)}#annotation-{annotation.pk}")
        else:
            form = AnnotateForm(initial=_initial(text, request.GET.get("passage")))
        problem = refusal("annotate", version, request.user) if status == 200 else None
        if problem is not None:  # nothing to fill in: the page says why, with the refusal's status
            status = problem.status
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Annotate {version.article.slug} · version {version.number}",
            "version": version,
            "form": form,
            "refusal": problem.message if problem else "",
        }
        return TemplateResponse(request, "editorial/admin/annotate.html", context, status=status)

    def annotation_act_view(self, request, object_id, annotation_id, verb):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if verb not in ("reply", "resolve"):
            raise Http404("No such action.")
        version = self._version(request, object_id)
        annotation = get_object_or_404(Annotation.objects.filter(version=version), pk=annotation_id)
        entry = VERBS[verb]
        words = request.POST.get(entry.words, "")
        try:
            entry.call(annotation=annotation, actor=request.user, **{entry.words: words})
        except WorkflowError as exc:
            messages.error(request, exc.message)
            return self.version_page(request, self._version(request, object_id), status=exc.status)
        messages.success(request, entry.done_for(version))
        return HttpResponseRedirect(f"{version_url(version.pk)}#annotation-{annotation.pk}")
