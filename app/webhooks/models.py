"""Signed webhook deliveries: one row per message, one row per attempt. Used for the staff app's push
gateway and (later) integration callbacks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, SmallInteger, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, IdMixin


class WebhookDelivery(IdMixin, Base):
    __tablename__ = "webhook_delivery"

    # "push" (the staff app's gateway) or "callback" (an integration)
    channel: Mapped[str] = mapped_column(String(16))
    event: Mapped[str] = mapped_column(String(64))
    target_url: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    request_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("service_request.id", ondelete="SET NULL")
    )
    recipient_staff_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("staff.id", ondelete="SET NULL"))
    # Callbacks: the integration whose callback URL and secret this delivery uses.
    integration_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("integration.id", ondelete="CASCADE")
    )
    # Deliveries with the same key go out one at a time, in id order (events of one request stay in order).
    ordering_key: Mapped[str | None] = mapped_column(String(128))
    # pending, delivered, dead
    status: Mapped[str] = mapped_column(String(16), server_default="pending")
    attempts: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    next_attempt_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_webhook_delivery_pending", "next_attempt_at", postgresql_where=text("status = 'pending'")),
        Index("ix_webhook_delivery_request_id", "request_id"),
        Index("ix_webhook_delivery_integration_id_id", "integration_id", "id"),
        Index("ix_webhook_delivery_ordering_key_id", "ordering_key", "id"),
    )


class WebhookAttempt(IdMixin, Base):
    __tablename__ = "webhook_attempt"

    delivery_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("webhook_delivery.id", ondelete="CASCADE"))
    attempt: Mapped[int] = mapped_column(SmallInteger)
    attempted_at: Mapped[datetime]
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_webhook_attempt_delivery_id", "delivery_id"),)
