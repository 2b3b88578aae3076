"""What every command shares: the consoles, the common options, settings that end the
command cleanly when they cannot be used, progress lines and JSON output."""

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console

from assistant.settings import Settings, get_settings
from knowledge.errors import KnowledgeError

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent

console = Console()
errors = Console(stderr=True)

KbOption = Annotated[
    Path | None, typer.Option("--kb", help="knowledge-base directory (default: settings)")
]
JsonOption = Annotated[bool, typer.Option("--json", help="print machine-readable JSON")]


def load_settings(**overrides: Any) -> Settings:
    """The settings (with ``overrides`` validated like the rest); unusable ones end the
    command with what is wrong, never a traceback, and never the values (a secret)."""
    try:
        if not overrides:
            return get_settings()
        return Settings.model_validate({**get_settings().model_dump(), **overrides})
    except ValidationError as exc:
        problems = "\n".join(
            f"  {'.'.join(str(part) for part in error['loc']) or 'settings'}: {error['msg']}"
            for error in exc.errors(include_input=False, include_url=False)
        )
        errors.print(f"[red]error[/red]: the settings cannot be used:\n{problems}")
        raise typer.Exit(2) from None


def fail(exc: KnowledgeError) -> None:
    errors.print(f"[red]error[/red] ({exc.code}): {exc.message}")
    raise typer.Exit(2)


class ProgressLines:
    """Progress as a line now and then where no bar can be drawn (a log file, a pipe)."""

    def __init__(self, what: str, *, enabled: bool, every_s: float = 10.0) -> None:
        self.what = what
        self.enabled = enabled
        self.every_s = every_s
        self.total = 0
        self.done = 0
        self._last = time.monotonic()

    def plan(self, total: int) -> None:
        self.total = total
        if self.enabled and total:
            errors.print(f"{self.what}: {total} to do")

    def advance(self, count: int) -> None:
        self.done += count
        now = time.monotonic()
        if self.enabled and (now - self._last >= self.every_s or self.done == self.total):
            self._last = now
            share = f" ({100 * self.done / self.total:.0f}%)" if self.total else ""
            errors.print(f"{self.what}: {self.done}/{self.total}{share}")


def print_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2, default=str) + "\n")


DatabaseOption = Annotated[
    str | None,
    typer.Option("--database-url", help="SQLAlchemy URL (default: settings database_url)"),
]
