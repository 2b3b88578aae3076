"""A turn answered from the investor's own account, and the account questions that follow it.

"我中签了吗" asks the account system; "那我要交多少钱" right after asks it again, about the same
part of the account, in words that name nothing of it. :func:`account_question` reads a
message on its own and, failing that, as a follow-up of the last account question (the
conversation's :class:`~assistant.context.Topic` remembers which part of the account it
was); :func:`account_reply` asks the account system and makes the reply.
"""

from __future__ import annotations

from assistant.account_answers import AccountQuery, answer_account_query, detect_account_query
from assistant.accounts import AccountSystem
from assistant.context import Topic, resolve_followup
from assistant.dialogue_models import Action, BotReply, ConversationState, IntentRef, Language
from assistant.templates import PERSON_OPTION
from knowledge.lexicon import Lexicon


def account_question(
    state: ConversationState, text: str, lexicon: Lexicon
) -> tuple[AccountQuery, str] | None:
    """The account question ``text`` asks, and the question as read: on its own, or as a
    follow-up of the last one ("我中签了吗" then "那我要交多少钱")."""
    if (query := detect_account_query(text)) is not None:
        return query, text
    topic = state.topic
    if topic is not None and topic.account_kind is not None:
        followup = resolve_followup(text, topic, lexicon)
        if followup is not None and (query := detect_account_query(followup.question)):
            return query, followup.question
    return None


async def account_reply(
    accounts: AccountSystem,
    state: ConversationState,
    asked: tuple[AccountQuery, str],
    language: Language,
    intent: IntentRef,
    lexicon: Lexicon,
) -> BotReply:
    """The investor's own facts from the account system (or how to sign in to see them);
    the conversation's topic becomes this part of the account."""
    query, question = asked
    answer = await answer_account_query(query, state.investor_id, accounts, language)
    state.low_confidence_streak = 0
    state.topic = Topic(
        question=question,
        concepts=sorted(lexicon.concepts_of(question).named),
        intent=intent.name,
        account_kind=query.kind,
    )
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
