"""``docs/protocol.md``, written from the models in :mod:`channels.protocol` and nothing
else: ``python -m channels.protocol_doc > docs/protocol.md`` after changing a frame (a test
keeps the file in step)."""

from __future__ import annotations

import inspect
import typing
from typing import Any

from pydantic import BaseModel

from channels import protocol

SECTIONS: tuple[tuple[str, Any], ...] = (
    ("Investor → server", protocol.ClientFrame),
    ("Server → investor", protocol.ServerFrame),
    ("Staff topic (brain → console sockets)", protocol.StaffNotice),
    ("Server → agent console", protocol.ConsoleFrame),
)
"""Each section lists the models of one union, in the union's order."""

PARTS: tuple[type[BaseModel], ...] = (protocol.Source, protocol.StaffEvent, protocol.QueueItem)


def members(union: Any) -> tuple[type[BaseModel], ...]:
    """The models of an ``Annotated[A | B | ..., Field(discriminator=...)]`` union."""
    return typing.get_args(typing.get_args(union)[0])


def render() -> str:
    """The whole document."""
    summary, _, rules = inspect.cleandoc(protocol.__doc__ or "").partition("\n\n")
    lines = [
        "# The websocket protocols",
        "",
        " ".join(summary.split()),
        "",
        f"Version {protocol.PROTOCOL_VERSION}. Written by `python -m channels.protocol_doc` "
        "from `channels/protocol.py`: edit the models, not this file.",
        "",
        rules,
        "",
        'The console sends `{"type": "ping"}` (answered by `pong`) and '
        '`{"type": "typing", "conversation_id": ...}` (the investor sees the agent typing).',
    ]
    for title, union in SECTIONS:
        lines += ["", f"## {title}"]
        for model in members(union):
            lines += ["", *_model(model)]
    lines += ["", "## Parts of frames"]
    for model in PARTS:
        lines += ["", *_model(model)]
    lines += ["", "## Error codes", "", "| code | closes with |", "|---|---|"]
    for code in protocol.ErrorCode:
        close = protocol.CLOSE_CODES.get(code)
        lines.append(f"| `{code.value}` | {close if close is not None else '—'} |")
    return "\n".join(lines) + "\n"


def _model(model: type[BaseModel]) -> list[str]:
    schema = model.model_json_schema()
    frame_type = schema["properties"].get("type", {}).get("default")
    heading = f"### `{frame_type}` ({model.__name__})" if frame_type else f"### {model.__name__}"
    lines = [heading]
    doc = model.__doc__ or ""
    if doc and not doc.startswith(f"{model.__name__}("):
        lines += ["", " ".join(inspect.cleandoc(doc).split())]
    required = set(schema.get("required", ()))
    lines += ["", "| field | type | | meaning |", "|---|---|---|---|"]
    for name, field in schema["properties"].items():
        if name == "type":
            continue
        need = "required" if name in required else f"default `{_json(field.get('default'))}`"
        meaning = " ".join(str(field.get("description", "")).split())
        lines.append(f"| `{name}` | {_type(field, schema)} | {need} | {meaning} |")
    return lines


def _type(field: dict[str, Any], schema: dict[str, Any]) -> str:
    if "$ref" in field:
        return str(field["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in field:
        return " \\| ".join(_type(option, schema) for option in field["anyOf"])
    if "enum" in field:
        return " \\| ".join(f"`{_json(value)}`" for value in field["enum"])
    if "const" in field:
        return f"`{_json(field['const'])}`"
    kind = str(field.get("type", "any"))
    if kind == "array":
        return f"list of {_type(field.get('items', {}), schema)}"
    limits = [
        f"{label} {field[key]}"
        for key, label in (
            ("minimum", "≥"),
            ("maximum", "≤"),
            ("minLength", "length ≥"),
            ("maxLength", "length ≤"),
        )
        if key in field
    ]
    return kind + (f" ({', '.join(limits)})" if limits else "")


def _json(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


if __name__ == "__main__":
    print(render(), end="")
