"""Rules over the account itself: expiring documents, failed transfers, applications left
halfway, permissions the investor now qualifies for.

Each function reads one investor's :class:`InvestorSignals` and returns the
:class:`~assistant.proactive.notices.Notice` s worth saying; :mod:`assistant.proactive.rules`
declares them as rules.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from assistant.accounts import EXCHANGE_TIME
from assistant.flows.permission_eligibility import eligibility_gaps
from assistant.flows.rules import PERMISSION_RULES
from assistant.proactive.events import PushText
from assistant.proactive.notices import AGENT_REPLY, Notice, end_of
from assistant.proactive.signals import InvestorSignals

EXPIRY_NOTICE_DAYS = 30
"""A risk assessment or ID document is mentioned from this many days before it expires ..."""
EXPIRED_NOTICE_DAYS = 30
"""... until this many days after."""
FAILED_TRANSFERS = 2
"""Failed bank transfers in one exchange day that make a pattern worth a hand."""
HALFWAY_AFTER = timedelta(days=1)
"""An application untouched this long is left, not in progress ..."""
HALFWAY_UNTIL = timedelta(days=14)
"""... and after this long, no longer worth a reminder."""

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
                quick_replies=("怎么重新做风险测评", AGENT_REPLY[0]),
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
                quick_replies=("How do I retake the risk assessment?", AGENT_REPLY[1]),
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
                    quick_replies=("怎么更新身份证信息", AGENT_REPLY[0]),
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
                    quick_replies=("How do I update my ID?", AGENT_REPLY[1]),
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
                quick_replies=("银证转账失败怎么办", AGENT_REPLY[0]),
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
                quick_replies=("Why did my transfer fail?", AGENT_REPLY[1]),
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
                    quick_replies=(f"{name_zh}需要什么条件", AGENT_REPLY[0]),
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
                    quick_replies=(f"What does the {name_en} need?", AGENT_REPLY[1]),
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
                    quick_replies=(f"{label.zh}开通条件", AGENT_REPLY[0]),
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
                    quick_replies=(f"{label.en} requirements", AGENT_REPLY[1]),
                    why=f"You asked about {label.en} on {asked_day:%Y-%m-%d}, and your "
                    "account now meets its conditions.",
                ),
                expires_at=end_of(asked_day + timedelta(days=30)),
            )
        )
    return notices
