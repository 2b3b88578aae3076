"""The ``account_opening`` flow: what an investor needs before opening an account.

It asks age, ID document, bank card, risk questionnaire, the product wanted
and the applicant's name; it completes with a checklist of what is ready and
what is missing, a suitability hint, and a watch-list screening of the name
(a hit hands over to a person without telling the applicant why).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from assistant.accounts import RISK_LEVELS
from assistant.dialogue_models import Language
from assistant.flows.guards import secret_guard
from assistant.flows.rules import (
    ADULT_AGE,
    LABELS,
    MIN_ACCOUNT_AGE,
    PERMISSION_RULES,
    SENIOR_AGE,
    read_board,
    required_risk_level,
    risk_at_least,
)
from assistant.flows.wording import bullets
from assistant.watchlist import WatchList
from intents.flow_engine import (
    FlowAnswers,
    FlowDefinition,
    FlowOutcome,
    Handoff,
    Localized,
    Slot,
    SlotValue,
    keyword_choice,
    normalise,
    yes_no,
)
from intents.handover import EscalationReason
from knowledge.text import chinese_number
from text.language import CJK_CHARACTERS

SCREENING_PRIORITY = 90


def _as_str(value: SlotValue | None) -> str | None:
    return value if isinstance(value, str) else None


_CN_NUMBER = r"[一二两三四五六七八九十]{1,3}"
_AGE_STATED = re.compile(
    rf"(\d{{1,3}}|{_CN_NUMBER})\s*(周岁|岁|歲)"
    r"|(?<![a-z])(\d{1,3})\s*(years?|yrs?)[\s-]*old"
    r"|(?<![a-z])(?:i'?m|i am|aged?|年龄|年齡)\s*:?\s*(\d{1,3})(?!\d)"
)


def _plausible_age(value: int | None) -> int | None:
    return value if value is not None and 1 <= value <= 120 else None


def detect_age(text: str) -> int | None:
    """An age stated as such: "我17岁", "七十二岁", "I'm 17", "17 years old"."""
    match = _AGE_STATED.search(normalise(text))
    if match is None:
        return None
    number = next(group for group in (match[1], match[3], match[5]) if group)
    return _plausible_age(int(number) if number.isdigit() else chinese_number(number))


def read_age(text: str) -> int | None:
    """An answer to "how old are you": a stated age, or a lone number ("17", "十七")."""
    if (stated := detect_age(text)) is not None:
        return stated
    cleaned = normalise(text)
    numbers = re.findall(r"\d+", cleaned)
    if len(numbers) == 1:
        return _plausible_age(int(numbers[0]))
    if not numbers and (word := re.fullmatch(rf"\W*({_CN_NUMBER})\W*", cleaned)):
        return _plausible_age(chinese_number(word[1]))
    return None


read_id_document = keyword_choice(
    {
        "resident_id": "二代身份证|居民身份证|身份证|身份證|中国大陆|大陆|內地|内地|中国公民"
        "|resident id|id card|national id|mainland|chinese citizen",
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
_CHINESE_NAME = re.compile(rf"[{CJK_CHARACTERS}]{{2,6}}(·[{CJK_CHARACTERS}]{{1,10}})?")
_LATIN_NAME = re.compile(r"[A-Za-z][A-Za-z .'\-]{1,58}[A-Za-z.]")


def read_name(text: str) -> str | None:
    """A person's name as written on an ID: 2-6 Chinese characters, or a Latin name."""
    cleaned = _NAME_PREFIX.sub("", text.strip()).strip(" 。.,，!！")
    if _CHINESE_NAME.fullmatch(cleaned) or _LATIN_NAME.fullmatch(cleaned):
        return cleaned
    return None


_ID_DOCUMENTS: Mapping[str, Localized] = {
    "resident_id": Localized("二代身份证", "resident ID card"),
    "hmt_residence_permit": Localized("港澳台居民居住证", "HK/Macao/Taiwan residence permit"),
    "foreign_permanent_residence": Localized(
        "外国人永久居留身份证", "foreign permanent residence ID"
    ),
}


_DOCUMENT_NOTES = {
    "resident_id": Localized(
        "好的，用本人有效期内的二代居民身份证开户。",
        "Good: you will open it with your own second-generation resident ID card, within its "
        "validity.",
    ),
    "hmt_residence_permit": Localized(
        "好的，用港澳台居民居住证开户。", "Good: you will open it with your residence permit."
    ),
    "foreign_permanent_residence": Localized(
        "好的，用外国人永久居留身份证开户。",
        "Good: you will open it with your foreign permanent residence ID.",
    ),
}


def _document_comment(value: SlotValue, language: Language) -> str | None:
    """Says back which document the investor will use, so a slip is caught now."""
    note = _DOCUMENT_NOTES.get(str(value))
    return note.text(language) if note else None


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
        lines.append("还需要：\n" + bullets(missing) if missing else "您需要准备的都齐了。")
    else:
        lines = [
            "Your account-opening checklist:",
            f"1. Valid ID: {id_line}",
            f"2. Class I bank card in your name: {card_line}",
            f"3. Risk tolerance questionnaire: {risk_line}",
            "4. Video verification and e-signing: done in the app while opening",
        ]
        lines.append("Still needed:\n" + bullets(missing) if missing else "You have everything.")

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
    if risk_at_least(level, minimum):
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
                    reason=EscalationReason.FLOW_NEEDS_HUMAN,
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
        guard=secret_guard,
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
                comment=_document_comment,
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
