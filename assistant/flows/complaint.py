"""The ``complaint`` flow: category, description and contact preference, then a
ticket through the turn's :class:`~assistant.flows.context.TicketSink` and a hand-over to a
person."""

from __future__ import annotations

import re
from collections.abc import Mapping

from assistant.errors import AssistantError
from assistant.flows.context import context_of
from assistant.flows.guards import secret_guard
from assistant.flows.wording import choices_from
from intents.flow_engine import (
    FlowAnswers,
    FlowDefinition,
    FlowOutcome,
    Handoff,
    Localized,
    Slot,
    keyword_choice,
)
from intents.handover import EscalationReason
from text.language import count_cjk

COMPLAINT_PRIORITY = 80


class TicketStoreUnavailableError(AssistantError):
    """Raised by a :class:`TicketSink` that cannot take a ticket right now."""

    code = "ticket_store_unavailable"
    internal = True


read_complaint_category = keyword_choice(
    {
        "service": "服务|服務|客服|热线|礼品|活动|奖励|返现|福利|营销短信|营销|短信"
        "|service|customer service|hotline|gift|promotion|marketing",
        "trading_system": "交易系统|系统|系統|app|软件|闪退|卡顿|崩溃|宕机|下单失败"
        "|trading system|system|crash|outage|bug",
        "fees": "费用|費用|收费|佣金|手续费|扣费|fee|fees|commission",
        "staff_conduct": "人员|员工|经理|工作人员|态度|销售|柜员|业务员"
        "|staff|employee|conduct|rude|adviser|advisor",
        "other": "其他|其它|other",
    }
)

read_contact = keyword_choice(
    {
        # "我叫王建国 手机尾号3321 你们记下来": a number to call is a call.
        "phone": "电话|電話|来电|打给我|手机|手機|尾号|号码|phone|call|telephone|mobile",
        "app_message": "app|站内信|app消息|消息|留言|message|in-app",
        "email": "邮件|邮箱|电子邮件|郵件|email|e-mail|mail",
    }
)

MIN_DESCRIPTION = 5
MAX_DESCRIPTION = 2000


def read_description(text: str) -> str | None:
    """Free text of at least five characters, kept to a ticket-friendly length."""
    cleaned = text.strip()
    return cleaned[:MAX_DESCRIPTION] if len(cleaned) >= MIN_DESCRIPTION else None


# "我要投诉" names no grievance; "客户经理天天打电话推销" does, and need not be asked for again.
_BARE_COMPLAINT_ZH = re.compile(r"我?要?(?:投诉|投訴|举报|舉報)|你们|你們|服务|服務|太差|差评")
_WORD = re.compile(r"[a-z]+", re.IGNORECASE)
_BARE_WORDS = frozenset(
    [
        "i",
        "want",
        "to",
        "would",
        "like",
        "make",
        "file",
        "a",
        "an",
        "the",
        "complain",
        "complaint",
        "complaining",
        "about",
        "your",
        "you",
        "service",
        "bad",
        "terrible",
    ]
)
DESCRIBED_HAN = 8  # Chinese characters left once the bare complaint words are gone
DESCRIBED_WORDS = 6  # or English words


def detect_description(text: str) -> str | None:
    """The opening message as the description, when it already says what went wrong."""
    han = count_cjk(_BARE_COMPLAINT_ZH.sub("", text))
    words = [w for w in _WORD.findall(text) if w.lower() not in _BARE_WORDS]
    if han < DESCRIBED_HAN and len(words) < DESCRIBED_WORDS:
        return None
    return read_description(text)


def detect_category(text: str) -> str | None:
    """The category the opening message names; "other" when it says what went wrong in words
    that name none ("说好的开户送礼品 到现在都没收到" is not asked what it is about)."""
    named = read_complaint_category(text)
    if named is None and detect_description(text) is not None:
        return "other"
    return named if isinstance(named, str) else None


