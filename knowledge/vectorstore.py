"""The Chroma vector store: on disk by default, or a Chroma server by URL.

Vectors are partitioned by language, one Chroma collection each
(``<name>-zh``, ``<name>-en``, and ``<name>-other`` for any other tag), so a
search can take the best matches of every language with plain HNSW queries.
E5 ranks other-language matches far below same-language ones; one shared
collection would need a metadata filter per language, and the cost of Chroma's
filtered queries grows with the collection (two took about 320 ms at 100k
vectors, one plain query 2.4 ms).

Vectors are always computed by our own embedder and passed in explicitly;
every collection is bound to :class:`OwnEmbeddingFunction` so Chroma never
falls back to its default (downloading) model. Chroma's exceptions are
translated to :class:`VectorStoreError` here, where they enter.

HNSW search is approximate, and which neighbours it misses depends on the order in
which vectors were added: with Chroma's default breadth (``ef_search`` 100), on a
fresh index of the sample knowledge base, it missed at least one of the exact 20
nearest vectors for 73 of 694 evaluation questions, mostly questions in the other
language, whose vectors lie far from the partition's. Every collection is searched
with :data:`SEARCH_BREADTH`, which found all of them (2.2 ms -> 2.7 ms a query,
median); collections made with another breadth are brought to it when opened.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

import numpy as np

from knowledge.embedders import TextEmbedder
from knowledge.errors import VectorStoreError
from knowledge.private_files import private_dir


@contextmanager
def _translated(action: str) -> Iterator[None]:
    try:
        yield
    except VectorStoreError:
        raise
    except Exception as exc:  # chromadb raises many unrelated types; all mean the same to callers
        raise VectorStoreError(f"Chroma failed to {action}: {type(exc).__name__}: {exc}") from exc


class _DetachedEmbedder:
    """Stands in for the embedder when Chroma rebuilds the function from its stored config."""

    def __init__(self, model_id: str) -> None:
        self.model_id = model_id
        self.dimension = 0

    def encode_questions(self, texts: Sequence[str]) -> Any:
        raise VectorStoreError(f"reopen the collection with the {self.model_id} embedder passed")

    encode_passages = encode_questions


@lru_cache(maxsize=1)
def _embedding_function_class() -> type:
    """Defined on first use so importing this module does not import chromadb."""
    from chromadb.api.types import Documents, EmbeddingFunction, Embeddings

    class OwnEmbeddingFunction(EmbeddingFunction[Documents]):
        """Routes Chroma's embedding calls to our embedder (passages and questions)."""

        def __init__(self, inner: TextEmbedder) -> None:
            self._inner = inner

        def __call__(self, input: Documents) -> Embeddings:
            return list(self._inner.encode_passages(list(input)))

        def embed_query(self, input: Documents) -> Embeddings:
            return list(self._inner.encode_questions(list(input)))

        @staticmethod
        def name() -> str:
            return "brokerdesk"

        def get_config(self) -> dict[str, Any]:
            return {"model_id": self._inner.model_id}

        @staticmethod
        def build_from_config(config: dict[str, Any]) -> OwnEmbeddingFunction:
            return OwnEmbeddingFunction(_DetachedEmbedder(str(config.get("model_id", "?"))))

        def default_space(self) -> Any:
            return "cosine"

    return OwnEmbeddingFunction


PARTITION_LANGUAGES = ("zh", "en")
OTHER_PARTITION = "other"
Metadata = dict[str, str | int | float | bool]


@dataclass(frozen=True)
class VectorHit:
    vector_id: str
    unit_id: str
    content_hash: str = field(metadata={"doc": "first 12 hex digits of the unit's content hash"})
    similarity: float = 0.0
    partition: str = field(default="", metadata={"doc": "zh, en or other: where it was found"})


class VectorStore(Protocol):
    """What the knowledge base needs from a vector store."""

    def count(self) -> int:
        """Vectors stored, orphans included."""
        ...

    def counts(self) -> dict[str, int]:
        """Vectors per Chroma collection."""
        ...

    def forget_counts(self) -> None:
        """Count again on the next call: another process or host wrote."""
        ...

    def add(
        self, ids: Sequence[str], vectors: np.ndarray[Any, Any], metadatas: Sequence[Metadata]
    ) -> None:
        """Store vectors under the given ids; each metadata has at least ``lang``."""
        ...

    def delete(self, ids: Sequence[str]) -> None:
        """Remove these ids; unknown ids are ignored."""
        ...

    def all_ids(self) -> set[str]:
        """Every stored id, for sweeping orphans."""
        ...

    def vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray[Any, Any]]:
        """The stored vectors of these ids; unknown ids are left out."""
        ...

    def query(
        self,
        vector: np.ndarray[Any, Any],
        n: int,
        where: dict[str, Any] | None = None,
        languages: Sequence[str] | None = None,
    ) -> list[VectorHit]:
        """Nearest vectors by cosine, best first; ``languages`` restricts by ``lang``."""
        ...


