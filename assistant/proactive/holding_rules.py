"""Rules over what an investor holds: risk flags, margin ratio, risk level, allotments and
concentration.

Each function reads one investor's :class:`InvestorSignals` and returns the
:class:`~assistant.proactive.notices.Notice` s worth saying; :mod:`assistant.proactive.rules`
declares them as rules. They state facts about risks and obligations, never what to buy or sell.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal

from assistant.accounts import EXCHANGE_TIME, RISK_LEVELS
from assistant.proactive.events import PushText, risk_warning_topic
from assistant.proactive.notices import AGENT_REPLY, Notice, end_of, money, percent
from assistant.proactive.signals import InvestorSignals, PositionState

MARGIN_WARNING_LINE = Decimal("1.50")
"""警戒线: below it the firm warns; no obligation yet."""
MARGIN_CALL_LINE = Decimal("1.30")
"""追保线 / 平仓线: below it the investor must add collateral or repay by the deadline."""
ST_NOTICE_DAYS = 7
"""A new risk flag is news for a week."""
CONCENTRATION_SHARE = Decimal("0.6")
"""One security at or above this share of the holdings' market value."""
CONCENTRATION_MIN_VALUE = Decimal(20_000)
"""Below this total market value concentration is not worth a notice."""

_FLAG_NAMES = {
    "st": ("其他风险警示（ST）", "a risk warning (ST)"),
    "star_st": ("退市风险警示（*ST）", "a delisting risk warning (*ST)"),
    "delisting_period": ("退市整理", "the delisting period"),
}


def st_risk(signals: InvestorSignals) -> list[Notice]:
    """A holding was put under a risk warning (ST, *ST) or entered the delisting period in
    the last week. Eligible: the investor holds it."""
    held = {h.code for h in signals.profile.holdings if h.quantity > 0}
    notices: list[Notice] = []
    for position in signals.positions:
        if position.risk_flag == "none" or position.flagged_on is None:
            continue
        if position.code not in held:
            continue
        flag_zh, flag_en = _FLAG_NAMES[position.risk_flag]
        day = f"{position.flagged_on:%Y-%m-%d}"
        if position.risk_flag == "delisting_period":
            rule_zh = "退市整理期一般为 15 个交易日，期满后股票终止上市，之后只能在退市板块转让。"
            rule_en = (
                "The delisting period usually lasts 15 trading days; after it the shares stop "
                "trading on the exchange and can only be transferred on the delisted board."
            )
        else:
            rule_zh = (
                "被实施风险警示的股票名称前会加注标识，交易规则（如涨跌幅限制）可能与普通股票不同。"
            )
            rule_en = (
                "Shares under a risk warning are marked in their name, and their trading rules "
                "(such as the daily price limit) may differ from other shares."
            )
        notices.append(
            Notice(
                key=f"{position.code}:{position.risk_flag}:{position.flagged_on.isoformat()}",
                zh=PushText(
                    title=f"持仓风险警示：{position.name}（{position.code}）",
                    text=(
                        f"您持有的{position.name}（{position.code}）自 {day} 起被实施{flag_zh}。"
                        f"{rule_zh}具体情况请以公司公告和交易所规则为准，相关决定由您自行作出。"
                    ),
                    quick_replies=("ST 股票有哪些交易限制", AGENT_REPLY[0]),
                    why=f"您的账户持有{position.name}，该证券于 {day} 被实施{flag_zh}。",
                ),
                en=PushText(
                    title=f"Risk warning on a holding: {position.code}",
                    text=(
                        f"{position.name} ({position.code}), which you hold, has been under "
                        f"{flag_en} since {day}. {rule_en} The company's announcements and the "
                        "exchange's rules have the details; what you do is your decision."
                    ),
                    quick_replies=("What limits apply to ST shares?", AGENT_REPLY[1]),
                    why=f"You hold {position.code}, which came under {flag_en} on {day}.",
                ),
                expires_at=end_of(position.flagged_on + timedelta(days=ST_NOTICE_DAYS)),
                topic=(
                    None
                    if position.risk_flag == "delisting_period"
                    else risk_warning_topic(position.code, position.flagged_on)
                ),
            )
        )
    return notices


