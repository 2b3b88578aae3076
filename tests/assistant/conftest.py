"""Fixtures shared by the assistant tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.assembly import Assistant, build_assistant
from assistant.settings import Settings, get_settings


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """The CLI over a fresh state directory (its own SQLite database), settings re-read."""
    monkeypatch.setenv("BROKERDESK_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("BROKERDESK_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def bot(sample_kb, tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    """The assembled assistant over the sample knowledge base (real classifier, retrieval,
    flows and the sample account system), one per test module."""
    state_dir = tmp_path_factory.mktemp("state")
    return build_assistant(Settings(state_dir=state_dir), kb_dir=sample_kb.directory)
