"""GET requests.{fmt}, requests/{id}.{fmt} and tokens/{token}.{fmt}: filters, the 90-day window, the token flow,
routing by nearest building as Open311 clients see it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import insert, update

from app.requests.models import ServiceRequest
from app.routing.tasks import route_request
from tests.conftest import START
from tests.factories import World
from tests.open311.conftest import assert_error, get, ok_json, ok_xml, post, xml_items
from tests.requests.support import arrange

HAZARD = "翠湖明居小区9号楼外墙瓷砖脱落"
NEAR_9 = {"lat": "34.36502", "long": "108.94201"}
FIELDS = ["service_request_id", "status", "status_notes", "service_name", "service_code", "description",
          "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
          "address", "address_id", "zipcode", "lat", "long", "media_url"]


async def submit(client: httpx.AsyncClient, service_code: str = "public_lighting", **fields: Any) -> dict[str, Any]:
    fields.setdefault("address_string", "凤城八路")
    [answer] = ok_json(await post(client, service_code=service_code, **fields))
    return answer


def ids(found: list[dict[str, Any]]) -> list[str]:
    return [r["service_request_id"] for r in found]


async def test_lat_long_route_to_the_nearest_building_and_its_captain(client, w, o311):
    answer = await submit(client, "public_lighting", description="楼道灯不亮", address_string="", **NEAR_9)
    [before] = ok_json(await get(client, f"requests/{answer['service_request_id']}.json"))
    assert before["agency_responsible"] == "待分派" and before["expected_datetime"] is None
    assert before["address_id"] is None and (before["lat"], before["long"]) == (34.36502, 108.94201)

    await route_request(request_id=1)
    [after] = ok_json(await get(client, f"requests/{answer['service_request_id']}.json"))
    assert list(after) == FIELDS
    assert after["agency_responsible"] == "楼栋长 · 翠湖明居 9号楼"
    assert after["address_id"] == w.building9.id and after["status"] == "open"
    assert after["requested_datetime"] == "2026-11-27T17:00:00+08:00"
    assert after["expected_datetime"] == "2026-11-28T17:00:00+08:00"  # public lighting: resolved within a day
    assert after["updated_datetime"] == "2026-11-27T17:00:00+08:00"
    assert after["service_name"] == "公共照明" and after["service_code"] == "public_lighting"
    assert after["zipcode"] is None and after["media_url"] is None and after["status_notes"] is None


async def test_a_facade_hazard_in_chinese_round_trips_and_goes_to_the_station_head(client, w, o311):
    answer = await submit(client, "facade_hazard", description=HAZARD, address_string="",
                          **NEAR_9, **{"attribute[danger]": "yes"})
    await route_request(request_id=1)
    [read] = ok_json(await get(client, f"requests/{answer['service_request_id']}.json"))
    assert read["description"] == HAZARD and read["service_name"] == "外墙及结构隐患"
    assert read["agency_responsible"] == "站长 · 翠湖明居"
    [xml_read] = xml_items(ok_xml(await get(client, f"requests/{answer['service_request_id']}.xml")))
    assert xml_read["description"] == HAZARD and xml_read["agency_responsible"] == "站长 · 翠湖明居"
    assert xml_read["address_id"] == str(w.building9.id) and xml_read["zipcode"] is None
    assert xml_read["requested_datetime"] == "2026-11-27T17:00:00+08:00"


async def test_a_building_without_lat_long_answers_with_the_building_s_point(client, w, o311):
    answer = await submit(client, "water_leak", address_string="", address_id=str(w.building9.id))
    [read] = ok_json(await get(client, f"requests/{answer['service_request_id']}.json"))
    assert (read["lat"], read["long"], read["address_id"]) == (34.3650, 108.9420, w.building9.id)


async def test_the_token_flow(client, o311):
    answer = await submit(client)
    token = answer["token"]
    assert ok_json(await get(client, f"tokens/{token}.json")) == [
        {"service_request_id": answer["service_request_id"], "token": token}
    ]
    root = ok_xml(await get(client, f"tokens/{token}.xml"))
    assert root.tag == "service_requests"
    assert xml_items(root) == [{"service_request_id": answer["service_request_id"], "token": token}]
    assert_error(await get(client, "tokens/no-such-token.json"), 404, "token no-such-token not found")
    assert_error(await get(client, "tokens/no-such-token.xml"), 404, "no-such-token", fmt="xml")


async def test_one_request_by_reference_or_id(client, session, w, o311):
    answer = await submit(client, description="垃圾没人清运")
    by_reference = ok_json(await get(client, f"requests/{answer['service_request_id']}.json"))
    assert ok_json(await get(client, "requests/1.json")) == by_reference
    assert ok_json(await get(client, f"requests/{answer['service_request_id'].lower()}.json")) == by_reference
    assert len(by_reference) == 1 and by_reference[0]["description"] == "垃圾没人清运"
    root = ok_xml(await get(client, "requests/1.xml"))
    assert root.tag == "service_requests" and [i.tag for i in root] == ["request"]
    assert xml_items(root)[0]["service_request_id"] == answer["service_request_id"]
    for fmt in ("json", "xml"):
        assert_error(await get(client, f"requests/DS0000009999.{fmt}"), 404, "DS0000009999", fmt=fmt)
        assert_error(await get(client, f"requests/42.{fmt}"), 404, "42", fmt=fmt)
        assert_error(await get(client, f"requests/abc.{fmt}"), 404, "abc", fmt=fmt)


async def test_only_open311_requests_are_public_and_never_the_reporter(client, session, w, o311):
    answer = await submit(client, first_name="秀英", last_name="王", phone="13900139000", email="wang@example.cn")
    app_request = await arrange(session, w, "assigned", now=START)
    assert_error(await get(client, f"requests/{app_request.id}.json"), 404)
    response = await get(client, "requests.json")
    assert ids(ok_json(response)) == [answer["service_request_id"]]
    assert ids(ok_json(await get(client, "requests.json", service_request_id=app_request.reference))) == []
    for secret in ("13900139000", "王秀英", "秀英", "wang@example.cn"):
        assert secret not in response.text
        assert secret not in (await get(client, "requests.xml")).text


# Filters -----------------------------------------------------------------------------------------------------


async def spread(client: httpx.AsyncClient, session, clock, w: World) -> list[str]:  # type: ignore[no-untyped-def]
    """Five Open311 requests, at START - 100 days (2026-08-19), - 60 days (2026-09-28), - 10 days (2026-11-17),
    - 1 day and START; the one at - 10 days is resolved, the one at - 1 day rejected. Their references, oldest
    first."""
    refs = []
    for days, code in ((100, "sanitation"), (60, "greening"), (10, "sanitation"), (1, "water_leak"), (0, "greening")):
        clock.set(START - timedelta(days=days))
        refs.append((await submit(client, code))["service_request_id"])
    clock.set(START)
    await session.execute(update(ServiceRequest).where(ServiceRequest.id == 3)
                          .values(status="resolved", resolved_at=START - timedelta(days=9), resolution_note="已清运"))
    await session.execute(update(ServiceRequest).where(ServiceRequest.id == 4)
                          .values(status="rejected", status_reason="不属于社区职责"))
    await session.commit()
    return refs


async def test_the_default_window_is_the_last_90_days_newest_first(client, session, clock, w, o311):
    refs = await spread(client, session, clock, w)
    found = ok_json(await get(client, "requests.json"))
    assert ids(found) == [refs[4], refs[3], refs[2], refs[1]]
    assert [r["status"] for r in found] == ["open", "closed", "closed", "open"]
    assert [r["status_notes"] for r in found] == [None, "不属于社区职责", "已清运", None]
    root = ok_xml(await get(client, "requests.xml"))
    assert root.tag == "service_requests" and [i["service_request_id"] for i in xml_items(root)] == ids(found)
    # The window follows the injected clock.
    clock.advance(days=31)
    assert ids(ok_json(await get(client, "requests.json"))) == [refs[4], refs[3], refs[2]]


async def test_status_and_service_code_filters(client, session, clock, w, o311):
    refs = await spread(client, session, clock, w)
    assert ids(ok_json(await get(client, "requests.json", status="open"))) == [refs[4], refs[1]]
    assert ids(ok_json(await get(client, "requests.json", status="closed"))) == [refs[3], refs[2]]
    assert ids(ok_json(await get(client, "requests.json", status="open,closed"))) == [refs[4], refs[3], refs[2],
                                                                                       refs[1]]
    assert ids(ok_json(await get(client, "requests.json", service_code="greening"))) == [refs[4], refs[1]]
    assert ids(ok_json(await get(client, "requests.json", service_code="sanitation", status="closed"))) == [refs[2]]
    assert ids(ok_json(await get(client, "requests.json", service_code="no_such_thing"))) == []
    assert_error(await get(client, "requests.json", status="pending"), 400, "status")
    assert_error(await get(client, "requests.xml", status="pending"), 400, "status", fmt="xml")


async def test_start_and_end_dates(client, session, clock, w, o311):
    refs = await spread(client, session, clock, w)
    found = ok_json(await get(client, "requests.json", start_date="2026-09-01T00:00:00+08:00",
                              end_date="2026-10-01T00:00:00+08:00"))
    assert ids(found) == [refs[1]]
    # Inclusive at both ends, offsets honoured (START - 1 day is 2026-11-26T17:00+08:00).
    assert ids(ok_json(await get(client, "requests.json", start_date="2026-11-26T09:00:00Z",
                                 end_date="2026-11-27T17:00:00+08:00"))) == [refs[4], refs[3]]
    assert ids(ok_json(await get(client, "requests.json", start_date="2026-11-26T09:00:01Z"))) == [refs[4]]
    # Only an end: the 90 days before it. Only a start: the 90 days after it.
    assert ids(ok_json(await get(client, "requests.json", end_date="2026-11-17T08:59:59Z"))) == [refs[1], refs[0]]
    assert ids(ok_json(await get(client, "requests.json", end_date="2026-11-17T09:00:00Z"))) == [
        refs[2], refs[1], refs[0]
    ]
    assert ids(ok_json(await get(client, "requests.json", end_date="2026-11-17T09:00:01Z"))) == [refs[2], refs[1]]
    assert ids(ok_json(await get(client, "requests.json", start_date="2026-08-20T00:00:00+08:00"))) == [
        refs[2], refs[1]
    ]
    # A '+' sent unencoded arrives as a space: still read as the offset.
    response = await client.get("/open311/v2/requests.json?start_date=2026-11-27T17:00:00+08:00")
    assert ids(ok_json(response)) == [refs[4]]


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"start_date": "2026-08-01T00:00:00+08:00", "end_date": "2026-11-27T00:00:00+08:00"}, ["90 days"]),
        ({"start_date": "2026-11-27T00:00:00+08:00", "end_date": "2026-11-01T00:00:00+08:00"}, ["before"]),
        ({"start_date": "2026-11-01"}, ["start_date needs a time zone"]),
        ({"end_date": "last week"}, ["end_date must be a W3C date-time"]),
        ({"service_request_id": "DS00001,oops"}, ["service_request_id"]),
    ],
)
async def test_bad_filters_are_400(client, o311, params, words):
    assert_error(await get(client, "requests.json", **params), 400, *words)


async def test_exactly_90_days_apart_is_allowed(client, o311):
    ok_json(await get(client, "requests.json", start_date="2026-08-29T09:00:00Z", end_date="2026-11-27T09:00:00Z"))


async def test_service_request_id_overrides_every_other_filter(client, session, clock, w, o311):
    refs = await spread(client, session, clock, w)
    # refs[0] is older than 90 days and the dates below exclude everything; refs[2] is closed.
    found = ok_json(await get(client, "requests.json", service_request_id=f"{refs[0]}, {refs[2]},5,DS0000009999",
                              status="open", service_code="water_leak", start_date="2020-01-01T00:00:00Z",
                              end_date="2026-11-27T09:00:00Z"))
    assert ids(found) == [refs[4], refs[2], refs[0]]
    # The override skips the date checks too (start and end here are years apart).
    assert ids(ok_json(await get(client, "requests.json", service_request_id="1"))) == [refs[0]]


async def test_at_most_1000_newest_first(client, session, w, o311):
    rows = [
        {"channel": "open311", "integration_id": o311.integration.id, "priority": "normal", "title": f"#{i}",
         "description": "", "area_id": w.subdistrict.id, "area_path": w.subdistrict.path, "status": "submitted",
         "submitted_at": START - timedelta(minutes=i), "created_at": START - timedelta(minutes=i)}
        for i in range(1005)
    ]
    await session.execute(insert(ServiceRequest), rows)
    await session.commit()
    found = ok_json(await get(client, "requests.json"))
    assert len(found) == 1000
    assert found[0]["service_request_id"] == "DS0000000001" and found[-1]["service_request_id"] == "DS0000001000"
    assert all(r["service_name"] is None and r["agency_responsible"] == "待分派" for r in found[:3])
