"""Turn latency without an LLM: one investor message through the whole dialogue policy.

    .venv/bin/python -m benchmarks.turn_bench [--turns 300] [--out benchmarks/results]

Builds (once) the sample knowledge base under ``benchmarks/work/turn-kb``,
assembles the assistant exactly as the CLI and the server do, and sends the
single-turn questions of ``evals/data/cases.jsonl`` one at a time, each in a
fresh conversation, measuring ``DialoguePolicy.respond`` wall time. Stages
(classification, retrieval) are timed by wrapping the real components.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import sys
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.assembly import build_assistant
from assistant.dialogue_models import ConversationState
from assistant.settings import PROJECT_ROOT, Settings
from benchmarks.knowledge_bench import machine_info, memory
from benchmarks.measurement import Latency
from evals.cases import load_cases

WORK = PROJECT_ROOT / "benchmarks" / "work"
TARGET_P95_MS = 50.0


def _timed(function: Any, bucket: list[float]) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            bucket.append(time.perf_counter() - started)

    return wrapper


async def run(turns: int, warmup: int) -> dict[str, Any]:
    settings = Settings(state_dir=WORK / "turn-state", kb_dir=WORK / "turn-kb")
    from assistant.components import open_knowledge_base

    kb = open_knowledge_base(settings)
    kb.ingest([settings.knowledge_sources])
    kb.close()
    bot = build_assistant(settings)
    stages: dict[str, list[float]] = defaultdict(list)
    bot.classifier.predict = _timed(bot.classifier.predict, stages["classify"])  # type: ignore[method-assign]
    bot.policy.retrieve = _timed(bot.policy.retrieve, stages["retrieve"])
    questions = [
        c.question for c in load_cases(PROJECT_ROOT / "evals/data/cases.jsonl") if c.question
    ]
    by_action: dict[str, list[float]] = defaultdict(list)
    overall: list[float] = []
    cpu_started = 0.0
    for i in range(warmup + turns):
        if i == warmup:
            cpu_started = time.process_time()
        state = ConversationState(conversation_id=uuid.uuid4().hex)
        started = time.perf_counter()
        reply = await bot.policy.respond(state, questions[i % len(questions)])
        elapsed = time.perf_counter() - started
        if i >= warmup:
            overall.append(elapsed)
            by_action[reply.action.value].append(elapsed)
        if i == warmup - 1:
            for bucket in stages.values():
                bucket.clear()
    # Process CPU time (all threads, E5's OpenMP workers included) per measured turn: the
    # cost that bounds a server's throughput, which wall time on an idle machine hides.
    cpu_ms_per_turn = (time.process_time() - cpu_started) * 1000.0 / turns
    total = Latency.of(overall)
    return {
        "turns": turns,
        "warmup": warmup,
        "latency": total.model_dump(),
        "by_action": {k: Latency.of(v).model_dump() for k, v in sorted(by_action.items())},
        "stages": {k: Latency.of(v).model_dump() for k, v in stages.items() if v},
        "cpu_ms_per_turn": cpu_ms_per_turn,
        "omp": {
            k: os.environ.get(k, "unset")
            for k in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT")
        },
        "memory": memory().model_dump(),
        "meets_p95_target": total.p95_ms < TARGET_P95_MS,
        "knowledge_units": len(bot.kb),
    }


def _row(name: str, row: dict[str, Any]) -> str:
    return (
        f"| {name} | {row['n']} | {row['p50_ms']:.1f} | {row['p95_ms']:.1f} | {row['p99_ms']:.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    machine = machine_info()
    started = datetime.now(UTC).isoformat(timespec="seconds")
    result = asyncio.run(run(args.turns, args.warmup))
    report = {
        "command": ".venv/bin/python -m benchmarks.turn_bench " + shlex.join(sys.argv[1:]),
        "started_at": started,
        "machine": machine.model_dump(),
        "target_p95_ms": TARGET_P95_MS,
        **result,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "turns.json").write_text(json.dumps(report, indent=2), "utf-8")
    lat = result["latency"]
    lines = [
        "# Turn latency (no LLM)",
        "",
        f"Command: `{report['command']}`  ",
        f"Started: {started}; machine: {machine.cpu_model}, {machine.logical_cores} cores, "
        f"{machine.memory_gib:.0f} GiB, load average at start {machine.load_average_start}",
        "",
        f"{args.turns} single-turn questions from `evals/data/cases.jsonl` "
        f"({args.warmup} warm-up turns discarded), each in a fresh conversation.",
        "",
        "| | n | p50 ms | p95 ms | p99 ms |",
        "|---|---|---|---|---|",
        _row("all turns", lat),
    ]
    for name, row in {
        **result["by_action"],
        **{f"stage: {k}": v for k, v in result["stages"].items()},
    }.items():
        lines.append(_row(name, row))
    lines += [
        "",
        f"CPU time per turn (process, all threads): {result['cpu_ms_per_turn']:.1f} ms; "
        f"OpenMP settings: {result['omp']}.",
        "",
        f"Resident memory after the run: {result['memory']['rss_mib']:.0f} MiB.",
    ]
    (args.out / "turns.md").write_text("\n".join(lines) + "\n", "utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
