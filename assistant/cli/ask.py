"""`assistant ask`: one investor turn through the real dialogue policy."""

import atexit
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from assistant.cli.common import JsonOption, KbOption, console, errors, load_settings, print_json
from knowledge.errors import KnowledgeError


@contextmanager
def one_turn_of_garbage() -> Iterator[None]:
    """No cyclic garbage collection while one turn loads the assistant and answers, nor at
    the interpreter's exit: each collection walks every object of the loaded models (0.25 s
    of collections during the load, 0.3 s at exit) to free next to nothing, and reference
    counting still frees what each step drops. The collector is on again afterwards, for a
    process that goes on (a test calling the command)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        atexit.register(gc.freeze)  # exit handlers run before the exit's collections


def ask(
    question: Annotated[str, typer.Argument(help="what the investor says")],
    kb: KbOption = None,
    intents: Annotated[
        Path | None, typer.Option("--intents", help="intent catalogue (YAML, CSV or JSONL)")
    ] = None,
    state: Annotated[
        Path | None,
        typer.Option(help="conversation state file: continue a multi-turn conversation"),
    ] = None,
    investor: Annotated[str | None, typer.Option(help="investor id in the account system")] = None,
    as_json: JsonOption = False,
) -> None:
    """One investor turn through the real dialogue policy: answer, intent, sources, action."""
    with one_turn_of_garbage():
        _ask(question, kb, intents, state, investor, as_json)


def _ask(
    question: str,
    kb: Path | None,
    intents: Path | None,
    state: Path | None,
    investor: str | None,
    as_json: bool,
) -> None:
    import asyncio
    import uuid

    from assistant.assembly import build_assistant
    from assistant.dialogue_models import ConversationState
    from intents.errors import IntentError

    settings = load_settings()
    try:
        bot = build_assistant(settings, kb_dir=kb, catalogue_path=intents)
    except (KnowledgeError, IntentError) as exc:
        errors.print(f"[red]error[/red] ({exc.code}): {exc}")
        raise typer.Exit(2) from exc
    if state is not None and state.exists():
        conversation = ConversationState.model_validate_json(state.read_text("utf-8"))
    else:
        conversation = ConversationState(conversation_id=uuid.uuid4().hex, investor_id=investor)
    try:
        reply = asyncio.run(bot.policy.respond(conversation, question))
    finally:
        bot.close()
    if state is not None:
        state.write_text(conversation.model_dump_json(indent=2), "utf-8")
    payload = {
        "answer": reply.text,
        "intent": reply.intent.model_dump() if reply.intent else None,
        "sources": [s.model_dump() for s in reply.sources],
        "action": reply.action.value,
        "escalate": reply.escalate,
        "escalation": reply.escalation.model_dump() if reply.escalation else None,
        "quick_replies": reply.quick_replies,
        "flags": reply.flags,
        "latency_ms": reply.latency_ms,
    }
    if as_json:
        print_json(payload)
        return
    console.print(reply.text)
    for option in reply.quick_replies:
        console.print(f"  [cyan]▸ {option}[/cyan]")
    intent = f"{reply.intent.name} ({reply.intent.confidence:.2f})" if reply.intent else "-"
    console.print(
        f"[dim]action={reply.action.value} intent={intent} escalate={reply.escalate} "
        f"{reply.latency_ms:.0f} ms[/dim]"
    )
