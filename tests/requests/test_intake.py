from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from app.auth.service import load_actor
from app.core.errors import InvalidInput
from app.requests import service
from app.requests.schemas import RequestCreate
from tests import factories
from tests.requests.support import count, file

REQUESTS = "SELECT count(*) FROM service_request"
JOBS = "SELECT count(*) FROM procrastinate_jobs"


async def test_a_resident_files_for_their_building_and_routing_is_rung_once(client, session, w, clock):
    body = await file(client, w, title="  9号楼楼道漏水 ", description="二楼到三楼之间", category_code="water_leak",
                      photos=["https://img.example/leak-1.jpg"], latitude=34.365, longitude=108.942)
    assert body["reference"] == f"DS{body['id']:010d}"
    assert body["title"] == "9号楼楼道漏水"
    assert body["status"] == "submitted" and body["channel"] == "app"
    assert body["category"] == {"code": "water_leak", "name_zh": "漏水", "name_en": "Water leak"}
    assert body["priority"] == "high"  # the category's default
    assert body["building_id"] == w.building9.id and body["area_id"] == w.building9.id
    assert body["unit"] == 2  # the resident's own unit
    assert body["reporter_resident_id"] == w.resident.id and body["reporter_name"] == "王秀英"
    assert body["reporter_phone"] == "13900139000"  # the reporter sees their own number
    assert body["submitted_at"] == clock.now().isoformat().replace("+00:00", "Z")
    assert body["photos"] == ["https://img.example/leak-1.jpg"]

    events = (await client.get(f"/api/v1/requests/{body['id']}/events", headers=w.h["resident"])).json()
    assert [(e["action"], e["from_status"], e["to_status"], e["actor_kind"]) for e in events] == [
        ("submit", None, "submitted", "resident")
    ]
    jobs = (await session.execute(text("SELECT task_name, args, status FROM procrastinate_jobs"))).all()
    assert jobs == [("route_request", {"request_id": body["id"]}, "todo")]


async def test_staff_file_a_walk_in_for_a_resident_of_their_area(client, w):
    body = await file(client, w, "head", title="帮王阿姨补办医保卡", category_code="paperwork", channel="walk_in",
                      on_behalf_of_resident_id=w.resident.id, priority="urgent")
    assert body["channel"] == "walk_in" and body["priority"] == "urgent"
    assert body["reporter_resident_id"] == w.resident.id and body["reporter_name"] == "王秀英"
    # No place named: filed at the resident's building, for routing to refine.
    assert body["building_id"] is None and body["area_id"] == w.building9.id
    mine = await client.get(f"/api/v1/requests/{body['id']}", headers=w.h["resident"])
    assert mine.status_code == 200  # the resident sees what was filed for them


async def test_staff_file_for_a_named_caller_on_a_street_or_by_coordinates(client, w):
    street = await file(client, w, "admin", title="井盖松动", channel="door_visit", street_id=w.street.id,
                        reporter_name="刘师傅", reporter_phone="13700137000")
    assert street["area_id"] == w.street.id and street["street_id"] == w.street.id
    assert street["priority"] == "normal" and street["category"] is None
    assert street["reporter_resident_id"] is None and street["reporter_phone"] == "13700137000"
    spotted = await file(client, w, "head", title="路面塌陷", channel="patrol", latitude=34.3651, longitude=108.9421,
                         address_text="翠湖明居东门外")
    # Only coordinates: filed at the most specific area the staff member names (their first role's area).
    assert spotted["building_id"] is None and spotted["area_id"] == w.compound.id
    assert spotted["reporter_name"] is None


