"""Websocket load: concurrent investors against ``assistant serve`` running in its own process.

Run::

    .venv/bin/python -m benchmarks.ws_load_bench [--investors 100,500,1000] [--questions 3]
                                                [--quick] [--out benchmarks/results]

For every level the benchmark starts a fresh ``assistant serve`` subprocess (its own
interpreter, so client and server share neither an event loop nor a GIL): SQLite in a
fresh temporary file, the in-process bus, development mode, the sample knowledge base
ingested once into ``benchmarks/work/ws-load/kb``. It then opens N real websocket
connections from this process, spread evenly over ``--ramp`` seconds. Each investor
signs in with a token signed by the server's secret (``channels.tokens``), says
``hello``, and asks ``--questions`` questions one after another: send a ``message``,
wait for its ``ack`` and for the ``reply`` whose ``reply_to`` names it, think for a
random ``--think`` interval, and so on; then it closes. Pings go out every
``heartbeat_s``, as the widget sends them.

Measured per level: connection set-up (connect, and connect + hello → welcome), ack
and reply latency from the moment the message was sent, replies per second, errors
by kind, the server's and this client's resident memory and CPU time, and the load
average. Every level stops by itself: a bounded number of messages, a per-message
timeout and a time limit for the whole level. A level cut off by its limit, or with
many errors, is reported as failed, not left out.

Results go to ``ws_load.json`` and ``ws_load.md`` under ``--out`` (rewritten after each
level, so a crash keeps the levels before it).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import random
import re
import resource
import secrets
import shlex
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, TypeAdapter
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from assistant.settings import PROJECT_ROOT, Settings
from benchmarks.measurement import Latency, MachineInfo, relative
from benchmarks.measurement import machine_info as measured_machine
from channels.tokens import SessionTokens
from evals.cases import load_cases
from intents.catalogue import load_catalogue

WORK_DIR = PROJECT_ROOT / "benchmarks" / "work" / "ws-load"
DEFAULT_OUT = PROJECT_ROOT / "benchmarks" / "results"
SAMPLE_KB = PROJECT_ROOT / "data" / "knowledge"
QUESTION_FILES = (
    PROJECT_ROOT / "evals" / "data" / "cases.jsonl",
    PROJECT_ROOT / "evals" / "data" / "intents_heldout.jsonl",
)
TURNS_REPORT = DEFAULT_OUT / "turns.json"
DEFAULT_LEVELS = (100, 500, 1000)
QUICK_LEVELS = (10, 50)
FALLBACK_TURN_MS = 40.0
FAILED_ERROR_SHARE = 0.10
TURN_COST_WARMUP = 10
PEAK_WINDOW_S = 10.0
SEED = 20261125

# Intents whose questions the bot answers from the knowledge base in one turn. Flows
# (permissions, password reset) turn the next question into a form answer, and
# escalations hand the conversation to a person, after which the bot stays silent.
EXCLUDED_INTENTS = frozenset({"position_query"})
# Natural openings and endings: each message text is unique within a level, so the
# embedder's recent-question cache cannot serve a repeat that real traffic would not.
ZH_OPENINGS = ("", "请问", "你好，", "麻烦问下，", "想咨询一下，", "客服你好，")
ZH_ENDINGS = ("？", "", "？谢谢", "，急", "，麻烦了")
EN_OPENINGS = ("", "Hi, ", "Hello, ", "Quick question: ", "Could you tell me: ", "Hey, ")
EN_ENDINGS = ("?", "", "? Thanks.", "? Thank you!", "? Please help.")
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "TOKENIZERS_PARALLELISM": "false",
}
# Server settings the report records (from the server's environment, else the default).
RECORDED_SETTINGS = (
    "mode",
    "rate_connection_per_minute",
    "rate_investor_per_minute",
    "heartbeat_s",
    "max_frame_bytes",
    "bus_url",
    "llm_base_url",
)


class BenchmarkError(RuntimeError):
    """The benchmark could not set itself up (the server did not start, ingest failed)."""


class ProcessUsage(BaseModel):
    """Resident memory and CPU time of one process over a level."""

    pid: int
    rss_before_mib: float
    rss_peak_mib: float
    rss_after_mib: float
    hwm_mib: float = 0.0
    cpu_s: float
    cores_used: float
    peak_cores_used: float = Field(
        0.0, description=f"CPU over the busiest {PEAK_WINDOW_S:.0f} s, from 0.25 s samples"
    )
    cpu_ms_per_reply: float | None


class Messages(BaseModel):
    """What became of the messages a level planned."""

    planned: int
    sent: int
    acked: int
    replied: int
    unsent: int
    escalated_investors: int
    by_action: dict[str, int]
    delayed: int = 0  # acked messages whose answer the server reported delayed (reply_delayed)


class Connections(BaseModel):
    """Investor connections: opened, refused or failed, and closed by the server mid-way."""

    attempted: int
    established: int
    failed: int
    dropped: int


class Ceiling(BaseModel):
    """What two cores could sustain, from the turn's cost, against what was achieved."""

    cores: int
    reference_turn_ms: float
    reference_source: str
    expected_replies_per_s: float
    measured_server_cpu_ms_per_reply: float | None
    measured_total_cpu_ms_per_reply: float | None
    cpu_bound_replies_per_s: float | None
    achieved_share_of_expected: float | None


class Settled(BaseModel):
    """The level's database once the server had time to finish: what was acknowledged
    and never handled is what the service lost."""

    waited_s: float
    messages: int = Field(description="investor messages stored (each was acknowledged)")
    replies: int = Field(description="bot replies stored")
    unhandled: int = Field(description="messages still pending: neither answered nor settled")


class LevelResult(BaseModel):
    """One level: N investors asking their questions at once."""

    investors: int
    questions: int
    status: Literal["ok", "errors", "failed"]
    cut_off: bool
    error_share: float
    wall_s: float
    active_s: float
    server_start_s: float | None
    load_average_before: list[float]
    load_average_after: list[float]
    connections: Connections
    messages: Messages
    connection_errors: dict[str, int]
    message_errors: dict[str, int]
    connect: Latency | None
    setup: Latency | None
    ack: Latency | None
    reply: Latency | None
    replies_per_s: float
    peak_replies_per_s: float = Field(
        0.0, description=f"replies in the busiest {PEAK_WINDOW_S:.0f} s window, per second"
    )
    distinct_texts: int
    server: ProcessUsage | None
    client: ProcessUsage
    ceiling: Ceiling | None = None
    server_log: str | None = None
    server_exceptions: dict[str, int] = {}
    cache_hit_rates: dict[str, float] = {}
    server_exit_code: int | None = Field(
        None, description="set when the server process ended during the level"
    )
    settled: Settled | None = None


class BenchReport(BaseModel):
    """Everything ``ws_load.json`` holds."""

    command: str
    started_at: str
    finished_at: str = ""
    duration_s: float = 0.0
    quick: bool
    config: dict[str, Any]
    server: dict[str, Any]
    machine: MachineInfo
    turn_cost: TurnCost | None = None
    levels: list[LevelResult] = []
    method: str


@dataclass(frozen=True)
class LoadConfig:
    """One level's shape: who connects, how much each asks, and when everything stops."""

    investors: int
    questions: int
    think_s: tuple[float, float] = (0.5, 1.5)
    ramp_s: float = 10.0
    connect_timeout_s: float = 30.0
    reply_timeout_s: float = 120.0
    level_timeout_s: float = 300.0
    seed: int = SEED

    def as_json(self) -> dict[str, Any]:
        """The settings as the report records them."""
        return {
            "questions_per_investor": self.questions,
            "think_s": list(self.think_s),
            "ramp_s": self.ramp_s,
            "connect_timeout_s": self.connect_timeout_s,
            "reply_timeout_s": self.reply_timeout_s,
            "level_timeout_s": self.level_timeout_s,
            "seed": self.seed,
        }


