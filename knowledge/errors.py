"""Errors raised by the knowledge package.

Every error carries a stable ``code`` (used in CLI output, HTTP bodies and
websocket error frames) so callers can react without parsing messages.
"""

from __future__ import annotations


class KnowledgeError(Exception):
    """Root of every error the knowledge package raises on purpose."""

    code = "knowledge_error"
    http_status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SourceError(KnowledgeError):
    """A source file cannot be read or understood; names the file and, where known, the row."""

    code = "bad_source"
    http_status = 422

    def __init__(self, source: str, reason: str, row: int | None = None) -> None:
        where = f"{source}, row {row}" if row is not None else source
        super().__init__(f"{where}: {reason}")
        self.source = source
        self.row = row
        self.reason = reason


class EmbedderMismatchError(KnowledgeError):
    """The index was built with another embedding model than the one configured."""

    code = "embedder_mismatch"
    http_status = 409


class EmbedderUnavailableError(KnowledgeError):
    """The configured embedding model cannot be loaded (missing directory, bad format)."""

    code = "embedder_unavailable"
    http_status = 503


class VectorStoreError(KnowledgeError):
    """The vector store (Chroma) failed or could not be reached."""

    code = "vector_store_unavailable"
    http_status = 503


class UnknownSourceError(KnowledgeError):
    """A source named for deletion or lookup is not in the index."""

    code = "unknown_source"
    http_status = 404


class IndexLayoutError(KnowledgeError):
    """The index on disk was built with an older layout that this version cannot search."""

    code = "index_layout_outdated"
    http_status = 409


class KnowledgeBaseOutOfStepError(KnowledgeError):
    """The manifest and the vector store disagree (another host's vectors, another Chroma
    server or collection): searching would silently find less, so nothing is searched."""

    code = "knowledge_base_out_of_step"
    http_status = 503


class ManifestUnavailableError(KnowledgeError):
    """The manifest shared in PostgreSQL could not be reached or read."""

    code = "manifest_unavailable"
    http_status = 503
