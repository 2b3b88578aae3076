"""Answers to an investor's questions about their own account, from the account system.

The dialogue calls :func:`detect_account_query` on the (masked) message and, when
it returns a query, :func:`answer_account_query` with the signed-in investor's
id. The answer states the investor's own facts plainly — commission, transfers,
orders, IPO allotments, permissions, risk assessment, ID expiry, the linked bank
card, the account's standing (normal, restricted, frozen, and why), or the receipt
of a statement request — starting with "根据您的账户信息：" / "From your account:",
says what to do where a status needs action, and gives no investment advice.

* No investor id, or one the account system does not know: the investor is
  asked to sign in and told where in the app to look, in the same words either
  way, so nothing tells whether an id exists. Nothing is guessed.
* The account system fails (:class:`AccountSystemError`): a retry-later answer
  with ``failed=True``, never an exception.
* Personal data arrives masked and the text passes :func:`~assistant.pii.mask_pii`
  once more, as everything the assistant shows does.

``facts_used`` names every record an answer rests on (a transfer id, an order
id, a permission code), for the audit trail; it never holds personal data.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime

from pydantic import BaseModel

from assistant.account_answers.activity import answer_ipo, answer_orders, answer_transfers
from assistant.account_answers.bank_link import answer_bank_card
from assistant.account_answers.drafting import WHERE_IN_APP, Context, Draft
from assistant.account_answers.holdings import answer_holdings
from assistant.account_answers.restrictions import answer_account_status
from assistant.account_answers.standing import (
    answer_commission,
    answer_id_expiry,
    answer_permissions,
    answer_risk,
)
from assistant.account_answers.statements import answer_statement
from assistant.account_queries import (
    ACCOUNT_QUERY_KINDS,
    AccountQuery,
    AccountQueryKind,
    detect_account_query,
)
from assistant.accounts import EXCHANGE_TIME, AccountSystem, AccountSystemError
from assistant.dialogue_models import Language
from assistant.pii import mask_pii
from intents.flow_engine import Localized

__all__ = [
    "ACCOUNT_QUERY_KINDS",
    "AccountAnswer",
    "AccountQuery",
    "AccountQueryKind",
    "answer_account_query",
    "detect_account_query",
]

logger = logging.getLogger(__name__)


FROM_YOUR_ACCOUNT = Localized("根据您的账户信息：", "From your account:")
"""How every account answer starts: these are the investor's own records, not general rules."""


class AccountAnswer(BaseModel):
    """What to tell the investor, and what it rests on."""

    text: str
    kind: AccountQueryKind
    facts_used: list[str] = []
    """The records the text states (``transfer:TR…``, ``order:O…``, ``permission:chinext``)."""
    needs_sign_in: bool = False
    """The investor is not signed in (or not known): they were asked to sign in."""
    failed: bool = False
    """The account system could not answer: the investor was asked to try again later."""
    offer_person: bool = False
    """Only a person can go on (a judicial freeze, a restriction with no reason given): the
    text tells the investor how to ask for one, and the reply should offer one."""


_TOPIC: Mapping[AccountQueryKind, Localized] = {
    "commission": Localized("佣金费率", "commission rates"),
    "transfers": Localized("银证转账记录", "bank transfers"),
    "orders": Localized("委托和成交情况", "orders"),
    "ipo": Localized("新股申购和中签情况", "IPO subscriptions and allotments"),
    "permissions": Localized("已开通的权限", "trading permissions"),
    "risk": Localized("风险测评结果", "risk assessment"),
    "id_expiry": Localized("证件有效期", "ID document's expiry date"),
    "statement": Localized("对账单或资产证明", "statements and proof of assets"),
    "bank_card": Localized("存管银行和绑定的银行卡", "linked bank and card"),
    "account_status": Localized("账户状态", "account status"),
    "holdings": Localized("持仓", "holdings"),
}


def sign_in_answer(kind: AccountQueryKind, language: Language) -> AccountAnswer:
    """Ask the investor to sign in: for a guest, and for an id the system does not know."""
    topic, where = _TOPIC[kind].text(language), WHERE_IN_APP[kind].text(language)
    text = (
        f"查看您本人的{topic}需要先登录。请在App登录后再问我，或登录后在{where}查看。"
        "未登录时我无法查看任何账户信息。"
        if language == "zh"
        else f"To see your {topic} I need you to be signed in. Please sign in to the app and "
        f"ask me again, or after signing in look under {where}. I can't see any account "
        "information until you do."
    )
    return AccountAnswer(text=text, kind=kind, needs_sign_in=True)


def unavailable_answer(kind: AccountQueryKind, language: Language) -> AccountAnswer:
    """The account system did not answer: say so, and where the investor can look meanwhile."""
    where = WHERE_IN_APP[kind].text(language)
    if kind == "statement":
        text = (
            f"抱歉，您的申请暂时未能确认提交，请稍后再试；也可以在{where}查看是否已有申请。"
            if language == "zh"
            else "Sorry, I couldn't confirm that your request was filed. Please try again in a "
            f"few minutes, or check under {where} whether it is there."
        )
    else:
        text = (
            f"抱歉，暂时无法查询您的账户信息，请稍后再试；也可以在App{where}查看。"
            if language == "zh"
            else "Sorry, I can't reach your account information right now. Please try again in "
            f"a few minutes, or look under {where} in the app."
        )
    return AccountAnswer(text=text, kind=kind, failed=True)


async def answer_account_query(
    query: AccountQuery,
    investor_id: str | None,
    accounts: AccountSystem,
    language: Language,
    *,
    now: datetime | None = None,
) -> AccountAnswer:
    """The investor's own facts for ``query``; ``now`` (default: the current time) decides what
    "today" and "due" mean, on the exchanges' clock."""
    if investor_id is None:
        return sign_in_answer(query.kind, language)
    context = Context(language, (now or datetime.now(EXCHANGE_TIME)).astimezone(EXCHANGE_TIME))
    try:
        written = await _ANSWERS[query.kind](query, investor_id, accounts, context)
    except AccountSystemError as error:
        logger.warning("account query %s could not be answered: %s", query.kind, error)
        return unavailable_answer(query.kind, language)
    if written is None:
        return sign_in_answer(query.kind, language)
    body = "\n".join(written.lines + list(dict.fromkeys(written.notes)))
    label = FROM_YOUR_ACCOUNT.text(language) + ("" if language == "zh" else " ")
    return AccountAnswer(
        text=mask_pii(label + body),
        kind=query.kind,
        facts_used=written.facts,
        offer_person=written.offer_person,
    )


_Answerer = Callable[[AccountQuery, str, AccountSystem, Context], Awaitable[Draft | None]]
_ANSWERS: Mapping[AccountQueryKind, _Answerer] = {
    "commission": answer_commission,
    "transfers": answer_transfers,
    "orders": answer_orders,
    "ipo": answer_ipo,
    "permissions": answer_permissions,
    "risk": answer_risk,
    "id_expiry": answer_id_expiry,
    "statement": answer_statement,
    "bank_card": answer_bank_card,
    "account_status": answer_account_status,
    "holdings": answer_holdings,
}
