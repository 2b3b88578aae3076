"""Fixtures shared by the whole suite. Heavy models load once per session."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_KNOWLEDGE = PROJECT_ROOT / "data" / "knowledge"


@pytest.fixture(scope="session")
def e5():
    """The bundled multilingual-e5-small, shared by every test."""
    from knowledge.embedders import load_embedder

    return load_embedder("e5-small")


@pytest.fixture(scope="session")
def sample_kb(tmp_path_factory: pytest.TempPathFactory, e5) -> Iterator:
    """The shipped sample knowledge base, ingested once into a temporary directory."""
    from knowledge.index import KnowledgeBase

    directory = tmp_path_factory.mktemp("sample-kb")
    kb = KnowledgeBase(directory, e5)
    report = kb.ingest([SAMPLE_KNOWLEDGE])
    assert not report.failed, report.failed
    yield kb
    kb.close()
    shutil.rmtree(directory, ignore_errors=True)
