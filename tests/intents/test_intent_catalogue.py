"""The catalogue loads from YAML, JSONL and CSV, and says exactly where a file is wrong."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from intents.catalogue import (
    Intent,
    IntentCatalogue,
    SplitFileError,
    catalogue_from_examples,
    load_catalogue,
    split_selection,
)
from intents.errors import CatalogueError, IntentError
from tests.utils.clinc_examples import write_split_file

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


# Split files (CLINC150's format): named lists of [text, intent] pairs, chosen with '#a+b'.


def test_a_split_file_trains_on_the_lists_its_selector_names(tmp_path: Path) -> None:
    path = write_split_file(tmp_path / "train_val.json")

    catalogue = load_catalogue(f"{path}#train+oos_train")

    assert catalogue.names == ["translate", "balance", "alarm", "out_of_scope"]
    assert [len(intent.texts()) for intent in catalogue.intents] == [4, 4, 4, 4]
    assert catalogue.out_of_scope_names == ["out_of_scope"]  # CLINC's 'oos' rows, renamed
    balance = catalogue.get("balance")
    assert balance is not None and balance.handler == "knowledge"
    assert balance.texts("en")[0] == "how much money is in my checking account"
    # val rows are not training rows unless named.
    assert "how much do i have saved" not in [t for t, _ in catalogue.examples()]
    assert len(load_catalogue(f"{path}#train").names) == 3


def test_a_split_file_without_a_selector_is_refused_with_its_splits(tmp_path: Path) -> None:
    path = write_split_file(tmp_path / "train_val.json")

    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path)

    assert str(caught.value) == (
        f"{path}: a JSON file is read as a split file (it has: train, val, oos_train, "
        "oos_val): name the lists to use after '#', joined by '+', "
        "e.g. train_val.json#train+oos_train"
    )


def test_every_problem_of_a_split_file_names_its_split_and_item(tmp_path: Path) -> None:
    path = write_split_file(
        tmp_path / "bad.json",
        {
            "train": [
                ["fine", "a"],
                ["  ", "a"],
                ["no intent"],
                ["text", "two words"],
                "just text",
                [7, None],
                ["text", ""],
            ],
            "val": {"text": "intent"},
            "oos_train": [],
        },
    )

    with pytest.raises(SplitFileError) as caught:
        load_catalogue(f"{path}#train+val+oos_train+test+train")

    assert caught.value.source == f"{path}#train+val+oos_train+test+train"
    assert caught.value.problems == (
        "split 'train' named twice",
        "no split 'test' in the file (it has: train, val, oos_train)",
        "train[1]: empty text",
        "train[2]: expected a [text, intent] pair, got a list of 1",
        "train[3]: intent 'two words' contains a space",
        "train[4]: expected a [text, intent] pair, got a string ('just text')",
        "train[5]: the text is a number (7) and the intent is null, not a string",
        "train[6]: empty intent",
        "split 'val' is not a list of [text, intent] pairs: an object",
        "split 'oos_train' is empty",
    )
    assert isinstance(caught.value, CatalogueError)
    assert str(caught.value).startswith(f"{path}#train+val+oos_train+test+train: split 'train'")


@pytest.mark.parametrize(
    ("name", "content", "selector", "problem"),
    [
        ("c.json", "[1, 2]", "#train", "expected a JSON object of named lists"),
        ("c.json", "{oops", "#train", "invalid JSON: Expecting property name"),
        ("c.csv", "text,intent\n", "#train", "split selector reads a .json split file"),
        ("c.json", "{}", "#", "empty split name in '#'"),
        ("gone.json", None, "#train", "no such file"),
    ],
)
def test_a_split_file_that_cannot_be_used_is_a_catalogue_error(
    tmp_path: Path, name: str, content: str | None, selector: str, problem: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")

    with pytest.raises(CatalogueError, match=re.escape(problem)) as caught:
        load_catalogue(f"{path}{selector}")

    assert caught.value.source == f"{path}{selector}"


def test_a_file_whose_name_holds_a_hash_loads_as_itself(tmp_path: Path) -> None:
    path = write(tmp_path, "team#2.csv", "text,intent\nhello,greet\nbye,farewell\n")

    assert split_selection(path) is None
    assert load_catalogue(path).names == ["greet", "farewell"]
    selection = split_selection(tmp_path / "clinc.json#train+oos_train")
    assert selection is not None and selection.splits == ("train", "oos_train")
