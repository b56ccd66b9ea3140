"""Callbacks: every status change of a request that came from an integration is POSTed, signed, to the
integration's callback URL.

The seam. Every status change, whoever makes it (a staff action in ``app.requests.service``, routing's
assignment, an SLA re-route, an Open311 or hotline intake), appends a ``RequestEvent`` of kind ``transition``
under the request's row lock. Rather than have ``requests`` (which sits below) call up into ``integrations``,
two session hooks watch for those rows:

* ``after_flush`` notes the ids of flushed transition events of requests that may belong to an integration
  (no SQL: requests known to have no ``integration_id`` are skipped on the spot);
* ``before_commit`` (of the outermost transaction) turns the noted events into callback deliveries — one
  ``WebhookDelivery`` each (channel ``callback``, the integration's URL, ``ordering_key`` ``callback:{request}``)
  and its ``deliver_webhook`` job — in the same transaction, so a change and its callback commit together or
  not at all. It runs at commit rather than at flush so the body carries the request as the transaction leaves
  it (routing sets the targets after it assigns), while ``status``/``previous_status`` come from each event.

Order: transitions of one request happen under its row lock, so the deliveries of one transaction get higher
ids than those of the transaction before it, and ``ordering_key`` makes the sender deliver them one at a time
in id order. Events rolled back with a savepoint are dropped (only events still in the database are sent).

The hooks are synchronous (SQLAlchemy's); the work is async code run on the same session through
``await_only``, which is how SQLAlchemy itself bridges its asyncio layer (the commit runs in its greenlet).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.ext.asyncio import AsyncSession, async_session
from sqlalchemy.orm import Session, SessionTransaction, UOWTransaction
from sqlalchemy.orm.util import identity_key
from sqlalchemy.util import await_only

from app.integrations import repository
from app.integrations.schemas import CALLBACK_EVENT, CALLBACK_VERSION, CallbackBody
from app.integrations.service import STATUS_TEXT, work_order_state
from app.requests.models import RequestEvent, ServiceRequest, Status
from app.webhooks import service as webhooks

logger = logging.getLogger(__name__)

_NOTED = "integration_callback_event_ids"


def _may_belong_to_an_integration(session: Session, request_id: int) -> bool:
    request = session.identity_map.get(identity_key(ServiceRequest, request_id))
    if request is None:
        return True
    loaded = inspect(request).dict
    return "integration_id" not in loaded or loaded["integration_id"] is not None


def _after_flush(session: Session, flush_context: UOWTransaction) -> None:
    for obj in session.new:
        if (
            isinstance(obj, RequestEvent)
            and obj.kind == "transition"
            and _may_belong_to_an_integration(session, obj.request_id)
        ):
            session.info.setdefault(_NOTED, set()).add(obj.id)


def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: the outer transaction's commit sends
    if not session.info.get(_NOTED) and not any(isinstance(obj, RequestEvent) for obj in session.new):
        return
    # The body is read from the database: write what the transaction still holds in memory first (routing
    # sets the targets on the row without flushing them).
    if session.new or session.dirty or session.deleted:
        session.flush()
    noted = session.info.pop(_NOTED, None)
    if not noted:
        return
    proxy = async_session(session)
    if proxy is None:
        raise RuntimeError("integration callbacks need an AsyncSession to enqueue their deliveries")
    await_only(enqueue_callbacks(proxy, sorted(noted)))


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_NOTED, None)  # rolled back (or committed): nothing left to send


def install() -> None:
    """Registers the hooks on every session (idempotent). The API process installs them with the router, the
    pipeline worker with ``app.integrations.tasks``."""
    for name, hook in (
        ("after_flush", _after_flush),
        ("before_commit", _before_commit),
        ("after_transaction_end", _after_transaction_end),
    ):
        if not event.contains(Session, name, hook):
            event.listen(Session, name, hook)


async def enqueue_callbacks(session: AsyncSession, event_ids: Sequence[int]) -> int:
    """One signed callback delivery per transition event (of an active integration with a callback URL), in
    event order, with the request's state in the platform's terms. Returns how many were queued."""
    queued = 0
    states: dict[int, dict[str, Any]] = {}
    for transition, integration in await repository.callback_targets(session, event_ids):
        if transition.request_id not in states:
            request = await repository.request_by_id(session, transition.request_id)
            if request is None:
                continue
            state = await work_order_state(session, request)
            states[transition.request_id] = state.model_dump(mode="json")
        # The event's own status, not the request's at commit (one transaction may make two changes).
        status = Status(transition.to_status or states[transition.request_id]["status"])
        body = CallbackBody(
            **{**states[transition.request_id], "status": status, "status_text": STATUS_TEXT[status]},
            version=CALLBACK_VERSION,
            event=CALLBACK_EVENT,
            event_id=transition.id,
            action=transition.action or "",
            previous_status=Status(transition.from_status) if transition.from_status else None,
            occurred_at=transition.created_at,
            note=transition.note,
        )
        payload = body.model_dump(mode="json")
        delivery = await webhooks.enqueue(
            session,
            channel=repository.CALLBACK_CHANNEL,
            event=CALLBACK_EVENT,
            target_url=integration.callback_url or "",
            payload=payload,
            now=transition.created_at,
            request_id=transition.request_id,
            ordering_key=f"callback:{transition.request_id}",
        )
        delivery.integration_id = integration.id
        queued += 1
    if queued:
        await session.flush()
        logger.info("queued %s integration callback(s)", queued)
    return queued

