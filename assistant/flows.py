"""The brokerage's four multi-turn flows, built on the declarative engine in ``intents.flows``.

* ``account_opening``: what an investor needs before opening an account,
  what is missing, a suitability hint, and a watch-list screening of the name;
* ``permission_eligibility``: whether the investor's account meets the
  threshold for ChiNext, STAR, BSE, margin, Stock Connect or convertible
  bonds, and exactly what is missing. It only explains: nothing is ever
  opened from here;
* ``complaint``: category, description and contact preference, then a ticket
  and a hand-over to a person;
* ``password_reset``: the secure reset path; it never asks for, and refuses
  to take, a password, verification code or full ID number.

Async completion: the eligibility check and the complaint ticket need I/O
(``AccountSystem``, ``TicketSink``), so their ``on_complete`` is a coroutine
function and :meth:`intents.flows.FlowEngine.step` awaits it. The other two
complete synchronously through the same engine.

Hand-overs come back from the engine as an ``intents.flows.Handoff`` (intents
cannot import the assistant's types); :func:`escalation_for` turns one into
the conversation's :class:`EscalationDecision`. :class:`BrokerageFlows` wraps
engine and definitions for the dialogue policy (its ``FlowRunner``).

Risk levels come from the one suitability table, :mod:`assistant.suitability`;
:data:`PERMISSION_RULES` adds what a permission needs beyond a risk level
(assets, trading experience).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, Protocol

from assistant.accounts import RISK_LEVELS, AccountSystem, InvestorProfile, RiskLevel
from assistant.conversation import (
    ConversationState,
    EscalationDecision,
    EscalationReason,
    FlowState,
    Language,
)
from assistant.dialogue import FlowTurn
from assistant.suitability import PRODUCT_RISK
from assistant.watchlist import WatchList
from intents.flows import (
    FlowAnswers,
    FlowDefinition,
    FlowEngine,
    FlowOutcome,
    FlowStep,
    Handoff,
    Localized,
    Slot,
    SlotValue,
    keyword_choice,
    normalise,
    yes_no,
)

Board = Literal["chinext", "star", "bse", "margin", "stock_connect", "convertible_bond"]
Product = Literal[
    "a_share", "fund", "chinext", "star", "bse", "margin", "stock_connect", "convertible_bond"
]

COMPLAINT_PRIORITY = 80
SCREENING_PRIORITY = 90
ADULT_AGE = 18
MIN_ACCOUNT_AGE = 16
SENIOR_AGE = 70

LABELS: Mapping[str, Localized] = {
    "a_share": Localized("沪深A股", "A-shares"),
    "fund": Localized("基金", "funds"),
    "chinext": Localized("创业板", "ChiNext"),
    "star": Localized("科创板", "the STAR Market"),
    "bse": Localized("北交所", "the Beijing Stock Exchange (BSE)"),
    "margin": Localized("融资融券（两融）", "margin trading and securities lending"),
    "stock_connect": Localized("港股通", "Southbound Stock Connect"),
    "convertible_bond": Localized("可转债", "convertible bonds"),
}

_SUITABILITY_PRODUCT: Mapping[str, str] = {"star": "star_market"}
"""The flows' product names that ``assistant.suitability`` spells differently."""


def required_risk_level(product: str) -> RiskLevel | None:
    """The lowest questionnaire level for a product, from the one suitability table
    (:data:`assistant.suitability.PRODUCT_RISK`); None for a product it does not rate."""
    risk = PRODUCT_RISK.get(_SUITABILITY_PRODUCT.get(product, product))
    if risk is None:
        return None
    return RISK_LEVELS[risk.level - 1]


@dataclass(frozen=True)
class PermissionRule:
    """What an account must show before a board permission can be applied for."""

    board: Board
    min_assets: Decimal  # CNY, average daily assets over the last 20 trading days
    min_months: int  # months of securities trading experience
    note: Localized | None = None

    @property
    def min_risk(self) -> RiskLevel:
        level = required_risk_level(self.board)
        if level is None:  # a permission rule for a product suitability does not rate
            raise KeyError(f"assistant.suitability has no rating for {self.board!r}")
        return level

    @property
    def label(self) -> Localized:
        return LABELS[self.board]


PERMISSION_RULES: Mapping[str, PermissionRule] = {
    "chinext": PermissionRule("chinext", Decimal(100_000), 24),
    "star": PermissionRule("star", Decimal(500_000), 24),
    "bse": PermissionRule("bse", Decimal(500_000), 24),
    "margin": PermissionRule(
        "margin",
        Decimal(500_000),
        6,
        Localized(
            "融资融券需要单独开立信用账户，通常还需与工作人员完成视频或现场见证。",
            "Margin needs a separate credit account, usually with a video or in-person "
            "verification by our staff.",
        ),
    ),
    "stock_connect": PermissionRule("stock_connect", Decimal(500_000), 0),
    "convertible_bond": PermissionRule("convertible_bond", Decimal(100_000), 24),
}