def margin_ratio(signals: InvestorSignals) -> list[Notice]:
    """The credit account's maintenance ratio fell below the warning line (150%) or the
    call line (130%). Eligible: a margin permission and a ratio as of today."""
    margin = signals.margin
    if margin is None or "margin" not in signals.profile.permissions:
        return []
    as_of = margin.as_of.astimezone(EXCHANGE_TIME)
    if as_of.date() != signals.today or margin.maintenance_ratio >= MARGIN_WARNING_LINE:
        return []
    ratio = percent(margin.maintenance_ratio)
    if margin.maintenance_ratio < MARGIN_CALL_LINE:
        band, line = "call", percent(MARGIN_CALL_LINE)
        meaning_zh = (
            f"已低于 {line}% 的追保线。按融资融券合同，您需要在合同约定的期限内追加担保物"
            "或偿还负债，使比例回到合同要求的水平；逾期未达到的，公司可按合同对信用账户进行"
            "强制平仓。"
        )
        meaning_en = (
            f"This is below the {line}% call line. Under your margin contract you need to add "
            "collateral or repay debt within the contract's deadline to bring the ratio back; "
            "if it is not restored in time, the firm may close positions in the credit "
            "account as the contract allows."
        )
    else:
        band, line = "warning", percent(MARGIN_WARNING_LINE)
        meaning_zh = (
            f"已低于 {line}% 的警戒线，目前还没有追加担保物的义务；"
            f"比例低于 {percent(MARGIN_CALL_LINE)}% 时需按合同追加担保物或偿还负债。"
        )
        meaning_en = (
            f"This is below the {line}% warning line. Nothing is required yet; below "
            f"{percent(MARGIN_CALL_LINE)}% the contract requires more collateral or repayment."
        )
    return [
        Notice(
            key=f"{band}:{signals.today.isoformat()}",
            zh=PushText(
                title="信用账户维持担保比例提示",
                text=(
                    f"截至 {as_of:%m-%d %H:%M}，您信用账户的维持担保比例为 {ratio}%，"
                    f"{meaning_zh}具体以融资融券合同和公司通知为准。"
                ),
                quick_replies=("维持担保比例怎么计算", AGENT_REPLY[0]),
                why=f"您开通了融资融券，信用账户的维持担保比例（{ratio}%）低于 {line}%。",
            ),
            en=PushText(
                title="Margin maintenance ratio",
                text=(
                    f"As of {as_of:%m-%d %H:%M} your credit account's maintenance ratio is "
                    f"{ratio}%. {meaning_en} Your margin contract and the firm's notices "
                    "have the details."
                ),
                quick_replies=("How is the maintenance ratio worked out?", AGENT_REPLY[1]),
                why=f"You have a margin account and its maintenance ratio ({ratio}%) is below "
                f"{line}%.",
            ),
            expires_at=end_of(signals.today),
        )
    ]


def _level(rating: str) -> int:
    return int(rating[1:])


def risk_mismatch(signals: InvestorSignals) -> list[Notice]:
    """A holding's product risk rating is above the investor's risk level (or the investor
    has no valid level). Eligible: the investor holds it."""
    level = signals.profile.risk_level
    investor_rank = RISK_LEVELS.index(level) + 1 if level else 0
    held = {h.code for h in signals.profile.holdings if h.quantity > 0}
    notices: list[Notice] = []
    for position in signals.positions:
        if position.code not in held or _level(position.product_rating) <= investor_rank:
            continue
        shown_level = level or "未测评"
        notices.append(
            Notice(
                key=f"{position.code}:{position.product_rating}:{level or 'none'}",
                zh=PushText(
                    title=f"持仓风险等级提示：{position.name}（{position.code}）",
                    text=(
                        f"您持有的{position.name}（{position.code}）风险等级为"
                        f"{position.product_rating}，高于您当前的风险承受能力等级"
                        f"（{shown_level}）。根据投资者适当性管理规定，特此提示该产品的风险可能"
                        "超出您的承受能力。如您的财务状况或投资经验有变化，可在App「我的 → "
                        "风险测评」重新测评。"
                    ),
                    quick_replies=("怎么重新做风险测评", AGENT_REPLY[0]),
                    why=f"该持仓的风险等级（{position.product_rating}）高于您的风险测评等级"
                    f"（{shown_level}）。",
                ),
                en=PushText(
                    title=f"Risk rating of a holding: {position.code}",
                    text=(
                        f"{position.name} ({position.code}), which you hold, is rated "
                        f"{position.product_rating}, above your risk tolerance level "
                        f"({level or 'not assessed'}). Suitability rules require us to tell "
                        "you that its risk may exceed what you can bear. If your finances or "
                        "experience have changed, you can retake the assessment in the app "
                        "under Me > Risk assessment."
                    ),
                    quick_replies=("How do I retake the risk assessment?", AGENT_REPLY[1]),
                    why=f"This holding is rated {position.product_rating}, above your risk "
                    f"level ({level or 'not assessed'}).",
                ),
                expires_at=end_of(signals.today + timedelta(days=7)),
            )
        )
    return notices


