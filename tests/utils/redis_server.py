"""Redis for tests: the shared server on 127.0.0.1:6379, or a private one to stop and restart."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from redis.asyncio import Redis

from tests.utils.processes import free_port, port_open, wait_until

REDIS_URL = os.environ.get("BROKERDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def require_redis(url: str = REDIS_URL) -> None:
    """Fail the test, saying how to fix it, when the Redis server does not answer."""
    client = Redis.from_url(url, socket_connect_timeout=1.0, socket_timeout=1.0)
    try:
        await client.ping()
    except Exception as exc:
        pytest.fail(
            f"Redis is not reachable at {url} ({exc}). Start it with `make services` or "
            "`redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' "
            "--appendonly no`",
            pytrace=False,
        )
    finally:
        await client.aclose()


class RedisServer:
    """A private ``redis-server`` on a free loopback port, nothing on disk.

    For tests that stop Redis under a running client: the shared server must
    not be restarted, other tests use it.
    """

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed (apt-get install redis-server)")
        self.process = subprocess.Popen(
            [
                binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: port_open(self.port), timeout=10, what=f"redis on port {self.port}")
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None
