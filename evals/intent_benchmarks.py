"""Public intent-classification benchmarks: BANKING77 and CLINC150.

Measures the intent classifier against published results, on data written by
others (``shared/datasets``; see its README). Nothing from the datasets is
copied into the repository: rows are read from the path given at run time.

* **BANKING77**: train on ``train.csv`` (all of it, or ``k`` examples per
  intent drawn with a seed), report accuracy and macro-F1 on ``test.csv``.
* **CLINC150** (full split; its test split is not shipped): train on
  ``train`` + ``oos_train`` (the out-of-scope examples become an
  ``out_of_scope`` class) and evaluate on ``val`` + ``oos_val`` with a
  confidence threshold as well. So that the threshold is never tuned on the
  utterances it is scored on, evaluation is **cross-fitted**: the val set
  (in-scope and out-of-scope together) is split in two halves, stratified by
  intent with a fixed seed; the threshold tuned on one half is scored on the
  other, and both ways round. Every val utterance is scored exactly once, by
  a threshold that never saw it; the reported figures pool both halves. The
  threshold maximises accuracy over all utterances of its half (``--objective
  balanced`` weighs in-scope accuracy and out-of-scope recall equally instead).

Run ``python -m evals.intent_benchmarks`` (``--json`` for machine output).
Example embeddings are cached under ``--cache-dir``, so a second run
re-embeds nothing.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel
from sklearn.metrics import f1_score

from evals.errors import EvalError
from intents.catalogue import OUT_OF_SCOPE_NAMES, IntentCatalogue, catalogue_from_examples
from intents.classifier import OUT_OF_SCOPE, EmbeddingIntentClassifier
from intents.encoders import QuestionEncoder, normalise_rows
from intents.prediction import IntentPrediction
from intents.thresholds import Objective, score_threshold, tune_threshold

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATASETS = REPO_ROOT.parent / "shared" / "datasets"
DEFAULT_CACHE = REPO_ROOT / "var" / "cache" / "intent-benchmarks"

Example = tuple[str, str]

VARIANTS: dict[str, dict[str, Any]] = {
    # What ships: embedding LR + n-gram SVM + nearest example, calibrated, label texts added,
    # the metric adapter used where cross-validation on the training examples favours it.
    "default": {},
    "no-adapter": {"metric_adapter": "never"},
    "no-label-examples": {"label_examples": False},
    "embedding+ngrams": {"use_neighbours": False, "label_examples": False},
    "embedding-only": {"use_ngrams": False, "use_neighbours": False, "label_examples": False},
}
"""Classifier settings compared by ``--variants``; ``default`` is the shipped configuration."""


class BenchmarkError(EvalError):
    """A dataset is missing or malformed, or a benchmark setting is impossible."""

    code = "bad_benchmark"
    http_status = 422


class BenchmarkResult(BaseModel):
    """One benchmark run: where, how trained, and the figures."""

    dataset: str
    setting: str
    variant: str
    train_size: int
    eval_size: int
    accuracy: float
    macro_f1: float
    in_scope_accuracy: float | None = None
    out_of_scope_recall: float | None = None
    thresholds: list[float] = []
    fit_seconds: float
    predict_seconds: float
    notes: str = ""


@dataclass(frozen=True)
class Clinc150:
    """The CLINC150 full split as shipped: train, val, and their out-of-scope parts."""

    train: list[Example]
    val: list[Example]
    oos_train: list[Example]
    oos_val: list[Example]


def load_banking77(root: Path) -> tuple[list[Example], list[Example]]:
    """BANKING77 ``(train, test)`` from ``root/banking77/{train,test}.csv``."""
    return (
        _read_banking_csv(root / "banking77" / "train.csv"),
        _read_banking_csv(root / "banking77" / "test.csv"),
    )


def load_clinc150(root: Path) -> Clinc150:
    """CLINC150 from ``root/clinc150/train_val.json``; out-of-scope rows get the label ``oos``."""
    path = root / "clinc150" / "train_val.json"
    if not path.is_file():
        raise BenchmarkError(f"{path}: not found (pass --datasets)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise BenchmarkError(f"{path}: invalid JSON ({exc.msg}, line {exc.lineno})") from exc
    splits: dict[str, list[Example]] = {}
    for name in ("train", "val", "oos_train", "oos_val"):
        rows = data.get(name)
        if not isinstance(rows, list) or not rows:
            raise BenchmarkError(f"{path}: missing or empty list {name!r}")
        splits[name] = [(str(text), str(label)) for text, label in rows]
    return Clinc150(**splits)


def _read_banking_csv(path: Path) -> list[Example]:
    if not path.is_file():
        raise BenchmarkError(f"{path}: not found (pass --datasets)")
    with path.open(newline="", encoding="utf-8") as stream:
        reader = csv.DictReader(stream)
        if not {"text", "category"} <= set(reader.fieldnames or []):
            raise BenchmarkError(f"{path}: expected columns text,category")
        return [(row["text"], row["category"]) for row in reader]


def sample_per_intent(examples: Sequence[Example], k: int, seed: int = 0) -> list[Example]:
    """``k`` examples of each intent (all when fewer), drawn without replacement with ``seed``."""
    return [examples[i] for i in _sample_indices([intent for _, intent in examples], k, seed)]


def sample_catalogue(catalogue: IntentCatalogue, k: int, seed: int = 0) -> IntentCatalogue:
    """The catalogue with ``k`` examples per intent, everything else (handlers, flows) kept.

    The draw is :func:`sample_per_intent`'s over :meth:`IntentCatalogue.examples`,
    so a flat catalogue read from a benchmark's CSV keeps the same rows the
    benchmark runner draws with the same seed.
    """
    if k < 1:
        raise BenchmarkError(f"shots must be 1 or more, got {k}")
    slots = [
        (intent.name, language, position)
        for intent in catalogue.intents
        for language, texts in intent.examples.items()
        for position in range(len(texts))
    ]
    kept = {slots[i] for i in _sample_indices([name for name, _, _ in slots], k, seed)}
    intents = [
        intent.model_copy(
            update={
                "examples": {
                    language: [t for p, t in enumerate(texts) if (intent.name, language, p) in kept]
                    for language, texts in intent.examples.items()
                    if any((intent.name, language, p) in kept for p in range(len(texts)))
                }
            }
        )
        for intent in catalogue.intents
    ]
    return catalogue.model_copy(update={"intents": intents})


def _sample_indices(labels: Sequence[str], k: int, seed: int) -> list[int]:
    rng = np.random.default_rng(seed)
    by_intent: dict[str, list[int]] = defaultdict(list)
    for index, intent in enumerate(labels):
        by_intent[intent].append(index)
    chosen: list[int] = []
    for intent in sorted(by_intent):
        members = by_intent[intent]
        chosen.extend(int(i) for i in rng.choice(members, size=min(k, len(members)), replace=False))
    return chosen


class TextVectorCache:
    """Wraps an encoder with a per-text vector store on disk, for repeated benchmark runs.

    The product caches whole example lists (:class:`intents.encoders.EmbeddingCache`);
    benchmarks also re-encode the same evaluation sentences on every run, so
    here each text is cached on its own.
    """

    def __init__(self, encoder: QuestionEncoder, directory: Path | None) -> None:
        self.encoder = encoder
        self.model_id = encoder.model_id
        self._directory = directory
        self._vectors: dict[str, np.ndarray[Any, Any]] = {}
        self._dirty = False
        if directory is not None:
            stem = hashlib.sha256(encoder.model_id.encode("utf-8")).hexdigest()[:16]
            self._texts_path = directory / f"texts-{stem}.json"
            self._matrix_path = directory / f"vectors-{stem}.npy"
            if self._texts_path.is_file() and self._matrix_path.is_file():
                texts = json.loads(self._texts_path.read_text(encoding="utf-8"))
                matrix = np.load(self._matrix_path, allow_pickle=False)
                if len(texts) == len(matrix):
                    self._vectors = dict(zip(texts, matrix, strict=True))

    def encode_questions(self, texts: Sequence[str]) -> np.ndarray[Any, Any]:
        """Vectors for ``texts``, encoding only those never seen."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            for text, vector in zip(
                missing, normalise_rows(self.encoder.encode_questions(missing)), strict=True
            ):
                self._vectors[text] = vector
            self._dirty = True
            self.save()
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([self._vectors[t] for t in texts])

    def save(self) -> None:
        """Write the store to disk (a no-op without a directory or new vectors)."""
        if self._directory is None or not self._dirty:
            return
        self._directory.mkdir(parents=True, exist_ok=True)
        texts = list(self._vectors)
        np.save(self._matrix_path, np.stack([self._vectors[t] for t in texts]), allow_pickle=False)
        self._texts_path.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
        self._dirty = False


