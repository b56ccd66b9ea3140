from __future__ import annotations

from sqlalchemy import select

from app.audit.models import AuditEntry
from tests import factories


async def test_station_head_creates_a_captain_for_two_units(client, session, app):
    w = await factories.world(session, app)
    body = {
        "username": "captain.new",
        "password": "s3cret-pass",
        "full_name": " 刘\u0065\u0301 ",
        "phone": "13800138009",
        "roles": [{"role": "building_captain", "area_id": w.building10.id, "units": [2, 1]}],
    }
    response = await client.post("/api/v1/staff", json=body, headers=w.h["head"])
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["full_name"] == "刘\u00e9"  # NFC and trimmed
    assert created["roles"][0]["units"] == [1, 2]
    signed_in = await client.post("/api/v1/auth/token", data={"username": "captain.new", "password": "s3cret-pass"})
    assert signed_in.status_code == 200

    # The write is audited with its actor.
    audit = (await session.scalars(
        select(AuditEntry).where(AuditEntry.table_name == "staff", AuditEntry.row_id == created["id"])
    )).all()
    assert [(a.action, a.actor_kind, a.actor_account_id) for a in audit] == [("insert", "staff", w.head.account_id)]
    assert audit[0].changes["full_name"] == "刘\u00e9"


async def test_role_outside_managed_area_and_wrong_kind(client, session, app):
    w = await factories.world(session, app)
    outside = {"username": "x.one", "password": "s3cret-pass", "full_name": "X",
               "roles": [{"role": "building_captain", "area_id": w.other_building.id}]}
    response = await client.post("/api/v1/staff", json=outside, headers=w.h["head"])
    assert response.status_code == 403
    wrong_kind = {**outside, "roles": [{"role": "station_head", "area_id": w.building9.id}]}
    response = await client.post("/api/v1/staff", json=wrong_kind, headers=w.h["head"])
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.roles.0.area_id"
    captain_cannot = await client.post("/api/v1/staff", json={**outside, "roles": [
        {"role": "building_captain", "area_id": w.building9.id}]}, headers=w.h["captain"])
    assert captain_cannot.status_code == 403


async def test_duplicate_username_is_409(client, session, app):
    w = await factories.world(session, app)
    body = {"username": "captain", "password": "s3cret-pass", "full_name": "Dup",
            "roles": [{"role": "building_captain", "area_id": w.building10.id}]}
    response = await client.post("/api/v1/staff", json=body, headers=w.h["admin"])
    assert response.status_code == 409
    assert response.json()["code"] == "username_taken"


async def test_staff_lists_and_reads_are_scoped(client, session, app):
    w = await factories.world(session, app)
    listed = await client.get("/api/v1/staff", headers=w.h["head"])
    usernames = {s["username"] for s in listed.json()["items"]}
    assert usernames == {"head", "captain"}
    assert (await client.get(f"/api/v1/staff/{w.other_captain.id}", headers=w.h["head"])).status_code == 404
    assert (await client.get(f"/api/v1/staff/{w.other_captain.id}", headers=w.h["admin"])).status_code == 200
    everyone = await client.get("/api/v1/staff", params={"limit": 2}, headers=w.h["admin"])
    page2 = await client.get("/api/v1/staff", params={"limit": 2, "cursor": everyone.json()["next_cursor"]},
                             headers=w.h["admin"])
    ids = [s["id"] for s in everyone.json()["items"] + page2.json()["items"]]
    assert ids == sorted(set(ids)) and len(ids) == 4
    assert (await client.get("/api/v1/staff", headers=w.h["resident"])).status_code == 403


async def test_absence_with_backup(client, session, app):
    w = await factories.world(session, app)
    body = {"starts_on": "2026-12-01", "ends_on": "2026-12-07", "backup_staff_id": w.head.id, "reason": "年假"}
    response = await client.post(f"/api/v1/staff/{w.captain.id}/absences", json=body, headers=w.h["head"])
    assert response.status_code == 201, response.text
    backwards = {**body, "ends_on": "2026-11-01"}
    response = await client.post(f"/api/v1/staff/{w.captain.id}/absences", json=backwards, headers=w.h["head"])
    assert response.status_code == 422
    self_backup = {**body, "backup_staff_id": w.captain.id}
    response = await client.post(f"/api/v1/staff/{w.captain.id}/absences", json=self_backup, headers=w.h["head"])
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.backup_staff_id"
    listed = await client.get(f"/api/v1/staff/{w.captain.id}/absences", headers=w.h["captain"])
    assert [a["backup_staff_id"] for a in listed.json()] == [w.head.id]


async def test_residents_registered_in_scope_and_read_only_by_themselves(client, session, app):
    w = await factories.world(session, app)
    body = {"full_name": "孙大妈", "phone": "13900000001", "building_id": w.building10.id, "unit": 1,
            "room": "201", "username": "sun.dama", "password": "s3cret-pass"}
    response = await client.post("/api/v1/residents", json=body, headers=w.h["head"])
    assert response.status_code == 201, response.text
    resident_id = response.json()["id"]
    too_high = {**body, "username": "sun2", "unit": 5}
    assert (await client.post("/api/v1/residents", json=too_high, headers=w.h["head"])).status_code == 422
    elsewhere = {**body, "username": "sun3", "building_id": w.other_building.id}
    response = await client.post("/api/v1/residents", json=elsewhere, headers=w.h["head"])
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.building_id"
    own = await client.get(f"/api/v1/residents/{w.resident.id}", headers=w.h["resident"])
    assert own.status_code == 200
    other = await client.get(f"/api/v1/residents/{resident_id}", headers=w.h["resident"])
    assert other.status_code == 404
