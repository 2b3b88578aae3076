"""The scenario map: the shipped map is complete and points at things that exist, and a broken
map is reported whole, every bad file, line and field at once."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from assistant.account_queries import ACCOUNT_QUERY_KINDS
from assistant.scenario_coverage import (
    DEFAULT_SCENARIOS_DIR,
    available_flows,
    check_references,
    read_faq_entries,
)
from assistant.scenario_utterances import load_scenario_utterances
from assistant.scenarios import (
    ROUTES,
    ScenarioMap,
    ScenarioMapError,
    load_scenario_map,
)
from assistant.settings import PROJECT_ROOT
from intents.catalogue import load_catalogue

SAMPLE_KNOWLEDGE = PROJECT_ROOT / "data" / "knowledge"
CATALOGUE = PROJECT_ROOT / "intents" / "catalogue" / "brokerage.yaml"


@pytest.fixture(scope="module")
def shipped() -> ScenarioMap:
    return load_scenario_map(DEFAULT_SCENARIOS_DIR)


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


GOOD_CATEGORY = """
    category: bank_transfer
    title_zh: 银证转账
    title_en: Bank-securities transfers
    scenarios:
      - id: bank_transfer.hours
        title_zh: 转账时间
        title_en: Transfer hours
        description: Asks when transfers are possible.
        route: faq
        entries: [zh-0036]
        intent: bank_transfer
        priority: common
      - id: bank_transfer.not_arrived
        title_zh: 转账没到账
        title_en: A transfer has not arrived
        description: Asks about their own transfer.
        route: account
        account_query: transfers
        intent: bank_transfer
        priority: common
      - id: bank_transfer.missing_money
        title_zh: 钱不见了
        title_en: Money went missing
        description: The bank debited money the brokerage never received.
        route: handoff
        reason: Missing money is traced by staff with the bank.
        intent: money_missing
        priority: rare
