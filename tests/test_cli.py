"""The `assistant` command line, run in-process against a real knowledge base."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.settings import get_settings
from tests.knowledge.test_index import ROWS
from tests.utils.files import write_csv


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("BROKERDESK_STATE_DIR", str(tmp_path / "state"))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    folder = tmp_path / "sources"
    folder.mkdir()
    write_csv(folder / "faq.csv", ROWS)
    return folder


def test_help_lists_the_commands(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("ingest", "search", "kb"):
        assert command in result.output


def test_ingest_then_search_json_with_kb_option(
    runner: CliRunner, sources: Path, tmp_path: Path
) -> None:
    kb = tmp_path / "kb-a"
    result = runner.invoke(app, ["ingest", str(sources), "--kb", str(kb), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["entries"] == 3
    result = runner.invoke(app, ["search", "开户带什么", "--k", "2", "--kb", str(kb), "--json"])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)
    assert hits[0]["id"] == "t-1"
    assert set(hits[0]) >= {"id", "source", "text", "score", "confidence"}
    assert 0.0 <= hits[0]["confidence"] <= 1.0


def test_two_knowledge_bases_live_side_by_side(
    runner: CliRunner, sources: Path, tmp_path: Path
) -> None:
    runner.invoke(app, ["ingest", str(sources), "--kb", str(tmp_path / "one")])
    result = runner.invoke(app, ["kb", "stats", "--kb", str(tmp_path / "two"), "--json"])
    assert json.loads(result.stdout)["units"] == 0
    result = runner.invoke(app, ["kb", "stats", "--kb", str(tmp_path / "one"), "--json"])
    assert json.loads(result.stdout)["units"] == 3


def test_table_output_and_delete(runner: CliRunner, sources: Path, tmp_path: Path) -> None:
    kb = str(tmp_path / "kb")
    runner.invoke(app, ["ingest", str(sources), "--kb", kb])
    table = runner.invoke(app, ["search", "stamp duty", "--kb", kb])
    assert "t-3" in table.output
    deleted = runner.invoke(app, ["kb", "delete", "faq.csv", "--kb", kb])
    assert "removed faq.csv: 3 units" in deleted.output
    missing = runner.invoke(app, ["kb", "delete", "faq.csv", "--kb", kb])
    assert missing.exit_code == 2
    assert "unknown_source" in missing.output


def test_missing_path_and_bad_options_are_clear_errors(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["ingest", str(tmp_path / "nope"), "--kb", str(tmp_path / "kb")])
    assert result.exit_code == 2
    assert "no such file or folder" in result.output
    result = runner.invoke(
        app, ["search", "x", "--since", "yesterday", "--kb", str(tmp_path / "kb")]
    )
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output