def partition_of(language: str) -> str:
    """The partition a unit's ``lang`` tag lives in: ``zh``, ``en`` or ``other``."""
    return language if language in PARTITION_LANGUAGES else OTHER_PARTITION


def partition_collections(name: str) -> dict[str, str]:
    """partition → Chroma collection name, for a knowledge base's collection ``name``."""
    return {p: f"{name}-{p}" for p in (*PARTITION_LANGUAGES, OTHER_PARTITION)}


def parse_vector_id(value: str) -> tuple[str, str]:
    """(unit id, content hash prefix) of an id ``<unit id>::<variant>@<hash prefix>``.

    The knowledge base names vectors this way (see ``KnowledgeBase._embed``).
    """
    head, _, digest = value.rpartition("@")
    unit_id, _, _ = head.rpartition("::")
    return unit_id, digest


def open_chroma_client(*, path: Path | None = None, url: str | None = None) -> Any:
    """A persistent client on ``path``, or an HTTP client for a ``chroma run`` server at ``url``."""
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False)
    with _translated("connect"):
        if url:
            parsed = urlparse(url)
            client = chromadb.HttpClient(
                host=parsed.hostname or "127.0.0.1",
                port=parsed.port or (443 if parsed.scheme == "https" else 8000),
                ssl=parsed.scheme == "https",
                settings=settings,
            )
            client.heartbeat()
            return client
        if path is None:
            raise VectorStoreError("either a path or a url is needed for Chroma")
        private_dir(path)
        return chromadb.PersistentClient(path=str(path), settings=settings)


SEARCH_BREADTH = 1000
"""HNSW ``ef_search``: candidates kept while searching (see the module's docstring)."""


class ChromaVectorStore:
    """One Chroma collection of unit vectors, cosine space."""

    def __init__(
        self, client: Any, collection_name: str, embedder: TextEmbedder, *, partition: str = ""
    ) -> None:
        self.name = collection_name
        self.partition = partition
        with _translated(f"open collection {collection_name!r}"):
            self._collection = client.get_or_create_collection(
                name=collection_name,
                embedding_function=_embedding_function_class()(embedder),
                configuration={"hnsw": {"space": "cosine", "ef_search": SEARCH_BREADTH}},
            )
            # Before the first query, which loads the index with the breadth it then has.
            if self.search_breadth() != SEARCH_BREADTH:
                self._collection.modify(configuration={"hnsw": {"ef_search": SEARCH_BREADTH}})
        self._batch = int(getattr(client, "get_max_batch_size", lambda: 5000)())
        self._count: int | None = None  # cached: asked on every query, changed only by writes

    def search_breadth(self) -> int:
        return int(self._collection.configuration_json["hnsw"]["ef_search"])

    def forget_counts(self) -> None:
        self._count = None

    def count(self) -> int:
        if self._count is None:
            with _translated("count vectors"):
                self._count = int(self._collection.count())
        return self._count

    def add(
        self,
        ids: Sequence[str],
        vectors: np.ndarray[Any, Any],
        metadatas: Sequence[Metadata],
    ) -> None:
        self._count = None
        with _translated("add vectors"):
            for start in range(0, len(ids), self._batch):
                end = start + self._batch
                self._collection.add(
                    ids=list(ids[start:end]),
                    embeddings=vectors[start:end],
                    metadatas=list(metadatas[start:end]),
                )

    def delete(self, ids: Sequence[str]) -> None:
        if not ids:
            return
        self._count = None
        with _translated("delete vectors"):
            for start in range(0, len(ids), self._batch):
                self._collection.delete(ids=list(ids[start : start + self._batch]))

    def all_ids(self) -> set[str]:
        with _translated("list vectors"):
            return set(self._collection.get(include=[])["ids"])

    def vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray[Any, Any]]:
        found: dict[str, np.ndarray[Any, Any]] = {}
        with _translated("read vectors"):
            for start in range(0, len(ids), self._batch):
                result = self._collection.get(
                    ids=list(ids[start : start + self._batch]), include=["embeddings"]
                )
                for vector_id, vector in zip(result["ids"], result["embeddings"], strict=True):
                    found[vector_id] = np.asarray(vector, dtype=np.float32)
        return found

    def query(
        self, vector: np.ndarray[Any, Any], n: int, where: dict[str, Any] | None = None
    ) -> list[VectorHit]:
        n = min(n, self.count())
        if n <= 0:
            return []
        with _translated("query"):
            result = self._collection.query(
                query_embeddings=vector.reshape(1, -1),
                n_results=n,
                where=where or None,
                # Metadata would double the query's cost; the id carries what we need.
                include=["distances"],
            )
        hits = []
        for vector_id, distance in zip(result["ids"][0], result["distances"][0], strict=True):
            unit_id, content_hash = parse_vector_id(vector_id)
            hits.append(
                VectorHit(vector_id, unit_id, content_hash, 1.0 - float(distance), self.partition)
            )
        return hits


