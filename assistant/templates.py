"""Policy templates: the only sentences the assistant says that are not from the knowledge base
or a flow. Kept together so compliance can review them in one place."""

from __future__ import annotations

from assistant.conversation import Language

_TEMPLATES: dict[str, dict[Language, str]] = {
    "greeting": {
        "zh": "您好！我是智能客服，可以帮您解答开户、转账、交易规则、费用、权限开通、"
        "新股申购等问题。",
        "en": "Hello! I can help with account opening, transfers, trading rules, fees, "
        "trading permissions, IPO subscription and more.",
    },
    "thanks": {
        "zh": "不客气，很高兴能帮到您！还有其他问题随时问我。",
        "en": "You're welcome! Ask me anytime.",
    },
    "goodbye": {
        "zh": "感谢您的咨询，再见！",
        "en": "Thanks for chatting. Goodbye!",
    },
    "out_of_scope": {
        "zh": "抱歉，这个问题超出了我能解答的范围。"
        "我可以帮您解答开户、转账、交易规则、费用、"
        "权限开通、新股申购、分红税费等证券业务问题。",
        "en": "Sorry, that's outside what I can help with. I can answer questions about "
        "accounts, transfers, trading rules, fees, permissions, IPO subscription and dividends.",
    },
    "no_advice": {
        "zh": "抱歉，我不能推荐具体证券、预测涨跌或承诺收益。"
        "投资决策请结合自身风险承受能力审慎作出，如需专业意见可咨询具备投资顾问资格的人员。",
        "en": "Sorry, I can't recommend specific securities, predict prices or promise returns. "
        "Please decide according to your own risk tolerance, or consult a licensed adviser.",
    },
    "fraud_warning": {
        "zh": "⚠️ 防诈骗提醒：本公司不会通过私人群组荐股或“带单”，不会要求您向个人账户转账，"
        "也不会索要密码或验证码。请立即停止转账，保留聊天和转账记录；如已受骗请拨打110报警。"
        "我已为您转接人工客服协助处理。",
        "en": "⚠️ Anti-fraud warning: we never recommend stocks in private groups, never ask you "
        "to transfer money to a personal account, and never ask for passwords or verification "
        "codes. Stop any transfer and keep the records; if you've lost money, call the police "
        "(110). I'm connecting you with our staff.",
    },
    "handoff": {
        "zh": "好的，正在为您转接人工客服，请稍候。客服接入前您可以继续补充问题。",
        "en": "Sure, I'm connecting you with our support staff. Feel free to add details "
        "while you wait.",
    },
    "handoff_angry": {
        "zh": "非常抱歉给您带来不好的体验，我马上为您转接人工客服优先处理。",
        "en": "I'm very sorry about this experience. I'm connecting you with our staff right away.",
    },
    "handoff_low_confidence": {
        "zh": "抱歉，我没能理解清楚您的问题，已为您转接人工客服。",
        "en": "Sorry I couldn't help with that. I'm connecting you with our support staff.",
    },
    "escalated_waiting": {
        "zh": "您的对话已转人工，客服会尽快接入，请稍候。",
        "en": "Your conversation is with our staff now; someone will be with you shortly.",
    },
}


def template(name: str, language: Language) -> str:
    return _TEMPLATES[name][language]


def template_names() -> list[str]:
    return sorted(_TEMPLATES)
