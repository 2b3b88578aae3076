"""The knowledge benchmark runs end to end on a tiny corpus and reports well-formed numbers.

Speed is measured by the benchmark itself, never asserted here.
"""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.knowledge_bench import (
    SEARCH_STAGE_LABELS,
    STAGE_LABELS,
    BenchReport,
    BuildResult,
    PooledE5Embedder,
    ScaleResult,
    SearchResult,
    VectorPool,
    build_search_kb,
    carried_ingest,
    embed_job,
    load_queries,
    machine_info,
    measure_search,
    render_markdown,
    run_ingest_ratio,
    sentence_pool,
    write_report,
    write_synthetic_corpus,
)
from benchmarks.measurement import Latency
from tests.utils.files import write_csv

FAQ_ROWS = [
    [
        "b-1",
        "开户需要什么材料？",
        "本人二代身份证和一类银行卡。",
        "开户带啥|开户材料",
        "account_opening",
        "zh",
        "2026-01-05",
    ],
    [
        "b-2",
        "How much is stamp duty?",
        "0.05% of the amount, on sales only.",
        "stamp tax?",
        "fees",
        "en",
        "2026-02-01",
    ],
]


@pytest.fixture(scope="module")
def ingest_run(tmp_path_factory: pytest.TempPathFactory, e5):
    """One raw-vs-ingest repeat with the real E5 on a two-entry FAQ sheet."""
    workdir = tmp_path_factory.mktemp("ingest-bench")
    sheet = write_csv(workdir / "faq.csv", FAQ_ROWS)
    job = embed_job([sheet])
    bench, pool = run_ingest_ratio(e5, [sheet], job, repeats=1, workdir=workdir)
    return job, bench, pool


@pytest.fixture(scope="module")
def search_run(tmp_path_factory: pytest.TempPathFactory, ingest_run):
    """A ~200-chunk knowledge base built with pooled vectors, searched with 20 real questions."""
    _, _, pool = ingest_run
    workdir = tmp_path_factory.mktemp("search-bench")
    pool.save(workdir / "pool")
    guides = write_synthetic_corpus(workdir / "guides", 200, sentence_pool())
    build = build_search_kb(workdir / "kb", [guides.directory], workdir / "pool")
    # Queries go through the pooled embedder too: this checks the report, not E5's speed.
    queries = PooledE5Embedder(pool)
    search = measure_search(workdir / "kb", load_queries(20, 5), rounds=2, embedder=queries)
    return guides, build, search


def test_ingest_ratio_compares_rates_of_the_same_vectors(ingest_run) -> None:
    job, bench, _ = ingest_run
    (repeat,) = bench.repeats
    assert job.vectors == len(job.questions) + len(job.passages) == 7
    assert repeat.raw.vectors == repeat.ingest.vectors == job.vectors
    assert repeat.raw.vectors_per_s > 0 and repeat.ingest.vectors_per_s > 0
    assert repeat.ratio == pytest.approx(repeat.ingest.vectors_per_s / repeat.raw.vectors_per_s)
    assert bench.ratio == repeat.ratio
    assert 0 < repeat.encode_share <= 1
    assert set(repeat.stages) == set(STAGE_LABELS)
    assert repeat.stages["encode"] > 0


def test_pool_holds_the_real_vectors_of_the_ingested_texts(ingest_run, e5) -> None:
    job, _, pool = ingest_run
    assert len(pool) == job.vectors
    row = pool.texts.index(job.questions[0])
    np.testing.assert_allclose(
        pool.vectors[row], e5.encode_questions(job.questions[:1])[0], atol=1e-5
    )


def test_pooled_embedder_is_deterministic_unit_norm_and_near_a_real_vector() -> None:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(3, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    pool = VectorPool(["passage", "passage", "question"], ["a", "b", "c"], vectors)
    embedder = PooledE5Embedder(pool, model_id="test-model")

    first = embedder.encode_passages(["unseen text", "a"])
    again = embedder.encode_passages(["unseen text"])

    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], vectors[0])
    assert np.linalg.norm(first[0]) == pytest.approx(1.0, abs=1e-5)
    assert max(vectors[:2] @ first[0]) > 0.95
    assert embedder.model_id == "test-model" and embedder.dimension == 384


