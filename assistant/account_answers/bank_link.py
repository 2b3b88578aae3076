"""The bank card linked to the account for bank-securities transfers (三方存管).

The card is named by its bank and its last four digits only ("尾号0123"), never by more
of its number, though the account system already sends it masked.
"""

from __future__ import annotations

from assistant.account_answers.drafting import WHERE_IN_APP, Context, Draft
from assistant.account_queries import AccountQuery
from assistant.accounts import AccountSystem, LinkedCard
from assistant.pii import card_tail


def _card(card: LinkedCard, context: Context) -> str:
    tail = card_tail(card.card_masked)
    return context.say(
        f"{card.bank_name}尾号{tail}的银行卡", f"the {card.bank_name} card ending {tail}"
    )


async def answer_bank_card(
    query: AccountQuery, investor_id: str, accounts: AccountSystem, context: Context
) -> Draft | None:
    link = await accounts.bank_link(investor_id)
    if link is None:
        return None
    written = Draft()
    where = WHERE_IN_APP["bank_card"].text(context.language)
    card = link.card
    if card is None:
        written.lines.append(
            context.say(
                "系统中没有查到您账户绑定的存管银行卡；绑定三方存管后才能办理银证转账。",
                "No depository bank card is linked to your account; bank-securities "
                "transfers need one.",
            )
        )
    else:
        written.facts.append("bank_link:card")
        tail = card_tail(card.card_masked)
        since = (
            context.say(
                f"，{context.full_date(card.linked_on)}绑定",
                f", linked on {context.full_date(card.linked_on)}",
            )
            if card.linked_on
            else ""
        )
        written.lines.append(
            context.say(
                f"您的三方存管银行是{card.bank_name}，绑定的是尾号{tail}的银行卡{since}。",
                f"Your depository bank is {card.bank_name}: the card linked for transfers is "
                f"the one ending {tail}{since}.",
            )
        )
    change = link.pending_change
    if change is not None:
        written.facts.append("bank_link:pending_change")
        asked = (
            context.say(
                f"（{context.full_date(change.linked_on)}申请）",
                f" (asked for on {context.full_date(change.linked_on)})",
            )
            if change.linked_on
            else ""
        )
        written.lines.append(
            context.say(
                f"您申请改绑为{_card(change, context)}{asked}，目前正在办理中，尚未完成。"
                f"办理进度可在{where}查看。",
                f"A change to {_card(change, context)}{asked} is in progress and not complete "
                f"yet. You can follow it under {where}.",
            )
        )
    return written
