"""The scenario map measured: does each help-desk scenario reach the route it should?

Every utterance of ``evals/data/scenario_utterances.jsonl`` is played as the first message of
a fresh conversation through the dialogue policy (a signed-in investor, so that account
questions can be answered from the sample account system), and the reply is read for the
route it took:

* ``faq``: answered, or offered as a choice, from the knowledge base;
* ``flow``: a flow started;
* ``account``: answered from the account system;
* ``handoff``: handed to a person;
* ``none``: declined, or "not in my knowledge".

Scored against the scenario's route: the share routed right; for FAQ scenarios the
retriever's hit@1 (its best entry is one the map lists); for account scenarios whether the
reply came from the account system with the right kind of records, for a real investor.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel

from assistant.scenario_utterances import ScenarioUtterance
from assistant.scenarios import Route, ScenarioMap

if TYPE_CHECKING:
    from assistant.assembly import Assistant
    from assistant.dialogue_models import BotReply

Taken = Literal["faq", "flow", "account", "handoff", "none"]
INVESTOR = "INV-1001"


class ScenarioOutcome(BaseModel):
    scenario: str
    category: str
    text: str
    lang: str
    split: str
    route: Route
    taken: Taken
    right_route: bool
    hit_at_1: bool | None = None
    """FAQ scenarios: the retriever's best entry is one the map lists."""
    account_ok: bool | None = None
    """Account scenarios: answered from the account system, the right kind, real records."""
    top_entry: str | None = None
    reply: str = ""


class ScenarioSummary(BaseModel):
    utterances: int
    right_route: float
    faq_utterances: int
    faq_hit_at_1: float | None
    account_utterances: int
    account_ok: float | None
    by_route: dict[str, float]
    by_category: dict[str, float]
    confusions: dict[str, int]
    """expected route -> taken route, for the utterances routed wrong."""


def taken_route(reply: BotReply) -> Taken:
    """The route a reply took, read from what it did."""
    if reply.escalation is not None:
        return "handoff"
    if any(flag.startswith("account_") for flag in reply.flags):
        return "account"
    if reply.action.value == "flow" or "flow_completed" in reply.flags:
        return "flow"
    if reply.sources:
        return "faq"
    return "none"


async def run_scenarios(
    bot: Assistant,
    scenarios: ScenarioMap,
    utterances: Sequence[ScenarioUtterance],
    *,
    on_utterance: Callable[[], None] = lambda: None,
) -> list[ScenarioOutcome]:
    """Each utterance as a first message; ``on_utterance`` is called after each one."""
    from assistant.dialogue_models import ConversationState

    outcomes: list[ScenarioOutcome] = []
    for utterance in utterances:
        scenario = scenarios.get(utterance.scenario)
        if scenario is None:
            on_utterance()
            continue
        state = ConversationState(
            conversation_id=f"scenario-{uuid.uuid4().hex[:8]}", investor_id=INVESTOR
        )
        reply = await bot.policy.respond(state, utterance.text)
        taken = taken_route(reply)
        outcome = ScenarioOutcome(
            scenario=scenario.id,
            category=scenario.category,
            text=utterance.text,
            lang=utterance.lang,
            split=utterance.split,
            route=scenario.route,
            taken=taken,
            right_route=taken == scenario.route
            or (scenario.route == "flow" and taken == "handoff" and scenario.flow == "complaint"),
            reply=reply.text[:300],
        )
        if scenario.route == "faq" and scenario.entries:
            top = bot.retriever.search(utterance.text, k=1)
            outcome.top_entry = top[0].unit.id if top else None
            outcome.hit_at_1 = outcome.top_entry in scenario.entries
        if scenario.route == "account":
            kind = f"account_{scenario.account_query}"
            outcome.account_ok = (
                kind in reply.flags
                and "needs_sign_in" not in reply.flags
                and "account_system_unavailable" not in reply.flags
            )
        outcomes.append(outcome)
        on_utterance()
    return outcomes


def summarise(outcomes: Sequence[ScenarioOutcome]) -> ScenarioSummary:
    def share(items: Sequence[bool]) -> float | None:
        return round(sum(items) / len(items), 4) if items else None

    by_route: dict[str, list[bool]] = defaultdict(list)
    by_category: dict[str, list[bool]] = defaultdict(list)
    confusions: Counter[str] = Counter()
    for o in outcomes:
        by_route[o.route].append(o.right_route)
        by_category[o.category].append(o.right_route)
        if not o.right_route:
            confusions[f"{o.route} -> {o.taken}"] += 1
    hits = [o.hit_at_1 for o in outcomes if o.hit_at_1 is not None]
    accounts = [o.account_ok for o in outcomes if o.account_ok is not None]
    return ScenarioSummary(
        utterances=len(outcomes),
        right_route=share([o.right_route for o in outcomes]) or 0.0,
        faq_utterances=len(hits),
        faq_hit_at_1=share(hits),
        account_utterances=len(accounts),
        account_ok=share(accounts),
        by_route={route: share(v) or 0.0 for route, v in sorted(by_route.items())},
        by_category={name: share(v) or 0.0 for name, v in sorted(by_category.items())},
        confusions=dict(confusions.most_common()),
    )
