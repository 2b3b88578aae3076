"""Coverage of the scenario map: per category and route, and the gaps (no FAQ entry, no intent
example, fewer than two evaluation utterances), as a function and as `assistant kb coverage`."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.scenario_coverage import FaqEntry, build_coverage
from assistant.scenario_utterances import load_scenario_utterances
from assistant.scenarios import load_scenario_map
from assistant.settings import get_settings

MAP = {
    "bank_transfer.yaml": """
        category: bank_transfer
        title_zh: 银证转账
        title_en: Bank-securities transfers
        scenarios:
          - id: bank_transfer.hours
            title_zh: 转账时间
            title_en: Transfer hours
            description: Asks when transfers are possible.
            route: faq
            entries: [zh-0036, en-0012]
            intent: bank_transfer
            priority: common
          - id: bank_transfer.limits
            title_zh: 转账限额
            title_en: Transfer limits
            description: Asks the limits.
            route: faq
            entries: [zh-0039]
            intent: bank_transfer
            priority: common
          - id: bank_transfer.multiple_cards
            title_zh: 绑定多张卡
            title_en: Several cards
            description: Wants several cards linked.
            route: faq
            intent: bank_transfer
            priority: occasional
          - id: bank_transfer.not_arrived
            title_zh: 转账没到账
            title_en: Transfer not arrived
            description: Asks about their own transfer.
            route: account
            account_query: transfers
            intent: bank_transfer
            priority: common
    """,
    "reverse_repo.yaml": """
        category: reverse_repo
        title_zh: 国债逆回购
        title_en: Reverse repos
        scenarios:
          - id: reverse_repo.what
            title_zh: 逆回购是什么
            title_en: What a reverse repo is
            description: Asks what it is.
            route: faq
            intent: reverse_repo
            priority: common
          - id: reverse_repo.my_repo
            title_zh: 我的逆回购
            title_en: My repo
            description: Asks about their own repo.
            route: account
            account_query: orders
            intent: reverse_repo
            priority: occasional
          - id: reverse_repo.dispute
            title_zh: 逆回购纠纷
            title_en: A repo dispute
            description: Disputes a repo.
            route: handoff
            reason: Money disputes go to a person.
            intent: complaint
            priority: rare
    """,
    "proposed_intents.yaml": """
        proposed_intents:
          - name: reverse_repo
            description: 国债逆回购 / Reverse repos
    """,
}
ENTRIES = {
    entry_id: FaqEntry(id=entry_id, lang=entry_id[:2], source="faq.csv", title=entry_id)
    for entry_id in ("zh-0036", "en-0012", "zh-0039", "zh-0099")
}


def write_map(folder: Path, files: dict[str, str] = MAP) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return folder


def write_utterances(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    path.write_text(
        "".join(
            json.dumps({"scenario": s, "text": t, "lang": lang, "split": "heldout"}) + "\n"
            for s, t, lang in rows
        ),
        encoding="utf-8",
    )
    return path


def test_coverage_counts_routes_per_category_and_lists_each_kind_of_gap(tmp_path: Path) -> None:
    scenario_map = load_scenario_map(write_map(tmp_path / "scenarios"))
    utterances = load_scenario_utterances(
        write_utterances(
            tmp_path / "utterances.jsonl",
            [
                ("bank_transfer.hours", "几点能转钱", "zh"),
                ("bank_transfer.hours", "when can i transfer", "en"),
                ("bank_transfer.limits", "一天最多转多少", "zh"),
                ("gone.scenario", "whatever", "en"),
            ],
        )
    )

    report = build_coverage(
        scenario_map,
        faq_entries=ENTRIES,
        intent_examples={"bank_transfer": 20, "complaint": 18},
        flows={"complaint"},
        utterances=utterances,
    )

    assert (report.scenarios, report.categories) == (7, 2)
    assert report.routes == {"faq": 4, "flow": 0, "account": 2, "handoff": 1}
    assert report.priorities == {"common": 4, "occasional": 2, "rare": 1}
    by_name = {row.name: row for row in report.per_category}
    assert by_name["bank_transfer"].routes == {"faq": 3, "flow": 0, "account": 1, "handoff": 0}
    assert (by_name["bank_transfer"].faq_with_entries, by_name["bank_transfer"].faq_gaps) == (2, 1)
    assert by_name["reverse_repo"].no_intent_example == 2
    assert (report.faq_scenarios, report.faq_with_entries) == (4, 2)
    assert [r.id for r in report.faq_gaps] == ["bank_transfer.multiple_cards", "reverse_repo.what"]
    assert [r.id for r in report.no_intent_example] == ["reverse_repo.what", "reverse_repo.my_repo"]
    assert [(p.name, p.scenarios, p.in_catalogue) for p in report.proposed_intents] == [
        ("reverse_repo", 2, False)
    ]
    assert "bank_transfer.hours" not in {r.id for r in report.under_two_utterances}
    assert {r.id: r.utterances for r in report.under_two_utterances}["bank_transfer.limits"] == 1
    assert len(report.under_two_utterances) == 6
    assert len(report.no_evaluation) == 5
    assert [r.id for r in report.common_without_english] == [
        "bank_transfer.limits",
        "reverse_repo.what",
    ]
    assert report.unmapped_entries == ["zh-0099"]
    assert report.utterances.by_lang == {"en": 2, "zh": 2}
    assert report.utterances.unknown_scenarios == ["gone.scenario"]
    assert [(p.where, p.severity) for p in report.problems] == [("gone.scenario", "warning")]
    assert report.errors == []


def test_broken_references_are_errors_in_the_report(tmp_path: Path) -> None:
    scenario_map = load_scenario_map(write_map(tmp_path / "scenarios"))

    report = build_coverage(
        scenario_map,
        faq_entries={},
        intent_examples={"bank_transfer": 20},
        flows=set(),
        utterances=load_scenario_utterances(tmp_path / "missing.jsonl"),
    )

    assert not report.utterances.present
    assert len(report.no_evaluation) == report.scenarios
    assert {p.where for p in report.errors} == {
        "bank_transfer.hours",
        "bank_transfer.limits",
        "reverse_repo.dispute",
    }


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("BROKERDESK_STATE_DIR", str(tmp_path / "state"))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_the_command_reports_the_shipped_map_without_an_evaluation_file(
    runner: CliRunner, tmp_path: Path
) -> None:
    result = runner.invoke(
        app,
        [
            "kb",
            "coverage",
            "--utterances",
            str(tmp_path / "not-written-yet.jsonl"),
            "--min-scenarios",
            "500",
            "--min-categories",
            "20",
            "--json",
        ],
    )

    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["scenarios"] >= 500 and body["categories"] >= 20
    assert sum(body["routes"].values()) == body["scenarios"]
    assert body["unmapped_entries"] == []
    assert body["utterances"]["present"] is False
    assert len(body["under_two_utterances"]) == body["scenarios"]
    assert [p for p in body["problems"] if p["severity"] == "error"] == []
    assert body["below_minimum"] == []


def test_the_command_counts_a_partial_evaluation_file_in_its_table(
    runner: CliRunner, tmp_path: Path
) -> None:
    utterances = write_utterances(
        tmp_path / "utterances.jsonl",
        [
            ("bank_transfer.not_arrived", "我昨天转的钱还没到", "zh"),
            ("bank_transfer.not_arrived", "my transfer from yesterday is missing", "en"),
            ("fees_taxes.stamp_duty", "卖股票收印花税吗", "zh"),
        ],
    )

    result = runner.invoke(app, ["kb", "coverage", "--utterances", str(utterances)])

    assert result.exit_code == 0, result.output
    assert "scenarios per category and route" in result.output
    assert "faq-routed scenarios with no FAQ entry" in result.output
    assert "evaluation utterances: 3 in" in result.output
    body = json.loads(
        runner.invoke(app, ["kb", "coverage", "--utterances", str(utterances), "--json"]).stdout
    )
    counts = {r["id"]: r["utterances"] for r in body["under_two_utterances"]}
    assert "bank_transfer.not_arrived" not in counts
    assert counts["fees_taxes.stamp_duty"] == 1
    assert body["utterances"]["by_lang"] == {"en": 1, "zh": 2}


def test_the_command_fails_below_the_minimum_or_on_a_broken_map(
    runner: CliRunner, tmp_path: Path
) -> None:
    small = write_map(tmp_path / "small")
    below = runner.invoke(
        app, ["kb", "coverage", "--scenarios", str(small), "--min-scenarios", "500"]
    )
    assert below.exit_code == 1
    assert "fewer than --min-scenarios 500" in below.output

    broken = write_map(
        tmp_path / "broken",
        {"fees.yaml": "category: fees\ntitle_zh: 费用\ntitle_en: Fees\nscenarios:\n  - id: x\n"},
    )
    failed = runner.invoke(app, ["kb", "coverage", "--scenarios", str(broken)])
    assert failed.exit_code == 1
    assert "scenario_map_invalid" in failed.output
    assert "fees.yaml:5: x.id: String should match pattern" in failed.output
