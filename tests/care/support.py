"""Arranging the care tests: a wristband gateway's key, an elder (through the API) with a captain and a
volunteer who can sign in."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.integrations.models import Integration, IntegrationKey
from tests.factories import World

GATEWAY_KEY = "ds_" + "k" * 40
HOTLINE_KEY = "ds_" + "h" * 40
DEVICE = "WB-0042"


async def gateway(session: AsyncSession, w: World, *, key: str = GATEWAY_KEY, kind: str = "device_gateway") -> None:
    integration = Integration(name=f"手环网关-{kind}", kind=kind, callback_secret="s" * 40, area_id=w.district.id)
    session.add(integration)
    await session.flush()
    session.add(IntegrationKey(integration_id=integration.id, prefix=key[:12],
                               key_hash=hashlib.sha256(key.encode()).hexdigest(),
                               created_at=datetime.now(UTC)))
    await session.commit()


@dataclass
class Elder:
    id: int
    volunteer_id: int


async def elder(client: Any, w: World, **extra: Any) -> Elder:
    """王秀英 of 9号楼, living alone, with the 9号楼 captain and the volunteer 刘芳; created by the station head."""
    response = await client.post("/api/v1/volunteers", json={
        "full_name": "刘芳", "phone": "13700137000", "skills": ["companionship", "health"],
        "compound_id": w.compound.id, "username": "vol.liufang", "password": "s3cret-pass",
    }, headers=w.h["head"])
    assert response.status_code == 201, response.text
    volunteer = response.json()
    body = {
        "resident_id": w.resident.id, "birth_year": 1946, "lives_alone": True, "mobility": "walks_with_aid",
        "conditions": ["高血压", "糖尿病"],
        "emergency_contacts": [{"name": "王小明", "relation": "儿子", "phone": "13900000000"}],
        "captain_staff_id": w.captain.id, "volunteer_id": volunteer["id"], "services": ["meal_assistance"],
        "wristband_device_id": DEVICE, "safe_zone": {"latitude": 34.3650, "longitude": 108.9420, "radius_m": 500},
        **extra,
    }
    response = await client.post("/api/v1/care/elders", json=body, headers=w.h["head"])
    assert response.status_code == 201, response.text
    return Elder(response.json()["id"], volunteer["id"])


async def sign_in(client: Any, username: str, password: str = "s3cret-pass") -> dict[str, str]:
    response = await client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
