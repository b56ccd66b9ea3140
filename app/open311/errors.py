"""Open311 errors: an array of ``{code, description}`` (``<errors><error>…`` in XML), never problem+json.

They are deliberately not ``AppError``s: the router's route class catches them (and FastAPI's own validation
errors) and answers in the format the path asked for, so the application's problem+json handlers never see
these routes' errors.
"""

from __future__ import annotations


class Open311Error(Exception):
    status: int = 400

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description

    def body(self) -> list[dict[str, int | str]]:
        # GeoReport v2 uses the HTTP status as the error code.
        return [{"code": self.status, "description": self.description}]


class BadRequest(Open311Error):
    """400: a missing or malformed field, an unknown service_code on POST, a date range over 90 days."""

    status = 400


class InvalidApiKey(Open311Error):
    """403: api_key missing, unknown, revoked, or not an active Open311 client's."""

    status = 403


class NotFound(Open311Error):
    """404: unknown service, request, token or response format."""

    status = 404
