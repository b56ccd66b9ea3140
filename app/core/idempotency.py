"""``Idempotency-Key`` for writes: a retried POST gets the first response again instead of a second effect.

A caller (``owner``: ``account:12``, ``integration:3``) sends ``Idempotency-Key: <their key>``. The first call
claims the key by inserting its record, runs, and stores its status and body in the same transaction as the
write; a retry with the same key and the same body within 24 hours gets that status and body back; the same key
with another body is refused (422 ``idempotency_key_reused``). Two identical calls at the same moment: the
second's insert waits on the first's uncommitted row (the unique ``(owner, key)`` constraint), then replays what
the first committed; if the first failed, its claim rolled back with it and the second runs.

Only successful responses are kept: an error rolls the claim back, so a corrected retry may reuse the key.
The records live in ``idempotency_record`` (app/integrations/models.py); the table is named here, not
imported, because ``core`` sits below every domain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Header
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import BigInteger, DateTime, Integer, String, column, delete, select, table, update
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.core.errors import Conflict, InvalidInput

KEY_LIFETIME = timedelta(hours=24)
HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
FIELD = f"header.{HEADER}"

_record = table(
    "idempotency_record",
    column("id", BigInteger),
    column("owner", String),
    column("key", String),
    column("fingerprint", String),
    column("response_status", Integer),
    column("response_body", JSONB),
    column("created_at", DateTime(timezone=True)),
    column("expires_at", DateTime(timezone=True)),
)
# A claimed key whose first call has not finished (only ever seen by that call's own transaction).
_IN_FLIGHT = 0

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=HEADER,
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description=(
            "Optional. A key of your choosing (e.g. a UUID) that makes a retry safe: the same key with the same "
            "body within 24 hours returns the first response (status and body, with `Idempotent-Replayed: "
            "true`) and files nothing new; the same key with a different body is refused (422 "
            "`idempotency_key_reused`). Keys are per caller."
        ),
        examples=["6f1c1e2a-3b1f-4d6a-9d43-2f5d1e0a7c11"],
    ),
]


class IdempotencyKeyReused(InvalidInput):
    code = "idempotency_key_reused"
    title = "This Idempotency-Key was used with a different request"


class IdempotencyKeyInFlight(Conflict):
    code = "idempotency_key_in_flight"
    title = "A request with this Idempotency-Key is still being processed"


@dataclass(frozen=True)
class Replay:
    status: int
    body: Any


def owner_of(actor: Actor) -> str:
    """Keys are per caller: an account, else an integration."""
    if actor.account_id is not None:
        return f"account:{actor.account_id}"
    if actor.integration_id is not None:
        return f"integration:{actor.integration_id}"
    return f"{actor.kind}:{actor.username}"


def fingerprint(method: str, path: str, body: BaseModel | Any) -> str:
    """SHA-256 of the method, the path and the body as parsed (so whitespace and key order do not matter)."""
    data = body.model_dump(mode="json") if isinstance(body, BaseModel) else jsonable_encoder(body)
    canonical = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{method.upper()} {path}\n{canonical}".encode()).hexdigest()


async def claim(
    session: AsyncSession, *, owner: str, key: str, fingerprint: str, now: datetime
) -> Replay | None:
    """Claims ``key`` for this call (None: go ahead, then ``remember``), or returns the stored response to
    replay. Raises ``IdempotencyKeyReused`` when the key was used with another fingerprint. An expired record
    counts as absent."""
    await session.execute(
        delete(_record).where(_record.c.owner == owner, _record.c.key == key, _record.c.expires_at <= now)
    )
    claimed = await session.scalar(
        insert(_record)
        .values(
            owner=owner, key=key, fingerprint=fingerprint, response_status=_IN_FLIGHT, response_body={},
            created_at=now, expires_at=now + KEY_LIFETIME,
        )
        .on_conflict_do_nothing(index_elements=["owner", "key"])
        .returning(_record.c.id)
    )
    if claimed is not None:
        return None
    # The insert waited for the first call's transaction; its record is committed (or it expired meanwhile).
    row = (
        await session.execute(
            select(_record.c.fingerprint, _record.c.response_status, _record.c.response_body).where(
                _record.c.owner == owner, _record.c.key == key, _record.c.expires_at > now
            )
        )
    ).one_or_none()
    if row is None:
        raise IdempotencyKeyInFlight("The first request with this key has just expired; retry", key=key)
    if row.fingerprint != fingerprint:
        raise IdempotencyKeyReused(
            f"{HEADER} {key!r} was already used with a different request; use a new key for a new request",
            field=FIELD,
        )
    if row.response_status == _IN_FLIGHT:
        raise IdempotencyKeyInFlight("A request with this key is still being processed; retry shortly")
    return Replay(status=row.response_status, body=row.response_body)


async def remember(session: AsyncSession, *, owner: str, key: str, status: int, body: Any) -> None:
    """Stores the response of the call that claimed ``key`` (same transaction as its write)."""
    await session.execute(
        update(_record)
        .where(_record.c.owner == owner, _record.c.key == key)
        .values(response_status=status, response_body=jsonable_encoder(body))
    )


async def idempotent(
    session: AsyncSession,
    *,
    owner: str,
    key: str | None,
    fingerprint: Callable[[], str],
    now: datetime,
    status: int,
    run: Callable[[], Awaitable[Any]],
) -> Any:
    """For a route: without a key, ``run()``; with one, the stored response replayed (a ``JSONResponse`` with
    the original status and body), or ``run()`` with its result remembered under the key. ``fingerprint`` is
    called only when there is a key (hashing the body is wasted on a call without one)."""
    if key is None:
        return await run()
    replay = await claim(session, owner=owner, key=key, fingerprint=fingerprint(), now=now)
    if replay is not None:
        return JSONResponse(replay.body, status_code=replay.status, headers={REPLAYED_HEADER: "true"})
    result = await run()
    await remember(session, owner=owner, key=key, status=status, body=result)
    return result