@dataclass
class _Timed:
    classifier: EmbeddingIntentClassifier
    fit_seconds: float
    predictions: list[IntentPrediction] = field(default_factory=list)
    predict_seconds: float = 0.0


def _fit_and_predict(
    encoder: QuestionEncoder,
    catalogue: IntentCatalogue,
    texts: Sequence[str],
    options: dict[str, Any],
) -> _Timed:
    # Rules are product policy for the brokerage catalogue, not part of the benchmark model;
    # the encoder passed in caches every text, so the classifier keeps no cache of its own.
    classifier = EmbeddingIntentClassifier(encoder, threshold=0.0, use_rules=False, **options)
    start = time.perf_counter()
    classifier.fit(catalogue)
    timed = _Timed(classifier, time.perf_counter() - start)
    start = time.perf_counter()
    timed.predictions = classifier.predict_many(texts)
    timed.predict_seconds = time.perf_counter() - start
    return timed


def run_banking77(
    encoder: QuestionEncoder,
    root: Path = DEFAULT_DATASETS,
    *,
    shots: int | None = None,
    seed: int = 0,
    variant: str = "default",
) -> BenchmarkResult:
    """Train on BANKING77 train (all, or ``shots`` per intent) and score on test."""
    train, test = load_banking77(root)
    if shots is not None:
        train = sample_per_intent(train, shots, seed)
    timed = _fit_and_predict(
        encoder, catalogue_from_examples(train), [t for t, _ in test], VARIANTS[variant]
    )
    truth = [label for _, label in test]
    predicted = [p.name for p in timed.predictions]
    return BenchmarkResult(
        dataset="banking77",
        setting="full train" if shots is None else f"{shots}-shot (seed {seed})",
        variant=variant,
        train_size=len(train),
        eval_size=len(test),
        accuracy=_accuracy(predicted, truth),
        macro_f1=float(f1_score(truth, predicted, average="macro")),
        fit_seconds=timed.fit_seconds,
        predict_seconds=timed.predict_seconds,
        notes=_adapter_note(timed.classifier),
    )