@pytest.mark.parametrize(
    ("who", "body", "field"),
    [
        ("resident", {"priority": "urgent"}, "body.priority"),
        ("resident", {"channel": "walk_in"}, "body.channel"),
        ("resident", {"reporter_name": "别人", "reporter_phone": "13700137000"}, "body.reporter_name"),
        ("resident", {"street_id": "street"}, "body.street_id"),
        ("resident", {"unit": 3}, "body.unit"),  # 9号楼 has 2 units
        ("head", {}, "body.channel"),
        ("head", {"channel": "hotline", "reporter_name": "刘", "reporter_phone": "13700137000"}, "body.channel"),
        ("head", {"channel": "walk_in"}, "body.on_behalf_of_resident_id"),
        ("head", {"channel": "walk_in", "reporter_name": "刘师傅"}, "body.reporter_phone"),
        ("head", {"channel": "patrol", "building_id": "other_building"}, "body.building_id"),
        ("head", {"channel": "patrol", "street_id": "building9"}, "body.street_id"),
        ("head", {"channel": "patrol", "building_id": "building9", "street_id": "street"}, "body.street_id"),
        ("head", {"channel": "patrol", "unit": 1}, "body.unit"),
        ("other_captain", {"channel": "walk_in", "on_behalf_of_resident_id": "resident"},
         "body.on_behalf_of_resident_id"),
        ("head", {"channel": "walk_in", "on_behalf_of_resident_id": "resident", "reporter_name": "刘"},
         "body.reporter_name"),
    ],
)
async def test_intake_rules_name_the_field(client, session, w, who, body, field):
    ids = {"street": w.street.id, "other_building": w.other_building.id, "building9": w.building9.id,
           "resident": w.resident.id}
    payload = {"title": "测试", **{k: ids.get(v, v) if isinstance(v, str) and k.endswith("_id") else v
                                  for k, v in body.items()}}
    response = await client.post("/api/v1/requests", json=payload, headers=w.h[who])
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert await count(session, REQUESTS) == 0 and await count(session, JOBS) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "漏水", "colour": "red"}, "body.colour"),
        ({"title": "漏水\x07"}, "body.title"),
        ({"title": "漏\u0000水"}, "body.title"),
        ({"title": "漏水", "latitude": 95, "longitude": 108.9}, "body.latitude"),
        ({"title": "漏水", "latitude": 34.3, "longitude": 181}, "body.longitude"),
        ({"title": "漏水", "longitude": 108.9}, "body.latitude"),
        ({"title": "漏水", "latitude": 34.3}, "body.longitude"),
        ({"title": "x" * 201}, "body.title"),
        ({"title": "漏水", "photos": ["ftp://img.example/a.jpg"]}, "body.photos.0"),
        ({"title": "漏水", "photos": [f"https://img.example/{i}.jpg" for i in range(10)]}, "body.photos"),
        ({"title": "漏水", "category_code": "no_such_category"}, "body.category_code"),
        ({"title": "漏水", "building_id": "other_building"}, "body.building_id"),
        ({"title": "漏水", "building_id": "building10"}, "body.building_id"),
        ({"description": "没有标题"}, "body.title"),
    ],
)
async def test_bad_input_is_422_naming_the_field_and_leaves_nothing(client, session, w, body, field):
    ids = {"other_building": w.other_building.id, "building10": w.building10.id}
    payload = {k: ids.get(v, v) if k == "building_id" else v for k, v in body.items()}
    response = await client.post("/api/v1/requests", json=payload, headers=w.h["resident"])
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]]
    assert await count(session, REQUESTS) == 0
    assert await count(session, JOBS) == 0


async def test_a_body_over_64_kib_is_413_and_leaves_nothing(client, session, w):
    raw = json.dumps({"title": "漏水", "description": "水" * 30_000}).encode()
    assert len(raw) > 64 * 1024
    response = await client.post(
        "/api/v1/requests", content=raw, headers={**w.h["resident"], "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "payload_too_large"
    assert await count(session, REQUESTS) == 0 and await count(session, JOBS) == 0


async def test_the_job_exists_only_if_the_request_commits(app, session, w, clock):
    """Service-level: a submit whose transaction rolls back leaves neither the row nor the job."""
    actor = await _actor(session, w.resident.account_id)
    async with app.state.sessionmaker() as work:
        read = await service.submit_request(work, actor, RequestCreate(title="漏水"), clock=clock)
        assert read.id > 0
        await work.rollback()
    assert await count(session, REQUESTS) == 0 and await count(session, JOBS) == 0
    async with app.state.sessionmaker() as work:
        with pytest.raises(InvalidInput):
            await service.submit_request(work, actor, RequestCreate(title="漏水", priority="high"), clock=clock)
        await work.rollback()
    async with app.state.sessionmaker() as work:
        read = await service.submit_request(work, actor, RequestCreate(title="漏水"), clock=clock)
        await work.commit()
    jobs = (await session.execute(text("SELECT task_name, args FROM procrastinate_jobs"))).all()
    assert jobs == [("route_request", {"request_id": read.id})]


async def _actor(session, account_id):  # type: ignore[no-untyped-def]
    return await load_actor(session, account_id)


async def test_staff_file_for_a_resident_without_an_account(client, session, w):
    walk_in = await factories.resident(session, None, w.building10, full_name="李奶奶", phone="13600136000")
    await session.commit()
    body = await file(client, w, "head", title="代买药", channel="walk_in", on_behalf_of_resident_id=walk_in.id)
    assert body["reporter_name"] == "李奶奶" and body["area_id"] == w.building10.id
