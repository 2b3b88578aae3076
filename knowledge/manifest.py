"""The knowledge base's own record of what it holds, in SQLite beside the vectors.

It knows every source (with the hash of its bytes), every unit (with the hash
of its content, its tokens for the keyword index, and the ids of its vectors)
and which embedding model built the index. It is the source of truth: a
vector that the manifest does not point to is an orphan and is ignored.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from knowledge.documents import KnowledgeUnit
from knowledge.private_files import private_file

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (
    source TEXT PRIMARY KEY,
    file_hash TEXT NOT NULL,
    ingested_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS units (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL REFERENCES sources(source) ON DELETE CASCADE,
    content_hash TEXT NOT NULL,
    payload TEXT NOT NULL,
    tokens TEXT NOT NULL,
    vector_ids TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS units_by_source ON units(source);
"""


@dataclass(frozen=True)
class StoredUnit:
    id: str
    content_hash: str
    vector_ids: list[str]


@dataclass(frozen=True)
class UnitRecord:
    """What the manifest stores for a unit being written."""

    unit: KnowledgeUnit
    tokens: list[str]
    vector_ids: list[str]


def unit_row(source: str, record: UnitRecord) -> tuple[str, str, str, str, str, str]:
    """A unit as the manifests store it: id, source, content hash, payload, tokens and
    vector ids (JSON text)."""
    return (
        record.unit.id,
        source,
        record.unit.content_hash,
        record.unit.model_dump_json(),
        json.dumps(record.tokens, ensure_ascii=False),
        json.dumps(record.vector_ids),
    )


class ManifestStore(Protocol):
    """What the knowledge base keeps about itself: in SQLite beside the vectors
    (:class:`Manifest`), or in PostgreSQL for many hosts
    (:class:`knowledge.shared_manifest.SharedManifest`)."""

    where: str

    def close(self) -> None: ...

    def writer(self) -> AbstractContextManager[None]:
        """Held for a whole ingest or deletion, so writers never interleave."""
        ...

    def get_meta(self, key: str) -> str | None: ...

    def set_meta(self, key: str, value: str) -> None: ...

    def has_units(self) -> bool: ...

    def source_hash(self, source: str) -> str | None: ...

    def sources(self) -> list[tuple[str, str, int]]: ...

    def units_of(self, source: str) -> dict[str, StoredUnit]: ...

    def kind_counts(self, source: str) -> dict[str, int]: ...

    def owners(self, unit_ids: list[str]) -> dict[str, str]: ...

    def replace_source(
        self,
        source: str,
        file_hash: str,
        written: list[UnitRecord],
        removed: list[str],
        reordered: list[KnowledgeUnit],
    ) -> None: ...

    def delete_source(self, source: str) -> list[str]: ...

    def all_units(self) -> Iterator[tuple[KnowledgeUnit, list[str]]]: ...

    def units(self, unit_ids: list[str]) -> dict[str, KnowledgeUnit]: ...

    def content_hashes(self, unit_ids: list[str]) -> dict[str, str]: ...

    def vector_ids(self) -> set[str]: ...


