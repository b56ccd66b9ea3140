"""Telling people: a signed push to the staff app's gateway for each recipient (when a gateway is set)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.requests.models import ServiceRequest
from app.webhooks import service as webhooks


def request_summary(request: ServiceRequest) -> dict[str, Any]:
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": request.id,
        "reference": request.reference,
        "title": request.title,
        "status": request.status,
        "priority": request.priority,
        "needs_triage": request.needs_triage,
        "building_id": request.building_id,
        "street_id": request.street_id,
        "unit": request.unit,
        "respond_by_at": iso(request.respond_by_at),
        "resolve_by_at": iso(request.resolve_by_at),
    }


async def notify_staff(
    session: AsyncSession,
    request: ServiceRequest,
    staff_ids: Sequence[int],
    *,
    event: str,
    now: datetime,
    settings: Settings,
    role: str,
    extra: dict[str, Any] | None = None,
) -> int:
    """One push delivery per recipient, in the caller's transaction; in order per recipient. Returns how many
    were queued (none when no push gateway is configured)."""
    if not settings.push_gateway_url:
        return 0
    # Server-computed columns expire on every flush of the row; read them back before building payloads.
    unloaded = inspect(request).unloaded & {"reference"}
    if unloaded:
        await session.refresh(request, list(unloaded))
    for staff_id in dict.fromkeys(staff_ids):
        payload = {
            "version": 1,
            "event": event,
            "sent_at": now.isoformat(),
            "recipient": {"staff_id": staff_id, "role": role},
            "request": request_summary(request),
            **(extra or {}),
        }
        await webhooks.enqueue(
            session,
            channel="push",
            event=event,
            target_url=settings.push_gateway_url,
            payload=payload,
            now=now,
            request_id=request.id,
            recipient_staff_id=staff_id,
            ordering_key=f"push:staff:{staff_id}",
        )
    return len(set(staff_ids))
