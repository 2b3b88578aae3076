"""A knowledge base on disk: ingest sources, keep vectors and keywords in step, answer searches.

Layout of a knowledge-base directory::

    KB_DIR/manifest.sqlite   sources, units, tokens, vector ids, embedder and layout record
    KB_DIR/chroma/           the persistent Chroma store (unless a Chroma URL is used):
                             collections <name>-zh, <name>-en, <name>-other, by unit language

Writes are ordered so that nothing half-written is ever visible: new vectors
are added under fresh ids (the unit's content hash is part of the id), then
the manifest switches to them in one transaction, then old vectors are
deleted. A failure before the switch removes the new vectors again; a failure
after it leaves only orphans, which searches ignore and the next ingest sweeps.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, Field

from knowledge.documents import KnowledgeUnit, UnitKind, VectorRole
from knowledge.embedders import TextEmbedder
from knowledge.errors import (
    EmbedderMismatchError,
    IndexLayoutError,
    KnowledgeBaseOutOfStepError,
    KnowledgeError,
    SourceError,
    UnknownSourceError,
)
from knowledge.keyword import KeywordIndex, tokenize
from knowledge.loaders import DEFAULT_MAX_BYTES, SUPPORTED_SUFFIXES, load_source
from knowledge.manifest import Manifest, ManifestStore, UnitRecord
from knowledge.vectorstore import (
    PartitionedVectorStore,
    VectorStore,
    open_chroma_client,
    partition_collections,
)

if TYPE_CHECKING:
    from knowledge.shared_manifest import SharedManifest

EMBED_BATCH = 64
# Recorded in the manifest; an index with units but no record has the single-collection layout.
VECTOR_LAYOUT = "language-partitions/1"
CONTENT_VERSION = "content_version"
ProgressCallback = Callable[[int], None]


class SearchFilters(BaseModel):
    """Metadata filters; every given field must match."""

    category: list[str] | None = None
    lang: list[str] | None = None
    product: list[str] | None = None
    kind: list[UnitKind] | None = None
    updated_since: date | None = None

    def chroma_where(self, *, with_lang: bool = True) -> dict[str, Any] | None:
        """The Chroma ``where`` for these filters, or None when nothing is filtered.

        Without ``with_lang`` the language is left out: the vector store picks its
        language partitions from ``lang`` instead of filtering on it.
        """
        clauses: list[dict[str, Any]] = []
        for name in ("category", "lang", "product", "kind") if with_lang else _NON_LANG:
            values = getattr(self, name)
            if values:
                clauses.append({name: {"$in": [str(v) for v in values]}})
        if self.updated_since:
            clauses.append({"updated_at": {"$gte": _day_number(self.updated_since)}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


_NON_LANG = ("category", "product", "kind")


def _day_number(day: date | None) -> int:
    return int(day.strftime("%Y%m%d")) if day else 0


class IngestReport(BaseModel):
    """What an ingest did, for the summary line and for tests."""

    files: int = 0
    entries: int = Field(0, description="FAQ entries now indexed from the files seen")
    chunks: int = Field(0, description="document chunks now indexed from the files seen")
    embedded: int = Field(0, description="vectors computed in this run")
    unchanged: int = Field(0, description="units whose content had not changed")
    skipped_files: int = Field(0, description="files whose bytes had not changed")
    removed: int = Field(0, description="units removed because their rows or chunks are gone")
    failed: list[str] = Field(
        default_factory=list, description="one message per failed file or row"
    )


@dataclass
class _Plan:
    source: str
    file_hash: str
    units: list[KnowledgeUnit]
    to_embed: list[KnowledgeUnit]
    removed: list[str]
    old_vectors: list[str]
    reordered: list[KnowledgeUnit] = field(default_factory=list)


def discover(paths: Iterable[Path]) -> list[tuple[Path, str]]:
    """Files to ingest with their source ids: paths relative to a given folder, or the file name."""
    found: list[tuple[Path, str]] = []
    for path in paths:
        if path.is_dir():
            for file in sorted(path.rglob("*")):
                if file.is_file() and file.suffix.lower() in SUPPORTED_SUFFIXES:
                    found.append((file, file.relative_to(path).as_posix()))
        else:
            found.append((path, path.name))
    return found


class KnowledgeBase:
    """Everything under one knowledge-base directory, opened with one embedder."""

    def __init__(
        self,
        directory: Path,
        embedder: TextEmbedder,
        *,
        chroma_url: str | None = None,
        collection: str | None = None,
        shared_manifest: str | None = None,
        max_source_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        """``shared_manifest``: a PostgreSQL URL where the manifest lives for every host
        (with ``chroma_url``); its rows are keyed by the collection name, which is then
        ``collection`` or ``kb-<directory name>``, the same on every host."""
        self.directory = directory
        self.embedder = embedder
        self.max_source_bytes = max_source_bytes
        self.manifest: ManifestStore = (
            _shared_manifest(shared_manifest, shared_name(directory, collection))
            if shared_manifest
            else Manifest(directory / "manifest.sqlite")
        )
        self._check_embedder()
        self._check_layout()
        name = (
            collection
            or self.manifest.get_meta("collection")
            or (shared_name(directory, None) if shared_manifest else _collection_name(directory))
        )
        self._vectors_at = f"the Chroma server at {chroma_url}" if chroma_url else "local Chroma"
        client = (
            open_chroma_client(url=chroma_url)
            if chroma_url
            else open_chroma_client(path=directory / "chroma")
        )
        self.vectors: VectorStore = PartitionedVectorStore(client, name, embedder)
        self.manifest.set_meta("collection", name)
        self.keywords = KeywordIndex()
        self._lock = threading.RLock()
        self._unit_ids: list[str] = []
        self._attributes: dict[str, np.ndarray[Any, Any]] = {}
        self._loaded_version = ""
        self._reload_keywords()

    @staticmethod
    def erase(
        directory: Path,
        *,
        chroma_url: str | None = None,
        shared_manifest: str | None = None,
        collection: str | None = None,
    ) -> None:
        """Delete a knowledge base: its manifest, its local Chroma store, its server collection."""
        manifest_path = directory / "manifest.sqlite"
        name: str | None = None
        if shared_manifest:
            shared = _shared_manifest(shared_manifest, shared_name(directory, collection))
            name = shared.get_meta("collection")
            shared.clear()
            shared.close()
        elif manifest_path.exists():
            manifest = Manifest(manifest_path)
            name = manifest.get_meta("collection")
            manifest.close()
        if name and chroma_url:
            client = open_chroma_client(url=chroma_url)
            # The partitions, and the single collection of the layout before them.
            for partition in (*partition_collections(name).values(), name):
                with contextlib.suppress(Exception):  # absent collection: nothing to delete
                    client.delete_collection(partition)
        for leftover in ("manifest.sqlite", "manifest.sqlite-wal", "manifest.sqlite-shm"):
            (directory / leftover).unlink(missing_ok=True)
        shutil.rmtree(directory / "chroma", ignore_errors=True)

    def close(self) -> None:
        self.manifest.close()

    def _check_embedder(self) -> None:
        recorded = self.manifest.get_meta("embedder")
        if recorded is None:
            self.manifest.set_meta("embedder", self.embedder.model_id)
            self.manifest.set_meta("dimension", str(self.embedder.dimension))
        elif recorded != self.embedder.model_id:
            raise EmbedderMismatchError(
                f"the knowledge base at {self.directory} was built with {recorded}, but the "
                f"configured embedder is {self.embedder.model_id}; vectors of different models "
                "cannot be mixed. Rebuild it: "
                f"assistant ingest SOURCES --kb {self.directory} --rebuild"
            )

    def _check_layout(self) -> None:
        recorded = self.manifest.get_meta("vector_layout")
        if recorded == VECTOR_LAYOUT:
            return
        if recorded is None and not self.manifest.has_units():
            self.manifest.set_meta("vector_layout", VECTOR_LAYOUT)
            return
        built = "one Chroma collection for all languages" if recorded is None else recorded
        raise IndexLayoutError(
            f"the knowledge base at {self.directory} was built with {built}; this version "
            f"keeps one collection per language ({VECTOR_LAYOUT}) and cannot search it. "
            f"Rebuild it: assistant ingest SOURCES --kb {self.directory} --rebuild"
        )

    def check_in_step(self) -> None:
        """Raise :class:`KnowledgeBaseOutOfStepError` when the manifest and the vectors
        disagree so that searches would silently find less: the manifest lists vectors
        the store does not hold, or the store holds vectors this manifest knows nothing of
        (another host's local manifest, with the vectors on a shared Chroma server)."""
        self.vectors.forget_counts()
        listed = len(self.manifest.vector_ids())
        stored = self.vectors.count()
        if listed > stored:
            raise KnowledgeBaseOutOfStepError(
                f"the manifest ({self.manifest.where}) lists {listed} vectors but "
                f"{self._vectors_at} holds {stored}: this process sees another vector store "
                "than the one its knowledge base was built in. Point BROKERDESK_CHROMA_URL and "
                "BROKERDESK_CHROMA_COLLECTION where it was built, or re-ingest with --rebuild"
            )
        if listed == 0 and stored > 0:
            raise KnowledgeBaseOutOfStepError(
                f"{self._vectors_at} holds {stored} vectors of this knowledge base, but its "
                f"manifest ({self.manifest.where}) lists none: the knowledge base was built "
                "from another host. Several hosts share one manifest in PostgreSQL: set "
                "BROKERDESK_DATABASE_URL to the deployment's PostgreSQL database"
            )

    def refresh(self) -> bool:
        """Reload the keyword index if the content changed since it was loaded (an ingest
        in another process, or on another host); whether it did."""
        if self.version == self._loaded_version:
            return False
        self.vectors.forget_counts()
        self._reload_keywords()
        return True

    def _reload_keywords(self) -> None:
        version = self.version
        ids: list[str] = []
        tokens: list[list[str]] = []
        columns: dict[str, list[Any]] = {
            n: [] for n in ("category", "lang", "product", "kind", "updated_at")
        }
        for unit, unit_tokens in self.manifest.all_units():
            ids.append(unit.id)
            tokens.append(unit_tokens)
            columns["category"].append(unit.category)
            columns["lang"].append(unit.lang)
            columns["product"].append(unit.product)
            columns["kind"].append(unit.kind.value)
            columns["updated_at"].append(_day_number(unit.updated_at))
        with self._lock:
            self.keywords.build(ids, tokens)
            self._loaded_version = version
            self._unit_ids = ids
            self._attributes = {
                name: np.asarray(values, dtype=np.int64 if name == "updated_at" else object)
                for name, values in columns.items()
            }

    def keyword_mask(
        self, filters: SearchFilters | None
    ) -> np.ndarray[Any, np.dtype[np.bool_]] | None:
        """Per-unit mask in keyword-index order for these filters, or None when unfiltered."""
        if filters is None or filters.chroma_where() is None:
            return None
        with self._lock:
            mask = np.ones(len(self._unit_ids), dtype=bool)
            for name in ("category", "lang", "product", "kind"):
                values = getattr(filters, name)
                if values:
                    mask &= np.isin(self._attributes[name], [str(v) for v in values])
            if filters.updated_since:
                mask &= self._attributes["updated_at"] >= _day_number(filters.updated_since)
        return mask

    def units(self, unit_ids: list[str]) -> dict[str, KnowledgeUnit]:
        with self._lock:
            return self.manifest.units(unit_ids)

    def all_units(self) -> list[KnowledgeUnit]:
        """Every unit in the knowledge base, in ingest order (for reports such as freshness)."""
        with self._lock:
            return [unit for unit, _ in self.manifest.all_units()]

    def content_hashes(self, unit_ids: list[str]) -> dict[str, str]:
        """unit id → current content hash: cheap, for telling live vectors from orphans."""
        with self._lock:
            return self.manifest.content_hashes(unit_ids)

    def __len__(self) -> int:
        return len(self._unit_ids)

    def stats(self) -> dict[str, Any]:
        sources = self.manifest.sources()
        kinds = self._attributes.get("kind", np.asarray([], dtype=object))
        langs = self._attributes.get("lang", np.asarray([], dtype=object))
        expected = self.manifest.vector_ids()
        stored = self.vectors.count()
        return {
            "directory": str(self.directory),
            "embedder": self.manifest.get_meta("embedder"),
            "collection": self.manifest.get_meta("collection"),
            "sources": len(sources),
            "units": len(self._unit_ids),
            "faq_entries": int((kinds == UnitKind.FAQ.value).sum()),
            "chunks": int((kinds == UnitKind.CHUNK.value).sum()),
            "languages": {str(k): int((langs == k).sum()) for k in sorted(set(langs.tolist()))},
            "vectors": stored,
            "vectors_by_collection": self.vectors.counts(),
            "orphan_vectors": max(0, stored - len(expected)),
            "per_source": [{"source": s, "ingested_at": t, "units": n} for s, t, n in sources],
        }

    def ingest(
        self,
        paths: Sequence[Path],
        *,
        on_plan: Callable[[int], None] | None = None,
        on_progress: ProgressCallback | None = None,
        prune: bool = False,
    ) -> IngestReport:
        """Index the given files and folders. Unchanged content embeds nothing.

        ``on_plan`` receives the number of vectors to embed once known, and
        ``on_progress`` the number just embedded, for a progress bar. With
        ``prune``, sources that no longer exist under the given folders are removed.
        """
        with self.manifest.writer():
            self.vectors.forget_counts()  # another host may have written before the lock
            return self._ingest(paths, on_plan, on_progress, prune)

    def _ingest(
        self,
        paths: Sequence[Path],
        on_plan: Callable[[int], None] | None,
        on_progress: ProgressCallback | None,
        prune: bool,
    ) -> IngestReport:
        report = IngestReport()
        plans: list[_Plan] = []
        seen_sources: set[str] = set()
        claimed: dict[str, str] = {}  # unit id → source, across the files of this run
        for path, source in discover(paths):
            report.files += 1
            seen_sources.add(source)
            try:
                plan = self._plan(path, source, report, claimed)
            except SourceError as exc:
                report.failed.append(exc.message)
                continue
            if plan is not None:
                plans.append(plan)
        if on_plan:
            on_plan(sum(len(u.vector_texts()) for p in plans for u in p.to_embed))
        for plan in plans:
            self._apply(plan, report, on_progress)
        if prune:
            for source, _, _ in self.manifest.sources():
                if source not in seen_sources:
                    report.removed += self._delete(source)
        self._sweep_orphans()
        if plans or report.removed:
            self._content_changed()
        self._reload_keywords()
        return report

    def _plan(
        self, path: Path, source: str, report: IngestReport, claimed: dict[str, str]
    ) -> _Plan | None:
        try:
            if path.stat().st_size > self.max_source_bytes:
                load_source(path, source, max_bytes=self.max_source_bytes)  # raises the size error
            digest = _file_hash(path)
        except OSError as exc:
            raise SourceError(source, f"cannot read file: {exc.strerror or exc}") from exc
        existing = self.manifest.units_of(source)
        if self.manifest.source_hash(source) == digest:
            claimed.update(dict.fromkeys(existing, source))
            report.skipped_files += 1
            report.unchanged += len(existing)
            self._count_kinds(source, report)
            return None
        loaded = load_source(path, source, max_bytes=self.max_source_bytes)
        report.failed.extend(e.message for e in loaded.row_errors)
        owners = self.manifest.owners([u.id for u in loaded.units])
        units: list[KnowledgeUnit] = []
        for unit in loaded.units:
            owner = claimed.get(unit.id) or owners.get(unit.id, source)
            if owner != source:
                report.failed.append(
                    f"{source}: id {unit.id!r} already belongs to {owner}; row skipped"
                )
                continue
            claimed[unit.id] = source
            units.append(unit)
        to_embed = [
            u
            for u in units
            if existing.get(u.id) is None or existing[u.id].content_hash != u.content_hash
        ]
        changed_ids = {u.id for u in to_embed}
        kept_ids = {u.id for u in units}
        removed = [i for i in existing if i not in kept_ids]
        old_vectors = [
            v
            for i, s in existing.items()
            if i in changed_ids or i not in kept_ids
            for v in s.vector_ids
        ]
        report.unchanged += len(units) - len(to_embed)
        for unit in units:
            if unit.kind is UnitKind.FAQ:
                report.entries += 1
            else:
                report.chunks += 1
        reordered = [u for u in units if u.id not in changed_ids]
        return _Plan(source, digest, units, to_embed, removed, old_vectors, reordered)

    def _count_kinds(self, source: str, report: IngestReport) -> None:
        counts = self.manifest.kind_counts(source)
        report.entries += counts.get(UnitKind.FAQ.value, 0)
        report.chunks += counts.get(UnitKind.CHUNK.value, 0)

    def _embed(
        self, units: list[KnowledgeUnit], on_progress: ProgressCallback | None
    ) -> tuple[list[str], np.ndarray[Any, Any], list[dict[str, Any]]]:
        ids: list[str] = []
        metadatas: list[dict[str, Any]] = []
        texts: dict[VectorRole, list[tuple[int, str]]] = {
            VectorRole.QUESTION: [],
            VectorRole.PASSAGE: [],
        }
        for unit in units:
            for vector_id, role, text in unit.vector_texts():
                texts[role].append((len(ids), text))
                ids.append(f"{vector_id}@{unit.content_hash[:12]}")
                metadatas.append(
                    {
                        "unit_id": unit.id,
                        "content_hash": unit.content_hash,
                        "source": unit.source,
                        "kind": unit.kind.value,
                        "role": role.value,
                        "category": unit.category,
                        "lang": unit.lang,
                        "product": unit.product,
                        "updated_at": _day_number(unit.updated_at),
                    }
                )
        matrix = np.zeros((len(ids), self.embedder.dimension), dtype=np.float32)
        for role, items in texts.items():
            encode = (
                self.embedder.encode_questions
                if role is VectorRole.QUESTION
                else self.embedder.encode_passages
            )
            for start in range(0, len(items), EMBED_BATCH):
                batch = items[start : start + EMBED_BATCH]
                matrix[[i for i, _ in batch]] = encode([t for _, t in batch])
                if on_progress:
                    on_progress(len(batch))
        return ids, matrix, metadatas

    def _apply(
        self, plan: _Plan, report: IngestReport, on_progress: ProgressCallback | None
    ) -> None:
        ids, matrix, metadatas = self._embed(plan.to_embed, on_progress)
        report.embedded += len(ids)
        by_unit: dict[str, list[str]] = {}
        for vector_id, meta in zip(ids, metadatas, strict=True):
            by_unit.setdefault(meta["unit_id"], []).append(vector_id)
        records = [
            UnitRecord(u, tokenize(u.keyword_text()), by_unit.get(u.id, [])) for u in plan.to_embed
        ]
        try:
            self.vectors.add(ids, matrix, metadatas)
            self.manifest.replace_source(
                plan.source, plan.file_hash, records, plan.removed, plan.reordered
            )
        except KnowledgeError as exc:
            self._discard(ids)
            report.failed.append(f"{plan.source}: not indexed, nothing changed ({exc.message})")
            return
        except Exception as exc:  # roll the vectors back, then let the caller see the real error
            self._discard(ids)
            raise KnowledgeError(f"{plan.source}: ingest aborted, nothing changed ({exc})") from exc
        report.removed += len(plan.removed)
        self._discard(plan.old_vectors)

    def _discard(self, vector_ids: list[str]) -> None:
        # Orphans are ignored by searches and swept by the next ingest.
        with contextlib.suppress(KnowledgeError):
            self.vectors.delete(vector_ids)

    def _sweep_orphans(self) -> None:
        """Delete vectors the manifest does not point to; retried by every ingest."""
        with contextlib.suppress(KnowledgeError):
            expected = self.manifest.vector_ids()
            if self.vectors.count() > len(expected):
                self._discard(sorted(self.vectors.all_ids() - expected))

    def _delete(self, source: str) -> int:
        existing = self.manifest.units_of(source)
        if self.manifest.source_hash(source) is None:
            raise UnknownSourceError(f"no source {source!r} in {self.directory}")
        vector_ids = self.manifest.delete_source(source)
        self._discard(vector_ids)
        return len(existing)

    def delete_source(self, source: str) -> int:
        """Remove a source and everything indexed from it; returns the number of units removed."""
        with self.manifest.writer():
            removed = self._delete(source)
            self._content_changed()
        self._reload_keywords()
        return removed

    @property
    def version(self) -> str:
        """Changes whenever an ingest or a deletion changes the content, in any process
        (kept in the manifest); what caches of search results are keyed by."""
        with self._lock:
            return self.manifest.get_meta(CONTENT_VERSION) or "0"

    def _content_changed(self) -> None:
        with self._lock:
            self.manifest.set_meta(CONTENT_VERSION, uuid.uuid4().hex)


def _file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _shared_manifest(url: str, name: str) -> SharedManifest:
    """The manifest in PostgreSQL; psycopg loads only for one (0.04 s of a start)."""
    from knowledge.shared_manifest import SharedManifest

    return SharedManifest(url, name)


def shared_name(directory: Path, collection: str | None) -> str:
    """The knowledge base's name on every host: ``collection``, or ``kb-<directory name>``
    (never the absolute path, which differs from host to host)."""
    return collection or f"kb-{directory.name}"


def _collection_name(directory: Path) -> str:
    tag = hashlib.sha1(str(directory.resolve()).encode()).hexdigest()[:10]
    return f"kb-{tag}"
