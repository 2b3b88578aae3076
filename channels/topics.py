"""The bus topics: one name for each audience, shared by the brain that publishes and the
transports that subscribe."""

from __future__ import annotations

STAFF_TOPIC = "staff"
"""Notices for the agent console: queue changes, and events of conversations a person has."""


def conversation_topic(conversation_id: str) -> str:
    """The bus topic carrying one conversation's investor-visible frames."""
    return f"conversation:{conversation_id}"
