"""The registry: district admins register integrations (key and secret shown once, the key stored hashed),
rotate and revoke keys; a key authenticates only on the integration routes and only for its own things."""

from __future__ import annotations

import asyncio
import hashlib
import os
import subprocess
import sys

from sqlalchemy import select

from app.integrations.models import Integration, IntegrationKey
from tests import factories
from tests.integrations.support import key_headers, post_order, register, work_order


async def test_admin_registers_an_integration_and_sees_the_key_once(client, session, w, clock):
    created = await register(client, w, callback_url="https://12345.example.gov.cn/cb")
    key, secret = created["api_key"], created["callback_secret"]
    assert key.startswith("ds_") and len(key) == 43
    assert secret.startswith("whsec_")
    assert created["kind"] == "hotline" and created["area"]["code"] == "610112"
    [listed_key] = created["keys"]
    assert listed_key["prefix"] == key[:11] and listed_key["revoked_at"] is None

    stored = await session.scalar(select(IntegrationKey))
    assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest() and key not in stored.prefix + stored.key_hash

    # Never shown again.
    one = (await client.get(f"/api/v1/integrations/{created['id']}", headers=w.h["admin"])).json()
    listed = (await client.get("/api/v1/integrations", headers=w.h["admin"])).json()
    for shown in (one, *listed):
        assert "api_key" not in shown and "callback_secret" not in shown and key not in str(shown)
    assert [i["name"] for i in listed] == ["西安12345热线"]

    # The key works, and its use is stamped.
    assert (await post_order(client, created)).status_code == 201
    used = (await client.get(f"/api/v1/integrations/{created['id']}", headers=w.h["admin"])).json()
    assert used["keys"][0]["last_used_at"] == clock.now().isoformat().replace("+00:00", "Z")


async def test_only_district_admins_of_the_area_manage_integrations(client, session, app, w):
    created = await register(client, w)
    for who in ("head", "captain", "resident"):
        assert (await client.get("/api/v1/integrations", headers=w.h[who])).status_code == 403
        response = await client.post(
            "/api/v1/integrations", json={"name": "x", "kind": "hotline", "area_id": w.district.id}, headers=w.h[who]
        )
        assert response.status_code == 403
    # An admin of another district: not found, not listed, cannot register over our area.
    other_district = await factories.area(session, "district", "碑林区", code="610103")
    other_admin = await factories.staff(session, "admin2", [("district_admin", other_district)])
    await session.commit()
    h = factories.headers_for(app, other_admin.account_id, "staff")
    assert (await client.get("/api/v1/integrations", headers=h)).json() == []
    for method, url in (("GET", ""), ("PATCH", ""), ("POST", "/keys"), ("DELETE", "/keys/1"),
                        ("GET", "/deliveries")):
        response = await client.request(method, f"/api/v1/integrations/{created['id']}{url}", headers=h,
                                        json={} if method == "PATCH" else None)
        assert response.status_code == 404, (method, url, response.text)
    response = await client.post("/api/v1/integrations", json={"name": "y", "kind": "hotline",
                                                               "area_id": w.district.id}, headers=h)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "body.area_id"


async def test_bad_registrations_are_refused(client, w):
    await register(client, w)
    again = await client.post("/api/v1/integrations", json={"name": "西安12345热线", "kind": "hotline",
                                                            "area_id": w.district.id}, headers=w.h["admin"])
    assert again.status_code == 409 and again.json()["code"] == "integration_name_taken"
    for bad in ({"callback_url": "ftp://example.com/x"}, {"callback_url": "not a url"}, {"kind": "fax"},
                {"extra": 1}):
        body = {"name": "另一个", "kind": "hotline", "area_id": w.district.id, **bad}
        response = await client.post("/api/v1/integrations", json=body, headers=w.h["admin"])
        assert response.status_code == 422, bad


async def test_patch_renames_moves_the_callback_and_deactivates(client, w):
    created = await register(client, w)
    url = f"/api/v1/integrations/{created['id']}"
    patched = await client.patch(url, json={"name": "12345 新名", "callback_url": "https://a.example/cb"},
                                 headers=w.h["admin"])
    assert patched.status_code == 200
    assert patched.json()["name"] == "12345 新名" and patched.json()["callback_url"] == "https://a.example/cb"
    assert (await client.patch(url, json={"is_active": None}, headers=w.h["admin"])).status_code == 422

    assert (await client.patch(url, json={"is_active": False}, headers=w.h["admin"])).status_code == 200
    refused = await post_order(client, created)
    assert refused.status_code == 401 and refused.json()["code"] == "invalid_api_key"
    assert (await client.patch(url, json={"is_active": True}, headers=w.h["admin"])).status_code == 200
    assert (await post_order(client, created)).status_code == 201


