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
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import pytest
import redis_processes
from redis_processes import (
    redis_cli,
    redis_version,
    running_cluster,
    start_redis,
    stop_redis,
)

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
    if explicit and not os.access(explicit, os.X_OK):
        pytest.fail(f"SCXMLC_REDIS_SERVER={explicit} is not an executable")
    return redis_processes.find_redis_server()


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
    try:
        return start_redis(binary, folder, password, START_TIMEOUT, **options)
    except RuntimeError as error:
        pytest.fail(str(error))


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    binary = _binary()
    folder = tempfile.mkdtemp(prefix="scxmlc-redis-")
    password = secrets.token_hex(16)
    try:
        process, port = _start(binary, folder, password)
        try:
            yield RedisServer("127.0.0.1", port, password, redis_version(binary))
        finally:
            stop_redis(process)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


CLUSTER_NODES = 3


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[RedisServer]:
    """A Redis Cluster of three primaries (no replicas) on free loopback
    ports, made with `redis-cli --cluster create`: the first node's address.
    redis-cli comes with redis-server (Debian's redis-tools)."""
    binary = _binary()
    if not os.access(redis_cli(binary), os.X_OK):
        pytest.fail(f"no redis-cli next to {binary}")
    folder = tempfile.mkdtemp(prefix="scxmlc-redis-cluster-")
    password = secrets.token_hex(16)
    try:
        with ExitStack() as nodes:
            try:
                ports = nodes.enter_context(
                    running_cluster(
                        binary, folder, password, CLUSTER_NODES, START_TIMEOUT
                    )
                )
            except RuntimeError as error:
                pytest.fail(str(error))
            yield RedisServer("127.0.0.1", ports[0], password, redis_version(binary))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
