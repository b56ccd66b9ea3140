"""ORM models of the reports domain: the rollups and the change log that keeps them current.

Both are derived data (see ``app.reports.repository`` for the design): they can be rebuilt from
``service_request`` at any time, so they carry no foreign keys. The trigger that fills ``report_change`` lives
in migration 0007.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ARRAY, BigInteger, Boolean, Date, Index, Integer, SmallInteger, String, func
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, IdMixin
from app.requests.models import ServiceRequest


class ReportRollup(IdMixin, Base):
    """Counts and time histograms of the requests submitted on one local day (or in one local month), in one
    area, in one category.

    ``area_depth`` says how deep areas are kept: 0 rolls every request up to its district, 1 to its
    subdistrict, 2 to its community (or street); a request filed higher up than that stays on its own area.
    Rows exist for days at depths 0 and 1 and for months at depths 0, 1 and 2.
    """

    __tablename__ = "report_rollup"

    period: Mapped[str] = mapped_column(String(8))  # "day" or "month"
    area_depth: Mapped[int] = mapped_column(SmallInteger)
    # The local (Asia/Shanghai) day, or the first day of the month.
    period_on: Mapped[date] = mapped_column(Date)
    area_id: Mapped[int] = mapped_column(BigInteger)
    area_path: Mapped[str] = mapped_column(String(512))
    category_id: Mapped[int | None] = mapped_column(BigInteger)
    # The row sums every category (category_id is then null): what answers questions not about categories.
    every_category: Mapped[bool] = mapped_column(Boolean)

    requests: Mapped[int] = mapped_column(Integer)
    set_aside: Mapped[int] = mapped_column(Integer)  # rejected or duplicate: outside the rates
    respond_due: Mapped[int] = mapped_column(Integer)
    responded_in_time: Mapped[int] = mapped_column(Integer)
    resolve_due: Mapped[int] = mapped_column(Integer)
    resolved: Mapped[int] = mapped_column(Integer)
    rated: Mapped[int] = mapped_column(Integer)
    satisfied: Mapped[int] = mapped_column(Integer)
    breached: Mapped[int] = mapped_column(Integer)
    reopened: Mapped[int] = mapped_column(Integer)
    # app.reports.metrics.BUCKETS counts each: seconds from submission to acceptance / to resolution.
    accept_histogram: Mapped[list[int]] = mapped_column(ARRAY(Integer))
    resolve_histogram: Mapped[list[int]] = mapped_column(ARRAY(Integer))
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __table_args__ = (
        # The key (the fold upserts on it) and the reports' access path: one grain, a range of days, then a
        # subtree as a prefix of area_path. Rebuilds CLUSTER the table on it.
        Index(
            "uq_report_rollup_key",
            "period",
            "area_depth",
            "every_category",
            "period_on",
            "area_path",
            "category_id",
            unique=True,
            postgresql_nulls_not_distinct=True,
            postgresql_ops={"area_path": "text_pattern_ops"},
        ),
    )


class ReportChange(IdMixin, Base):
    """One row state of a request to take out of the rollups (``sign`` -1) or put in (+1).

    Written by the ``report_capture_change`` trigger on ``service_request`` in the writer's own transaction,
    only when something a report counts changed; folded into ``report_rollup`` and deleted by the pipeline.
    The columns are exactly the inputs of the report facts.
    """

    __tablename__ = "report_change"

    sign: Mapped[int] = mapped_column(SmallInteger)
    submitted_at: Mapped[datetime]
    area_path: Mapped[str | None] = mapped_column(String(512))
    category_id: Mapped[int | None] = mapped_column(BigInteger)
    set_aside: Mapped[bool] = mapped_column(Boolean)
    accepted_at: Mapped[datetime | None]
    # Only once accepted (before that it moves with every re-routing and counts for nothing).
    respond_by_at: Mapped[datetime | None]
    respond_breached_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    paused_seconds: Mapped[int] = mapped_column(Integer)
    satisfaction: Mapped[str | None] = mapped_column(String(24))
    reopened_count: Mapped[int] = mapped_column(SmallInteger)
    breached: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


# The reports' own index on the requests: a subtree's requests in a period, for the questions the rollups cannot
# answer (an area below community level, an assignee, a period not in whole days): the base table then reads only
# the requests in the answer. Declared here, with the reports, so Alembic knows where it comes from.
Index(
    "ix_service_request_area_path_submitted_at",
    ServiceRequest.area_path,
    ServiceRequest.submitted_at,
    postgresql_ops={"area_path": "text_pattern_ops"},
)