_BOARD_KEYWORDS: Mapping[str, str] = {
    "chinext": "创业板|創業板|300开头|301开头"
    "|cyb|chinext|growth enterprise|growth board|gem|300xxx",
    "star": "科创板|科創板|科创|688开头"
    "|kcb|star|star market|sci-tech|kechuang|kechuangban|688xxx|starting with 688",
    "bse": "北交所|北京证券交易所|北京證券交易所|北证|920开头"
    "|bse|bjs|beijing stock exchange|beijing exchange|beijing bourse|beijiaosuo",
    "margin": "两融|兩融|融资融券|融資融券|融资|融券|信用账户"
    "|margin|rzrq|credit account|short selling",
    "stock_connect": "港股通|沪港通|深港通|港股"
    "|stock connect|southbound|hong kong|hk connect|hk stocks|hk shares|ggt",
    "convertible_bond": "可转债|可轉債|转债|新债"
    "|convertible|convertibles|cb|kzz|kezhuanzhai|ke zhuan zhai",
}
read_board = keyword_choice(_BOARD_KEYWORDS)
"""The board named in a message ("我想开通创业板" -> chinext), or None if none or several."""

SecretKind = Literal["id_number", "password", "code"]

_DIGIT_GAPS = re.compile(r"(?<=\d)[\s-](?=\d)")
# 15-19 digits: an ID number (15 or 18, may end in X) or a bank card number.
_LONG_NUMBER = re.compile(r"(?<![0-9])\d{14,18}[\dXx](?![0-9Xx])")
# "密码123456", "password: abc123", "忘了密码，原来是123456", "my password, it was hunter2":
# the word, then (directly or after a few words and a "is") a token with a digit in it.
_PASSWORD = re.compile(
    r"(密码|密碼|口令|(?<![a-z])(?:password|passcode|passwd|pwd|pin)(?![a-z]))"
    r"(?:\s*|[^。.!?\n]{0,12}?(?:是|为|為|:|：|=|(?<![a-z])(?:is|was)(?![a-z]))\s*)"
    r"(?=[a-z!@#$%^&*._-]*\d)[a-z0-9!@#$%^&*._-]{4,}",
    re.IGNORECASE,
)
_CODE = re.compile(
    r"(验证码|驗證碼|校验码|动态码|verification code|sms code|security code|otp)\s*"
    r"(是|为|為|:|：|=|is)?\s*\d{4,8}(?!\d)",
    re.IGNORECASE,
)
_BARE_SECRET = re.compile(r"(?=[a-z!@#$%^&*._-]*\d)[a-z0-9!@#$%^&*._-]{4,20}", re.IGNORECASE)

_SECRET_WARNINGS: Mapping[SecretKind, Localized] = {
    "id_number": Localized(
        "为了您的信息安全，请不要在对话中发送完整的身份证号码或银行卡号，这里办理咨询不需要它们。",
        "For your security, please don't send full ID or bank card numbers in this chat; "
        "nothing here needs them.",
    ),
    "password": Localized(
        "请不要在对话中发送密码！我们的客服和本助手任何时候都不会索要您的密码。"
        "如果担心密码已经泄露，请尽快按安全方式重置。",
        "Please don't send passwords in this chat! Neither our staff nor this assistant will "
        "ever ask for one. If you think it has leaked, reset it the secure way as soon as you can.",
    ),
    "code": Localized(
        "请不要把短信验证码告诉任何人，包括自称客服的人员。",
        "Never share an SMS verification code with anyone, including people who say they are "
        "from customer service.",
    ),
}


def find_secret(text: str, *, bare_token_is_password: bool = False) -> SecretKind | None:
    """What kind of secret ``text`` seems to carry, if any.

    ``bare_token_is_password`` treats a message that is nothing but a short
    token with a digit ("123456", "abc123") as a password: right inside the
    password flow, wrong elsewhere (a stock code is six digits too).
    """
    joined = _DIGIT_GAPS.sub("", normalise(text))
    if _LONG_NUMBER.search(joined):
        return "id_number"
    if _CODE.search(joined):
        return "code"
    if _PASSWORD.search(joined):
        return "password"
    if bare_token_is_password and _BARE_SECRET.fullmatch(re.sub(r"\s+", "", joined)):
        return "password"
    return None


