"""Errors of the places domain. Each carries its status and a stable code (see app.core.errors)."""

from __future__ import annotations

from typing import Any

from app.core.errors import AppError, Conflict, Forbidden, NotFound


class AreaNotFound(NotFound):
    code = "area_not_found"
    title = "Area not found"


class AreaCodeTaken(Conflict):
    code = "area_code_taken"
    title = "This area code is already taken"


class DistrictsByImportOnly(Forbidden):
    code = "district_by_import_only"
    title = "Districts are created by the operator"


class WorkstationNotFound(NotFound):
    code = "workstation_not_found"
    title = "Workstation not found"


class ImportFailed(AppError):
    """A spreadsheet with bad rows: nothing was imported. ``errors`` lists every problem found.

    Each error is ``{"row": int, "column": str, "message": str}``; rows are numbered as the spreadsheet shows
    them (the header is row 1). Row 0 means the file as a whole (unreadable, wrong format, too many rows).
    """

    status = 422
    code = "import_failed"
    title = "Nothing was imported"

    def __init__(self, errors: list[dict[str, Any]], detail: str | None = None) -> None:
        self.errors = errors
        count = len(errors)
        super().__init__(
            detail or f"Nothing was imported: {count} problem{'s' if count != 1 else ''} found; fix them and retry",
            errors=errors,
        )
