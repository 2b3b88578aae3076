"""The same knowledge base against a real Chroma server started on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from knowledge.index import KnowledgeBase
from knowledge.retrieval import HybridRetriever
from knowledge.vectorstore import open_chroma_client
from tests.knowledge.test_index import ROWS
from tests.utils.files import write_csv
from tests.utils.processes import ChromaServer


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[ChromaServer]:
    server = ChromaServer(tmp_path / "chroma-data").start()
    yield server
    server.stop()


@pytest.fixture
def faq_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "sources"
    folder.mkdir()
    write_csv(folder / "faq.csv", ROWS)
    return folder


def test_ingest_and_search_through_a_chroma_server(tmp_path, chroma_server, faq_folder, e5) -> None:
    kb = KnowledgeBase(tmp_path / "kb", e5, chroma_url=chroma_server.url, collection="faq")
    report = kb.ingest([faq_folder])
    assert report.embedded == 10 and not report.failed
    assert not (tmp_path / "kb" / "chroma").exists(), "vectors live on the server"
    top = HybridRetriever(kb).search("开户要带什么证件", k=3)[0]
    assert top.unit.id == "t-1"
    assert kb.stats()["vectors_by_collection"] == {"faq-zh": 7, "faq-en": 3, "faq-other": 0}
    reopened = KnowledgeBase(tmp_path / "kb", e5, chroma_url=chroma_server.url)
    assert reopened.ingest([faq_folder]).embedded == 0
    assert reopened.vectors.counts() == kb.vectors.counts()


def test_erasing_removes_every_language_collection_from_the_server(
    tmp_path, chroma_server, faq_folder, e5
) -> None:
    KnowledgeBase(tmp_path / "kb", e5, chroma_url=chroma_server.url, collection="faq").ingest(
        [faq_folder]
    )
    client = open_chroma_client(url=chroma_server.url)
    assert {c.name for c in client.list_collections()} == {"faq-zh", "faq-en", "faq-other"}
    KnowledgeBase.erase(tmp_path / "kb", chroma_url=chroma_server.url)
    assert client.list_collections() == []


def test_server_going_away_loses_nothing_and_ingest_recovers_when_it_returns(
    tmp_path, chroma_server, faq_folder, e5
) -> None:
    kb = KnowledgeBase(tmp_path / "kb", e5, chroma_url=chroma_server.url)
    kb.ingest([faq_folder])
    before = kb.units(["t-1", "t-2", "t-3"])
    rows = [list(r) for r in ROWS]
    rows[0][2] = "请携带本人有效身份证件和一类银行卡。"
    write_csv(faq_folder / "faq.csv", rows)

    chroma_server.stop()
    report = kb.ingest([faq_folder])
    assert any(
        m.startswith("faq.csv: not indexed, nothing changed (Chroma failed") for m in report.failed
    )
    assert kb.units(["t-1", "t-2", "t-3"]) == before, "the manifest still describes the old vectors"

    chroma_server.start()
    report = kb.ingest([faq_folder])
    assert not report.failed and report.embedded == 4
    assert kb.units(["t-1"])["t-1"].text.startswith("请携带")
    assert kb.stats()["orphan_vectors"] == 0
    assert HybridRetriever(kb).search("开户材料", k=1)[0].unit.id == "t-1"
