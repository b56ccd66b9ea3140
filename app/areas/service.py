"""The place tree: nodes, tree views and workstations. Every read and write is limited to the caller's areas.

Visibility: staff see the subtrees of their roles' areas; a resident sees their own building and its ancestors.
Writing needs a manager role over the node (``Actor.manages``). Objects outside the caller's view are 404.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.areas import repository
from app.areas.errors import AreaCodeTaken, AreaNotFound, DistrictsByImportOnly, WorkstationNotFound
from app.areas.models import PARENT_KIND, Area, AreaKind, Workstation
from app.areas.schemas import (
    BUILDING_FIELDS,
    FIELDS_ALLOWED,
    AreaCreate,
    AreaNode,
    AreaRead,
    AreaUpdate,
    WorkstationHead,
    WorkstationRead,
    WorkstationWrite,
)
from app.core.actor import Actor
from app.core.errors import Forbidden, InvalidInput
from app.core.pagination import decode_cursor, encode_cursor
from app.core.schemas import Page
from app.core.text import clean_text

KIND_ORDER = {kind.value: index for index, kind in enumerate(AreaKind)}
_DIGITS = re.compile(r"([0-9]+)")


# Rules shared with the importer ------------------------------------------------------------------------


def natural_key(name: str) -> tuple[tuple[int, int, str], ...]:
    """Sort key that orders "2号楼" before "10号楼": runs of digits compare as numbers."""
    return tuple((0, int(part), part) if part[0].isdigit() else (1, 0, part) for part in _DIGITS.split(name) if part)


def misplaced_fields(kind: str, fields: Iterable[str]) -> list[str]:
    """Those of ``fields`` (building fields, coordinates, address) a node of ``kind`` may not carry."""
    allowed = FIELDS_ALLOWED.get(AreaKind(kind), frozenset())
    return [name for name in fields if name in BUILDING_FIELDS and name not in allowed]


def allowed_fields_text(kind: str) -> str:
    allowed = sorted(FIELDS_ALLOWED.get(AreaKind(kind), frozenset()), key=BUILDING_FIELDS.index)
    return f"a {kind} may have " + (", ".join(allowed) if allowed else f"none of {', '.join(BUILDING_FIELDS)}")


def parent_kind_problem(kind: str, parent_kind: str | None) -> str | None:
    """Why a ``kind`` node cannot hang under a ``parent_kind`` node (None: a root), or None when it can."""
    expected = PARENT_KIND[AreaKind(kind)]
    if expected is None:
        return None if parent_kind is None else f"a {kind} is a root and has no parent"
    if parent_kind is None:
        return f"a {kind} needs a parent {expected}"
    if parent_kind != expected:
        return f"a {kind} goes under a {expected}, not under a {parent_kind}"
    return None


def point_problem(latitude: float | None, longitude: float | None) -> str | None:
    """The missing half of a coordinate pair, or None when both or neither are given."""
    if latitude is not None and longitude is None:
        return "longitude"
    if longitude is not None and latitude is None:
        return "latitude"
    return None


# Loading with scope ------------------------------------------------------------------------------------


async def can_see(session: AsyncSession, actor: Actor, area: Area) -> bool:
    if actor.is_resident:
        if actor.building_id is None:
            return False
        if area.id == actor.building_id:
            return True
        building_path = await repository.path_of(session, actor.building_id)
        return building_path is not None and building_path.startswith(area.path)
    return actor.covers(area.path)


async def load_visible(session: AsyncSession, actor: Actor, area_id: int, *, what: str = "Area") -> Area:
    """The area, or AreaNotFound when it does not exist or lies outside what the caller may see."""
    area = await repository.get(session, area_id)
    if area is None or not await can_see(session, actor, area):
        raise AreaNotFound(f"{what} {area_id} was not found in your areas")
    return area


def _require_manager(actor: Actor, area: Area) -> None:
    if not actor.manages(area.path):
        raise Forbidden(f"You do not manage {area.name} ({area.code})")


def _field_errors(fields: list[str], message: str) -> InvalidInput:
    return InvalidInput(
        message, errors=[{"field": f"body.{name}", "message": message, "type": "not_allowed_for_kind"}
                         for name in fields]
    )


async def _flush_checking_code(session: AsyncSession, code: str, write: Any) -> None:
    """Runs ``write`` in a savepoint so a concurrent insert of the same code is a 409, not a 500."""
    try:
        async with session.begin_nested():
            await write()
    except IntegrityError as exc:
        if repository.is_code_conflict(exc):
            raise AreaCodeTaken(f"The area code {code!r} is already taken") from exc
        raise


# Nodes -------------------------------------------------------------------------------------------------


async def create_area(session: AsyncSession, actor: Actor, body: AreaCreate) -> AreaRead:
    """Creates a node under a parent the caller manages; path and depth follow from the parent."""
    if body.kind == AreaKind.district:
        raise DistrictsByImportOnly(
            "Districts are the roots of the tree: the operator creates them with `doorstep import areas`"
        )
    if body.parent_id is None:
        raise InvalidInput(f"A {body.kind} needs a parent {PARENT_KIND[body.kind]}", field="body.parent_id")
    given = [name for name in BUILDING_FIELDS if getattr(body, name) is not None]
    if bad := misplaced_fields(body.kind, given):
        raise _field_errors(bad, f"Not allowed here: {allowed_fields_text(body.kind)}")
    if missing := point_problem(body.latitude, body.longitude):
        raise InvalidInput("Give latitude and longitude together", field=f"body.{missing}")
    parent = await load_visible(session, actor, body.parent_id, what="Parent area")
    _require_manager(actor, parent)
    if problem := parent_kind_problem(body.kind, parent.kind):
        raise InvalidInput(f"{problem.capitalize()}: {parent.name} is a {parent.kind}", field="body.parent_id")
    if await repository.code_taken(session, body.code):
        raise AreaCodeTaken(f"The area code {body.code!r} is already taken")
    area = Area(code=body.code, name=body.name, kind=body.kind, **{name: getattr(body, name) for name in given})

    async def write() -> None:
        await repository.add(session, area, parent)

    await _flush_checking_code(session, body.code, write)
    return AreaRead.model_validate(area)


async def get_area(session: AsyncSession, actor: Actor, area_id: int) -> AreaRead:
    return AreaRead.model_validate(await load_visible(session, actor, area_id))


async def update_area(session: AsyncSession, actor: Actor, area_id: int, body: AreaUpdate) -> AreaRead:
    """Changes the fields sent (never the parent). Clearing an optional field is always allowed."""
    area = await load_visible(session, actor, area_id)
    _require_manager(actor, area)
    changes = body.model_dump(exclude_unset=True)
    if bad := misplaced_fields(area.kind, [name for name, value in changes.items() if value is not None]):
        raise _field_errors(bad, f"Not allowed here: {allowed_fields_text(area.kind)}")
    latitude = changes.get("latitude", area.latitude)
    longitude = changes.get("longitude", area.longitude)
    if missing := point_problem(latitude, longitude):
        raise InvalidInput("Latitude and longitude go together: set or clear both", field=f"body.{missing}")
    code = changes.get("code", area.code)
    if code != area.code and await repository.code_taken(session, code):
        raise AreaCodeTaken(f"The area code {code!r} is already taken")
    for name, value in changes.items():
        setattr(area, name, value)

    async def write() -> None:
        await session.flush()

    await _flush_checking_code(session, code, write)
    return AreaRead.model_validate(area)


async def list_areas(
    session: AsyncSession,
    actor: Actor,
    *,
    parent_id: int | None,
    kind: AreaKind | None,
    within: int | None,
    q: str | None,
    cursor: str | None,
    limit: int,
) -> Page[AreaRead]:
    """Areas in the caller's scope by id; ``within`` narrows to a visible node's subtree (the node included)."""
    if actor.is_resident:
        raise Forbidden("Residents cannot list areas")
    within_path = (await load_visible(session, actor, within)).path if within is not None else None
    if q is not None:
        try:
            q = clean_text(q, multiline=False)
        except ValueError as exc:
            raise InvalidInput(str(exc), field="query.q") from exc
    after_id = decode_cursor(cursor, (int,))[0] if cursor else None
    rows = await repository.page(
        session,
        scope_paths=actor.scope_paths(),
        within_path=within_path,
        parent_id=parent_id,
        kind=kind.value if kind is not None else None,
        name_contains=q or None,
        after_id=after_id,
        limit=limit,
    )
    items = [AreaRead.model_validate(area) for area in rows[:limit]]
    return Page(items=items, next_cursor=encode_cursor([rows[limit - 1].id]) if len(rows) > limit else None)


# Trees -------------------------------------------------------------------------------------------------


def _forest(rows: list[Area], root_ids: list[int]) -> list[AreaNode]:
    """Nests the flat rows under their parents; children sorted by kind, then name in natural order."""
    nodes = {area.id: AreaNode.model_validate(area) for area in rows}
    roots = set(root_ids)
    for area in sorted(rows, key=lambda a: (KIND_ORDER.get(a.kind, 99), natural_key(a.name), a.id)):
        if area.id not in roots and area.parent_id in nodes:
            nodes[area.parent_id].children.append(nodes[area.id])
    ordered = [nodes[i] for i in root_ids if i in nodes]
    return sorted(ordered, key=lambda n: (KIND_ORDER.get(n.kind, 99), natural_key(n.name), n.id))


async def area_tree(session: AsyncSession, actor: Actor, area_id: int, depth: int | None) -> AreaNode:
    """The node and its subtree down to ``depth`` levels (all when None), from one prefix query."""
    if actor.is_resident:
        raise Forbidden("Residents cannot browse the area tree")
    root = await load_visible(session, actor, area_id)
    rows = await repository.subtrees(session, [root.path], depth)
    return _forest(rows, [root.id])[0]


async def scope_trees(session: AsyncSession, actor: Actor, depth: int | None) -> list[AreaNode]:
    """The tree of each area the caller holds a role over (nested roles fold into the outer one)."""
    if actor.is_resident:
        raise Forbidden("Residents cannot browse the area tree")
    paths = actor.scope_paths()
    rows = await repository.subtrees(session, paths, depth)
    return _forest(rows, [int(path.strip("/").rsplit("/", 1)[-1]) for path in paths])


# Workstations ------------------------------------------------------------------------------------------


async def _workstation_read(session: AsyncSession, workstation: Workstation) -> WorkstationRead:
    read = WorkstationRead.model_validate(workstation)
    head = await repository.station_head(session, workstation.compound_id)
    read.head = WorkstationHead(id=head[0], full_name=head[1]) if head else None
    return read


async def put_workstation(
    session: AsyncSession, actor: Actor, compound_id: int, body: WorkstationWrite
) -> tuple[WorkstationRead, bool]:
    """Creates or replaces the compound's workstation; True when it was created."""
    compound = await load_visible(session, actor, compound_id)
    _require_manager(actor, compound)
    if compound.kind != AreaKind.compound:
        raise InvalidInput(
            f"{compound.name} is a {compound.kind}; only a compound has a workstation", field="path.compound_id"
        )
    values = body.model_dump()
    workstation = await repository.workstation_of(session, compound.id)
    created = workstation is None
    if workstation is None:
        workstation = Workstation(compound_id=compound.id, **values)
        try:
            async with session.begin_nested():
                session.add(workstation)
                await session.flush()
        except IntegrityError:
            # Another request created it between our read and our insert: replace that one instead.
            workstation = await repository.workstation_of(session, compound.id)
            if workstation is None:
                raise
            created = False
    if not created:
        for name, value in values.items():
            setattr(workstation, name, value)
        await session.flush()
    return await _workstation_read(session, workstation), created


async def get_workstation(session: AsyncSession, actor: Actor, compound_id: int) -> WorkstationRead:
    compound = await load_visible(session, actor, compound_id)
    workstation = await repository.workstation_of(session, compound.id)
    if workstation is None:
        raise WorkstationNotFound(f"{compound.name} has no workstation yet")
    return await _workstation_read(session, workstation)
