"""Questions of concurrent turns share one model call; recent questions are not embedded again."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

from knowledge.embedders import QuestionPassageEmbeddings
from knowledge.question_batcher import BatchedQuestionEmbeddings

QUESTIONS = [
    "创业板怎么开通？",
    "两融门槛多少",
    "how do I reset my password",
    "港股通交易时间",
    "新股申购中签了怎么缴款",
    "what are the trading fees",
    "科创板开户条件",
    "银证转账几点可以",
]


class RecordingModel(QuestionPassageEmbeddings):
    """The real E5 model, recording each call's texts (and failing on request)."""

    def __init__(self, e5: Any) -> None:
        self.e5 = e5
        self.model_id = e5.model_id
        self.dimension = e5.dimension
        self.calls: list[list[str]] = []
        self.fail_next = False

    def encode_questions(self, texts: Sequence[str]):
        self.calls.append(list(texts))
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("the model failed")
        return self.e5.encode_questions(texts)

    def encode_passages(self, texts: Sequence[str]):
        return self.e5.encode_passages(texts)


@pytest.fixture
def model(e5) -> RecordingModel:
    return RecordingModel(e5)


def ask_at_once(embedder: BatchedQuestionEmbeddings, questions: list[str]) -> list[np.ndarray]:
    """Every question from its own thread, released together."""
    start = threading.Barrier(len(questions))

    def ask(text: str) -> np.ndarray:
        start.wait()
        return embedder.encode_questions([text])[0]

    with ThreadPoolExecutor(len(questions)) as pool:
        return list(pool.map(ask, questions))


def test_concurrent_questions_share_one_model_call(model: RecordingModel, e5) -> None:
    embedder = BatchedQuestionEmbeddings(model, max_batch=32, max_wait_s=0.5)
    try:
        rows = ask_at_once(embedder, QUESTIONS)
    finally:
        embedder.close()

    assert len(model.calls) < len(QUESTIONS), "questions asked together were batched"
    assert sorted(t for call in model.calls for t in call) == sorted(QUESTIONS)
    assert embedder.batches.largest > 1
    for text, row in zip(QUESTIONS, rows, strict=True):
        alone = e5.encode_questions([text])[0]
        assert float(row @ alone) > 0.999, "a batched question embeds as it does alone"


def test_a_batch_holds_at_most_max_batch_questions(model: RecordingModel) -> None:
    embedder = BatchedQuestionEmbeddings(model, max_batch=3, max_wait_s=0.5)
    try:
        ask_at_once(embedder, QUESTIONS)
    finally:
        embedder.close()

    assert max(len(call) for call in model.calls) <= 3
    assert sum(len(call) for call in model.calls) == len(QUESTIONS)


def test_a_repeated_question_is_not_embedded_again(model: RecordingModel) -> None:
    embedder = BatchedQuestionEmbeddings(model, max_wait_s=0)
    try:
        first = embedder.encode_questions(["两融门槛多少"])
        again = embedder.encode_questions(["两融门槛多少"])
    finally:
        embedder.close()

    assert model.calls == [["两融门槛多少"]]
    np.testing.assert_array_equal(first, again)
    assert (embedder.cache_stats.hits, embedder.cache_stats.misses) == (1, 1)


def test_a_cache_of_size_zero_embeds_every_time(model: RecordingModel) -> None:
    embedder = BatchedQuestionEmbeddings(model, cache_size=0, max_wait_s=0)
    try:
        embedder.encode_questions(["两融门槛多少"])
        embedder.encode_questions(["两融门槛多少"])
    finally:
        embedder.close()

    assert len(model.calls) == 2


def test_large_calls_and_passages_go_straight_to_the_model(model: RecordingModel) -> None:
    embedder = BatchedQuestionEmbeddings(model, max_batch=4)
    vectors = embedder.encode_questions(QUESTIONS)

    assert model.calls == [QUESTIONS]
    assert vectors.shape == (len(QUESTIONS), model.dimension)
    assert embedder.batches.batches == 0
    assert embedder.encode_passages(["passage"]).shape == (1, model.dimension)


def test_a_model_failure_reaches_every_waiting_caller_and_the_next_call_works(
    model: RecordingModel,
) -> None:
    embedder = BatchedQuestionEmbeddings(model, max_wait_s=0)
    model.fail_next = True
    try:
        with pytest.raises(RuntimeError, match="the model failed"):
            embedder.encode_questions(["两融门槛多少"])
        recovered = embedder.encode_questions(["两融门槛多少"])
    finally:
        embedder.close()

    assert recovered.shape == (1, model.dimension)


def test_missing_names_the_questions_not_kept_and_none_when_nothing_is_kept(
    model: RecordingModel,
) -> None:
    batched = BatchedQuestionEmbeddings(model)
    try:
        batched.encode_questions(QUESTIONS[:2])
        assert batched.missing([QUESTIONS[1], QUESTIONS[2], QUESTIONS[2]]) == [QUESTIONS[2]]
    finally:
        batched.close()

    # Without a cache, embedding ahead would be thrown away.
    assert BatchedQuestionEmbeddings(model, cache_size=0).missing(QUESTIONS) == []