QuestionSource = Callable[[int, int], str]
"""(investor index, question index) -> the message text."""

TokenSource = Callable[[str], str]
"""investor id -> the session token its hello carries."""


def load_questions(files: Sequence[Path] = QUESTION_FILES) -> list[tuple[str, str]]:
    """(text, lang) of single-turn evaluation questions the bot answers from knowledge.

    Only intents with the ``knowledge`` handler, never those expected to escalate:
    a load test of the bot must not hand its investors to a person.
    """
    catalogue = load_catalogue(Settings.model_fields["intents_catalogue"].default)
    answered = {
        intent.name
        for intent in catalogue.intents
        if intent.handler == "knowledge" and intent.name not in EXCLUDED_INTENTS
    }
    seen: set[str] = set()
    questions: list[tuple[str, str]] = []
    for path in files:
        for case in load_cases(path):
            if (
                case.question is None
                or case.expected_intent not in answered
                or case.expect_escalation
                or case.question in seen
            ):
                continue
            seen.add(case.question)
            questions.append((case.question, case.lang or "zh"))
    return questions


def message_texts(questions: Sequence[tuple[str, str]], count: int, seed: int) -> list[str]:
    """``count`` texts, each a question with a natural opening and ending, unique while
    the combinations last (then they repeat, reshuffled)."""
    variants = []
    for text, lang in questions:
        core = text.rstrip("？?。.！! ")
        openings, endings = (EN_OPENINGS, EN_ENDINGS) if lang == "en" else (ZH_OPENINGS, ZH_ENDINGS)
        for opening in openings:
            for ending in endings:
                lower = opening and lang == "en" and not core.startswith(("I ", "I'"))
                body = core[0].lower() + core[1:] if lower and not core[1:2].isupper() else core
                variants.append(f"{opening}{body}{ending}")
    unique = list(dict.fromkeys(variants))
    rng = random.Random(seed)
    texts: list[str] = []
    while len(texts) < count:
        batch = unique[:]
        rng.shuffle(batch)
        texts.extend(batch[: count - len(texts)])
    return texts


def zipf_texts(
    questions: Sequence[tuple[str, str]], count: int, seed: int, exponent: float = 1.0
) -> list[str]:
    """``count`` texts as a help desk hears them: the question of rank r (in an order
    shuffled by ``seed``) drawn with weight 1/r^``exponent``, so a few questions make most
    of the traffic, each lightly reworded: an opening and an ending drawn the same way, the
    bare question the likeliest (the evaluation sets hold the paraphrases themselves)."""
    return [text for _, text in zipf_mix(questions, count, seed, exponent)]


def zipf_mix(
    questions: Sequence[tuple[str, str]], count: int, seed: int, exponent: float = 1.0
) -> list[tuple[int, str]]:
    """:func:`zipf_texts`, each text beside the index in ``questions`` of the question it
    rewords (so a benchmark can look up what the evaluation expects of it)."""
    rng = random.Random(seed)
    ranked = list(range(len(questions)))
    rng.shuffle(ranked)
    weights = [1.0 / (rank**exponent) for rank in range(1, len(ranked) + 1)]
    mix = []
    for index in rng.choices(ranked, weights=weights, k=count):
        text, lang = questions[index]
        core = text.rstrip("？?。.！! ")
        openings, endings = (EN_OPENINGS, EN_ENDINGS) if lang == "en" else (ZH_OPENINGS, ZH_ENDINGS)
        opening = rng.choices(openings, weights=[1 / (i + 1) for i in range(len(openings))])[0]
        ending = rng.choices(endings, weights=[1 / (i + 1) for i in range(len(endings))])[0]
        lower = opening and lang == "en" and not core.startswith(("I ", "I'"))
        body = core[0].lower() + core[1:] if lower and not core[1:2].isupper() else core
        mix.append((index, f"{opening}{body}{ending}"))
    return mix


def texts_by_investor(texts: Sequence[str], questions: int) -> QuestionSource:
    """Investor i asks texts[i * questions : (i + 1) * questions], in order."""

    def question(investor: int, number: int) -> str:
        return texts[investor * questions + number]

    return question


def _status_mib(pid: int) -> dict[str, float]:
    fields: dict[str, float] = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                fields[name] = int(value.split()[0]) / 1024.0
    return fields


def _cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of a process and all its threads; None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class ProcessProbe:
    """Samples one process's resident memory while a level runs."""

    def __init__(self, pid: int, interval_s: float = 0.25) -> None:
        self.pid = pid
        self.interval_s = interval_s
        self.rss_before = self.rss_peak = _status_mib(pid).get("VmRSS", 0.0)
        self.cpu_before = self.cpu_last = _cpu_s(pid) or 0.0
        self.samples: list[tuple[float, float]] = []  # (monotonic s, CPU s)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._sample())

    async def _sample(self) -> None:
        while True:
            self.rss_peak = max(self.rss_peak, _status_mib(self.pid).get("VmRSS", 0.0))
            self.cpu_last = _cpu_s(self.pid) or self.cpu_last  # the last figure if it died
            self.samples.append((time.perf_counter(), self.cpu_last))
            await asyncio.sleep(self.interval_s)

    async def finish(self, busy_s: float, replies: int) -> ProcessUsage:
        """Usage since the probe was made; ``cores_used`` is CPU time over ``busy_s``."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        status = _status_mib(self.pid)
        cpu = (_cpu_s(self.pid) or self.cpu_last) - self.cpu_before
        rss_after = status.get("VmRSS", 0.0)
        cores = cpu / busy_s if busy_s > 0 else 0.0
        peak = _peak_cpu_rate(self.samples) if busy_s > PEAK_WINDOW_S else cores
        return ProcessUsage(
            pid=self.pid,
            rss_before_mib=round(self.rss_before, 1),
            rss_peak_mib=round(max(self.rss_peak, rss_after), 1),
            rss_after_mib=round(rss_after, 1),
            hwm_mib=round(status.get("VmHWM", 0.0), 1),
            cpu_s=round(cpu, 2),
            cores_used=round(cores, 3),
            peak_cores_used=round(peak, 3),
            cpu_ms_per_reply=round(cpu * 1000.0 / replies, 2) if replies else None,
        )


def _peak_cpu_rate(samples: Sequence[tuple[float, float]]) -> float:
    """CPU seconds per second over the busiest ``PEAK_WINDOW_S`` of (time, CPU) samples."""
    best = 0.0
    start = 0
    for at, cpu in samples:
        while at - samples[start][0] > PEAK_WINDOW_S:
            start += 1
        span = at - samples[start][0]
        if span >= 0.9 * PEAK_WINDOW_S:  # a short window would flatter the peak
            best = max(best, (cpu - samples[start][1]) / span)
    if best == 0.0 and len(samples) > 1:
        (first_at, first_cpu), (last_at, last_cpu) = samples[0], samples[-1]
        best = (last_cpu - first_cpu) / (last_at - first_at) if last_at > first_at else 0.0
    return best


def peak_rate(times: Sequence[float], window_s: float = PEAK_WINDOW_S) -> float:
    """Events per second in the busiest ``window_s``: the most in any such window, over it."""
    ordered = sorted(times)
    most = 0
    start = 0
    for end, at in enumerate(ordered):
        while at - ordered[start] > window_s:
            start += 1
        most = max(most, end - start + 1)
    return most / window_s


def raise_open_file_limit(needed: int) -> int:
    """Lift the soft open-file limit towards ``needed`` (children inherit it); the result."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        soft = wanted
    return int(soft)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def cache_hit_rates(port: int) -> dict[str, float]:
    """Each cache's hit rate from the server's ``/metrics`` (empty when it has none)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
            text = answer.read().decode("utf-8")
    except OSError:
        return {}
    pattern = r'^brokerdesk_cache_hit_rate\{cache="([^"]+)"\} (\S+)$'
    rates = {name: round(float(value), 4) for name, value in re.findall(pattern, text, re.M)}
    calls = re.search(r"^brokerdesk_embedder_batches_total (\S+)$", text, re.M)
    questions = re.search(r"^brokerdesk_embedder_batched_questions_total (\S+)$", text, re.M)
    if calls and questions and float(calls.group(1)):
        rates["mean embedder batch (questions)"] = round(
            float(questions.group(1)) / float(calls.group(1)), 2
        )
    return rates


def _ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as answer:
            return int(answer.status) == 200
    except OSError:  # refused, 503 (HTTPError), timed out
        return False


def _assistant_command() -> list[str]:
    script = Path(sys.executable).with_name("assistant")
    return [str(script)] if script.exists() else [sys.executable, "-m", "assistant.cli"]


def server_environment(
    *,
    state_dir: Path,
    kb_dir: Path,
    database: Path,
    port: int,
    secret: str,
    overrides: dict[str, str],
) -> dict[str, str]:
    """A server's environment: this one without any BROKERDESK_* of its own, offline,
    development mode, its state, KB, database, port and secret, then ``overrides`` (so
    ``--server-env BROKERDESK_DATABASE_URL=...`` or ``BROKERDESK_BUS_URL=...`` win)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BROKERDESK_")}
    env.update(
        {
            **OFFLINE_ENV,
            "BROKERDESK_MODE": "development",
            "BROKERDESK_STATE_DIR": str(state_dir),
            "BROKERDESK_KB_DIR": str(kb_dir),
            "BROKERDESK_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
            "BROKERDESK_HOST": "127.0.0.1",
            "BROKERDESK_PORT": str(port),
            "BROKERDESK_SECRET_KEY": secret,
            # No periodic proactive pushes: the level measures the dialogue alone.
            "BROKERDESK_PUSH_POLL_S": "0",
            # Every simulated investor connects from 127.0.0.1: the per-address and global
            # limits would measure the limiter, not the service (per-investor ones stay).
            "BROKERDESK_RATE_ADDRESS_PER_MINUTE": "1000000",
            "BROKERDESK_RATE_GLOBAL_PER_MINUTE": "1000000",
        }
    )
    env.update(overrides)
    return env


