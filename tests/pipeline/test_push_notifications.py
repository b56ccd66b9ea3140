"""Routing tells the assignee through the staff app's push gateway: a real local receiver, a verified
signature; a failing gateway gets growing retries, then a dead delivery the API shows."""

from __future__ import annotations

import json
from contextlib import contextmanager

import pytest
from sqlalchemy import select

from app.pipeline.app import pipeline
from app.webhooks.models import WebhookAttempt
from app.webhooks.signing import verify
from app.webhooks.tasks import send_due_deliveries
from tests import factories
from tests.receiver import start_receiver


@pytest.fixture
def receiver():
    r = start_receiver()
    yield r
    r.close()


@contextmanager
def push_gateway(app, url: str, max_attempts: int = 3):
    settings = app.state.settings
    saved = (settings.push_gateway_url, settings.webhook_max_attempts)
    settings.push_gateway_url, settings.webhook_max_attempts = url, max_attempts
    try:
        yield settings
    finally:
        settings.push_gateway_url, settings.webhook_max_attempts = saved


async def drain() -> None:
    await pipeline.run_worker_async(wait=False, install_signal_handlers=False, listen_notify=False)


async def test_assignee_gets_a_signed_push(client, session, app, receiver):
    w = await factories.world(session, app)
    with push_gateway(app, receiver.url) as settings:
        response = await client.post("/api/v1/requests", json={"title": "楼道灯不亮"}, headers=w.h["resident"])
        await drain()  # routes, then delivers
    [push] = receiver.received
    body = json.loads(push.body)
    assert body["event"] == "request.assigned"
    assert body["recipient"] == {"staff_id": w.captain.id, "role": "assignee"}
    assert body["request"]["id"] == response.json()["id"] and body["request"]["title"] == "楼道灯不亮"
    timestamp = int(push.headers["x-doorstep-timestamp"])
    assert verify(settings.push_gateway_secret, timestamp, push.body, push.headers["x-doorstep-signature"])


async def test_failing_gateway_retries_with_growing_delays_then_dead(client, session, app, receiver, clock):
    receiver.statuses = [500]
    w = await factories.world(session, app)
    with push_gateway(app, receiver.url, max_attempts=3):
        await client.post("/api/v1/requests", json={"title": "楼道灯不亮"}, headers=w.h["resident"])
        await drain()
        assert len(receiver.received) == 1
        for _ in range(6):  # the tick sends what is due, nothing earlier
            clock.advance(seconds=10)
            await send_due_deliveries()
    attempts = list(await session.scalars(select(WebhookAttempt).order_by(WebhookAttempt.attempt)))
    assert [a.status_code for a in attempts] == [500, 500, 500]
    gaps = [(b.attempted_at - a.attempted_at).total_seconds() for a, b in zip(attempts, attempts[1:], strict=False)]
    assert gaps == [10, 20]
    listed = await client.get("/api/v1/deliveries", params={"status": "dead"}, headers=w.h["captain"])
    [dead] = listed.json()["items"]
    assert dead["event"] == "request.assigned" and dead["attempts"] == 3 and dead["last_status_code"] == 500