def run_clinc150(
    encoder: QuestionEncoder,
    root: Path = DEFAULT_DATASETS,
    *,
    seed: int = 0,
    variant: str = "default",
    objective: Objective = "accuracy",
) -> BenchmarkResult:
    """Train on train + oos_train; score on val + oos_val with a cross-fitted threshold."""
    data = load_clinc150(root)
    train = data.train + data.oos_train
    evaluation = data.val + data.oos_val
    texts = [t for t, _ in evaluation]
    truth = [_canonical(label) for _, label in evaluation]
    timed = _fit_and_predict(encoder, catalogue_from_examples(train), texts, VARIANTS[variant])
    halves = _stratified_halves(truth, seed)
    final: list[str] = [""] * len(truth)
    thresholds: list[float] = []
    for tune_half, score_half in ((0, 1), (1, 0)):
        tune_rows = np.flatnonzero(halves == tune_half)
        score_rows = np.flatnonzero(halves == score_half)
        choice = tune_threshold(
            [timed.predictions[i] for i in tune_rows],
            [truth[i] for i in tune_rows],
            objective=objective,
        )
        thresholds.append(choice.threshold)
        for i in score_rows:
            top, confidence = timed.predictions[i].ranking[0]
            top = _canonical(top)
            final[i] = OUT_OF_SCOPE if top == OUT_OF_SCOPE or confidence < choice.threshold else top
    is_oos = np.asarray([label == OUT_OF_SCOPE for label in truth])
    correct = np.asarray(final) == np.asarray(truth)
    class_only = score_threshold(timed.predictions, truth, 0.0)
    return BenchmarkResult(
        dataset="clinc150",
        setting=f"val, cross-fitted ({objective})",
        variant=variant,
        train_size=len(train),
        eval_size=len(evaluation),
        accuracy=float(correct.mean()),
        macro_f1=float(f1_score(truth, final, average="macro")),
        in_scope_accuracy=float(correct[~is_oos].mean()),
        out_of_scope_recall=float(correct[is_oos].mean()),
        thresholds=thresholds,
        fit_seconds=timed.fit_seconds,
        predict_seconds=timed.predict_seconds,
        notes=(
            f"oos class alone (no threshold): in-scope {class_only.in_scope_accuracy:.4f}, "
            f"oos recall {class_only.out_of_scope_recall:.4f}; {_adapter_note(timed.classifier)}"
        ),
    )


def _adapter_note(classifier: EmbeddingIntentClassifier) -> str:
    return f"metric adapter {'used' if classifier.uses_adapter else 'not used'}"


def _canonical(label: str) -> str:
    return OUT_OF_SCOPE if label in OUT_OF_SCOPE_NAMES else label


