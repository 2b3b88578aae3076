"""Answers about the account's standing terms: commission, permissions, the risk assessment and
the identity documents on file."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from assistant.account_answers.drafting import WHERE_IN_APP, Context, Draft, joined
from assistant.account_queries import AccountQuery
from assistant.accounts import AccountSystem, CommissionProduct, IdDocument
from assistant.boards import LABELS
from intents.flow_engine import Localized

_PRODUCT_LABELS: Mapping[CommissionProduct, Localized] = {
    "a_share": Localized("A股", "A-shares"),
    "etf": Localized("ETF", "ETFs"),
    "convertible_bond": Localized("可转债", "convertible bonds"),
    "stock_connect": Localized("港股通", "Southbound Stock Connect"),
}


def _rate(rate: Decimal, context: Context) -> str:
    if context.zh:
        return f"万分之{(rate * 10_000).normalize():f}"
    return f"{(rate * 100).normalize():f}%"


async def answer_commission(
    query: AccountQuery, investor_id: str, accounts: AccountSystem, context: Context
) -> Draft | None:
    schedule = await accounts.commission(investor_id)
    if schedule is None:
        return None
    written = Draft()
    rates = [rate for rate in schedule.rates if rate.product == query.product] or schedule.rates
    if not rates:
        written.lines.append(
            context.say(
                "系统中暂未查到您的佣金设置，请联系客服核实。",
                "No commission rates are on record for your account; please ask our staff to "
                "check.",
            )
        )
        return written
    effective = schedule.effective_from
    written.lines.append(
        context.say(
            f"您的佣金费率（{context.full_date(effective)}起执行）：",
            f"Your commission rates (in effect since {context.full_date(effective)}):",
        )
        if effective
        else context.say("您的佣金费率：", "Your commission rates:")
    )
    for rate in rates:
        label = _PRODUCT_LABELS[rate.product].text(context.language)
        minimum = rate.minimum_per_order.normalize()
        if context.zh:
            floor = f"每笔最低{minimum:f}元" if minimum else "无最低收费"
            written.lines.append(f"· {label}：{_rate(rate.rate, context)}，{floor}")
        else:
            floor = f"minimum CNY {minimum:f} per order" if minimum else "no minimum"
            written.lines.append(f"· {label}: {_rate(rate.rate, context)}, {floor}")
        written.facts.append(f"commission:{rate.product}")
    written.notes.append(
        context.say(
            "以上为券商佣金；印花税、过户费等税费另计。",
            "These are our commissions; stamp duty, transfer fees and other levies are charged "
            "separately.",
        )
    )
    return written


_PERMISSION_LABELS: Mapping[str, Localized] = {
    **LABELS,
    "options": Localized("股票期权", "stock options"),
}
_SEPARATELY_OPENED = ("chinext", "star", "bse", "stock_connect", "margin", "convertible_bond")


def _permission_label(code: str, name: str | None, context: Context) -> str:
    label = _PERMISSION_LABELS.get(code)
    return label.text(context.language) if label else name or code


async def answer_permissions(
    query: AccountQuery, investor_id: str, accounts: AccountSystem, context: Context
) -> Draft | None:
    granted = await accounts.permissions(investor_id)
    if granted is None:
        return None
    written = Draft()
    by_code = {grant.permission: grant for grant in granted.grants}
    written.facts += [f"permission:{code}" for code in by_code]
    where = WHERE_IN_APP["permissions"].text(context.language)
    if query.board:
        label = _permission_label(query.board, None, context)
        grant = by_code.get(query.board)
        if grant is None:
            written.lines.append(
                context.say(
                    f"您的账户目前未开通{label}。如想了解开通条件，可以问我“{label}开通条件”，"
                    f"或在{where}查看。",
                    f"{label[0].upper()}{label[1:]} is not open on your account. To see what it "
                    "requires, ask me "
                    f"about the {label} requirements, or look under {where}.",
                )
            )
        else:
            on = (
                context.say(f"（开通日期：{context.full_date(grant.granted_on)}）", "")
                if grant.granted_on
                else ""
            )
            on_en = f" (since {context.full_date(grant.granted_on)})" if grant.granted_on else ""
            written.lines.append(
                context.say(
                    f"您已开通{label}{on}。",
                    f"{label[0].upper()}{label[1:]} is open on your account{on_en}.",
                )
            )
        return written
    if by_code:
        named = [
            _permission_label(code, grant.name, context)
            + (
                context.say(
                    f"（{context.full_date(grant.granted_on)}开通）",
                    f" (since {context.full_date(grant.granted_on)})",
                )
                if grant.granted_on
                else ""
            )
            for code, grant in by_code.items()
        ]
        written.lines.append(
            context.say(
                f"您已开通：{joined(named, context)}。",
                f"Open on your account: {joined(named, context)}.",
            )
        )
    missing = [
        _permission_label(code, None, context) for code in _SEPARATELY_OPENED if code not in by_code
    ]
    if missing:
        written.lines.append(
            context.say(
                f"您的账户尚未开通：{joined(missing, context)}；沪深主板A股无需单独开通。",
                f"Not open on your account: {joined(missing, context)}; main-board "
                "A-shares need no separate permission.",
            )
        )
    written.notes.append(
        context.say(
            f"想了解某项权限的开通条件，可以直接问我，或在{where}查看。",
            f"To see what a permission requires, ask me or look under {where}.",
        )
    )
    return written


RISK_ASSESSMENT_WARNING_DAYS = 30


async def answer_risk(
    query: AccountQuery, investor_id: str, accounts: AccountSystem, context: Context
) -> Draft | None:
    assessment = await accounts.risk_assessment(investor_id)
    if assessment is None:
        return None
    written = Draft(facts=["risk_assessment"])
    where = WHERE_IN_APP["risk"].text(context.language)
    if assessment.level is None:
        written.lines.append(
            context.say(
                f"您还没有完成风险承受能力测评，可在{where}完成。",
                f"You have not taken the risk tolerance assessment yet; you can take it under "
                f"{where}.",
            )
        )
        return written
    taken = (
        context.say(
            f"（{context.full_date(assessment.assessed_on)}测评）",
            f" (assessed {context.full_date(assessment.assessed_on)})",
        )
        if assessment.assessed_on
        else ""
    )
    written.lines.append(
        context.say(
            f"您的风险承受能力等级为{assessment.level}{taken}。",
            f"Your risk tolerance level is {assessment.level}{taken}.",
        )
    )
    expires = assessment.expires_on
    if expires is None:
        written.lines.append(
            context.say("系统中没有登记测评的有效期。", "No expiry date is on record for it.")
        )
        return written
    days_left = (expires - context.today).days
    if days_left < 0:
        written.lines.append(
            context.say(
                f"这次测评已于{context.full_date(expires)}到期，请在{where}重新测评；"
                "到期后，与风险等级相关的业务可能无法办理。",
                f"It expired on {context.full_date(expires)}: please take it again under "
                f"{where}; until then, services that depend on your risk level may be refused.",
            )
        )
    elif days_left <= RISK_ASSESSMENT_WARNING_DAYS:
        written.lines.append(
            context.say(
                f"有效期至{context.full_date(expires)}，还有{days_left}天到期，"
                f"请在到期前通过{where}重新测评。",
                f"It is valid until {context.full_date(expires)}, {days_left} days from now; "
                f"please take it again under {where} before then.",
            )
        )
    else:
        written.lines.append(
            context.say(
                f"有效期至{context.full_date(expires)}。",
                f"It is valid until {context.full_date(expires)}.",
            )
        )
    return written


ID_DOCUMENT_WARNING_DAYS = 90


_DOCUMENT_NAMES: Mapping[str, Localized] = {
    "resident_id": Localized("居民身份证", "resident ID card"),
    "passport": Localized("护照", "passport"),
    "hk_macao_permit": Localized(
        "港澳居民来往内地通行证", "Mainland Travel Permit for Hong Kong and Macao Residents"
    ),
    "taiwan_permit": Localized(
        "台湾居民来往大陆通行证", "Mainland Travel Permit for Taiwan Residents"
    ),
    "foreign_permanent_resident_id": Localized(
        "外国人永久居留身份证", "Foreign Permanent Resident ID Card"
    ),
}


def _document_line(document: IdDocument, context: Context) -> str:
    name = _DOCUMENT_NAMES[document.kind].text(context.language)
    head = context.say(
        f"您登记的{name}（{document.number_masked}）",
        f"The {name} on file ({document.number_masked})",
    )
    expires = document.expires_on
    if expires is None:
        return context.say(f"{head}长期有效。", f"{head} is valid long-term.")
    update = context.say(
        "请通过【我的】→【个人资料】→【证件更新】上传新证件",
        "please upload the new one under Me → Personal details → Update ID",
    )
    days_left = (expires - context.today).days
    if days_left < 0:
        return context.say(
            f"{head}已于{context.full_date(expires)}过期，{update}；证件过期期间，账户的部分业务可能受限。",
            f"{head} expired on {context.full_date(expires)}: {update}. While it is expired, "
            "some services on your account may be restricted.",
        )
    if days_left <= ID_DOCUMENT_WARNING_DAYS:
        return context.say(
            f"{head}有效期至{context.full_date(expires)}，还有{days_left}天到期。换领新证后，{update}。",
            f"{head} is valid until {context.full_date(expires)}, {days_left} days from now. "
            f"Once you have a new one, {update}.",
        )
    return context.say(
        f"{head}有效期至{context.full_date(expires)}。",
        f"{head} is valid until {context.full_date(expires)}.",
    )


async def answer_id_expiry(
    query: AccountQuery, investor_id: str, accounts: AccountSystem, context: Context
) -> Draft | None:
    on_file = await accounts.id_documents(investor_id)
    if on_file is None:
        return None
    written = Draft(facts=[f"id_document:{d.kind}" for d in on_file.documents])
    if not on_file.documents:
        where = WHERE_IN_APP["id_expiry"].text(context.language)
        written.lines.append(
            context.say(
                f"系统中没有登记您的证件有效期，请在{where}核对。",
                f"No ID document's expiry date is on record; please check under {where}.",
            )
        )
    written.lines += [_document_line(document, context) for document in on_file.documents]
    return written
