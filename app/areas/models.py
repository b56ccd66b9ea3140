"""The place tree: district → subdistrict → community → compound → building; streets under a subdistrict."""

from __future__ import annotations

import enum

from sqlalchemy import BigInteger, Float, ForeignKey, Index, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, IdMixin, TimestampMixin


class AreaKind(enum.StrEnum):
    district = "district"
    subdistrict = "subdistrict"
    community = "community"
    compound = "compound"
    building = "building"
    street = "street"


# Which kind of parent each kind hangs under (None: a root).
PARENT_KIND: dict[AreaKind, AreaKind | None] = {
    AreaKind.district: None,
    AreaKind.subdistrict: AreaKind.district,
    AreaKind.community: AreaKind.subdistrict,
    AreaKind.compound: AreaKind.community,
    AreaKind.building: AreaKind.compound,
    AreaKind.street: AreaKind.subdistrict,
}


class Area(IdMixin, TimestampMixin, Base):
    """One node of the place tree.

    ``path`` is the materialised chain of ids (``/1/4/17/``) so a subtree is one indexed prefix scan.
    """

    __tablename__ = "area"

    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("area.id", ondelete="RESTRICT"))
    path: Mapped[str] = mapped_column(String(512))
    depth: Mapped[int] = mapped_column(SmallInteger)
    # Buildings and streets: a WGS-84 point.
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    # Buildings: the number as residents say it ("9号楼") and how many units (单元) it has.
    building_number: Mapped[str | None] = mapped_column(String(32))
    unit_count: Mapped[int | None] = mapped_column(SmallInteger)
    address: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_area_path_prefix", "path", postgresql_ops={"path": "text_pattern_ops"}),
        Index("ix_area_parent_id", "parent_id"),
        Index("ix_area_kind_name", "kind", "name"),
    )


class Workstation(IdMixin, TimestampMixin, Base):
    """A compound's workstation (小区工作站). Its head is the staff member holding ``station_head`` there."""

    __tablename__ = "workstation"

    compound_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("area.id", ondelete="CASCADE"), unique=True
    )
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(Text)
