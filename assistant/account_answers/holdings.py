"""What the investor holds: each position by name, code and quantity, from the account system.

The account system's profile carries positions without prices, so the cost, the price, the
market value and the profit or loss are left to the app's holdings page, which is said; no
figure is worked out here that the system did not send.
"""

from __future__ import annotations

from assistant.account_answers.drafting import MAX_LINES, WHERE_IN_APP, Context, Draft
from assistant.account_queries import AccountQuery
from assistant.accounts import AccountSystem


async def answer_holdings(
    query: AccountQuery, investor_id: str, accounts: AccountSystem, context: Context
) -> Draft | None:
    profile = await accounts.profile(investor_id)
    if profile is None:
        return None
    written = Draft(facts=["holdings"])
    where = WHERE_IN_APP["holdings"].text(context.language)
    held = [h for h in profile.holdings if h.quantity > 0]
    if not held:
        written.lines.append(
            context.say("您的账户目前没有持仓。", "Your account holds no securities at the moment.")
        )
        return written
    written.lines.append(
        context.say(f"您目前持有{len(held)}只证券：", f"You hold {len(held)} securities:")
        if len(held) > 1
        else context.say("您目前持有：", "You hold:")
    )
    for holding in held[:MAX_LINES]:
        count = context.quantity(holding.quantity, holding.code)
        written.lines.append(
            f"· {holding.name}（{holding.code}）：{count}"
            if context.zh
            else f"· {holding.name} ({holding.code}): {count}"
        )
    if len(held) > MAX_LINES:
        more = len(held) - MAX_LINES
        written.lines.append(context.say(f"另有{more}只未列出。", f"and {more} more."))
    written.lines.append(
        context.say(
            f"成本价、现价、市值和盈亏以{where}为准（我这里看不到实时行情）。",
            f"Cost price, latest price, market value and profit or loss are under {where} "
            "(I can't see live prices here).",
        )
    )
    return written
