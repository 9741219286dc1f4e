"""A real Redis for the tests: a private `redis-server` on a free loopback port.

`redis_server` (session-scoped, so one per xdist worker) starts
`redis-server` in a temporary directory with persistence off (no RDB, no AOF)
and a password (`requirepass`, so the store's AUTH is exercised), waits until
it answers, and stops it and removes the directory when the tests end.

The binary is `$SCXMLC_REDIS_SERVER`, else `redis-server` on the PATH or in
/usr/bin, /usr/sbin, /usr/local/bin. Without one the Redis tests are skipped
saying how to get it, unless `SCXMLC_REQUIRE_REDIS=1` (as .ci/run sets), where
they fail.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

HOW_TO_GET_IT = (
    "no redis-server binary: install Redis 7 (Debian/Ubuntu: "
    "`sudo apt-get install redis-server`; macOS: `brew install redis`) or set "
    "SCXMLC_REDIS_SERVER=/path/to/redis-server"
)

START_TIMEOUT = 10.0


@dataclass(frozen=True)
class RedisServer:
    host: str
    port: int
    password: str
    version: str

    def url(self, db: int = 0, *, password: str | None = None) -> str:
        secret = self.password if password is None else password
        return f"redis://:{secret}@{self.host}:{self.port}/{db}"


def find_redis_server() -> str | None:
    explicit = os.environ.get("SCXMLC_REDIS_SERVER")
    if explicit:
        if not os.access(explicit, os.X_OK):
            pytest.fail(f"SCXMLC_REDIS_SERVER={explicit} is not an executable")
        return explicit
    found = shutil.which("redis-server")
    if found:
        return found
    for folder in ("/usr/bin", "/usr/sbin", "/usr/local/bin"):
        candidate = Path(folder, "redis-server")
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _ping(port: int, password: str) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(f"AUTH {password}\r\nPING\r\n".encode())
            answer = b""
            deadline = time.monotonic() + 1.0
            while b"PONG" not in answer and time.monotonic() < deadline:
                chunk = s.recv(64)
                if not chunk:
                    break
                answer += chunk
            return b"PONG" in answer
    except OSError:
        return False


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    binary = find_redis_server()
    if binary is None:
        if os.environ.get("SCXMLC_REQUIRE_REDIS"):
            pytest.fail(HOW_TO_GET_IT + " (SCXMLC_REQUIRE_REDIS is set)")
        pytest.skip(HOW_TO_GET_IT)
    version = subprocess.run(
        [binary, "--version"], capture_output=True, text=True, timeout=10
    ).stdout.strip()
    folder = tempfile.mkdtemp(prefix="scxmlc-redis-")
    password = secrets.token_hex(16)
    process: subprocess.Popen[bytes] | None = None
    try:
        for _ in range(5):
            port = _free_port()
            process = subprocess.Popen(
                [
                    binary,
                    "--port",
                    str(port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    folder,
                    "--logfile",
                    os.path.join(folder, "redis.log"),
                    "--requirepass",
                    password,
                    "--daemonize",
                    "no",
                ],  # fmt: skip
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            deadline = time.monotonic() + START_TIMEOUT
            while process.poll() is None and time.monotonic() < deadline:
                if _ping(port, password):
                    break
                time.sleep(0.05)
            else:
                process.kill()
                process.wait()
                process = None
                continue  # the port was taken meanwhile, or it did not start
            break
        if process is None:
            log = Path(folder, "redis.log")
            text = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            pytest.fail(f"{binary} did not start: {text}")
        yield RedisServer("127.0.0.1", port, password, version)
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(folder, ignore_errors=True)
