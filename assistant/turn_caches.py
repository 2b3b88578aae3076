"""What repeats between investors' turns, kept in memory: the knowledge base's answer to a
question, and the intent of a message.

A help desk hears the same few hundred questions, lightly reworded, all day:

- :class:`AnswerCache` keeps the passages the knowledge base returns for a question, keyed
  by the question normalised (width, case, spaces, closing punctuation) and the knowledge
  base's version, which every ingest or deletion changes (in any process), so nothing
  stale is served. What it keeps is the knowledge base's answer, the same for every
  investor; the reply is still composed for the conversation it is in (follow-ups, stated
  facts, flows). Questions about an investor's own account are answered from the account
  system and never reach it;
- :class:`CachedIntentClassifier` keeps the intent of a message, under the same normalised
  form: "创业板怎么开通？" and "创业板怎么开通" are read alike, so a repeat costs neither the
  classifier nor (with the answer cache) the question's embedding.

Nothing personal is kept: a message with personal data (even masked) or longer than
:data:`MAX_CACHED_CHARS` (more a story than a question) is neither looked up nor stored.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence

from assistant.pii import find_pii
from intents.classifier import IntentClassifier
from intents.prediction import IntentPrediction
from knowledge.caches import CacheStats, LruCache
from knowledge.documents import RetrievedPassage

MAX_CACHED_CHARS = 100
_SPACES = re.compile(r"\s+")
_CLOSING = "?？!！。.,，~～ "


def question_key(text: str) -> str:
    """The form under which a question is cached: NFKC, lower case, single spaces, no
    closing punctuation ("创业板怎么开通？" and "创业板怎么开通" are one question)."""
    folded = _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip().lower()
    return folded.rstrip(_CLOSING)


def cacheable(text: str) -> bool:
    """Whether a message may be kept at all: short, and nothing personal in it."""
    return len(text) <= MAX_CACHED_CHARS and "*" not in text and not find_pii(text)


class AnswerCache:
    """The knowledge base's results per normalised question and knowledge-base version."""

    def __init__(
        self,
        search: Callable[[str], list[RetrievedPassage]],
        version: Callable[[], str],
        size: int = 4096,
    ) -> None:
        self._search = search
        self._version = version
        self._entries: LruCache[tuple[str, str], tuple[RetrievedPassage, ...]] = LruCache(size)

    @property
    def stats(self) -> CacheStats:
        return self._entries.stats

    def retrieve(self, text: str) -> list[RetrievedPassage]:
        """What ``search(text)`` returns, from the cache when this question was asked of this
        version of the knowledge base before."""
        if self._entries.size == 0 or not cacheable(text):
            return self._search(text)
        key = (self._version(), question_key(text))
        cached = self._entries.get(key)
        if cached is not None:
            return list(cached)
        passages = self._search(text)
        self._entries.put(key, tuple(passages))
        return passages

    def holds(self, text: str) -> bool:
        """Whether :meth:`retrieve` would answer ``text`` from the cache (without asking it)."""
        return (
            self._entries.size > 0
            and cacheable(text)
            and (self._version(), question_key(text)) in self._entries
        )


class CachedIntentClassifier:
    """An :class:`~intents.classifier.IntentClassifier` that remembers recent messages' intents
    (predictions are immutable, so one is shared by every turn that asks the same)."""

    def __init__(self, inner: IntentClassifier, size: int = 4096) -> None:
        self.inner = inner
        self._entries: LruCache[str, IntentPrediction] = LruCache(size)

    @property
    def stats(self) -> CacheStats:
        return self._entries.stats

    def predict(self, text: str) -> IntentPrediction:
        if self._entries.size == 0 or not cacheable(text):
            return self.inner.predict(text)
        key = question_key(text)
        cached = self._entries.get(key)
        if cached is not None:
            return cached
        prediction = self.inner.predict(text)
        self._entries.put(key, prediction)
        return prediction

    def holds(self, text: str) -> bool:
        """Whether :meth:`predict` would answer ``text`` from the cache (without asking it)."""
        return self._entries.size > 0 and cacheable(text) and question_key(text) in self._entries

    def predict_many(self, texts: Sequence[str]) -> list[IntentPrediction]:
        return self.inner.predict_many(texts)
