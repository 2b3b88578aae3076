"""The knowledge base's manifest in PostgreSQL, shared by every host of a deployment.

With the vectors on a Chroma server, each host's own ``manifest.sqlite`` would be a separate
truth: a host with an empty state directory would search nothing, and an ingest from a second
host would sweep as orphans the vectors only the first host's manifest lists. Kept in the
deployment's PostgreSQL database instead (schema ``knowledge_manifest``, rows keyed by the
knowledge base's collection name), every host sees the same sources, units and version:

- searchers notice another host's ingest by the content version and reload their keyword
  index (:meth:`knowledge.index.KnowledgeBase.refresh`);
- writers (ingest, delete, rebuild) take one advisory lock per knowledge base for the whole
  write, so two hosts' ingests run one after the other, each planning from what the other
  wrote; the write order (new vectors, manifest switch, old vectors deleted) is unchanged.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, Final

import psycopg

from knowledge.documents import KnowledgeUnit
from knowledge.errors import ManifestUnavailableError
from knowledge.manifest import StoredUnit, UnitRecord, unit_row

SCHEMA: Final = "knowledge_manifest"

_DDL = f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA};
CREATE TABLE IF NOT EXISTS {SCHEMA}.meta (
    kb TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (kb, key)
);
CREATE TABLE IF NOT EXISTS {SCHEMA}.sources (
    kb TEXT NOT NULL,
    source TEXT NOT NULL,
    file_hash TEXT NOT NULL,
    ingested_at TEXT NOT NULL,
    PRIMARY KEY (kb, source)
);
CREATE TABLE IF NOT EXISTS {SCHEMA}.units (
    kb TEXT NOT NULL,
    id TEXT NOT NULL,
    source TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    payload TEXT NOT NULL,
    tokens TEXT NOT NULL,
    vector_ids TEXT NOT NULL,
    ord BIGSERIAL,
    PRIMARY KEY (kb, id),
    FOREIGN KEY (kb, source) REFERENCES {SCHEMA}.sources (kb, source) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS units_by_source ON {SCHEMA}.units (kb, source);
"""


