"""Private Redis processes shared by the tests (`redis_server.py`) and the
benches (`bench/store.py`); it does not import pytest."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def find_redis_server() -> str | None:
    """The redis-server binary: `$SCXMLC_REDIS_SERVER`, else `redis-server`
    on the PATH or in /usr/bin, /usr/sbin, /usr/local/bin; None without
    one."""
    explicit = os.environ.get("SCXMLC_REDIS_SERVER")
    if explicit:
        return explicit
    found = shutil.which("redis-server")
    if found:
        return found
    for folder in ("/usr/bin", "/usr/sbin", "/usr/local/bin"):
        candidate = Path(folder, "redis-server")
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def redis_version(binary: str) -> str:
    """What `binary --version` says (`Redis server v=7.0.15 sha=...`)."""
    return subprocess.run(
        [binary, "--version"], capture_output=True, text=True, timeout=10
    ).stdout.strip()


def form_cluster(cli: str, ports: list[int], password: str, timeout: float) -> None:
    """Make the redis-servers on loopback `ports` (started with
    `--cluster-enabled yes`) a Redis Cluster of that many primaries and no
    replicas (`redis-cli --cluster create`), and wait until every node says
    `cluster_state:ok`; RuntimeError if it cannot be made or is not ready
    within `timeout` seconds."""
    env = {**os.environ, "REDISCLI_AUTH": password}
    created = subprocess.run(
        [cli, "--cluster", "create", *(f"127.0.0.1:{port}" for port in ports)]
        + ["--cluster-replicas", "0", "--cluster-yes"],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if created.returncode:
        raise RuntimeError(
            f"redis-cli --cluster create: {created.stdout}{created.stderr}"
        )
    deadline = time.monotonic() + timeout
    while True:
        states = [
            subprocess.run(
                [cli, "-p", str(port), "cluster", "info"],
                check=False,
                env=env,
                capture_output=True,
                text=True,
                timeout=10,
            ).stdout
            for port in ports
        ]
        if all("cluster_state:ok" in state for state in states):
            return
        if time.monotonic() > deadline:
            raise RuntimeError("the Redis Cluster did not become ready")
        time.sleep(0.1)


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


def start_redis(
    binary: str, folder: str, password: str, timeout: float, **options: str
) -> tuple[subprocess.Popen[bytes], int]:
    """A redis-server on a free loopback port, answering PING within
    `timeout` seconds, in `folder`, with
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
        deadline = time.monotonic() + timeout
        while process.poll() is None and time.monotonic() < deadline:
            if _ping(port, password):
                return process, port
            time.sleep(0.05)
        stop_redis(process)  # the port was taken meanwhile, or it did not start
    text = Path(log).read_text(errors="replace")[-2000:] if Path(log).exists() else ""
    raise RuntimeError(f"{binary} did not start: {text}")


def stop_redis(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def redis_cli(binary: str) -> str:
    """The redis-cli on PATH, else the one beside `binary` (it comes with
    redis-server, in Debian's redis-tools)."""
    return shutil.which("redis-cli") or str(Path(binary).parent / "redis-cli")


@contextmanager
def running_cluster(
    binary: str, folder: str, password: str, nodes: int, timeout: float, **options: str
) -> Iterator[list[int]]:
    """`nodes` primaries of a Redis Cluster (no replicas), one per
    subfolder of `folder`, with `options`, made with `redis-cli --cluster
    create`: their ports, each node stopped on exit. RuntimeError if one
    does not start or the cluster does not form within `timeout`."""
    processes: list[subprocess.Popen[bytes]] = []
    try:
        ports = []
        for i in range(nodes):
            process, port = start_redis(
                binary,
                os.path.join(folder, str(i)),
                password,
                timeout,
                cluster_enabled="yes",
                cluster_config_file="nodes.conf",
                masterauth=password,
                **options,
            )
            processes.append(process)
            ports.append(port)
        form_cluster(redis_cli(binary), ports, password, timeout)
        yield ports
    finally:
        for process in processes:
            stop_redis(process)