def _secret_guard(text: str, language: Language) -> str | None:
    kind = find_secret(text)
    return _SECRET_WARNINGS[kind].text(language) if kind else None


def _password_guard(text: str, language: Language) -> str | None:
    kind = find_secret(text, bare_token_is_password=True)
    return _SECRET_WARNINGS[kind].text(language) if kind else None


_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_CN_DIGITS |= {"六": 6, "七": 7, "八": 8, "九": 9}
_CN_NUMBER = r"[一二两三四五六七八九十]{1,3}"
_AGE_STATED = re.compile(
    rf"(\d{{1,3}}|{_CN_NUMBER})\s*(周岁|岁|歲)"
    r"|(?<![a-z])(\d{1,3})\s*(years?|yrs?)[\s-]*old"
    r"|(?<![a-z])(?:i'?m|i am|aged?|年龄|年齡)\s*:?\s*(\d{1,3})(?!\d)"
)


def _chinese_number(text: str) -> int | None:
    """一 to 九十九 ("十七", "七十二", "二十"): enough for an age."""
    if "十" not in text:
        return _CN_DIGITS.get(text) if len(text) == 1 else None
    tens, _, ones = text.partition("十")
    tens_value = _CN_DIGITS.get(tens, None) if tens else 1
    ones_value = _CN_DIGITS.get(ones, None) if ones else 0
    if tens_value is None or ones_value is None:
        return None
    return tens_value * 10 + ones_value


def _plausible_age(value: int | None) -> int | None:
    return value if value is not None and 1 <= value <= 120 else None


def detect_age(text: str) -> int | None:
    """An age stated as such: "我17岁", "七十二岁", "I'm 17", "17 years old"."""
    match = _AGE_STATED.search(normalise(text))
    if match is None:
        return None
    number = next(group for group in (match[1], match[3], match[5]) if group)
    return _plausible_age(int(number) if number.isdigit() else _chinese_number(number))


def read_age(text: str) -> int | None:
    """An answer to "how old are you": a stated age, or a lone number ("17", "十七")."""
    if (stated := detect_age(text)) is not None:
        return stated
    cleaned = normalise(text)
    numbers = re.findall(r"\d+", cleaned)
    if len(numbers) == 1:
        return _plausible_age(int(numbers[0]))
    if not numbers and (word := re.fullmatch(rf"\W*({_CN_NUMBER})\W*", cleaned)):
        return _plausible_age(_chinese_number(word[1]))
    return None


read_id_document = keyword_choice(
    {
        "resident_id": "二代身份证|居民身份证|身份证|身份證|resident id|id card|national id",
        "hmt_residence_permit": "港澳台居民居住证|港澳台居住证|居住证|居住證|港澳台"
        "|residence permit|hk-macao-taiwan",
        "foreign_permanent_residence": "外国人永久居留身份证|外国人永久居留证|永久居留|永居证"
        "|permanent residence|green card",
        "other": "其他证件|其他|其它|护照|通行证|回乡证|passport|other",
    }
)

_RISK_LEVEL = re.compile(r"(?<![a-z0-9])c\s*([1-5])(?![0-9])")
_RISK_TYPES_ZH = {"保守型": "C1", "谨慎型": "C2", "稳健型": "C3", "积极型": "C4", "激进型": "C5"}
_read_risk_words = keyword_choice(
    {
        "C1": "保守型|保守|conservative",
        "C2": "谨慎型|谨慎|相对保守|cautious|moderately conservative",
        "C3": "稳健型|稳健|balanced|moderate",
        "C4": "积极型|相对积极|成长型|growth|active|moderately aggressive",
        "C5": "激进型|激进|aggressive",
        "not_done": "没做|还没|未做|没有做|没测|没有|not yet|not done|haven't|have not|no",
    }
)


def detect_risk_level(text: str) -> str | None:
    """A questionnaire level stated outright: "C3", "我是稳健型"."""
    cleaned = normalise(text)
    if match := _RISK_LEVEL.search(cleaned):
        return f"C{match[1]}"
    return next((level for name, level in _RISK_TYPES_ZH.items() if name in cleaned), None)


def read_risk_questionnaire(text: str) -> str | None:
    """C1..C5, or "not_done" when the investor has not taken the questionnaire."""
    detected = detect_risk_level(text)
    return detected if detected is not None else _as_str(_read_risk_words(text))


_read_general_product = keyword_choice(
    {
        "a_share": "a股|沪深|股票|主板|a-share|a-shares|a share|a shares",
        "fund": "基金|etf|fund|funds",
        "none": "暂不|不确定|没想好|还没想好|不需要|not sure|not now|none",
    }
)


