"""Checking real API answers against the OpenAPI document the API publishes."""

from __future__ import annotations

import re

from jsonschema import Draft202012Validator, FormatChecker


def operation(document: dict, path: str, method: str = "get") -> tuple[str, dict]:
    """The documented operation whose path template matches ``path`` (``/api/v1/articles/x``)."""
    for template, methods in document["paths"].items():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path) and method in methods:
            return template, methods[method]
    raise AssertionError(f"{method.upper()} {path} is not in the OpenAPI document")


def check_response(document: dict, path: str, response) -> None:
    """The answer's status is documented for its operation, and its JSON body (if the document
    gives one) validates against the documented schema."""
    template, op = operation(document, path)
    status = str(response.status_code)
    assert status in op["responses"], f"{template} answered {status}, documented: {sorted(op['responses'])}"
    documented = op["responses"][status].get("content", {}).get("application/json")
    if documented is None:
        assert not response.content, f"{template} {status} has a body the document does not describe"
        return
    schema = {**documented["schema"], "components": document["components"]}
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    errors = sorted(validator.iter_errors(response.json()), key=lambda error: list(error.path))
    assert not errors, f"{template} {status}: " + "; ".join(
        f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors[:5]
    )
