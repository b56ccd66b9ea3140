"""Domain errors. Each carries its HTTP status and a stable code; all render as RFC 9457 problem+json."""

from __future__ import annotations

from typing import Any, ClassVar

PROBLEM_JSON = "application/problem+json"


class AppError(Exception):
    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    title: ClassVar[str] = "Bad request"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra


class NotFound(AppError):
    status = 404
    code = "not_found"
    title = "Not found"


class Conflict(AppError):
    status = 409
    code = "conflict"
    title = "Conflict"


class Forbidden(AppError):
    status = 403
    code = "forbidden"
    title = "Forbidden"


class Unauthorized(AppError):
    status = 401
    code = "unauthorized"
    title = "Not signed in"


class InvalidInput(AppError):
    """Input that passed the schema but breaks a rule only the service can check (e.g. unknown building)."""

    status = 422
    code = "invalid_input"
    title = "Invalid input"

    def __init__(self, detail: str, *, field: str | None = None, **extra: Any) -> None:
        errors = extra.pop("errors", None)
        if errors is None and field is not None:
            errors = [{"field": field, "message": detail, "type": self.code}]
        super().__init__(detail, errors=errors or [], **extra)


class PayloadTooLarge(AppError):
    status = 413
    code = "payload_too_large"
    title = "Request body too large"


class IllegalTransition(Conflict):
    code = "illegal_transition"
    title = "This action is not allowed in the request's current state"


def problem_body(
    *, status: int, code: str, title: str, detail: str, instance: str | None = None, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"https://doorstep.example/problems/{code.replace('_', '-')}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if instance:
        body["instance"] = instance
    body.update({k: v for k, v in extra.items() if v is not None})
    return body
