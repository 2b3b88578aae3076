"""The naive-LangChain comparison runs end to end on a tiny mix and writes a well-formed report.

Speed is never asserted: only that every system answered every question, that CPU time was
counted, and that the report says what it measured and where.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from langchain_core.documents import Document

from benchmarks.naive_langchain_bench import SYSTEMS, ClientVectorStore, NaiveReport, main
from tests.utils.live_app import INTENT_CACHE_HOME

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FAQ_ROWS = 30


@pytest.fixture(scope="module")
def small_knowledge(tmp_path_factory) -> Path:
    """The first Chinese FAQ rows of the sample: real answers, quick to embed."""
    folder = tmp_path_factory.mktemp("small-faq")
    lines = (PROJECT_ROOT / "data/knowledge/faq_zh.csv").read_text("utf-8").splitlines()
    (folder / "faq_zh.csv").write_text("\n".join(lines[: FAQ_ROWS + 1]) + "\n", "utf-8")
    return folder


@pytest.mark.slow
def test_a_tiny_run_writes_a_report_of_every_system_in_every_round(
    small_knowledge: Path, tmp_path: Path
) -> None:
    out = tmp_path / "results"
    argv = ["--questions", "4", "--rounds", "2", "--warmup", "1", "--store", "chromadb"]
    argv += ["--knowledge", str(small_knowledge), "--kb-dir", str(tmp_path / "kb")]
    argv += ["--state-dir", str(INTENT_CACHE_HOME), "--out", str(out)]

    assert main(argv) == 0

    report = NaiveReport.model_validate(json.loads((out / "naive_langchain.json").read_text()))
    markdown = (out / "naive_langchain.md").read_text("utf-8")
    assert report.knowledge_units == FAQ_ROWS
    assert report.store == "chromadb"
    assert len(report.rounds) == 2
    assert [r.order for r in report.rounds] == [list(SYSTEMS), list(reversed(SYSTEMS))]
    for round_ in report.rounds:
        assert set(round_.passes) == set(SYSTEMS)
        for measured in round_.passes.values():
            assert measured.answers == 4
            assert measured.cpu_s > 0 and measured.wall_s > 0
            assert 0 <= measured.hits <= measured.judged <= 4
        assert set(round_.our_cache_hit_rates) == {"question_embedding", "answer", "intent"}
    assert set(report.systems) == set(SYSTEMS)
    assert report.turn_ratio.low <= report.turn_ratio.median <= report.turn_ratio.high
    assert report.meets_target == (report.turn_ratio.median >= report.target_ratio)
    assert report.machine.load_average_start and report.machine.load_average_end
    assert report.machine.git_commit != ""
    assert "-m benchmarks.naive_langchain_bench --questions 4 --rounds 2" in report.command
    assert report.command in markdown
    assert str(report.machine.load_average_start) in markdown


def test_the_fallback_store_finds_what_langchain_chroma_finds(e5) -> None:
    langchain_chroma = pytest.importorskip(
        "langchain_chroma", reason="the bench extra (langchain-chroma) is not installed"
    )
    texts = ["开户需要身份证和银行卡", "创业板开通要两年交易经验", "How do I reset my password?"]
    documents = [Document(page_content=t, metadata={"n": i}) for i, t in enumerate(texts)]
    fallback = ClientVectorStore.from_documents(documents, e5)
    reference = langchain_chroma.Chroma.from_documents(
        documents, e5, collection_name=f"reference-{uuid.uuid4()}"
    )

    for query in ("开户带什么证件", "创业板门槛", "forgot my password"):
        found = fallback.as_retriever(search_kwargs={"k": 3}).invoke(query)
        expected = reference.as_retriever(search_kwargs={"k": 3}).invoke(query)
        assert [d.metadata["n"] for d in found] == [d.metadata["n"] for d in expected]
