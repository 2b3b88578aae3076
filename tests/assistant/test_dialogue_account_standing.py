"""The linked bank card and the account's standing through the dialogue policy: real classifier,
retrieval, the sample knowledge base and the sample account system.

A signed-in investor hears their own card and standing; a question about what a word means,
or a guest's general question, is answered from the knowledge base as before.
"""

from __future__ import annotations

import uuid

from assistant.assembly import Assistant
from assistant.dialogue_models import ConversationState


def conversation(investor: str | None = None) -> ConversationState:
    return ConversationState(conversation_id=uuid.uuid4().hex, investor_id=investor)


def account_flags(flags: list[str]) -> list[str]:
    return [flag for flag in flags if flag.startswith("account_")]


async def test_a_signed_in_investor_hears_their_own_linked_card(bot: Assistant) -> None:
    reply = await bot.policy.respond(conversation("INV-1001"), "我绑的是哪张银行卡")

    assert account_flags(reply.flags) == ["account_bank_card"]
    assert "fact:bank_link:card" in reply.flags
    assert reply.text.startswith("根据您的账户信息：")
    assert "中国工商银行" in reply.text and "尾号0123" in reply.text
    assert "6222" not in reply.text


async def test_a_change_of_card_is_said_in_english(bot: Assistant) -> None:
    reply = await bot.policy.respond(
        conversation("INV-1002"), "which bank card is linked to my account"
    )

    assert account_flags(reply.flags) == ["account_bank_card"]
    assert "ending 8866" in reply.text and "ending 2002" in reply.text
    assert "in progress" in reply.text


async def test_a_judicial_freeze_is_explained_and_a_person_takes_over_when_asked(
    bot: Assistant,
) -> None:
    state = conversation("INV-1008")
    reply = await bot.policy.respond(state, "我的账户为什么被冻结了")

    assert account_flags(reply.flags) == ["account_account_status"]
    assert "fact:restriction:whole_account:judicial_freeze" in reply.flags
    assert "司法冻结" in reply.text and "无权解冻" in reply.text
    assert "“转人工”" in reply.text
    assert reply.quick_replies == ["转人工"], "the person is one tap away"

    handed = await bot.policy.respond(state, "转人工")

    assert handed.escalation is not None


async def test_a_normal_account_is_said_to_be_normal(bot: Assistant) -> None:
    reply = await bot.policy.respond(conversation("INV-1001"), "is my account restricted?")

    assert account_flags(reply.flags) == ["account_account_status"]
    assert "normal standing" in reply.text


async def test_what_a_word_means_is_answered_from_knowledge_even_when_signed_in(
    bot: Assistant,
) -> None:
    reply = await bot.policy.respond(conversation("INV-1001"), "三方存管是什么意思")

    assert account_flags(reply.flags) == []
    assert reply.sources, "answered from the knowledge base"


async def test_a_guests_general_question_about_a_freeze_is_answered_from_knowledge(
    bot: Assistant,
) -> None:
    reply = await bot.policy.respond(conversation(), "账户冻结了怎么办")

    assert account_flags(reply.flags) == []
    assert reply.sources, "answered from the knowledge base"


async def test_a_guest_asking_about_their_own_card_sees_no_ones_card(bot: Assistant) -> None:
    reply = await bot.policy.respond(conversation(), "我绑的是哪张银行卡")

    assert "登录" in reply.text
    assert "尾号" not in reply.text and "fact:bank_link:card" not in reply.flags
