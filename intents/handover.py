"""Why a conversation is handed to a person: the one declaration of the hand-over reasons.

Every other place that names a reason derives it from :class:`EscalationReason`: the flow
engine's :data:`intents.flow_engine.HandoffReason` (the reasons a flow may give), the dialogue
policy's decisions, the priority table and the staff console's labels in
``assistant/escalation.py`` (the console gets the labels from the server, so it keeps no list
of its own), and the ticket a complaint opens. The values are stored with conversations and
tickets, so an existing value is never renamed.
"""

from __future__ import annotations

from enum import StrEnum


class EscalationReason(StrEnum):
    REQUESTED = "requested_human"
    COMPLAINT = "complaint"
    FRAUD = "fraud"
    LOW_CONFIDENCE = "low_confidence"
    NEGATIVE_SENTIMENT = "negative_sentiment"
    FLOW_NEEDS_HUMAN = "flow_needs_human"
