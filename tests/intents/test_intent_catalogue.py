"""The catalogue loads from YAML, JSONL and CSV, and says exactly where a file is wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from intents.catalogue import Intent, IntentCatalogue, catalogue_from_examples, load_catalogue
from intents.errors import CatalogueError, IntentError

PROJECT_ROOT = Path(__file__).resolve().parents[2]

YAML_CATALOGUE = """\
version: 1
intents:
  - name: account_opening
    description: 开户咨询 / account opening
    handler: flow
    flow: account_opening
    priority: 30
    examples:
      zh: [我想开户, 怎么开股票账户]
      en: [I want to open an account]
  - name: fees
    description: fees
    handler: knowledge
    priority: 20
    examples:
      zh: [佣金多少]
  - name: out_of_scope
    handler: out_of_scope
    examples:
      en: [tell me a joke]
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_loads_yaml_with_handlers_flows_and_languages(tmp_path: Path) -> None:
    catalogue = load_catalogue(write(tmp_path, "c.yaml", YAML_CATALOGUE))

    assert catalogue.names == ["account_opening", "fees", "out_of_scope"]
    opening = catalogue.get("account_opening")
    assert opening is not None
    assert (opening.handler, opening.flow, opening.priority) == ("flow", "account_opening", 30)
    assert opening.texts("zh") == ["我想开户", "怎么开股票账户"]
    assert catalogue.out_of_scope_names == ["out_of_scope"]
    assert catalogue.get("missing") is None
    assert "fees" in catalogue


def test_examples_are_text_intent_pairs_optionally_by_language(tmp_path: Path) -> None:
    catalogue = load_catalogue(write(tmp_path, "c.yml", YAML_CATALOGUE))

    assert ("I want to open an account", "account_opening") in catalogue.examples()
    assert len(catalogue.examples()) == 5
    assert catalogue.examples("en") == [
        ("I want to open an account", "account_opening"),
        ("tell me a joke", "out_of_scope"),
    ]


def test_loads_jsonl_with_optional_language(tmp_path: Path) -> None:
    rows = [
        {"text": "我想开户", "intent": "account_opening"},
        {"text": "open an account", "intent": "account_opening", "lang": "en"},
        {"text": "今天天气", "intent": "oos"},
    ]
    path = write(
        tmp_path, "c.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n\n"
    )

    catalogue = load_catalogue(path)

    opening = catalogue.get("account_opening")
    assert opening is not None
    assert opening.examples == {"zh": ["我想开户"], "en": ["open an account"]}
    assert opening.handler == "knowledge"
    oos = catalogue.get("oos")
    assert oos is not None and oos.handler == "out_of_scope"


def test_loads_csv_with_intent_or_category_column(tmp_path: Path) -> None:
    with_intent = write(tmp_path, "a.csv", "text,intent\n我想开户,account_opening\n佣金多少,fees\n")
    banking_style = write(
        tmp_path, "b.csv", 'text,category\n"I am still waiting on my card?",card_arrival\n'
    )

    assert load_catalogue(with_intent).names == ["account_opening", "fees"]
    assert load_catalogue(banking_style).examples() == [
        ("I am still waiting on my card?", "card_arrival")
    ]


def test_shipped_brokerage_catalogue_loads_with_the_safety_intents() -> None:
    path = PROJECT_ROOT / "intents" / "catalogue" / "brokerage.yaml"
    if not path.is_file():
        pytest.skip("the brokerage catalogue has not been written yet")
    catalogue = load_catalogue(path)

    assert {"human_agent", "fraud_report", "complaint"} <= set(catalogue.names)
    assert catalogue.out_of_scope_names


def test_missing_file_is_a_catalogue_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="no such file") as caught:
        load_catalogue(tmp_path / "absent.yaml")
    assert isinstance(caught.value, IntentError)
    assert caught.value.http_status == 422
    assert caught.value.code == "bad_intent_catalogue"


