"""The account's standing: normal, restricted or frozen, what each restriction stops, the
reason the account system gives, and the documented next step for that reason.

A reason is only ever the account system's: with none given, the investor is told that a
colleague will check, and offered a person. Where only a person can go on (a judicial
freeze, an anti-money-laundering review, a protective freeze the investor asked for, an
unqualified account), the answer says what happens next and offers a person.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from assistant.account_answers.drafting import WHERE_IN_APP, Context, Draft
from assistant.account_queries import AccountQuery
from assistant.accounts import AccountSystem, Restriction, RestrictionReason, RestrictionScope
from intents.flow_engine import Localized

ASK_FOR_A_PERSON = Localized(
    "如需人工协助，请回复“转人工”。", 'To talk to a person, reply "Talk to a person".'
)
"""Said once in an answer whose next step is a person's (the reply the dialogue reads as
a request for one)."""

_SCOPES: Mapping[RestrictionScope, Localized] = {
    "trading": Localized("交易", "trading"),
    "buying": Localized("买入", "buying"),
    "withdrawals": Localized("资金转出", "withdrawals to your bank"),
    "whole_account": Localized("账户全部业务", "everything on the account"),
}

_UPDATE_DETAILS = Localized(
    "请在【我的】→【个人资料】→【证件更新】上传新证件并完成人脸识别，审核通过后限制解除"
    "（一般1-2个交易日）；也可以携带新证件到营业部办理。",
    "Please upload the new one under Me → Personal details → Update ID and complete the face "
    "check; the restriction is lifted once it is approved (usually within 1-2 trading days). "
    "You can also bring it to a branch.",
)


@dataclass(frozen=True)
class _Reason:
    """What a reason is called, what the investor can do about it, and whether a person must."""

    name: Localized
    next_step: Localized
    needs_person: bool = False


_REASONS: Mapping[RestrictionReason, _Reason] = {
    "id_expired": _Reason(
        Localized("登记的身份证件已过期", "the ID document on file expired"), _UPDATE_DETAILS
    ),
    "information_incomplete": _Reason(
        Localized(
            "账户资料（如职业、联系地址、税收居民身份）不完整",
            "your account details (occupation, address, tax residency) are incomplete",
        ),
        Localized(
            "请在【我的】→【个人资料】补全资料，审核通过后限制解除（一般1-2个交易日）。",
            "Please complete them under Me → Personal details; the restriction is lifted once "
            "they are approved (usually within 1-2 trading days).",
        ),
    ),
    "risk_assessment_expired": _Reason(
        Localized("风险承受能力测评已过期", "your risk tolerance assessment expired"),
        Localized(
            f"请在{WHERE_IN_APP['risk'].zh}重新测评，完成后与风险等级相关的业务可恢复办理。",
            f"Please take it again under {WHERE_IN_APP['risk'].en}; services that depend on "
            "your risk level resume once it is done.",
        ),
    ),
    "dormant": _Reason(
        Localized(
            "账户长期未使用，被列为休眠账户", "the account was made dormant after long disuse"
        ),
        Localized(
            "激活需要本人携带有效身份证件到营业部办理，激活后即可正常使用。",
            "To reactivate it, bring your valid ID to a branch in person; it works normally "
            "once reactivated.",
        ),
    ),
    "unqualified": _Reason(
        Localized(
            "账户被列为不合格账户（如身份信息缺失或与证件不一致）",
            "the account is marked unqualified (identity details missing or not matching the ID)",
        ),
        Localized(
            "需要本人携带有效身份证原件到营业部核对资料后规范；接手的同事会告诉您需要补哪些资料。",
            "It is put right after staff check your original ID at a branch; a colleague will "
            "tell you which documents to bring.",
        ),
        needs_person=True,
    ),
    "judicial_freeze": _Reason(
        Localized(
            "司法冻结（由法院、公安、检察院等有权机关依法要求执行）",
            "a judicial freeze, ordered by a court, the police or a procuratorate",
        ),
        Localized(
            "本公司只能按要求执行冻结，无权解冻；解冻须由作出冻结的机关出具解除冻结的文书。"
            "人工客服核实您的身份后，会告诉您是哪个机关冻结的，之后请直接联系该机关。"
            "请不要相信声称可以“花钱解冻”的人或电话。",
            "We carry out the freeze as ordered and cannot lift it: only the authority that "
            "ordered it can, by a release order. After verifying your identity, a colleague "
            "will tell you which authority that is, so you can contact it directly. Do not "
            "trust anyone who offers to lift a freeze for a fee.",
        ),
        needs_person=True,
    ),
    "aml_review": _Reason(
        Localized("反洗钱审查", "an anti-money-laundering review"),
        Localized(
            "审查内容依法需要保密，无法在聊天中说明；合规部门工作人员会通过官方渠道联系您，"
            "请按要求如实提供材料。",
            "What the review covers is confidential by law and cannot be discussed in chat; "
            "compliance staff will contact you through official channels for the documents "
            "they need.",
        ),
        needs_person=True,
    ),
    "investor_requested": _Reason(
        Localized(
            "您本人申请的保护性冻结（如手机丢失后申请）", "a protective freeze you asked for"
        ),
        Localized(
            "解冻前须核实是您本人，可以视频核验或本人携带身份证到营业部办理，聊天中无法直接解冻。",
            "Lifting it needs your identity verified, by video or in person at a branch with "
            "your ID; it cannot be lifted in chat.",
        ),
        needs_person=True,
    ),
}

_NO_REASON_STEP = Localized(
    "系统没有给出具体原因，我会请同事核实；人工客服核实您的身份后会说明原因和处理方式。",
    "The system gives no reason: a colleague will check, and after verifying your identity "
    "will explain the reason and what can be done.",
)


def _restriction_line(restriction: Restriction, context: Context) -> tuple[str, bool]:
    """The line for one restriction, and whether its next step is a person's."""
    scope = _SCOPES[restriction.scope].text(context.language)
    since = (
        context.say(
            f"（自{context.full_date(restriction.since)}起）",
            f" (since {context.full_date(restriction.since)})",
        )
        if restriction.since
        else ""
    )
    head = context.say(
        f"· {scope}受限{since}", f"· {scope[0].upper()}{scope[1:]} restricted{since}"
    )
    known = _REASONS.get(restriction.reason) if restriction.reason else None
    if known is not None:
        why = known.name.text(context.language)
        step = known.next_step.text(context.language)
        return context.say(
            f"{head}，原因：{why}。{step}", f"{head}: {why}. {step}"
        ), known.needs_person
    if restriction.reason_detail:
        detail = restriction.reason_detail
        step = context.say(
            "具体处理方式需要同事核实。", "A colleague needs to check what can be done."
        )
        return context.say(
            f"{head}，系统记录的原因：{detail}。{step}",
            f"{head}; the reason on record: {detail}. {step}",
        ), True
    return context.say(f"{head}。", f"{head}. ") + _NO_REASON_STEP.text(context.language), True


async def answer_account_status(
    query: AccountQuery, investor_id: str, accounts: AccountSystem, context: Context
) -> Draft | None:
    standing = await accounts.standing(investor_id)
    if standing is None:
        return None
    written = Draft(facts=[f"account_status:{standing.status}"])
    if standing.status == "normal":
        written.lines.append(
            context.say(
                "您的账户目前状态正常，没有冻结或限制。如果某项业务仍办理不了，请把App上的提示内容告诉我。",
                "Your account is in normal standing, with no freeze or restriction. If something "
                "still does not work, tell me what the app says.",
            )
        )
        return written
    written.lines.append(
        context.say("您的账户目前处于冻结状态：", "Your account is frozen:")
        if standing.status == "frozen"
        else context.say("您的账户目前部分业务受限：", "Your account is restricted:")
    )
    for restriction in standing.restrictions:
        line, needs_person = _restriction_line(restriction, context)
        written.lines.append(line)
        written.facts.append(
            f"restriction:{restriction.scope}:{restriction.reason or 'unspecified'}"
        )
        if needs_person:
            written.offer_person = True
            written.notes.append(ASK_FOR_A_PERSON.text(context.language))
    return written
