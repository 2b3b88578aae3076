"""Answers about what moved on the account: bank-securities transfers, orders, IPO subscriptions."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from assistant.account_answers.drafting import (
    WHERE_IN_APP,
    Context,
    Draft,
    Period,
    listed,
    narrowed,
    of_security,
    recent,
)
from assistant.account_queries import AccountQuery
from assistant.accounts import EXCHANGE_TIME, AccountSystem, BankTransfer, IpoSubscription, Order
from assistant.boards import LABELS
from intents.flow_engine import Localized

_DIRECTIONS = {
    "bank_to_securities": Localized("银行转证券", "bank → brokerage"),
    "securities_to_bank": Localized("证券转银行", "brokerage → bank"),
}
_TRANSFER_FAILURES: Mapping[str, tuple[Localized, Localized]] = {
    "insufficient_bank_balance": (
        Localized("银行卡余额不足", "not enough money on the bank card"),
        Localized(
            "请确认银行卡余额充足后重新发起转账。",
            "Check the bank card's balance, then start the transfer again.",
        ),
    ),
    "insufficient_withdrawable": (
        Localized(
            "可取资金不足（当日卖出股票所得资金当日可用、下一交易日才可转出）",
            "not enough withdrawable cash (money from shares sold today can be used for trading "
            "today but withdrawn only from the next trading day)",
        ),
        Localized(
            "请按【资金】页显示的“可取资金”调整金额后重新转出。",
            "Use the withdrawable amount shown on the Funds page, then try again.",
        ),
    ),
    "outside_transfer_hours": (
        Localized("不在银证转账服务时间内", "outside bank-transfer hours"),
        Localized(
            "请在交易日的转账服务时间内重新发起（以App显示为准）。",
            "Please try again during transfer hours on a trading day (as shown in the app).",
        ),
    ),
    "wrong_password": (
        Localized("密码校验未通过", "the password check failed"),
        Localized(
            "请核对资金密码或银行密码后重试；忘记密码可在【我的】→【账户安全】中重置。"
            "任何人向您索要密码都请拒绝。",
            "Check your fund or bank password and try again; a forgotten password can be reset "
            "under Me → Security. Never give your password to anyone.",
        ),
    ),
    "bank_card_abnormal": (
        Localized("银行卡状态异常", "the bank card is not in normal use"),
        Localized(
            "请联系开户银行核实银行卡状态（如挂失、冻结或过期）。",
            "Please ask your bank to check the card (reported lost, frozen or expired).",
        ),
    ),
    "exceeds_limit": (
        Localized("超过转账限额", "over the transfer limit"),
        Localized(
            "可以分多笔或次日再转，限额以银行规定为准。",
            "You can split it into smaller transfers or try the next day; the bank sets the limit.",
        ),
    ),
    "bank_system_error": (
        Localized("银行系统处理失败", "the bank's system could not process it"),
        Localized(
            "请稍后重试；如银行卡已被扣款，请联系客服核实。",
            "Please try again later; if your card was debited, ask our staff to check.",
        ),
    ),
    "other": (
        Localized("其他原因", "another reason"),
        Localized(
            "如需了解详情，可以转人工客服核实。", "A member of our staff can look into it for you."
        ),
    ),
}


def _transfer_line(transfer: BankTransfer, context: Context, written: Draft) -> str:
    direction = _DIRECTIONS[transfer.direction].text(context.language)
    card = f"{transfer.bank_name} {transfer.bank_card_masked}"
    head = f"· {context.moment(transfer.requested_at)} {direction} {context.money(transfer.amount)}"
    head = context.say(f"{head}（{card}）", f"{head} ({card})")
    written.facts.append(f"transfer:{transfer.transfer_id}")
    if transfer.status == "pending":
        written.notes.append(
            context.say(
                "处理中的转账：银行尚未返回结果，请不要重复发起，稍后可在"
                f"{WHERE_IN_APP['transfers'].zh}查看结果。",
                "A transfer in progress is waiting for the bank's answer: please don't start it "
                f"again; see the result later under {WHERE_IN_APP['transfers'].en}.",
            )
        )
        return context.say(f"{head}：处理中", f"{head}: in progress")
    if transfer.status == "succeeded":
        done = ""
        if transfer.completed_at is not None:
            completed = transfer.completed_at.astimezone(EXCHANGE_TIME)
            same_day = completed.date() == transfer.requested_at.astimezone(EXCHANGE_TIME).date()
            done = f"{completed:%H:%M}" if same_day else context.moment(completed)
        return context.say(
            f"{head}：已成功{f'（{done}）' if done else ''}",
            f"{head}: succeeded{f' ({done})' if done else ''}",
        )
    reason, next_step = _TRANSFER_FAILURES[transfer.failure_reason or "other"]
    because = reason.text(context.language)
    if transfer.failure_detail and context.zh:
        because = transfer.failure_detail  # the bank's own words say more than the category
    written.notes.append(next_step.text(context.language))
    return context.say(
        f"{head}：失败，原因是{because}，这笔资金没有划转",
        f"{head}: failed, {because}; no money was moved",
    )


async def answer_transfers(
    query: AccountQuery, investor_id: str, accounts: AccountSystem, context: Context
) -> Draft | None:
    asked = Period.asked(query.when, "transfers", context.today)
    history = await accounts.transfers(investor_id, asked.fetch_from)
    if history is None:
        return None
    written = Draft()
    period = context.window_name(asked.start, asked.end)
    chosen = narrowed(
        history.transfers,
        lambda t: asked.holds(t.requested_at.astimezone(EXCHANGE_TIME).date()),
        context.say(f"{period}没有银证转账记录。", f"No bank transfers {period}."),
        written,
    )
    if query.status == "failed":
        chosen = narrowed(
            chosen,
            lambda t: t.status == "failed",
            context.say("近期没有失败的银证转账。", "None of your recent transfers failed."),
            written,
        )
    chosen = _as_described(chosen, query, context, written)
    lately = recent("transfers")
    return listed(
        written,
        chosen,
        context.say("您的银证转账：", "Your bank transfers:"),
        context.say(f"{lately.zh}没有银证转账记录。", f"No bank transfers {lately.en}."),
        lambda t: _transfer_line(t, context, written),
        most=3,  # each transfer can bring its own next step: three keep the answer short
    )


def _as_described(
    transfers: list[BankTransfer], query: AccountQuery, context: Context, written: Draft
) -> list[BankTransfer]:
    """The transfers that go the way and are of the sum the investor describes ("今早转出了
    5000"); all of them, after saying that none is, when none is."""
    direction, amount = query.direction, query.amount
    if direction is not None:
        if not any(t.direction == direction for t in transfers):
            amount = None  # none went that way: the sum is not looked for among the others
        way = _DIRECTIONS[direction]
        transfers = narrowed(
            transfers,
            lambda t: t.direction == direction,
            context.say(f"没有找到{way.zh}的转账记录。", f"I can't find a {way.en} transfer."),
            written,
        )
    if amount is not None:
        sum_ = context.money(amount)
        transfers = narrowed(
            transfers,
            lambda t: t.amount == amount,
            context.say(f"没有找到{sum_}的转账记录。", f"I can't find a transfer of {sum_}."),
            written,
        )
    return transfers


_SIDES = {"buy": Localized("买入", "buy"), "sell": Localized("卖出", "sell")}
_ORDER_REASONS: Mapping[str, tuple[Localized, Localized | None]] = {
    "investor_cancelled": (Localized("您本人撤单", "you cancelled it"), None),
    "expired_end_of_day": (
        Localized("当日未成交，收盘后自动失效", "not filled by the close, so it lapsed"),
        None,
    ),
    "insufficient_funds": (
        Localized("可用资金不足", "not enough available cash"),
        Localized(
            "委托前可在【资金】页确认可用资金。",
            "Check the available cash on the Funds page first.",
        ),
    ),
    "insufficient_position": (
        Localized("可卖数量不足", "not enough shares available to sell"),
        Localized(
            "A股当日买入的股票下一交易日才能卖出，可卖数量以【持仓】页为准。",
            "A-shares bought today can be sold from the next trading day; the Holdings page "
            "shows what can be sold.",
        ),
    ),
    "price_limit": (
        Localized("委托价格超出当日涨跌幅限制", "the price was outside today's price limits"),
        Localized(
            "委托价格需在当日涨停价和跌停价之间。",
            "An order's price must be within the day's upper and lower price limits.",
        ),
    ),
    "no_permission": (
        Localized("账户未开通该证券所需的交易权限", "the account lacks the permission it needs"),
        Localized(
            f"可以问我“{{board}}开通条件”，或在{WHERE_IN_APP['permissions'].zh}查看。",
            f"Ask me about the {{board}} requirements, or see {WHERE_IN_APP['permissions'].en}.",
        ),
    ),
    "outside_trading_hours": (
        Localized("不在交易时间内委托", "placed outside trading hours"),
        Localized("请在交易时间内重新委托。", "Please place it again during trading hours."),
    ),
    "other": (
        Localized("其他原因", "another reason"),
        Localized(
            "如需了解详情，可以转人工客服核实。", "A member of our staff can look into it for you."
        ),
    ),
}


def _board_of(code: str) -> Localized:
    """The board a security trades on, read from its code, for "you need this permission"."""
    if code.startswith(("300", "301")):
        return LABELS["chinext"]
    if code.startswith(("688", "689")):
        return LABELS["star"]
    if code.startswith(("8", "4", "920")):
        return LABELS["bse"]
    return Localized("相应权限", "permission")


def _order_line(order: Order, context: Context, written: Draft) -> str:
    side = _SIDES[order.side].text(context.language)
    price = (
        context.say(f"委托价{context.price(order.price)}", f"limit {context.price(order.price)}")
        if order.price
        else context.say("市价委托", "market order")
    )
    quantity = context.quantity(order.quantity, order.security_code)
    head = context.say(
        f"· {context.moment(order.placed_at)} {side} {order.security_name}（{order.security_code}）"
        f"{quantity}，{price}：",
        f"· {context.moment(order.placed_at)} {side} {order.security_name} "
        f"({order.security_code}) {quantity}, {price}: ",
    )
    written.facts.append(f"order:{order.order_id}")
    filled = context.quantity(order.filled_quantity, order.security_code)
    left = context.quantity(order.quantity - order.filled_quantity, order.security_code)
    average = context.price(order.average_fill_price) if order.average_fill_price else ""
    if order.status in ("pending", "partially_filled"):
        written.notes.append(
            context.say(
                "未成交的部分当日收盘后自动失效；如需撤单，可在【交易】→【撤单】操作。",
                "Whatever is not filled by the close lapses; to cancel it, use Trade → Cancel.",
            )
        )
    if order.status == "pending":
        return head + context.say("未成交，仍在排队", "not filled yet, still queued")
    if order.status == "partially_filled":
        return head + context.say(
            f"部分成交，已成交{filled}（均价{average}），剩余{left}仍在排队",
            f"partly filled: {filled} at an average {average}, {left} still queued",
        )
    if order.status == "filled":
        return head + context.say(f"全部成交，成交均价{average}", f"filled at an average {average}")
    reason, next_step = _ORDER_REASONS[order.reason or "other"]
    because = reason.text(context.language)
    if order.reason_detail and context.zh:
        because = order.reason_detail
    if next_step is not None:
        board = _board_of(order.security_code).text(context.language)
        written.notes.append(next_step.text(context.language).format(board=board))
    if order.status == "rejected":
        return head + context.say(f"废单，原因是{because}", f"rejected: {because}")
    if order.status == "partially_cancelled":
        return head + context.say(
            f"已成交{filled}（均价{average}），其余已撤单，原因是{because}",
            f"{filled} filled at an average {average}, the rest cancelled: {because}",
        )
    return head + context.say(f"已撤单，原因是{because}", f"cancelled: {because}")


async def answer_orders(
    query: AccountQuery, investor_id: str, accounts: AccountSystem, context: Context
) -> Draft | None:
    asked = Period.asked(query.when or "today", "orders", context.today)
    history = await accounts.orders(investor_id, asked.fetch_from)
    if history is None:
        return None
    written = Draft()
    period = context.window_name(asked.start, asked.end)
    chosen = narrowed(
        history.orders,
        lambda o: asked.holds(o.placed_at.astimezone(EXCHANGE_TIME).date()),
        context.say(
            f"{period}没有委托，以下是最近的委托：", f"No orders {period}; your latest orders:"
        ),
        written,
    )
    chosen = of_security(chosen, query.security, Localized("委托", "order"), written, context)
    troubled = {
        "cancelled": ("cancelled", "partially_cancelled", "rejected"),
        "rejected": ("rejected",),
    }
    if query.status in troubled:
        chosen = narrowed(
            chosen,
            lambda o: o.status in troubled[query.status or ""],
            context.say(
                "这些委托都没有被撤单或成为废单。",
                "None of these orders was cancelled or rejected.",
            ),
            written,
        )
    lately = recent("orders")
    return listed(
        written,
        chosen,
        context.say("您的委托：", "Your orders:"),
        context.say(f"{lately.zh}没有委托记录。", f"No orders {lately.en}."),
        lambda o: _order_line(o, context, written),
    )


def _ipo_line(subscription: IpoSubscription, context: Context, written: Draft) -> str:
    code = subscription.security_code
    subscribed = context.quantity(subscription.subscribed_quantity, _ipo_unit_code(subscription))
    head = context.say(
        f"· {subscription.security_name}（{code}）：{context.day(subscription.subscribed_on)}申购"
        f"{subscribed}，",
        f"· {subscription.security_name} ({code}): subscribed {subscribed} "
        f"{context.day(subscription.subscribed_on)}, ",
    )
    written.facts.append(f"ipo:{code}:{subscription.subscribed_on.isoformat()}")
    if subscription.allotted_quantity is None:
        expected = (
            context.say(
                f"（预计{context.day(subscription.result_date)}公布）",
                f" (expected {context.day(subscription.result_date)})",
            )
            if subscription.result_date
            else ""
        )
        return head + context.say(
            f"中签结果尚未公布{expected}", f"results not published yet{expected}"
        )
    if subscription.allotted_quantity == 0:
        return head + context.say("未中签", "not allotted")
    allotted = context.quantity(subscription.allotted_quantity, _ipo_unit_code(subscription))
    due = context.money(subscription.amount_due)
    if subscription.paid:
        return head + context.say(
            f"中签{allotted}，已缴款{due}", f"allotted {allotted}, {due} paid"
        )
    deadline = subscription.payment_deadline
    assert deadline is not None  # the model requires one for an allotment
    if deadline < context.now:
        written.notes.append(
            context.say(
                "未按时足额缴款的部分视为放弃认购；多次放弃认购会在一段时间内影响新股和新债申购，"
                "具体以交易所规则为准。",
                "An allotment not fully paid in time counts as given up; giving up several times "
                "bars you from subscribing for a while under the exchanges' rules.",
            )
        )
        return head + context.say(
            f"中签{allotted}，应缴{due}，缴款截止时间{context.deadline(deadline)}已过，未缴款",
            f"allotted {allotted}, {due} was due by {context.deadline(deadline)} and was not paid",
        )
    written.notes.append(
        context.say(
            f"缴款：请在{context.deadline(deadline)}前确保资金账户内的可用资金不少于{due}，"
            "届时系统自动扣款；资金在银行卡里的，需先通过银证转账转入资金账户。"
            "资金不足的部分视为放弃认购。",
            f"To pay: have at least {due} available in your fund account by "
            f"{context.deadline(deadline)}; it is debited automatically. Money still on your "
            "bank card must be moved into the fund account first. Any shortfall counts as "
            "giving up that part of the allotment.",
        )
    )
    return head + context.say(
        f"中签{allotted}，应缴{due}，缴款截止{context.deadline(deadline)}，尚未缴款",
        f"allotted {allotted}, {due} due by {context.deadline(deadline)}, not paid yet",
    )


def _ipo_unit_code(subscription: IpoSubscription) -> str:
    # Subscription codes do not tell bonds from shares (733xxx is a bond, 732xxx a share).
    return "110000" if subscription.kind == "convertible_bond" else "600000"


def _ipo_order(subscription: IpoSubscription, now: datetime) -> tuple[int, int]:
    """Payment due first, then results awaited, then the rest; newest first within each."""
    due = (
        subscription.allotted_quantity
        and not subscription.paid
        and subscription.payment_deadline is not None
        and subscription.payment_deadline >= now
    )
    rank = 0 if due else 1 if subscription.allotted_quantity is None else 2
    return (rank, -subscription.subscribed_on.toordinal())


def _ipo_days(subscription: IpoSubscription) -> set[date]:
    """The days something happens to a subscription: subscribed, results out, payment due."""
    days = {subscription.subscribed_on}
    if subscription.result_date:
        days.add(subscription.result_date)
    if subscription.payment_deadline:
        days.add(subscription.payment_deadline.astimezone(EXCHANGE_TIME).date())
    return days


async def answer_ipo(
    query: AccountQuery, investor_id: str, accounts: AccountSystem, context: Context
) -> Draft | None:
    asked = Period.asked(query.when, "ipo", context.today)
    history = await accounts.ipo_subscriptions(investor_id, asked.fetch_from)
    if history is None:
        return None
    written = Draft()
    period = context.window_name(asked.start, asked.end)
    ordered = sorted(history.subscriptions, key=lambda s: _ipo_order(s, context.now))
    if query.ipo_kind is not None:
        # "我昨天申的那个新股中了没": the shares, not a bond whose result came out that day.
        shares = query.ipo_kind == "stock"
        ordered = narrowed(
            ordered,
            lambda s: s.kind == query.ipo_kind,
            context.say(
                f"没有{'新股' if shares else '新债'}申购记录，以下是最近的申购：",
                f"No {'new-share' if shares else 'new-bond'} subscriptions; your latest ones:",
            ),
            written,
        )
    # "今天要缴款吗" and "昨天打的新" both name a day: the one payment is due or subscribed on.
    chosen = narrowed(
        ordered,
        lambda s: any(asked.holds(day) for day in _ipo_days(s)),
        context.say(
            f"{period}没有新股或新债申购相关的记录，以下是最近的申购：",
            f"Nothing about IPO subscriptions {period}; your latest subscriptions:",
        ),
        written,
    )
    chosen = of_security(
        chosen, query.security, Localized("申购", "subscription"), written, context
    )
    lately = recent("ipo")
    return listed(
        written,
        chosen,
        context.say("您的新股、新债申购：", "Your IPO subscriptions:"),
        context.say(
            f"{lately.zh}没有新股或新债申购记录。", f"No IPO or new-bond subscriptions {lately.en}."
        ),
        lambda s: _ipo_line(s, context, written),
    )