def test_search_reports_ordered_percentiles_stages_and_memory(search_run) -> None:
    guides, build, search = search_run
    assert guides.chunks >= 200
    assert build.units == guides.chunks and build.vectors == guides.chunks
    assert build.seconds > 0 and build.memory.rss_mib > 0
    assert search.queries == 20 and search.warmup == 5 and len(search.rounds) == 2
    assert set(search.stages) == set(SEARCH_STAGE_LABELS)
    for latency in [*search.rounds, *search.stages.values()]:
        assert latency.n == 20
        assert latency.p50_ms <= latency.p95_ms <= latency.p99_ms <= latency.max_ms
    for name in ("query_embedding", "chroma_query", "unit_fetch", "bm25"):
        assert search.stages[name].p50_ms > 0
    assert 0 < search.p50_ms <= search.p95_ms <= search.p99_ms
    assert search.chroma_queries_per_search >= 1
    assert 0 < search.memory_after_open.rss_mib <= search.hwm_mib
    assert search.max_rss_during_search_mib <= search.hwm_mib
    assert 0 <= search.hit_at_k <= 1


def test_report_renders_every_section(ingest_run, search_run) -> None:
    _, bench, _ = ingest_run
    _, build, search = search_run
    report = BenchReport(
        command="python -m benchmarks.knowledge_bench --quick",
        started_at="2026-11-25T00:00:00+00:00",
        quick=True,
        config={},
        machine=machine_info(),
        ingest=bench,
        search=[ScaleResult(target_units=200, build=build, search=search, meets_p95_target=None)],
        method="method paragraph",
    )

    text = render_markdown(report)

    assert "## Ingestion rate vs raw E5 rate" in text
    assert "## Search latency and memory" in text
    assert "method paragraph" in text
    assert report.machine.logical_cores > 0 and report.machine.memory_gib > 0
    assert isinstance(
        BenchReport.model_validate_json(report.model_dump_json()).search[0].build, BuildResult
    )
    assert isinstance(Latency.of([0.001, 0.002]), Latency)
    assert SearchResult.model_validate(search.model_dump()) == search


def test_a_search_only_run_carries_the_earlier_ingest_section_and_says_so(
    tmp_path, ingest_run
) -> None:
    _, bench, _ = ingest_run
    earlier = BenchReport(
        command="python -m benchmarks.knowledge_bench",
        started_at="2026-11-25T00:00:00+00:00",
        quick=False,
        config={},
        machine=machine_info(),
        ingest=bench,
        method="method paragraph",
    )
    write_report(earlier, tmp_path)

    ingest, origin = carried_ingest(tmp_path)
    later = earlier.model_copy(
        update={"command": "... --skip-ingest", "ingest": ingest, "ingest_from": origin}
    )

    assert ingest == bench
    assert origin == "`python -m benchmarks.knowledge_bench` started 2026-11-25T00:00:00+00:00"
    assert f"**Not measured by this run** (`--skip-ingest`): carried over from {origin}" in (
        render_markdown(later)
    )
    write_report(later, tmp_path)
    assert carried_ingest(tmp_path)[1] == origin, "carried again, it keeps its first origin"
    assert carried_ingest(tmp_path / "nothing-here") == (None, "")


def test_latency_percentiles_are_interpolated_in_milliseconds() -> None:
    latency = Latency.of([0.001, 0.002, 0.003])
    assert (latency.n, latency.p50_ms, latency.mean_ms, latency.max_ms) == (3, 2.0, 2.0, 3.0)
    assert latency.p95_ms == pytest.approx(2.9)  # 1 + 2 * 0.95
    with pytest.raises(ValueError, match="no latency samples"):
        Latency.of([])
