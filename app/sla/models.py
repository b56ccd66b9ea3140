"""Targets per category and priority, and business calendars per area."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, IdMixin, TimestampMixin


class SlaTarget(IdMixin, TimestampMixin, Base):
    """Respond-by and resolve-by for a priority, for one category (or for all when category_id is null).

    A request takes the row for its category and priority, else its category's own minutes when its priority
    is the category's default, else the all-categories row for its priority.
    """

    __tablename__ = "sla_target"

    category_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("category.id", ondelete="CASCADE"))
    priority: Mapped[str] = mapped_column(String(16))
    respond_minutes: Mapped[int] = mapped_column(Integer)
    resolve_minutes: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        UniqueConstraint("category_id", "priority"),
        Index(
            "uq_sla_target_priority_all_categories",
            "priority",
            unique=True,
            postgresql_where=text("category_id IS NULL"),
        ),
    )


class AreaCalendar(IdMixin, TimestampMixin, Base):
    """A working-hours calendar for an area and everything under it (see app/sla/calendar.py from_config)."""

    __tablename__ = "area_calendar"

    area_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("area.id", ondelete="CASCADE"), unique=True)
    config: Mapped[dict[str, Any]] = mapped_column(JSONB)
