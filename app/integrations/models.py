"""Machine clients: hotline platforms, wristband gateways, Open311 clients; their keys; idempotency records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, IdMixin, TimestampMixin


class Integration(IdMixin, TimestampMixin, Base):
    """A machine client, limited to one area's subtree."""

    __tablename__ = "integration"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    # hotline, device_gateway, open311_client
    kind: Mapped[str] = mapped_column(String(32))
    callback_url: Mapped[str | None] = mapped_column(Text)
    # The HMAC key for callbacks: Doorstep must sign with it, so it is kept (and shown to admins once).
    callback_secret: Mapped[str] = mapped_column(String(128))
    area_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("area.id", ondelete="RESTRICT"))
    is_active: Mapped[bool] = mapped_column(Boolean, server_default="true")


class IntegrationKey(IdMixin, Base):
    """An API key, stored as its SHA-256 (keys are long random strings, so a fast hash is enough). The prefix
    identifies the key in lists and logs without revealing it."""

    __tablename__ = "integration_key"

    integration_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("integration.id", ondelete="CASCADE"))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_integration_key_integration_id", "integration_id"),)


class IdempotencyRecord(IdMixin, Base):
    """The first response to a write sent with an ``Idempotency-Key``, replayed for retries for 24 hours."""

    __tablename__ = "idempotency_record"

    # "account:12" or "integration:3": keys are per caller.
    owner: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    # SHA-256 of method, path and body: the same key with another body is refused.
    fingerprint: Mapped[str] = mapped_column(String(64))
    response_status: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[Any] = mapped_column(JSONB)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("owner", "key"),
        Index("ix_idempotency_record_expires_at", "expires_at"),
    )


class Open311Token(Base):
    """Open311 ``tokens/{token}``: a token handed out by ``POST requests`` maps to the request."""

    __tablename__ = "open311_token"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    request_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("service_request.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]

    __table_args__ = (Index("ix_open311_token_request_id", "request_id"),)
