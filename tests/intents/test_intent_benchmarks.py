"""The benchmark runner, on tiny datasets written in the public formats (never the real rows)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from evals.intent_benchmarks import (
    BenchmarkError,
    TextVectorCache,
    _stratified_halves,
    load_banking77,
    load_clinc150,
    main,
    run_banking77,
    run_clinc150,
    sample_per_intent,
)
from tests.utils.banking_examples import INTENTS

OUT_OF_SCOPE = [
    "what's the capital of peru",
    "play some jazz music",
    "how tall is mount everest",
    "tell me a bedtime story",
]


def write_banking77(root: Path) -> None:
    folder = root / "banking77"
    folder.mkdir(parents=True)
    for split, rows in (("train", slice(0, 4)), ("test", slice(4, 6))):
        with (folder / f"{split}.csv").open("w", newline="", encoding="utf-8") as stream:
            writer = csv.writer(stream)
            writer.writerow(["text", "category"])
            for intent, texts in INTENTS.items():
                writer.writerows([text, intent] for text in texts[rows])


def write_clinc150(root: Path) -> None:
    folder = root / "clinc150"
    folder.mkdir(parents=True)
    data = {
        "train": [[t, i] for i, texts in INTENTS.items() for t in texts[:4]],
        "val": [[t, i] for i, texts in INTENTS.items() for t in texts[4:]],
        "oos_train": [[t, "oos"] for t in OUT_OF_SCOPE[:2]],
        "oos_val": [[t, "oos"] for t in OUT_OF_SCOPE[2:]],
    }
    (folder / "train_val.json").write_text(json.dumps(data), encoding="utf-8")


@pytest.fixture
def datasets(tmp_path: Path) -> Path:
    root = tmp_path / "datasets"
    write_banking77(root)
    write_clinc150(root)
    return root


def test_loaders_read_the_public_formats(datasets: Path) -> None:
    train, test = load_banking77(datasets)
    clinc = load_clinc150(datasets)

    assert len(train) == 12 and len(test) == 6
    assert train[0] == ("my card has not arrived yet", "card_arrival")
    assert len(clinc.train) == 12 and len(clinc.oos_val) == 2
    assert clinc.oos_train[0][1] == "oos"


def test_missing_datasets_are_reported(tmp_path: Path) -> None:
    with pytest.raises(BenchmarkError, match="not found"):
        load_banking77(tmp_path)
    with pytest.raises(BenchmarkError, match="not found"):
        load_clinc150(tmp_path)


def test_sample_per_intent_is_seeded_and_balanced() -> None:
    examples = [(f"{intent} {n}", intent) for intent in ("a", "b") for n in range(10)]

    sample = sample_per_intent(examples, 3, seed=0)

    assert sorted(intent for _, intent in sample) == ["a"] * 3 + ["b"] * 3
    assert sample == sample_per_intent(examples, 3, seed=0)
    assert sample != sample_per_intent(examples, 3, seed=1)


def test_halves_split_every_label_evenly() -> None:
    labels = ["a"] * 10 + ["b"] * 4 + ["oos"] * 6

    halves = _stratified_halves(labels, seed=0)

    for label in ("a", "b", "oos"):
        members = halves[np.asarray(labels) == label]
        assert members.sum() == len(members) // 2


def test_banking77_run_reports_accuracy_and_macro_f1(datasets: Path, e5: Any) -> None:
    result = run_banking77(e5, datasets, shots=2)

    assert result.train_size == 6 and result.eval_size == 6
    assert result.accuracy >= 5 / 6
    assert 0.0 <= result.macro_f1 <= 1.0
    assert result.setting == "2-shot (seed 0)"


def test_a_run_says_whether_the_metric_adapter_was_used(datasets: Path, e5: Any) -> None:
    ablation = run_banking77(e5, datasets, shots=2, variant="no-adapter")

    assert ablation.variant == "no-adapter"
    assert ablation.notes == "metric adapter not used"


def test_clinc150_run_cross_fits_the_threshold(datasets: Path, e5: Any) -> None:
    result = run_clinc150(e5, datasets)

    assert result.train_size == 14 and result.eval_size == 8
    assert len(result.thresholds) == 2
    assert result.in_scope_accuracy is not None and result.out_of_scope_recall is not None
    assert result.in_scope_accuracy >= 5 / 6
    assert 0.0 <= result.out_of_scope_recall <= 1.0


def test_text_vector_cache_persists_per_text(counting_encoder: Any, tmp_path: Path) -> None:
    first = TextVectorCache(counting_encoder, tmp_path)
    vectors = first.encode_questions(["a card", "a rate"])
    second = TextVectorCache(counting_encoder, tmp_path)
    again = second.encode_questions(["a rate", "a card", "a rate"])

    assert counting_encoder.calls == 1
    np.testing.assert_array_equal(again[1], vectors[0])
    second.encode_questions(["something new"])
    assert counting_encoder.texts == 3


def test_command_prints_json(
    datasets: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "--datasets",
            str(datasets),
            "--cache-dir",
            str(tmp_path / "cache"),
            "--shots",
            "2",
            "--json",
        ]
    )

    assert code == 0
    results = json.loads(capsys.readouterr().out)
    assert [r["dataset"] for r in results] == ["banking77", "clinc150"]


def test_command_fails_cleanly_without_datasets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--datasets", str(tmp_path), "--no-cache", "--only", "clinc150"])

    assert code == 2
    assert "not found" in capsys.readouterr().err
