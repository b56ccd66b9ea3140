from __future__ import annotations

from datetime import timedelta

from app.core.security import create_access_token
from app.people.models import Account
from tests import factories


async def test_password_sign_in_and_me(client, session, app):
    w = await factories.world(session, app)
    response = await client.post(
        "/api/v1/auth/token", data={"username": "captain", "password": factories.PASSWORD}
    )
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    body = me.json()
    assert body["kind"] == "staff"
    assert body["staff_id"] == w.captain.id
    assert body["roles"] == [
        {"role": "building_captain", "area_id": w.building9.id, "area_name": "9号楼", "area_kind": "building",
         "units": None, "department": None}
    ]


async def test_wrong_password_is_401_problem(client, session, app):
    await factories.world(session, app)
    response = await client.post("/api/v1/auth/token", data={"username": "captain", "password": "nope-nope"})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "invalid_credentials"
    unknown = await client.post("/api/v1/auth/token", data={"username": "ghost", "password": "nope-nope"})
    assert unknown.json()["code"] == "invalid_credentials"


async def test_routes_need_a_token_and_tokens_expire(client, session, app, clock):
    w = await factories.world(session, app)
    assert (await client.get("/api/v1/me")).status_code == 401
    assert (await client.get("/api/v1/me", headers={"Authorization": "Bearer forged"})).status_code == 401
    assert (await client.get("/api/v1/me", headers=w.h["resident"])).status_code == 200
    clock.advance(timedelta(minutes=app.state.settings.access_token_minutes + 1))
    expired = await client.get("/api/v1/me", headers=w.h["resident"])
    assert expired.status_code == 401
    assert expired.json()["code"] == "invalid_token"


async def test_health_needs_no_token(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["status"] == "ready"


async def test_a_disabled_account_is_refused_at_once_though_its_token_was_just_accepted(client, session, app):
    w = await factories.world(session, app)
    assert (await client.get("/api/v1/me", headers=w.h["captain"])).status_code == 200
    account = await session.get_one(Account, w.captain.account_id)
    account.is_active = False
    await session.commit()
    refused = await client.get("/api/v1/me", headers=w.h["captain"])
    assert refused.status_code == 401
    assert refused.json()["code"] == "invalid_token"


async def test_a_token_signed_with_another_secret_is_refused_beside_the_genuine_one(client, session, app):
    w = await factories.world(session, app)
    assert (await client.get("/api/v1/me", headers=w.h["captain"])).status_code == 200
    forged = create_access_token(
        account_id=w.captain.account_id, kind="staff", secret="x" * 40, now=app.state.clock.now(),
        minutes=app.state.settings.access_token_minutes,
    )
    refused = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"})
    assert refused.status_code == 401
    assert refused.json()["code"] == "invalid_token"
    assert (await client.get("/api/v1/me", headers=w.h["captain"])).status_code == 200
