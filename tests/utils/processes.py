"""Start real servers on loopback for tests, and stop them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(
    check: Callable[[], bool], *, timeout: float = 20.0, what: str = "condition"
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class ChromaServer:
    """``chroma run`` on 127.0.0.1 with its data in ``path``."""

    def __init__(self, path: Path, port: int | None = None) -> None:
        self.path = path
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ChromaServer:
        chroma = Path(sys.executable).with_name("chroma")
        self.process = subprocess.Popen(
            [
                str(chroma),
                "run",
                "--path",
                str(self.path),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={"ANONYMIZED_TELEMETRY": "False", "PATH": "/usr/bin:/bin"},
        )
        wait_until(lambda: port_open(self.port), what=f"chroma on port {self.port}")
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None


ASSISTANT = str(Path(sys.executable).with_name("assistant"))


def shared_deployment_env(
    *, kb_dir: Path, state_dir: Path, database_url: str, bus_url: str
) -> dict[str, str]:
    """The environment of server processes that make one deployment: one PostgreSQL
    database, one Redis, one secret, no periodic pushes."""
    return {
        **os.environ,
        "BROKERDESK_STATE_DIR": str(state_dir),
        "BROKERDESK_KB_DIR": str(kb_dir),
        "BROKERDESK_DATABASE_URL": database_url,
        "BROKERDESK_BUS_URL": bus_url,
        "BROKERDESK_PUSH_POLL_S": "0",
        "BROKERDESK_SECRET_KEY": "shared-between-the-two-servers",
    }


def create_staff_account(env: dict[str, str], username: str, name: str, password: str) -> None:
    """``assistant staff create`` with ``env``'s settings, as an operator would."""
    created = subprocess.run(
        [ASSISTANT, "staff", "create", username, "--name", name, "--password-stdin"],
        input=f"{password}\n",
        text=True,
        capture_output=True,
        env=env,
        check=False,
    )
    assert created.returncode == 0, created.stderr


class ServerProcess:
    """``assistant serve`` in a child process, on a free loopback port (its output in ``log``)."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.env = env
        self.log = log
        self.process = subprocess.Popen(
            [ASSISTANT, "serve", "--port", str(self.port)],
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self) -> None:
        def ready() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            return port_open(self.port) and _answers(f"{self.base_url}/readyz")

        wait_until(ready, timeout=300, what=f"assistant serve on {self.port}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _answers(url: str) -> bool:
    """Whether ``url`` answers 200 (the server is ready, not merely listening)."""
    try:
        return httpx.get(url, timeout=5).status_code == 200
    except httpx.HTTPError:
        return False
