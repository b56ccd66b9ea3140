"""Shared bench plumbing: a PostgreSQL for the run, a migrated database with the demo district, the API and
worker as real processes, and percentile printing."""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.cli import _run_in_session, run_migrations  # noqa: E402
from app.db.embedded import EmbeddedPostgres  # noqa: E402
from app.pipeline.app import libpq_conninfo  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def machine() -> str:
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {platform.machine()} · {os.cpu_count()} cores · "
        f"Python {platform.python_version()}"
    )


@contextlib.contextmanager
def database(server_url: str | None, *, commit_timestamps: bool = False) -> Iterator[str]:
    """A fresh database (dropped afterwards) on ``server_url``, or on an embedded server in a temp folder."""
    embedded = None
    tmp = None
    if server_url is None:
        tmp = tempfile.TemporaryDirectory(prefix="doorstep-bench-")
        embedded = EmbeddedPostgres(Path(tmp.name))
        embedded.start()
        if commit_timestamps:
            with psycopg.connect(libpq_conninfo(embedded.url("postgres")), autocommit=True) as conn:
                conn.execute("ALTER SYSTEM SET track_commit_timestamp = on")
            embedded.stop()  # the setting needs a restart
            embedded = EmbeddedPostgres(Path(tmp.name))
            embedded.start()
        server_url = embedded.url("postgres")
    name = f"doorstep_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(libpq_conninfo(server_url), autocommit=True) as conn:
        if commit_timestamps:
            on = conn.execute("SHOW track_commit_timestamp").fetchone()
            if not on or on[0] != "on":
                raise SystemExit("this benchmark needs track_commit_timestamp = on on the server")
        conn.execute(f'CREATE DATABASE "{name}"')
    from sqlalchemy.engine import make_url

    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        run_migrations(url)
        from app.demo import load_demo

        _run_in_session(url, load_demo)
        yield url
    finally:
        with psycopg.connect(libpq_conninfo(server_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if embedded is not None:
            embedded.stop()
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.cleanup()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def process(args: list[str], database_url: str, log: Path, **env: str) -> Iterator[subprocess.Popen[bytes]]:
    full_env = {**os.environ, "DOORSTEP_DATABASE_URL": database_url, "DOORSTEP_LOG_LEVEL": "WARNING", **env}
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", *args], env=full_env, cwd=ROOT, stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def post_bytes(path: str, body: bytes, bearer: str | None) -> bytes:
    """A whole HTTP/1.1 POST of a JSON body, built once and written as is (keep-alive)."""
    auth = f"Authorization: Bearer {bearer}\r\n".encode() if bearer else b""
    return (
        b"POST " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" + auth
        + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )


async def read_response(reader: asyncio.StreamReader) -> int:
    """Reads one response off a keep-alive connection; returns its status."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    await reader.readexactly(length)
    return status


async def wait_ready(base_url: str, within_seconds: float = 60) -> None:
    deadline = time.monotonic() + within_seconds
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"{base_url}/readyz")).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    raise SystemExit(f"the API at {base_url} did not become ready")


async def token(base_url: str, username: str, password: str) -> str:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{base_url}/api/v1/auth/token", data={"username": username, "password": password})
        response.raise_for_status()
        return str(response.json()["access_token"])
