"""The lifecycle as data: each action's allowed from-statuses, its to-status and who may take it.

Pure: no database, no FastAPI. The service locks the row, works out the caller's parties and asks
``refusal`` whether the action may go ahead; the router prints ``TABLE_MARKDOWN`` on the OpenAPI page.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.core.actor import Actor
from app.requests.models import OPEN_STATUSES, Status


class Party(enum.StrEnum):
    """How the caller stands to one request. One caller may hold several parties."""

    assignee = "assignee"  # the staff member it is assigned to
    manager = "manager"  # holds a manager role over the request's area (and the pipeline, as system)
    reporter = "reporter"  # the resident who reported it


class Action(enum.StrEnum):
    assign = "assign"
    accept = "accept"
    start = "start"
    await_resident = "await-resident"
    resume = "resume"
    resolve = "resolve"
    close = "close"
    decline = "decline"
    reject = "reject"
    mark_duplicate = "mark-duplicate"
    reopen = "reopen"
    rate = "rate"


@dataclass(frozen=True)
class Transition:
    action: Action
    sources: frozenset[Status]
    # None: the action records something without moving the request (rate; see ``rate`` below).
    target: Status | None
    parties: frozenset[Party]
    rule: str


def _t(
    action: Action, sources: tuple[Status, ...], target: Status | None, parties: tuple[Party, ...], rule: str
) -> Transition:
    return Transition(action, frozenset(sources), target, frozenset(parties), rule)


S = Status
P = Party
ASSIGNEE, MANAGER, REPORTER = P.assignee, P.manager, P.reporter

TRANSITIONS: dict[Action, Transition] = {
    t.action: t
    for t in (
        _t(Action.assign, (S.submitted, S.declined, S.reopened, S.assigned), S.assigned, (MANAGER,),
           "to a staff member holding a role on the request's area (above or inside it); stamps assigned_at"),
        _t(Action.accept, (S.assigned, S.reopened), S.accepted, (ASSIGNEE,),
           "stamps accepted_at on the first accept only"),
        _t(Action.start, (S.accepted, S.reopened), S.in_progress, (ASSIGNEE,), ""),
        _t(Action.await_resident, (S.in_progress,), S.awaiting_resident, (ASSIGNEE,),
           "the clock pauses: stamps paused_at"),
        _t(Action.resume, (S.awaiting_resident,), S.in_progress, (ASSIGNEE, REPORTER),
           "adds the pause to paused_seconds"),
        _t(Action.resolve, (S.accepted, S.in_progress), S.resolved, (ASSIGNEE, MANAGER),
           "note required; stamps resolved_at; a new resolution may be rated afresh"),
        _t(Action.close, (S.resolved,), S.closed, (REPORTER, MANAGER), "stamps closed_at"),
        _t(Action.decline, (S.assigned,), S.declined, (ASSIGNEE,),
           "reason required; clears the assignee so it can be assigned again"),
        _t(Action.reject, OPEN_STATUSES, S.rejected, (ASSIGNEE, MANAGER), "reason required: not actionable"),
        _t(Action.mark_duplicate, OPEN_STATUSES, S.duplicate, (ASSIGNEE, MANAGER),
           "links to another request the caller can see (not itself, not itself a duplicate)"),
        _t(Action.reopen, (S.resolved, S.closed), S.reopened, (REPORTER, MANAGER),
           "the reporter within the reopen window after resolved_at, a manager at any time; "
           "clears resolved_at and closed_at, counts reopened_count"),
        _t(Action.rate, (S.resolved, S.closed), None, (REPORTER,),
           "once per resolution; dissatisfied within the reopen window also reopens it"),
    )
}


@dataclass(frozen=True)
class Rules:
    """Settings the lifecycle depends on (from ``Settings``; the router passes them in)."""

    reopen_window: timedelta = timedelta(days=7)


@dataclass(frozen=True)
class Facts:
    """What the guards look at, copied off the request row."""

    status: Status
    resolved_at: datetime | None
    rated: bool


def parties_of(
    actor: Actor, *, assignee_staff_id: int | None, reporter_resident_id: int | None, area_path: str | None
) -> frozenset[Party]:
    parties: set[Party] = set()
    if actor.staff_id is not None and actor.staff_id == assignee_staff_id:
        parties.add(Party.assignee)
    if actor.manages(area_path):
        parties.add(Party.manager)
    if actor.resident_id is not None and actor.resident_id == reporter_resident_id:
        parties.add(Party.reporter)
    return frozenset(parties)


def may_ever(action: Action, parties: frozenset[Party]) -> bool:
    """Whether these parties may take ``action`` in some state (False: a 403, not a 409)."""
    return bool(TRANSITIONS[action].parties & parties)


def within_reopen_window(facts: Facts, now: datetime, rules: Rules) -> bool:
    return facts.resolved_at is not None and now - facts.resolved_at <= rules.reopen_window


def refusal(action: Action, parties: frozenset[Party], facts: Facts, now: datetime, rules: Rules) -> str | None:
    """Why these parties may not take ``action`` now, or None when they may."""
    transition = TRANSITIONS[action]
    acting = transition.parties & parties
    if not acting:
        return f"You may not {action} this request"
    if facts.status not in transition.sources:
        return f"Cannot {action} a request that is {facts.status}"
    if action is Action.rate and facts.rated:
        return "This resolution has already been rated"
    if action is Action.reopen and acting == {Party.reporter} and not within_reopen_window(facts, now, rules):
        days = rules.reopen_window.days
        return f"The reopen window ({days} days after resolution) has passed; ask the community to reopen it"
    return None


def allowed_actions(parties: frozenset[Party], facts: Facts, now: datetime, rules: Rules) -> list[str]:
    """The actions these parties may take in the current state, in table order."""
    return [str(a) for a in TRANSITIONS if refusal(a, parties, facts, now, rules) is None]


def _row(t: Transition) -> str:
    sources = ", ".join(s for s in Status if s in t.sources)
    target = t.target or "(unchanged)"
    who = " or ".join(sorted(t.parties))
    return f"| `{t.action}` | {sources} | {target} | {who} | {t.rule} |"


TABLE_MARKDOWN = "\n".join(
    [
        "| action | from | to | who | notes |",
        "|---|---|---|---|---|",
        *(_row(t) for t in TRANSITIONS.values()),
    ]
) + (
    "\n\n*assignee*: the staff member it is assigned to; *manager*: a manager role over the request's area "
    "(the routing pipeline acts as one); *reporter*: the resident who reported it. Cannot see the request: 404. "
    "May see it but never take this action: 403. The right person in the wrong state: 409 `illegal_transition` "
    "with `allowed_actions`. Leaving `awaiting_resident` any way adds the pause to `paused_seconds`."
)
