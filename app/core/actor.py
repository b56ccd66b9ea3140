"""Who is calling: a signed-in staff member or resident, or the pipeline. Plain data, no database."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field

# Roles that manage places and people inside their area (the rest work in the field).
MANAGER_ROLES = frozenset({"district_admin", "subdistrict_staff", "community_staff", "station_head"})


@dataclass(frozen=True)
class RoleGrant:
    role: str
    area_id: int
    area_path: str
    units: tuple[int, ...] | None = None
    department: str | None = None


@dataclass(frozen=True)
class Actor:
    account_id: int | None
    kind: str  # "staff", "resident", "integration" or "system"
    username: str = ""
    staff_id: int | None = None
    resident_id: int | None = None
    building_id: int | None = None
    integration_id: int | None = None
    volunteer_id: int | None = None
    roles: tuple[RoleGrant, ...] = field(default_factory=tuple)

    @property
    def is_staff(self) -> bool:
        return self.kind == "staff"

    @property
    def is_resident(self) -> bool:
        return self.kind == "resident"

    @property
    def is_integration(self) -> bool:
        return self.kind == "integration"

    @property
    def is_system(self) -> bool:
        return self.kind == "system"

    def scope_paths(self) -> list[str]:
        """Path prefixes of every area this staff member may see (their roles' subtrees), deduplicated."""
        paths = sorted({grant.area_path for grant in self.roles})
        kept: list[str] = []
        for path in paths:
            if not any(path.startswith(prefix) for prefix in kept):
                kept.append(path)
        return kept

    def covers(self, path: str | None) -> bool:
        """True when ``path`` lies inside one of the caller's areas."""
        if self.is_system:
            return True
        return path is not None and any(path.startswith(p) for p in self.scope_paths())

    def manages(self, path: str | None) -> bool:
        """True when the caller holds a manager role over ``path``."""
        if self.is_system:
            return True
        return path is not None and any(
            g.role in MANAGER_ROLES and path.startswith(g.area_path) for g in self.roles
        )

    def has_role(self, *roles: str) -> bool:
        return any(g.role in roles for g in self.roles)


SYSTEM = Actor(account_id=None, kind="system", username="system")

# Set by authentication (and by pipeline jobs) so the audit listener knows who wrote.
current_actor: ContextVar[Actor | None] = ContextVar("current_actor", default=None)