def recorded_settings(overrides: dict[str, str]) -> dict[str, Any]:
    """The settings in ``RECORDED_SETTINGS`` as the servers read them, given ``overrides``."""
    values: dict[str, Any] = {}
    for name in RECORDED_SETTINGS:
        spec = Settings.model_fields[name]
        raw = overrides.get(f"BROKERDESK_{name.upper()}")
        if raw is None:
            values[name] = spec.get_default(call_default_factory=True)
        else:
            values[name] = TypeAdapter[Any](spec.annotation or str).validate_python(raw)
    database = overrides.get("BROKERDESK_DATABASE_URL")
    values["database"] = (
        database.split("://", 1)[0] + ", shared by every level"
        if database
        else "sqlite+aiosqlite, a fresh file per level"
    )
    values["bus"] = overrides.get("BROKERDESK_BUS_URL") or "in-process"
    return values


class ServerProcess:
    """``assistant serve`` in a subprocess on a free loopback port, its output in a log file."""

    def __init__(self, env: dict[str, str], log_path: Path, cwd: Path) -> None:
        self.env = env
        self.port = int(env["BROKERDESK_PORT"])
        self.log_path = log_path
        self.cwd = cwd
        self.command = [*_assistant_command(), "serve"]
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None, "the server is not running"
        return self.process.pid

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/investor"

    def start(self, timeout_s: float = 300.0) -> float:
        """Start and wait until it is ready (``/readyz``: its models loaded)."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.command, cwd=self.cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = started + timeout_s
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise BenchmarkError(
                    f"assistant serve exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            if _port_open(self.port) and _ready(self.port):
                return time.perf_counter() - started
            time.sleep(0.2)
        self.stop()
        raise BenchmarkError(f"assistant serve did not listen within {timeout_s:.0f} s")

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text("utf-8", "replace").splitlines()[-lines:])
        return ""


_EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt))(?::|$)")
_CHAINED = ("The above exception was the direct cause", "During handling of the above exception")


def logged_exceptions(log: str) -> dict[str, int]:
    """Tracebacks in a server log, counted by the exception that ended each one.

    A chained traceback ("The above exception was the direct cause ...") counts
    once, as its last exception: the one the server actually failed with.
    """
    counts: Counter[str] = Counter()
    lines = log.splitlines()
    for number, line in enumerate(lines):
        match = _EXCEPTION_LINE.match(line)
        if match is None:
            continue
        chained = False
        for text in lines[number + 1 :]:
            if text.startswith("Traceback (most recent call last)"):
                break
            if text.startswith(_CHAINED):
                chained = True
                break
        if not chained:
            counts[match.group(1)] += 1
    return dict(sorted(counts.items()))


def ensure_knowledge_base(kb_dir: Path, env: dict[str, str], cwd: Path) -> float:
    """Ingest the sample knowledge into ``kb_dir`` (unchanged files are skipped); seconds."""
    started = time.perf_counter()
    result = subprocess.run(
        [*_assistant_command(), "ingest", str(SAMPLE_KB), "--kb", str(kb_dir), "--prune"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BenchmarkError(f"ingest failed ({result.returncode}):\n{result.stderr[-2000:]}")
    return time.perf_counter() - started


@dataclass
class MessageRun:
    sent_at: float
    ack_s: float | None = None
    reply_s: float | None = None
    replied_at: float | None = None
    action: str | None = None
    error: str | None = None
    delayed: bool = False  # the server said reply_delayed: acked, the answer comes later


@dataclass
class InvestorRun:
    connect_s: float | None = None
    setup_s: float | None = None
    connection_error: str | None = None
    dropped: str | None = None
    escalated: bool = False
    messages: list[MessageRun] = field(default_factory=list)


class _DroppedError(Exception):
    """The server closed the connection under the investor."""

    def __init__(self, code: int | None) -> None:
        super().__init__(code)
        self.label = f"dropped:{code}"


class _Session:
    """One investor's socket: frames in with a deadline, a ping whenever one is due."""

    def __init__(self, connection: ClientConnection, heartbeat_s: float) -> None:
        self.connection = connection
        self.heartbeat_s = heartbeat_s
        self._loop = asyncio.get_running_loop()
        self.ping_due = self._loop.time() + heartbeat_s
        self.replayed_up_to = 0  # sequenced frames up to here are the backlog, not answers

    async def send(self, frame: dict[str, Any]) -> None:
        try:
            await self.connection.send(json.dumps(frame, ensure_ascii=False))
        except ConnectionClosed as closed:
            raise _DroppedError(_close_code(closed)) from None
        self.ping_due = self._loop.time() + self.heartbeat_s

    async def next_frame(self, deadline: float) -> dict[str, Any]:
        """The next frame; TimeoutError at ``deadline``; pings keep the server's idle timer off."""
        while True:
            now = self._loop.time()
            if now >= deadline:
                raise TimeoutError
            if now >= self.ping_due:
                await self.send({"type": "ping"})
                continue
            try:
                raw = await asyncio.wait_for(
                    self.connection.recv(), min(deadline, self.ping_due) - now
                )
            except TimeoutError:
                continue
            except ConnectionClosed as closed:
                raise _DroppedError(_close_code(closed)) from None
            frame: dict[str, Any] = json.loads(raw)
            return frame


