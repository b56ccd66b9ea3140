"""Password hashing (Argon2id) and access tokens (JWT, HS256, short-lived)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

_hasher = PasswordHash((Argon2Hasher(),))
_ALGORITHM = "HS256"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return _hasher.verify(password, password_hash)
    except Exception:  # malformed hash: treat as a failed sign-in, never as a server error
        return False


async def hash_password_async(password: str) -> str:
    """Argon2 is deliberately slow (~0.1 s): run it off the event loop."""
    return await asyncio.to_thread(hash_password, password)


async def verify_password_async(password: str, password_hash: str) -> bool:
    return await asyncio.to_thread(verify_password, password, password_hash)


# A fixed hash to verify against when the username is unknown, so both paths cost the same time.
DUMMY_HASH = hash_password("doorstep-timing-equaliser")


def create_access_token(*, account_id: int, kind: str, secret: str, now: datetime, minutes: int) -> str:
    payload: dict[str, Any] = {
        "sub": str(account_id),
        "kind": kind,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=minutes)).timestamp()),
    }
    return jwt.encode(payload, secret, algorithm=_ALGORITHM)


def decode_access_token(token: str, *, secret: str, now: datetime) -> dict[str, Any]:
    """Raises ``jwt.InvalidTokenError`` when the token is forged, malformed or expired at ``now``."""
    payload = dict(_verified_claims(token, secret))
    # Times are checked against the injected clock, not PyJWT's wall clock, and on every call.
    if int(payload.get("exp", 0)) <= now.timestamp():
        raise jwt.ExpiredSignatureError("token expired")
    return payload


@lru_cache(maxsize=4096)
def _verified_claims(token: str, secret: str) -> tuple[tuple[str, Any], ...]:
    """The claims of a token whose signature ``secret`` verifies. Remembered, as a client sends the same token
    on every call until it expires: verifying it again gives the same answer (failures raise, so are never
    remembered). Who the token names is still looked up on every call."""
    claims = jwt.decode(
        token,
        secret,
        algorithms=[_ALGORITHM],
        options={"verify_exp": False, "verify_iat": False, "verify_nbf": False, "require": ["exp", "sub"]},
    )
    return tuple(claims.items())


def mask_phone(phone: str | None) -> str | None:
    """138****8000: enough to recognise, not enough to call."""
    if not phone:
        return phone
    digits = phone.replace(" ", "").replace("-", "")
    if len(digits) <= 4:
        return "*" * len(digits)
    keep_head = 3 if len(digits) >= 9 else 1
    return digits[:keep_head] + "*" * (len(digits) - keep_head - 4) + digits[-4:]
