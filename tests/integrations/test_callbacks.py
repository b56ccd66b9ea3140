"""Callbacks: a real local receiver hears every status change of an integration's request once, in order,
signed with the integration's secret; a failing receiver gets retries, a dead delivery, and a replay."""

from __future__ import annotations

from sqlalchemy import select

from app.pipeline.app import pipeline
from app.webhooks.models import WebhookDelivery
from tests import factories
from tests.integrations.support import (
    FACADE,
    bodies,
    deliver_all,
    key_headers,
    max_attempts,
    post_order,
    register,
    route,
    signed_with,
)


async def _act(client, w, request_id: int, action: str, who: str, **body) -> None:  # type: ignore[no-untyped-def]
    response = await client.post(f"/api/v1/requests/{request_id}/{action}", json=body or None, headers=w.h[who])
    assert response.status_code == 200, response.text


async def test_each_status_change_reaches_the_receiver_once_in_order_signed(client, session, w, receiver, clock):
    hotline = await register(client, w, callback_url=receiver.url)
    order = (await post_order(client, hotline, number="XA-CB-1")).json()
    request_id = order["request_id"]
    await route(request_id)
    clock.advance(minutes=5)
    await _act(client, w, request_id, "accept", "captain")
    clock.advance(minutes=5)
    await _act(client, w, request_id, "start", "captain")
    clock.advance(minutes=30)
    await _act(client, w, request_id, "resolve", "captain", note="已更换灯泡")
    await deliver_all()
    await deliver_all()  # nothing is sent twice

    got = bodies(receiver.received)
    assert [(b["previous_status"], b["status"]) for b in got] == [
        (None, "submitted"), ("submitted", "assigned"), ("assigned", "accepted"), ("accepted", "in_progress"),
        ("in_progress", "resolved"),
    ]
    assert [b["action"] for b in got] == ["submit", "assign", "accept", "start", "resolve"]
    assert [b["event_id"] for b in got] == sorted(b["event_id"] for b in got)
    for body, raw in zip(got, receiver.received, strict=True):
        assert signed_with(hotline["callback_secret"], raw)
        assert not signed_with("doorstep-development-push-secret", raw)
        assert raw.headers["x-doorstep-event"] == "request.status_changed" and raw.path == "/hook"
        assert (body["version"], body["event"]) == (1, "request.status_changed")
        assert (body["order_number"], body["reference"]) == ("XA-CB-1", order["reference"])
    assert got[1]["assignee_role"] == "building_captain" and got[1]["status_text"] == "已派单"
    assert got[1]["due"]["respond_by_at"] is not None and got[1]["occurred_at"] == "2026-11-27T09:00:00Z"
    assert got[-1]["resolution_note"] == "已更换灯泡" and got[-1]["status_text"] == "已办结"
    assert got[-1]["occurred_at"] == "2026-11-27T09:40:00Z"

    # The integration reads its deliveries, newest first, each with its attempt.
    listed = await client.get(f"/api/v1/integrations/{hotline['id']}/deliveries", headers=key_headers(hotline))
    assert listed.status_code == 200
    items = listed.json()["items"]
    assert [i["payload"]["status"] for i in items] == ["resolved", "in_progress", "accepted", "assigned", "submitted"]
    assert all(i["status"] == "delivered" and len(i["attempt_log"]) == 1 for i in items)
    assert all(i["target_url"] == receiver.url and i["channel"] == "callback" for i in items)
    # So does its district admin; a station head over the request does not administer the integration.
    by_admin = await client.get(f"/api/v1/integrations/{hotline['id']}/deliveries", headers=w.h["admin"])
    assert [i["id"] for i in by_admin.json()["items"]] == [i["id"] for i in items]
    assert (await client.get(f"/api/v1/integrations/{hotline['id']}/deliveries",
                             headers=w.h["head"])).status_code == 403


async def test_the_worker_sends_callbacks_in_order(client, session, w, receiver):
    """Through the real pipeline: the routing job and the delivery jobs, drained by a worker."""
    hotline = await register(client, w, callback_url=receiver.url)
    order = (await post_order(client, hotline, number="XA-CB-2")).json()
    await pipeline.run_worker_async(wait=False, install_signal_handlers=False, listen_notify=False)
    await _act(client, w, order["request_id"], "accept", "captain")
    await pipeline.run_worker_async(wait=False, install_signal_handlers=False, listen_notify=False)
    assert [b["status"] for b in bodies(receiver.received)] == ["submitted", "assigned", "accepted"]


