"""OpenAPI helpers: the problem+json schema and the error responses each route documents."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from app.core.errors import PROBLEM_JSON


class FieldError(BaseModel):
    field: str = Field(description="Where the bad value is, e.g. body.latitude", examples=["body.latitude"])
    message: str = Field(examples=["Input should be less than or equal to 90"])
    type: str = Field(examples=["less_than_equal"])


class Problem(BaseModel):
    """RFC 9457 problem details. ``code`` is stable: match on it, not on the words."""

    type: str = Field(examples=["https://doorstep.example/problems/not-found"])
    title: str = Field(examples=["Not found"])
    status: int = Field(examples=[404])
    detail: str = Field(examples=["Request 42 was not found"])
    code: str = Field(examples=["not_found"])
    instance: str | None = Field(default=None, examples=["/api/v1/requests/42"])
    errors: list[FieldError] | None = Field(default=None, description="422 only: each bad field")
    allowed_actions: list[str] | None = Field(
        default=None, description="409 illegal_transition only: what may be done in the current state"
    )


_EXAMPLES: dict[int, tuple[str, str, str]] = {
    400: ("bad_request", "Bad request", "The request could not be understood"),
    401: ("invalid_token", "The access token is missing, malformed or expired", "Sign in first"),
    403: ("forbidden", "Forbidden", "Only staff may do this"),
    404: ("not_found", "Not found", "No such object in your areas"),
    409: ("illegal_transition", "This action is not allowed in the request's current state",
          "Cannot accept a request that is resolved"),
    413: ("payload_too_large", "Request body too large", "The body is larger than 65536 bytes"),
    422: ("validation_error", "Invalid input", "1 field is invalid"),
}

_DESCRIPTIONS = {
    400: "Bad request",
    401: "Not signed in, or the token expired",
    403: "Signed in, but not allowed to do this",
    404: "Not found, or outside your areas",
    409: "Conflicts with the current state",
    413: "Body over the size limit",
    422: "Invalid input: each bad field is named",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        code, title, detail = _EXAMPLES[status]
        example: dict[str, Any] = {
            "type": f"https://doorstep.example/problems/{code.replace('_', '-')}",
            "title": title,
            "status": status,
            "detail": detail,
            "code": code,
        }
        if status == 422:
            example["errors"] = [
                {"field": "body.latitude", "message": "Input should be less than or equal to 90",
                 "type": "less_than_equal"}
            ]
        if status == 409:
            example["allowed_actions"] = ["reopen", "rate"]
        out[status] = {
            "description": _DESCRIPTIONS[status],
            "model": Problem,
            "content": {PROBLEM_JSON: {"example": example}},
        }
    return out


def problem_openapi(app: Any) -> Any:
    """Wraps ``app.openapi`` so every documented 422 (FastAPI adds one to any route with parameters) shows
    the problem+json body the API really sends, not FastAPI's default validation schema."""
    from fastapi.openapi.utils import get_openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=app.description,
            routes=app.routes,
            tags=app.openapi_tags,
        )
        problem_422 = errors(422)[422]
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                response = operation.get("responses", {}).get("422")
                if response is not None and PROBLEM_JSON not in response.get("content", {}):
                    example = problem_422["content"][PROBLEM_JSON]["example"]
                    response["description"] = problem_422["description"]
                    response["content"] = {
                        PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}, "example": example}
                    }
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.setdefault("Problem", Problem.model_json_schema(ref_template="#/components/schemas/{model}"))
        for name, definition in Problem.model_json_schema(ref_template="#/components/schemas/{model}").get(
            "$defs", {}
        ).items():
            components.setdefault(name, definition)
        for unused in ("HTTPValidationError", "ValidationError"):
            if not _referenced(schema, unused):
                components.pop(unused, None)
        app.openapi_schema = schema
        return schema

    return openapi


def _referenced(schema: dict[str, Any], name: str) -> bool:
    import json

    return f'"#/components/schemas/{name}"' in json.dumps(schema.get("paths", {}))
