"""HMAC-SHA256 signatures over ``"{timestamp}.{body}"``, the way receivers verify them.

Headers sent with every delivery:
  X-Doorstep-Event: request.assigned
  X-Doorstep-Delivery: 42
  X-Doorstep-Timestamp: 1796202000            (Unix seconds)
  X-Doorstep-Signature: sha256=<hex>          HMAC-SHA256(secret, timestamp + "." + raw body)

A receiver recomputes the HMAC over the raw body it received, compares in constant time, and refuses
timestamps older than a few minutes (replays).
"""

from __future__ import annotations

import hashlib
import hmac


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: int, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, timestamp, body), signature)
