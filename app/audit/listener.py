"""Audits every write in one place: a flush hook records each inserted, updated or deleted row with the
actor of the current request or job, in the same transaction as the write itself."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session, UOWTransaction

from app.audit.models import AuditEntry
from app.core.actor import current_actor
from app.core.logging import request_id_var

# Built once: every flush that writes a business row runs it.
_insert_entries = insert(AuditEntry.__table__)

# Append-only history tables are their own audit trail.
_NOT_AUDITED = {"audit_entry", "request_event"}
_SECRET_COLUMNS = {"password_hash"}


# Values JSON takes as they are. Tested first: a row's columns mostly hold one of these, or null.
_AS_IS = (str, int, float, bool, dict)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, _AS_IS):
        return value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return str(value)


def _changes(obj: Any, *, only_modified: bool) -> dict[str, Any]:
    state = inspect(obj)
    out: dict[str, Any] = {}
    # A model names its sensitive columns in ``__audit_redact__``: the trail says they changed, not to what.
    redacted = _SECRET_COLUMNS | getattr(obj, "__audit_redact__", frozenset())
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in redacted:
            if state.attrs[key].history.has_changes() or not only_modified:
                out[key] = "(redacted)"
            continue
        if only_modified:
            history = state.attrs[key].history
            if not history.has_changes():
                continue
            out[key] = _jsonable(history.added[0] if history.added else None)
        else:
            out[key] = _jsonable(state.dict.get(key))
    return out


def _after_flush(session: Session, flush_context: UOWTransaction) -> None:
    actor = current_actor.get()
    rows: list[dict[str, Any]] = []
    for action, objects, only_modified in (
        ("insert", session.new, False),
        ("update", session.dirty, True),
        ("delete", session.deleted, False),
    ):
        for obj in objects:
            table = getattr(obj, "__tablename__", None)
            if table is None or table in _NOT_AUDITED:
                continue
            if action == "update" and not session.is_modified(obj, include_collections=False):
                continue
            rows.append(
                {
                    "actor_account_id": actor.account_id if actor else None,
                    "actor_kind": actor.kind if actor else "unknown",
                    "action": action,
                    "table_name": table,
                    "row_id": getattr(obj, "id", None),
                    "changes": _changes(obj, only_modified=only_modified),
                    "request_id": request_id_var.get(),
                }
            )
    if rows:
        session.connection().execute(_insert_entries, rows)


def install() -> None:
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
