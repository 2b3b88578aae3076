"""Both embedder backends, loaded from what is installed: nothing is downloaded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge.embedders import SentenceTransformerEmbeddings, bundled_minilm_dir, load_embedder
from knowledge.errors import EmbedderUnavailableError
from knowledge.index import KnowledgeBase
from knowledge.retrieval import HybridRetriever
from tests.utils.files import write_csv


def test_e5_separates_questions_from_passages_and_crosses_languages(e5) -> None:
    questions = e5.encode_questions(
        ["开户需要什么材料", "what documents do I need to open an account"]
    )
    unrelated = e5.encode_questions(["今天天气怎么样"])
    assert questions.shape == (2, 384)
    assert np.allclose(np.linalg.norm(questions, axis=1), 1.0, atol=1e-4)
    assert float(questions[0] @ questions[1]) > float(questions[0] @ unrelated[0])
    passage = np.asarray(e5.embed_documents(["开户需要什么材料"])[0])
    assert not np.allclose(passage, questions[0]), "query: and passage: prefixes differ"
    assert len(e5.embed_query("开户")) == 384


def test_sentence_transformers_backend_loads_a_local_model_directory(tmp_path: Path) -> None:
    minilm = load_embedder("sentence-transformers", model_dir=bundled_minilm_dir(), device="cpu")
    assert minilm.dimension == 384
    folder = tmp_path / "src"
    folder.mkdir()
    write_csv(
        folder / "faq.csv",
        [
            [
                "e-1",
                "How do I reset my trading password?",
                "Use the app's password page.",
                "forgot password",
                "",
                "en",
                "",
            ],
            [
                "e-2",
                "When can I transfer money from my bank?",
                "Trading days 9:00-16:00.",
                "transfer hours",
                "",
                "en",
                "",
            ],
        ],
    )
    kb = KnowledgeBase(tmp_path / "kb", minilm)
    kb.ingest([folder])
    assert HybridRetriever(kb, mode="dense").search("I forgot my password", k=1)[0].unit.id == "e-1"


def test_a_missing_model_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EmbedderUnavailableError, match="not a local sentence-transformers model"):
        SentenceTransformerEmbeddings(tmp_path / "nothing-here")
    with pytest.raises(EmbedderUnavailableError, match="unknown embedder"):
        load_embedder("openai")
