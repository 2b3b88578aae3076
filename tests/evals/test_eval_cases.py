"""The evaluation case format: what loads, and how every kind of mistake is reported.

(Named test_eval_*.py because tests/ has no __init__.py files, so basenames must
be unique across the suite.)
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from evals.cases import EvalCase, load_cases, parse_cases
from evals.errors import CaseFileError, EvalError, LineProblem
from tests.utils.clinc_examples import write_split_file

CASES_MD = Path(__file__).resolve().parents[2] / "evals" / "CASES.md"


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_single_question_case_gets_defaults_and_an_id_from_its_line(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "cases.jsonl", ["", '{"question": " 佣金多少？ "}'])

    [case] = load_cases(path)

    assert case.id == "line-2"  # blank lines count, so the id matches the editor's line
    assert case.question == "佣金多少？"
    assert case.user_turns == ["佣金多少？"]
    assert not case.is_multi_turn
    assert case.split == "dev"
    assert case.expect_escalation is None  # not judged, which differs from False
    assert case.must_include == [] and case.expected_sources == [] and case.tags == []


def test_multi_turn_case_keeps_turns_in_order(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "cases.jsonl", ['{"id": "t1", "turns": ["我想开户", "我17岁"]}'])

    [case] = load_cases(path)

    assert case.is_multi_turn
    assert case.user_turns == ["我想开户", "我17岁"]
    assert case.question is None


def test_every_optional_field_is_read() -> None:
    record = {
        "id": "fee-1",
        "question": "What is the commission?",
        "expected_intent": "fees",
        "expected_sources": ["faq-fees-01", "doc-fees#3"],
        "reference_answer": "0.025%, minimum 5 yuan.",
        "must_include": ["0.025%"],
        "must_not_include": ["guaranteed"],
        "expect_escalation": False,
        "lang": "en",
        "tags": ["fees", "vip"],
        "split": "heldout",
    }

    [case] = parse_cases(json.dumps(record))

    assert case.model_dump(exclude_none=True) == record


@pytest.mark.parametrize(
    ("line", "expected_reason"),
    [
        (
            '{"question": "q", "expected_intnet": "fees"}',
            "unknown field 'expected_intnet' (did you mean 'expected_intent'?)",
        ),
        ('{"question": "q"', "invalid JSON"),
        ('["q"]', "expected a JSON object, got a list"),
        ('{"lang": "zh"}', "needs either 'question' or 'turns'"),
        ('{"question": null, "turns": null}', "needs either 'question' or 'turns'"),
        ('{"question": "q", "turns": ["q"]}', "has both 'question' and 'turns'"),
        (
            '{"question": "q", "tags": "vip"}',
            "field 'tags': Input should be a valid list, got a string ('vip')",
        ),
        (
            '{"question": "q", "expect_escalation": "yes"}',
            "field 'expect_escalation': Input should be a valid boolean",
        ),
        ('{"question": "q", "lang": "fr"}', "field 'lang': Input should be 'zh' or 'en'"),
        ('{"question": "q", "split": "test"}', "field 'split': Input should be 'dev' or 'heldout'"),
        ('{"question": 42}', "field 'question': Input should be a valid string, got a number (42)"),
        ('{"question": "   "}', "field 'question' must not be empty"),
        ('{"turns": []}', "field 'turns' must not be empty"),
        (
            '{"question": "q", "must_include": ["ok", ""]}',
            "field 'must_include[1]' must not be empty",
        ),
        ('{"question": "q", "question": "r"}', "field 'question' given twice"),
        (
            '{"question": "q", "must_include": ["稳赚"], "must_not_include": ["稳赚"]}',
            "in both 'must_include' and 'must_not_include': '稳赚'",
        ),
    ],
)
def test_a_bad_line_is_reported_with_its_number_and_what_is_wrong(
    tmp_path: Path, line: str, expected_reason: str
) -> None:
    path = write_lines(tmp_path / "cases.jsonl", ['{"question": "fine"}', line])

    with pytest.raises(CaseFileError) as caught:
        load_cases(path)

    assert [p.line for p in caught.value.problems] == [2]
    assert expected_reason in caught.value.problems[0].reason
    assert str(caught.value).startswith(f"{path}, line 2: ")


def test_all_bad_lines_are_reported_in_one_error_not_just_the_first(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "cases.jsonl",
        [
            '{"question": "ok 1"}',
            "not json",
            '{"question": "ok 2"}',
            '{"question": "q", "tagz": []}',
            '{"lang": "zh", "split": "test"}',
        ],
    )

    with pytest.raises(CaseFileError) as caught:
        load_cases(path)

    error = caught.value
    # Line 5 has two problems: no question/turns, and a bad split; both are listed.
    assert [p.line for p in error.problems] == [2, 4, 5, 5]
    message = str(error)
    assert message.startswith(f"{path}: 4 problems")
    for number in (2, 4, 5):
        assert f"line {number}: " in message


def test_a_repeated_id_names_both_lines() -> None:
    text = (
        '{"id": "a", "question": "q"}\n{"id": "b", "question": "q"}\n{"id": "a", "question": "r"}'
    )

    with pytest.raises(CaseFileError) as caught:
        parse_cases(text, source="cases.jsonl")

    assert caught.value.problems == (LineProblem(3, "duplicate id 'a' (first used on line 1)"),)


def test_an_explicit_id_may_not_collide_with_a_default_one() -> None:
    text = '{"question": "q"}\n{"id": "line-1", "question": "r"}'

    with pytest.raises(CaseFileError, match="duplicate id 'line-1'"):
        parse_cases(text)


def test_case_file_error_is_an_eval_error_with_a_stable_code() -> None:
    with pytest.raises(EvalError) as caught:
        parse_cases("{")

    assert caught.value.code == "bad_eval_cases"
    assert isinstance(caught.value, CaseFileError)


def test_a_missing_file_is_a_case_file_error(tmp_path: Path) -> None:
    with pytest.raises(CaseFileError, match="cannot read"):
        load_cases(tmp_path / "absent.jsonl")


def test_a_file_that_is_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_bytes(b'{"question": "ok"}\n' + '{"question": "佣金"}\n'.encode("gbk"))

    with pytest.raises(CaseFileError) as caught:
        load_cases(path)

    assert caught.value.problems[0].line == 2
    assert "not UTF-8" in caught.value.problems[0].reason


def test_a_byte_order_mark_from_a_spreadsheet_export_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_bytes('{"question": "佣金多少"}\n'.encode("utf-8-sig"))

    assert [c.question for c in load_cases(path)] == ["佣金多少"]


def test_a_line_separator_inside_a_string_does_not_split_the_line() -> None:
    # U+2028 is valid inside a JSON string; str.splitlines() would cut the case in two.
    [case] = parse_cases(json.dumps({"question": "第一行\u2028第二行"}, ensure_ascii=False))

    assert case.question == "第一行\u2028第二行"


def test_an_empty_file_has_no_cases() -> None:
    assert parse_cases("\n\n") == []


def test_cases_are_immutable() -> None:
    case = EvalCase(id="a", question="q")

    with pytest.raises(ValueError, match="frozen"):
        case.question = "changed"  # type: ignore[misc]


def test_the_examples_in_cases_md_load() -> None:
    block = re.search(r"```jsonl\n(.*?)```", CASES_MD.read_text(encoding="utf-8"), re.S)
    assert block is not None

    cases = parse_cases(block.group(1), source="CASES.md")

    assert [c.id for c in cases] == ["fee-1", "line-2", "promise-1"]


def test_the_error_example_in_cases_md_is_what_the_loader_says() -> None:
    lines = ['{"question": "q"}'] * 7
    lines[2] = '{"question": "q3", "expected_intnet": "fees"}'
    lines[6] = '{"question": "q7", "expect_escalation": "yes"}'
    lines = [line.replace('"q"', f'"q{i}"') for i, line in enumerate(lines, start=1)]

    with pytest.raises(CaseFileError) as caught:
        parse_cases("\n".join(lines), source="cases.jsonl")

    assert str(caught.value) in CASES_MD.read_text(encoding="utf-8")


# Intent-benchmark CSV files load as cases too.


def test_a_benchmark_csv_loads_as_intent_only_cases(tmp_path: Path) -> None:
    path = tmp_path / "test.csv"
    path.write_text(
        'text,category\nHow do I locate my card?,card_arrival\n"Hi, my top-up failed",top_up_failed\n',
        encoding="utf-8",
    )

    cases = load_cases(path)

    assert [(c.id, c.question, c.expected_intent) for c in cases] == [
        ("line-2", "How do I locate my card?", "card_arrival"),
        ("line-3", "Hi, my top-up failed", "top_up_failed"),
    ]
    assert cases[0].expected_sources == [] and cases[0].expect_escalation is None


def test_a_csv_with_intent_and_optional_columns(tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    path.write_text(
        "id,question,intent,lang,split,tags\nq1,佣金多少,fees,zh,heldout,fees|colloquial\n",
        encoding="utf-8-sig",
    )

    [case] = load_cases(path)

    assert case.model_dump(exclude_defaults=True) == {
        "id": "q1",
        "question": "佣金多少",
        "expected_intent": "fees",
        "lang": "zh",
        "split": "heldout",
        "tags": ["fees", "colloquial"],
    }


def test_csv_problems_name_their_lines(tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    path.write_text("text,category\nok,a\n   ,b\nfine,\nx,a\n", encoding="utf-8")

    with pytest.raises(CaseFileError) as caught:
        load_cases(path)

    assert [str(p) for p in caught.value.problems] == [
        "line 3: field 'question' must not be empty",
        "line 4: field 'expected_intent' must not be empty",
    ]


def test_a_csv_without_text_and_label_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    path.write_text("utterance,label\nhi,greet\n", encoding="utf-8")

    with pytest.raises(CaseFileError, match=r"needs a 'text' .* found utterance, label"):
        load_cases(path)


# Split files (CLINC150's format): the lists named after '#' load as intent-only cases.


def test_a_split_file_loads_the_named_lists_as_intent_only_cases(tmp_path: Path) -> None:
    path = write_split_file(tmp_path / "train_val.json")

    cases = load_cases(f"{path}#val+oos_val")

    assert [(c.id, c.expected_intent, c.tags) for c in cases] == [
        ("val[0]", "translate", ["val"]),
        ("val[1]", "translate", ["val"]),
        ("val[2]", "balance", ["val"]),
        ("val[3]", "balance", ["val"]),
        ("val[4]", "alarm", ["val"]),
        ("val[5]", "alarm", ["val"]),
        ("oos_val[0]", "out_of_scope", ["oos_val"]),  # CLINC's 'oos', the summary's name
        ("oos_val[1]", "out_of_scope", ["oos_val"]),
    ]
    assert cases[6].question == "which planet is closest to the sun"
    assert cases[0].model_dump(exclude_defaults=True).keys() == {
        "id",
        "question",
        "expected_intent",
        "tags",
    }
    assert [c.id for c in load_cases(f"{path}#oos_val")] == ["oos_val[0]", "oos_val[1]"]


def test_split_file_problems_name_the_file_the_split_and_the_item(tmp_path: Path) -> None:
    path = write_split_file(
        tmp_path / "clinc.json", {"val": [["ok", "a"], ["", "b"], ["x", 3]], "oos_val": "oops"}
    )

    with pytest.raises(CaseFileError) as caught:
        load_cases(f"{path}#val+oos_val+test")

    assert caught.value.source == f"{path}#val+oos_val+test"
    assert [str(p) for p in caught.value.problems] == [
        "no split 'test' in the file (it has: val, oos_val)",
        "val[1]: empty text",
        "val[2]: the intent is a number (3), not a string",
        "split 'oos_val' is not a list of [text, intent] pairs: a string ('oops')",
    ]
    assert str(caught.value).startswith(f"{path}#val+oos_val+test: 4 problems")


def test_a_split_file_named_without_a_selector_says_how_to_name_its_lists(
    tmp_path: Path,
) -> None:
    path = write_split_file(tmp_path / "train_val.json")

    with pytest.raises(CaseFileError, match=r"it has: train, val, oos_train, oos_val\): name"):
        load_cases(path)
    with pytest.raises(CaseFileError, match=r"no such file"):
        load_cases(tmp_path / "missing.json#val")


def test_a_json_file_holding_one_case_is_still_read_as_jsonl(tmp_path: Path) -> None:
    # An object whose only value is a list, as a split file's are; but of strings, not pairs.
    path = write_lines(tmp_path / "case.json", ['{"turns": ["我想开户", "我17岁"]}'])

    [case] = load_cases(path)

    assert case.id == "line-1" and case.user_turns == ["我想开户", "我17岁"]


def test_the_split_file_error_example_in_cases_md_is_what_the_loader_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    val: list[list[object]] = [[f"question {i}", "balance"] for i in range(25)]
    val[16][0] = ""
    val[20][1] = 3
    splits = {"train": [["q", "balance"]], "val": val, "oos_train": [["q", "oos"]]}
    write_split_file(tmp_path / "train_val.json", splits | {"oos_val": [["q", "oos"]]})
    monkeypatch.chdir(tmp_path)

    with pytest.raises(CaseFileError) as caught:
        load_cases("train_val.json#val+oos_val+test")

    assert str(caught.value) in CASES_MD.read_text(encoding="utf-8")
