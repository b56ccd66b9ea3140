"""An Open311 client integration over the test world's subdistrict, with its key (stored as SHA-256), and
helpers to talk GeoReport v2 in JSON and XML."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from app.integrations.models import Integration, IntegrationKey
from tests import factories
from tests.conftest import START

KEY = "ds_test_open311_0123456789abcdefghij"
BASE = "/open311/v2"


@dataclass
class Client311:
    integration: Integration
    key: str


async def add_integration(session, area, *, name: str, kind: str = "open311_client", key: str,  # type: ignore[no-untyped-def]
                          active: bool = True, revoked: bool = False) -> Integration:
    integration = Integration(name=name, kind=kind, callback_url=None, callback_secret="s" * 32, area_id=area.id,
                              is_active=active)
    session.add(integration)
    await session.flush()
    session.add(IntegrationKey(integration_id=integration.id, prefix=key[:8],
                               key_hash=hashlib.sha256(key.encode()).hexdigest(), created_at=START,
                               revoked_at=START if revoked else None))
    await session.commit()
    return integration


@pytest.fixture
async def w(session, app) -> factories.World:  # type: ignore[no-untyped-def]
    return await factories.world(session, app)


@pytest.fixture
async def o311(session, w) -> Client311:  # type: ignore[no-untyped-def]
    integration = await add_integration(session, w.subdistrict, name="市民随手拍", key=KEY)
    return Client311(integration, KEY)


async def post(client: httpx.AsyncClient, fmt: str = "json", *, key: str | None = KEY,
               params: dict[str, Any] | None = None, **fields: Any) -> httpx.Response:
    """POST requests.{fmt}, form-encoded; attributes by their form names (``**{"attribute[danger]": "yes"}``), a
    list value repeats the field."""
    data = {"api_key": key, **fields} if key is not None else fields
    return await client.post(f"{BASE}/requests.{fmt}", data=data, params=params)


async def get(client: httpx.AsyncClient, path: str, **params: Any) -> httpx.Response:
    return await client.get(f"{BASE}/{path}", params=params)


def ok_json(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def ok_xml(response: httpx.Response) -> ET.Element:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    assert response.content.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    return ET.fromstring(response.content)


def xml_items(root: ET.Element) -> list[dict[str, str | None]]:
    """``<root><item><field>text</field>…`` → a dict per item (flat fields only)."""
    return [{child.tag: child.text for child in item} for item in root]


def assert_error(response: httpx.Response, status: int, *words: str, fmt: str = "json") -> str:
    """The spec's error body: an array of one {code, description} (``<errors><error>`` in XML)."""
    assert response.status_code == status, response.text
    if fmt == "xml":
        assert response.headers["content-type"].startswith("application/xml")
        root = ET.fromstring(response.content)
        assert root.tag == "errors"
        [error] = root
        assert error.tag == "error" and error.findtext("code") == str(status)
        description = error.findtext("description") or ""
    else:
        assert response.headers["content-type"] == "application/json"
        [error] = response.json()
        assert set(error) == {"code", "description"} and error["code"] == status
        description = error["description"]
    for word in words:
        assert word in description, description
    return description
