"""The API's documentation for people: the OpenAPI document, read and written out as a plain
page (no script, nothing from elsewhere: the site's Content-Security-Policy holds)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from api.views import api


def _schema_name(schema: dict) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return f"list of {_schema_name(schema.get('items', {}))}"
    if "anyOf" in schema:
        return " or ".join(_schema_name(option) for option in schema["anyOf"])
    return schema.get("type", "")


def operations(document: dict) -> list[dict]:
    """Each operation of the document: method, path, summary, parameters and answers."""
    found = []
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            found.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "id": operation.get("operationId", ""),
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "parameters": [
                        {
                            "name": parameter["name"],
                            "where": parameter["in"],
                            "required": parameter.get("required", False),
                            "type": _schema_name(parameter.get("schema", {})),
                            "description": parameter.get("description", "")
                            or parameter.get("schema", {}).get("description", ""),
                        }
                        for parameter in operation.get("parameters", [])
                    ],
                    "responses": [
                        {
                            "status": status,
                            "description": answer.get("description", ""),
                            "schema": _schema_name(
                                answer.get("content", {}).get("application/json", {}).get("schema", {})
                            ),
                        }
                        for status, answer in operation.get("responses", {}).items()
                    ],
                }
            )
    return found


@require_safe
def docs(request: HttpRequest) -> HttpResponse:
    document = api.get_openapi_schema()
    context = {
        "info": document["info"],
        "operations": operations(document),
        "openapi_url": reverse("api:openapi-json"),
    }
    return render(request, "api/docs.html", context)


@require_safe
def index(request: HttpRequest) -> JsonResponse:
    """``/api/v1/``: where the description is, and each operation's path."""
    document = api.get_openapi_schema()
    return JsonResponse(
        {
            "title": document["info"]["title"],
            "version": document["info"]["version"],
            "openapi": request.build_absolute_uri(reverse("api:openapi-json")),
            "docs": request.build_absolute_uri(reverse("api_docs")),
            "operations": [f"{op['method']} {op['path']}" for op in operations(document)],
        }
    )


def not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Any other address under /api/v1/: a JSON 404, as the operations answer."""
    return JsonResponse({"detail": f"No such API address: {request.path}. See /api/v1/docs/."}, status=404)