@lru_cache(maxsize=1)
def _partition_pool() -> ThreadPoolExecutor:
    """The threads that search a query's language partitions side by side (made on first use)."""
    return ThreadPoolExecutor(max_workers=4, thread_name_prefix="partition-search")


class PartitionedVectorStore:
    """A knowledge base's vectors, one :class:`ChromaVectorStore` per language partition.

    Writes are routed by each vector's ``lang`` metadata; deletes, ids and counts span
    every partition. A query runs one HNSW search per partition it needs, each for its
    own ``n`` best, so no language crowds another out, and merges them best first.
    Partitions that hold nothing (as last counted by this process) are skipped.
    """

    def __init__(self, client: Any, name: str, embedder: TextEmbedder) -> None:
        self.name = name
        self.partitions = {
            partition: ChromaVectorStore(client, collection, embedder, partition=partition)
            for partition, collection in partition_collections(name).items()
        }

    def count(self) -> int:
        return sum(store.count() for store in self.partitions.values())

    def counts(self) -> dict[str, int]:
        """Chroma collection name → vectors in it."""
        return {store.name: store.count() for store in self.partitions.values()}

    def forget_counts(self) -> None:
        for store in self.partitions.values():
            store.forget_counts()

    def add(
        self, ids: Sequence[str], vectors: np.ndarray[Any, Any], metadatas: Sequence[Metadata]
    ) -> None:
        rows: dict[str, list[int]] = {}
        for row, metadata in enumerate(metadatas):
            rows.setdefault(partition_of(str(metadata["lang"])), []).append(row)
        for partition, selected in rows.items():
            self.partitions[partition].add(
                [ids[r] for r in selected], vectors[selected], [metadatas[r] for r in selected]
            )

    def delete(self, ids: Sequence[str]) -> None:
        # The ids do not say their language; deleting an absent id is a no-op in Chroma.
        for store in self.partitions.values():
            store.delete(ids)

    def all_ids(self) -> set[str]:
        return set().union(*(store.all_ids() for store in self.partitions.values()))

    def vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray[Any, Any]]:
        found: dict[str, np.ndarray[Any, Any]] = {}
        for store in self.partitions.values():
            if store.count():
                found |= store.vectors(ids)
        return found

    def query(
        self,
        vector: np.ndarray[Any, Any],
        n: int,
        where: dict[str, Any] | None = None,
        languages: Sequence[str] | None = None,
    ) -> list[VectorHit]:
        """Up to ``n`` hits from each partition searched, merged by similarity.

        ``where`` should not filter on ``lang``: pass ``languages`` instead, which picks
        the partitions (``zh``/``en`` then need no filter; only tags in the ``other``
        partition are filtered there).
        """
        searched = [
            (self.partitions[partition], partition_where)
            for partition, partition_where in self._plan(where, languages)
            if self.partitions[partition].count()
        ]

        def search(planned: tuple[ChromaVectorStore, dict[str, Any] | None]) -> list[VectorHit]:
            return planned[0].query(vector, n, planned[1])

        # The partitions' searches wait mostly in Chroma's native code: side by side they take
        # about the time of one (7.0 against 10.2 ms for two, 2026-12-07, 2 cores).
        found = (
            _partition_pool().map(search, searched) if len(searched) > 1 else map(search, searched)
        )
        hits = [hit for part in found for hit in part]
        hits.sort(key=lambda hit: hit.similarity, reverse=True)
        return hits

    def _plan(
        self, where: dict[str, Any] | None, languages: Sequence[str] | None
    ) -> list[tuple[str, dict[str, Any] | None]]:
        if languages is None:
            return [(partition, where) for partition in self.partitions]
        wanted = list(dict.fromkeys(languages))
        plan: list[tuple[str, dict[str, Any] | None]] = [
            (language, where) for language in PARTITION_LANGUAGES if language in wanted
        ]
        others = [language for language in wanted if partition_of(language) == OTHER_PARTITION]
        if others:
            clause: dict[str, Any] = {"lang": {"$in": others}}
            plan.append((OTHER_PARTITION, {"$and": [where, clause]} if where else clause))
        return plan