async def test_rotation_keeps_the_old_key_until_it_is_revoked(client, w):
    created = await register(client, w)
    url = f"/api/v1/integrations/{created['id']}"
    rotated = await client.post(f"{url}/keys", headers=w.h["admin"])
    assert rotated.status_code == 201
    new_key = rotated.json()["api_key"]
    assert new_key != created["api_key"]

    # Both work during the switch.
    assert (await post_order(client, created, number="A-1")).status_code == 201
    assert (await client.post("/api/v1/integrations/hotline/work-orders", json=work_order("A-2"),
                              headers=key_headers(created, new_key))).status_code == 201

    old_id = created["keys"][0]["id"]
    assert (await client.delete(f"{url}/keys/{old_id}", headers=w.h["admin"])).status_code == 204
    assert (await client.delete(f"{url}/keys/{old_id}", headers=w.h["admin"])).status_code == 204  # no change
    assert (await client.delete(f"{url}/keys/999999", headers=w.h["admin"])).status_code == 404
    assert (await post_order(client, created, number="A-3")).status_code == 401
    assert (await client.post("/api/v1/integrations/hotline/work-orders", json=work_order("A-3"),
                              headers=key_headers(created, new_key))).status_code == 201
    keys = (await client.get(url, headers=w.h["admin"])).json()["keys"]
    assert [(k["id"], k["revoked_at"] is not None) for k in keys] == [(rotated.json()["id"], False), (old_id, True)]


async def test_a_key_reaches_only_the_integration_routes(client, w):
    created = await register(client, w)
    headers = key_headers(created)
    for method, url in (("GET", "/api/v1/requests"), ("GET", "/api/v1/me"), ("GET", "/api/v1/integrations"),
                        ("GET", f"/api/v1/integrations/{created['id']}"), ("GET", "/api/v1/deliveries"),
                        ("POST", f"/api/v1/integrations/{created['id']}/keys")):
        response = await client.request(method, url, headers=headers)
        assert response.status_code == 401, (url, response.text)
    # Malformed, unknown and missing keys.
    for bad in ("nope", "ds_" + "A" * 40, created["api_key"] + "x"):
        response = await post_order(client, {"api_key": bad})
        assert response.status_code == 401 and response.json()["code"] == "invalid_api_key"
    missing = await client.post("/api/v1/integrations/hotline/work-orders", json=work_order("B-1"))
    assert missing.status_code == 401
    # A staff token is no key.
    as_admin = await client.post("/api/v1/integrations/hotline/work-orders", json=work_order("B-1"),
                                 headers=w.h["admin"])
    assert as_admin.status_code == 401


async def test_an_integration_sees_only_its_own_work_orders_and_deliveries(client, session, w):
    ours = await register(client, w, name="ours")
    theirs = await register(client, w, name="theirs", area_id=w.other_community.id)
    assert (await post_order(client, theirs, number="T-1")).status_code == 201
    assert (await client.get("/api/v1/integrations/hotline/work-orders/T-1",
                             headers=key_headers(theirs))).status_code == 200
    assert (await client.get("/api/v1/integrations/hotline/work-orders/T-1",
                             headers=key_headers(ours))).status_code == 404
    assert (await client.get(f"/api/v1/integrations/{theirs['id']}/deliveries",
                             headers=key_headers(ours))).status_code == 404
    assert (await client.get(f"/api/v1/integrations/{ours['id']}/deliveries",
                             headers=key_headers(ours))).status_code == 200
    # Filed in its own area (routing then locates it inside that area).
    row = (await client.get("/api/v1/integrations/hotline/work-orders/T-1", headers=key_headers(theirs))).json()
    assert row["area"]["id"] == w.other_community.id


async def test_the_cli_registers_an_integration_and_prints_the_key_once(session, w, database_url):
    env = {**os.environ, "DOORSTEP_DATABASE_URL": database_url, "DOORSTEP_LOG_LEVEL": "WARNING"}
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "app.cli", "integrations", "create", "--name", "区网格平台", "--kind", "hotline",
         "--area", "610112", "--callback-url", "https://grid.example/cb"],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    key = next(line.split(": ", 1)[1] for line in result.stdout.splitlines() if line.startswith("API key"))
    secret = next(line.split(": ", 1)[1] for line in result.stdout.splitlines() if line.startswith("Callback"))
    stored = await session.scalar(select(Integration).where(Integration.name == "区网格平台"))
    assert stored.callback_secret == secret and stored.callback_url == "https://grid.example/cb"
    key_row = await session.scalar(select(IntegrationKey).where(IntegrationKey.integration_id == stored.id))
    assert key_row.key_hash == hashlib.sha256(key.encode()).hexdigest()

    unknown = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "app.cli", "integrations", "create", "--name", "x", "--kind", "hotline",
         "--area", "999999"],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert unknown.returncode == 1 and "999999" in unknown.stderr
