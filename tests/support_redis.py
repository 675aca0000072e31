"""A real ``redis-server`` for the tests of the shared rate limiter.

Each :class:`RedisServer` runs its own ``redis-server`` process on a free port of
127.0.0.1, with persistence off, so a test may stop it (a Redis outage) and start it
again on the same port. When ``redis-server`` or the ``redis`` package is missing the
tests that need one are skipped, saying how to install what is missing, unless
``HUBCRM_REQUIRE_REDIS=1`` (set by nox under CI): then they fail, so a CI run can never
pass by skipping.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time

import pytest

REDIS_SERVER = shutil.which("redis-server")


def require_redis() -> None:
    """Skip (or, under ``HUBCRM_REQUIRE_REDIS=1``, fail) when Redis can't be used."""
    missing = []
    if REDIS_SERVER is None:
        missing.append(
            "redis-server is not on PATH (to install it: apt-get install redis-server on"
            " Debian and Ubuntu, brew install redis on macOS)"
        )
    try:
        import redis.asyncio  # noqa: F401
    except ImportError:
        missing.append("the redis package is not installed (pip install -e '.[redis]')")
    if missing:
        reason = " and ".join(missing)
        if os.environ.get("HUBCRM_REQUIRE_REDIS") == "1":
            pytest.fail(f"{reason}, and HUBCRM_REQUIRE_REDIS=1 says the Redis tests must run")
        pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """One ``redis-server`` process on 127.0.0.1; :meth:`stop` and :meth:`start` at will."""

    def __init__(self) -> None:
        require_redis()
        self.port = _free_port()
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        assert REDIS_SERVER is not None
        if self.running:
            return
        self._proc = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--protected-mode", "yes",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while not _ping(self.port):
            if self._proc.poll() is not None:
                raise RuntimeError(f"redis-server exited at start (code {self._proc.returncode})")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("redis-server did not answer PING within 10 s")
            time.sleep(0.02)

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
