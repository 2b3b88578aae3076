"""Which settings several server processes can share."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.serving import worker_environment, workers_refusal
from assistant.settings import Settings

POSTGRES = "postgresql+asyncpg://root@127.0.0.1:5432/desk"
REDIS = "redis://127.0.0.1:6379/0"


def settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(state_dir=tmp_path, **values)  # type: ignore[arg-type]


def test_one_worker_serves_on_anything(tmp_path: Path) -> None:
    assert workers_refusal(settings(tmp_path), 1, demo_agent=True) is None


def test_several_workers_on_sqlite_are_refused(tmp_path: Path) -> None:
    refusal = workers_refusal(settings(tmp_path, bus_url=REDIS), 2, demo_agent=False)
    assert refusal is not None and "SQLite serves one process only" in refusal


def test_several_workers_without_a_shared_bus_are_refused(tmp_path: Path) -> None:
    refusal = workers_refusal(settings(tmp_path, database_url=POSTGRES), 2, demo_agent=False)
    assert refusal is not None and "BUS_URL" in refusal


def test_several_workers_reset_no_demo_sign_in(tmp_path: Path) -> None:
    shared = settings(tmp_path, database_url=POSTGRES, bus_url=REDIS)
    assert workers_refusal(shared, 2, demo_agent=True) is not None
    assert workers_refusal(shared, 2, demo_agent=False) is None


@pytest.mark.parametrize("workers", [0, -1])
def test_no_workers_is_refused(tmp_path: Path, workers: int) -> None:
    assert workers_refusal(settings(tmp_path), workers, demo_agent=False) is not None


def test_each_worker_reads_the_command_line_options_as_its_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = worker_environment({"port": 8100, "kb_dir": tmp_path / "kb", "bus_url": REDIS})
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    worker = Settings(state_dir=tmp_path)
    assert (worker.port, worker.knowledge_dir, worker.bus_url) == (8100, tmp_path / "kb", REDIS)
