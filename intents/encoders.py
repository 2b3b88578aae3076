"""Sentence encoders as the intents package sees them, and an on-disk cache of example embeddings.

The intents package never imports an embedding library: it takes any object
with a ``model_id`` and an ``encode_questions`` method (the knowledge package's
embedders qualify). Catalogue examples are embedded once per model and kept on
disk, so restarting the assistant re-embeds nothing; the shipped catalogue's
vectors come with the code (:class:`ShippedVectors`), so a fresh state directory
embeds only the examples added since they were written.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

Matrix = np.ndarray[Any, np.dtype[np.float32]]


@runtime_checkable
class QuestionEncoder(Protocol):
    """Turns short questions into L2-normalised vectors, one row each."""

    model_id: str

    def encode_questions(self, texts: Sequence[str]) -> np.ndarray[Any, Any]: ...


def normalise_rows(matrix: np.ndarray[Any, Any]) -> Matrix:
    """``float32`` rows of unit length (zero rows stay zero)."""
    matrix = np.asarray(matrix, dtype=np.float32)
    if matrix.ndim == 1:
        matrix = matrix[None, :]
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    normalised: Matrix = matrix / norms
    return normalised


SHIPPED_VECTORS_DIR = Path(__file__).resolve().parent / "catalogue" / "vectors"


class ShippedVectors:
    """Example vectors written at release time, one file per encoder model: text -> vector.

    Looked up per text, so an example added to the catalogue since is the only one
    embedded at start; a file for another model, or none, serves nothing.
    """

    def __init__(self, directory: str | Path = SHIPPED_VECTORS_DIR) -> None:
        self.directory = Path(directory)

    def path(self, model_id: str) -> Path:
        """The file of ``model_id``'s vectors (its name is the model id made file-safe)."""
        slug = "".join(c if c.isalnum() or c in "-." else "_" for c in model_id)
        return self.directory / f"{slug}.npz"

    def table(self, model_id: str) -> dict[str, Matrix]:
        """``model_id``'s shipped vectors by text; empty when none are shipped or readable."""
        path = self.path(model_id)
        if not path.is_file():
            return {}
        try:
            with np.load(path, allow_pickle=False) as stored:
                texts, vectors = stored["texts"], np.asarray(stored["vectors"], np.float32)
                model = str(stored["model_id"])
        except (OSError, ValueError, KeyError):
            return {}
        if model != model_id or len(texts) != len(vectors):
            return {}
        return {str(text): vectors[row] for row, text in enumerate(texts)}

    def write(self, model_id: str, texts: Sequence[str], vectors: Matrix) -> Path:
        """Store ``texts``' ``vectors`` (normalised rows) as ``model_id``'s file."""
        path = self.path(model_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            path,
            model_id=np.asarray(model_id),
            texts=np.asarray(list(texts)),
            vectors=normalise_rows(vectors),
        )
        return path


class EmbeddingCache:
    """Embeds a list of texts with an encoder, keeping the result in ``directory``.

    The key is a hash of the model id and the exact text list, so any change to
    the catalogue or the model is a miss and stale vectors are never served.
    With ``directory=None`` nothing is kept. On a miss, texts found in ``shipped``
    (the vectors that come with the code, for the same model) are taken from
    there and only the rest is embedded.
    """

    def __init__(
        self,
        encoder: QuestionEncoder,
        directory: str | Path | None,
        shipped: ShippedVectors | None = None,
    ) -> None:
        self.encoder = encoder
        self.directory = Path(directory) if directory is not None else None
        self.shipped = shipped
        # How many texts the last :meth:`encode` gave the encoder (0: all from disk).
        self.last_embedded = 0

    def key(self, texts: Sequence[str]) -> str:
        """The cache key for ``texts`` under this encoder's model."""
        payload = json.dumps([self.encoder.model_id, list(texts)], ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]

    def path(self, texts: Sequence[str]) -> Path | None:
        """Where the vectors for ``texts`` are (or would be) stored."""
        if self.directory is None:
            return None
        return self.directory / f"{self.key(texts)}.npy"

    def encode(self, texts: Sequence[str]) -> Matrix:
        """Vectors for ``texts``, from disk when this exact list was embedded before."""
        path = self.path(texts)
        self.last_embedded = 0
        if path is not None and path.is_file():
            cached = _load(path)
            if cached is not None and cached.shape[0] == len(texts):
                return cached
        vectors = self._embed(texts)
        if path is not None:
            _save(path, vectors)
        return vectors

    def _embed(self, texts: Sequence[str]) -> Matrix:
        shipped = self.shipped.table(self.encoder.model_id) if self.shipped else {}
        missing = list(dict.fromkeys(text for text in texts if text not in shipped))
        self.last_embedded = len(missing)
        if len(missing) == len(texts):
            return normalise_rows(self.encoder.encode_questions(list(texts)))
        if missing:
            fresh = normalise_rows(self.encoder.encode_questions(missing))
            shipped = {**shipped, **dict(zip(missing, fresh, strict=True))}
        return np.stack([shipped[text] for text in texts]).astype(np.float32, copy=False)


def _load(path: Path) -> Matrix | None:
    try:
        loaded: Matrix = np.asarray(np.load(path, allow_pickle=False), dtype=np.float32)
        return loaded
    except (OSError, ValueError):
        # A truncated or foreign file is a miss: the vectors are recomputed and rewritten.
        return None


def _save(path: Path, vectors: Matrix) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename, so a concurrent reader never sees half a file.
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".npy.tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            np.save(stream, vectors, allow_pickle=False)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