async def test_requests_without_an_integration_or_a_callback_url_send_nothing(client, session, w, receiver):
    silent = await register(client, w)  # no callback URL
    await post_order(client, silent, number="XA-SILENT")
    response = await client.post("/api/v1/requests", json={"title": "楼道灯不亮"}, headers=w.h["resident"])
    await route(response.json()["id"])
    await deliver_all()
    assert receiver.received == []
    assert await session.scalar(select(WebhookDelivery.id)) is None


async def test_a_failing_receiver_gets_retries_then_dead_then_a_replay_succeeds(client, session, app, w, receiver,
                                                                               clock):
    receiver.statuses = [500]
    hotline = await register(client, w, callback_url=receiver.url)
    with max_attempts(app, 3):
        order = (await post_order(client, hotline, number="XA-CB-3")).json()
        await deliver_all()
        for seconds in (10, 20):
            clock.advance(seconds=seconds - 1)
            await deliver_all()  # not due yet
            clock.advance(seconds=1)
            await deliver_all()
    assert len(receiver.received) == 3
    url = f"/api/v1/integrations/{hotline['id']}/deliveries"
    [dead] = (await client.get(url, params={"status": "dead"}, headers=key_headers(hotline))).json()["items"]
    assert dead["attempts"] == 3 and [a["status_code"] for a in dead["attempt_log"]] == [500, 500, 500]
    times = [a["attempted_at"] for a in dead["attempt_log"]]
    assert times == ["2026-11-27T09:00:00Z", "2026-11-27T09:00:10Z", "2026-11-27T09:00:30Z"]
    assert dead["payload"]["order_number"] == "XA-CB-3" and dead["request_id"] == order["request_id"]

    receiver.statuses = [200]
    replayed = await client.post(f"{url}/{dead['id']}/replay", headers=key_headers(hotline))
    assert replayed.status_code == 200 and replayed.json()["status"] == "pending"
    await deliver_all()
    assert len(receiver.received) == 4
    assert signed_with(hotline["callback_secret"], receiver.received[-1])
    assert bodies(receiver.received)[-1] == dead["payload"]
    delivered = (await client.get(url, params={"status": "delivered"}, headers=w.h["admin"])).json()["items"]
    assert [d["id"] for d in delivered] == [dead["id"]]
    # Another integration's delivery is not found, whether by key or by the wrong integration id.
    other = await register(client, w, name="另一个热线")
    assert (await client.post(f"/api/v1/integrations/{other['id']}/deliveries/{dead['id']}/replay",
                              headers=key_headers(other))).status_code == 404


async def test_a_dead_callback_does_not_block_the_next_ones_forever(client, session, app, w, receiver, clock):
    receiver.statuses = [500, 500, 200]
    hotline = await register(client, w, callback_url=receiver.url)
    with max_attempts(app, 2):
        order = (await post_order(client, hotline, number="XA-CB-4")).json()
        await route(order["request_id"])  # a second callback waits behind the first
        await deliver_all()
        assert [b["status"] for b in bodies(receiver.received)] == ["submitted"]
        clock.advance(seconds=10)
        await deliver_all()
    assert [b["status"] for b in bodies(receiver.received)] == ["submitted", "submitted", "assigned"]


async def test_the_facade_hazard_callbacks_say_joint_handling_by_the_station_head(client, session, w, receiver):
    await factories.staff(session, "safety", [("subdistrict_staff", w.subdistrict,
                                               {"department": "safety_supervision"})], full_name="安监冯")
    await session.commit()
    hotline = await register(client, w, callback_url=receiver.url)
    order = (await post_order(client, hotline, number="XA-FACADE", content=FACADE, address="翠湖明居小区9号楼")).json()
    await route(order["request_id"])
    await deliver_all()
    submitted, assigned = bodies(receiver.received)
    assert submitted["status"] == "submitted" and submitted["category"] is None
    assert assigned["status"] == "assigned" and assigned["previous_status"] == "submitted"
    assert assigned["category"]["code"] == "facade_hazard" and assigned["priority"] == "urgent"
    assert (assigned["handling"], assigned["assignee_role"], assigned["assignee_role_text"]) == (
        "joint_handling", "station_head", "站长")
    assert assigned["assignee_area"] == "翠湖明居"
    assert [(p["role"], p["department"]) for p in assigned["participants"]] == [
        ("building_captain", None), ("subdistrict_staff", "safety_supervision")]
    for raw in receiver.received:
        assert signed_with(hotline["callback_secret"], raw)