def allotment_due(signals: InvestorSignals) -> list[Notice]:
    """A new share or bond was allotted and its payment falls due today, unpaid."""
    notices: list[Notice] = []
    for allotment in signals.allotments:
        deadline = allotment.payment_deadline
        if allotment.paid or deadline is None or not allotment.allotted_quantity:
            continue
        local = deadline.astimezone(EXCHANGE_TIME)
        if local.date() != signals.today:
            continue
        unit_zh, unit_en = (
            ("张", "bonds") if allotment.kind == "convertible_bond" else ("股", "shares")
        )
        amount = money(allotment.amount_due)
        notices.append(
            Notice(
                key=f"{allotment.security_code}:{local.date().isoformat()}",
                zh=PushText(
                    title=f"中签缴款提醒：{allotment.security_name}",
                    text=(
                        f"您申购的{allotment.security_name}（{allotment.security_code}）中签 "
                        f"{allotment.allotted_quantity:,} {unit_zh}，应缴款 {amount} 元。请在今天 "
                        f"{local:%H:%M} 前确保资金账户可用资金不少于应缴金额，系统会自动扣款；"
                        "资金不足的部分视为放弃认购。连续 12 个月内累计 3 次中签后放弃认购的，"
                        "6 个月内不能参与新股、可转债申购。"
                    ),
                    quick_replies=("中签后怎么缴款", AGENT_REPLY[0]),
                    why=f"您的申购已中签，缴款截止时间是今天 {local:%H:%M}，账户显示尚未缴款。",
                ),
                en=PushText(
                    title=f"Allotment payment due: {allotment.security_code}",
                    text=(
                        f"You were allotted {allotment.allotted_quantity:,} {unit_en} of "
                        f"{allotment.security_name} ({allotment.security_code}); CNY {amount} is "
                        f"due. Keep at least that much available in your fund account before "
                        f"{local:%H:%M} today and it is debited automatically; any shortfall "
                        "counts as giving up that part. Giving up three allotments within 12 "
                        "months bars new share and bond subscriptions for 6 months."
                    ),
                    quick_replies=("How do I pay for an allotment?", AGENT_REPLY[1]),
                    why=f"Your subscription was allotted and payment is due by {local:%H:%M} "
                    "today; the account shows it unpaid.",
                ),
                expires_at=deadline,
            )
        )
    return notices


def _largest(positions: Sequence[PositionState]) -> tuple[PositionState, Decimal] | None:
    total = sum((p.market_value for p in positions), Decimal(0))
    if total < CONCENTRATION_MIN_VALUE:
        return None
    largest = max(positions, key=lambda p: p.market_value)
    return largest, largest.market_value / total


def concentration(signals: InvestorSignals) -> list[Notice]:
    """One security makes up 60% or more of the holdings' market value (20,000 CNY or more
    in all); at most once a month for the same security."""
    held = {h.code for h in signals.profile.holdings if h.quantity > 0}
    found = _largest([p for p in signals.positions if p.code in held])
    if found is None:
        return []
    position, share = found
    if share < CONCENTRATION_SHARE:
        return []
    pct = percent(share)
    return [
        Notice(
            key=f"{position.code}:{signals.today:%Y-%m}",
            zh=PushText(
                title="持仓集中度提示",
                text=(
                    f"您的持仓中，{position.name}（{position.code}）的市值约占 {pct}%。"
                    "单一证券占比较高时，账户整体的波动主要取决于这一只证券的表现。"
                    "本提示只说明账户的风险特征，如何配置由您自行决定。"
                ),
                quick_replies=("怎么查看持仓明细", AGENT_REPLY[0]),
                why=f"{position.name}的市值占您持仓总市值的 {pct}%，达到 "
                f"{percent(CONCENTRATION_SHARE)}% 或以上。",
            ),
            en=PushText(
                title="Concentration in one holding",
                text=(
                    f"{position.name} ({position.code}) is about {pct}% of your holdings' "
                    "market value. When one security is so large a share, the account's "
                    "ups and downs mostly follow that one security. This notice describes "
                    "the account's risk only; how you allocate is your decision."
                ),
                quick_replies=("How do I see my holdings?", AGENT_REPLY[1]),
                why=f"{position.code} is {pct}% of your holdings' market value, "
                f"{percent(CONCENTRATION_SHARE)}% or more.",
            ),
            expires_at=end_of(signals.today + timedelta(days=7)),
        )
    ]
