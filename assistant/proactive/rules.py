"""Rules: from one investor's signals to the notices they should see, each a declared unit.

A :class:`Rule` says what it is (``kind``), how urgent (``priority``: a higher one
goes out first when the daily limit leaves room for only some), whether quiet
hours hold it back, and a ``find`` function that reads :class:`InvestorSignals`
and returns a :class:`Notice` for each thing worth saying: its key (one push
per investor and key, ever), its text in Chinese and English with quick replies
and a "why am I seeing this", and when it stops being worth saying.

Eligibility is inside ``find``: a rule that returns nothing for an investor is a
rule that investor is not eligible for. Muting is applied by the caller
(:class:`RuleSource`), expiry by the dispatcher.

A broker's customer service may not tell an investor which security to buy or
sell. These notices state facts about risks and obligations in what the investor
holds and services they now qualify for, and where to act in the app; what to do
with a holding is always left to the investor. Every text goes through the
compliance guard (:meth:`PushPolicy.vet`) before it is queued.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Protocol

from assistant.accounts import EXCHANGE_TIME, RISK_LEVELS
from assistant.flows.permission_eligibility import eligibility_gaps
from assistant.flows.rules import PERMISSION_RULES
from assistant.proactive.events import (
    ProactiveEvent,
    PushText,
    RuleKind,
    Segment,
    risk_warning_topic,
)
from assistant.proactive.signals import InvestorSignals, PositionState

if TYPE_CHECKING:
    from assistant.accounts import AccountSystem
    from assistant.proactive.signals import SignalCollector

MARGIN_WARNING_LINE = Decimal("1.50")
"""警戒线: below it the firm warns; no obligation yet."""
MARGIN_CALL_LINE = Decimal("1.30")
"""追保线 / 平仓线: below it the investor must add collateral or repay by the deadline."""
EXPIRY_NOTICE_DAYS = 30
"""A risk assessment or ID document is mentioned from this many days before it expires ..."""
EXPIRED_NOTICE_DAYS = 30
"""... until this many days after."""
ST_NOTICE_DAYS = 7
"""A new risk flag is news for a week."""
FAILED_TRANSFERS = 2
"""Failed bank transfers in one exchange day that make a pattern worth a hand."""
HALFWAY_AFTER = timedelta(days=1)
"""An application untouched this long is left, not in progress ..."""
HALFWAY_UNTIL = timedelta(days=14)
"""... and after this long, no longer worth a reminder."""
CONCENTRATION_SHARE = Decimal("0.6")
"""One security at or above this share of the holdings' market value."""
CONCENTRATION_MIN_VALUE = Decimal(20_000)
"""Below this total market value concentration is not worth a notice."""

_FLAG_NAMES = {
    "st": ("其他风险警示（ST）", "a risk warning (ST)"),
    "star_st": ("退市风险警示（*ST）", "a delisting risk warning (*ST)"),
    "delisting_period": ("退市整理", "the delisting period"),
}
_APPLICATION_NAMES = {
    "account_opening": ("开户", "account opening"),
    "chinext": ("创业板权限", "ChiNext permission"),
    "star": ("科创板权限", "STAR Market permission"),
    "bse": ("北交所权限", "Beijing Stock Exchange permission"),
    "margin": ("融资融券", "margin account"),
    "stock_connect": ("港股通权限", "Stock Connect permission"),
    "convertible_bond": ("可转债权限", "convertible bond permission"),
}
_DOCUMENT_NAMES = {
    "resident_id": ("居民身份证", "resident ID card"),
    "passport": ("护照", "passport"),
    "hk_macao_permit": ("港澳居民来往内地通行证", "Mainland travel permit (HK/Macao)"),
    "taiwan_permit": ("台湾居民来往大陆通行证", "Mainland travel permit (Taiwan)"),
    "foreign_permanent_resident_id": ("外国人永久居留身份证", "foreign permanent resident ID"),
}
_TRANSFER_REASONS = {
    "insufficient_bank_balance": ("银行卡余额不足", "not enough money in the bank account"),
    "insufficient_withdrawable": ("可取资金不足", "not enough withdrawable cash"),
    "outside_transfer_hours": ("不在转账时间内", "outside transfer hours"),
    "wrong_password": ("密码错误", "wrong password"),
    "bank_card_abnormal": ("银行卡状态异常", "the bank card's status"),
    "exceeds_limit": ("超过转账限额", "over the transfer limit"),
    "bank_system_error": ("银行系统异常", "a bank system error"),
    "other": ("其他原因", "another reason"),
}
_AGENT = ("转人工客服", "Talk to an agent")


