"""The ``doorstep`` command: serve, worker, migrate, demo, import, users create, integrations create."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import getpass
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

from app.core.config import Settings, get_settings


def migrations_script_location() -> Path:
    import migrations

    return Path(migrations.__file__).resolve().parent


def run_migrations(database_url: str, revision: str = "head") -> None:
    """``alembic upgrade`` to ``revision`` on ``database_url`` (without needing alembic.ini)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_script_location()))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    command.upgrade(config, revision)


@contextlib.contextmanager
def _database(settings: Settings) -> Iterator[tuple[str, Any]]:
    """The database URL for a command, and the embedded server it started (stopped when the command ends)."""
    database_url, embedded = _with_database(settings)
    try:
        yield database_url, embedded
    finally:
        if embedded is not None:
            embedded.stop()


def _with_database(settings: Settings) -> tuple[str, Any]:
    from app.db.bootstrap import resolve_database_url

    return asyncio.run(resolve_database_url(settings))


def _run_in_session(database_url: str, work: Callable[[Any], Awaitable[Any]]) -> Any:
    """Run ``work(session)`` in one transaction, as the system actor."""
    from app.audit import listener as audit_listener
    from app.core.actor import SYSTEM, current_actor
    from app.db.session import create_engine, create_sessionmaker

    audit_listener.install()

    async def main() -> Any:
        engine = create_engine(database_url, pool_size=2)
        try:
            current_actor.set(SYSTEM)
            async with create_sessionmaker(engine)() as session:
                result = await work(session)
                await session.commit()
                return result
        finally:
            await engine.dispose()

    return asyncio.run(main())


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from app.main import create_app

    with _database(settings) as (database_url, embedded):
        run_migrations(database_url)
        if args.demo:
            _load_demo(database_url)
        settings = settings.model_copy(
            update={"database_url": database_url, "run_worker_in_process": not args.no_worker}
        )
        where = "embedded PostgreSQL in " + str(settings.data_dir) if embedded else "the configured database"
        print(f"Doorstep on http://{args.host}:{args.port} (docs at /docs), using {where}", flush=True)
        app = create_app(settings)
        _freeze_startup_objects()
        _unwind_on_stop_signals()
        uvicorn.run(app, host=args.host, port=args.port, log_config=None, access_log=False)
    return 0


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    from app.pipeline.worker import run_worker

    with _database(settings) as (database_url, embedded):
        from app.pipeline.app import pipeline

        pipeline.perform_import_paths()  # the task modules, imported before freezing
        _freeze_startup_objects()
        _run_fast(run_worker(database_url, concurrency=args.concurrency, settings=settings))
    return 0


