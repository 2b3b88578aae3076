"""Builds the heavy parts (embedder, knowledge base, retriever) from settings, once.

The CLI and the web app call these factories; nothing here runs at import time.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.settings import Settings
from intents.catalogue import IntentCatalogue
from knowledge.embedders import QuestionPassageEmbeddings, load_embedder
from knowledge.index import KnowledgeBase
from knowledge.keyword import warm_up
from knowledge.question_batcher import BatchedQuestionEmbeddings
from knowledge.retrieval import HybridRetriever, Mode

if TYPE_CHECKING:  # the classifier's modules load only where one is built
    from intents.classifier import EmbeddingIntentClassifier
    from intents.encoders import QuestionEncoder


def offline_environment() -> None:
    """Forbid model-hub downloads and telemetry for this process and its children."""
    for name, value in {
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "ANONYMIZED_TELEMETRY": "False",
        "TOKENIZERS_PARALLELISM": "false",
    }.items():
        os.environ.setdefault(name, value)


def build_model(settings: Settings) -> QuestionPassageEmbeddings:
    """The configured embedding model alone: no question cache, no batching."""
    offline_environment()
    return load_embedder(
        settings.embedder,
        model_dir=settings.embedder_model_dir,
        device=settings.embedder_device,
        query_prefix=settings.embedder_query_prefix,
        passage_prefix=settings.embedder_passage_prefix,
    )


def build_embedder(settings: Settings) -> BatchedQuestionEmbeddings:
    """The configured model behind the question cache and the cross-turn batcher."""
    return BatchedQuestionEmbeddings(
        build_model(settings),
        cache_size=settings.question_cache_size,
        max_batch=settings.embedder_batch_size,
        max_wait_s=settings.embedder_batch_wait_ms / 1000,
    )


def build_intent_classifier(
    encoder: QuestionEncoder, settings: Settings, catalogue: IntentCatalogue
) -> EmbeddingIntentClassifier:
    """The intent classifier, fitted on ``catalogue`` (example embeddings and the fitted model
    are kept under the state directory, so a restart loads them)."""
    from intents.classifier import EmbeddingIntentClassifier

    return EmbeddingIntentClassifier(
        encoder,
        cache_dir=settings.state_dir / "intent-cache",
        threshold=settings.intent_threshold,
        metric_adapter=settings.intent_metric_adapter,
        out_of_scope_detector=settings.intent_out_of_scope_rejection > 0,
        max_rejection=settings.intent_out_of_scope_rejection,
    ).fit(catalogue)


def open_knowledge_base(settings: Settings, kb_dir: Path | None = None) -> KnowledgeBase:
    warm_up(settings.state_dir / "keyword-dictionary")
    return KnowledgeBase(
        kb_dir or settings.knowledge_dir,
        build_embedder(settings),
        chroma_url=settings.chroma_url,
        collection=settings.chroma_collection,
        shared_manifest=settings.knowledge_manifest_url,
        max_source_bytes=settings.max_source_mb * 1024 * 1024,
    )


def out_of_scope_texts(catalogue: IntentCatalogue) -> list[str]:
    """The catalogue's out-of-scope examples: what the knowledge base should never answer."""
    return [
        text
        for intent in catalogue.intents
        if intent.handler == "out_of_scope"
        for text in intent.texts()
    ]


def out_of_scope_examples(catalogue: Path) -> list[str]:
    """:func:`out_of_scope_texts` of the catalogue file at ``catalogue``."""
    from intents.catalogue import load_catalogue

    return out_of_scope_texts(load_catalogue(catalogue))


def shared_answers(settings: Settings) -> dict[str, frozenset[str]]:
    """Entries that answer the same questions, from the scenario map (none without one)."""
    from assistant.scenarios import load_scenario_map

    directory = settings.scenarios_dir
    if directory is None or not directory.is_dir():
        return {}
    return load_scenario_map(directory).shared_answers()


def build_retriever(
    kb: KnowledgeBase,
    settings: Settings,
    mode: Mode = "hybrid",
    *,
    negatives: Sequence[str] = (),
) -> HybridRetriever:
    """The retriever; ``negatives`` (out-of-scope texts) and the scenario map's entries that
    answer alike help fit its answerability model."""
    return HybridRetriever(
        kb,
        mode=mode,
        fusion=settings.retrieval_fusion,
        keyword_weight=settings.retrieval_keyword_weight,
        cross_lingual_bonus=settings.retrieval_cross_lingual_bonus,
        negatives=negatives,
        equivalents=shared_answers(settings),
    )
