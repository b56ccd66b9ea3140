"""Opaque cursors for keyset pagination: newest first by (created_at, id), or by id."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from app.core.errors import InvalidInput


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, datetime) else v for v in values], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, types: tuple[type, ...]) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        if not isinstance(values, list) or len(values) != len(types):
            raise ValueError
        return [datetime.fromisoformat(v) if t is datetime else t(v) for v, t in zip(values, types, strict=True)]
    except (ValueError, TypeError, json.JSONDecodeError) as exc:
        raise InvalidInput("cursor is not one this API gave out", field="query.cursor") from exc
