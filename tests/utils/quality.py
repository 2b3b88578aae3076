"""Conversations for the production-quality tests, made through the running app's own routes:
investors on the investor REST API (the real assistant answers them), an agent on the
console API. Nothing is written to the store directly.

What the real assistant does with these questions (sample knowledge base, shipped intents):
the ChiNext question is answered from the knowledge base; questions about buying gold are
out of scope, and a second one in a row is handed to a person for low confidence.

Worked out by hand, for a window that holds only these three conversations:

* ``answered``: "创业板怎么开通？" answered; thumbs up on the reply; rated 5.
* ``handed_over``: "黄金怎么买" (out of scope), "纸黄金在哪里买" (escalated:
  low_confidence); the agent claims it, answers :data:`AGENT_REPLY`, resolves it;
  thumbs down on the bot's first reply; rated 2.
* ``bot_only``: "黄金在哪里买" (out of scope); nobody else answers.

So: 3 conversations, all engaged; 1 escalated (``low_confidence``), containment 2/3;
4 turns, 3 needing attention (two out of scope, one low-confidence handoff), all three gold
questions in one cluster; CSAT mean 3.5 from 2, half of them 4–5; thumbs 1 up, 1 down.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from tests.utils.live_app import LiveApp

ANSWERED = "创业板怎么开通？"
GOLD_FIRST = "黄金怎么买"
GOLD_AGAIN = "纸黄金在哪里买"
GOLD_ELSEWHERE = "黄金在哪里买"
AGENT_REPLY = (
    "黄金ETF在沪深交易所上市交易，用A股证券账户即可在交易时间买卖；纸黄金和实物金条需在银行办理。"
)


@dataclass(frozen=True)
class QualityWeek:
    """The conversation ids of the three conversations (see the module docstring)."""

    answered: str
    handed_over: str
    bot_only: str


def converse(app: LiveApp, agent_username: str, agent_password: str) -> QualityWeek:
    """Hold the three conversations; the agent must exist."""
    with (
        _Investor.open(app, "INV-1001") as answered,
        _Investor.open(app, "INV-1002") as handed,
        _Investor.open(app, "INV-1003") as bot_only,
    ):
        first = answered.say(ANSWERED)
        assert first["action"] == "answer" and first["intent"] != "out_of_scope", first
        answered.feedback(seq=first["seq"], thumbs="up")
        answered.feedback(score=5)

        gold = handed.say(GOLD_FIRST)
        assert gold["intent"] == "out_of_scope", gold
        again = handed.say(GOLD_AGAIN)
        assert (again["action"], again["intent"]) == ("escalate", "out_of_scope"), again
        handed.feedback(seq=gold["seq"], thumbs="down")
        _agent_answers(app, agent_username, agent_password, handed.conversation_id)
        handed.feedback(score=2)

        elsewhere = bot_only.say(GOLD_ELSEWHERE)
        assert elsewhere["intent"] == "out_of_scope", elsewhere
        return QualityWeek(
            answered.conversation_id, handed.conversation_id, bot_only.conversation_id
        )


@dataclass
class _Investor:
    """An investor's REST session on one conversation."""

    http: httpx.Client
    conversation_id: str

    @classmethod
    def open(cls, app: LiveApp, investor_id: str) -> _Investor:
        http = httpx.Client(
            base_url=app.base_url,
            headers={"Authorization": f"Bearer {app.token(investor_id)}"},
            timeout=60,
        )
        opened = http.post("/api/sessions")
        opened.raise_for_status()
        return cls(http, str(opened.json()["conversation_id"]))

    def __enter__(self) -> _Investor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def say(self, text: str) -> dict[str, Any]:
        """Send a message; the bot's reply frame."""
        sent = self.http.post(
            f"/api/conversations/{self.conversation_id}/messages",
            json={"client_msg_id": uuid.uuid4().hex, "text": text},
        )
        sent.raise_for_status()
        replies = [f for f in sent.json()["frames"] if f["type"] == "reply"]
        assert len(replies) == 1, sent.json()
        reply: dict[str, Any] = replies[0]
        return reply

    def feedback(self, **body: Any) -> None:
        stored = self.http.post(f"/api/conversations/{self.conversation_id}/feedback", json=body)
        stored.raise_for_status()


def _agent_answers(app: LiveApp, username: str, password: str, conversation_id: str) -> None:
    with httpx.Client(base_url=f"{app.base_url}/api/console", timeout=60) as agent:
        signed_in = agent.post("/login", json={"username": username, "password": password})
        signed_in.raise_for_status()
        agent.headers["X-CSRF-Token"] = signed_in.json().get("csrf_token", "")
        agent.post(f"/conversations/{conversation_id}/claim").raise_for_status()
        agent.post(
            f"/conversations/{conversation_id}/messages", json={"text": AGENT_REPLY}
        ).raise_for_status()
        agent.post(f"/conversations/{conversation_id}/resolve").raise_for_status()