def test_bad_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", "version: 1\nintents:\n  - name: a\n    examples: {zh: [x\n")

    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path)

    assert str(path) in str(caught.value)
    assert caught.value.line is not None
    assert "invalid YAML" in str(caught.value)


def test_unknown_handler_names_the_line_of_the_field(tmp_path: Path) -> None:
    text = YAML_CATALOGUE.replace("handler: knowledge", "handler: teleport")

    with pytest.raises(CatalogueError, match=r"intents\[1\]\.handler") as caught:
        load_catalogue(write(tmp_path, "c.yaml", text))

    assert caught.value.line == 13


def test_empty_yaml_example_names_its_line(tmp_path: Path) -> None:
    text = YAML_CATALOGUE.replace("zh: [佣金多少]", 'zh: [佣金多少, "  "]')

    with pytest.raises(CatalogueError, match=r"examples\.zh\[1\]: empty example text") as caught:
        load_catalogue(write(tmp_path, "c.yaml", text))

    assert caught.value.line == 16


def test_duplicate_intent_names_are_rejected(tmp_path: Path) -> None:
    text = YAML_CATALOGUE.replace("- name: fees", "- name: account_opening")

    with pytest.raises(CatalogueError, match="defined twice"):
        load_catalogue(write(tmp_path, "c.yaml", text))


def test_yaml_without_intents_list_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="'intents' list"):
        load_catalogue(write(tmp_path, "c.yaml", "version: 1\n"))


def test_csv_missing_column_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", "question,label\n我想开户,account_opening\n")

    with pytest.raises(CatalogueError, match="missing column") as caught:
        load_catalogue(path)

    assert caught.value.line == 1


def test_csv_empty_text_names_the_row_line(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", "text,intent\n我想开户,account_opening\n  ,fees\n")

    with pytest.raises(CatalogueError, match="empty example text") as caught:
        load_catalogue(path)

    assert caught.value.line == 3
    assert f"{path}, line 3" in str(caught.value)


def test_jsonl_errors_name_the_line(tmp_path: Path) -> None:
    broken = write(tmp_path, "a.jsonl", '{"text": "a", "intent": "x"}\n{"text": "b", \n')
    no_intent = write(tmp_path, "b.jsonl", '{"text": "a", "intent": "x"}\n\n{"text": "b"}\n')
    empty = write(tmp_path, "c.jsonl", '{"text": "", "intent": "x"}\n')

    with pytest.raises(CatalogueError, match="invalid JSON") as caught:
        load_catalogue(broken)
    assert caught.value.line == 2
    with pytest.raises(CatalogueError, match="missing 'intent'") as caught:
        load_catalogue(no_intent)
    assert caught.value.line == 3
    with pytest.raises(CatalogueError, match="empty example text") as caught:
        load_catalogue(empty)
    assert caught.value.line == 1


def test_unsupported_format_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="unsupported"):
        load_catalogue(write(tmp_path, "c.txt", "hello"))


def test_flow_intent_without_flow_runs_the_flow_of_its_name() -> None:
    assert Intent(name="password_reset", handler="flow").flow == "password_reset"


def test_flow_on_a_non_flow_handler_is_rejected() -> None:
    with pytest.raises(ValueError, match="handler"):
        Intent(name="fees", handler="knowledge", flow="fees")


def test_priority_is_bounded() -> None:
    with pytest.raises(ValueError, match="100"):
        Intent(name="fees", priority=101)


def test_catalogue_from_examples_tags_languages() -> None:
    catalogue = catalogue_from_examples(
        [("我想开户", "open"), ("open account", "open"), ("joke", "oos")]
    )

    assert isinstance(catalogue, IntentCatalogue)
    opening = catalogue.get("open")
    assert opening is not None and opening.examples == {"zh": ["我想开户"], "en": ["open account"]}
    assert catalogue.out_of_scope_names == ["oos"]


def test_csv_line_numbers_count_multi_line_cells(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", 'text,intent\n"line one\nline two",a\nsecond,b\n,c\n')

    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path)

    assert caught.value.line == 5