def _lock_key(purpose: str, name: str) -> int:
    digest = hashlib.blake2b(f"{purpose}:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class SharedManifest:
    """The manifest of knowledge base ``name`` in the PostgreSQL database at ``conninfo``
    (a ``postgresql://`` URL or a libpq connection string)."""

    def __init__(self, conninfo: str, name: str) -> None:
        self.name = name
        self.where = f"PostgreSQL ({SCHEMA}, knowledge base {name!r})"
        self._conninfo = conninfo
        self._guard = threading.RLock()  # one connection: one statement (or transaction) at once
        with self._translated():
            self._db = self._connect()
            with self._db.transaction():
                # Concurrent CREATE ... IF NOT EXISTS can still collide: one host at a time.
                self._db.execute("SELECT pg_advisory_xact_lock(%s)", (_lock_key("ddl", SCHEMA),))
                self._db.execute(_DDL)

    def _connect(self) -> psycopg.Connection[tuple[Any, ...]]:
        return psycopg.connect(self._conninfo, autocommit=True, connect_timeout=5)

    @contextlib.contextmanager
    def _translated(self) -> Iterator[None]:
        """psycopg's errors as the knowledge package's."""
        try:
            yield
        except psycopg.Error as exc:
            raise ManifestUnavailableError(
                f"the knowledge base's manifest in PostgreSQL is unavailable: {exc}"
            ) from exc

    @contextlib.contextmanager
    def _session(self) -> Iterator[psycopg.Connection[tuple[Any, ...]]]:
        """The connection, opened again if it was lost (what it was doing was rolled back)."""
        with self._guard, self._translated():
            if self._db.closed or self._db.broken:
                self._db = self._connect()
            yield self._db

    def close(self) -> None:
        self._db.close()

    def backend_pid(self) -> int:
        """The PostgreSQL server process of this manifest's connection."""
        return int(self._rows("SELECT pg_backend_pid()")[0][0])

    @contextlib.contextmanager
    def writer(self) -> Iterator[None]:
        """Held for a whole ingest or deletion: one writer per knowledge base, any host."""
        with self._translated():
            lock = self._connect()
        with lock:
            with self._translated():
                lock.execute("SELECT pg_advisory_lock(%s)", (_lock_key("writer", self.name),))
            yield  # the session's end releases the lock, whatever happened

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._session() as db:
            return db.execute(sql, params).fetchall()

    def get_meta(self, key: str) -> str | None:
        rows = self._rows(
            f"SELECT value FROM {SCHEMA}.meta WHERE kb = %s AND key = %s", (self.name, key)
        )
        return str(rows[0][0]) if rows else None

    def set_meta(self, key: str, value: str) -> None:
        with self._session() as db:
            db.execute(
                f"INSERT INTO {SCHEMA}.meta (kb, key, value) VALUES (%s, %s, %s) "
                "ON CONFLICT (kb, key) DO UPDATE SET value = excluded.value",
                (self.name, key, value),
            )

    def has_units(self) -> bool:
        return bool(self._rows(f"SELECT 1 FROM {SCHEMA}.units WHERE kb = %s LIMIT 1", (self.name,)))

    def source_hash(self, source: str) -> str | None:
        rows = self._rows(
            f"SELECT file_hash FROM {SCHEMA}.sources WHERE kb = %s AND source = %s",
            (self.name, source),
        )
        return str(rows[0][0]) if rows else None

    def sources(self) -> list[tuple[str, str, int]]:
        rows = self._rows(
            f"SELECT s.source, s.ingested_at, COUNT(u.id) FROM {SCHEMA}.sources s "
            f"LEFT JOIN {SCHEMA}.units u ON u.kb = s.kb AND u.source = s.source "
            "WHERE s.kb = %s GROUP BY s.source, s.ingested_at ORDER BY s.source",
            (self.name,),
        )
        return [(str(a), str(b), int(c)) for a, b, c in rows]

    def units_of(self, source: str) -> dict[str, StoredUnit]:
        rows = self._rows(
            f"SELECT id, content_hash, vector_ids FROM {SCHEMA}.units "
            "WHERE kb = %s AND source = %s",
            (self.name, source),
        )
        return {r[0]: StoredUnit(r[0], r[1], json.loads(r[2])) for r in rows}

    def kind_counts(self, source: str) -> dict[str, int]:
        rows = self._rows(
            f"SELECT payload::json->>'kind', COUNT(*) FROM {SCHEMA}.units "
            "WHERE kb = %s AND source = %s GROUP BY 1",
            (self.name, source),
        )
        return {str(kind): int(n) for kind, n in rows}

    def owners(self, unit_ids: list[str]) -> dict[str, str]:
        rows = self._rows(
            f"SELECT id, source FROM {SCHEMA}.units WHERE kb = %s AND id = ANY(%s)",
            (self.name, unit_ids),
        )
        return {str(a): str(b) for a, b in rows}

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
        with self._session() as db, db.transaction(), db.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {SCHEMA}.sources (kb, source, file_hash, ingested_at) "
                "VALUES (%s, %s, %s, %s) ON CONFLICT (kb, source) DO UPDATE SET "
                "file_hash = excluded.file_hash, ingested_at = excluded.ingested_at",
                (self.name, source, file_hash, now),
            )
            cursor.execute(
                f"DELETE FROM {SCHEMA}.units WHERE kb = %s AND id = ANY(%s)", (self.name, removed)
            )
            cursor.executemany(
                f"INSERT INTO {SCHEMA}.units "
                "(kb, id, source, content_hash, payload, tokens, vector_ids) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (kb, id) DO UPDATE SET "
                "source = excluded.source, content_hash = excluded.content_hash, "
                "payload = excluded.payload, tokens = excluded.tokens, "
                "vector_ids = excluded.vector_ids",
                [(self.name, *unit_row(source, r)) for r in written],
            )
            cursor.executemany(
                f"UPDATE {SCHEMA}.units SET payload = %s WHERE kb = %s AND id = %s",
                [(u.model_dump_json(), self.name, u.id) for u in reordered],
            )

    def delete_source(self, source: str) -> list[str]:
        with self._session() as db, db.transaction():
            rows = db.execute(
                f"DELETE FROM {SCHEMA}.units WHERE kb = %s AND source = %s RETURNING vector_ids",
                (self.name, source),
            ).fetchall()
            db.execute(
                f"DELETE FROM {SCHEMA}.sources WHERE kb = %s AND source = %s", (self.name, source)
            )
        return [v for (ids,) in rows for v in json.loads(ids)]

    def clear(self) -> None:
        """Forget the whole knowledge base (a rebuild)."""
        with self._session() as db, db.transaction():
            for table in ("units", "sources", "meta"):
                db.execute(f"DELETE FROM {SCHEMA}.{table} WHERE kb = %s", (self.name,))

    def all_units(self) -> Iterator[tuple[KnowledgeUnit, list[str]]]:
        rows = self._rows(
            f"SELECT payload, tokens FROM {SCHEMA}.units WHERE kb = %s ORDER BY ord", (self.name,)
        )
        for payload, tokens in rows:
            yield KnowledgeUnit.model_validate_json(payload), json.loads(tokens)

    def units(self, unit_ids: list[str]) -> dict[str, KnowledgeUnit]:
        rows = self._rows(
            f"SELECT payload FROM {SCHEMA}.units WHERE kb = %s AND id = ANY(%s)",
            (self.name, unit_ids),
        )
        found = (KnowledgeUnit.model_validate_json(payload) for (payload,) in rows)
        return {unit.id: unit for unit in found}

    def content_hashes(self, unit_ids: list[str]) -> dict[str, str]:
        rows = self._rows(
            f"SELECT id, content_hash FROM {SCHEMA}.units WHERE kb = %s AND id = ANY(%s)",
            (self.name, list(dict.fromkeys(unit_ids))),
        )
        return {str(a): str(b) for a, b in rows}

    def vector_ids(self) -> set[str]:
        rows = self._rows(f"SELECT vector_ids FROM {SCHEMA}.units WHERE kb = %s", (self.name,))
        return {v for (ids,) in rows for v in json.loads(ids)}
