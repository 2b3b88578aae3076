"""The Chroma vector store: on disk by default, or a Chroma server by URL.

Vectors are always computed by our own embedder and passed in explicitly;
the collection is bound to :class:`OwnEmbeddingFunction` so Chroma never
falls back to its default (downloading) model. Chroma's exceptions are
translated to :class:`VectorStoreError` here, where they enter.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from knowledge.embedders import TextEmbedder
from knowledge.errors import VectorStoreError


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


@dataclass(frozen=True)
class VectorHit:
    vector_id: str
    unit_id: str
    content_hash: str = field(metadata={"doc": "first 12 hex digits of the unit's content hash"})
    similarity: float = 0.0


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
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=settings)


class ChromaVectorStore:
    """One Chroma collection of unit vectors, cosine space."""

    def __init__(self, client: Any, collection_name: str, embedder: TextEmbedder) -> None:
        self._client = client
        with _translated(f"open collection {collection_name!r}"):
            self._collection = client.get_or_create_collection(
                name=collection_name,
                embedding_function=_embedding_function_class()(embedder),
                metadata={"hnsw:space": "cosine"},
            )
        self._batch = int(getattr(client, "get_max_batch_size", lambda: 5000)())
        self._count: int | None = None  # cached: asked on every query, changed only by writes

    def count(self) -> int:
        if self._count is None:
            with _translated("count vectors"):
                self._count = int(self._collection.count())
        return self._count

    def add(
        self,
        ids: Sequence[str],
        vectors: np.ndarray[Any, Any],
        metadatas: Sequence[dict[str, str | int | float | bool]],
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
            hits.append(VectorHit(vector_id, unit_id, content_hash, 1.0 - float(distance)))
        return hits