def _close_code(closed: ConnectionClosed) -> int | None:
    return closed.rcvd.code if closed.rcvd is not None else None


def _error_label(frame: dict[str, Any]) -> str:
    return f"error:{frame.get('code', '?')}"


async def _investor(
    index: int,
    ws_url: str,
    token: str,
    config: LoadConfig,
    question: QuestionSource,
    run: InvestorRun,
    start_at: float,
) -> None:
    loop = asyncio.get_running_loop()
    rng = random.Random(config.seed * 1_000_003 + index)
    await asyncio.sleep(max(0.0, start_at - loop.time()))
    began = time.perf_counter()
    try:
        connection = await connect(
            ws_url, open_timeout=config.connect_timeout_s, ping_interval=None, close_timeout=5
        )
    except (OSError, TimeoutError, InvalidHandshake) as exc:
        run.connection_error = f"connect:{type(exc).__name__}"
        return
    run.connect_s = time.perf_counter() - began
    try:
        session = _Session(connection, heartbeat_s=25.0)
        await session.send({"type": "hello", "v": 1, "token": token})
        deadline = loop.time() + config.connect_timeout_s
        while True:
            frame = await session.next_frame(deadline)
            if frame["type"] == "welcome":
                session.heartbeat_s = float(frame["heartbeat_s"])
                session.replayed_up_to = int(frame["last_seq"])
                break
            if frame["type"] == "error":
                run.connection_error = _error_label(frame)
                return
        run.setup_s = time.perf_counter() - began
        for number in range(config.questions):
            if number:
                await asyncio.sleep(rng.uniform(*config.think_s))
            await _ask(session, f"m-{number}", question(index, number), config, run)
            if run.escalated:
                break
    except TimeoutError:
        run.connection_error = "timeout:welcome"
    except _DroppedError as dropped:
        if run.setup_s is None:
            run.connection_error = dropped.label
        else:
            run.dropped = dropped.label
    finally:
        with contextlib.suppress(OSError, ConnectionClosed):
            await connection.close()


async def _ask(
    session: _Session, client_msg_id: str, text: str, config: LoadConfig, run: InvestorRun
) -> None:
    """One message: its ack and its reply (or the error that refused it, or a timeout)."""
    loop = asyncio.get_running_loop()
    sent_at = time.perf_counter()
    await session.send({"type": "message", "client_msg_id": client_msg_id, "text": text})
    message = MessageRun(sent_at=sent_at)
    run.messages.append(message)
    deadline = loop.time() + config.reply_timeout_s
    try:
        while True:
            frame = await session.next_frame(deadline)
            kind = frame["type"]
            if kind == "ack" and frame.get("client_msg_id") == client_msg_id:
                message.ack_s = time.perf_counter() - message.sent_at
            elif (
                kind == "reply"
                and frame.get("reply_to") == client_msg_id
                and int(frame["seq"]) > session.replayed_up_to
            ):
                message.replied_at = time.perf_counter()
                message.reply_s = message.replied_at - message.sent_at
                message.action = str(frame.get("action"))
                run.escalated = message.action == "escalate"
                return
            elif kind == "error" and frame.get("code") == "reply_delayed":
                message.delayed = True  # stored and acked; keep waiting for the answer
            elif kind == "error" and frame.get("client_msg_id") in (client_msg_id, None):
                # One message is in flight at a time: an error naming no message is this one's
                # (a frame too large to parse cannot name it).
                message.error = _error_label(frame)
                return
    except TimeoutError:
        message.error = "timeout:reply" if message.ack_s is not None else "timeout:ack"
    except _DroppedError as dropped:
        message.error = dropped.label
        raise


async def run_level(
    ws_url: str,
    config: LoadConfig,
    *,
    question: QuestionSource,
    token: TokenSource,
    server_pid: int | None,
    server_start_s: float | None = None,
    distinct_texts: int = 0,
) -> LevelResult:
    """Drive ``config.investors`` concurrent investors against ``ws_url``; the measurements."""
    loop = asyncio.get_running_loop()
    # New investors every run: none resumes a conversation an earlier run left open.
    run_tag = secrets.token_hex(4)
    tokens = [token(f"LOAD-{run_tag}-{i:05d}") for i in range(config.investors)]
    runs = [InvestorRun() for _ in range(config.investors)]
    load_before = [round(x, 2) for x in os.getloadavg()]
    server = ProcessProbe(server_pid) if server_pid is not None else None
    client = ProcessProbe(os.getpid())
    for probe in (server, client):
        if probe is not None:
            probe.start()
    started = time.perf_counter()
    first_start = loop.time() + 0.05
    step = config.ramp_s / config.investors if config.investors > 1 else 0.0
    tasks = [
        asyncio.create_task(
            _investor(i, ws_url, tokens[i], config, question, runs[i], first_start + i * step)
        )
        for i in range(config.investors)
    ]
    done, pending = await asyncio.wait(tasks, timeout=config.level_timeout_s)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    for task in done:
        task.result()  # a bug in this client is not a server error: let it surface
    wall_s = time.perf_counter() - started
    cut_off = bool(pending)
    for run in runs:
        for message in run.messages:
            if message.reply_s is None and message.error is None:
                message.error = "cut_off"
    messages = [m for run in runs for m in run.messages]
    replied = [m for m in messages if m.reply_s is not None]
    if replied:
        active_s = max(m.replied_at or 0.0 for m in replied) - min(m.sent_at for m in messages)
    else:
        active_s = 0.0
    await asyncio.sleep(1.0)  # let the server release closed connections before "after"
    # Over the active span: a tail spent waiting for replies that never come uses no CPU.
    busy_s = active_s or wall_s
    server_usage = await server.finish(busy_s, len(replied)) if server is not None else None
    client_usage = await client.finish(busy_s, len(replied))
    return summarise(
        config,
        runs,
        wall_s=wall_s,
        active_s=active_s,
        cut_off=cut_off,
        load_before=load_before,
        server=server_usage,
        client=client_usage,
        server_start_s=server_start_s,
        distinct_texts=distinct_texts,
    )


