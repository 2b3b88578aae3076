"""How the flows lay out text: bulleted lists, and quick replies from a table of labels."""

from __future__ import annotations

from collections.abc import Mapping

from intents.flow_engine import Localized


def bullets(lines: list[str]) -> str:
    """``lines`` as a bulleted list, one per line."""
    return "\n".join(f"- {line}" for line in lines)


def choices_from(labels: Mapping[str, Localized]) -> tuple[Localized, ...]:
    """One quick reply per label, in the table's order, capitalised as a button reads."""
    return tuple(Localized(label.zh, label.en.capitalize()) for label in labels.values())
