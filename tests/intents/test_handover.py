"""The hand-over reasons are declared once; everything that names them follows that declaration."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

from assistant import dialogue_models
from assistant.escalation import PRIORITY, REASON_LABELS
from intents.flow_engine import HandoffReason
from intents.handover import EscalationReason

CONSOLE = Path(__file__).resolve().parents[2] / "channels" / "static" / "console.js"
_REASON_TABLES = re.compile(r"\breasons: \{(?P<body>[^}]*)\}")
_KEY = re.compile(r"(\w+):")


def test_the_dialogue_models_use_the_one_declaration() -> None:
    assert dialogue_models.EscalationReason is EscalationReason


def test_a_flow_hands_over_only_for_a_declared_reason() -> None:
    reasons = get_args(HandoffReason)

    assert reasons
    assert all(isinstance(reason, EscalationReason) for reason in reasons)


def test_every_reason_has_a_priority() -> None:
    assert set(PRIORITY) == set(EscalationReason)


def test_the_console_labels_exactly_the_declared_reasons_in_each_language() -> None:
    assert set(REASON_LABELS) == {"zh", "en"}, "one label table per console language"
    for labels in REASON_LABELS.values():
        assert set(labels) == set(EscalationReason)
        assert all(label.strip() for label in labels.values())


def test_the_console_keeps_no_list_of_reasons_of_its_own() -> None:
    script = CONSOLE.read_text("utf-8")
    tables = [set(_KEY.findall(match["body"])) for match in _REASON_TABLES.finditer(script)]

    assert len(tables) == 2, "each console language starts with an empty table"
    assert tables == [set(), set()], "the labels come from assistant.escalation.REASON_LABELS"
