"""Helpers for the integration tests: register an integration through the admin API, post work orders with
its key, run the pipeline's steps by hand."""

from __future__ import annotations

import json
from contextlib import contextmanager
from typing import Any

import httpx

from app.routing.tasks import route_request
from app.webhooks.signing import verify
from app.webhooks.tasks import send_due_deliveries
from tests.factories import World
from tests.receiver import Received

FACADE = "翠湖明居小区9号楼外墙瓷砖脱落，楼下有人经过，很危险"


async def register(
    client: httpx.AsyncClient, w: World, *, name: str = "西安12345热线", kind: str = "hotline",
    callback_url: str | None = None, area_id: int | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, "kind": kind, "area_id": area_id or w.district.id}
    if callback_url is not None:
        body["callback_url"] = callback_url
    response = await client.post("/api/v1/integrations", json=body, headers=w.h["admin"])
    assert response.status_code == 201, response.text
    return response.json()


def key_headers(integration: dict[str, Any], key: str | None = None) -> dict[str, str]:
    return {"X-API-Key": key or integration["api_key"]}


def work_order(number: str = "XA12345-0001", **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "order_number": number,
        "received_at": "2026-11-27T16:58:00+08:00",
        "caller_name": "刘女士",
        "caller_phone": "13912345678",
        "content": "翠湖明居9号楼2单元楼道灯不亮，晚上看不见路。请尽快处理",
        "address": "未央区翠湖明居小区9号楼",
    }
    body.update(fields)
    return body


async def post_order(client: httpx.AsyncClient, integration: dict[str, Any], **fields: Any) -> httpx.Response:
    return await client.post(
        "/api/v1/integrations/hotline/work-orders", json=work_order(**fields), headers=key_headers(integration)
    )


async def route(request_id: int) -> None:
    await route_request(request_id=request_id)


async def deliver_all() -> None:
    """Sends whatever is due (in id order, so each request's callbacks go one after the other), a few rounds."""
    for _ in range(5):
        if not await send_due_deliveries():
            break


def bodies(received: list[Received]) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in received]


def signed_with(secret: str, got: Received) -> bool:
    return verify(secret, int(got.headers["x-doorstep-timestamp"]), got.body, got.headers["x-doorstep-signature"])


@contextmanager
def max_attempts(app: Any, attempts: int):  # type: ignore[no-untyped-def]
    settings = app.state.settings
    saved = settings.webhook_max_attempts
    settings.webhook_max_attempts = attempts
    try:
        yield settings
    finally:
        settings.webhook_max_attempts = saved
