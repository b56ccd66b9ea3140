"""``Idempotency-Key`` on ``POST /api/v1/requests``: a retry gets the first response, a reused key with another
body is refused, keys expire after 24 hours and belong to their caller; racing duplicates file once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from sqlalchemy import func, select

from app.integrations.models import IdempotencyRecord
from app.integrations.tasks import purge_expired_idempotency_records
from app.requests.models import ServiceRequest
from tests import factories

URL = "/api/v1/requests"
BODY = {"title": "楼道灯不亮", "description": "2单元3楼"}


def _with_key(headers: dict[str, str], key: str) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key}


async def _requests(session) -> int:  # type: ignore[no-untyped-def]
    return int(await session.scalar(select(func.count()).select_from(ServiceRequest)))


async def test_a_retry_gets_the_first_response_and_files_nothing(client, session, w, clock):
    headers = _with_key(w.h["resident"], "retry-1")
    first = await client.post(URL, json=BODY, headers=headers)
    assert first.status_code == 201
    clock.advance(minutes=3)
    # Whitespace and key order do not make it another request.
    retry = await client.post(URL, content='{ "description": "2单元3楼",  "title": "楼道灯不亮" }',
                              headers={**headers, "Content-Type": "application/json"})
    assert retry.status_code == 201 and retry.json() == first.json()
    assert retry.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    assert await _requests(session) == 1
    record = await session.scalar(select(IdempotencyRecord))
    assert record.owner == f"account:{w.resident.account_id}" and record.key == "retry-1"
    assert record.response_status == 201 and record.response_body["id"] == first.json()["id"]
    assert record.expires_at - record.created_at == timedelta(hours=24)


async def test_the_same_key_with_another_body_is_refused(client, session, w):
    headers = _with_key(w.h["resident"], "k-2")
    assert (await client.post(URL, json=BODY, headers=headers)).status_code == 201
    other = await client.post(URL, json={**BODY, "title": "电梯坏了"}, headers=headers)
    assert other.status_code == 422
    problem = other.json()
    assert other.headers["content-type"] == "application/problem+json"
    assert problem["code"] == "idempotency_key_reused"
    assert problem["errors"] == [{"field": "header.Idempotency-Key", "message": problem["detail"],
                                 "type": "idempotency_key_reused"}]
    assert await _requests(session) == 1


async def test_keys_expire_after_24_hours(client, session, app, w, clock):
    first = await client.post(URL, json=BODY, headers=_with_key(w.h["resident"], "k-3"))
    clock.advance(hours=23, minutes=59)
    # Tokens are short-lived: the resident signs in again.
    headers = _with_key(factories.headers_for(app, w.resident.account_id, "resident"), "k-3")
    assert (await client.post(URL, json=BODY, headers=headers)).json()["id"] == first.json()["id"]
    clock.advance(minutes=1)
    again = await client.post(URL, json=BODY, headers=headers)
    assert again.status_code == 201 and again.json()["id"] != first.json()["id"]
    assert "idempotent-replayed" not in again.headers
    assert await _requests(session) == 2
    # The hourly purge removes what expired (here: nothing yet, the key was just renewed).
    assert await purge_expired_idempotency_records() == 0
    clock.advance(hours=24)
    assert await purge_expired_idempotency_records() == 1


async def test_keys_belong_to_their_caller(client, session, w):
    a = await client.post(URL, json=BODY, headers=_with_key(w.h["resident"], "shared"))
    b = await client.post(URL, json=BODY, headers=_with_key(w.h["neighbour"], "shared"))
    assert a.status_code == b.status_code == 201 and a.json()["id"] != b.json()["id"]
    staff_body = {**BODY, "channel": "patrol", "building_id": w.building9.id}
    c = await client.post(URL, json=staff_body, headers=_with_key(w.h["captain"], "shared"))
    assert c.status_code == 201
    assert await _requests(session) == 3


async def test_without_a_key_every_post_files(client, session, w):
    for _ in range(2):
        assert (await client.post(URL, json=BODY, headers=w.h["resident"])).status_code == 201
    assert await _requests(session) == 2
    assert await session.scalar(select(IdempotencyRecord.id)) is None


async def test_a_failed_request_does_not_use_up_the_key(client, session, w):
    headers = _with_key(w.h["resident"], "k-5")
    refused = await client.post(URL, json={**BODY, "channel": "patrol"}, headers=headers)
    assert refused.status_code == 422
    assert (await client.post(URL, json=BODY, headers=headers)).status_code == 201


async def test_bad_keys_are_refused_with_the_field(client, w):
    for bad in ("", "x" * 256, "with space", "tab\there"):
        response = await client.post(URL, json=BODY, headers=_with_key(w.h["resident"], bad))
        assert response.status_code == 422, bad
        assert [e["field"] for e in response.json()["errors"]] == ["header.Idempotency-Key"]


async def test_racing_duplicates_file_once(app, session, w):
    transport = httpx.ASGITransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://test") as one,
        httpx.AsyncClient(transport=transport, base_url="http://test") as two,
    ):
        for round_ in range(3):
            headers = _with_key(w.h["resident"], f"race-{round_}")
            a, b = await asyncio.gather(one.post(URL, json=BODY, headers=headers),
                                        two.post(URL, json=BODY, headers=headers))
            assert a.status_code == b.status_code == 201 and a.json() == b.json()
            assert sorted(r.headers.get("idempotent-replayed", "") for r in (a, b)) == ["", "true"]
    assert await _requests(session) == 3