def read_product(text: str) -> str | None:
    """The product an investor wants to trade; a board wins over a generic word ("创业板股票")."""
    board = read_board(text)
    return _as_str(board) if board is not None else _as_str(_read_general_product(text))


_NAME_PREFIX = re.compile(
    r"^(我的名字是|我的名字叫|名字是|名字叫|姓名是|姓名[:：]?|我叫|我是|"
    r"my name is|my name's|name is|name[:：]|i am|i'm)\s*",
    re.IGNORECASE,
)
_CHINESE_NAME = re.compile(r"[\u3400-\u9fff]{2,6}(·[\u3400-\u9fff]{1,10})?")
_LATIN_NAME = re.compile(r"[A-Za-z][A-Za-z .'\-]{1,58}[A-Za-z.]")


def read_name(text: str) -> str | None:
    """A person's name as written on an ID: 2-6 Chinese characters, or a Latin name."""
    cleaned = _NAME_PREFIX.sub("", text.strip()).strip(" 。.,，!！")
    if _CHINESE_NAME.fullmatch(cleaned) or _LATIN_NAME.fullmatch(cleaned):
        return cleaned
    return None


read_complaint_category = keyword_choice(
    {
        "service": "服务|服務|客服|热线|service|customer service|hotline",
        "trading_system": "交易系统|系统|系統|app|软件|闪退|卡顿|崩溃|宕机|下单失败"
        "|trading system|system|crash|outage|bug",
        "fees": "费用|費用|收费|佣金|手续费|扣费|fee|fees|commission",
        "staff_conduct": "人员|员工|客户经理|工作人员|态度|销售"
        "|staff|employee|conduct|rude|adviser|advisor",
        "other": "其他|其它|other",
    }
)

