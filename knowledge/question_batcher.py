"""Questions embedded once and together: recent question vectors, and one model call for the
questions of concurrent turns.

The question's embedding is most of a turn's cost. Each turn embeds its question twice (the
intent classifier, then the retriever) and a help desk's questions repeat, so recent
question vectors are kept (an LRU keyed by the exact text). Questions that miss queue for
the model; one thread takes what has queued (up to ``max_batch`` questions, waiting at
most ``max_wait_s`` after the first for more) and embeds it in one call. Under load the
questions that arrived while the model was busy go in one batch, at the model's batch rate
(E5: ~4 ms a question in a batch, ~9 ms wall and ~18 ms CPU alone); idle, a question waits
``max_wait_s`` at most. Callers are worker threads (turns run the classifier and the
retriever off the event loop) and block until their rows are ready.

Large calls (a catalogue's examples, an evaluation set) and passages go straight to the model.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

import numpy as np

from knowledge.caches import CacheStats, LruCache
from knowledge.embedders import Matrix, QuestionPassageEmbeddings


@dataclass
class BatchStats:
    """How the model was called for queued questions."""

    batches: int = 0
    questions: int = 0
    largest: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def record(self, size: int) -> None:
        with self._lock:
            self.batches += 1
            self.questions += size
            self.largest = max(self.largest, size)

    @property
    def mean_size(self) -> float:
        return self.questions / self.batches if self.batches else 0.0


@dataclass
class _Request:
    texts: list[str]
    result: Future[Matrix] = field(default_factory=Future)


class BatchedQuestionEmbeddings(QuestionPassageEmbeddings):
    """``inner`` with a cache of recent questions and cross-thread batching of the rest."""

    def __init__(
        self,
        inner: QuestionPassageEmbeddings,
        *,
        cache_size: int = 4096,
        max_batch: int = 32,
        max_wait_s: float = 0.002,
    ) -> None:
        if max_batch < 1 or max_wait_s < 0:
            raise ValueError("max_batch must be at least 1 and max_wait_s not negative")
        self.inner = inner
        self.model_id = inner.model_id
        self.dimension = inner.dimension
        self.max_batch = max_batch
        self.max_wait_s = max_wait_s
        self.batches = BatchStats()
        self._recent: LruCache[str, Matrix] = LruCache(cache_size)
        self._queue: queue.SimpleQueue[_Request | None] = queue.SimpleQueue()
        self._worker: threading.Thread | None = None
        self._start_lock = threading.Lock()

    @property
    def cache_stats(self) -> CacheStats:
        """Hits and misses of the recent-question cache."""
        return self._recent.stats

    def encode_questions(self, texts: Sequence[str]) -> Matrix:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if len(texts) > self.max_batch:
            return self.inner.encode_questions(texts)
        rows: dict[str, Matrix] = {}
        missing: list[str] = []
        for text in dict.fromkeys(texts):
            cached = self._recent.get(text)
            if cached is None:
                missing.append(text)
            else:
                rows[text] = cached
        if missing:
            request = _Request(missing)
            self._ensure_worker()
            self._queue.put(request)
            for text, row in zip(missing, request.result.result(), strict=True):
                row.setflags(write=False)
                self._recent.put(text, row)
                rows[text] = row
        return np.stack([rows[text] for text in texts])

    def encode_passages(self, texts: Sequence[str]) -> Matrix:
        return self.inner.encode_passages(texts)

    def missing(self, texts: Sequence[str]) -> list[str]:
        """The distinct ``texts`` whose vectors are not kept (none when nothing is ever kept:
        embedding them ahead would be wasted)."""
        if self._recent.size == 0:
            return []
        return [text for text in dict.fromkeys(texts) if text not in self._recent]

    def close(self) -> None:
        """Stop the batching thread (questions asked later start it again)."""
        with self._start_lock:
            if self._worker is not None:
                self._queue.put(None)
                self._worker.join(timeout=10)
                self._worker = None

    def _ensure_worker(self) -> None:
        if self._worker is not None:
            return
        with self._start_lock:
            if self._worker is None:
                self._worker = threading.Thread(
                    target=self._run, name="question-batcher", daemon=True
                )
                self._worker.start()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            requests, stopping = self._gather(first)
            self._embed(requests)
            if stopping:
                return

    def _gather(self, first: _Request) -> tuple[list[_Request], bool]:
        """``first`` and whatever queues within ``max_wait_s``, up to ``max_batch`` texts."""
        requests = [first]
        count = len(first.texts)
        deadline = time.monotonic() + self.max_wait_s
        while count < self.max_batch:
            left = deadline - time.monotonic()
            try:
                item = self._queue.get(timeout=left) if left > 0 else self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                return requests, True
            requests.append(item)
            count += len(item.texts)
        return requests, False

    def _embed(self, requests: list[_Request]) -> None:
        unique = list(dict.fromkeys(text for request in requests for text in request.texts))
        try:
            vectors = np.asarray(self.inner.encode_questions(unique), dtype=np.float32)
        except BaseException as exc:  # handed to the waiting callers, who raise it
            for request in requests:
                request.result.set_exception(exc)
            return
        self.batches.record(len(unique))
        row_of = {text: vectors[i] for i, text in enumerate(unique)}
        for request in requests:
            request.result.set_result(np.stack([row_of[text].copy() for text in request.texts]))
