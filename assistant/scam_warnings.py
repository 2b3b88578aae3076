"""What to tell an investor who describes a scam: advice for *that* scam, not a generic alarm.

A phishing text needs "don't click the link"; a call about a "safe account" needs "we never
ask you to move money"; someone who has already paid needs the police and their bank.
:func:`scam_warning` puts together the lines for the signals found in the message
(:class:`assistant.incoming_signals.FraudSignal`), most urgent first, and adds the police
only when the investor says money or secrets are already gone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.context import Topic
from assistant.dialogue_models import (
    Action,
    BotReply,
    ConversationState,
    EscalationReason,
    IntentRef,
    Language,
)
from assistant.escalation import EscalationPolicy
from assistant.incoming_signals import FraudSignal
from assistant.templates import PERSON_OPTION
from intents.rules import FRAUD_REPORT

_HEADING = {"zh": "⚠️ 防诈骗提醒：", "en": "⚠️ Anti-fraud warning: "}

_ADVICE: dict[FraudSignal, dict[Language, str]] = {
    FraudSignal.SAFE_ACCOUNT_TRANSFER: {
        "zh": "本公司和公安机关都不会要求您把钱转到所谓“安全账户”“监管账户”，这是典型的诈骗话术。"
        "请立即挂断，不要转账。",
        "en": "Neither we nor the police will ever ask you to move money to a “safe account”; "
        "that is a classic scam. Hang up and do not transfer anything.",
    },
    FraudSignal.PERSONAL_ACCOUNT_TRANSFER: {
        "zh": "证券交易的资金只会在您本人银行卡和本人证券账户之间通过银证转账进出，"
        "任何要求您向个人或陌生账户转账“买股票”的都是诈骗。",
        "en": "Money for trading only ever moves between your own bank card and your own "
        "brokerage account; anyone asking you to pay into a personal or unknown account "
        "to “buy shares” is a scammer.",
    },
    FraudSignal.VERIFICATION_CODE_SHARED: {
        "zh": "验证码和密码相当于账户的钥匙，本公司任何人员都不会索要。"
        "如果已经告诉了别人，请立即在App【我的】-【安全中心】修改登录和交易密码。",
        "en": "Verification codes and passwords are the keys to your account; none of our "
        "staff will ever ask for them. If you have shared one, change your login and trading "
        "passwords in the app (Me > Security Centre) right away.",
    },
    FraudSignal.REMOTE_CONTROL: {
        "zh": "请立即结束屏幕共享或远程控制，卸载对方让您安装的软件，并修改密码。"
        "本公司不会要求您共享屏幕。",
        "en": "End the screen sharing or remote control now, uninstall the app they had you "
        "install, and change your passwords. We never ask you to share your screen.",
    },
    FraudSignal.PHISHING_LINK: {
        "zh": "不要点击短信或消息里的链接，也不要在打开的页面里输入账号、密码或验证码；"
        "本公司不会通过短信链接让您“验证账户”或“升级账户”。有疑问请直接打开官方App或拨打官方客服电话核实。",
        "en": "Do not tap the link in that text or message, and do not enter your account, "
        "password or code on the page it opens; we never ask you to “verify” or "
        "“upgrade” your account through a link. Open our official app or call our official "
        "hotline to check.",
    },
    FraudSignal.IMPERSONATION: {
        "zh": "对方自称本公司或监管、公检法人员时，请挂断后通过官方客服电话或官方App自行核实；"
        "本公司员工不会要求您转账或提供密码。",
        "en": "When someone claims to be from us, a regulator or the police, hang up and check "
        "through our official hotline or app yourself; our staff never ask you to transfer "
        "money or give a password.",
    },
    FraudSignal.FAKE_PLATFORM: {
        "zh": "请只从手机应用商店或本公司官网下载App。"
        "要求先交“手续费”“保证金”才能提现的平台是诈骗平台，不要再往里充钱。",
        "en": "Only install our app from the official app store or our website. A platform that "
        "wants a “fee” or “deposit” before you can withdraw is a scam; do not pay in anything "
        "more.",
    },
    FraudSignal.ADVANCE_FEE: {
        "zh": "任何“先交费才能解冻、提现或中签”的要求都是诈骗，不要付款。",
        "en": "Any demand to pay first to unfreeze, withdraw or win an allocation is a scam; "
        "do not pay.",
    },
    FraudSignal.TEACHER_GROUP: {
        "zh": "正规证券公司不会通过微信群、QQ群或直播间的“老师”荐股带单。"
        "请退出群聊，不要下载对方推荐的App，也不要向对方转账。",
        "en": "Licensed brokers never recommend stocks through “teachers” in chat groups or "
        "live streams. Leave the group, do not install any app they suggest, and send them "
        "no money.",
    },
    FraudSignal.STOCK_TIP_GROUP: {
        "zh": "没有人能保证一只股票一定会涨。荐股群里“晒收益”的截图多为伪造，先推几只“准的”"
        "让人尝到甜头、再诱导满仓或转账，是常见的诈骗套路，请退群并提高警惕。",
        "en": "Nobody can promise that a stock will rise. Profit screenshots in stock-tip "
        "groups are usually fake, and a few “right” tips are the usual bait before the "
        "push to go all in or send money; leave the group.",
    },
    FraudSignal.SIGNAL_CALLING: {
        "zh": "“带单”“喊单”是荐股诈骗的常见形式，跟单操作可能让您亏损并被诱导充值。",
        "en": "“Copy my trades” schemes are a common scam and often end with demands to top "
        "up money.",
    },
    FraudSignal.GUARANTEED_PROFIT_GROUP: {
        "zh": "任何承诺“保本”“稳赚”“百分百中签”的投资都是违规宣传，大多是诈骗。",
        "en": "Any investment promising guaranteed profits or a sure IPO win is illegal "
        "advertising and usually a scam.",
    },
    FraudSignal.INSIDER_INFO: {
        "zh": "所谓“内幕消息”不可信，利用内幕信息交易本身也违法；以此为名收费的多为诈骗。",
        "en": "So-called inside information cannot be trusted, and trading on it is illegal; "
        "people selling it are usually scammers.",
    },
    FraudSignal.PRE_IPO_SHARES: {
        "zh": "向个人推销的“原始股”“内部股”基本都是骗局，未上市公司股权不能这样公开转让。",
        "en": "“Pre-IPO shares” sold to individuals are almost always a scam; unlisted shares "
        "cannot legally be sold that way.",
    },
}

_ALREADY_LOST = re.compile(
    r"已经(?:转|打|汇|付|交|给|报|发|告诉|说)|转了|打了钱|付了钱|交了钱|被骗了|被骗去|受骗了|上当了|骗走|骗了\d|损失了|钱没了|"
    r"(?:取|提)不出|提现不了|"
    r"告诉了?(?:他|她|对方)|给了?(?:他|她|对方)验证码|已经点(?:了|过|开|进去)|"
    r"(?:输|填|输入|填写)(?:了|过|进去了)[^，,。]{0,6}(?:密码|验证码|yzm|身份证|银行卡|卡号)|"
    r"\b(?:already\s+)?(?:clicked|tapped)\s+(?:it|on it|the link)\b|"
    r"\b(?:entered|typed|put in|filled in)\s+(?:my\s+)?(?:password|pin|code|card|id)\b|"
    r"\b(?:already|i've|i have|i)\s+(?:sent|paid|transferred|wired|gave|shared|told)\b|"
    r"\b(?:lost|scammed|defrauded)\b|\bwithdrawals?\s+(?:are|is|were|was|got)\s+(?:frozen|"
    r"blocked|stuck)\b|\bcan'?t\s+withdraw\b",
    re.IGNORECASE,
)

# Warned, the investor doubts it ("可他知道我名字和身份证后四位 不会是真的吧", "he knew my name").
_DOUBTS = re.compile(
    r"(?:不会|难道|会不会|该不会|莫非)(?:真)?是真的|是真的吧|真的是骗|(?:他|她|对方)(?:们)?(?:知道|能说出|说得出|"
    r"报出|有)我的?[^，,。？?]{0,10}(?:名字|姓名|身份证|手机|电话|账户|账号|持仓|地址|信息)|"
    r"\b(?:he|she|they|the caller)\s+(?:knew|know|knows|had|has)\s+my\b|"
    r"\b(?:is|was)\s+(?:it|he|she|this)\s+(?:really|actually)\s+(?:a\s+)?(?:scam|fake)\b|"
    r"\bseemed\s+(?:so\s+)?(?:real|legit)\b",
    re.IGNORECASE,
)
_KNOWS_YOUR_DATA = {
    "zh": "对方能说出您的姓名、身份证号或账户信息，并不能证明他是本公司的人：这些信息可能已经泄露，"
    "骗子常用它来取得信任。",
    "en": "A caller who knows your name, ID digits or account details is not proven to be us: such "
    "details leak, and scammers use them to win trust.",
}
_POLICE = {
    "zh": "如果已经转账或泄露了信息，请立即拨打110报警（也可拨打96110反诈专线），"
    "联系转出银行尝试止付，并保留聊天记录、转账凭证和对方账号等证据；"
    "我已为您转接人工客服，可以协助冻结账户、修改密码。",
    "en": "If you have already paid or shared details, call the police (110) now and ask your "
    "bank to stop the payment, and keep the chats, transfer receipts and the other side's "
    "account details as evidence; I'm connecting you with our staff, who can help freeze your "
    "account and change passwords.",
}
_PERSON = {
    "zh": "我已为您转接人工客服，可以帮您进一步核实。",
    "en": "I'm connecting you with our staff, who can help you check further.",
}
_PERSON_OFFERED = {
    "zh": "如需同事帮您进一步核实，可以点“转人工”。",
    "en": "If you'd like a colleague to check it with you, tap “Talk to a person”.",
}
# Scams an investor only asks about ("群里老师荐股 靠谱吗"): the warning answers them. The others
# are being worked on them now (a transfer, a code, a screen, a fee asked for), and a person
# takes those at once, as any scam where money or secrets are already gone.
_ASKED_ABOUT = frozenset(
    {
        FraudSignal.TEACHER_GROUP,
        FraudSignal.STOCK_TIP_GROUP,
        FraudSignal.SIGNAL_CALLING,
        FraudSignal.INSIDER_INFO,
        FraudSignal.GUARANTEED_PROFIT_GROUP,
        FraudSignal.PRE_IPO_SHARES,
    }
)
_GENERIC = {
    "zh": "本公司不会通过私人群组荐股，不会要求您向个人账户转账，也不会索要密码或验证码。",
    "en": "We never recommend stocks in private groups, never ask you to pay into a personal "
    "account, and never ask for passwords or verification codes.",
}


@dataclass(frozen=True)
class ScamWarning:
    text: str
    money_or_secrets_lost: bool
    needs_person: bool = True


FRAUD_FLAG = "fraud_suspected"
SCAM_TOPIC = FRAUD_REPORT  # the intent whose topic a described scam becomes


def scam_reply(
    state: ConversationState,
    text: str,
    language: Language,
    intent: IntentRef,
    signals: list[str],
    escalation: EscalationPolicy,
) -> BotReply:
    """The reply to an investor describing a scam: the warning for it, and a person when the
    scam is under way or has cost them (a scam only asked about gets the warning and a person
    offered); the conversation is flagged as suspected fraud either way."""
    state.flags.add(FRAUD_FLAG)
    # The scam is what the conversation is about now: an investor who argues with the
    # warning ("但是他前几次推的都涨了啊") is warned again, not told it is off topic.
    state.topic = Topic(question=text, intent=SCAM_TOPIC, scam=True)
    warning = scam_warning(signals, text, language)
    if warning.needs_person:
        decision = escalation.decide(state, EscalationReason.FRAUD, intent=intent.name)
        return BotReply(
            text=warning.text,
            language=language,
            action=Action.ESCALATE,
            intent=intent,
            escalation=decision,
            flags=["fraud_warning", *signals],
        )
    return BotReply(
        text=warning.text,
        language=language,
        action=Action.ANSWER,
        intent=intent,
        quick_replies=[PERSON_OPTION[language]],
        flags=["fraud_warning", *signals],
    )


def as_warning(reply: BotReply, signals: list[str]) -> BotReply:
    """The firm's own answer to a scam asked about, headed as a warning, a person offered."""
    reply.text = _HEADING[reply.language] + reply.text
    reply.flags = ["fraud_warning", *signals, *reply.flags]
    reply.quick_replies = [PERSON_OPTION[reply.language]]
    return reply


