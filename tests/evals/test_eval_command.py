"""`assistant eval` for intent benchmarks: CSV cases, a CSV catalogue, few-shot draws, a report."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.settings import get_settings
from evals.intent_benchmarks import BenchmarkError, sample_catalogue, sample_per_intent
from intents.catalogue import Intent, IntentCatalogue, catalogue_from_examples
from tests.knowledge.test_index import ROWS
from tests.utils.banking_examples import INTENTS
from tests.utils.clinc_examples import SPLITS, write_split_file
from tests.utils.files import write_csv


def test_a_few_shot_catalogue_keeps_k_examples_and_everything_else() -> None:
    catalogue = IntentCatalogue(
        intents=[
            Intent(
                name="fees", examples={"zh": ["佣金多少", "手续费"], "en": ["fees?", "commission"]}
            ),
            Intent(name="open_account", handler="flow", examples={"zh": ["开户"] * 1}),
            Intent(
                name="out_of_scope", handler="out_of_scope", examples={"en": ["weather", "jokes"]}
            ),
        ]
    )

    sampled = sample_catalogue(catalogue, 2, seed=0)

    assert [len(i.texts()) for i in sampled.intents] == [2, 1, 2]
    assert [(i.name, i.handler, i.flow) for i in sampled.intents] == [
        ("fees", "knowledge", None),
        ("open_account", "flow", "open_account"),
        ("out_of_scope", "out_of_scope", None),
    ]
    assert set(sampled.intents[0].texts()) <= {"佣金多少", "手续费", "fees?", "commission"}
    assert sample_catalogue(catalogue, 2, seed=0) == sampled
    with pytest.raises(BenchmarkError, match="shots must be 1 or more"):
        sample_catalogue(catalogue, 0)


def test_a_few_shot_catalogue_draws_the_rows_the_benchmark_runner_draws() -> None:
    rows = [(text, intent) for intent, texts in INTENTS.items() for text in texts]
    # Interleave the intents, as a benchmark's CSV is not sorted by intent.
    rows = rows[::3] + rows[1::3] + rows[2::3]

    for seed in range(5):
        sampled = sample_catalogue(catalogue_from_examples(rows), 3, seed=seed)
        assert sorted(sampled.examples()) == sorted(sample_per_intent(rows, 3, seed=seed))


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("BROKERDESK_STATE_DIR", str(tmp_path / "state"))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def write_rows(path: Path, rows: list[tuple[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["text", "category"])
        writer.writerows(rows)
    return path


@pytest.mark.slow
def test_a_benchmark_runs_through_the_eval_command(runner: CliRunner, tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    sources.mkdir()
    write_csv(sources / "faq.csv", ROWS)
    kb = tmp_path / "kb"
    assert runner.invoke(app, ["ingest", str(sources), "--kb", str(kb)]).exit_code == 0
    train = write_rows(
        tmp_path / "train.csv", [(t, i) for i, texts in INTENTS.items() for t in texts[:4]]
    )
    test = write_rows(
        tmp_path / "test.csv", [(t, i) for i, texts in INTENTS.items() for t in texts[4:]]
    )
    saved, report = tmp_path / "run.json", tmp_path / "report"

    result = runner.invoke(
        app,
        [
            "eval",
            str(test),
            "--intents",
            str(train),
            "--shots",
            "2",
            "--kb",
            str(kb),
            "--save",
            str(saved),
            "--report",
            str(report),
            "--json",
        ],
    )

    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)["metrics"]
    cases = json.loads(saved.read_text("utf-8"))["cases"]
    assert [c["id"] for c in cases] == [f"line-{n}" for n in range(2, 8)]
    right = sum(c["predicted_intent"] == c["expected_intent"] for c in cases)
    assert metrics["intent.accuracy"] == pytest.approx(right / 6)
    assert metrics["retrieval.hit_at_5"] is None  # an intent benchmark judges no retrieval
    assert all(c["passages"] == [] for c in cases)  # ... so none was run
    page = (report / "report.html").read_text("utf-8")
    assert "train.csv, 2-shot (seed 0)" in page
    assert 'data-intent="top_up_failed" data-cases="2"' in page


@pytest.mark.slow
def test_a_clinc_split_file_runs_through_the_eval_command(
    runner: CliRunner, tmp_path: Path
) -> None:
    sources = tmp_path / "sources"
    sources.mkdir()
    write_csv(sources / "faq.csv", ROWS)
    kb = tmp_path / "kb"
    assert runner.invoke(app, ["ingest", str(sources), "--kb", str(kb)]).exit_code == 0
    data = write_split_file(tmp_path / "train_val.json")
    saved = tmp_path / "run.json"
    command = [
        "eval",
        f"{data}#val+oos_val",
        "--intents",
        f"{data}#train+oos_train",
        "--kb",
        str(kb),
    ]

    as_json = runner.invoke(app, [*command, "--save", str(saved), "--json"])
    as_text = runner.invoke(app, command)

    assert as_json.exit_code == 0, as_json.output
    metrics = json.loads(as_json.stdout)["metrics"]
    cases = json.loads(saved.read_text("utf-8"))["cases"]
    assert [c["id"] for c in cases] == [f"val[{i}]" for i in range(6)] + [
        "oos_val[0]",
        "oos_val[1]",
    ]
    assert [c["expected_intent"] for c in cases] == [intent for _, intent in SPLITS["val"]] + [
        "out_of_scope"
    ] * 2
    in_scope, out_of_scope = cases[:6], cases[6:]
    right = sum(c["predicted_intent"] == c["expected_intent"] for c in in_scope)
    caught = sum(c["predicted_intent"] == "out_of_scope" for c in out_of_scope)
    assert metrics["intent.in_scope_accuracy"] == pytest.approx(right / 6)
    assert metrics["intent.oos_recall"] == pytest.approx(caught / 2)
    assert as_text.exit_code == 0, as_text.output
    said = "".join(as_text.stdout.split())  # as printed, however Rich wrapped it
    expected = f"in-scope accuracy {right / 6:.2%} (6 cases), out-of-scope recall {caught / 2:.2%}"
    assert "".join(f"{expected} (2 cases)".split()) in said
    # Not a terminal: progress as lines on stderr, none with --json.
    assert "cases: 8 to do" in as_text.stderr
    assert "cases: 8/8 (100%)" in as_text.stderr
    assert "cases:" not in as_json.stderr
    unnamed = runner.invoke(
        app, ["eval", f"{data}#val+oos_val", "--intents", str(data), "--kb", str(kb)]
    )
    assert unnamed.exit_code == 2
    assert "(bad_intent_catalogue)" in unnamed.output
    assert "e.g.train_val.json#train+oos_train" in "".join(unnamed.output.split())


def test_eval_names_the_split_file_and_split_it_cannot_use(
    runner: CliRunner, tmp_path: Path
) -> None:
    data = write_split_file(tmp_path / "train_val.json")

    result = runner.invoke(app, ["eval", f"{data}#val+test"])

    assert result.exit_code == 2
    # Rich wraps long lines wherever it likes (after the '+' here): compare without spaces.
    message = "".join(result.output.split())
    expected = f"(bad_eval_cases): {data}#val+test: no split 'test' in the file"
    assert "".join(expected.split()) in message


def test_eval_refuses_an_impossible_shot_count(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["eval", "--shots", "0"])

    assert result.exit_code == 2
    assert "--shots" in result.output
