"""create_app(): settings, lifespan (database, pipeline worker), middleware, error handlers, routers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI

from app.audit import listener as audit_listener
from app.core.config import Settings, get_settings
from app.core.handlers import install_error_handlers
from app.core.logging import configure_logging
from app.core.middleware import BodySizeLimitMiddleware, RequestIdMiddleware
from app.core.time import Clock, SystemClock
from app.db.session import create_engine, create_sessionmaker

logger = logging.getLogger(__name__)

TAGS = [
    {"name": "auth", "description": "Sign in (OAuth2 password flow) and who you are."},
    {"name": "areas", "description": "The place tree: district → subdistrict → community → compound → building; "
     "streets; workstations; CSV/XLSX import."},
    {"name": "people", "description": "Staff with roles scoped to areas, absences with a backup, residents."},
    {"name": "categories", "description": "Request categories: names, priority, targets, routing rule, keywords."},
    {"name": "requests", "description": "Requests (诉求 / work orders): intake, lists, lifecycle actions, events."},
    {"name": "routing", "description": "How each request was routed (the trace, step by step) and each staff "
     "member's queue of open work, most urgent first."},
    {"name": "deliveries", "description": "Signed webhook deliveries (push notifications), their attempts, "
     "replays."},
    {"name": "integrations", "description": "Machine clients (hotline platforms, wristband gateways): API keys, "
     "hotline work orders, signed callbacks."},
    {"name": "open311", "description": "Open311 GeoReport v2, so standard civic-issue clients work unchanged."},
    {"name": "volunteers", "description": "Teams, volunteers, tasks matched by skill, place and load, the hours "
     "ledger."},
    {"name": "care", "description": "Elder profiles, care records, wristband readings and alarms (sensitive)."},
    {"name": "reports", "description": "The three rates, times to respond and resolve, the monthly bulletin."},
    {"name": "health", "description": "Liveness and readiness for the operator."},
]


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    from app.db import registry  # noqa: F401  (every model mapped before the first flush)

    audit_listener.install()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from app.db.bootstrap import resolve_database_url
        from app.pipeline.app import use_database

        database_url, embedded = await resolve_database_url(settings)
        engine = create_engine(database_url, pool_size=settings.database_pool_size)
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        from app.pipeline import runtime

        pipeline = use_database(database_url)
        worker: asyncio.Task[None] | None = None
        async with (
            runtime.open(database_url, settings, clock=app.state.clock, sessionmaker=app.state.sessionmaker),
            pipeline.open_async(),
        ):
            if settings.run_worker_in_process:
                worker = asyncio.create_task(
                    pipeline.run_worker_async(
                        install_signal_handlers=False,
                        concurrency=settings.worker_concurrency,
                        update_heartbeat_interval=settings.pipeline_heartbeat_seconds,
                        stalled_worker_timeout=settings.pipeline_stalled_seconds,
                    )
                )
            try:
                yield
            finally:
                if worker is not None:
                    worker.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await worker
                await engine.dispose()
                if embedded is not None:
                    embedded.stop()

    app = FastAPI(
        title="Doorstep",
        version="0.1.0",
        summary="Community requests, from the last kilometre to the last metre.",
        description=(
            "Residents and the city hotline report problems and needs; Doorstep routes each one to the building "
            "captain responsible, runs the clock on it and escalates what is late.\n\n"
            "Sign in with `POST /api/v1/auth/token` (the **Authorize** button), then call the routes below. "
            "Every error is `application/problem+json` (RFC 9457) with a stable `code`; 422 lists each bad "
            "field under `errors`."
        ),
        openapi_tags=TAGS,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.clock = clock or SystemClock()

    install_error_handlers(app)
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        larger_limits={"/api/v1/imports/": settings.max_import_bytes},
    )
    app.add_middleware(RequestIdMiddleware)

    from app.areas.router import router as areas_router
    from app.auth.router import router as auth_router
    from app.core.health import router as health_router
    from app.core.openapi import problem_openapi
    from app.people.router import router as people_router
    from app.requests.router import categories_router
    from app.requests.router import router as requests_router
    from app.routing.router import router as routing_router
    from app.webhooks.router import router as webhooks_router

    app.openapi = problem_openapi(app)  # type: ignore[method-assign]
    for router in (health_router, auth_router, areas_router, people_router, categories_router, requests_router,
                   routing_router, webhooks_router):
        app.include_router(router)
    from app.care.router import router as care_router
    from app.integrations.router import router as integrations_router
    from app.open311.router import router as open311_router
    from app.reports.router import router as reports_router
    from app.volunteers.router import router as volunteers_router

    for router in (integrations_router, open311_router, volunteers_router, care_router, reports_router):
        app.include_router(router)
    return app
