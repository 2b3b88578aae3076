"""The assembled assistant: every heavy part built once from settings.

``build_assistant`` is the composition root for the dialogue: the CLI's
``ask`` and ``eval`` commands and the web app all get the same object, so an
evaluation exercises exactly the code path investors use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.accounts import AccountSystem, HttpAccountSystem, JsonAccountSystem
from assistant.compliance import ComplianceGuard
from assistant.components import (
    build_intent_classifier,
    build_retriever,
    open_knowledge_base,
    out_of_scope_texts,
)
from assistant.dialogue import DialoguePolicy
from assistant.escalation import EscalationPolicy
from assistant.flows import BrokerageFlows
from assistant.settings import Settings
from assistant.turn_caches import AnswerCache, CachedIntentClassifier
from assistant.watchlist import WatchList
from intents.catalogue import IntentCatalogue, load_catalogue
from intents.classifier import EmbeddingIntentClassifier
from knowledge.caches import CacheStats
from knowledge.documents import RetrievedPassage
from knowledge.errors import KnowledgeError
from knowledge.index import KnowledgeBase
from knowledge.question_batcher import BatchedQuestionEmbeddings, BatchStats
from knowledge.retrieval import HybridRetriever

if TYPE_CHECKING:
    from assistant.llm import LlmComposer


@dataclass
class Assistant:
    settings: Settings
    kb: KnowledgeBase
    retriever: HybridRetriever
    catalogue: IntentCatalogue
    classifier: EmbeddingIntentClassifier
    guard: ComplianceGuard
    accounts: AccountSystem
    policy: DialoguePolicy
    answers: AnswerCache | None = None
    intents: CachedIntentClassifier | None = None

    def close(self) -> None:
        self.kb.close()
        if isinstance(self.kb.embedder, BatchedQuestionEmbeddings):
            self.kb.embedder.close()

    def cache_stats(self) -> dict[str, CacheStats]:
        """Hits and misses of the caches turns go through, by name (for ``/metrics``)."""
        stats: dict[str, CacheStats] = {}
        if isinstance(self.kb.embedder, BatchedQuestionEmbeddings):
            stats["question_embedding"] = self.kb.embedder.cache_stats
        if self.answers is not None:
            stats["answer"] = self.answers.stats
        if self.intents is not None:
            stats["intent"] = self.intents.stats
        return stats

    def batch_stats(self) -> BatchStats | None:
        """How the embedder batched the questions of concurrent turns (for ``/metrics``)."""
        if isinstance(self.kb.embedder, BatchedQuestionEmbeddings):
            return self.kb.embedder.batches
        return None


def _llm_composer(settings: Settings) -> LlmComposer | None:
    """The LLM composer when an endpoint is configured; LangChain's OpenAI client and openai
    (seconds of imports) load only then."""
    if settings.llm_base_url is None:
        return None
    from assistant.llm import build_llm_composer

    return build_llm_composer(settings)


def build_account_system(settings: Settings) -> AccountSystem:
    """The brokerage's account system over HTTP when ``ACCOUNTS_URL`` is set, else the sample file.

    Nothing connects here: the HTTP client opens on the first lookup.
    """
    if settings.accounts_url is None:
        return JsonAccountSystem(settings.accounts_file)
    token = settings.accounts_token.get_secret_value() if settings.accounts_token else None
    return HttpAccountSystem(settings.accounts_url, token, timeout_s=settings.accounts_timeout_s)


def build_assistant(
    settings: Settings,
    *,
    kb_dir: Path | None = None,
    catalogue_path: Path | None = None,
    accounts: AccountSystem | None = None,
) -> Assistant:
    """Open the knowledge base, train the intent classifier (cached embeddings), wire the policy."""
    kb = open_knowledge_base(settings, kb_dir)
    kb.check_in_step()  # never serve a base that would silently find less than it holds
    if len(kb) == 0:
        raise KnowledgeError(
            f"the knowledge base at {kb.directory} is empty: "
            f"run `assistant ingest {settings.knowledge_sources} --kb {kb.directory}` first"
        )
    catalogue = load_catalogue(catalogue_path or settings.intents_catalogue)
    retriever = build_retriever(kb, settings, negatives=out_of_scope_texts(catalogue))
    classifier = build_intent_classifier(kb.embedder, settings, catalogue)
    guard = ComplianceGuard(
        disclaimer_zh=settings.disclaimer_zh, disclaimer_en=settings.disclaimer_en
    )
    accounts = accounts or build_account_system(settings)
    flows = BrokerageFlows(
        accounts=accounts,
        watchlist=WatchList.from_csv(settings.watchlist_file),
    )

    def search(text: str) -> list[RetrievedPassage]:
        return retriever.search(text, k=5)

    answers = AnswerCache(search, lambda: kb.version, size=settings.answer_cache_size)
    intents = CachedIntentClassifier(classifier, size=settings.answer_cache_size)

    def embed_ahead(message: str, readings: Sequence[str]) -> None:
        # What the caches lack, in one call when that is more than one question (a single
        # one is embedded when, and if, the turn gets to it): the message as typed for the
        # intent classifier, and each reading as the search embeds it ("cyb" spelled out).
        if not isinstance(kb.embedder, BatchedQuestionEmbeddings):
            return
        wanted = [] if intents.holds(message) else [message]
        wanted += [
            retriever.embedded_question(text)
            for text in (message, *readings)
            if not answers.holds(text)
        ]
        if len(missing := kb.embedder.missing(wanted)) > 1:
            kb.embedder.encode_questions(missing)

    policy = DialoguePolicy(
        classifier=intents,
        catalogue=catalogue,
        retrieve=answers.retrieve,
        guard=guard,
        flows=flows,
        escalation=EscalationPolicy(low_confidence_turns=settings.low_confidence_turns),
        llm=_llm_composer(settings),
        accounts=accounts,
        embed_ahead=embed_ahead,
    )
    return Assistant(
        settings, kb, retriever, catalogue, classifier, guard, accounts, policy, answers, intents
    )
