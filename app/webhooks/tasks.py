"""Pipeline work for deliveries: the first attempt right after commit; retries when due (the tick)."""

from __future__ import annotations

import logging

from sqlalchemy import select

from app.pipeline import runtime
from app.pipeline.app import pipeline
from app.pipeline.jobs import job_session
from app.webhooks import service
from app.webhooks.models import WebhookDelivery

logger = logging.getLogger(__name__)


def _policy() -> service.RetryPolicy:
    settings = runtime.current().settings
    return service.RetryPolicy(
        max_attempts=settings.webhook_max_attempts,
        base_seconds=settings.webhook_backoff_seconds,
        max_seconds=settings.webhook_backoff_max_seconds,
    )


def _secret_for(delivery: WebhookDelivery) -> str:
    # Push deliveries are signed with the gateway's secret; integration callbacks will bring their own.
    return runtime.current().settings.push_gateway_secret


@pipeline.task(name=service.DELIVER_TASK, queue="deliveries")
async def deliver_webhook(delivery_id: int) -> None:
    rt = runtime.current()
    async with job_session() as session:
        status = await service.attempt(
            session,
            delivery_id,
            http=rt.http,
            secret_for=_secret_for,
            policy=_policy(),
            now=rt.clock.now(),
            request_timeout_seconds=rt.settings.webhook_timeout_seconds,
        )
    if status is not None:
        logger.info("delivery %s: %s", delivery_id, status)


async def send_due_deliveries(limit: int = 200) -> int:
    """Attempts every pending delivery whose next attempt is due (retries, and any whose job was lost)."""
    rt = runtime.current()
    async with job_session() as session:
        due = list(
            await session.scalars(
                select(WebhookDelivery.id)
                .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= rt.clock.now())
                .order_by(WebhookDelivery.id)
                .limit(limit)
            )
        )
    for delivery_id in due:
        await deliver_webhook(delivery_id)
    return len(due)


@pipeline.periodic(cron="* * * * * */5", periodic_id="deliveries_tick")
@pipeline.task(name="deliveries_tick", queue="deliveries", queueing_lock="deliveries_tick")
async def deliveries_tick(timestamp: int) -> None:
    await send_due_deliveries()
