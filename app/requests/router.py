"""Requests (intake, reads, one POST per lifecycle action) and, on ``categories_router``, categories."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status

from app.auth.dependencies import CurrentActor, StaffActor
from app.core import idempotency
from app.core.idempotency import IdempotencyKey
from app.core.openapi import errors
from app.core.params import Cursor, Limit
from app.core.schemas import AwareDatetime, Page
from app.db.dependencies import ClockDep, SessionDep
from app.requests import service
from app.requests.lifecycle import TABLE_MARKDOWN, TRANSITIONS, Action, Rules
from app.requests.models import Channel, Status
from app.requests.schemas import (
    ActionNote,
    AssignBody,
    CategoryCreate,
    CategoryRead,
    CategoryUpdate,
    DuplicateBody,
    EventRead,
    RateBody,
    ReasonBody,
    ReopenBody,
    RequestCreate,
    RequestRead,
    ResolveBody,
)

router = APIRouter(prefix="/api/v1", tags=["requests"])
categories_router = APIRouter(prefix="/api/v1/categories", tags=["categories"])


async def get_rules(request: Request) -> Rules:
    return Rules(reopen_window=timedelta(days=request.app.state.settings.reopen_window_days))


RulesDep = Annotated[Rules, Depends(get_rules)]


# Categories ---------------------------------------------------------------------------------------------


@categories_router.get("", response_model=list[CategoryRead], summary="List categories by sort order",
                       description="Active categories for everyone; `include_inactive=true` (staff only) adds "
                       "the retired ones.", responses=errors(401, 403))
async def list_categories(
    actor: CurrentActor,
    session: SessionDep,
    include_inactive: Annotated[bool, Query(description="Staff only: include inactive categories")] = False,
) -> list[CategoryRead]:
    return await service.list_categories(session, actor, include_inactive=include_inactive)


@categories_router.get("/{code}", response_model=CategoryRead, summary="One category by code",
                       responses=errors(401, 404))
async def get_category(code: str, actor: CurrentActor, session: SessionDep) -> CategoryRead:
    return await service.get_category(session, code)


@categories_router.post("", response_model=CategoryRead, status_code=status.HTTP_201_CREATED,
                        summary="Add a category (district admin)", responses=errors(401, 403, 409, 422))
async def create_category(body: CategoryCreate, actor: StaffActor, session: SessionDep) -> CategoryRead:
    return await service.create_category(session, actor, body)


@categories_router.patch("/{code}", response_model=CategoryRead,
                         summary="Change a category's names, priority, targets, routing or keywords (district admin)",
                         responses=errors(401, 403, 404, 422))
async def update_category(code: str, body: CategoryUpdate, actor: StaffActor, session: SessionDep) -> CategoryRead:
    return await service.update_category(session, actor, code, body)


# Intake and reads ---------------------------------------------------------------------------------------


@router.post(
    "/requests",
    response_model=RequestRead,
    status_code=status.HTTP_201_CREATED,
    summary="File a request",
    description=(
        "**Residents** file for their own building (the default) through the app and are the reporter.\n\n"
        "**Staff** say how it reached them (`walk_in`, `door_visit`, `patrol` or `app`), name places in their "
        "areas, and file for a resident of their areas (`on_behalf_of_resident_id`) or a named caller "
        "(`reporter_name` + `reporter_phone`; required for walk-ins and door visits).\n\n"
        "A request need not name a building: `address_text` or `latitude`/`longitude` are enough, and routing "
        "locates it. Its area is the building or street; else the reporter's building; else the staff "
        "member's first role's area. Priority: staff may set it; else the category's default; else normal.\n\n"
        "The request starts `submitted` and is handed to routing in the same transaction.\n\n"
        "Send an `Idempotency-Key` to make retries safe: the same key and body within 24 hours return the "
        "first response instead of filing again."
    ),
    responses=errors(401, 403, 413, 422),
)
async def submit_request(
    request: Request, body: RequestCreate, actor: CurrentActor, session: SessionDep, clock: ClockDep,
    rules: RulesDep, idempotency_key: IdempotencyKey = None,
) -> Any:
    return await idempotency.idempotent(
        session, owner=idempotency.owner_of(actor), key=idempotency_key, now=clock.now(), status=201,
        fingerprint=lambda: idempotency.fingerprint(request.method, request.url.path, body),
        run=lambda: service.submit_request(session, actor, body, clock=clock, rules=rules),
    )


@router.get(
    "/requests",
    response_model=Page[RequestRead],
    summary="List requests you may see, newest first",
    description=(
        "Residents see the requests they reported; staff see those in their areas and those they are assigned "
        "to or take part in. Filters combine with AND; `status` may repeat. Pages by `cursor`."
    ),
    responses=errors(401, 422),
)
async def list_requests(
    actor: CurrentActor,
    session: SessionDep,
    clock: ClockDep,
    rules: RulesDep,
    status_: Annotated[list[Status] | None, Query(alias="status", description="Any of these statuses")] = None,
    category: Annotated[str | None, Query(description="Category code", examples=["water_leak"])] = None,
    channel: Annotated[Channel | None, Query()] = None,
    area_id: Annotated[int | None, Query(description="Only requests inside this area's subtree")] = None,
    assignee_staff_id: Annotated[int | None, Query()] = None,
    created_from: Annotated[AwareDatetime | None, Query(description="Inclusive; with a timezone")] = None,
    created_to: Annotated[AwareDatetime | None, Query(description="Exclusive; with a timezone")] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[RequestRead]:
    return await service.list_requests(
        session,
        actor,
        statuses=status_ or (),
        category_code=category,
        channel=channel,
        area_id=area_id,
        assignee_staff_id=assignee_staff_id,
        created_from=created_from,
        created_to=created_to,
        cursor=cursor,
        limit=limit,
        clock=clock,
        rules=rules,
    )


@router.get("/requests/{request_id}", response_model=RequestRead, summary="One request",
            description="404 when it is not yours to see. `allowed_actions` lists what you may do now.",
            responses=errors(401, 404))
async def get_request(
    request_id: int, actor: CurrentActor, session: SessionDep, clock: ClockDep, rules: RulesDep
) -> RequestRead:
    return await service.get_request(session, actor, request_id, clock=clock, rules=rules)


@router.get("/requests/{request_id}/events", response_model=list[EventRead],
            summary="A request's history, oldest first", responses=errors(401, 404))
async def list_events(request_id: int, actor: CurrentActor, session: SessionDep) -> list[EventRead]:
    return await service.list_events(session, actor, request_id)


# Lifecycle: one POST per action -------------------------------------------------------------------------


def _action(action: Action, summary: str) -> dict[str, object]:
    transition = TRANSITIONS[action]
    sources = ", ".join(f"`{s}`" for s in Status if s in transition.sources)
    who = " or ".join(sorted(transition.parties))
    return {
        "response_model": RequestRead,
        "summary": summary,
        "description": f"From {sources}, by the {who}. {transition.rule}\n\n**The lifecycle**\n\n{TABLE_MARKDOWN}",
        "responses": errors(401, 403, 404, 409, 422),
    }


@router.post("/requests/{request_id}/assign", **_action(Action.assign, "Assign to a staff member"))
async def assign(
    request_id: int, body: AssignBody, actor: CurrentActor, session: SessionDep, clock: ClockDep, rules: RulesDep
) -> RequestRead:
    return await service.assign_request(
        session, actor, request_id, staff_id=body.staff_id, note=body.note, clock=clock, rules=rules
    )


@router.post("/requests/{request_id}/accept", **_action(Action.accept, "Accept (the assignee)"))
async def accept(
    request_id: int, actor: CurrentActor, session: SessionDep, clock: ClockDep, rules: RulesDep,
    body: ActionNote | None = None,
) -> RequestRead:
    note = body.note if body else None
    return await service.accept_request(session, actor, request_id, note=note, clock=clock, rules=rules)


@router.post("/requests/{request_id}/start", **_action(Action.start, "Start the work (the assignee)"))
async def start(
    request_id: int, actor: CurrentActor, session: SessionDep, clock: ClockDep, rules: RulesDep,
    body: ActionNote | None = None,
) -> RequestRead:
    note = body.note if body else None
    return await service.start_request(session, actor, request_id, note=note, clock=clock, rules=rules)


@router.post("/requests/{request_id}/await-resident",
             **_action(Action.await_resident, "Wait for the resident (pauses the clock)"))
async def await_resident(
    request_id: int, actor: CurrentActor, session: SessionDep, clock: ClockDep, rules: RulesDep,
    body: ActionNote | None = None,
) -> RequestRead:
    note = body.note if body else None
    return await service.await_resident(session, actor, request_id, note=note, clock=clock, rules=rules)


@router.post("/requests/{request_id}/resume", **_action(Action.resume, "Resume after waiting for the resident"))
async def resume(
    request_id: int, actor: CurrentActor, session: SessionDep, clock: ClockDep, rules: RulesDep,
    body: ActionNote | None = None,
) -> RequestRead:
    note = body.note if body else None
    return await service.resume_request(session, actor, request_id, note=note, clock=clock, rules=rules)


@router.post("/requests/{request_id}/resolve", **_action(Action.resolve, "Resolve, saying what was done"))
async def resolve(
    request_id: int, body: ResolveBody, actor: CurrentActor, session: SessionDep, clock: ClockDep, rules: RulesDep
) -> RequestRead:
    return await service.resolve_request(session, actor, request_id, note=body.note, clock=clock, rules=rules)


@router.post("/requests/{request_id}/close", **_action(Action.close, "Close a resolved request"))
async def close(
    request_id: int, actor: CurrentActor, session: SessionDep, clock: ClockDep, rules: RulesDep,
    body: ActionNote | None = None,
) -> RequestRead:
    note = body.note if body else None
    return await service.close_request(session, actor, request_id, note=note, clock=clock, rules=rules)


@router.post("/requests/{request_id}/decline", **_action(Action.decline, "Decline an assignment (the assignee)"))
async def decline(
    request_id: int, body: ReasonBody, actor: CurrentActor, session: SessionDep, clock: ClockDep, rules: RulesDep
) -> RequestRead:
    return await service.decline_request(session, actor, request_id, reason=body.reason, clock=clock, rules=rules)


@router.post("/requests/{request_id}/reject", **_action(Action.reject, "Reject as not actionable"))
async def reject(
    request_id: int, body: ReasonBody, actor: CurrentActor, session: SessionDep, clock: ClockDep, rules: RulesDep
) -> RequestRead:
    return await service.reject_request(session, actor, request_id, reason=body.reason, clock=clock, rules=rules)


@router.post("/requests/{request_id}/mark-duplicate",
             **_action(Action.mark_duplicate, "Mark as a duplicate of another request"))
async def mark_duplicate(
    request_id: int, body: DuplicateBody, actor: CurrentActor, session: SessionDep, clock: ClockDep,
    rules: RulesDep,
) -> RequestRead:
    return await service.mark_duplicate(
        session, actor, request_id, duplicate_of_id=body.duplicate_of_id, note=body.note, clock=clock, rules=rules
    )


@router.post("/requests/{request_id}/reopen", **_action(Action.reopen, "Reopen a resolved or closed request"))
async def reopen(
    request_id: int, actor: CurrentActor, session: SessionDep, clock: ClockDep, rules: RulesDep,
    body: ReopenBody | None = None,
) -> RequestRead:
    reason = body.reason if body else None
    return await service.reopen_request(session, actor, request_id, reason=reason, clock=clock, rules=rules)


@router.post("/requests/{request_id}/rate", **_action(Action.rate, "Rate the resolution (the reporter)"))
async def rate(
    request_id: int, body: RateBody, actor: CurrentActor, session: SessionDep, clock: ClockDep, rules: RulesDep
) -> RequestRead:
    return await service.rate_request(
        session, actor, request_id, satisfaction=body.satisfaction, comment=body.comment, clock=clock, rules=rules
    )