def _stratified_halves(labels: Sequence[str], seed: int) -> np.ndarray[Any, Any]:
    """0 or 1 per row, each label's rows shuffled and dealt alternately."""
    rng = np.random.default_rng(seed)
    halves = np.zeros(len(labels), dtype=int)
    by_label: dict[str, list[int]] = defaultdict(list)
    for index, label in enumerate(labels):
        by_label[label].append(index)
    for label in sorted(by_label):
        members = np.asarray(by_label[label])
        rng.shuffle(members)
        halves[members] = np.arange(len(members)) % 2
    return halves


def _accuracy(predicted: Sequence[str], truth: Sequence[str]) -> float:
    return float(np.mean(np.asarray(predicted) == np.asarray(truth)))


def format_table(results: Iterable[BenchmarkResult]) -> str:
    """A plain-text table of results, one row per run."""
    header = (
        f"{'dataset':<10} {'setting':<24} {'variant':<18} {'train':>6} {'eval':>5} "
        f"{'acc':>6} {'mF1':>6} {'in-acc':>6} {'oos-rec':>7} {'fit s':>6} {'pred s':>6}"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        setting = r.setting[:24]
        lines.append(
            f"{r.dataset:<10} {setting:<24} {r.variant:<18} {r.train_size:>6} {r.eval_size:>5} "
            f"{_pct(r.accuracy):>6} {_pct(r.macro_f1):>6} {_pct(r.in_scope_accuracy):>6} "
            f"{_pct(r.out_of_scope_recall):>7} {r.fit_seconds:>6.1f} {r.predict_seconds:>6.1f}"
        )
    return "\n".join(lines)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.2f}"


Dataset = Literal["banking77", "clinc150"]


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry: run the benchmarks and print a table (or JSON)."""
    parser = argparse.ArgumentParser(prog="python -m evals.intent_benchmarks", description=__doc__)
    parser.add_argument(
        "--datasets",
        type=Path,
        default=DEFAULT_DATASETS,
        help="folder holding banking77/ and clinc150/",
    )
    parser.add_argument(
        "--cache-dir", type=Path, default=DEFAULT_CACHE, help="embedding cache folder"
    )
    parser.add_argument(
        "--no-cache", action="store_true", help="embed everything afresh, keep nothing"
    )
    parser.add_argument(
        "--only",
        choices=["banking77", "clinc150"],
        action="append",
        help="run one dataset (repeatable)",
    )
    parser.add_argument(
        "--shots", default="full,10", help="BANKING77 settings: 'full' and/or examples per intent"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--variants", default="default", help=f"comma-separated, from {', '.join(VARIANTS)}"
    )
    parser.add_argument("--objective", choices=["balanced", "accuracy"], default="accuracy")
    parser.add_argument("--json", action="store_true", help="print results as JSON")
    args = parser.parse_args(argv)

    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        parser.error(f"unknown variant(s) {unknown}; choose from {list(VARIANTS)}")
    datasets: list[Dataset] = args.only or ["banking77", "clinc150"]
    shots = [None if s.strip() == "full" else int(s) for s in args.shots.split(",") if s.strip()]

    from knowledge.embedders import load_embedder

    cache_dir = None if args.no_cache else args.cache_dir
    encoder = TextVectorCache(load_embedder("e5-small"), cache_dir)
    results: list[BenchmarkResult] = []
    try:
        for variant in variants:
            if "banking77" in datasets:
                for k in shots:
                    results.append(
                        run_banking77(
                            encoder, args.datasets, shots=k, seed=args.seed, variant=variant
                        )
                    )
                    _progress(results[-1], args.json)
            if "clinc150" in datasets:
                results.append(
                    run_clinc150(
                        encoder,
                        args.datasets,
                        seed=args.seed,
                        variant=variant,
                        objective=args.objective,
                    )
                )
                _progress(results[-1], args.json)
    except BenchmarkError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps([r.model_dump() for r in results], ensure_ascii=False, indent=2))
    else:
        print(format_table(results))
        for r in results:
            if r.thresholds:
                rounded = [round(t, 4) for t in r.thresholds]
                print(f"{r.dataset} {r.setting} [{r.variant}]: thresholds {rounded}; {r.notes}")
            elif r.notes:
                print(f"{r.dataset} {r.setting} [{r.variant}]: {r.notes}")
    return 0


def _progress(result: BenchmarkResult, quiet: bool) -> None:
    # Progress goes to stderr so --json output stays parseable.
    if not quiet:
        print(
            f"done: {result.dataset} {result.setting} [{result.variant}] acc={result.accuracy:.4f}",
            file=sys.stderr,
        )


if __name__ == "__main__":
    raise SystemExit(main())