def summarise(
    config: LoadConfig,
    runs: Sequence[InvestorRun],
    *,
    wall_s: float,
    active_s: float,
    cut_off: bool,
    load_before: list[float],
    server: ProcessUsage | None,
    client: ProcessUsage,
    server_start_s: float | None,
    distinct_texts: int,
) -> LevelResult:
    messages = [m for run in runs for m in run.messages]
    replied = [m for m in messages if m.reply_s is not None]
    planned = config.investors * config.questions
    escalated = sum(run.escalated for run in runs)
    # An investor whose question escalated stops asking: not an error, so not "unsent".
    skipped = sum(config.questions - len(run.messages) for run in runs if run.escalated)
    unsent = planned - len(messages) - skipped
    message_errors = Counter(m.error for m in messages if m.error is not None)
    connection_errors = Counter(run.connection_error for run in runs if run.connection_error)
    connection_errors.update(run.dropped for run in runs if run.dropped)
    replies_per_s = len(replied) / active_s if active_s > 0 else 0.0
    # A level shorter than the window has no busier part to find.
    peak = (
        peak_rate([m.replied_at for m in replied if m.replied_at])
        if active_s > PEAK_WINDOW_S
        else replies_per_s
    )
    failures = sum(message_errors.values()) + unsent
    error_share = failures / planned if planned else 0.0
    if cut_off or not replied or error_share > FAILED_ERROR_SHARE:
        status: Literal["ok", "errors", "failed"] = "failed"
    elif failures or connection_errors:
        status = "errors"
    else:
        status = "ok"
    return LevelResult(
        investors=config.investors,
        questions=config.questions,
        status=status,
        cut_off=cut_off,
        error_share=round(error_share, 4),
        wall_s=round(wall_s, 2),
        active_s=round(active_s, 2),
        server_start_s=round(server_start_s, 1) if server_start_s is not None else None,
        load_average_before=load_before,
        load_average_after=[round(x, 2) for x in os.getloadavg()],
        connections=Connections(
            attempted=len(runs),
            established=sum(run.setup_s is not None for run in runs),
            failed=sum(run.connection_error is not None for run in runs),
            dropped=sum(run.dropped is not None for run in runs),
        ),
        messages=Messages(
            planned=planned,
            sent=len(messages),
            acked=sum(m.ack_s is not None for m in messages),
            replied=len(replied),
            unsent=unsent,
            escalated_investors=escalated,
            by_action=dict(Counter(m.action for m in replied if m.action)),
            delayed=sum(m.delayed for m in messages),
        ),
        connection_errors=dict(sorted(connection_errors.items())),
        message_errors=dict(sorted(message_errors.items())),
        connect=_latency([run.connect_s for run in runs if run.connect_s is not None]),
        setup=_latency([run.setup_s for run in runs if run.setup_s is not None]),
        ack=_latency([m.ack_s for m in messages if m.ack_s is not None]),
        reply=_latency([m.reply_s for m in replied if m.reply_s is not None]),
        replies_per_s=round(replies_per_s, 2),
        peak_replies_per_s=round(peak, 2),
        distinct_texts=distinct_texts,
        server=server,
        client=client,
    )


class TurnCost(BaseModel):
    """CPU and wall time of one dialogue turn, measured alone in a separate process."""

    turns: int
    cpu_ms: float
    wall_ms: float


def turn_cost(kb_dir: Path, state_dir: Path, texts: Sequence[str]) -> TurnCost:
    """Mean CPU (all threads) and wall ms of ``DialoguePolicy.respond``, one turn at a time.

    Runs in whatever process calls it; the benchmark calls it in a fresh one, so the
    client's own memory and CPU figures stay its own. The first ``TURN_COST_WARMUP``
    turns are not counted.
    """
    for name, value in OFFLINE_ENV.items():
        os.environ.setdefault(name, value)
    from assistant.assembly import build_assistant
    from assistant.dialogue_models import ConversationState

    bot = build_assistant(Settings(state_dir=state_dir, kb_dir=kb_dir))

    async def measure() -> TurnCost:
        cpu = wall = 0.0
        for number, text in enumerate(texts):
            state = ConversationState(conversation_id=uuid.uuid4().hex)
            cpu_start, wall_start = time.process_time(), time.perf_counter()
            await bot.policy.respond(state, text)
            if number >= TURN_COST_WARMUP:
                cpu += time.process_time() - cpu_start
                wall += time.perf_counter() - wall_start
        counted = max(1, len(texts) - TURN_COST_WARMUP)
        return TurnCost(
            turns=counted,
            cpu_ms=round(cpu * 1000 / counted, 1),
            wall_ms=round(wall * 1000 / counted, 1),
        )

    try:
        return asyncio.run(measure())
    finally:
        bot.close()


