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
SAMPLE_KB_CACHE = PROJECT_ROOT / "var" / "test-cache" / "sample-kb"


@pytest.fixture(scope="session")
def e5():
    """The bundled multilingual-e5-small, shared by every test."""
    from knowledge.embedders import load_embedder

    return load_embedder("e5-small")


@pytest.fixture(scope="session")
def sample_kb(tmp_path_factory: pytest.TempPathFactory, e5) -> Iterator:
    """The shipped sample knowledge base, ingested once into a temporary directory."""
    from knowledge.index import KnowledgeBase

    # Ingested incrementally into a cache kept between runs (unchanged entries embed
    # nothing), then copied, so that no test writes to the cache.
    SAMPLE_KB_CACHE.parent.mkdir(parents=True, exist_ok=True)
    cached = KnowledgeBase(SAMPLE_KB_CACHE, e5)
    report = cached.ingest([SAMPLE_KNOWLEDGE], prune=True)
    cached.close()
    assert not report.failed, report.failed
    directory = tmp_path_factory.mktemp("sample-kb") / "kb"
    shutil.copytree(SAMPLE_KB_CACHE, directory)
    kb = KnowledgeBase(directory, e5)
    yield kb
    kb.close()
    shutil.rmtree(directory, ignore_errors=True)