@dataclass(frozen=True)
class Notice:
    """What a rule found for one investor."""

    key: str
    zh: PushText
    en: PushText
    expires_at: datetime
    topic: str | None = None
    """The news it tells when another source may tell it too (see ``ProactiveEvent.topic``)."""


@dataclass(frozen=True)
class Rule:
    """One declared kind of suggestion drawn from an investor's own account."""

    kind: RuleKind
    summary: str
    """What triggers it and who is eligible, for operators (``push preview``)."""
    priority: int
    quiet_hours: bool
    """False: goes out at night too (still within the daily limit)."""
    find: Callable[[InvestorSignals], list[Notice]]

    def events(self, signals: InvestorSignals) -> list[ProactiveEvent]:
        """The notices as events for this one investor, live ones only."""
        return [
            ProactiveEvent(
                event_id=f"{self.kind}:{signals.investor_id}:{notice.key}",
                topic=notice.topic,
                kind=self.kind,
                zh=notice.zh,
                en=notice.en,
                audience=Segment(investor_ids=frozenset({signals.investor_id})),
                expires_at=notice.expires_at,
                priority=self.priority,
            )
            for notice in self.find(signals)
            if signals.now < notice.expires_at
        ]


def end_of(day: date) -> datetime:
    """Midnight after ``day`` on the exchanges' clock."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=EXCHANGE_TIME)


def _percent(ratio: Decimal) -> str:
    return str((ratio * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


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
                    quick_replies=("ST 股票有哪些交易限制", _AGENT[0]),
                    why=f"您的账户持有{position.name}，该证券于 {day} 被实施{flag_zh}。",
                ),
                en=PushText(
                    title=f"Risk warning on a holding: {position.code}",
                    text=(
                        f"{position.name} ({position.code}), which you hold, has been under "
                        f"{flag_en} since {day}. {rule_en} The company's announcements and the "
                        "exchange's rules have the details; what you do is your decision."
                    ),
                    quick_replies=("What limits apply to ST shares?", _AGENT[1]),
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
    ratio = _percent(margin.maintenance_ratio)
    if margin.maintenance_ratio < MARGIN_CALL_LINE:
        band, line = "call", _percent(MARGIN_CALL_LINE)
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
        band, line = "warning", _percent(MARGIN_WARNING_LINE)
        meaning_zh = (
            f"已低于 {line}% 的警戒线，目前还没有追加担保物的义务；"
            f"比例低于 {_percent(MARGIN_CALL_LINE)}% 时需按合同追加担保物或偿还负债。"
        )
        meaning_en = (
            f"This is below the {line}% warning line. Nothing is required yet; below "
            f"{_percent(MARGIN_CALL_LINE)}% the contract requires more collateral or repayment."
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
                quick_replies=("维持担保比例怎么计算", _AGENT[0]),
                why=f"您开通了融资融券，信用账户的维持担保比例（{ratio}%）低于 {line}%。",
            ),
            en=PushText(
                title="Margin maintenance ratio",
                text=(
                    f"As of {as_of:%m-%d %H:%M} your credit account's maintenance ratio is "
                    f"{ratio}%. {meaning_en} Your margin contract and the firm's notices "
                    "have the details."
                ),
                quick_replies=("How is the maintenance ratio worked out?", _AGENT[1]),
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
                    quick_replies=("怎么重新做风险测评", _AGENT[0]),
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
                    quick_replies=("How do I retake the risk assessment?", _AGENT[1]),
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
        amount = _money(allotment.amount_due)
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
                    quick_replies=("中签后怎么缴款", _AGENT[0]),
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
                    quick_replies=("How do I pay for an allotment?", _AGENT[1]),
                    why=f"Your subscription was allotted and payment is due by {local:%H:%M} "
                    "today; the account shows it unpaid.",
                ),
                expires_at=deadline,
            )
        )
    return notices


def _expiry_window(expires_on: date, today: date) -> bool:
    return (
        expires_on - timedelta(days=EXPIRY_NOTICE_DAYS)
        <= today
        <= expires_on + timedelta(days=EXPIRED_NOTICE_DAYS)
    )


def _when_zh(expires_on: date, today: date) -> str:
    days = (expires_on - today).days
    if days < 0:
        return f"已于 {expires_on:%Y-%m-%d} 到期"
    return f"将于 {expires_on:%Y-%m-%d} 到期（还有 {days} 天）"


def _when_en(expires_on: date, today: date) -> str:
    days = (expires_on - today).days
    if days < 0:
        return f"expired on {expires_on:%Y-%m-%d}"
    return f"expires on {expires_on:%Y-%m-%d} (in {days} days)"


def risk_assessment_expiry(signals: InvestorSignals) -> list[Notice]:
    """The risk assessment expires within 30 days, or expired in the last 30."""
    assessment = signals.risk_assessment
    if assessment is None or assessment.expires_on is None:
        return []
    expires_on = assessment.expires_on
    if not _expiry_window(expires_on, signals.today):
        return []
    return [
        Notice(
            key=expires_on.isoformat(),
            zh=PushText(
                title="风险测评到期提醒",
                text=(
                    f"您的风险承受能力测评{_when_zh(expires_on, signals.today)}。测评过期后，"
                    "申购或开通需要匹配风险等级的产品和业务将无法办理。可在App「我的 → 风险测评」"
                    "重新测评，约需 10 分钟。"
                ),
                quick_replies=("怎么重新做风险测评", _AGENT[0]),
                why=f"您在本公司的风险测评有效期至 {expires_on:%Y-%m-%d}。",
            ),
            en=PushText(
                title="Your risk assessment is expiring",
                text=(
                    f"Your risk tolerance assessment {_when_en(expires_on, signals.today)}. "
                    "Once it has expired, products and services matched to a risk level cannot "
                    "be applied for. You can retake it in the app under Me > Risk assessment; "
                    "it takes about 10 minutes."
                ),
                quick_replies=("How do I retake the risk assessment?", _AGENT[1]),
                why=f"Your risk assessment with us is valid until {expires_on:%Y-%m-%d}.",
            ),
            expires_at=end_of(expires_on + timedelta(days=EXPIRED_NOTICE_DAYS)),
        )
    ]


def id_expiry(signals: InvestorSignals) -> list[Notice]:
    """An identity document on file expires within 30 days, or expired in the last 30."""
    notices: list[Notice] = []
    for document in signals.id_documents:
        expires_on = document.expires_on
        if expires_on is None or not _expiry_window(expires_on, signals.today):
            continue
        name_zh, name_en = _DOCUMENT_NAMES[document.kind]
        notices.append(
            Notice(
                key=f"{document.kind}:{expires_on.isoformat()}",
                zh=PushText(
                    title="证件到期提醒",
                    text=(
                        f"您在本公司登记的{name_zh}{_when_zh(expires_on, signals.today)}。"
                        "证件过期后账户的部分业务可能受限，可在App「我的 → 个人资料 → 证件更新」"
                        "上传新证件。"
                    ),
                    quick_replies=("怎么更新身份证信息", _AGENT[0]),
                    why=f"您登记的{name_zh}有效期至 {expires_on:%Y-%m-%d}。",
                ),
                en=PushText(
                    title="Your ID document is expiring",
                    text=(
                        f"The {name_en} on file with us "
                        f"{_when_en(expires_on, signals.today)}. Once it has expired some "
                        "services on the account may be restricted; upload the new document in "
                        "the app under Me > Profile > Update ID."
                    ),
                    quick_replies=("How do I update my ID?", _AGENT[1]),
                    why=f"The {name_en} on file is valid until {expires_on:%Y-%m-%d}.",
                ),
                expires_at=end_of(expires_on + timedelta(days=EXPIRED_NOTICE_DAYS)),
            )
        )
    return notices


def transfer_failures(signals: InvestorSignals) -> list[Notice]:
    """Two or more bank transfers failed today."""
    failed = [t for t in signals.transfers_today if t.status == "failed"]
    failed = [t for t in failed if t.requested_at.astimezone(EXCHANGE_TIME).date() == signals.today]
    if len(failed) < FAILED_TRANSFERS:
        return []
    latest = max(failed, key=lambda t: t.requested_at)
    reason_zh, reason_en = _TRANSFER_REASONS[latest.failure_reason or "other"]
    count = len(failed)
    return [
        Notice(
            key=signals.today.isoformat(),
            zh=PushText(
                title="银证转账未成功",
                text=(
                    f"您今天有 {count} 笔银证转账未成功，最近一次的原因是：{reason_zh}。"
                    "可在App「资金 → 银证转账 → 转账记录」查看每笔的原因后再试；"
                    "如仍无法完成，可转人工客服协助排查。"
                ),
                quick_replies=("银证转账失败怎么办", _AGENT[0]),
                why=f"今天您的账户有 {count} 笔银证转账失败。",
            ),
            en=PushText(
                title="Bank transfers did not go through",
                text=(
                    f"{count} of your bank transfers did not go through today; the latest "
                    f"failed because of {reason_en}. The reason for each is under Funds > Bank "
                    "transfer > History in the app; if it still fails, an agent can look "
                    "into it with you."
                ),
                quick_replies=("Why did my transfer fail?", _AGENT[1]),
                why=f"{count} bank transfers on your account failed today.",
            ),
            expires_at=end_of(signals.today),
        )
    ]


def application_halfway(signals: InvestorSignals) -> list[Notice]:
    """An application (opening, a permission) was started, left for a day or more and not
    submitted; not for a permission the account already has."""
    notices: list[Notice] = []
    for application in signals.applications:
        if application.steps_done >= application.steps_total:
            continue
        if application.kind in signals.profile.permissions:
            continue
        idle = signals.now - application.updated_at
        if not HALFWAY_AFTER <= idle < HALFWAY_UNTIL:
            continue
        name_zh, name_en = _APPLICATION_NAMES[application.kind]
        started = application.started_at.astimezone(EXCHANGE_TIME)
        done, total = application.steps_done, application.steps_total
        notices.append(
            Notice(
                key=application.application_id,
                zh=PushText(
                    title=f"您的{name_zh}申请尚未完成",
                    text=(
                        f"您于 {started:%Y-%m-%d} 在App中开始的{name_zh}申请已完成 {done}/{total} "
                        "步，尚未提交。已填写的内容已保存，可在App「业务办理 → 我的申请」继续；"
                        "是否继续办理由您决定。"
                    ),
                    quick_replies=(f"{name_zh}需要什么条件", _AGENT[0]),
                    why=f"您在 {started:%Y-%m-%d} 开始了{name_zh}申请，之后没有继续。",
                ),
                en=PushText(
                    title=f"Your {name_en} application is not finished",
                    text=(
                        f"The {name_en} application you started in the app on "
                        f"{started:%Y-%m-%d} has {done} of {total} steps done and has not been "
                        "submitted. What you entered is saved; carry on under Services > My "
                        "applications if you wish."
                    ),
                    quick_replies=(f"What does the {name_en} need?", _AGENT[1]),
                    why=f"You started a {name_en} application on {started:%Y-%m-%d} and "
                    "have not continued since.",
                ),
                expires_at=end_of(
                    (application.updated_at + HALFWAY_UNTIL).astimezone(EXCHANGE_TIME).date()
                ),
            )
        )
    return notices


def permission_ready(signals: InvestorSignals) -> list[Notice]:
    """The investor asked about a permission in the last 30 days, does not have it, has no
    application for it under way, and the account now meets every condition for it."""
    latest: dict[str, datetime] = {}
    for question in signals.asked:
        if question.asked_at <= signals.now:
            latest[question.permission] = max(
                question.asked_at, latest.get(question.permission, question.asked_at)
            )
    under_way = {a.kind for a in signals.applications if a.steps_done < a.steps_total}
    notices: list[Notice] = []
    for permission, asked_at in sorted(latest.items()):
        rule = PERMISSION_RULES.get(permission)
        if rule is None or permission in signals.profile.permissions or permission in under_way:
            continue
        if eligibility_gaps(signals.profile, rule):
            continue
        asked_day = asked_at.astimezone(EXCHANGE_TIME).date()
        label = rule.label
        notices.append(
            Notice(
                key=permission,
                zh=PushText(
                    title=f"{label.zh}开通条件提示",
                    text=(
                        f"您此前咨询过{label.zh}。根据账户目前的信息，您已满足其资产、交易经验和"
                        "风险等级条件，可在App「业务办理 → 权限开通」自行申请，申请时需完成知识"
                        "测评并签署风险揭示书。是否开通由您决定。"
                    ),
                    quick_replies=(f"{label.zh}开通条件", _AGENT[0]),
                    why=f"您在 {asked_day:%Y-%m-%d} 询问过{label.zh}，您的账户现已满足其开通条件。",
                ),
                en=PushText(
                    title=f"You now meet the {label.en} conditions",
                    text=(
                        f"You asked us about {label.en}. From your account's current details "
                        "you meet its asset, experience and risk-level conditions, so you can "
                        "apply in the app under Services > Permissions, with a knowledge test "
                        "and a risk disclosure to sign. Whether to apply is your decision."
                    ),
                    quick_replies=(f"{label.en} requirements", _AGENT[1]),
                    why=f"You asked about {label.en} on {asked_day:%Y-%m-%d}, and your "
                    "account now meets its conditions.",
                ),
                expires_at=end_of(asked_day + timedelta(days=30)),
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
    pct = _percent(share)
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
                quick_replies=("怎么查看持仓明细", _AGENT[0]),
                why=f"{position.name}的市值占您持仓总市值的 {pct}%，达到 "
                f"{_percent(CONCENTRATION_SHARE)}% 或以上。",
            ),
            en=PushText(
                title="Concentration in one holding",
                text=(
                    f"{position.name} ({position.code}) is about {pct}% of your holdings' "
                    "market value. When one security is so large a share, the account's "
                    "ups and downs mostly follow that one security. This notice describes "
                    "the account's risk only; how you allocate is your decision."
                ),
                quick_replies=("How do I see my holdings?", _AGENT[1]),
                why=f"{position.code} is {pct}% of your holdings' market value, "
                f"{_percent(CONCENTRATION_SHARE)}% or more.",
            ),
            expires_at=end_of(signals.today + timedelta(days=7)),
        )
    ]


RULES: tuple[Rule, ...] = (
    Rule("margin_ratio", "margin ratio below 150% / 130% today", 95, False, margin_ratio),
    Rule("allotment_due", "allotment unpaid, payment due today", 90, True, allotment_due),
    Rule("st_risk", "a holding flagged ST, *ST or delisting in the last 7 days", 80, True, st_risk),
    Rule("transfer_failures", "2+ failed bank transfers today", 70, True, transfer_failures),
    Rule(
        "risk_assessment_expiry",
        "risk assessment expires within 30 days / expired in the last 30",
        65,
        True,
        risk_assessment_expiry,
    ),
    Rule(
        "id_expiry",
        "ID document expires within 30 days / expired in the last 30",
        65,
        True,
        id_expiry,
    ),
    Rule(
        "risk_mismatch", "a holding rated above the investor's risk level", 60, True, risk_mismatch
    ),
    Rule(
        "application_halfway",
        "an application left 1-14 days without being submitted",
        45,
        True,
        application_halfway,
    ),
    Rule(
        "permission_ready",
        "asked about a permission in 30 days and now meets its conditions",
        40,
        True,
        permission_ready,
    ),
    Rule("concentration", "one security is 60%+ of the holdings' value", 30, True, concentration),
)
"""Every rule, most urgent first."""

RULES_BY_KIND: dict[str, Rule] = {rule.kind: rule for rule in RULES}
QUIET_EXEMPT_KINDS: frozenset[str] = frozenset(r.kind for r in RULES if not r.quiet_hours)


class MuteLookup(Protocol):
    """What kinds of suggestion an investor muted (the outbox repository answers it)."""

    async def muted_kinds(self, investor_id: str) -> set[str]: ...


class RuleSource:
    """The rules run over every investor's signals: an :class:`EventSource` whose events are
    each for one investor. Kinds the investor muted are left out."""

    name = "rules"

    def __init__(
        self,
        accounts: AccountSystem,
        collector: SignalCollector,
        *,
        mutes: MuteLookup | None = None,
        rules: Sequence[Rule] = RULES,
    ) -> None:
        self._accounts = accounts
        self._collector = collector
        self._mutes = mutes
        self.rules = list(rules)

    async def events(self, now: datetime) -> list[ProactiveEvent]:
        asked = await self._collector.asked(now)
        events: list[ProactiveEvent] = []
        for investor_id in await self._accounts.investor_ids():
            profile = await self._accounts.profile(investor_id)
            if profile is None:
                continue
            signals = await self._collector.collect(profile, now, asked.get(investor_id, ()))
            muted = await self._mutes.muted_kinds(investor_id) if self._mutes else set()
            for rule in self.rules:
                if rule.kind not in muted:
                    events += rule.events(signals)
        return events
