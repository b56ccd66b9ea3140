"""POST requests.{fmt}: form-encoded, attribute[...] and attribute[...][] lists, the api_key, the spec's errors;
what it files is an ordinary request with its routing job."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text, update

from app.integrations.models import IntegrationKey, Open311Token
from app.requests.models import RequestEvent, ServiceRequest
from tests.conftest import START
from tests.open311.conftest import BASE, KEY, add_integration, assert_error, get, ok_json, ok_xml, post, xml_items
from tests.requests.support import count

HAZARD = "翠湖明居小区9号楼外墙瓷砖脱落"
NEAR_9 = {"lat": "34.36502", "long": "108.94201"}


async def test_a_form_post_files_an_ordinary_request_with_its_routing_job(client, session, w, o311):
    response = await post(
        client,
        service_code="facade_hazard",
        description=HAZARD,
        first_name="秀英",
        last_name="王",
        phone="13900139000",
        email="wang@example.cn",
        media_url="https://img.example/tile.jpg",
        **NEAR_9,
        **{"attribute[danger]": "yes", "attribute[unit]": "2", "attribute[room]": "301",
           "attribute[occurred_at]": "2026-11-27T08:30:00+08:00", "attribute[details]": "楼下有人经过，很危险"},
    )
    [answer] = ok_json(response)
    assert answer["service_request_id"] == "DS0000000001"
    assert len(answer["token"]) >= 20 and answer["account_id"] is None
    assert answer["service_notice"] == "通常15分钟内响应，15天内办结"
    assert list(answer) == ["service_request_id", "token", "service_notice", "account_id"]

    row = await session.scalar(select(ServiceRequest))
    assert row is not None
    assert (row.channel, row.integration_id, row.status) == ("open311", o311.integration.id, "submitted")
    assert row.description == HAZARD and row.title == HAZARD
    assert (row.area_id, row.area_path) == (w.subdistrict.id, w.subdistrict.path)
    assert (row.latitude, row.longitude) == (34.36502, 108.94201)
    assert (row.reporter_name, row.reporter_phone, row.unit, row.room) == ("王秀英", "13900139000", 2, "301")
    assert row.photos == ["https://img.example/tile.jpg"] and row.priority == "urgent"
    assert row.created_by_account_id is None and row.submitted_at == START
    [event] = (await session.scalars(select(RequestEvent))).all()
    assert (event.action, event.actor_kind, event.to_status) == ("submit", "integration", "submitted")
    assert event.data == {"open311": {
        "attributes": {"danger": "yes", "unit": 2, "room": "301", "occurred_at": "2026-11-27T08:30:00+08:00",
                       "details": "楼下有人经过，很危险"},
        "email": "wang@example.cn",
    }}
    assert await count(session, "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'route_request' "
                                f"AND (args->>'request_id')::int = {row.id}") == 1
    token = await session.scalar(select(Open311Token))
    assert token is not None and (token.token, token.request_id) == (answer["token"], row.id)
    key = await session.scalar(select(IntegrationKey))
    assert key is not None and key.last_used_at == START


async def test_a_post_answers_in_xml(client, o311):
    root = ok_xml(await post(client, "xml", service_code="public_lighting", address_string="翠湖明居小区9号楼",
                             description="楼道灯不亮 <2楼> & 3楼"))
    assert root.tag == "service_requests"
    [item] = xml_items(root)
    assert item["service_request_id"] == "DS0000000001" and item["token"]
    assert item["account_id"] is None and item["service_notice"] == "通常1小时内响应，1天内办结"
    # Markup in the text is escaped, and it comes back as sent.
    [read] = ok_json(await get(client, "requests/DS0000000001.json"))
    assert read["description"] == "楼道灯不亮 <2楼> & 3楼"
    [xml_read] = xml_items(ok_xml(await get(client, "requests/DS0000000001.xml")))
    assert xml_read["description"] == "楼道灯不亮 <2楼> & 3楼"


async def test_multivaluelist_attributes_as_attribute_code_brackets(client, session, o311):
    ok_json(await post(client, service_code="elderly_service", address_string="翠湖明居小区10号楼",
                       description="独居老人需要帮助", **{"attribute[needs][]": ["errands", "meal", "errands"]}))
    # A client that repeats attribute[code] without the brackets is understood too.
    ok_json(await post(client, service_code="elderly_service", address_string="翠湖明居小区10号楼",
                       **{"attribute[needs]": ["visit", "meal"]}))
    events = (await session.scalars(select(RequestEvent).order_by(RequestEvent.id))).all()
    assert [e.data["open311"]["attributes"]["needs"] for e in events] == [["errands", "meal"], ["visit", "meal"]]
    titles = (await session.scalars(select(ServiceRequest.title).order_by(ServiceRequest.id))).all()
    assert titles == ["独居老人需要帮助", "为老服务"]


async def test_multipart_form_data_is_accepted(client, o311):
    response = await client.post(f"{BASE}/requests.json",
                                 data={"api_key": KEY, "service_code": "sanitation", "address_string": "凤城八路"},
                                 files={"media": ("note.txt", b"x", "text/plain")})
    assert ok_json(response)[0]["service_request_id"] == "DS0000000001"


async def test_address_id_names_a_building_in_the_client_s_area(client, session, w, o311):
    ok_json(await post(client, service_code="water_leak", address_id=str(w.building9.id),
                       **{"attribute[unit]": "2"}))
    row = await session.scalar(select(ServiceRequest))
    assert row is not None and (row.building_id, row.area_id, row.unit) == (w.building9.id, w.building9.id, 2)
    assert_error(await post(client, service_code="water_leak", address_id=str(w.building9.id),
                            **{"attribute[unit]": "3"}), 400, "attribute[unit]", "2 units")
    assert_error(await post(client, service_code="water_leak", address_id=str(w.community.id)), 400, "address_id")
    assert_error(await post(client, service_code="water_leak", address_id="9号楼"), 400, "address_id")


async def test_a_building_outside_the_client_s_area_is_not_found(client, session, w):
    await add_integration(session, w.compound, name="翠湖明居 app", key="compound-key-0123456789")
    assert_error(await post(client, key="compound-key-0123456789", service_code="water_leak",
                            address_id=str(w.other_building.id)), 400, f"address_id {w.other_building.id}")


async def test_the_api_key_may_come_in_the_query(client, o311):
    response = await post(client, key=None, params={"api_key": KEY}, service_code="greening", address_string="凤城八路")
    assert ok_json(response)[0]["service_request_id"] == "DS0000000001"


async def test_jurisdiction_id_is_ignored_on_post(client, o311):
    for jurisdiction in ("", "xian.gov.cn"):
        ok_json(await post(client, jurisdiction_id=jurisdiction, service_code="greening", address_string="凤城八路"))


# Errors ------------------------------------------------------------------------------------------------------

LOCATED = {"address_string": "翠湖明居小区9号楼"}


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({**LOCATED}, ["service_code is required"]),
        ({"service_code": " ", **LOCATED}, ["service_code is required"]),
        ({"service_code": "no_such_thing", **LOCATED}, ["service_code no_such_thing not found"]),
        ({"service_code": "greening"}, ["location", "lat", "address_string", "address_id"]),
        ({"service_code": "greening", "lat": "34.36"}, ["lat and long"]),
        ({"service_code": "greening", "lat": "91", "long": "108.9"}, ["lat must be between -90 and 90"]),
        ({"service_code": "greening", "lat": "34.3", "long": "181"}, ["long must be between -180 and 180"]),
        ({"service_code": "greening", "lat": "north", "long": "108.9"}, ["lat must be a number"]),
        ({"service_code": "greening", "lat": "nan", "long": "108.9"}, ["lat must be between"]),
        ({"service_code": "facade_hazard", **LOCATED}, ["attribute[danger] is required"]),
        ({"service_code": "facade_hazard", "attribute[danger]": "maybe", **LOCATED}, ["attribute[danger]", "yes, no"]),
        ({"service_code": "elderly_service", **LOCATED}, ["attribute[needs] is required"]),
        ({"service_code": "elderly_service", "attribute[needs][]": ["meal", "cake"], **LOCATED},
         ["attribute[needs]", "'cake'"]),
        ({"service_code": "greening", "attribute[unit]": "0", **LOCATED}, ["attribute[unit]", "1 to 99"]),
        ({"service_code": "greening", "attribute[unit]": "2.5", **LOCATED}, ["attribute[unit]"]),
        ({"service_code": "greening", "attribute[unit][]": ["1", "2"], **LOCATED}, ["attribute[unit] takes one"]),
        ({"service_code": "greening", "attribute[occurred_at]": "2026-11-27 08:30", **LOCATED},
         ["attribute[occurred_at] needs a time zone"]),
        ({"service_code": "greening", "attribute[occurred_at]": "yesterday", **LOCATED},
         ["attribute[occurred_at] must be a W3C date-time"]),
        ({"service_code": "greening", "attribute[colour]": "red", **LOCATED},
         ["attribute[colour] is not an attribute of service greening"]),
        ({"service_code": "greening", "attribute[room]": "x" * 33, **LOCATED}, ["attribute[room] is longer than 32"]),
        ({"service_code": "greening", "description": "x" * 4001, **LOCATED}, ["description is longer than 4000"]),
        ({"service_code": "greening", "description": "bad\x01char", **LOCATED}, ["description", "U+0001"]),
        ({"service_code": "greening", "phone": "call me", **LOCATED}, ["phone"]),
        ({"service_code": "greening", "email": "nobody", **LOCATED}, ["email"]),
        ({"service_code": "greening", "media_url": "javascript:alert(1)", **LOCATED}, ["media_url"]),
    ],
)
async def test_bad_input_is_400_with_the_spec_s_error(client, session, o311, fields, words):
    assert_error(await post(client, **fields), 400, *words)
    assert await count(session, "SELECT count(*) FROM service_request") == 0


async def test_errors_answer_in_xml_too(client, o311):
    assert_error(await post(client, "xml", **LOCATED), 400, "service_code is required", fmt="xml")
    assert_error(await post(client, "xml", key="wrong", service_code="greening", **LOCATED), 403, fmt="xml")


async def test_a_json_body_is_refused_as_400_not_problem_json(client, o311):
    response = await client.post(f"{BASE}/requests.json", json={"api_key": KEY, "service_code": "greening"})
    assert_error(response, 400, "application/x-www-form-urlencoded")


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_a_broken_multipart_body_is_400(client, o311, fmt):
    response = await client.post(f"{BASE}/requests.{fmt}", content=b"--nope\r\nbroken",
                                 headers={"content-type": "multipart/form-data"})
    assert_error(response, 400, "form", fmt=fmt)


async def test_key_problems_are_403(client, session, w, o311):
    assert_error(await post(client, key=None, service_code="greening", **LOCATED), 403, "api_key is required")
    assert_error(await post(client, key="", service_code="greening", **LOCATED), 403, "api_key is required")
    assert_error(await post(client, key="not-a-key", service_code="greening", **LOCATED), 403, "invalid")
    # Revoked, another kind of integration, an inactive integration: all refused alike.
    await add_integration(session, w.subdistrict, name="old", key="revoked-key-0123456789", revoked=True)
    await add_integration(session, w.subdistrict, name="12345", kind="hotline", key="hotline-key-0123456789")
    await add_integration(session, w.subdistrict, name="off", key="inactive-key-0123456789", active=False)
    for key in ("revoked-key-0123456789", "hotline-key-0123456789", "inactive-key-0123456789"):
        assert_error(await post(client, key=key, service_code="greening", **LOCATED), 403, "invalid or revoked")
    # The key is checked before the rest of the form.
    assert_error(await post(client, key="not-a-key"), 403)
    assert await count(session, "SELECT count(*) FROM service_request") == 0


async def test_a_key_revoked_in_the_future_works_until_then(client, session, clock, o311):
    await session.execute(update(IntegrationKey).values(revoked_at=text("'2026-11-27T10:00:00+00'")))
    await session.commit()
    ok_json(await post(client, service_code="greening", **LOCATED))
    clock.advance(hours=1)
    assert_error(await post(client, service_code="greening", **LOCATED), 403)