def measure_turn_cost(kb_dir: Path, state_dir: Path, texts: Sequence[str]) -> TurnCost:
    """:func:`turn_cost` in a freshly spawned interpreter."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(turn_cost, kb_dir, state_dir, list(texts)).result()


def ceiling(level: LevelResult, cores: int, turn_ms: float, source: str) -> Ceiling:
    """Replies/s two cores allow at ``turn_ms`` of CPU a turn, and at the CPU measured."""
    expected = cores * 1000.0 / turn_ms
    server_ms = level.server.cpu_ms_per_reply if level.server else None
    total_ms = None
    if server_ms is not None and level.messages.replied:
        total_ms = server_ms + level.client.cpu_s * 1000.0 / level.messages.replied
    return Ceiling(
        cores=cores,
        reference_turn_ms=round(turn_ms, 1),
        reference_source=source,
        expected_replies_per_s=round(expected, 1),
        measured_server_cpu_ms_per_reply=server_ms,
        measured_total_cpu_ms_per_reply=round(total_ms, 2) if total_ms else None,
        cpu_bound_replies_per_s=round(cores * 1000.0 / total_ms, 1) if total_ms else None,
        achieved_share_of_expected=round(level.peak_replies_per_s / expected, 3),
    )


def reference_turn_ms(path: Path = TURNS_REPORT) -> tuple[float, str]:
    """The mean turn latency ``turn_bench`` measured (single-threaded, ~all CPU), or 40 ms."""
    try:
        report = json.loads(path.read_text("utf-8"))
        mean_ms = float(report["latency"]["mean_ms"])
        return mean_ms, f"taken as the mean wall time of a turn in {relative(path)}"
    except (OSError, ValueError, KeyError, TypeError):
        return FALLBACK_TURN_MS, "an assumed figure: no turn benchmark report was found"


def machine_info() -> MachineInfo:
    return measured_machine(
        ("websockets", "uvicorn", "fastapi", "starlette", "sqlalchemy", "aiosqlite")
    )


def _latency(seconds: list[float]) -> Latency | None:
    return Latency.of(seconds) if seconds else None


METHOD = (
    "Each level starts a fresh `assistant serve` process (development mode, SQLite in a new "
    "temporary file, in-process bus, no LLM, periodic pushes off, log level info to a file) "
    "and drives it from one asyncio process with the `websockets` client: one connection per "
    "investor, opened evenly over the ramp, tokens signed with the server's secret. Each "
    "investor says hello, then for each question sends a `message`, waits for its `ack` and "
    "for the `reply` naming it, and thinks for a uniformly random interval before the next; "
    "one message is in flight per investor. Ack and reply latency run from the send to the "
    "frame's arrival. Questions are the single-turn evaluation questions of the knowledge "
    "intents (evals/data/cases.jsonl and intents_heldout.jsonl, none expected to escalate), "
    "each given a natural opening and ending so that texts are unique within a level and the "
    "server's caches serve no repeats (the default mix); with `--mix zipf` the question of "
    "rank r is drawn with weight 1/r^s and its opening and ending the same way (the bare "
    "question likeliest), as a help desk hears them. An error frame counts against the "
    "message in flight; a missing ack or reply within the reply timeout is a timeout; a "
    "connection the server closes is dropped, and that investor's remaining questions are "
    "unsent. An investor whose question escalated to a person stops asking (not an error). "
    "Replies/s is replies over the time from the first message sent to the last reply; the "
    f"busiest-{PEAK_WINDOW_S:.0f}-s figures (replies, and CPU from samples every 0.25 s) are "
    "the densest window, or the whole level when it is shorter, so that one late straggler "
    "does not hide the rate the server sustained. CPU "
    "is user+system time from /proc (all threads), memory VmRSS sampled every 0.25 s and "
    "VmHWM. Status: failed when the level hit its time limit, got no reply, or more than "
    f"{FAILED_ERROR_SHARE:.0%} of planned messages failed or went unsent; errors when any "
    "failed; else ok."
)


def _fmt_latency(latency: Latency | None) -> str:
    if latency is None:
        return "–"
    return f"{latency.p50_ms:,.0f} / {latency.p95_ms:,.0f} / {latency.p99_ms:,.0f}"


def _fmt_cores(usage: ProcessUsage | None) -> str:
    if usage is None:
        return "–"
    return f"{usage.cores_used:.2f} ({usage.peak_cores_used:.2f})"


def _fmt_counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items()) or "none"


def render_markdown(report: BenchReport) -> str:
    m = report.machine
    s = report.server
    lines = [
        "# Websocket load benchmark",
        "",
        f"- Command: `{report.command}`",
        f"- Date: {report.started_at} (took {report.duration_s / 60:.1f} min)"
        + (
            " — **quick run** (small levels; the full levels are 100, 500, 1000)"
            if report.quick
            else ""
        ),
        f"- Commit: {m.git_commit[:12]}{' (with uncommitted changes)' if m.git_dirty else ''}",
        f"- Machine: {m.cpu_model}, {m.logical_cores} logical cores, {m.memory_gib} GiB RAM, "
        f"Python {m.python}, " + ", ".join(f"{k} {v}" for k, v in m.packages.items()),
        f"- Load average at start / end: {m.load_average_start} / {m.load_average_end}",
        f"- Server: `{s['command']}`, " + ", ".join(f"{k}={v}" for k, v in s["settings"].items()),
        "- Load: " + ", ".join(f"{k}={v}" for k, v in report.config.items() if k != "per_level"),
        "",
        _rate_limit_note(report),
        "",
        "**Client and server share this machine's cores.** The client's own CPU time (below) "
        "is taken from the server's budget; on a dedicated server the same process would "
        "have all of it.",
        "",
        "## Summary",
        "",
        "| investors | status | replies/s (busiest 10 s) | reply p50 / p95 / p99 ms "
        "| ack p50 / p95 / p99 ms | set-up p50 / p95 / p99 ms | errors "
        "| server cores used (busiest 10 s) | server peak RSS MiB |",
        "|---:|---|---:|---|---|---|---|---:|---:|",
    ]
    for level in report.levels:
        errors = {**level.connection_errors, **level.message_errors}
        lines.append(
            f"| {level.investors} | {level.status} "
            f"| {level.replies_per_s:.1f} ({level.peak_replies_per_s:.1f}) "
            f"| {_fmt_latency(level.reply)} | {_fmt_latency(level.ack)} "
            f"| {_fmt_latency(level.setup)} | {_fmt_counts(errors)} "
            f"| {_fmt_cores(level.server)} "
            f"| {level.server.rss_peak_mib if level.server else '–'} |"
        )
    lines.append("")
    for level in report.levels:
        lines += _level_markdown(level)
    lines += _bottleneck_markdown(report)
    lines += ["## Method", "", report.method, ""]
    return "\n".join(lines)


def _rate_limit_note(report: BenchReport) -> str:
    settings = report.server["settings"]
    per_connection = int(settings["rate_connection_per_minute"])
    per_investor = int(settings["rate_investor_per_minute"])
    questions = int(report.config["questions_per_investor"])
    bound = min(per_connection, per_investor)
    verdict = (
        "so the limits never bind in this benchmark"
        if questions <= bound
        else f"so the limits bind after {bound} messages and refusals show as error:rate_limited"
    )
    return (
        f"Rate limits: {per_connection} messages/min per connection and {per_investor}/min per "
        f"investor, each with a burst of the same size; every investor sends {questions}, "
        f"{verdict}."
    )


def _level_markdown(level: LevelResult) -> list[str]:
    msg, conn = level.messages, level.connections
    rows: list[tuple[str, str]] = [
        (
            "status",
            f"**{level.status}**" + (" (cut off by the level time limit)" if level.cut_off else ""),
        ),
        (
            "connections attempted / established / failed / dropped",
            f"{conn.attempted} / {conn.established} / {conn.failed} / {conn.dropped}",
        ),
        (
            "messages planned / sent / acked / replied / unsent",
            f"{msg.planned} / {msg.sent} / {msg.acked} / {msg.replied} / {msg.unsent}",
        ),
        ("replies by action", _fmt_counts(msg.by_action)),
        ("answers reported delayed (reply_delayed), then awaited", str(msg.delayed)),
        ("investors handed to a person (stopped asking)", str(msg.escalated_investors)),
        ("connection errors", _fmt_counts(level.connection_errors)),
        ("message errors", _fmt_counts(level.message_errors)),
        ("share of planned messages failed or unsent", f"{level.error_share:.2%}"),
        ("connect (TCP + websocket handshake) p50 / p95 / p99 ms", _fmt_latency(level.connect)),
        ("set-up (connect + hello → welcome) p50 / p95 / p99 ms", _fmt_latency(level.setup)),
        ("ack latency p50 / p95 / p99 ms", _fmt_latency(level.ack)),
        ("reply latency p50 / p95 / p99 ms", _fmt_latency(level.reply)),
        (
            "reply latency mean / max ms",
            f"{level.reply.mean_ms:,.0f} / {level.reply.max_ms:,.0f}" if level.reply else "–",
        ),
        (
            "throughput, replies/s: over the active span (busiest 10 s)",
            f"{level.replies_per_s:.1f} ({msg.replied} in {level.active_s:.1f} s); "
            f"busiest 10 s {level.peak_replies_per_s:.1f}",
        ),
        ("distinct message texts", str(level.distinct_texts)),
        ("level wall time s (ramp to last close)", f"{level.wall_s:.1f}"),
        ("server start-up s", f"{level.server_start_s}" if level.server_start_s else "–"),
    ]
    if level.server:
        sv = level.server
        rows += [
            (
                "server RSS before / peak / after MiB (VmHWM)",
                f"{sv.rss_before_mib:,.0f} / {sv.rss_peak_mib:,.0f} / {sv.rss_after_mib:,.0f} "
                f"({sv.hwm_mib:,.0f})",
            ),
            (
                "server CPU s, cores used over the active span (busiest 10 s)",
                f"{sv.cpu_s:.1f}, {_fmt_cores(sv)}",
            ),
            ("server CPU ms per reply (connection set-up included)", f"{sv.cpu_ms_per_reply}"),
        ]
    cl = level.client
    rows += [
        (
            "client RSS before / peak / after MiB",
            f"{cl.rss_before_mib:,.0f} / {cl.rss_peak_mib:,.0f} / {cl.rss_after_mib:,.0f}",
        ),
        ("client CPU s, cores used (busiest 10 s)", f"{cl.cpu_s:.1f}, {_fmt_cores(cl)}"),
        ("client CPU ms per reply", f"{cl.cpu_ms_per_reply}"),
        (
            "load average before → after",
            f"{level.load_average_before} → {level.load_average_after}",
        ),
    ]
    if level.server_exit_code is not None:
        rows.append(
            ("server process", f"**ended during the level** (exit {level.server_exit_code})")
        )
    if level.settled is not None:
        done = level.settled
        rows.append(
            (
                "in the database after the level (waited for the sweep): messages / bot "
                "replies / still unhandled",
                f"{done.messages} / {done.replies} / **{done.unhandled}** "
                f"(after {done.waited_s:.0f} s)",
            )
        )
    if level.server_log:
        rows += [
            ("server log", f"`{level.server_log}`"),
            (
                "cache hit rates, mean embedder batch (the server's /metrics after the level)",
                ", ".join(f"{k} {v:.2f}" for k, v in sorted(level.cache_hit_rates.items())) or "–",
            ),
            ("exceptions in the server log", _fmt_counts(level.server_exceptions)),
        ]
    asks = "1 question" if level.questions == 1 else f"{level.questions} questions"
    lines = [
        f"## {level.investors} investors × {asks}",
        "",
        "| measure | value |",
        "|---|---|",
    ]
    lines += [f"| {name} | {value} |" for name, value in rows]
    return [*lines, ""]


def _bottleneck_markdown(report: BenchReport) -> list[str]:
    measured = [level for level in report.levels if level.ceiling is not None]
    if not measured:
        return []
    first = measured[0].ceiling
    assert first is not None
    lines = [
        "## Where the ceiling is",
        "",
        f"A turn without an LLM costs about {first.reference_turn_ms:.0f} ms of CPU "
        f"({first.reference_source}). {first.cores} cores can therefore answer at most about "
        f"**{first.expected_replies_per_s:.0f} replies/s**, before the websocket, the database "
        "and this client take their share. Measured per level:",
        "",
        "| investors | replies/s, busiest 10 s | share of the expected ceiling "
        "| server CPU ms/reply | server + client CPU ms/reply "
        "| replies/s those allow on these cores | server cores used, busiest 10 s "
        "| client cores used, busiest 10 s |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for level in measured:
        c = level.ceiling
        assert c is not None
        lines.append(
            f"| {level.investors} | {level.peak_replies_per_s:.1f} "
            f"| {c.achieved_share_of_expected:.0%} | {c.measured_server_cpu_ms_per_reply} "
            f"| {c.measured_total_cpu_ms_per_reply} | {c.cpu_bound_replies_per_s} "
            f"| {level.server.peak_cores_used if level.server else '–'} "
            f"| {level.client.peak_cores_used} |"
        )
    lines += ["", *_findings(report, measured), ""]
    return lines


def _findings(report: BenchReport, measured: Sequence[LevelResult]) -> list[str]:
    """What this run's numbers say about the bottleneck, in sentences built from them."""
    biggest = max(measured, key=lambda level: level.investors)
    c = biggest.ceiling
    assert c is not None
    found = [
        f"- At {biggest.investors} investors the server answered "
        f"{biggest.peak_replies_per_s:.1f} replies/s in its busiest {PEAK_WINDOW_S:.0f} s "
        f"({biggest.replies_per_s:.1f} over the whole level), "
        f"{c.achieved_share_of_expected:.0%} of the ~{c.expected_replies_per_s:.0f}/s that "
        f"{c.cores} cores allow at the turn's own cost."
    ]
    if c.measured_server_cpu_ms_per_reply:
        found.append(
            f"- Each reply cost the server {c.measured_server_cpu_ms_per_reply:.0f} ms of CPU, "
            f"{c.measured_server_cpu_ms_per_reply / c.reference_turn_ms:.1f}× the turn alone: "
            "the rest is what surrounds the turn (opening the connections, websocket frames, "
            "SQLite writes, JSON, the bus, logging), plus whatever CPU contention on a busy "
            "machine adds."
        )
    busiest = max((level.server.peak_cores_used for level in measured if level.server), default=0.0)
    if busiest >= 1.5:
        found.append(
            f"- In its busiest {PEAK_WINDOW_S:.0f} s the server process used {busiest:.2f} "
            "cores, most of the machine: the cores themselves are the limit here."
        )
    elif busiest >= 0.85:
        found.append(
            f"- In its busiest {PEAK_WINDOW_S:.0f} s the server process used {busiest:.2f} "
            "cores: about one, well short of two. One process (one event loop; the dialogue's "
            "worker threads share one GIL, and only the embedder's native code runs beside "
            "it) is the limit, and the other core goes to the client and anything else "
            "running. More throughput needs more server processes (several `assistant serve` "
            "behind a balancer, sharing Redis and PostgreSQL), not a faster loop."
        )
    else:
        found.append(
            f"- The server process used at most {busiest:.2f} cores in any "
            f"{PEAK_WINDOW_S:.0f} s: it did not get a whole core, so the machine, not the "
            "server's design, set these numbers (see the load averages); they are lower bounds."
        )
    if biggest.reply is not None:
        found.append(
            f"- Reply p50 {biggest.reply.p50_ms:,.0f} ms at {biggest.investors} investors "
            f"against ~{c.reference_turn_ms:.0f} ms for a turn alone is queueing: with every "
            "investor waiting on one reply, latency ≈ investors ÷ throughput − think time."
        )
    failing = {
        name: count
        for level in measured
        for name, count in level.server_exceptions.items()
        if count
    }
    if failing:
        found.append(
            "- The server logged exceptions under load: "
            + ", ".join(f"{name} ({count})" for name, count in failing.items())
            + "; see the per-level logs. A reply lost to one shows here as timeout:reply."
        )
    cores = report.machine.logical_cores
    if report.machine.load_average_start and report.machine.load_average_start[0] > cores:
        found.append(
            f"- The machine was busy when this ran (load average "
            f"{report.machine.load_average_start[0]:.1f} on {cores} cores): other work took CPU "
            "from both client and server."
        )
    return found