_CATEGORIES: Mapping[str, Localized] = {
    "service": Localized("服务", "service"),
    "trading_system": Localized("交易系统", "trading system"),
    "fees": Localized("费用", "fees"),
    "staff_conduct": Localized("人员行为", "staff conduct"),
    "other": Localized("其他", "other"),
}
_CONTACTS: Mapping[str, Localized] = {
    "phone": Localized("电话", "phone"),
    "app_message": Localized("App消息", "app message"),
    "email": Localized("邮件", "email"),
}


def complaint_flow() -> FlowDefinition:
    """Takes a complaint, files a ticket through the step's context (its ``tickets``) and
    hands over to a person.

    Without a ticket store (no context, or one without ``tickets``) or with one that is
    down, the complaint still reaches a person, whose summary says to file it by hand.
    """

    async def complete(answers: FlowAnswers) -> FlowOutcome:
        tickets = context_of(answers.context).tickets
        category = str(answers.slots["category"])
        description = str(answers.slots["description"])
        contact = str(answers.slots["contact"])
        how = _CONTACTS[contact].text(answers.language)
        ticket: str | None = None
        if tickets is not None:
            try:
                ticket = await tickets.open_ticket(
                    category, description, contact, COMPLAINT_PRIORITY
                )
            except TicketStoreUnavailableError:
                ticket = None  # handled below: a complaint must never be lost
        if ticket is None:
            message = Localized(
                "您的投诉内容已记录，工单系统暂时繁忙，我现在为您转接人工客服，由同事为您登记。",
                "I've noted your complaint. Our ticket system is busy, so I'm passing you to a "
                "colleague who will log it for you.",
            )
            summary = f"TICKET NOT FILED (no ticket store), please file it by hand. [{category}]"
        else:
            message = Localized(
                f"已为您登记投诉，工单号：{ticket}。专人会通过{how}与您联系，我现在也为您转接人工客服。",
                f"Your complaint is logged as ticket {ticket}. Someone will contact you by {how}; "
                "I'm also connecting you to a colleague now.",
            )
            summary = f"Complaint ticket {ticket} [{category}]"
        return FlowOutcome(
            message=message.text(answers.language),
            handoff=Handoff(
                reason=EscalationReason.COMPLAINT,
                priority=COMPLAINT_PRIORITY,
                summary=f"{summary}, contact by {contact}: {description[:300]}",
            ),
        )

    return FlowDefinition(
        name="complaint",
        title=Localized("投诉登记", "complaint"),
        intro=Localized(
            "非常抱歉给您带来不好的体验。我来为您登记投诉，登记后会有专人跟进处理；"
            "如需马上和人工沟通，也可以随时点“转人工”。",
            "I'm very sorry about this. I'll log your complaint so that someone follows it "
            "up; if you'd like a person right away, tap “Talk to a person” at any time.",
        ),
        guard=secret_guard,
        on_complete=complete,
        slots=(
            Slot(
                name="category",
                prompt=Localized("请问您要投诉的是哪方面？", "What is the complaint about?"),
                reprompt=Localized(
                    "请从下面选择投诉类别。", "Please choose one of the categories below."
                ),
                extract=read_complaint_category,
                detect=detect_category,
                choices=choices_from(_CATEGORIES),
            ),
            Slot(
                name="description",
                prompt=Localized(
                    "请简单描述一下经过：什么时间、发生了什么、希望我们怎么处理（请不要包含密码或证件号码）。",
                    "Please describe what happened: when, what, and what you'd like us to do "
                    "(no passwords or ID numbers, please).",
                ),
                reprompt=Localized(
                    "能再多说几句吗？至少写几个字描述发生了什么。",
                    "Could you say a bit more about what happened?",
                ),
                extract=read_description,
                detect=detect_description,
            ),
            Slot(
                name="contact",
                prompt=Localized(
                    "处理结果希望我们通过哪种方式联系您？", "How should we contact you about it?"
                ),
                reprompt=Localized(
                    "请选择：电话、App消息或邮件。", "Please choose: phone, app message or email."
                ),
                extract=read_contact,
                choices=choices_from(_CONTACTS),
            ),
        ),
    )
