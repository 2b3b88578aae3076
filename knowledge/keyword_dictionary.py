"""jieba's dictionary with the brokerage terms, kept on disk in shards read as they are needed.

jieba looks a sentence's fragments up in a prefix dictionary of about 600,000 entries.
Loading all of it (jieba's own cache, then the brokerage terms on top) took half a second of
every start, and freeing it more at exit, while a question reads a few dozen entries. Every
fragment jieba looks up starts at a character of the sentence, so the dictionary is kept
split by a fragment's first character: a question loads the shards of its own characters,
an ingest loads them all in time.

The file holds the dictionary exactly as jieba has it once the brokerage terms are added, so
segmentation is unchanged. It is rebuilt when jieba, its dictionary, the brokerage terms or
this format change, and written whole then renamed, readable by this user only.
"""

from __future__ import annotations

import hashlib
import logging
import marshal
import os
import struct
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

FORMAT = 1
SHARDS = 1024
_LENGTH = struct.Struct("<Q")
log = logging.getLogger(__name__)


def _shard(fragment: str) -> int:
    return ord(fragment[0]) % SHARDS if fragment else 0


class ShardedFrequencies:
    """The read-only mapping jieba consults as ``Tokenizer.FREQ``: fragment → frequency (0 for
    a prefix that is no word), each shard unpacked at its first lookup."""

    def __init__(self, body: memoryview, bounds: list[int]) -> None:
        self._body = body
        self._bounds = bounds
        self._shards: list[dict[str, int] | None] = [None] * SHARDS
        self._lock = threading.Lock()

    def _load(self, index: int) -> dict[str, int]:
        with self._lock:
            shard = self._shards[index]
            if shard is None:
                start, end = self._bounds[index], self._bounds[index + 1]
                shard = self._shards[index] = marshal.loads(self._body[start:end])
            return shard

    def _of(self, fragment: str) -> dict[str, int]:
        index = _shard(fragment)
        return self._shards[index] or self._load(index)

    def __contains__(self, fragment: object) -> bool:
        return isinstance(fragment, str) and fragment in self._of(fragment)

    def __getitem__(self, fragment: str) -> int:
        return self._of(fragment)[fragment]

    def get(self, fragment: str, default: Any = None) -> Any:
        return self._of(fragment).get(fragment, default)


def _key(user_terms: bytes) -> str:
    import jieba

    default = Path(jieba.__file__).with_name(jieba.DEFAULT_DICT_NAME)
    stat = default.stat()
    digest = hashlib.sha256()
    for part in (
        f"{FORMAT} {SHARDS} jieba {jieba.__version__} {default} {stat.st_size} {stat.st_mtime_ns}",
        user_terms,
    ):
        digest.update(part.encode() if isinstance(part, str) else part)
    return digest.hexdigest()[:32]


def _write(path: Path, key: str, tokenizer: Any, force_split: Iterable[str]) -> None:
    shards: list[dict[str, int]] = [{} for _ in range(SHARDS)]
    for fragment, frequency in tokenizer.FREQ.items():
        shards[_shard(fragment)][fragment] = frequency
    blobs = [marshal.dumps(shard) for shard in shards]
    bounds = [0]
    for blob in blobs:
        bounds.append(bounds[-1] + len(blob))
    header = marshal.dumps(
        (key, tokenizer.total, dict(tokenizer.user_word_tag_tab), sorted(force_split), bounds)
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        os.chmod(temporary, 0o600)
        with os.fdopen(handle, "wb") as stream:
            stream.write(_LENGTH.pack(len(header)))
            stream.write(header)
            for blob in blobs:
                stream.write(blob)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _read(path: Path, key: str) -> tuple[ShardedFrequencies, int, dict[str, str], list[str]] | None:
    """The kept dictionary, or None when it is absent, unreadable or of another key."""
    try:
        data = path.read_bytes()
        (length,) = _LENGTH.unpack_from(data)
        stored_key, total, tags, force_split, bounds = marshal.loads(
            data[_LENGTH.size : _LENGTH.size + length]
        )
    except (OSError, EOFError, ValueError, TypeError, struct.error):
        return None
    body = memoryview(data)[_LENGTH.size + length :]
    if stored_key != key or len(bounds) != SHARDS + 1 or bounds[-1] != len(body):
        return None
    return ShardedFrequencies(body, bounds), total, tags, force_split


def load_tokenizer(user_terms: Path, cache_dir: Path | None) -> Any:
    """A jieba tokenizer with ``user_terms`` added; with ``cache_dir``, its dictionary read
    shard by shard from the file kept there (written now when missing or stale)."""
    import jieba
    from jieba import finalseg

    tokenizer = jieba.Tokenizer()
    if cache_dir is None:
        tokenizer.load_userdict(str(user_terms))
        tokenizer.initialize()
        return tokenizer
    terms = user_terms.read_bytes()
    key = _key(terms)
    path = cache_dir / "jieba-dictionary.bin"
    kept = _read(path, key)
    if kept is None:
        before = set(finalseg.Force_Split_Words)
        tokenizer.load_userdict(str(user_terms))
        tokenizer.initialize()
        try:
            _write(path, key, tokenizer, finalseg.Force_Split_Words - before)
        except OSError as exc:  # a read-only state directory: the next start loads it whole too
            log.warning("cannot keep the keyword dictionary in %s: %s", cache_dir, exc)
        return tokenizer
    frequencies, total, tags, force_split = kept
    with tokenizer.lock:
        tokenizer.FREQ = frequencies
        tokenizer.total = total
        tokenizer.user_word_tag_tab = tags
        tokenizer.initialized = True
    for word in force_split:
        finalseg.add_force_split(word)
    return tokenizer