def plain_reminder(language: Language) -> str:
    """What we never do, with a person offered, and no alarm: for a message that names a scam
    but describes none ("你们会不会把我的信息卖给骗子")."""
    separator = "" if language == "zh" else " "
    return separator.join((_GENERIC[language], _PERSON_OFFERED[language]))


def scam_warned_about(state: ConversationState) -> str | None:
    """The scam the conversation is about (one the investor described and was warned about),
    or ``None``; a question merely classified as about fraud is not one."""
    return state.topic.question if state.topic is not None and state.topic.scam else None


def money_or_secrets_lost(text: str) -> bool:
    """Whether the investor says the scam has already cost them money, a code or a password."""
    return _ALREADY_LOST.search(text) is not None


def back_about_the_scam(text: str) -> bool:
    """Whether a message after a scam warning goes on about that scam: money or a secret lost
    to it since, or the warning doubted because the caller knew the investor's details."""
    return money_or_secrets_lost(text) or _DOUBTS.search(text) is not None


def scam_warning(signals: Sequence[str], text: str, language: Language) -> ScamWarning:
    """The warning for the scam ``text`` describes; ``signals`` are its FraudSignal ids."""
    known = [FraudSignal(s) for s in signals if s in FraudSignal.__members__.values()]
    lines = [_ADVICE[s][language] for s in _ADVICE if s in known][:3] or [_GENERIC[language]]
    lost = money_or_secrets_lost(text)
    if _DOUBTS.search(text) and not lost:
        lines.insert(0, _KNOWS_YOUR_DATA[language])
    needs_person = lost or not known or not set(known) <= _ASKED_ABOUT
    lines.append((_POLICE if lost else _PERSON if needs_person else _PERSON_OFFERED)[language])
    separator = "" if language == "zh" else " "
    return ScamWarning(_HEADING[language] + separator.join(lines), lost, needs_person)
