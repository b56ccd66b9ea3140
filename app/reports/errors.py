"""Errors of the reports domain (statuses and stable codes; rendered as problem+json)."""

from __future__ import annotations

from app.core.errors import AppError, Forbidden, InvalidInput


class ReportTooLarge(InvalidInput):
    code = "report_too_large"
    title = "This question would read too many requests one by one"


class NoReportScope(Forbidden):
    code = "no_report_scope"
    title = "Your roles cover no area this report is about"


class NotAcceptable(AppError):
    status = 406
    code = "not_acceptable"
    title = "None of the accepted formats can be produced"
