"""Pipeline work for deliveries: the first attempt right after commit; retries when due (the tick)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import BigInteger, String, column, select, table
from sqlalchemy.ext.asyncio import AsyncSession

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


# Webhooks sit below integrations: the integration's table is named here, not imported.
_integration = table("integration", column("id", BigInteger), column("callback_secret", String))


async def _secret_for(session: AsyncSession, delivery_id: int) -> Callable[[WebhookDelivery], str]:
    """What signs a delivery: the push gateway's secret, or for an integration callback (channel ``callback``)
    its integration's ``callback_secret``. Read before the attempt, which signs synchronously; a callback is
    never signed with another secret."""
    push_secret = runtime.current().settings.push_gateway_secret
    callback_secret = await session.scalar(
        select(_integration.c.callback_secret)
        .join(WebhookDelivery, WebhookDelivery.integration_id == _integration.c.id)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.channel == "callback")
    )

    def secret_for(delivery: WebhookDelivery) -> str:
        if delivery.channel != "callback":
            return push_secret
        if callback_secret is None:
            raise RuntimeError(f"callback delivery {delivery.id} has no integration secret to sign with")
        return callback_secret

    return secret_for


@pipeline.task(name=service.DELIVER_TASK, queue="deliveries")
async def deliver_webhook(delivery_id: int) -> None:
    rt = runtime.current()
    async with job_session() as session:
        status = await service.attempt(
            session,
            delivery_id,
            http=rt.http,
            secret_for=await _secret_for(session, delivery_id),
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
