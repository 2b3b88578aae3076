"""A turn answered from the investor's own account, and the account questions that follow it.

"我中签了吗" asks the account system; "那我要交多少钱" right after asks it again, about the same
part of the account, in words that name nothing of it. :func:`account_question` reads a
message on its own and, failing that, as a follow-up of the last account question (the
conversation's :class:`~assistant.context.Topic` remembers which part of the account it
was); :func:`account_reply` asks the account system and makes the reply.
"""

from __future__ import annotations

import re

from assistant.account_answers import AccountQuery, answer_account_query, detect_account_query
from assistant.account_query_rules import HYPOTHETICAL
from assistant.accounts import AccountSystem
from assistant.context import Topic, resolve_followup
from assistant.dialogue_models import (
    Action,
    BotReply,
    ConversationState,
    EscalationReason,
    IntentRef,
    Language,
    Speaker,
)
from assistant.escalation import EscalationPolicy
from assistant.message_reading import asks_something
from assistant.templates import PERSON_OPTION, template
from knowledge.lexicon import Lexicon

# Whether something can still be done ("我现在卖点别的股票来得及吗" after the allotment): a
# question of the rules, not of the record just shown.
_CAN_IT_BE_DONE = re.compile(
    r"来得及|赶得上|赶不赶得上|还能|能不能|可不可以|可以吗|行不行|行吗|"
    r"\b(?:in time|can i still|could i still|is it too late)\b",
    re.IGNORECASE,
)
# What to do to the record just shown ("那我改个价", "撤了以后冻结的钱啥时候回来"): how that is
# done is the rules' answer, not the record again.
_ACTS_ON_IT = re.compile(
    r"改(?:个|一下|下)?(?:价|单)|撤(?:单|掉|了|销)|取消|重新(?:下|挂|委托)|"
    r"\b(?:change|modify|amend|cancel)\w*\b",
    re.IGNORECASE,
)
# The investor says the account's answer is not what they see ("我怎么不知道", "明明显示冻结").
_DISAGREES = re.compile(
    r"不对|不是这样|明明|怎么不知道|我又没|不可能|怎么会|没有啊|可是|但是|显示的?是|"
    r"\b(?:but|that'?s\s+(?:wrong|not\s+(?:right|true))|it\s+says|shows?)\b",
    re.IGNORECASE,
)


def account_question(
    state: ConversationState, text: str, lexicon: Lexicon
) -> tuple[AccountQuery, str] | None:
    """The account question ``text`` asks, and the question as read: on its own, or as a
    follow-up of the last one ("我中签了吗" then "那我要交多少钱")."""
    if (query := detect_account_query(text)) is not None:
        return query, text
    topic = state.topic
    if (
        topic is not None
        and topic.account_kind is not None
        and not HYPOTHETICAL.search(text)
        and not _CAN_IT_BE_DONE.search(text)
        and not _ACTS_ON_IT.search(text)
    ):
        followup = resolve_followup(text, topic, lexicon)
        if followup is not None:
            question = followup.question
        elif asks_something(text) and not lexicon.find(text):
            # "how much do I need to pay and by when" right after the allotment: a question
            # that names nothing of its own asks about the part of the account just shown.
            question = f"{topic.question} {text}"
        else:
            return None
        if query := detect_account_query(question):
            return query, question
    return None


async def account_reply(
    accounts: AccountSystem,
    state: ConversationState,
    asked: tuple[AccountQuery, str],
    language: Language,
    intent: IntentRef,
    *,
    lexicon: Lexicon,
    escalation: EscalationPolicy,
) -> BotReply:
    """The investor's own facts from the account system (or how to sign in to see them);
    the conversation's topic becomes this part of the account."""
    query, question = asked
    answer = await answer_account_query(query, state.investor_id, accounts, language)
    earlier = [t.text for t in state.turns[:-1] if t.speaker is Speaker.BOT]
    said = state.turns[-1].text if state.turns else ""
    repeated = bool(earlier) and earlier[-1] == answer.text and not answer.needs_sign_in
    if repeated and _DISAGREES.search(said):
        # Asked again ("法院冻结的？我怎么不知道"), the account says the same: the record and
        # what the investor sees disagree, and a person has to look.
        return BotReply(
            text=template("handoff_account_again", language),
            language=language,
            action=Action.ESCALATE,
            intent=intent,
            escalation=escalation.decide(
                state, EscalationReason.FLOW_NEEDS_HUMAN, intent=intent.name
            ),
            flags=[f"account_{answer.kind}", "account_disputed"],
        )
    state.low_confidence_streak = 0
    state.topic = Topic.of(question, lexicon, intent=intent.name, account_kind=query.kind)
    flags = [f"account_{answer.kind}", *(f"fact:{fact}" for fact in answer.facts_used)]
    if answer.needs_sign_in:
        flags.append("needs_sign_in")
    if answer.failed:
        flags.append("account_system_unavailable")
    return BotReply(
        text=answer.text,
        language=language,
        action=Action.ANSWER,
        intent=intent,
        flags=flags,
        # A person where the account system failed, or the answer says one must take it (a
        # judicial freeze, a restriction with no reason on record).
        quick_replies=[PERSON_OPTION[language]] if answer.failed or answer.offer_person else [],
    )