"""


def test_the_shipped_map_has_at_least_500_scenarios_in_20_categories(shipped: ScenarioMap) -> None:
    assert len(shipped) >= 500
    assert len(shipped.categories) >= 20
    assert all(shipped.in_category(c.name) for c in shipped.categories), "no empty category"
    assert {s.route for s in shipped.scenarios} == set(ROUTES)
    assert {s.priority for s in shipped.scenarios} == {"common", "occasional", "rare"}


def test_the_shipped_map_points_only_at_entries_flows_and_intents_that_exist(
    shipped: ScenarioMap,
) -> None:
    entries, unreadable = read_faq_entries([SAMPLE_KNOWLEDGE])
    catalogue = load_catalogue(CATALOGUE)

    problems = check_references(
        shipped, faq_ids=entries, flows=available_flows(), catalogue_intents=catalogue.names
    )

    assert not unreadable
    assert [str(p) for p in problems] == []


def test_every_sample_faq_entry_answers_at_least_one_scenario(shipped: ScenarioMap) -> None:
    entries, _ = read_faq_entries([SAMPLE_KNOWLEDGE])
    mapped = {entry for scenario in shipped.scenarios for entry in scenario.entries}

    assert len(entries) >= 224
    assert sorted(set(entries) - mapped) == []


def test_every_flow_and_account_query_kind_serves_some_scenario(shipped: ScenarioMap) -> None:
    assert {s.flow for s in shipped.scenarios if s.flow} == available_flows()
    assert {s.account_query for s in shipped.scenarios if s.account_query} == set(
        ACCOUNT_QUERY_KINDS
    )


def test_a_valid_folder_loads_with_categories_routes_and_locations(tmp_path: Path) -> None:
    write(tmp_path, "bank_transfer.yaml", GOOD_CATEGORY)
    write(
        tmp_path,
        "proposed_intents.yaml",
        """
        proposed_intents:
          - name: money_missing
            description: 资金未到账 / Missing money
            handler: escalate
        """,
    )

    loaded = load_scenario_map(tmp_path)

    assert [c.name for c in loaded.categories] == ["bank_transfer"]
    assert [s.route for s in loaded.scenarios] == ["faq", "account", "handoff"]
    first = loaded.get("bank_transfer.hours")
    assert first is not None and first.category == "bank_transfer"
    assert first.entries == ("zh-0036",)
    assert loaded.locations["bank_transfer.not_arrived"].line == 13
    assert loaded.proposed_intent_names == {"money_missing"}


def test_every_problem_in_every_file_is_reported_at_once_with_its_line(tmp_path: Path) -> None:
    write(
        tmp_path,
        "bank_transfer.yaml",
        """
        category: bank_transfer
        title_zh: 银证转账
        title_en: Bank-securities transfers
        scenarios:
          - id: bank_transfer.hours
            title_zh: 转账时间
            title_en: Transfer hours
            description: Asks when transfers are possible.
            route: phone
            intent: bank_transfer
            priority: common
          - id: bank_transfer.flow_fields
            title_zh: 流程字段
            description: A faq scenario that names a flow and forgets its English title.
            route: faq
            flow: password_reset
            intent: bank_transfer
            priority: often
          - id: other.wrong_prefix
            title_zh: 前缀
            title_en: Prefix
            description: The id does not start with its category.
            route: account
            account_query: balance
            intent: bank_transfer
            priority: rare
            colour: blue
        """,
    )
    write(
        tmp_path,
        "transfers.yaml",
        """
        category: fees
        title_zh: 费用
        title_en: Fees
        scenarios:
          - id: fees.stamp_duty
            title_zh: 印花税
            title_en: Stamp duty
            description: Asks the stamp duty rate.
            route: handoff
            intent: fees
            priority: common
        """,
    )
    write(tmp_path, "broken.yaml", "category: broken\nscenarios:\n  - id: [unclosed\n")

    with pytest.raises(ScenarioMapError) as raised:
        load_scenario_map(tmp_path)

    found = {(Path(p.file).name, p.line, p.where, p.message) for p in raised.value.problems}
    expected_messages = {
        ("bank_transfer.yaml", 9, "bank_transfer.hours.route"): "Input should be 'faq'",
        ("bank_transfer.yaml", 12, "bank_transfer.flow_fields.title_en"): "Field required",
        ("bank_transfer.yaml", 18, "bank_transfer.flow_fields.priority"): "Input should be",
        ("bank_transfer.yaml", 24, "other.wrong_prefix.account_query"): "'commission'",
        ("bank_transfer.yaml", 27, "other.wrong_prefix.colour"): "unknown field",
        ("transfers.yaml", 1, "category"): "name it fees.yaml",
        ("transfers.yaml", 5, "fees.stamp_duty"): "route 'handoff' needs 'reason'",
    }
    for (name, line, where), message in expected_messages.items():
        assert any((f, ln, w) == (name, line, where) and message in m for f, ln, w, m in found), (
            f"{name}:{line} {where}: {message} not in {sorted(found)}"
        )
    syntax = [p for p in raised.value.problems if Path(p.file).name == "broken.yaml"]
    assert len(syntax) == 1 and syntax[0].line == 4 and "invalid YAML" in syntax[0].message
    assert "problem(s) in the scenario map" in str(raised.value)


def test_route_fields_must_fit_the_route(tmp_path: Path) -> None:
    write(
        tmp_path,
        "service.yaml",
        """
        category: service
        title_zh: 服务
        title_en: Service
        scenarios:
          - id: service.person
            title_zh: 转人工
            title_en: A person
            description: Wants a person.
            route: flow
            flow: complaint
            entries: [zh-0185]
            intent: human_agent
            priority: common
          - id: service.flow_without_name
            title_zh: 流程
            title_en: A flow
            description: A flow route with no flow.
            route: flow
            intent: complaint
            priority: common
        """,
    )

    with pytest.raises(ScenarioMapError) as raised:
        load_scenario_map(tmp_path)

    messages = {p.where: p.message for p in raised.value.problems}
    assert messages == {
        "service.person": "'entries' is only for routes 'faq' and 'handoff'",
        "service.flow_without_name": "route 'flow' needs 'flow'",
    }


def test_ids_used_twice_across_files_are_reported(tmp_path: Path) -> None:
    write(tmp_path, "bank_transfer.yaml", GOOD_CATEGORY)
    write(
        tmp_path,
        "fees.yaml",
        """
        category: fees
        title_zh: 费用
        title_en: Fees
        scenarios:
          - id: fees.one
            title_zh: 一
            title_en: One
            description: First.
            route: faq
            intent: fees
            priority: common
          - id: fees.one
            title_zh: 一
            title_en: One again
            description: Again.
            route: faq
            intent: fees
            priority: rare
        """,
    )

    with pytest.raises(ScenarioMapError) as raised:
        load_scenario_map(tmp_path)

    (problem,) = raised.value.problems
    assert (problem.where, problem.line) == ("fees.one", 12)
    assert "id used twice (first at" in problem.message


def test_references_to_missing_entries_flows_and_intents_are_errors(tmp_path: Path) -> None:
    write(tmp_path, "bank_transfer.yaml", GOOD_CATEGORY)
    write(
        tmp_path,
        "proposed_intents.yaml",
        """
        proposed_intents:
          - name: bank_transfer
            description: already in the catalogue
          - name: nobody_uses_this
            description: proposed and unused
        """,
    )
    loaded = load_scenario_map(tmp_path)

    problems = check_references(
        loaded, faq_ids={"zh-0001"}, flows={"complaint"}, catalogue_intents={"bank_transfer"}
    )

    rows = {(p.where, p.severity, p.line): p.message for p in problems}
    assert rows == {
        ("bank_transfer.hours", "error", 5): "no FAQ entry with id zh-0036 in the knowledge base",
        ("bank_transfer.missing_money", "error", 21): (
            "intent 'money_missing' is neither in the intent catalogue nor proposed in "
            "proposed_intents.yaml"
        ),
        ("bank_transfer", "warning", 2): (
            "is in the intent catalogue now: remove it from the proposals"
        ),
        ("nobody_uses_this", "warning", 4): "no scenario uses this proposed intent",
    }


def test_a_missing_utterance_file_is_not_an_error_and_bad_lines_are_named(tmp_path: Path) -> None:
    missing = load_scenario_utterances(tmp_path / "none.jsonl")
    assert (missing.present, missing.utterances, missing.problems) == (False, [], [])

    path = tmp_path / "utterances.jsonl"
    good = {"scenario": "bank_transfer.hours", "text": "几点能转钱", "lang": "zh", "split": "dev"}
    path.write_text(
        "\n".join(
            [
                json.dumps(good, ensure_ascii=False),
                "{not json",
                json.dumps({**good, "lang": "fr"}),
                "",
                json.dumps({**good, "text": "when can I move money", "lang": "en", "note": "x"}),
                json.dumps({"scenario": "bank_transfer.hours", "lang": "zh", "split": "test"}),
            ]
        ),
        encoding="utf-8",
    )

    read = load_scenario_utterances(path)

    assert read.present
    assert read.counts() == {"bank_transfer.hours": 2}
    assert [(p.line, p.where) for p in read.problems] == [
        (2, ""),
        (3, "lang"),
        (6, "text"),
        (6, "split"),
    ]


def test_entries_listed_for_one_faq_scenario_answer_alike(tmp_path: Path) -> None:
    twins = GOOD_CATEGORY.replace("entries: [zh-0036]", "entries: [zh-0036, en-0012]")
    write(tmp_path, "bank_transfer.yaml", twins)
    shared = load_scenario_map(tmp_path).shared_answers()
    assert shared == {"zh-0036": frozenset({"en-0012"}), "en-0012": frozenset({"zh-0036"})}


def _runs(text: str) -> set[str]:
    """Six Chinese characters or four English words in a row."""
    import re

    chinese = re.sub(r"[^\u4e00-\u9fff]", "", text)
    words = re.findall(r"[a-z0-9]+", text.lower())
    return {chinese[i : i + 6] for i in range(len(chinese) - 5)} | {
        " ".join(words[i : i + 4]) for i in range(len(words) - 3)
    }


def test_proposed_intent_examples_share_no_run_with_the_held_out_utterances(
    shipped: ScenarioMap,
) -> None:
    examples = [t for p in shipped.proposed_intents for ts in p.examples.values() for t in ts]
    assert examples, "the proposals carry their training examples"
    held_out: set[str] = set()
    for name in ("intents_heldout.jsonl", "intents_heldout_proposed.jsonl"):
        for line in (PROJECT_ROOT / "evals" / "data" / name).read_text("utf-8").splitlines():
            held_out |= _runs(json.loads(line)["question"])
    shared = [t for t in examples if _runs(t) & held_out]
    assert shared == []


def test_every_shipped_evaluation_utterance_loads_for_a_scenario_of_the_map(
    shipped: ScenarioMap,
) -> None:
    read = load_scenario_utterances(PROJECT_ROOT / "evals/data/scenario_utterances.jsonl")
    assert read.problems == []
    assert {u.scenario for u in read.utterances} <= {s.id for s in shipped.scenarios}