class Manifest:
    """The manifest in ``KB_DIR/manifest.sqlite``: one host's."""

    def __init__(self, path: Path) -> None:
        private_file(path)  # the knowledge base's source of truth: this user's only
        self.path = path
        self.where = str(path)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def writer(self) -> AbstractContextManager[None]:
        # One host: each write is its own IMMEDIATE transaction, which is enough.
        return nullcontext()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def has_units(self) -> bool:
        return self._db.execute("SELECT 1 FROM units LIMIT 1").fetchone() is not None

    def source_hash(self, source: str) -> str | None:
        row = self._db.execute(
            "SELECT file_hash FROM sources WHERE source = ?", (source,)
        ).fetchone()
        return None if row is None else str(row[0])

    def sources(self) -> list[tuple[str, str, int]]:
        """(source, ingested_at, unit count) for every source."""
        rows = self._db.execute(
            "SELECT s.source, s.ingested_at, COUNT(u.id) FROM sources s "
            "LEFT JOIN units u ON u.source = s.source GROUP BY s.source ORDER BY s.source"
        )
        return [(str(a), str(b), int(c)) for a, b, c in rows]

    def units_of(self, source: str) -> dict[str, StoredUnit]:
        rows = self._db.execute(
            "SELECT id, content_hash, vector_ids FROM units WHERE source = ?", (source,)
        )
        return {r[0]: StoredUnit(r[0], r[1], json.loads(r[2])) for r in rows}

    def kind_counts(self, source: str) -> dict[str, int]:
        rows = self._db.execute(
            "SELECT json_extract(payload, '$.kind'), COUNT(*) FROM units "
            "WHERE source = ? GROUP BY 1",
            (source,),
        )
        return {str(kind): int(n) for kind, n in rows}

    def owners(self, unit_ids: list[str]) -> dict[str, str]:
        """unit id → owning source, for those ids that exist."""
        owners: dict[str, str] = {}
        for start in range(0, len(unit_ids), 500):
            chunk = unit_ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(f"SELECT id, source FROM units WHERE id IN ({marks})", chunk)
            owners.update({str(a): str(b) for a, b in rows})
        return owners

    def replace_source(
        self,
        source: str,
        file_hash: str,
        written: list[UnitRecord],
        removed: list[str],
        reordered: list[KnowledgeUnit],
    ) -> None:
        """Record one source's new state in a single transaction."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self.transaction() as db:
            db.execute(
                "INSERT INTO sources(source, file_hash, ingested_at) VALUES (?, ?, ?) "
                "ON CONFLICT(source) DO UPDATE SET file_hash = excluded.file_hash, "
                "ingested_at = excluded.ingested_at",
                (source, file_hash, now),
            )
            db.executemany("DELETE FROM units WHERE id = ?", [(i,) for i in removed])
            db.executemany(
                "INSERT OR REPLACE INTO units"
                "(id, source, content_hash, payload, tokens, vector_ids) VALUES (?, ?, ?, ?, ?, ?)",
                [unit_row(source, r) for r in written],
            )
            db.executemany(
                "UPDATE units SET payload = ? WHERE id = ?",
                [(u.model_dump_json(), u.id) for u in reordered],
            )

    def delete_source(self, source: str) -> list[str]:
        """Forget a source; returns the vector ids that belonged to it."""
        with self.transaction() as db:
            rows = db.execute("SELECT vector_ids FROM units WHERE source = ?", (source,)).fetchall()
            db.execute("DELETE FROM units WHERE source = ?", (source,))
            db.execute("DELETE FROM sources WHERE source = ?", (source,))
        return [v for (ids,) in rows for v in json.loads(ids)]

    def all_units(self) -> Iterator[tuple[KnowledgeUnit, list[str]]]:
        """Every unit with its tokens, in a stable order."""
        for payload, tokens in self._db.execute("SELECT payload, tokens FROM units ORDER BY rowid"):
            yield KnowledgeUnit.model_validate_json(payload), json.loads(tokens)

    def units(self, unit_ids: list[str]) -> dict[str, KnowledgeUnit]:
        found: dict[str, KnowledgeUnit] = {}
        for start in range(0, len(unit_ids), 500):
            chunk = unit_ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for (payload,) in self._db.execute(
                f"SELECT payload FROM units WHERE id IN ({marks})", chunk
            ):
                unit = KnowledgeUnit.model_validate_json(payload)
                found[unit.id] = unit
        return found

    def content_hashes(self, unit_ids: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        unique = list(dict.fromkeys(unit_ids))
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT id, content_hash FROM units WHERE id IN ({marks})", chunk
            )
            found.update({str(a): str(b) for a, b in rows})
        return found

    def vector_ids(self) -> set[str]:
        return {
            v
            for (ids,) in self._db.execute("SELECT vector_ids FROM units")
            for v in json.loads(ids)
        }