def _unwind_on_stop_signals() -> None:
    """uvicorn shuts down gracefully on SIGTERM or SIGINT, then raises the same signal again under the handler
    that was there before it. Left at the default, that kills the process where it stands and the embedded
    PostgreSQL is never stopped; as SystemExit it unwinds through ``_database`` and is."""

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(0 if signum == signal.SIGTERM else 128 + signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def _freeze_startup_objects() -> None:
    """Moves everything built at start-up (modules, mappers, schemas: hundreds of thousands of objects that
    live as long as the process) out of the garbage collector's reach. A full collection otherwise walks them
    all: under load it came every ten seconds or so and paused the process for 50-100 ms, the longest waits
    a request saw (bench/routing_latency.py's p99 fell from 100-200 ms to 30-80 ms)."""
    gc.collect()
    gc.freeze()


def _run_fast(main: Awaitable[Any]) -> Any:
    """Runs ``main`` on uvloop where it is installed (it comes with ``uvicorn[standard]`` on Linux and macOS,
    as the API already runs on it): every job waits on the database many times, and uvloop's waiting costs a
    fraction of the standard loop's."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - Windows
        return asyncio.run(main)  # type: ignore[arg-type]
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)  # type: ignore[arg-type]


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    with _database(settings) as (database_url, embedded):
        run_migrations(database_url, args.revision)
        print(f"migrated to {args.revision}")
    return 0


def _load_demo(database_url: str) -> None:
    from app.core.errors import AppError
    from app.demo import load_demo

    try:
        created = _run_in_session(database_url, load_demo)
    except AppError as error:
        raise SystemExit(f"demo data not loaded: {error.detail}") from error
    print("demo data: " + ("loaded" if created else "already present"), flush=True)


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    with _database(settings) as (database_url, embedded):
        run_migrations(database_url)
        _load_demo(database_url)
    return 0


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from app.areas.importer import ImportFailed, import_file

    path = Path(args.file)
    if not path.is_file():
        print(f"no such file: {path}", file=sys.stderr)
        return 2
    with _database(settings) as (database_url, embedded):
        run_migrations(database_url)

        content = path.read_bytes()

        async def work(session: Any) -> Any:
            return await import_file(session, kind=args.kind, filename=path.name, content=content)

        try:
            report = _run_in_session(database_url, work)
        except ImportFailed as failed:
            print(f"nothing imported: {len(failed.errors)} error(s)", file=sys.stderr)
            for error in failed.errors:
                print(f"  row {error['row']}, column {error['column']}: {error['message']}", file=sys.stderr)
            return 1
        print(f"imported {report.imported} {args.kind} row(s)")
    return 0


def cmd_users_create(args: argparse.Namespace, settings: Settings) -> int:
    from sqlalchemy import select

    from app.areas.models import Area
    from app.core.errors import AppError
    from app.people.schemas import RoleAssign, StaffCreate
    from app.people.service import create_staff_unchecked

    password = args.password or os.environ.get("DOORSTEP_NEW_USER_PASSWORD")
    if not password:
        password = getpass.getpass(f"Password for {args.username}: ")
    with _database(settings) as (database_url, embedded):
        run_migrations(database_url)

        async def work(session: Any) -> Any:
            area = await session.scalar(select(Area).where(Area.code == args.area))
            if area is None:
                raise SystemExit(f"no area with code {args.area!r}: create or import areas first")
            body = StaffCreate(
                username=args.username,
                password=password,
                full_name=args.full_name or args.username,
                phone=args.phone,
                roles=[RoleAssign(role=args.role, area_id=area.id, department=args.department)],
            )
            return await create_staff_unchecked(session, body)

        try:
            staff = _run_in_session(database_url, work)
        except AppError as error:
            print(f"not created: {error.detail}", file=sys.stderr)
            return 1
        print(f"created staff {staff.id} ({args.username}) as {args.role} of {args.area}")
    return 0


def cmd_integrations_create(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import UTC, datetime

    from pydantic import ValidationError

    from app.core.errors import AppError
    from app.integrations.service import create_integration_unchecked

    with _database(settings) as (database_url, embedded):
        run_migrations(database_url)

        async def work(session: Any) -> Any:
            return await create_integration_unchecked(
                session, name=args.name, kind=args.kind, area_code=args.area, callback_url=args.callback_url,
                now=datetime.now(UTC),
            )

        try:
            created = _run_in_session(database_url, work)
        except AppError as error:
            print(f"not created: {error.detail}", file=sys.stderr)
            return 1
        except ValidationError as error:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
            print(f"not created: {problems}", file=sys.stderr)
            return 1
        print(f"created integration {created.id} ({created.name}, {created.kind}) over {created.area.name}")
        print("Store these now; they are not shown again.")
        print(f"API key (send as X-API-Key): {created.api_key}")
        print(f"Callback secret (verifies X-Doorstep-Signature): {created.callback_secret}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="doorstep", description="Doorstep community-service backend")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the API (and a pipeline worker) on the configured database")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--demo", action="store_true", help="load the demo district first (idempotent)")
    serve.add_argument("--no-worker", action="store_true", help="do not run a pipeline worker in this process")
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="run a pipeline worker (any number, on any machine)")
    worker.add_argument("--concurrency", type=int, default=4)
    worker.set_defaults(func=cmd_worker)

    migrate = sub.add_parser("migrate", help="apply database migrations")
    migrate.add_argument("revision", nargs="?", default="head")
    migrate.set_defaults(func=cmd_migrate)

    demo = sub.add_parser("demo", help="load the demo district (Weiyang, Xi'an, and a Beijing subdistrict)")
    demo.set_defaults(func=cmd_demo)

    imp = sub.add_parser("import", help="import areas, buildings or staff from a CSV or XLSX file")
    imp.add_argument("kind", choices=["areas", "buildings", "staff"])
    imp.add_argument("file")
    imp.set_defaults(func=cmd_import)

    users = sub.add_parser("users", help="manage accounts")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    create = users_sub.add_parser("create", help="create a staff account with one role over one area")
    create.add_argument("--username", required=True)
    create.add_argument("--password", help="or DOORSTEP_NEW_USER_PASSWORD, or asked for")
    create.add_argument("--full-name")
    create.add_argument("--phone")
    create.add_argument("--role", required=True, help="e.g. district_admin")
    create.add_argument("--area", required=True, help="the area's code, e.g. 610112")
    create.add_argument("--department")
    create.set_defaults(func=cmd_users_create)

    integrations = sub.add_parser("integrations", help="manage machine clients (hotline platforms, gateways)")
    integrations_sub = integrations.add_subparsers(dest="integrations_command", required=True)
    register = integrations_sub.add_parser(
        "create", help="register an integration and print its API key and callback secret (shown once)"
    )
    register.add_argument("--name", required=True)
    register.add_argument("--kind", required=True, choices=["hotline", "device_gateway", "open311_client"])
    register.add_argument("--area", required=True, help="the area's code, e.g. 610112 (its subtree is the scope)")
    register.add_argument("--callback-url", help="where status changes are POSTed (http or https)")
    register.set_defaults(func=cmd_integrations_create)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from app.core.logging import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level)
    return int(args.func(args, settings) or 0)


if __name__ == "__main__":
    sys.exit(main())
