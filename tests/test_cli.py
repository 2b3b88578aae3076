"""The `assistant` command line, run in-process against a real knowledge base."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.settings import get_settings
from tests.knowledge.test_index import ROWS
from tests.utils.files import FAQ_HEADER, write_csv


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


def test_kb_stats_lists_the_entries_past_their_review_date(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BROKERDESK_KNOWLEDGE_MAX_AGE_DAYS", "400")
    get_settings.cache_clear()
    folder = tmp_path / "fresh-sources"
    folder.mkdir()
    recent = date.today().isoformat()
    write_csv(
        folder / "faq.csv",
        [
            [
                "r-1",
                "印花税多少？",
                "卖出时收0.05%。",
                "",
                "fees",
                "zh",
                "2000-01-01",
                "2999-12-31",
            ],
            ["r-2", "过户费多少？", "成交金额的0.001%。", "", "fees", "zh", recent, "2020-01-01"],
            ["r-3", "佣金多少？", "不超过3‰。", "", "fees", "zh", "2001-05-01", ""],
            ["r-4", "几点开盘？", "9:30。", "", "trading_rules", "zh", recent, ""],
            ["r-5", "要带什么？", "身份证。", "", "account_opening", "zh", "", ""],
        ],
        header=[*FAQ_HEADER, "review_by"],
    )
    kb = str(tmp_path / "kb")
    assert runner.invoke(app, ["ingest", str(folder), "--kb", kb]).exit_code == 0

    body = json.loads(runner.invoke(app, ["kb", "stats", "--kb", kb, "--json"]).stdout)
    table = runner.invoke(app, ["kb", "stats", "--kb", kb])

    freshness = body["freshness"]
    assert (freshness["max_age_days"], freshness["entries"]) == (400, 5)
    assert [entry["id"] for entry in freshness["stale"]] == ["r-3", "r-2"]
    assert freshness["stale_count"] == 2
    assert freshness["undated"] == ["r-5"]
    assert table.exit_code == 0, table.output
    assert "stale entries: 2 of 5 FAQ entries" in table.output
    assert "r-3" in table.output and "r-2" in table.output


def test_ingest_without_a_terminal_reports_progress_in_lines(
    runner: CliRunner, sources: Path, tmp_path: Path
) -> None:
    result = runner.invoke(app, ["ingest", str(sources), "--kb", str(tmp_path / "kb")])

    assert result.exit_code == 0, result.output
    planned = re.search(r"embedding: (\d+) to do", result.output)
    assert planned, result.output
    assert f"embedding: {planned.group(1)}/{planned.group(1)} (100%)" in result.output


def test_ask_answers_from_the_knowledge_base_the_same_on_a_warm_state_directory(
    runner: CliRunner, sources: Path, tmp_path: Path
) -> None:
    kb = str(tmp_path / "kb")
    runner.invoke(app, ["ingest", str(sources), "--kb", kb])
    first = runner.invoke(app, ["ask", "How much is stamp duty?", "--kb", kb, "--json"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(app, ["ask", "How much is stamp duty?", "--kb", kb, "--json"])
    assert again.exit_code == 0, again.output

    reply, warm = json.loads(first.stdout), json.loads(again.stdout)
    assert "0.05%" in reply["answer"]
    assert [source["id"] for source in reply["sources"]][:1] == ["t-3"]
    assert {k: v for k, v in warm.items() if k != "latency_ms"} == {
        k: v for k, v in reply.items() if k != "latency_ms"
    }
