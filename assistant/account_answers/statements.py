"""The one write: filing a request for a statement or a proof of assets, and saying where
it will be delivered."""

from __future__ import annotations

from datetime import date, timedelta

from assistant.account_answers.drafting import WHERE_IN_APP, Context, Draft, window
from assistant.account_queries import AccountQuery
from assistant.accounts import AccountSystem, StatementLanguage, StatementRequest

# How the reply names the document's language: (Chinese, English); Chinese is the default.
_VERSION: dict[StatementLanguage, tuple[str, str]] = {
    "zh": ("", ""),
    "en": ("英文版", " in English"),
    "zh_en": ("中英文版", " in Chinese and English"),
}


def _statement_period(query: AccountQuery, today: date) -> tuple[date, date]:
    yesterday = today - timedelta(days=1)
    if query.statement_kind == "asset_certificate":
        day = window(query.when, today, 0)[1] if query.when else yesterday
        return (day, day)
    when = query.when if query.when not in (None, "recent") else "last_month"
    start, end = window(when, today, 0)
    if when in ("this_month", "this_year", "this_week") and start < today:
        end = yesterday  # a statement covers settled days
    return (start, end)


async def answer_statement(
    query: AccountQuery, investor_id: str, accounts: AccountSystem, context: Context
) -> Draft | None:
    kind = query.statement_kind or "statement"
    start, end = _statement_period(query.model_copy(update={"statement_kind": kind}), context.today)
    request = StatementRequest(
        kind=kind, period_start=start, period_end=end, language=query.statement_language or "zh"
    )
    receipt = await accounts.request_statement(investor_id, request)
    if receipt is None:
        return None
    written = Draft(facts=[f"statement_request:{receipt.request_id}"])
    ready = context.deadline(receipt.ready_by)
    if receipt.delivered_to_masked and receipt.delivery_channel == "email":
        to = context.say(
            f"发送到您登记的邮箱{receipt.delivered_to_masked}",
            f"sent to your e-mail address on file, {receipt.delivered_to_masked}",
        )
    elif receipt.delivered_to_masked:
        to = context.say(
            f"寄到您登记的地址（{receipt.delivered_to_masked}）",
            f"posted to your address on file ({receipt.delivered_to_masked})",
        )
    else:
        to = context.say(
            "发送到App【我的】→【消息中心】", "delivered to your Me → Messages inbox in the app"
        )
    version = _VERSION[receipt.language]
    if kind == "asset_certificate":
        what = context.say(
            f"{version[0]}资产证明申请（编号{receipt.request_id}），"
            f"截至{context.full_date(receipt.period_end)}",
            f"I've filed a request for proof of assets{version[1]} (no. {receipt.request_id}) as "
            f"of {context.full_date(receipt.period_end)}",
        )
    else:
        what = context.say(
            f"{version[0]}对账单申请（编号{receipt.request_id}），"
            f"期间为{context.full_date(receipt.period_start)}至{context.full_date(receipt.period_end)}",
            f"I've filed a request for your statement{version[1]} (no. {receipt.request_id}) for "
            f"{context.full_date(receipt.period_start)} to {context.full_date(receipt.period_end)}",
        )
    written.lines.append(
        context.say(
            f"已为您提交{what}，预计{ready}前{to}。",
            f"{what}; it should be {to} by {ready}.",
        )
    )
    where = WHERE_IN_APP["statement"]
    written.notes.append(
        context.say(
            f"如需其他日期，可以告诉我，或在{where.zh}自行选择。",
            f"For another date, tell me or choose it under {where.en}.",
        )
        if kind == "asset_certificate"
        else context.say(
            f"如需其他期间，可以告诉我，例如“帮我开今年的对账单”，或在{where.zh}自行选择。",
            "For another period, tell me (e.g. “send me this year's statement”) or choose it "
            f"under {where.en}.",
        )
    )
    return written
