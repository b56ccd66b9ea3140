from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, text

from app.webhooks import service
from app.webhooks.models import WebhookAttempt, WebhookDelivery
from app.webhooks.signing import verify
from tests import factories
from tests.receiver import start_receiver

SECRET = "push-secret"
POLICY = service.RetryPolicy(max_attempts=4, base_seconds=10, max_seconds=3600)


@pytest.fixture
def receiver():
    r = start_receiver()
    yield r
    r.close()


async def _attempt(session, delivery_id, clock, http):
    status = await service.attempt(
        session, delivery_id, http=http, secret_for=lambda d: SECRET, policy=POLICY, now=clock.now()
    )
    await session.commit()
    return status


async def test_delivery_is_signed_and_kept(session, clock, receiver):
    delivery = await service.enqueue(
        session, channel="push", event="request.assigned", target_url=receiver.url,
        payload={"title": "楼道灯不亮", "n": 1}, now=clock.now(),
    )
    await session.commit()
    jobs = (await session.execute(text("SELECT task_name, args FROM procrastinate_jobs"))).all()
    assert jobs == [("deliver_webhook", {"delivery_id": delivery.id})]

    async with httpx.AsyncClient() as http:
        assert await _attempt(session, delivery.id, clock, http) == "delivered"
        assert await _attempt(session, delivery.id, clock, http) is None  # a second run changes nothing
    [got] = receiver.received
    assert json.loads(got.body) == {"n": 1, "title": "楼道灯不亮"}
    assert got.headers["x-doorstep-event"] == "request.assigned"
    assert verify(SECRET, int(got.headers["x-doorstep-timestamp"]), got.body, got.headers["x-doorstep-signature"])
    assert not verify("wrong", int(got.headers["x-doorstep-timestamp"]), got.body, got.headers["x-doorstep-signature"])


async def test_failing_receiver_gets_growing_retries_then_dead_then_replay(session, clock, receiver, client, app):
    receiver.statuses = [500]
    delivery = await service.enqueue(
        session, channel="push", event="request.assigned", target_url=receiver.url, payload={"x": 1},
        now=clock.now(),
    )
    await session.commit()
    start = clock.now()
    async with httpx.AsyncClient() as http:
        assert await _attempt(session, delivery.id, clock, http) == "pending"
        clock.advance(seconds=5)
        assert await _attempt(session, delivery.id, clock, http) is None  # not due yet
        for _ in range(3):
            row = await session.get(WebhookDelivery, delivery.id, populate_existing=True)
            clock.set(row.next_attempt_at)
            await _attempt(session, delivery.id, clock, http)
    row = await session.get(WebhookDelivery, delivery.id, populate_existing=True)
    assert row.status == "dead" and row.attempts == 4 and row.last_status_code == 500
    times = list(await session.scalars(
        select(WebhookAttempt.attempted_at).where(WebhookAttempt.delivery_id == delivery.id)
        .order_by(WebhookAttempt.attempt)
    ))
    gaps = [(b - a) for a, b in zip([start, *times], times, strict=False)][1:]
    assert gaps == [timedelta(seconds=10), timedelta(seconds=20), timedelta(seconds=40)]
    assert len(receiver.received) == 4

    # Visible through the API to a manager, and replayable once the receiver is fixed.
    w = await factories.world(session, app)
    row.recipient_staff_id = w.head.id
    await session.commit()
    listed = await client.get("/api/v1/deliveries", params={"status": "dead"}, headers=w.h["head"])
    assert listed.status_code == 200
    [item] = listed.json()["items"]
    assert item["status"] == "dead" and [a["status_code"] for a in item["attempt_log"]] == [500] * 4
    assert (await client.get(f"/api/v1/deliveries/{delivery.id}", headers=w.h["captain"])).status_code == 404

    receiver.statuses = [200]
    receiver.received.clear()
    replayed = await client.post(f"/api/v1/deliveries/{delivery.id}/replay", headers=w.h["head"])
    assert replayed.json()["status"] == "pending"
    async with httpx.AsyncClient() as http:
        assert await _attempt(session, delivery.id, clock, http) == "delivered"
    assert len(receiver.received) == 1


async def test_same_key_is_delivered_in_order(session, clock, receiver):
    first = await service.enqueue(session, channel="push", event="a", target_url=receiver.url, payload={"n": 1},
                                  now=clock.now(), ordering_key="request:1")
    second = await service.enqueue(session, channel="push", event="b", target_url=receiver.url, payload={"n": 2},
                                   now=clock.now(), ordering_key="request:1")
    await session.commit()
    async with httpx.AsyncClient() as http:
        assert await _attempt(session, second.id, clock, http) is None  # waits for the first
        assert await _attempt(session, first.id, clock, http) == "delivered"
        assert await _attempt(session, second.id, clock, http) == "delivered"
    assert [json.loads(r.body)["n"] for r in receiver.received] == [1, 2]