def write_report(report: BenchReport, out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out / "ws_load.json", out / "ws_load.md"
    json_path.write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")
    md_path.write_text(render_markdown(report), encoding="utf-8")
    return json_path, md_path


def _levels(text: str) -> tuple[int, ...]:
    try:
        levels = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError("a comma-separated list of integers") from None
    if not levels or min(levels) < 1:
        raise argparse.ArgumentTypeError("at least one level, each at least 1")
    return levels


def _interval(text: str) -> tuple[float, float]:
    try:
        low, _, high = text.partition(",")
        interval = (float(low), float(high or low))
    except ValueError:
        raise argparse.ArgumentTypeError("LOW,HIGH seconds") from None
    if interval[0] < 0 or interval[1] < interval[0]:
        raise argparse.ArgumentTypeError("0 <= LOW <= HIGH")
    return interval


def _assignment(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not re.fullmatch(r"[A-Z_][A-Z0-9_]*", name):
        raise argparse.ArgumentTypeError("NAME=VALUE, e.g. BROKERDESK_RATE_INVESTOR_PER_MINUTE=60")
    return name, value


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.ws_load_bench", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--investors", type=_levels, help="levels (default 100,500,1000)")
    parser.add_argument("--questions", type=int, help="questions per investor (default 3)")
    parser.add_argument(
        "--quick", action="store_true", help=f"levels {QUICK_LEVELS}, 2 questions (a few minutes)"
    )
    parser.add_argument("--think", type=_interval, default=(0.5, 1.5), help="LOW,HIGH seconds")
    parser.add_argument("--ramp", type=float, help="seconds over which connections open")
    parser.add_argument("--reply-timeout", type=float, default=120.0, help="seconds a message")
    parser.add_argument(
        "--level-timeout",
        type=float,
        help="seconds a level may take (default: 300, or 0.2 s a planned message if longer)",
    )
    parser.add_argument("--connect-timeout", type=float, default=30.0, help="connect + welcome")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--mix",
        choices=("unique", "zipf"),
        default="unique",
        help="unique: every message differs; zipf: a few questions make most of the traffic",
    )
    parser.add_argument("--zipf", type=float, default=1.0, help="the zipf mix's exponent")
    parser.add_argument(
        "--turn-cost-turns",
        type=int,
        default=100,
        help="turns timed alone for the CPU ceiling (0: use benchmarks/results/turns.json)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="report directory")
    parser.add_argument(
        "--kb-dir", type=Path, help="an existing knowledge base (default: ingest into work dir)"
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=WORK_DIR / "state",
        help="server STATE_DIR (keeps the intent-example cache between runs)",
    )
    parser.add_argument(
        "--log-dir", type=Path, default=WORK_DIR / "logs", help="server logs, one per level"
    )
    parser.add_argument(
        "--server-env",
        type=_assignment,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra server environment variable, recorded in the report (e.g. "
        "BROKERDESK_RATE_INVESTOR_PER_MINUTE=60 or OMP_WAIT_POLICY=passive)",
    )
    args = parser.parse_args(argv)
    if args.questions is not None and args.questions < 1:
        parser.error("--questions must be at least 1")
    return args


async def _measure_levels(
    report: BenchReport,
    args: argparse.Namespace,
    levels: Sequence[int],
    questions: int,
    ramp: float | None,
    kb_dir: Path,
    scratch: Path,
) -> None:
    bank = load_questions()
    secret = secrets.token_urlsafe(32)
    if report.turn_cost is not None:
        turn_ms = report.turn_cost.cpu_ms
        turn_source = (
            f"CPU time of {report.turn_cost.turns} turns measured by this run in a separate "
            f"process, one at a time; their wall time was {report.turn_cost.wall_ms:.0f} ms"
        )
    else:
        turn_ms, turn_source = reference_turn_ms()
    cores = os.cpu_count() or 1
    for investors in levels:
        config = LoadConfig(
            investors=investors,
            questions=questions,
            think_s=args.think,
            ramp_s=ramp if ramp is not None else min(10.0, investors / 100.0),
            connect_timeout_s=args.connect_timeout,
            reply_timeout_s=args.reply_timeout,
            level_timeout_s=args.level_timeout or max(300.0, 0.2 * investors * questions),
            seed=args.seed,
        )
        report.config.setdefault("per_level", {})[str(investors)] = config.as_json()
        database = scratch / f"level-{investors}.db"
        env = server_environment(
            state_dir=args.state_dir.resolve(),
            kb_dir=kb_dir,
            database=database,
            port=_free_port(),
            secret=secret,
            overrides=dict(args.server_env),
        )
        log_path = args.log_dir / f"server-{investors}.log"
        server = ServerProcess(env, log_path, cwd=scratch)
        _log(f"{investors} investors: starting assistant serve")
        start_s = server.start()
        exit_code: int | None = None
        texts = (
            zipf_texts(bank, investors * questions, args.seed + investors, args.zipf)
            if args.mix == "zipf"
            else message_texts(bank, investors * questions, args.seed + investors)
        )
        tokens = SessionTokens(secret, ttl_s=3600)
        try:
            _log(f"server up in {start_s:.1f} s (pid {server.pid}); running the level")
            level = await run_level(
                server.ws_url,
                config,
                question=texts_by_investor(texts, questions),
                token=tokens.issue,
                server_pid=server.pid,
                server_start_s=start_s,
                distinct_texts=len(set(texts)),
            )
            _log("waiting for the server to settle what it acknowledged")
            level.settled = await asyncio.to_thread(settle, database)
            level.cache_hit_rates = cache_hit_rates(server.port)
        finally:
            if server.process is not None:
                exit_code = server.process.poll()
            server.stop()
        if exit_code is not None:
            level.server_exit_code = exit_code
            level.status = "failed"
        level.server_log = relative(log_path)
        with contextlib.suppress(OSError):
            level.server_exceptions = logged_exceptions(log_path.read_text("utf-8", "replace"))
        level.ceiling = ceiling(level, cores, turn_ms, turn_source)
        report.levels.append(level)
        write_report(report, args.out)
        _log(
            f"{investors}: {level.status}, {level.replies_per_s:.1f} replies/s "
            f"(busiest 10 s {level.peak_replies_per_s:.1f}), reply p50/p95/p99 "
            f"{_fmt_latency(level.reply)} ms, errors "
            f"{_fmt_counts({**level.connection_errors, **level.message_errors})}; server "
            f"exceptions {_fmt_counts(level.server_exceptions)}"
        )


def settle(database: Path, limit_s: float = 180.0) -> Settled:
    """Poll the level's SQLite file (read-only) until no turn is pending or ``limit_s``
    passed: late answers and the sweep's retries count, a turn still pending does not."""
    started = time.monotonic()
    while True:
        with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
            unhandled = db.execute("SELECT count(*) FROM pending_turns").fetchone()[0]
            counts = dict(db.execute("SELECT kind, count(*) FROM events GROUP BY kind").fetchall())
        waited = time.monotonic() - started
        if unhandled == 0 or waited >= limit_s:
            return Settled(
                waited_s=round(waited, 1),
                messages=int(counts.get("investor_message", 0)),
                replies=int(counts.get("reply", 0)),
                unhandled=int(unhandled),
            )
        time.sleep(1.0)


def _log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(arguments)
    levels = args.investors or (QUICK_LEVELS if args.quick else DEFAULT_LEVELS)
    questions = args.questions or (2 if args.quick else 3)
    ramp = args.ramp
    started = time.perf_counter()
    limit = raise_open_file_limit(max(levels) * 2 + 256)
    report = BenchReport(
        command=shlex.join(
            [relative(Path(sys.executable)), "-m", "benchmarks.ws_load_bench", *arguments]
        ),
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        quick=bool(args.quick),
        config={
            "levels": list(levels),
            "questions_per_investor": questions,
            "think_s": list(args.think),
            "ramp_s": ramp if ramp is not None else "min(10, investors / 100)",
            "reply_timeout_s": args.reply_timeout,
            "level_timeout_s": args.level_timeout or "max(300, 0.2 × investors × questions)",
            "open_file_limit": limit,
            "seed": args.seed,
            "mix": "unique texts" if args.mix == "unique" else f"zipf, exponent {args.zipf}",
        },
        server={
            "command": shlex.join([*(relative(Path(p)) for p in _assistant_command()), "serve"]),
            "settings": recorded_settings(dict(args.server_env)),
            "extra_env": dict(args.server_env),
        },
        machine=machine_info(),
        method=METHOD,
    )
    args.state_dir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="ws-load-"))
    try:
        kb_dir = args.kb_dir.resolve() if args.kb_dir else WORK_DIR / "kb"
        if args.kb_dir is None:
            _log(f"ingesting the sample knowledge into {relative(kb_dir)}")
            env = server_environment(
                state_dir=args.state_dir.resolve(),
                kb_dir=kb_dir,
                database=scratch / "ingest.db",
                port=8000,  # nothing is served: ingest only reads its settings
                secret=secrets.token_urlsafe(16),
                overrides=dict(args.server_env),
            )
            seconds = ensure_knowledge_base(kb_dir, env, scratch)
            report.config["ingest_s"] = round(seconds, 1)
        report.config["kb_dir"] = relative(kb_dir)
        if args.turn_cost_turns:
            _log(f"measuring the CPU cost of {args.turn_cost_turns} turns in a separate process")
            texts = message_texts(
                load_questions(), TURN_COST_WARMUP + args.turn_cost_turns, args.seed - 1
            )
            report.turn_cost = measure_turn_cost(kb_dir, args.state_dir.resolve(), texts)
            _log(
                f"a turn: {report.turn_cost.cpu_ms:.1f} ms CPU, "
                f"{report.turn_cost.wall_ms:.1f} ms wall"
            )
        asyncio.run(_measure_levels(report, args, levels, questions, ramp, kb_dir, scratch))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    report.machine.load_average_end = [round(x, 2) for x in os.getloadavg()]
    report.finished_at = datetime.now(UTC).isoformat(timespec="seconds")
    report.duration_s = round(time.perf_counter() - started, 1)
    json_path, md_path = write_report(report, args.out)
    print(render_markdown(report))
    _log(f"wrote {relative(json_path)} and {relative(md_path)}")
    return 0 if all(level.status != "failed" for level in report.levels) else 1


if __name__ == "__main__":
    raise SystemExit(main())
