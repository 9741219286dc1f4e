"""A real Redis for the tests: a private `redis-server` on a free loopback port.

`redis_server` (session-scoped, so one per xdist worker) starts
`redis-server` in a temporary directory with persistence off (no RDB, no AOF)
and a password (`requirepass`, so the store's AUTH is exercised), waits until
it answers, and stops it and removes the directory when the tests end. `redis_cluster`
does the same for a Redis Cluster of three nodes.

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

    def url(
        self, db: int = 0, *, password: str | None = None, scheme: str = "redis"
    ) -> str:
        secret = self.password if password is None else password
        return f"{scheme}://:{secret}@{self.host}:{self.port}/{db}"


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


def _binary() -> str:
    binary = find_redis_server()
    if binary is None:
        if os.environ.get("SCXMLC_REQUIRE_REDIS"):
            pytest.fail(HOW_TO_GET_IT + " (SCXMLC_REQUIRE_REDIS is set)")
        pytest.skip(HOW_TO_GET_IT)
    return binary


def _start(
    binary: str, folder: str, password: str, **options: str
) -> tuple[subprocess.Popen[bytes], int]:
    """A redis-server on a free port, answering PING, in `folder`, with
    persistence off and `options` (`cluster_enabled="yes"` for
    `--cluster-enabled yes`)."""
    os.makedirs(folder, exist_ok=True)
    log = os.path.join(folder, "redis.log")
    for _ in range(5):
        port = _free_port()
        settings = {
            "port": str(port),
            "bind": "127.0.0.1",
            "save": "",
            "appendonly": "no",
            "dir": folder,
            "logfile": log,
            "requirepass": password,
            "daemonize": "no",
            **options,
        }
        command = [binary]
        for name, value in settings.items():
            command += ["--" + name.replace("_", "-"), value]
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while process.poll() is None and time.monotonic() < deadline:
            if _ping(port, password):
                return process, port
            time.sleep(0.05)
        _stop(process)  # the port was taken meanwhile, or it did not start
    text = Path(log).read_text(errors="replace")[-2000:] if Path(log).exists() else ""
    pytest.fail(f"{binary} did not start: {text}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _version(binary: str) -> str:
    return subprocess.run(
        [binary, "--version"], capture_output=True, text=True, timeout=10
    ).stdout.strip()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    binary = _binary()
    folder = tempfile.mkdtemp(prefix="scxmlc-redis-")
    password = secrets.token_hex(16)
    try:
        process, port = _start(binary, folder, password)
        try:
            yield RedisServer("127.0.0.1", port, password, _version(binary))
        finally:
            _stop(process)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


CLUSTER_NODES = 3


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[RedisServer]:
    """A Redis Cluster of three primaries (no replicas) on free loopback
    ports, made with `redis-cli --cluster create`: the first node's address.
    redis-cli comes with redis-server (Debian's redis-tools)."""
    binary = _binary()
    cli = shutil.which("redis-cli") or str(Path(binary).parent / "redis-cli")
    if not os.access(cli, os.X_OK):
        pytest.fail(f"no redis-cli next to {binary}")
    folder = tempfile.mkdtemp(prefix="scxmlc-redis-cluster-")
    password = secrets.token_hex(16)
    env = {**os.environ, "REDISCLI_AUTH": password}
    processes: list[subprocess.Popen[bytes]] = []
    try:
        ports = []
        for i in range(CLUSTER_NODES):
            process, port = _start(
                binary,
                os.path.join(folder, str(i)),
                password,
                cluster_enabled="yes",
                cluster_config_file="nodes.conf",
                masterauth=password,
            )
            processes.append(process)
            ports.append(port)
        nodes = [f"127.0.0.1:{port}" for port in ports]
        created = subprocess.run(
            [cli, "--cluster", "create", *nodes, "--cluster-replicas", "0"]
            + ["--cluster-yes"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if created.returncode:
            pytest.fail(f"redis-cli --cluster create: {created.stdout}{created.stderr}")
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            states = [
                subprocess.run(
                    [cli, "-p", str(port), "cluster", "info"],
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=10,
                ).stdout
                for port in ports
            ]
            if all("cluster_state:ok" in state for state in states):
                break
            if time.monotonic() > deadline:
                pytest.fail("the Redis Cluster did not become ready")
            time.sleep(0.1)
        yield RedisServer("127.0.0.1", ports[0], password, _version(binary))
    finally:
        for process in processes:
            _stop(process)
        shutil.rmtree(folder, ignore_errors=True)
