"""Hotline work orders: one request per order number (sequential and concurrent posts), routed like any other,
readable in the platform's terms."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import func, select

from app.requests.models import RequestEvent, ServiceRequest
from tests import factories
from tests.integrations.support import FACADE, key_headers, post_order, register, route, work_order


async def _count(session, **where) -> int:  # type: ignore[no-untyped-def]
    stmt = select(func.count()).select_from(ServiceRequest)
    for column, value in where.items():
        stmt = stmt.where(getattr(ServiceRequest, column) == value)
    return int(await session.scalar(stmt))


async def test_a_work_order_becomes_a_hotline_request(client, session, w, clock):
    hotline = await register(client, w)
    response = await post_order(client, hotline, number="XA-0001", urgency="high",
                                deadline_at="2026-11-28T17:00:00+08:00")
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["order_number"] == "XA-0001" and order["reference"].startswith("DS")
    assert order["status"] == "submitted" and order["status_text"] == "已受理，待派单"
    assert order["priority"] == "high" and order["assignee_role"] is None
    assert order["received_at"] == "2026-11-27T08:58:00Z"
    assert order["due"]["platform_deadline_at"] == "2026-11-28T09:00:00Z"

    request = await session.get(ServiceRequest, order["request_id"])
    assert request.channel == "hotline" and request.integration_id == hotline["id"]
    assert request.external_reference == "XA-0001"
    assert request.title == "翠湖明居9号楼2单元楼道灯不亮，晚上看不见路"
    assert request.description == work_order()["content"]
    assert request.reporter_name == "刘女士" and request.reporter_phone == "13912345678"
    assert request.address_text == "未央区翠湖明居小区9号楼"
    assert request.area_id == w.district.id and request.status == "submitted"
    [event] = await session.scalars(select(RequestEvent).where(RequestEvent.request_id == request.id))
    assert (event.action, event.actor_kind, event.data["order_number"]) == ("submit", "integration", "XA-0001")

    # Routing finds the building from the address; staff see an ordinary request.
    await route(request.id)
    admin_view = (await client.get(f"/api/v1/requests/{request.id}", headers=w.h["admin"])).json()
    assert admin_view["building_id"] == w.building9.id and admin_view["channel"] == "hotline"
    assert admin_view["assignee"]["staff_id"] == w.captain.id
    state = (await client.get("/api/v1/integrations/hotline/work-orders/XA-0001", headers=key_headers(hotline))).json()
    assert state["status"] == "assigned" and state["status_text"] == "已派单"
    assert (state["assignee_role"], state["assignee_role_text"], state["assignee_area"]) == (
        "building_captain", "楼栋长", "9号楼")
    assert state["area"]["name"] == "9号楼" and state["due"]["resolve_by_at"] is not None


async def test_the_same_order_three_times_is_one_request(client, session, w):
    hotline = await register(client, w)
    first = await post_order(client, hotline, number="XA-0002")
    again = await post_order(client, hotline, number="XA-0002")
    changed = await post_order(client, hotline, number="XA-0002", content="别的内容")
    assert [r.status_code for r in (first, again, changed)] == [201, 200, 200]
    assert first.json()["request_id"] == again.json()["request_id"] == changed.json()["request_id"]
    assert await _count(session, external_reference="XA-0002") == 1
    # Another integration may use the same number for its own order.
    other = await register(client, w, name="另一个热线")
    assert (await post_order(client, other, number="XA-0002")).status_code == 201
    assert await _count(session, external_reference="XA-0002") == 2


async def test_two_identical_posts_at_the_same_moment_are_one_request(app, session, w, client):
    hotline = await register(client, w)
    transport = httpx.ASGITransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://test") as one,
        httpx.AsyncClient(transport=transport, base_url="http://test") as two,
    ):
        for round_ in range(3):
            number = f"XA-RACE-{round_}"
            a, b = await asyncio.gather(post_order(one, hotline, number=number),
                                        post_order(two, hotline, number=number))
            assert sorted([a.status_code, b.status_code]) == [200, 201], (a.text, b.text)
            assert a.json()["request_id"] == b.json()["request_id"]
            assert a.json() == b.json()
            assert await _count(session, external_reference=number) == 1
    jobs = (await session.execute(select(func.count()).select_from(
        select(RequestEvent.id).where(RequestEvent.action == "submit").subquery()))).scalar()
    assert jobs == 3


async def test_bad_work_orders_are_refused_with_the_field(client, w):
    hotline = await register(client, w)
    cases = {
        "body.received_at": {"received_at": "2026-11-27T16:58:00"},  # no offset
        "body.caller_phone": {"caller_phone": "call me"},
        "body.urgency": {"urgency": "asap"},
        "body.content": {"content": ""},
        "body.order_number": {"order_number": "has space"},
        "body.category_code": {"category_code": "no_such_category"},
        "body.extra": {"extra": "x"},
    }
    for field, change in cases.items():
        response = await post_order(client, hotline, **change)
        assert response.status_code == 422, (field, response.text)
        assert field in [e["field"] for e in response.json()["errors"]], (field, response.json())


async def test_only_hotline_integrations_push_work_orders(client, w):
    gateway = await register(client, w, name="手环网关", kind="device_gateway")
    response = await post_order(client, gateway)
    assert response.status_code == 403 and response.json()["code"] == "wrong_integration_kind"
    assert (await client.get("/api/v1/integrations/hotline/work-orders/x",
                             headers=key_headers(gateway))).status_code == 403


async def test_a_given_category_and_urgency_are_kept(client, session, w):
    hotline = await register(client, w)
    order = (await post_order(client, hotline, number="XA-C", category_code="water_leak", urgency="urgent")).json()
    assert order["category"]["code"] == "water_leak" and order["priority"] == "urgent"
    assert (await client.get("/api/v1/integrations/hotline/work-orders/nope",
                             headers=key_headers(hotline))).status_code == 404


async def test_a_caller_describing_a_facade_hazard_is_handled_jointly(client, session, app, w):
    safety = await factories.staff(session, "safety", [("subdistrict_staff", w.subdistrict,
                                                        {"department": "safety_supervision"})], full_name="安监冯")
    await session.commit()
    hotline = await register(client, w)
    order = (await post_order(client, hotline, number="XA-FACADE", content=FACADE, address="翠湖明居小区9号楼")).json()
    assert order["category"] is None
    await route(order["request_id"])
    state = (await client.get("/api/v1/integrations/hotline/work-orders/XA-FACADE",
                              headers=key_headers(hotline))).json()
    assert state["category"]["code"] == "facade_hazard" and state["priority"] == "urgent"
    assert state["handling"] == "joint_handling"
    assert (state["assignee_role"], state["assignee_area"]) == ("station_head", "翠湖明居")
    assert [(p["role"], p["department"], p["area"]) for p in state["participants"]] == [
        ("building_captain", None, "9号楼"), ("subdistrict_staff", "safety_supervision", "未央湖街道")]
    staff_view = (await client.get(f"/api/v1/requests/{order['request_id']}", headers=w.h["admin"])).json()
    assert staff_view["assignee"]["staff_id"] == w.head.id
    assert [p["staff_id"] for p in staff_view["participants"]] == [w.captain.id, safety.id]
