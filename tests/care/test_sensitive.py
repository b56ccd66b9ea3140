"""Health data and emergency contacts: a captain of the same building who is not assigned to the elder reads the
record without them; the assigned captain reads them, and that read is logged."""

from __future__ import annotations

from sqlalchemy import select

from app.care.models import SensitiveReadLog
from tests import factories
from tests.care.support import DEVICE, GATEWAY_KEY, elder, gateway, sign_in


async def log_rows(session) -> list[tuple[int | None, int, str, str, list[str]]]:
    rows = await session.scalars(select(SensitiveReadLog).order_by(SensitiveReadLog.id))
    return [(r.account_id, r.elder_id, r.basis, r.resource, list(r.fields)) for r in rows]


async def test_an_unassigned_captain_reads_without_health_data_and_the_assigned_captains_read_is_logged(
    client, session, app, w, clock
):
    # A second captain of 9号楼 (unit 1): the elder is in their building but not assigned to them.
    second = await factories.staff(session, "captain2", [("building_captain", w.building9, {"units": [1]})],
                                   full_name="楼栋长周")
    await session.commit()
    second_h = factories.headers_for(app, second.account_id, "staff")
    old = await elder(client, w, vital_thresholds={"systolic": {"max": 150}})
    await client.post(f"/api/v1/care/elders/{old.id}/care-records",
                      json={"kind": "visit", "notes": "血压偏高，已提醒服药", "systolic": 158, "diastolic": 92},
                      headers=w.h["captain"])
    before = await log_rows(session)

    unassigned = await client.get(f"/api/v1/care/elders/{old.id}", headers=second_h)
    assert unassigned.status_code == 200
    body = unassigned.json()
    assert body["full_name"] == "王秀英" and body["lives_alone"] is True and body["wristband_device_id"] == DEVICE
    assert body["captain"] == {"id": w.captain.id, "full_name": "楼栋长李"}
    assert body["sensitive_hidden"] is True
    assert body["conditions"] is None and body["emergency_contacts"] is None and body["vital_thresholds"] is None
    records = (await client.get(f"/api/v1/care/elders/{old.id}/care-records", headers=second_h)).json()["items"]
    assert [(r["kind"], r["sensitive_hidden"], r["notes"], r["systolic"]) for r in records] == [
        ("visit", True, None, None)
    ]
    readings = await client.get(f"/api/v1/care/elders/{old.id}/readings", headers=second_h)
    assert readings.status_code == 403
    assert await log_rows(session) == before  # nothing sensitive was read

    assigned = (await client.get(f"/api/v1/care/elders/{old.id}", headers=w.h["captain"])).json()
    assert assigned["sensitive_hidden"] is False
    assert assigned["conditions"] == ["高血压", "糖尿病"]
    assert assigned["emergency_contacts"] == [{"name": "王小明", "relation": "儿子", "phone": "13900000000"}]
    assert assigned["vital_thresholds"] == {"heart_rate": {"min": 50, "max": 120}, "systolic": {"min": 90, "max": 150},
                                           "diastolic": {"min": 60, "max": 100}}
    assert (await log_rows(session))[len(before):] == [
        (w.captain.account_id, old.id, "assigned_captain", "elder",
         ["conditions", "emergency_contacts", "vital_thresholds"]),
    ]
    log = await session.scalar(select(SensitiveReadLog).order_by(SensitiveReadLog.id.desc()).limit(1))
    assert log.read_at == clock.now() and log.actor_kind == "staff"

    # Staff outside the elder's areas do not see the elder at all; residents neither.
    assert (await client.get(f"/api/v1/care/elders/{old.id}", headers=w.h["other_captain"])).status_code == 404
    assert (await client.get(f"/api/v1/care/elders/{old.id}", headers=w.h["resident"])).status_code == 404
    # Lists never carry the sensitive fields, whoever asks.
    listed = (await client.get("/api/v1/care/elders", headers=w.h["captain"])).json()["items"]
    assert [(e["id"], e["sensitive_hidden"], e["conditions"]) for e in listed] == [(old.id, True, None)]

    # The station head reads the log; the unassigned captain may not.
    reads = await client.get(f"/api/v1/care/elders/{old.id}/sensitive-reads", headers=w.h["head"])
    assert reads.status_code == 200
    # Newest first: the captain's read, and the station head's own when the profile was created (its answer
    # showed the sensitive fields back).
    assert [(r["account_id"], r["basis"]) for r in reads.json()] == [
        (w.captain.account_id, "assigned_captain"), (w.head.account_id, "station_head"),
    ]
    assert (await client.get(f"/api/v1/care/elders/{old.id}/sensitive-reads",
                             headers=second_h)).status_code == 403


async def test_alarm_detail_and_care_notes_follow_the_same_rule(client, session, app, w):
    await gateway(session, w)
    second = await factories.staff(session, "captain2", [("building_captain", w.building9, {"units": [1]})])
    await session.commit()
    second_h = factories.headers_for(app, second.account_id, "staff")
    old = await elder(client, w)
    posted = await client.post("/api/v1/care/device-readings", headers={"X-API-Key": GATEWAY_KEY}, json={
        "readings": [{"device_id": DEVICE, "recorded_at": "2026-11-27T16:59:00+08:00", "kind": "heart_rate",
                      "values": {"bpm": 140}}]})
    [alarm] = posted.json()["alarms"]
    hidden = (await client.get(f"/api/v1/care/alarms/{alarm['alarm_id']}", headers=second_h)).json()
    assert hidden["kind"] == "abnormal_vitals" and hidden["sensitive_hidden"] is True and hidden["detail"] is None
    volunteer = await sign_in(client, "vol.liufang")
    shown = (await client.get(f"/api/v1/care/alarms/{alarm['alarm_id']}", headers=volunteer)).json()
    assert shown["detail"]["first"]["breaches"] == [{"measure": "heart_rate", "value": 140, "min": 50, "max": 120}]
    account_id = (await client.get("/api/v1/me", headers=volunteer)).json()["account_id"]
    assert (await log_rows(session))[-1] == (account_id, old.id, "assigned_volunteer", "alarms", ["alarm_detail"])
