"""Vectors kept in one Chroma collection per language, searched partition by partition."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge import vectorstore
from knowledge.vectorstore import PartitionedVectorStore, open_chroma_client


def unit_vectors(*rows: list[float]) -> np.ndarray:
    matrix = np.asarray(rows, dtype=np.float32)
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


QUERY = unit_vectors([1.0, 0.0, 0.0, 0.0])[0]
# Every Chinese vector is nearer the query than any other language's.
VECTORS = {
    "zh-1::q0@a": ("zh", [1.0, 0.1, 0.0, 0.0]),
    "zh-2::q0@b": ("zh", [1.0, 0.2, 0.0, 0.0]),
    "zh-3::q0@c": ("zh", [1.0, 0.3, 0.0, 0.0]),
    "en-1::q0@d": ("en", [1.0, 1.0, 0.0, 0.0]),
    "en-2::q0@e": ("en", [0.0, 1.0, 0.0, 0.0]),
    "ja-1::q0@f": ("ja", [1.0, 0.0, 1.0, 0.0]),
    "ko-1::q0@g": ("ko", [1.0, 0.0, 0.0, 1.0]),
}


@pytest.fixture
def store(tmp_path: Path, e5) -> PartitionedVectorStore:
    vectors = PartitionedVectorStore(open_chroma_client(path=tmp_path / "chroma"), "kb-t", e5)
    ids = list(VECTORS)
    vectors.add(
        ids,
        unit_vectors(*(VECTORS[i][1] for i in ids)),
        [{"lang": VECTORS[i][0], "category": "fees" if i != "ko-1::q0@g" else "ipo"} for i in ids],
    )
    return vectors


def test_vectors_go_to_the_collection_of_their_language(store) -> None:
    assert store.counts() == {"kb-t-zh": 3, "kb-t-en": 2, "kb-t-other": 2}
    assert store.count() == 7
    assert store.all_ids() == set(VECTORS)


def test_each_language_brings_its_own_best_matches(store) -> None:
    hits = store.query(QUERY, 2)
    assert [h.unit_id for h in hits if h.partition == "zh"] == ["zh-1", "zh-2"]
    assert [h.unit_id for h in hits if h.partition == "en"] == ["en-1", "en-2"]
    assert {h.unit_id for h in hits if h.partition == "other"} == {"ja-1", "ko-1"}
    similarities = [h.similarity for h in hits]
    assert similarities == sorted(similarities, reverse=True)
    assert hits[0].vector_id == "zh-1::q0@a" and hits[0].content_hash == "a"
    assert hits[0].similarity == pytest.approx(1 / np.sqrt(1.01), abs=1e-4)


def test_languages_choose_partitions_and_other_tags_are_filtered_in_theirs(store) -> None:
    assert {h.partition for h in store.query(QUERY, 5, languages=["zh"])} == {"zh"}
    assert [h.unit_id for h in store.query(QUERY, 5, languages=["ko"])] == ["ko-1"]
    mixed = store.query(QUERY, 5, languages=["en", "ja"])
    assert {h.unit_id for h in mixed} == {"en-1", "en-2", "ja-1"}
    fees = store.query(QUERY, 5, {"category": {"$in": ["fees"]}}, languages=["ja", "ko"])
    assert [h.unit_id for h in fees] == ["ja-1"]


def test_delete_removes_ids_whatever_their_partition(store) -> None:
    store.delete(["zh-1::q0@a", "en-2::q0@e", "ja-1::q0@f", "never-stored::q0@x"])
    assert store.counts() == {"kb-t-zh": 2, "kb-t-en": 1, "kb-t-other": 1}
    assert "zh-1" not in {h.unit_id for h in store.query(QUERY, 5)}


def test_reopened_store_finds_what_an_earlier_one_wrote(store, tmp_path, e5) -> None:
    reopened = PartitionedVectorStore(open_chroma_client(path=tmp_path / "chroma"), "kb-t", e5)
    assert reopened.counts() == store.counts()
    assert reopened.query(QUERY, 1, languages=["en"])[0].unit_id == "en-1"


def _spread_store(tmp_path: Path, e5, monkeypatch, breadth: int) -> tuple:
    monkeypatch.setattr(vectorstore, "SEARCH_BREADTH", breadth)
    rng = np.random.default_rng(7)
    # Near-uniform in 48 dimensions: the hardest shape for a graph search.
    matrix = unit_vectors(*rng.normal(size=(3000, 48)).tolist())
    store = PartitionedVectorStore(open_chroma_client(path=tmp_path / "spread"), "kb-s", e5)
    ids = [f"zh-{i}::q0@h{i}" for i in range(len(matrix))]
    store.add(ids, matrix, [{"lang": "zh"}] * len(ids))
    return store, ids, matrix, unit_vectors(*rng.normal(size=(40, 48)).tolist())


def _searches_missing_an_exact_neighbour(store, ids, matrix, queries) -> int:
    missing = 0
    for query in queries:
        exact = {ids[i] for i in np.argsort(-(matrix @ query))[:20]}
        found = {hit.vector_id for hit in store.query(query, 20, languages=["zh"])}
        missing += bool(exact - found)
    return missing


def test_searches_find_the_exact_nearest_vectors(tmp_path, e5, monkeypatch) -> None:
    ours = vectorstore.SEARCH_BREADTH
    narrow = _spread_store(tmp_path / "narrow", e5, monkeypatch, 100)
    assert _searches_missing_an_exact_neighbour(*narrow) > 0  # Chroma's default misses some
    wide = _spread_store(tmp_path / "wide", e5, monkeypatch, ours)
    assert _searches_missing_an_exact_neighbour(*wide) == 0


def test_a_collection_made_with_another_breadth_is_searched_with_ours(tmp_path, e5) -> None:
    client = open_chroma_client(path=tmp_path / "chroma")
    # As collections were made before the breadth was set: Chroma's default.
    client.create_collection(
        "kb-old-zh",
        embedding_function=vectorstore._embedding_function_class()(e5),
        metadata={"hnsw:space": "cosine"},
    )
    reopened = PartitionedVectorStore(client, "kb-old", e5)
    assert reopened.partitions["zh"].search_breadth() == vectorstore.SEARCH_BREADTH
