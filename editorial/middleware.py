"""Turns a refused workflow action into a clear HTTP answer (403, 400 or 409), never a 500."""

from django.template.response import TemplateResponse

from articles.models import VersionFrozen
from editorial.errors import WorkflowError


class WorkflowErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, WorkflowError):
            status, message = exception.status, exception.message
        elif isinstance(exception, VersionFrozen):
            status, message = 409, str(exception)
        else:
            return None
        response = TemplateResponse(
            request, "editorial/refused.html", {"message": message, "status": status}, status=status
        )
        return response.render()
