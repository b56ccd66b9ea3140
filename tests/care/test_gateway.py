"""The wristband gateway: a batch with an emergency call, a normal reading, a high blood pressure and an unknown
device; the urgent request reaching the elder's captain with the volunteer joined; a repeat folded into the
open alarm; the alarm's lifecycle."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select, text

from app.care.models import CareAlarm, WristbandReading
from app.people.models import StaffAbsence
from app.requests.models import ServiceRequest
from app.routing.tasks import route_request
from app.sla.tasks import sla_update
from tests.care.support import DEVICE, GATEWAY_KEY, HOTLINE_KEY, elder, gateway, sign_in

KEY = {"X-API-Key": GATEWAY_KEY}


def reading(kind: str, at: Any, device: str = DEVICE, **values: Any) -> dict[str, Any]:
    return {"device_id": device, "recorded_at": at.isoformat(), "kind": kind, "values": values}


async def post_batch(client, readings: list[dict[str, Any]], headers: dict[str, str] = KEY) -> dict[str, Any]:
    response = await client.post("/api/v1/care/device-readings", json={"readings": readings}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_batch_raises_alarms_files_an_urgent_request_for_the_captain_and_refuses_the_unknown(
    client, session, app, w, clock
):
    await gateway(session, w)
    old = await elder(client, w)
    now = clock.now()
    result = await post_batch(client, [
        reading("emergency_call", now - timedelta(seconds=30)),
        reading("heart_rate", now - timedelta(seconds=20), bpm=72),
        reading("blood_pressure", now - timedelta(seconds=10), systolic=182, diastolic=104),
        reading("heart_rate", now - timedelta(seconds=10), device="WB-9999", bpm=80),
    ])

    assert result["received"] == 4
    assert [(a["index"], a["duplicate"]) for a in result["accepted"]] == [(0, False), (1, False), (2, False)]
    assert [(r["index"], r["device_id"], r["code"]) for r in result["refused"]] == [(3, "WB-9999", "unknown_device")]
    alarms = {a["kind"]: a for a in result["alarms"]}
    assert set(alarms) == {"emergency_call", "abnormal_vitals"}
    call, vitals = alarms["emergency_call"], alarms["abnormal_vitals"]
    assert call["new"] and call["count"] == 1 and call["request_id"] is not None
    assert result["accepted"][0]["alarm_id"] == call["alarm_id"]
    assert result["accepted"][1]["alarm_id"] is None  # 72 bpm is normal
    assert result["accepted"][2]["alarm_id"] == vitals["alarm_id"] and vitals["new"]
    # Three readings kept (the unknown device's is not).
    assert await session.scalar(select(func.count()).select_from(WristbandReading)) == 3

    # The emergency call is an urgent request, already with the elder's captain, due in 5 minutes.
    request = (await client.get(f"/api/v1/requests/{call['request_id']}", headers=w.h["captain"])).json()
    assert request["title"] == "紧急呼叫：王秀英"
    assert (request["channel"], request["priority"], request["status"]) == ("wristband", "urgent", "assigned")
    assert request["category"]["code"] == "wristband_alarm"
    assert request["assignee"] == {"staff_id": w.captain.id, "full_name": "楼栋长李"}
    assert request["building_id"] == w.building9.id and request["unit"] == 2 and request["room"] == "301"
    assert request["reporter_resident_id"] == w.resident.id
    assert request["respond_by_at"] == (now + timedelta(minutes=5)).isoformat().replace("+00:00", "Z")
    assert request["timing"]["seconds_to_assign"] == 0
    # The SLA clock (enqueued with the assignment) agrees: the category's target is 5 minutes.
    await sla_update(request_id=call["request_id"])
    assert (await session.get(ServiceRequest, call["request_id"])).respond_by_at == now + timedelta(minutes=5)
    # The values stay on the alarm (health data); the request, readable by all staff of the area, does not carry them.
    vitals_request = (await client.get(f"/api/v1/requests/{vitals['request_id']}", headers=w.h["captain"])).json()
    assert vitals_request["title"] == "生命体征异常：王秀英" and "182" not in vitals_request["description"]

    # The volunteer joined: in the request's history, and a home-visit task of her own.
    events = (await client.get(f"/api/v1/requests/{call['request_id']}/events", headers=w.h["captain"])).json()
    assert [(e["kind"], e["action"], e["actor_kind"]) for e in events] == [
        ("transition", "submit", "integration"),
        ("transition", "assign", "system"),
        ("participant", "volunteer_join", "integration"),
    ]
    assert events[1]["data"]["rule"] == "elder_captain"
    assert events[2]["data"]["volunteer_id"] == old.volunteer_id
    volunteer = await sign_in(client, "vol.liufang")
    tasks = (await client.get("/api/v1/volunteers/me/tasks", headers=volunteer)).json()
    by_request = {t["request_id"]: t for t in tasks}
    task = by_request[call["request_id"]]
    assert (task["kind"], task["status"], task["source"], task["elder_id"]) == (
        "home_visit", "assigned", "alarm", old.id)
    seen = (await client.get("/api/v1/care/alarms", headers=volunteer)).json()["items"]
    assert {a["id"] for a in seen} == {call["alarm_id"], vitals["alarm_id"]}
    assert all(a["volunteer_id"] == old.volunteer_id and not a["sensitive_hidden"] for a in seen)

    # A minute later she presses the button again: counted into the open alarm, no second request.
    clock.advance(minutes=1)
    again = await post_batch(client, [reading("emergency_call", clock.now())])
    assert again["refused"] == []
    [folded] = again["alarms"]
    assert (folded["alarm_id"], folded["new"], folded["count"]) == (call["alarm_id"], False, 2)
    assert folded["request_id"] == call["request_id"]
    alarm = await session.get(CareAlarm, call["alarm_id"])
    assert alarm.count == 2 and alarm.last_at == clock.now() and alarm.first_at == now - timedelta(seconds=30)
    wristband_requests = select(func.count()).select_from(ServiceRequest).where(ServiceRequest.channel == "wristband")
    assert await session.scalar(wristband_requests) == 2
    # The gateway resends the first batch: nothing is kept twice, nothing raised again.
    resent = await post_batch(client, [reading("emergency_call", now - timedelta(seconds=30))])
    assert resent["accepted"] == [{"index": 0, "reading_id": None, "duplicate": True, "alarm_id": None}]
    assert resent["alarms"] == []


async def test_the_alarm_is_acknowledged_then_cleared_and_a_later_call_raises_a_new_one(client, session, w, clock):
    await gateway(session, w)
    await elder(client, w)
    first = (await post_batch(client, [reading("emergency_call", clock.now())]))["alarms"][0]
    ack = await client.post(f"/api/v1/care/alarms/{first['alarm_id']}/acknowledge", json={"note": "已电话联系"},
                            headers=w.h["captain"])
    assert ack.status_code == 200 and ack.json()["status"] == "acknowledged"
    assert ack.json()["allowed_actions"] == ["clear"]
    twice = await client.post(f"/api/v1/care/alarms/{first['alarm_id']}/acknowledge", json={},
                              headers=w.h["captain"])
    assert twice.status_code == 409 and twice.json()["allowed_actions"] == ["clear"]
    cleared = await client.post(f"/api/v1/care/alarms/{first['alarm_id']}/clear",
                                json={"note": "已上门，老人误触按钮"}, headers=w.h["captain"])
    assert cleared.json()["status"] == "cleared"
    # The volunteer's task, not yet accepted, is cancelled with the alarm.
    volunteer = await sign_in(client, "vol.liufang")
    [task] = (await client.get("/api/v1/volunteers/me/tasks", headers=volunteer)).json()
    assert task["status"] == "cancelled"
    clock.advance(minutes=2)
    second = (await post_batch(client, [reading("emergency_call", clock.now())]))["alarms"][0]
    assert second["new"] and second["alarm_id"] != first["alarm_id"]
    assert second["request_id"] != first["request_id"]


async def test_readings_are_checked_item_by_item_and_keys_are_checked(client, session, w, clock):
    await gateway(session, w)
    await gateway(session, w, key=HOTLINE_KEY, kind="hotline")
    await elder(client, w)
    now = clock.now()
    result = await post_batch(client, [
        reading("heart_rate", now, bpm="fast"),
        reading("blood_pressure", now, systolic=120),
        reading("heart_rate", now + timedelta(hours=2), bpm=70),
        {"device_id": DEVICE, "kind": "heart_rate", "recorded_at": "2026-11-27T08:59:00", "values": {"bpm": 70}},
        reading("location", now, latitude=34.3650, longitude=108.9420),
        reading("location", now + timedelta(seconds=1), latitude=34.3750, longitude=108.9420),  # ~1.1 km away
    ])
    assert [(r["index"], r["code"]) for r in result["refused"]] == [
        (0, "invalid_reading"), (1, "invalid_reading"), (2, "time_in_future"), (3, "invalid_reading"),
    ]
    assert result["refused"][0]["errors"][0]["field"] == "body.readings.0.values.bpm"
    assert result["refused"][1]["errors"][0]["field"] == "body.readings.1.values.diastolic"
    assert result["refused"][3]["errors"][0]["field"] == "body.readings.3.recorded_at"
    assert [a["index"] for a in result["accepted"]] == [4, 5]
    [left] = result["alarms"]
    assert left["kind"] == "left_safe_zone" and result["accepted"][1]["alarm_id"] == left["alarm_id"]

    assert (await client.post("/api/v1/care/device-readings", json={"readings": []}, headers=KEY)).status_code == 422
    too_many = [reading("heart_rate", now - timedelta(seconds=i), bpm=70) for i in range(501)]
    assert (await client.post("/api/v1/care/device-readings", json={"readings": too_many},
                              headers=KEY)).status_code == 422
    no_key = await client.post("/api/v1/care/device-readings", json={"readings": [reading("heart_rate", now)]})
    assert no_key.status_code == 401 and no_key.json()["code"] == "invalid_api_key"
    wrong = await client.post("/api/v1/care/device-readings", json={"readings": [reading("heart_rate", now)]},
                              headers={"X-API-Key": "nope"})
    assert wrong.status_code == 401
    hotline = await client.post("/api/v1/care/device-readings", json={"readings": [reading("heart_rate", now)]},
                                headers={"X-API-Key": HOTLINE_KEY})
    assert hotline.status_code == 403


async def test_an_away_captains_backup_takes_the_alarm_and_without_a_captain_routing_decides(
    client, session, app, w, clock
):
    await gateway(session, w)
    session.add(StaffAbsence(staff_id=w.captain.id, starts_on=date(2026, 11, 27), ends_on=date(2026, 11, 29),
                             backup_staff_id=w.head.id, reason="探亲"))
    await session.commit()
    captained = await elder(client, w)
    lonely = await client.post("/api/v1/care/elders", json={
        "resident_id": w.neighbour.id, "birth_year": 1941, "lives_alone": True, "wristband_device_id": "WB-0043",
    }, headers=w.h["head"])
    assert lonely.status_code == 201, lonely.text
    result = await post_batch(client, [reading("emergency_call", clock.now()),
                                       reading("emergency_call", clock.now(), device="WB-0043")])
    by_elder = {a["elder_id"]: a for a in result["alarms"]}
    backed_up = await session.get(ServiceRequest, by_elder[captained.id]["request_id"])
    assert (backed_up.status, backed_up.assignee_staff_id) == ("assigned", w.head.id)  # the captain's backup
    routed = await session.get(ServiceRequest, by_elder[lonely.json()["id"]]["request_id"])
    assert (routed.status, routed.assignee_staff_id, routed.priority) == ("submitted", None, "urgent")
    jobs = (await session.execute(text("SELECT args FROM procrastinate_jobs WHERE task_name = 'route_request' "
                                       "ORDER BY id"))).scalars().all()
    assert jobs == [{"request_id": backed_up.id}, {"request_id": routed.id}]
    # The routing job of the request already assigned finds nothing to do; the other is routed as usual.
    await route_request(request_id=backed_up.id)
    await route_request(request_id=routed.id)
    after = dict((await session.execute(
        select(ServiceRequest.id, ServiceRequest.assignee_staff_id).where(ServiceRequest.channel == "wristband")
    )).all())
    # Routing too skips the captain who is away, for the same backup.
    assert after == {backed_up.id: w.head.id, routed.id: w.head.id}
