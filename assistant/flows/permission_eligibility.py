"""The ``permission_eligibility`` flow: may this account apply for a board permission?

For ChiNext, STAR, BSE, margin, Stock Connect or convertible bonds it checks
the investor's profile from the :class:`~assistant.accounts.AccountSystem`
against :data:`~assistant.flows.rules.PERMISSION_RULES` and says exactly what
is missing. It only explains: nothing is ever opened from here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal

from assistant.accounts import AccountSystem, InvestorProfile
from assistant.dialogue_models import Language
from assistant.flows.guards import secret_guard
from assistant.flows.rules import (
    ADULT_AGE,
    LABELS,
    PERMISSION_RULES,
    SENIOR_AGE,
    PermissionRule,
    read_board,
    risk_at_least,
)
from assistant.flows.wording import bullets
from assistant.message_reading import asks_how_to_open, wants_to_act
from assistant.templates import template
from intents.flow_engine import FlowAnswers, FlowDefinition, FlowOutcome, Localized, Slot

PERMISSION_ELIGIBILITY = "permission_eligibility"
"""The flow's name, as the intent catalogue's ``flow`` calls it."""

# "我能开科创板吗", "我够不够开两融", "do i qualify for margin", "check if my account qualifies":
# whether *this* investor may apply, which their own account answers once they are signed in.
_OWN_ELIGIBILITY = re.compile(
    r"我(?:现在|目前|这)?(?:能|可以|够|符合|满足|有没有资格|有资格)|(?:能不能|可不可以|够不够)(?:给我)?开|"
    r"\bam i (?:eligible|qualified|allowed)|\bdo i (?:qualify|meet)|"
    r"\bcan i (?:open|apply for|get|trade)\b|"
    r"\bcheck (?:if|whether) (?:i|my)\b|\bmy account qualif",
    re.IGNORECASE,
)
# Figures of the investor's own ("我有60万"): what they say is read, not the account.
_STATES_FIGURES = re.compile(
    r"\d|[一二两三四五六七八九十百千万]+(?:万|年|个月|岁)|\bk\b", re.IGNORECASE
)
# "在哪开通", "where in the app do I apply": how it is done, the FAQ's answer.
_HOW_OR_WHERE = re.compile(r"怎么|怎样|如何|在哪|哪里|咋|\b(?:how|where)\b", re.IGNORECASE)


def asks_own_eligibility(question: str) -> bool:
    """Whether the investor asks if they themselves may apply, giving no figures of their
    own ("我有60万 炒了3年 能开吗" is answered from what they say: ``assistant.stated_facts``)."""
    return (
        _OWN_ELIGIBILITY.search(question) is not None
        and not _STATES_FIGURES.search(question)
        and not _HOW_OR_WHERE.search(question)
    )


def _money(amount: Decimal, language: Language) -> str:
    if language == "en":
        return f"CNY {amount:,.0f}"
    if amount >= 10_000:
        wan = (amount / 10_000).quantize(Decimal("0.01")).normalize()
        return f"{wan:f}万元"
    return f"{amount:,.0f}元"


_APPLY = Localized(
    "申请方式：在我们App的「业务办理 → 权限开通」中选择「{label}」，按提示完成知识测评、"
    "签署风险揭示书后提交，审核结果以App通知为准。本助手只能帮您核对条件，不能代为开通。",
    "To apply: in our app go to Services → Permissions, choose {label}, complete the knowledge "
    "test and sign the risk disclosure, then submit; the result is notified in the app. I can "
    "check the requirements with you but cannot open anything for you.",
)


def eligibility_gaps(profile: InvestorProfile, rule: PermissionRule) -> list[Localized]:
    """Every requirement of ``rule`` that ``profile`` does not meet, each saying by how much."""
    gaps: list[Localized] = []
    if profile.age < ADULT_AGE:
        gaps.append(
            Localized(
                f"需年满18周岁（您目前{profile.age}周岁）",
                f"you must be at least 18 (you are {profile.age})",
            )
        )
    if profile.assets_20d_avg < rule.min_assets:
        short = rule.min_assets - profile.assets_20d_avg
        gaps.append(
            Localized(
                f"前20个交易日日均资产需不低于{_money(rule.min_assets, 'zh')}，"
                f"您目前为{_money(profile.assets_20d_avg, 'zh')}，还差{_money(short, 'zh')}",
                f"average daily assets over the last 20 trading days must be at least "
                f"{_money(rule.min_assets, 'en')}; yours is "
                f"{_money(profile.assets_20d_avg, 'en')}, {_money(short, 'en')} short",
            )
        )
    if profile.trading_experience_months < rule.min_months:
        short_months = rule.min_months - profile.trading_experience_months
        gaps.append(
            Localized(
                f"需具备{rule.min_months}个月以上证券交易经验，"
                f"您目前约{profile.trading_experience_months}个月，还差{short_months}个月",
                f"at least {rule.min_months} months of trading experience; you have about "
                f"{profile.trading_experience_months}, {short_months} months short",
            )
        )
    if profile.risk_level is None:
        gaps.append(
            Localized(
                f"需先完成风险承受能力测评，且等级达到{rule.min_risk}及以上",
                f"take the risk tolerance questionnaire first; it must come out at "
                f"{rule.min_risk} or higher",
            )
        )
    elif not risk_at_least(profile.risk_level, rule.min_risk):
        gaps.append(
            Localized(
                f"风险承受能力等级需达到{rule.min_risk}及以上，您目前为{profile.risk_level}",
                f"your risk level must be {rule.min_risk} or higher; it is {profile.risk_level}",
            )
        )
    return gaps


def with_conditions(answer: str, question: str, language: Language) -> str:
    """``answer`` to "创业板怎么开通" or "我要开通科创板" with what opening the board takes,
    beside the answer and before the line that cites it, where the answer (the app's steps
    alone) does not say; any other answer as it is."""
    board = read_board(question)
    if not isinstance(board, str) or not (wants_to_act(question) or asks_how_to_open(question)):
        return answer
    note = conditions_note(board, language, answer)
    if note is None:
        return answer
    said, cited, rest = answer.partition(f"\n{template('sources', language)}")
    return f"{said}\n{note}{cited}{rest}"


def conditions_note(board: str, language: Language, answered: str) -> str | None:
    """What opening ``board`` needs, for an answer on how to open it that does not say so
    (the app's steps alone): a guest asking "创业板怎么开通" has no account to check, and the
    conditions decide whether the steps are worth taking. None when the answer names them."""
    rule = PERMISSION_RULES.get(board)
    if rule is None:
        return None
    figures = (
        _money(rule.min_assets, language),
        f"{(rule.min_assets / 10_000).normalize():f}万",
        f"{rule.min_assets:,.0f}",
    )
    if any(figure in answered for figure in figures):
        return None
    head = "开通条件：" if language == "zh" else "What it takes:"
    return f"{head}\n{_requirements(rule, language)}"


def _requirements(rule: PermissionRule, language: Language) -> str:
    zh = language == "zh"
    lines = [
        (
            f"前20个交易日日均资产不低于{_money(rule.min_assets, 'zh')}"
            if zh
            else f"average daily assets over the last 20 trading days of at least "
            f"{_money(rule.min_assets, 'en')}"
        )
    ]
    if rule.min_months:
        lines.append(
            f"{rule.min_months}个月以上证券交易经验"
            if zh
            else f"at least {rule.min_months} months of trading experience"
        )
    lines.append(
        f"风险承受能力等级{rule.min_risk}及以上"
        if zh
        else f"a risk tolerance level of {rule.min_risk} or higher"
    )
    lines.append(
        "通过知识测评并签署风险揭示书"
        if zh
        else "passing the knowledge test and signing the risk disclosure"
    )
    return bullets(lines)


def _eligibility_message(
    rule: PermissionRule, profile: InvestorProfile | None, looked_up: bool, language: Language
) -> str:
    label = rule.label.text(language)
    apply = _APPLY.text(language).format(label=label)
    note = [rule.note.text(language)] if rule.note else []
    if profile is None:
        lead = (
            Localized("暂时查不到您的账户资料。", "I couldn't find your account details.")
            if looked_up
            else Localized(
                "登录后我可以按您的账户逐项核对。", "Log in and I can check your own account."
            )
        )
        heading = Localized(f"开通{label}的条件：", f"To get {label} you need:").text(language)
        return "\n".join(
            [lead.text(language), heading, _requirements(rule, language), *note, apply]
        )
    if rule.board in profile.permissions:
        return Localized(
            f"您的账户已开通{label}，无需重复申请。",
            f"Your account already has {label}; no need to apply again.",
        ).text(language)
    gaps = eligibility_gaps(profile, rule)
    if gaps:
        heading = Localized(
            f"按您账户目前的数据，暂不满足开通{label}的条件，还差：",
            f"Based on your account today, you don't yet meet the requirements for {label}:",
        ).text(language)
        later = Localized("满足后即可申请。", "Once you meet them, you can apply.").text(language)
        return "\n".join(
            [heading, bullets([gap.text(language) for gap in gaps]), *note, later, apply]
        )
    lines = [
        Localized(
            f"按您账户目前的数据，您满足开通{label}的条件。",
            f"Based on your account today, you meet the requirements for {label}.",
        ).text(language),
        *note,
    ]
    if profile.age >= SENIOR_AGE:
        lines.append(
            Localized(
                "年满70周岁的投资者申请时还需额外完成风险确认。",
                "From age 70 the application includes an extra risk confirmation.",
            ).text(language)
        )
    return "\n".join([*lines, apply])


_BOARD_CHOICE_EN: Mapping[str, str] = {
    "chinext": "ChiNext",
    "star": "STAR Market",
    "bse": "Beijing Stock Exchange",
    "margin": "Margin trading",
    "stock_connect": "Stock Connect",
    "convertible_bond": "Convertible bonds",
}


def permission_eligibility_flow(accounts: AccountSystem) -> FlowDefinition:
    """Checks a board permission against the investor's profile; asynchronous completion."""

    async def complete(answers: FlowAnswers) -> FlowOutcome:
        rule = PERMISSION_RULES[str(answers.slots["board"])]
        profile = await accounts.profile(answers.investor_id) if answers.investor_id else None
        message = _eligibility_message(
            rule, profile, answers.investor_id is not None, answers.language
        )
        return FlowOutcome(message=message)

    return FlowDefinition(
        name=PERMISSION_ELIGIBILITY,
        title=Localized("权限开通条件核对", "permission check"),
        guard=secret_guard,
        on_complete=complete,
        slots=(
            Slot(
                name="board",
                prompt=Localized(
                    "您想了解哪项权限的开通条件？", "Which trading permission are you asking about?"
                ),
                reprompt=Localized(
                    "请从下面选择一项权限。", "Please choose one of the permissions below."
                ),
                extract=read_board,
                detect=read_board,
                choices=tuple(
                    Localized(LABELS[board].zh, _BOARD_CHOICE_EN[board])
                    for board in PERMISSION_RULES
                ),
            ),
        ),
    )
