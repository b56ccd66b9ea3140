"""Every routing decision, kept: what triggered it, each step and why, and who it chose."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, BigInteger, ForeignKey, Index, SmallInteger, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, IdMixin


class RoutingDecision(IdMixin, Base):
    __tablename__ = "routing_decision"

    request_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("service_request.id", ondelete="CASCADE"))
    # Where the request was when decided: the round-robin pointer is the latest assignee in an area.
    area_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("area.id", ondelete="SET NULL"))
    # submitted, declined, respond_breach, resolve_breach, manual
    trigger: Mapped[str] = mapped_column(String(32))
    # assigned, needs_triage, escalated
    outcome: Mapped[str] = mapped_column(String(32))
    rule: Mapped[str | None] = mapped_column(String(32))
    assignee_staff_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("staff.id", ondelete="SET NULL"))
    participant_staff_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger), server_default="{}")
    escalation_level: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    created_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_routing_decision_request_id_id", "request_id", "id"),
        Index("ix_routing_decision_area_assigned", "area_id", "id",
              postgresql_where=text("assignee_staff_id IS NOT NULL")),
    )