read_contact = keyword_choice(
    {
        "phone": "电话|電話|来电|打给我|phone|call|telephone",
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


read_password_kind = keyword_choice(
    {
        "trading": "交易密码|交易密碼|trading password|trade password|trading",
        "fund": "资金密码|資金密碼|转账密码|fund password|funds password|fund",
        "login": "登录密码|登陆密码|通讯密码|登录|登陆|锁了|锁定|被锁|解锁|冻结"
        "|login|log in|sign in|locked|unlock",
    }
)


def _as_str(value: SlotValue | None) -> str | None:
    return value if isinstance(value, str) else None


def _money(amount: Decimal, language: Language) -> str:
    if language == "en":
        return f"CNY {amount:,.0f}"
    if amount >= 10_000:
        wan = (amount / 10_000).quantize(Decimal("0.01")).normalize()
        return f"{wan:f}万元"
    return f"{amount:,.0f}元"


_RISK_RANK: Mapping[str, int] = {level: rank for rank, level in enumerate(RISK_LEVELS)}


def _risk_at_least(level: str | None, minimum: RiskLevel) -> bool:
    return level is not None and _RISK_RANK.get(level, -1) >= _RISK_RANK[minimum]


def _bullets(lines: list[str]) -> str:
    return "\n".join(f"- {line}" for line in lines)


_APPLY = Localized(
    "申请方式：在我们App的「业务办理 → 权限开通」中选择「{label}」，按提示完成知识测评、"
    "签署风险揭示书后提交，审核结果以App通知为准。本助手只能帮您核对条件，不能代为开通。",
    "To apply: in our app go to Services → Permissions, choose {label}, complete the knowledge "
    "test and sign the risk disclosure, then submit; the result is notified in the app. I can "
    "check the requirements with you but cannot open anything for you.",
)

_ID_DOCUMENTS: Mapping[str, Localized] = {
    "resident_id": Localized("二代身份证", "resident ID card"),
    "hmt_residence_permit": Localized("港澳台居民居住证", "HK/Macao/Taiwan residence permit"),
    "foreign_permanent_residence": Localized(
        "外国人永久居留身份证", "foreign permanent residence ID"
    ),
}


def _age_comment(value: SlotValue, language: Language) -> str | None:
    if not isinstance(value, int):
        return None
    if value < MIN_ACCOUNT_AGE:
        return Localized(
            "按规定，未满16周岁不能开立证券账户。",
            "Under the rules, a securities account cannot be opened before the age of 16.",
        ).text(language)
    if value < ADULT_AGE:
        return Localized(
            "未满18周岁不能在App自助开户：年满16周岁、以自己的劳动收入为主要生活来源的，"
            "可带收入证明等材料到营业部申请；其他情况需由法定监护人陪同到营业部咨询办理，"
            "以我司和中国结算的审核为准。",
            "Under 18 you cannot open an account in the app. From 16, if your own earnings are "
            "your main means of support, you can apply at a branch with proof of income; "
            "otherwise a legal guardian must come with you to a branch. Approval follows our "
            "and CSDC's review.",
        ).text(language)
    if value >= SENIOR_AGE:
        return Localized(
            "年满70周岁的投资者开户时需要额外完成风险提示确认和回访，部分环节可能需要到营业部办理，"
            "建议家人陪同。",
            "From age 70, opening an account includes extra risk confirmations and a follow-up "
            "call, and some steps may need a branch visit; bringing a family member helps.",
        ).text(language)
    return None


def _can_open(filled: Mapping[str, SlotValue]) -> bool:
    age = filled.get("age")
    return not isinstance(age, int) or age >= MIN_ACCOUNT_AGE


def _knows_risk_level(filled: Mapping[str, SlotValue]) -> bool:
    return _can_open(filled) and filled.get("risk_questionnaire") in RISK_LEVELS


def _opening_checklist(slots: Mapping[str, SlotValue], language: Language) -> str:
    zh = language == "zh"
    missing: list[str] = []
    document = _as_str(slots.get("id_document"))
    if document is not None and document in _ID_DOCUMENTS:
        ready = "（已具备）" if zh else " (ready)"
        id_line = _ID_DOCUMENTS[document].text(language) + ready
    else:
        id_line = "还需确认" if zh else "to be confirmed"
        missing.append(
            "在线开户需使用二代身份证、港澳台居民居住证或外国人永久居留身份证；"
            "护照、通行证等其他证件请到营业部咨询"
            if zh
            else "opening online needs a resident ID card, an HK/Macao/Taiwan residence permit "
            "or a foreign permanent residence ID; for a passport or other documents, ask at "
            "a branch"
        )
    if slots.get("bank_card") is True:
        card_line = "已具备" if zh else "ready"
    else:
        card_line = "还需办理" if zh else "still needed"
        missing.append(
            "办理一张本人名下的一类银行卡（用于绑定三方存管）"
            if zh
            else "a Class I bank card in your own name (for the third-party depository link)"
        )
    level = _as_str(slots.get("risk_questionnaire"))
    if level in RISK_LEVELS:
        risk_line = f"{level}（已完成）" if zh else f"{level} (done)"
    else:
        risk_line = "开户时在App内完成" if zh else "to be done in the app while opening"
    age = slots.get("age")
    if isinstance(age, int) and age < ADULT_AGE:
        missing.append(
            "未成年人需按上面的规定到营业部办理"
            if zh
            else "as a minor, apply at a branch (see above)"
        )

    if zh:
        lines = [
            "开户准备情况：",
            f"1. 有效身份证件：{id_line}",
            f"2. 本人一类银行卡：{card_line}",
            f"3. 风险承受能力测评：{risk_line}",
            "4. 视频见证与电子签约：开户时在App内完成",
        ]
        lines.append("还需要：\n" + _bullets(missing) if missing else "您需要准备的都齐了。")
    else:
        lines = [
            "Your account-opening checklist:",
            f"1. Valid ID: {id_line}",
            f"2. Class I bank card in your name: {card_line}",
            f"3. Risk tolerance questionnaire: {risk_line}",
            "4. Video verification and e-signing: done in the app while opening",
        ]
        lines.append("Still needed:\n" + _bullets(missing) if missing else "You have everything.")

    if suitability := _suitability_line(level, _as_str(slots.get("wants_to_trade")), language):
        lines.append(suitability)
    lines.append(
        "准备好后，在我们App首页点「开户」即可办理，最终以审核结果为准。"
        if zh
        else "When you're ready, tap “Open account” on our app's home screen; approval follows "
        "our review."
    )
    return "\n".join(lines)


def _suitability_line(level: str | None, product: str | None, language: Language) -> str | None:
    minimum = required_risk_level(product) if product else None
    if level not in RISK_LEVELS or product is None or minimum is None:
        return None
    label = LABELS[product].text(language)
    if _risk_at_least(level, minimum):
        text = Localized(
            "您的测评等级{level}达到{label}要求的{minimum}及以上。",
            "Your level {level} meets the {minimum} or higher that {label} requires.",
        )
    else:
        text = Localized(
            "提示：您的测评等级{level}低于{label}要求的{minimum}，开户后可投资与您等级匹配的产品。",
            "Note: your level {level} is below the {minimum} that {label} requires; once open, "
            "you can invest in products that match your level.",
        )
    line = text.text(language).format(level=level, label=label, minimum=minimum)
    if product in PERMISSION_RULES:
        line += (
            Localized(
                "{label}还需要单独开通权限，并满足资产和交易经验要求。",
                " {label} also needs its own permission, with asset and experience requirements.",
            )
            .text(language)
            .format(label=label)
        )
    return line


def account_opening_flow(watchlist: WatchList) -> FlowDefinition:
    """Guidance for opening an account, with the applicant's name screened against ``watchlist``."""

    def complete(answers: FlowAnswers) -> FlowOutcome:
        language, slots = answers.language, answers.slots
        if not _can_open(slots):
            return FlowOutcome(
                message=Localized(
                    "等年满16周岁后，欢迎再来找我了解开户。",
                    "You're welcome to come back about an account once you turn 16.",
                ).text(language)
            )
        name = _as_str(slots.get("name"))
        hit = watchlist.screen(name) if name else None
        if hit is not None:
            # Neutral on purpose: telling the applicant why would tip them off.
            return FlowOutcome(
                message=Localized(
                    "感谢您提供的信息。您的开户申请需要由工作人员进一步协助确认，我现在为您转接人工客服，请稍候。",
                    "Thank you. A colleague needs to help with the next steps of your application; "
                    "I'm connecting you now, please wait a moment.",
                ).text(language),
                handoff=Handoff(
                    reason="flow_needs_human",
                    priority=SCREENING_PRIORITY,
                    summary=(
                        "Account-opening pre-check: the applicant's name needs compliance review "
                        f"(watch list {hit.entry.list_name!r}, {hit.kind} match, score "
                        f"{hit.score:.0f}). Do not tell the applicant the reason."
                    ),
                ),
            )
        return FlowOutcome(message=_opening_checklist(slots, language))

    yes_no_choices = (Localized("有本人一类卡", "Yes, I have one"), Localized("还没有", "Not yet"))
    return FlowDefinition(
        name="account_opening",
        title=Localized("开户咨询", "account opening"),
        intro=Localized(
            "好的，我帮您逐项确认开户需要准备的材料。",
            "Sure, let's check step by step what you need to open an account.",
        ),
        guard=_secret_guard,
        on_complete=complete,
        slots=(
            Slot(
                name="age",
                prompt=Localized("请问您今年多大？", "How old are you?"),
                reprompt=Localized(
                    "请告诉我您的周岁年龄，例如“25”。", "Please tell me your age in years, e.g. 25."
                ),
                extract=read_age,
                detect=detect_age,
                comment=_age_comment,
            ),
            Slot(
                name="id_document",
                prompt=Localized(
                    "您打算用哪种证件开户？",
                    "Which identity document will you open the account with?",
                ),
                reprompt=Localized(
                    "请从下面选择一种证件类型。", "Please pick one of the document types below."
                ),
                extract=read_id_document,
                detect=read_id_document,
                choices=(
                    Localized("二代身份证", "Resident ID card"),
                    Localized("港澳台居民居住证", "HK-Macao-Taiwan residence permit"),
                    Localized("外国人永久居留证", "Foreign permanent residence ID"),
                    Localized("其他证件", "Other document"),
                ),
                ask_if=_can_open,
            ),
            Slot(
                name="bank_card",
                prompt=Localized(
                    "您有本人名下的一类银行卡吗？（用于绑定三方存管）",
                    "Do you have a Class I bank card in your own name? "
                    "(It links to your brokerage account.)",
                ),
                reprompt=Localized("请回答“有”或“还没有”。", "Please answer yes or not yet."),
                extract=yes_no,
                choices=yes_no_choices,
                ask_if=_can_open,
            ),
            Slot(
                name="risk_questionnaire",
                prompt=Localized(
                    "您做过我们的风险承受能力测评吗？做过的话，结果是哪一级（C1–C5）？",
                    "Have you taken our risk tolerance questionnaire? If so, which level "
                    "did you get (C1–C5)?",
                ),
                reprompt=Localized(
                    "请告诉我测评等级（C1–C5），或者回答“还没做”。",
                    "Please tell me your level (C1–C5), or say “not yet”.",
                ),
                extract=read_risk_questionnaire,
                detect=detect_risk_level,
                choices=(
                    Localized("还没做", "Not yet"),
                    *(Localized(level, level) for level in RISK_LEVELS),
                ),
                ask_if=_can_open,
            ),
            Slot(
                name="wants_to_trade",
                prompt=Localized(
                    "开户后您主要想投资哪类产品？我帮您看看和测评等级是否匹配。",
                    "What would you mainly like to invest in? I'll check it against your level.",
                ),
                reprompt=Localized(
                    "请从下面选一类产品，或回答“暂不确定”。",
                    "Please choose a product below, or say “not sure yet”.",
                ),
                extract=read_product,
                detect=read_board,
                choices=(
                    Localized("沪深A股", "A-shares"),
                    Localized("基金", "Funds"),
                    Localized("创业板", "ChiNext"),
                    Localized("科创板", "STAR Market"),
                    Localized("两融", "Margin"),
                    Localized("暂不确定", "Not sure yet"),
                ),
                ask_if=_knows_risk_level,
            ),
            Slot(
                name="name",
                prompt=Localized(
                    "最后，请告诉我您证件上的姓名，我帮您预先核对开户资料（只需要姓名，不要发送证件号码）。",
                    "Finally, your name as on your ID, so I can pre-check your application "
                    "(just the name, no ID number please).",
                ),
                reprompt=Localized(
                    "请只输入证件上的姓名，例如“李明”或“Li Ming”。",
                    "Please type only the name on your ID, e.g. Li Ming.",
                ),
                extract=read_name,
                ask_if=_can_open,
            ),
        ),
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
    elif not _risk_at_least(profile.risk_level, rule.min_risk):
        gaps.append(
            Localized(
                f"风险承受能力等级需达到{rule.min_risk}及以上，您目前为{profile.risk_level}",
                f"your risk level must be {rule.min_risk} or higher; it is {profile.risk_level}",
            )
        )
    return gaps


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
    return _bullets(lines)


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
            [heading, _bullets([gap.text(language) for gap in gaps]), *note, later, apply]
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
        name="permission_eligibility",
        title=Localized("权限开通条件核对", "permission check"),
        guard=_secret_guard,
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


class TicketStoreUnavailableError(Exception):
    """Raised by a :class:`TicketSink` that cannot take a ticket right now."""


class TicketSink(Protocol):
    """Where complaint tickets are filed (the ticket store, a CRM)."""

    async def open_ticket(
        self, category: str, description: str, contact: str, priority: int
    ) -> str:
        """File a ticket and return its id.

        Raises :class:`TicketStoreUnavailableError` when the store cannot take it.
        """
        ...


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


def complaint_flow(tickets: TicketSink | None) -> FlowDefinition:
    """Takes a complaint, files a ticket through ``tickets`` and hands over to a person.

    Without a ticket store (``None``) or with one that is down, the complaint
    still reaches a person, whose summary says to file it by hand.
    """

    async def complete(answers: FlowAnswers) -> FlowOutcome:
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
                reason="complaint",
                priority=COMPLAINT_PRIORITY,
                summary=f"{summary}, contact by {contact}: {description[:300]}",
            ),
        )

    return FlowDefinition(
        name="complaint",
        title=Localized("投诉登记", "complaint"),
        guard=_secret_guard,
        on_complete=complete,
        slots=(
            Slot(
                name="category",
                prompt=Localized(
                    "很抱歉给您带来不好的体验。请问您要投诉的是哪方面？",
                    "I'm sorry about your experience. What is the complaint about?",
                ),
                reprompt=Localized(
                    "请从下面选择投诉类别。", "Please choose one of the categories below."
                ),
                extract=read_complaint_category,
                detect=read_complaint_category,
                choices=(
                    Localized("服务", "Service"),
                    Localized("交易系统", "Trading system"),
                    Localized("费用", "Fees"),
                    Localized("人员行为", "Staff conduct"),
                    Localized("其他", "Other"),
                ),
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
                choices=(
                    Localized("电话", "Phone"),
                    Localized("App消息", "App message"),
                    Localized("邮件", "Email"),
                ),
            ),
        ),
    )


_PASSWORD_KINDS: Mapping[str, Localized] = {
    "trading": Localized("交易密码", "trading password"),
    "fund": Localized("资金密码", "fund password"),
    "login": Localized("登录密码", "login password"),
}
_PASSWORD_EXTRA: Mapping[str, Localized] = {
    "trading": Localized("", ""),
    "fund": Localized(
        "资金密码用于银证转账，与交易密码分开设置，需要单独重置。",
        "The fund password is for bank transfers and is separate from the trading password, "
        "so it is reset on its own.",
    ),
    "login": Localized(
        "因多次输错被锁定的，一般在锁定时间结束后会自动解锁，也可以按上面的方式重置。",
        "If it is locked after too many wrong tries, it usually unlocks by itself after the "
        "lock period, or you can reset it as above.",
    ),
}


def _password_reset_message(answers: FlowAnswers) -> FlowOutcome:
    language = answers.language
    kind = str(answers.slots["password_kind"])
    label = _PASSWORD_KINDS[kind].text(language)
    steps = Localized(
        f"重置{label}的安全方式：\n"
        f"1. 在我们App的登录页或「我的 → 账户安全」中选择「忘记{label}」，"
        "按提示拍摄本人证件并完成人脸识别后，设置新密码；\n"
        "2. 无法完成人脸识别的，请本人携带有效身份证件到任一营业部柜台办理。",
        f"The secure way to reset your {label}:\n"
        f"1. In our app, on the login screen or under Me → Account security, choose "
        f"“Forgot {label}”, photograph your ID and pass face recognition, then set a new one;\n"
        "2. If face recognition doesn't work, visit any branch in person with your valid ID.",
    ).text(language)
    never = Localized(
        "我们的客服和本助手都不会索要您的密码、验证码或完整证件号码。",
        "Neither our staff nor this assistant will ever ask for your password, verification "
        "code or full ID number.",
    ).text(language)
    extra = _PASSWORD_EXTRA[kind].text(language)
    return FlowOutcome(message="\n".join(line for line in (steps, extra, never) if line))


def password_reset_flow() -> FlowDefinition:
    """Explains the secure reset path; refuses secrets typed into the chat."""
    return FlowDefinition(
        name="password_reset",
        title=Localized("密码重置", "password reset"),
        intro=Localized(
            "为了您的账户安全，请不要在对话中发送任何密码、验证码或完整身份证号码。",
            "For your security, never send a password, verification code or full ID number "
            "in this chat.",
        ),
        guard=_password_guard,
        on_complete=_password_reset_message,
        slots=(
            Slot(
                name="password_kind",
                prompt=Localized("您要重置的是哪种密码？", "Which password do you need to reset?"),
                reprompt=Localized(
                    "请选择：交易密码、资金密码或登录密码。",
                    "Please choose: trading, fund or login password.",
                ),
                extract=read_password_kind,
                detect=read_password_kind,
                choices=tuple(
                    Localized(label.zh, label.en.capitalize()) for label in _PASSWORD_KINDS.values()
                ),
            ),
        ),
    )


def build_flows(
    accounts: AccountSystem, watchlist: WatchList, tickets: TicketSink | None = None
) -> dict[str, FlowDefinition]:
    """Every brokerage flow, keyed by the ``flow`` name the intent catalogue uses."""
    flows = (
        account_opening_flow(watchlist),
        permission_eligibility_flow(accounts),
        complaint_flow(tickets),
        password_reset_flow(),
    )
    return {flow.name: flow for flow in flows}


def escalation_for(step: FlowStep) -> EscalationDecision | None:
    """The conversation's escalation for a step that handed over, else ``None``."""
    if step.handoff is None:
        return None
    return EscalationDecision(
        reason=EscalationReason(step.handoff.reason),
        priority=step.handoff.priority,
        summary=step.handoff.summary,
    )


class BrokerageFlows:
    """The brokerage flows as the dialogue policy runs them (``assistant.dialogue.FlowRunner``).

    :meth:`advance` returns ``None`` when the message answers nothing the
    flow could use, so the policy can treat it as a question of its own and
    resume the flow afterwards; cancels, late states and secrets always go
    to the flow.
    """

    def __init__(
        self,
        *,
        accounts: AccountSystem,
        watchlist: WatchList,
        tickets: TicketSink | None = None,
        engine: FlowEngine | None = None,
    ) -> None:
        self.definitions = build_flows(accounts, watchlist, tickets)
        self._engine = engine or FlowEngine()

    # An eligibility check reads the investor's account; an anonymous visitor
    # asking "what does ChiNext need?" is better served by the cited FAQ answer.
    NEEDS_INVESTOR = frozenset({"permission_eligibility"})

    def can_run(self, name: str, conversation: ConversationState) -> bool:
        if name not in self.definitions:
            return False
        return conversation.investor_id is not None or name not in self.NEEDS_INVESTOR

    async def start(
        self, name: str, conversation: ConversationState, text: str, language: Language
    ) -> FlowTurn:
        step = await self._engine.step(
            self.definitions[name], None, text, language, investor_id=conversation.investor_id
        )
        return _turn(step)

    async def advance(
        self, conversation: ConversationState, text: str, language: Language
    ) -> FlowTurn | None:
        state = conversation.flow
        if state is None or state.name not in self.definitions:
            return None
        definition = self.definitions[state.name]
        if not self._engine.accepts(definition, state, text):
            return None
        step = await self._engine.step(
            definition, state, text, language, investor_id=conversation.investor_id
        )
        return _turn(step)

    def resume_prompt(self, flow: FlowState, language: Language) -> FlowTurn:
        return _turn(self._engine.resume(self.definitions[flow.name], flow, language))


def _turn(step: FlowStep) -> FlowTurn:
    return FlowTurn(
        reply=step.reply,
        quick_replies=step.quick_replies,
        state=step.state,
        escalation=escalation_for(step),
        completed=step.state is None,
    )
