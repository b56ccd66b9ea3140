"""`doorstep serve` on the embedded default, stopped the way an operator or a service manager stops it: the
embedded PostgreSQL stops with it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_sigterm_stops_the_embedded_postgres_too(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "DOORSTEP_DATABASE_URL"}
    env |= {"DOORSTEP_DATA_DIR": str(tmp_path), "DOORSTEP_LOG_LEVEL": "INFO"}
    log = tmp_path / "serve.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--no-worker"],
        env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, cwd=Path(__file__).resolve().parents[1],
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, log.read_text()
            time.sleep(0.3)
        postmaster = tmp_path / "pgdata" / "postmaster.pid"
        assert postmaster.exists()  # the embedded server runs

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0, log.read_text()
        assert not postmaster.exists(), "the embedded PostgreSQL was left running:\n" + log.read_text()[-2000:]
    finally:
        if proc.poll() is None:
            proc.kill()
        leftover = tmp_path / "pgdata" / "postmaster.pid"
        if leftover.exists():  # never leave a server behind, even when the test fails
            os.kill(int(leftover.read_text().split()[0]), signal.SIGTERM)
