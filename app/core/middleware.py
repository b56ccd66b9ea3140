"""Pure ASGI middleware: request ids and access logs, and the body size limit (413)."""

from __future__ import annotations

import json
import logging
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import PROBLEM_JSON, problem_body
from app.core.logging import request_id_var

access_logger = logging.getLogger("app.access")


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status_holder: dict[str, int] = {}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            state = scope.get("state") or {}
            access_logger.info(
                "%s %s", scope["method"], scope["path"],
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status_holder.get("status", 500),
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "account_id": state.get("account_id"),
                },
            )
            request_id_var.reset(token)


class BodySizeLimitMiddleware:
    """Refuses bodies over the limit with 413, by Content-Length or while streaming.

    ``max_bytes`` holds everywhere except under the prefixes of ``larger_limits`` (spreadsheet imports).
    """

    def __init__(self, app: ASGIApp, max_bytes: int, larger_limits: dict[str, int] | None = None) -> None:
        self.app = app
        self.default_max_bytes = max_bytes
        self.larger_limits = larger_limits or {}

    def _limit_for(self, path: str) -> int:
        for prefix, limit in self.larger_limits.items():
            if path.startswith(prefix):
                return limit
        return self.default_max_bytes

    async def _reject(self, scope: Scope, send: Send, limit: int) -> None:
        body = problem_body(
            status=413,
            code="payload_too_large",
            title="Request body too large",
            detail=f"The body is larger than {limit} bytes",
            instance=scope.get("path"),
        )
        raw = json.dumps(body).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(raw)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": raw})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit_for(scope["path"])
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            await self._reject(scope, send, limit)
            return
        received = 0
        too_large = False
        replaced = False

        async def limited_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    too_large = True
                    raise _BodyTooLarge()
            return message

        async def guarded_send(message: Message) -> None:
            # Whatever the app answers once the limit was crossed (often its own 400 for a body it could
            # not read), the client gets the 413 instead.
            nonlocal replaced
            if too_large:
                if message["type"] == "http.response.start" and not replaced:
                    replaced = True
                    await self._reject(scope, send, limit)
                return
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except _BodyTooLarge:
            if not replaced:
                await self._reject(scope, send, limit)


class _BodyTooLarge(Exception):
    pass


