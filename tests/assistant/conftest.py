"""Fixtures shared by the assistant tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.settings import get_settings


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """The CLI over a fresh state directory (its own SQLite database), settings re-read."""
    monkeypatch.setenv("BROKERDESK_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("BROKERDESK_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()
