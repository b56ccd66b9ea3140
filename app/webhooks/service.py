"""Signed webhook deliveries: stored first, sent by the pipeline, retried with exponential backoff, dead
after a limit, in order per ordering key. Every attempt is kept."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import and_, exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.pipeline.app import defer_in_transaction
from app.webhooks.models import WebhookAttempt, WebhookDelivery
from app.webhooks.schemas import AttemptRead, DeliveryRead
from app.webhooks.signing import sign

DELIVER_TASK = "deliver_webhook"


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    base_seconds: float
    max_seconds: float

    def delay(self, attempts_made: int) -> timedelta:
        """Delay before the next attempt after ``attempts_made`` failures: base · 2^(n-1), capped."""
        return timedelta(seconds=min(self.base_seconds * 2 ** (attempts_made - 1), self.max_seconds))


def encode_body(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


async def enqueue(
    session: AsyncSession,
    *,
    channel: str,
    event: str,
    target_url: str,
    payload: dict[str, Any],
    now: datetime,
    request_id: int | None = None,
    recipient_staff_id: int | None = None,
    ordering_key: str | None = None,
) -> WebhookDelivery:
    """Stores a delivery and enqueues its sending in the caller's transaction (both or neither)."""
    delivery = WebhookDelivery(
        channel=channel,
        event=event,
        target_url=target_url,
        payload=payload,
        request_id=request_id,
        recipient_staff_id=recipient_staff_id,
        ordering_key=ordering_key,
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(delivery)
    await session.flush()
    await defer_in_transaction(session, DELIVER_TASK, delivery_id=delivery.id)
    return delivery


async def _blocked_by_older(session: AsyncSession, delivery: WebhookDelivery) -> bool:
    if delivery.ordering_key is None:
        return False
    older = aliased(WebhookDelivery)
    return bool(
        await session.scalar(
            select(
                exists().where(
                    and_(
                        older.ordering_key == delivery.ordering_key,
                        older.id < delivery.id,
                        older.status == "pending",
                    )
                )
            )
        )
    )


async def attempt(
    session: AsyncSession,
    delivery_id: int,
    *,
    http: httpx.AsyncClient,
    secret_for: Any,
    policy: RetryPolicy,
    now: datetime,
    request_timeout_seconds: float = 10.0,
) -> str | None:
    """Makes one attempt if the delivery is pending, due, not locked by another worker and not behind an
    older pending delivery with the same ordering key. Returns the new status, or None if it did nothing.

    On failure the next attempt is scheduled (a job at ``next_attempt_at``) until ``policy.max_attempts``,
    then the delivery is dead. On success the next pending delivery of the same key is woken.
    """
    delivery = await session.scalar(
        select(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == "pending")
        .with_for_update(skip_locked=True)
    )
    if delivery is None:
        return None
    if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
        return None
    if await _blocked_by_older(session, delivery):
        return None

    body = encode_body(delivery.payload)
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-Doorstep-Event": delivery.event,
        "X-Doorstep-Delivery": str(delivery.id),
        "X-Doorstep-Timestamp": str(timestamp),
        "X-Doorstep-Signature": sign(secret_for(delivery), timestamp, body),
    }
    started = time.perf_counter()
    status_code: int | None = None
    error: str | None = None
    try:
        response = await http.post(delivery.target_url, content=body, headers=headers, timeout=request_timeout_seconds)
        status_code = response.status_code
        if not 200 <= status_code < 300:
            error = f"receiver answered {status_code}"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    duration_ms = int((time.perf_counter() - started) * 1000)

    delivery.attempts += 1
    session.add(
        WebhookAttempt(
            delivery_id=delivery.id,
            attempt=delivery.attempts,
            attempted_at=now,
            status_code=status_code,
            error=error,
            duration_ms=duration_ms,
        )
    )
    delivery.last_status_code = status_code
    delivery.last_error = error
    if error is None:
        delivery.status = "delivered"
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        await _wake_next(session, delivery)
    elif delivery.attempts >= policy.max_attempts:
        delivery.status = "dead"
        delivery.next_attempt_at = None
        await _wake_next(session, delivery)
    else:
        delivery.next_attempt_at = now + policy.delay(delivery.attempts)
        await defer_in_transaction(
            session, DELIVER_TASK, schedule_at=delivery.next_attempt_at, delivery_id=delivery.id
        )
    await session.flush()
    return delivery.status


async def _wake_next(session: AsyncSession, delivery: WebhookDelivery) -> None:
    if delivery.ordering_key is None:
        return
    next_id = await session.scalar(
        select(WebhookDelivery.id)
        .where(
            WebhookDelivery.ordering_key == delivery.ordering_key,
            WebhookDelivery.id > delivery.id,
            WebhookDelivery.status == "pending",
        )
        .order_by(WebhookDelivery.id)
        .limit(1)
    )
    if next_id is not None:
        await defer_in_transaction(session, DELIVER_TASK, delivery_id=next_id)


async def replay(session: AsyncSession, delivery: WebhookDelivery, *, now: datetime) -> WebhookDelivery:
    """Sends a delivered or dead delivery again: pending from now, with a fresh budget of attempts."""
    delivery.status = "pending"
    delivery.attempts = 0
    delivery.next_attempt_at = now
    delivery.delivered_at = None
    await session.flush()
    await defer_in_transaction(session, DELIVER_TASK, delivery_id=delivery.id)
    return delivery


async def attempts_of(session: AsyncSession, delivery_ids: list[int]) -> dict[int, list[WebhookAttempt]]:
    out: dict[int, list[WebhookAttempt]] = {i: [] for i in delivery_ids}
    if delivery_ids:
        rows = await session.scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id.in_(delivery_ids))
            .order_by(WebhookAttempt.delivery_id, WebhookAttempt.attempt, WebhookAttempt.id)
        )
        for row in rows:
            out[row.delivery_id].append(row)
    return out


async def delivery_reads(session: AsyncSession, rows: list[WebhookDelivery]) -> list[DeliveryRead]:
    """The API view of deliveries, each with every attempt (one query for all the attempts)."""
    attempts = await attempts_of(session, [d.id for d in rows])
    out = []
    for delivery in rows:
        read = DeliveryRead.model_validate(delivery)
        read.attempt_log = [AttemptRead.model_validate(a) for a in attempts[delivery.id]]
        out.append(read)
    return out
