"""Replies per second at 1 and 2 server processes: ``assistant serve --workers N`` on one port.

Run::

    .venv/bin/python -m benchmarks.workers_bench [--investors 100] [--questions 3] [--rounds 3]

Both sizes run in one invocation, on one fresh PostgreSQL database (created on
``--postgres``, dropped after) and the Redis at ``--redis`` (the deployment's namespace is
derived from the database, so nothing else on that Redis hears it), with the sample
knowledge base on disk. Each round starts ``assistant serve --workers 1``, drives the
load of ``benchmarks.ws_load_bench`` (N investors over real websockets, a Zipf-like mix of
the evaluation questions, think time between questions), stops it, then does the same
with ``--workers 2``; the sizes alternate so that the machine's other load falls on both.
Reported per size: the median replies/s over the rounds and the median of the paired
ratios (2 workers / 1 worker), with reply latency and errors; results go to
``workers.json`` and ``workers.md`` with the machine, the load, the command and the commit.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from pydantic import BaseModel

from benchmarks.measurement import relative
from benchmarks.ws_load_bench import (
    DEFAULT_OUT,
    WORK_DIR,
    BenchmarkError,
    LevelResult,
    LoadConfig,
    ServerProcess,
    _assistant_command,
    _free_port,
    ensure_knowledge_base,
    load_questions,
    machine_info,
    run_level,
    server_environment,
    texts_by_investor,
    zipf_texts,
)
from channels.tokens import SessionTokens

SIZES = (1, 2)


class Round(BaseModel):
    workers: int
    round: int
    level: LevelResult


class WorkersReport(BaseModel):
    command: str
    started_at: str
    finished_at: str = ""
    config: dict[str, Any]
    machine: Any
    rounds: list[Round] = []
    summary: dict[str, Any] = {}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--investors", type=int, default=100)
    parser.add_argument("--questions", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--think", type=float, nargs=2, default=(0.5, 1.5))
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--postgres", default="postgresql://root@127.0.0.1:5432/postgres")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument(
        "--state-dir", type=Path, default=WORK_DIR / "state", help="intent cache and the like"
    )
    return parser.parse_args(argv)


def _psql(admin_url: str, sql: str) -> None:
    subprocess.run(["psql", admin_url, "-qAtc", sql], check=True, capture_output=True)


def _database_url(admin_url: str, name: str) -> str:
    base = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"{base}/{name}"


def paired_ratio(one: list[float], two: list[float]) -> float | None:
    """The median of round-by-round ratios two / one (rounds where either answered nothing
    are left out): each pair ran back to back, under the same outside load."""
    ratios = [b / a for a, b in zip(one, two, strict=False) if a > 0 and b > 0]
    return round(statistics.median(ratios), 2) if ratios else None


def summarise(rounds: list[Round]) -> dict[str, Any]:
    by_size = {size: [r.level for r in rounds if r.workers == size] for size in SIZES}
    rates = {size: [level.replies_per_s for level in levels] for size, levels in by_size.items()}
    return {
        "replies_per_s_median": {str(s): round(statistics.median(v), 2) for s, v in rates.items()},
        "replies_per_s_all": {str(s): v for s, v in rates.items()},
        "ratio_2_to_1_median": paired_ratio(rates[1], rates[2]),
        "reply_p50_ms_median": {
            str(s): round(statistics.median(lv.reply.p50_ms for lv in levels if lv.reply), 0)
            for s, levels in by_size.items()
            if any(lv.reply for lv in levels)
        },
        # Unsent or unanswered messages; an investor handed to a person stops asking.
        "errors": {
            str(s): sum(sum(lv.message_errors.values()) + lv.messages.unsent for lv in levels)
            for s, levels in by_size.items()
        },
        "load_average_before": {
            str(s): [lv.load_average_before[0] for lv in levels] for s, levels in by_size.items()
        },
        "statuses": {str(s): [lv.status for lv in levels] for s, levels in by_size.items()},
    }


def render(report: WorkersReport) -> str:
    summary = report.summary
    machine = report.machine
    lines = [
        "# Replies per second at 1 and 2 server processes",
        "",
        f"`{report.command}`, {report.started_at}, commit {machine.git_commit[:7]}"
        f"{' (uncommitted changes)' if machine.git_dirty else ''}",
        f"{machine.cpu_model}, {machine.logical_cores} cores; load average at start "
        f"{machine.load_average_start}, at end {machine.load_average_end}.",
        f"Load per run: {report.config['investors']} investors × "
        f"{report.config['questions']} questions, think {report.config['think_s']} s, "
        "Zipf mix; PostgreSQL + Redis, sample knowledge base on disk.",
        "",
        "| workers | replies/s (median) | each round | reply p50 ms (median) | unanswered "
        "| load average before each round |",
        "|---|---|---|---|---|---|",
    ]
    for size in map(str, SIZES):
        lines.append(
            f"| {size} | {summary['replies_per_s_median'][size]} | "
            f"{summary['replies_per_s_all'][size]} | "
            f"{summary['reply_p50_ms_median'].get(size, '-')} | {summary['errors'][size]} | "
            f"{summary['load_average_before'][size]} |"
        )
    lines += ["", f"Paired ratio, 2 workers / 1 (median): **{summary['ratio_2_to_1_median']}**"]
    return "\n".join(lines) + "\n"


async def _one_run(
    env: dict[str, str], workers: int, config: LoadConfig, texts: list[str], log: Path
) -> LevelResult:
    server = ServerProcess(env, log, Path.cwd())
    server.command = [*_assistant_command(), "serve", "--workers", str(workers)]
    start_s = server.start()
    try:
        await _every_worker_ready(server.port, workers)
        tokens = SessionTokens(env["BROKERDESK_SECRET_KEY"], ttl_s=3600)
        return await run_level(
            server.ws_url,
            config,
            question=texts_by_investor(texts, config.questions),
            token=tokens.issue,
            server_pid=None,  # the workers are the supervisor's children
            server_start_s=start_s,
            distinct_texts=len(set(texts)),
        )
    finally:
        server.stop()


async def _every_worker_ready(port: int, workers: int, timeout_s: float = 300.0) -> None:
    """/readyz reaches whichever worker accepts it: many in a row ready means all are."""
    needed = 1 if workers == 1 else 30
    streak = 0
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(timeout=5) as client:
        while streak < needed:
            if time.monotonic() > deadline:
                raise BenchmarkError(f"{workers} workers not all ready within {timeout_s:.0f} s")
            try:
                # A fresh connection each time, so the kernel may hand it to any worker.
                ready = (
                    await client.get(
                        f"http://127.0.0.1:{port}/readyz", headers={"Connection": "close"}
                    )
                ).status_code == 200
            except httpx.HTTPError:
                ready = False
            streak = streak + 1 if ready else 0
            await asyncio.sleep(0.05 if ready else 0.5)


def main(argv: list[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(arguments)
    report = WorkersReport(
        command=shlex.join(
            [relative(Path(sys.executable)), "-m", "benchmarks.workers_bench", *arguments]
        ),
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        config={
            "investors": args.investors,
            "questions": args.questions,
            "rounds": args.rounds,
            "think_s": list(args.think),
            "seed": args.seed,
        },
        machine=machine_info(),
    )
    name = f"bd_workers_{secrets.token_hex(4)}"
    _psql(args.postgres, f'CREATE DATABASE "{name}"')
    scratch = Path(tempfile.mkdtemp(prefix="workers-bench-"))
    try:
        env = server_environment(
            state_dir=args.state_dir.resolve(),
            kb_dir=WORK_DIR / "kb",
            database=scratch / "unused.db",
            port=_free_port(),
            secret=secrets.token_urlsafe(32),
            overrides={
                "BROKERDESK_DATABASE_URL": _database_url(args.postgres, name),
                "BROKERDESK_BUS_URL": args.redis,
            },
        )
        ensure_knowledge_base(WORK_DIR / "kb", env, scratch)
        migrated = subprocess.run(
            [*_assistant_command(), "db", "upgrade"], env=env, capture_output=True, text=True
        )
        if migrated.returncode != 0:
            raise BenchmarkError(f"migration failed: {migrated.stderr[-2000:]}")
        bank = load_questions()
        for number in range(args.rounds):
            for workers in SIZES if number % 2 == 0 else tuple(reversed(SIZES)):
                config = LoadConfig(
                    investors=args.investors,
                    questions=args.questions,
                    think_s=tuple(args.think),
                    ramp_s=min(10.0, args.investors / 100),
                    seed=args.seed + number,
                )
                texts = zipf_texts(bank, args.investors * args.questions, args.seed + number)
                log = scratch / f"serve-{workers}-{number}.log"
                started = time.perf_counter()
                level = asyncio.run(_one_run(env, workers, config, texts, log))
                print(
                    f"round {number}, {workers} worker(s): {level.replies_per_s} replies/s, "
                    f"{level.status} ({time.perf_counter() - started:.0f} s)",
                    flush=True,
                )
                report.rounds.append(Round(workers=workers, round=number, level=level))
    finally:
        _psql(args.postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    report.machine.load_average_end = [round(x, 2) for x in os.getloadavg()]
    report.finished_at = datetime.now(UTC).isoformat(timespec="seconds")
    report.summary = summarise(report.rounds)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "workers.json").write_text(report.model_dump_json(indent=2), "utf-8")
    (args.out / "workers.md").write_text(render(report), "utf-8")
    print(render(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
