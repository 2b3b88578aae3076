"""docs/protocol.md is what the protocol's models say, and says all of it."""

from __future__ import annotations

from pathlib import Path

from channels import protocol
from channels.protocol_doc import PARTS, SECTIONS, members, render

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def test_the_protocol_document_is_written_from_the_models() -> None:
    assert DOC.read_text("utf-8") == render(), (
        "docs/protocol.md is stale: python -m channels.protocol_doc > docs/protocol.md"
    )


def test_every_frame_model_is_documented() -> None:
    documented = {model for _, union in SECTIONS for model in members(union)} | set(PARTS)
    frames = {
        value
        for value in vars(protocol).values()
        if isinstance(value, type)
        and issubclass(value, protocol.BaseModel)
        and value.__module__ == protocol.__name__
        and not value.__name__.startswith("_")
    }

    assert frames - documented == set()
    assert "### `reply` (Reply)" in render()
