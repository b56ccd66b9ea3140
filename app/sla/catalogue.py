"""The categories and SLA targets as every routing decision reads them, kept per process while they stay the
same.

Both tables are small and change only when a district admin edits them, yet the routing job needs them for
every request. The job reads their :data:`VERSION` in the statement that locks the request (no extra round
trip) and takes the snapshot from :func:`current`, which reloads only when the version moved. The version is
each table's row count and newest row version (``xmin``): any insert, update or delete changes it, however it
was written.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.requests.models import Category
from app.sla.models import SlaTarget

_TABLE_VERSION = "(SELECT count(*) || ':' || coalesce(max(xmin::text::bigint), 0) FROM {table})"
VERSION = literal_column(
    f"{_TABLE_VERSION.format(table='category')} || '/' || {_TABLE_VERSION.format(table='sla_target')}"
).label("catalogue_version")

# Without any row that applies: an hour to respond, a week to resolve.
DEFAULT_TARGETS = (60, 7 * 24 * 60)


@dataclass(frozen=True)
class CategoryTerms:
    """One category's routing and clock terms, detached from any session."""

    id: int
    code: str
    keywords: tuple[str, ...]
    default_priority: str
    respond_minutes: int
    resolve_minutes: int
    routing_rule: str
    department: str | None
    is_active: bool
    sort_order: int
    clock: str


@dataclass(frozen=True)
class Catalogue:
    version: str
    categories: dict[int, CategoryTerms]
    active: tuple[CategoryTerms, ...]  # by sort order
    targets: dict[tuple[int | None, str], tuple[int, int]]  # (category id or None, priority) → minutes

    def targets_for(self, category_id: int | None, priority: str) -> tuple[int, int]:
        category = self.categories.get(category_id) if category_id is not None else None
        return choose_targets(
            category,
            self.targets.get((category.id, priority)) if category is not None else None,
            self.targets.get((None, priority)),
            priority,
        )


def choose_targets(
    category: CategoryTerms | Category | None,
    specific: tuple[int, int] | None,
    general: tuple[int, int] | None,
    priority: str,
) -> tuple[int, int]:
    """(respond minutes, resolve minutes): the category's row for this priority, else the category's own
    minutes when the priority is its default, else the all-categories row for the priority."""
    if category is not None:
        if specific is not None:
            return specific
        if category.default_priority == priority:
            return category.respond_minutes, category.resolve_minutes
    return general if general is not None else DEFAULT_TARGETS


_cached: Catalogue | None = None


async def current(session: AsyncSession, version: str) -> Catalogue:
    """The snapshot for ``version`` (read with :data:`VERSION` in the caller's transaction)."""
    global _cached
    if _cached is not None and _cached.version == version:
        return _cached
    rows = (await session.scalars(select(Category).order_by(Category.sort_order, Category.id))).all()
    categories = {
        c.id: CategoryTerms(
            id=c.id, code=c.code, keywords=tuple(c.keywords or ()), default_priority=c.default_priority,
            respond_minutes=c.respond_minutes, resolve_minutes=c.resolve_minutes, routing_rule=c.routing_rule,
            department=c.department, is_active=c.is_active, sort_order=c.sort_order, clock=c.clock,
        )
        for c in rows
    }
    targets = {
        (t.category_id, t.priority): (t.respond_minutes, t.resolve_minutes)
        for t in await session.scalars(select(SlaTarget))
    }
    _cached = Catalogue(version, categories, tuple(c for c in categories.values() if c.is_active), targets)
    return _cached


def attach(session: AsyncSession, catalogue: Catalogue) -> None:
    """Lets the SLA clock answer from the snapshot for the rest of this session's work."""
    session.info["catalogue"] = catalogue


def attached(session: AsyncSession) -> Catalogue | None:
    found = session.info.get("catalogue")
    return found if isinstance(found, Catalogue) else None
