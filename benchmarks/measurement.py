"""What every benchmark records beside its numbers: latency percentiles and the machine."""

from __future__ import annotations

import contextlib
import os
import platform
import subprocess
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

import numpy as np
from pydantic import BaseModel

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Latency(BaseModel):
    """Percentiles of one kind of latency, in milliseconds."""

    n: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Latency:
        """Percentiles with linear interpolation; at least one sample is needed."""
        if not len(seconds):
            raise ValueError("no latency samples")
        ms = np.asarray(seconds, dtype=np.float64) * 1000.0
        p50, p95, p99 = np.percentile(ms, [50, 95, 99])
        return cls(
            n=len(ms),
            p50_ms=float(p50),
            p95_ms=float(p95),
            p99_ms=float(p99),
            mean_ms=float(ms.mean()),
            max_ms=float(ms.max()),
        )


class MachineInfo(BaseModel):
    cpu_model: str
    logical_cores: int
    memory_gib: float
    python: str
    platform: str
    packages: dict[str, str]
    git_commit: str = "unknown"
    git_dirty: bool = False
    load_average_start: list[float]
    load_average_end: list[float] = []


def machine_info(packages: Sequence[str]) -> MachineInfo:
    """This machine, the versions of ``packages``, the checkout's commit and the load now."""
    cpu_model = platform.processor() or "unknown"
    memory_gib = 0.0
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    versions = {}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    commit, dirty = _git_state()
    return MachineInfo(
        cpu_model=cpu_model,
        logical_cores=os.cpu_count() or 1,
        memory_gib=memory_gib,
        python=platform.python_version(),
        platform=platform.platform(),
        packages=versions,
        git_commit=commit,
        git_dirty=dirty,
        load_average_start=[round(x, 2) for x in os.getloadavg()],
    )


def _git_state() -> tuple[str, bool]:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()

    try:
        return git("rev-parse", "HEAD"), bool(git("status", "--porcelain"))
    except (OSError, subprocess.CalledProcessError):
        return "unknown", False


def relative(path: Path) -> str:
    """``path`` relative to the project root when it lies inside, for reports."""
    try:
        return str(path.absolute().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)
