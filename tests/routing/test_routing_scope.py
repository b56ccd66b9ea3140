"""Routing never places a request outside the area it was filed in."""

from __future__ import annotations

from app.routing.tasks import route_request
from tests import factories


async def test_address_outside_the_filing_area_is_not_matched(client, session, app):
    w = await factories.world(session, app)
    body = {"title": "单元门坏了", "address_text": "中铁二十局 9栋 2单元", "channel": "patrol"}
    response = await client.post("/api/v1/requests", json=body, headers=w.h["head"])
    assert response.status_code == 201, response.text
    request_id = response.json()["id"]
    await route_request(request_id=request_id)
    routed = (await client.get(f"/api/v1/requests/{request_id}", headers=w.h["head"])).json()
    assert routed["building_id"] is None  # 中铁二十局 lies outside 翠湖明居, where it was filed
    assert routed["assignee"]["staff_id"] == w.head.id
    trace = (await client.get(f"/api/v1/requests/{request_id}/routing", headers=w.h["head"])).json()
    assert trace[0]["rule"] == "station_head"


async def test_address_inside_the_filing_area_is_matched(client, session, app):
    w = await factories.world(session, app)
    body = {"title": "单元门坏了", "address_text": "翠湖明居 9号楼 1单元", "channel": "patrol"}
    response = await client.post("/api/v1/requests", json=body, headers=w.h["head"])
    request_id = response.json()["id"]
    await route_request(request_id=request_id)
    routed = (await client.get(f"/api/v1/requests/{request_id}", headers=w.h["head"])).json()
    assert routed["building_id"] == w.building9.id and routed["unit"] == 1
    assert routed["assignee"]["staff_id"] == w.captain.id
