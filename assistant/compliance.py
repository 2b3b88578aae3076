"""The compliance guard: what the assistant may say to an investor, and what it listens for.

Policy is code, not prompt. Every outgoing text (bot templates, retrieved answers, LLM
drafts, proactive pushes) goes through :meth:`ComplianceGuard.check_outgoing`, which
replaces promises of returns and buy/sell recommendations by a fixed policy template,
appends the configured disclaimer to investment-related answers, and masks personal data.
Nothing an investor types (``忽略之前的规则``) changes these checks; incoming text is only
*inspected*, by :meth:`ComplianceGuard.inspect_incoming`, for the dialogue policy to act on.

Detection is rule-based on purpose: it is auditable, deterministic and cheap, and its
false positives and misses are pinned by ``tests/assistant/guard_cases.py``. Warnings
*about* promises (``凡是承诺保本稳赚的都是诈骗``, "beware of anyone promising guaranteed
returns") are told apart from promises by negation right before a phrase and by warning
words in the same clause, or in the same sentence when the phrase is reported speech.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict

from assistant.dialogue_models import Language
from assistant.incoming_signals import (
    IncomingFindings,
    any_of,
    read_incoming,
)
from assistant.pii import find_pii, mask_pii
from assistant.suitability import SuitabilityResult, assess_suitability
from assistant.templates import template, without_citation
from knowledge.text import join_han
from text.language import CJK_CHARACTERS

if TYPE_CHECKING:
    from assistant.settings import Settings

__all__ = [
    "ComplianceGuard",
    "GuardedText",
    "IncomingFindings",
    "SuitabilityResult",
    "Violation",
    "ViolationKind",
]

ViolationKind = Literal[
    "return_promise",
    "security_recommendation",
    "personalised_advice",
    "missing_disclaimer",
    "unsuitable",
]
# The kinds that make a text unsayable; a missing disclaimer is repaired instead.
BLOCKING_KINDS: frozenset[ViolationKind] = frozenset(
    {"return_promise", "security_recommendation", "personalised_advice"}
)


class Violation(BaseModel):
    """One thing wrong with a text, with the words that show it."""

    model_config = ConfigDict(frozen=True)

    kind: ViolationKind
    evidence: str


class GuardedText(BaseModel):
    """What may be sent. ``violations`` lists everything wrong with the draft, including a
    missing disclaimer that was repaired; ``blocked`` says the draft was replaced."""

    text: str
    violations: list[Violation]
    disclaimer_added: bool
    blocked: bool


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# --- what counts as a promise of returns ------------------------------------------------

_PROMISES = any_of(
    r"保本(?!点|价|线|位)(?:保息)?",  # 保本点/保本价 is the break-even price of an option
    r"稳赚(?:不赔)?|稳挣|稳赢|包赚|包赢|包涨|只赚不赔|只涨不跌|躺赚|买了?就赚|随便买都赚",
    r"不会亏|不可能亏|亏不了|不会赔|赔不了|跌不下去",
    r"保证(?!金)[^，,。；;！!？?]{0,8}?(?:收益|盈利|赚|回报|利润|回本|翻倍|涨|本金|不亏|不赔|不跌)",
    r"保收益|保底(?:收益|回报|年化)|刚性兑付|刚兑",
    r"零风险|毫无风险|风险为零|绝对安全|百分百安全|100%安全",
    r"无风险(?!利率|收益率|利息)",  # the risk-free rate is a textbook term
    r"没有?(?:任何)?风险(?!承受|测评|评估|等级|提示|揭示|警示|评测|能力|偏好|的投资)",
    r"(?:一定|肯定|必然|绝对|必定|注定|铁定|百分百|100%)(?:会|能|要)?"
    r"(?:涨|上涨|大涨|暴涨|涨停|翻倍|赚|盈利|回本|反弹|拉升|起飞)",
    r"必(?:涨|赚|翻倍|大涨|暴涨|反弹|起飞)",
    r"(?:下个?月|下周|明年|今年|年底|很快|马上|轻松|至少|稳|就能|就会|一定能|肯定能)"
    r"翻(?:倍|番|[一两二三几]倍)",
    r"翻倍(?:不是梦|没问题|稳了)|稳了|稳稳的?赚",
    r"闭眼买|闭眼入|闭着眼睛?买|无脑买|无脑入",
    r"(?:收益|本金|回报|利润)是?(?:绝对)?(?:有保证|有保障|无忧)",
    r"(?:收益|回报|年化|利润|赚)[^，,。；;]{0,6}(?:稳拿|稳定在|至少|保底|起码)\s*\d+(?:\.\d+)?\s*%",
    r"(?:明天|明日|下周|下个?月|今年|年底|近期|马上|很快)(?:就|还|会|要)*(?:大涨|暴涨|起飞|拉升|主升浪)",
    r"\bguarantee[sd]?\s+(?:(?:you|a|an|any|the|your|\d+(?:\.\d+)?\s*%|annual|annuali[sz]ed|"
    r"high|stable|steady|fixed|positive|monthly|minimum|solid|double[- ]digit)\s+){0,4}"
    r"(?:returns?|profits?|gains?|yields?|income|interest|money|payouts?)\b",
    r"\bguaranteed\s+\d+(?:\.\d+)?\s*%",
    r"\bguaranteed\s+to\s+(?:rise|go up|double|grow|profit|make|earn|win|increase|gain|pay)",
    r"\b(?:returns?|profits?|gains?|yields?|income|principal|capital)\s+(?:is|are)\s+"
    r"(?:fully\s+|100%\s+)?(?:guaranteed|protected|safe)\b",
    r"\b(?:principal|capital)[- ](?:guaranteed|protected)\b",
    r"\brisk[- ]free\b(?!\s+(?:rate|interest|asset|bond|yield))",
    r"\b(?:no|zero)[- ]risk\b(?![- ](?:free|tolerance|assessment|rating|level|profile))",
    r"\bwithout\s+(?:any\s+)?risk\b",
    r"\b(?:can't|cannot|can not|won't|will not|never)\s+lose\b|\bimpossible\s+to\s+lose\b",
    r"\bguaranteed\s+not\s+to\s+(?:fall|drop|lose|go down)\b",
    r"\b(?:will|can)\s+never\s+(?:fall|drop|go down)\b",
    r"\byou(?:'ll|\s+will)\s+(?:definitely\s+)?(?:earn|make|get|gain)\s+(?:at least\s+)?"
    r"\d+(?:\.\d+)?\s*%",
    r"\b(?:i|we)\s+(?:guarantee|promise)\b[^.]{0,30}\b(?:profits?|returns?|money|gains?|rise|"
    r"go up|double|earn)\b",
    r"\b(?:can't|cannot)\s+go\s+wrong\b",
    r"\bwill\s+(?:definitely|surely|certainly|absolutely|100%|for sure)\s+(?:rise|go up|climb|"
    r"soar|double|triple|increase|gain|rebound|rally|make money|profit|pay off)",
    r"\b(?:sure|bound|certain|going)\s+to\s+(?:soar|double|triple|skyrocket|moon|explode)\b",
    r"\b(?:it|this|that|price|stock|shares|money|investment|capital|fund)\s+will\s+"
    r"(?:definitely\s+|surely\s+)?(?:double|triple)\b",
    r"\bcan only go up\b|\bonly goes up\b|\bto the moon\b|\bsure[- ](?:thing|bet|win|fire)\b",
    r"\bno[- ]brainer\b|\bdouble your money\b|\beasy money\b|\bfree money\b",
    r"\b100%\s+(?:safe|sure|profit|win|certain)\b|\bzero[- ]loss\b",
)

# --- what counts as advice to trade --------------------------------------------------

_ZH_SOFT = r"建议|推荐|劝你|劝您|应该|应当|最好|可以考虑|不妨|值得"
_ZH_PUSHY = r"赶紧|赶快|抓紧|尽快|马上|立刻|立即|果断|大胆|放心|闭眼|闭着眼睛?|无脑|快去|速速|务必"
_ZH_POSITION = r"满仓|重仓|清仓|加仓|减仓|抄底|梭哈|补仓|割肉|追高|半仓|空仓|all[- ]?in"
# Not bare 入: 入金 and 入账 are deposits.
_ZH_PLAIN = r"买入|买进|卖出|卖掉|抛售|抛掉|建仓|入手|上车|持有|拿住|扫货|买|卖|抛|囤"
_ZH_ADVICE = re.compile(
    rf"(?:(?P<soft>{_ZH_SOFT})|(?P<pushy>{_ZH_PUSHY}))(?:您|你|大家)?"
    rf"(?:现在|今天|明天|一定|坚决|直接|都|就|先|去|来){{0,2}}"
    rf"(?:(?P<position>{_ZH_POSITION})|(?P<plain>{_ZH_PLAIN}))",
    re.IGNORECASE,
)
# Acts that are advice by themselves, but only when a security is named alongside:
# an FAQ may well explain what 抄底 or 满仓 means.
_ZH_BARE_ACT = re.compile(rf"{_ZH_POSITION}|闭眼买|闭眼入|无脑买|直接买", re.IGNORECASE)

_EN_ADVICE = re.compile(
    r"\b(?:you should|you must|you need to|you ought to|you'd better|you had better|better|"
    r"i(?:\s+strongly|\s+would|\s+really|'d)?\s+(?:recommend|suggest|advise)(?: (?:that )?you)?|"
    r"we (?:strongly )?(?:recommend|suggest|advise)(?: (?:that )?you)?|"
    r"my (?:advice|recommendation|tip) is(?: to)?|go ahead and|definitely|just|"
    r"now is the time to|it'?s time to|time to|hurry (?:up )?and|rush to)\s+"
    r"(?:to\s+)?(?:(?:go|quickly|immediately|now|definitely|really|strongly|consider)\s+)?"
    r"(?P<trade>buy(?:ing)?|sell(?:ing)?|short(?:ing)?|dump(?:ing)?|load(?:ing)? up on|"
    r"go(?:ing)? all[- ]in(?: on)?|all[- ]in on|accumulat(?:e|ing)|double down on|"
    r"add(?:ing)? to (?:your|the|this) (?:position|holding|stake)s?|add(?:ing)? more shares|"
    r"hold(?:ing)? (?:on ?to|onto)|keep holding|buy(?:ing)? the dip)\b",
    re.IGNORECASE,
)
_EN_IMPERATIVE = re.compile(
    r"(?:^\s*|\b(?:and|then|so|now|just)\s+)"
    r"(?P<trade>buy|sell|short|dump|load up on|go all[- ]in on|all[- ]in on|hold on ?to)\b",
    re.IGNORECASE,
)
_EN_PUSH = re.compile(
    r"\b(?:now|today|tomorrow|immediately|right away|asap|before it'?s too late|this week|"
    r"next week|all[- ]in|everything|all (?:of )?your|double down|the dip|at the bottom|"
    r"while it'?s cheap|at this price)\b",
    re.IGNORECASE,
)
_CONDITIONAL = any_of(r"如果|若|假如|一旦|当[^，,。]{0,12}时", r"\b(?:if|when|once|unless)\b")
_ZH_MARKET_TIMING = re.compile(r"现在|趁早?|逢低|逢高|低位|高位|今天|明天|下周|马上|立即")

# Negation directly before a phrase: 不保本, 无法保证收益, 不建议满仓, is not risk-free.
_ZH_NEGATED = re.compile(
    r"(?:不|非|无|没|没有|并非|并不|绝不|从不|不再|不能|不会|不可能|无法|难以|不得|未必|不一定|不要|别|勿|切勿"
    r"|打破|破除|取消|杜绝"
    r"|不宜|谈不上|算不上|禁止|严禁)"
    r"(?:能|会|可|可以|敢|得|一定|承诺|保证|确保|宣传|说|是|盲目|轻易|随意|随便|贸然)?$"
)
_EN_NEGATED = re.compile(
    r"\b(?:not|never|no|cannot|can't|won't|isn't|aren't|don't|doesn't|nothing is|none is)\s+"
    r"(?:(?:be|is|are|a|an|any|truly|really|completely|entirely|ever|always|totally|necessarily)"
    r"\s+){0,2}$",
    re.IGNORECASE,
)
# "可以立即卖出" describes what the rules allow (T+0), it does not urge anyone.
_ZH_CAPABILITY = re.compile(r"(?:可|可以|能|能够|才能|即可|就可以|方可|允许)$")
_EN_CAPABILITY = re.compile(
    r"\b(?:can|could|may|able to|allowed to|how to|if|when|want to|wish to)\b", re.IGNORECASE
)

_WARNING = any_of(
    r"警惕|谨防|提防|防范|谨慎对待|不要相信|别相信|切勿相信|勿信|不要轻信|切勿轻信|不可轻信|别信|不信",
    r"凡是|但凡|凡(?=承诺|宣称|声称|号称|以|打着|自称)",
    r"诈骗|骗局|骗子|欺诈|圈套|陷阱|非法|违法|违规|不存在|虚假|禁止|严禁|不得|举报|报警|注意识别|注意甄别",
    r"不会(?:向您)?承诺|不承诺|不作承诺|不做承诺|无法承诺|不能承诺|不保证|无法保证|不能保证|不能确保|无法确保",
    r"没有(?:任何)?(?:人|机构|产品|投资)(?:能|可以|敢|是)|任何人都无法|并不意味|不代表|不等于",
    r"\bbeware\b|\bbe (?:wary|careful|cautious|suspicious)\b|\bwatch out\b",
    r"\bscam(?:s|mers?)?\b|\bfraud(?:ulent|sters?)?\b|\bponzi\b|\bred flags?\b",
    r"\bnever (?:trust|believe)\b|\bdo(?:n't| not) (?:trust|believe|fall for)\b",
    r"\billegal\b|\bprohibited\b|\bnot allowed\b|\bsuspicious\b|\bimpersonat\w*",
    r"\b(?:cannot|can't|can not|unable to|won't|will not|do not|don't|does not|doesn't|never)\s+"
    r"(?:promise|guarantee)\b",
    r"\bno(?: one|body) can\b|\bnot guaranteed\b|\bno guarantees?\b|\bno such thing\b",
    r"\bno investment is\b",
)
# Reported speech: the phrase is what someone else claims, not what we say.
_REPORTED = any_of(
    r"承诺|宣称|声称|号称|所谓|鼓吹|打着|自称|说法|话术|宣传|口号|字眼|名义|诱导|以[^，,。]{0,6}为(?:名|由|诱饵)",
    r"[“”\"「」『』]",
    r"\bpromis\w*|\bclaim\w*|\bso-called\b|\boffer\w*|\banyone\b|\bsomeone\b",
    r"\b(?:those|people) who\b|\bany (?:person|platform|product|group)\b|\badverti[sz]\w*",
)

# --- what counts as a specific security ------------------------------------------------

_CODE = re.compile(
    r"(?<![0-9A-Za-z.])(?:(?:sh|sz|bj)\.?)?[0-9]{6}(?:\.(?:sh|sz|bj|ss))?"
    r"(?![0-9]|\s*(?:元|块|股|手|份|万|亿|%|美元|港元|港币|点|年|月|日|号|分|秒))"
    r"|(?<![0-9])[0-9]{4,5}\.hk\b|\$[A-Za-z]{1,5}\b",
    re.IGNORECASE,
)
_DEMONSTRATIVE = any_of(
    r"这只|这支|这个股票|这个票|这票|该股|此股|这个标的|该标的|这只基金|该基金|牛股|妖股|龙头股",
    r"\b(?:this|that|these|those)\s+(?:stock|shares?|fund|etf|ticker|counter|company|one)\b",
)
_ZH_NAME_SUFFIX = (
    r"茅台|五粮液|银行|证券|保险|科技|股份|集团|控股|时代|能源|医药|药业|电子|电气|汽车|地产|置业|传媒"
    r"|通信|半导体|光电|光伏|新材|化工|钢铁|煤业|矿业|电力|水务|航空|机场|港口|高速|酒业|食品|乳业"
    r"|芯片|微电子|软件|智能|重工|机械|实业|环保|生物|军工|财富|ETF|LOF|转债"
)
_ZH_NAMED_OBJECT = re.compile(
    rf"^(?:点|些|一些|一点|一手)?[{CJK_CHARACTERS}A-Za-z0-9]{{0,4}}?(?:{_ZH_NAME_SUFFIX})",
    re.IGNORECASE,
)
_KNOWN_NAMES = any_of(
    r"茅台|五粮液|宁德时代|比亚迪|腾讯|阿里巴巴|美团|小米|中石油|中石化|格力|美的|海天|片仔癀|东方财富|中芯国际",
    r"\b(?:tesla|apple|nvidia|moutai|kweichow|byd|catl|tencent|alibaba|xiaomi|meituan)\b",
)
_EN_NOT_A_NAME = _words(
    "the a an some more shares stock stocks fund funds bonds bond star chinext market board "
    "etf etfs ipo ipos a-shares b-shares h-shares stock-connect and or at in on"
)
_EN_NOT_A_TICKER = _words(
    "ETF ETFS IPO IPOS STAR SSE SZSE BSE HKEX CSRC SEC US USD HKD CNY RMB QFII RQFII QDII FAQ APP "
    "PIN SMS OTP ID OK AM PM REIT REITS LOF ST VIP AI I A B H T"
)
_EN_NAME_AFTER = re.compile(r"\s+(?:shares of\s+|some\s+|more\s+)?([A-Z][\w&.-]*|[A-Z]{2,5})")

# --- disclaimers ------------------------------------------------------------------------

INVESTMENT_CATEGORIES = frozenset(
    {
        "trading_rules",
        "ipo_subscription",
        "dividend_tax",
        "margin",
        "stock_connect",
        "convertible_bond",
        "fund",
        "bond",
        "options",
        "market_data",
        "risk_assessment",
        "margin_trading",
        "fund_products",
        "bond_trading",
        "options_trading",
        "reverse_repo",
        "corporate_action",
    }
)
# Service topics: how to open, sign in, move money, pay, close. Their answers carry no
# disclaimer even when they mention shares (开户成功后即可买卖股票 is not investment advice).
SERVICE_CATEGORIES = frozenset(
    {
        "account_opening",
        "account_cancellation",
        "password_reset",
        "bank_transfer",
        "fees",
        "position_query",
        "anti_fraud",
        "complaint",
        "human_agent",
        "fraud_report",
        "privacy",
        "app_support",
        "statements",
        "privacy_request",
        "account_info_update",
        "account_restriction",
        "certificate_request",
        "service_info",
        "non_trade_transfer",
        "account_query",
    }
)
_INVESTMENT_WORDS = any_of(
    r"股票|个股|股价|基金|债券|可转债|收益|风险|投资|理财|行情|涨跌|涨停|跌停|打新|新股|申购|融资融券|两融",
    r"期权|分红|派息|港股通|科创板|创业板|北交所|ETF|市值|仓位|持仓|买入|卖出",
    r"\b(?:stocks?|shares\b|funds?|bonds?|returns?|risks?|invest\w*|dividends?|ipos?|etfs?|margin)\b",
    r"\b(?:stock options|portfolio|equit(?:y|ies)|securities|trading|convertible)\b",
)


_ZERO_WIDTH = re.compile(r"[\u200b-\u200d\u2060\ufeff]")
_SENTENCE_END = re.compile(r"[。！？!?\n]+|\.(?=\s|$)")
_CLAUSE_END = re.compile(r"[，,；;：:、]")


def _normalise(text: str) -> str:
    """NFKC, zero-width characters out, ``稳 赚`` back to ``稳赚``: obfuscation cannot slip a
    phrase past the rules. Case is kept, as an upper-case word is how a ticker is told apart."""
    text = _ZERO_WIDTH.sub("", unicodedata.normalize("NFKC", text))
    return join_han(text)


def _compact(text: str) -> str:
    """NFKC with every space out: a disclaimer is found in a reply however it was wrapped."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _sentences(text: str) -> list[str]:
    return [sentence for sentence in _SENTENCE_END.split(text) if sentence.strip()]


def _is_negated(clause: str, start: int) -> bool:
    before = clause[:start]
    return bool(_ZH_NEGATED.search(before) or _EN_NEGATED.search(before))


class _Sentence:
    """One sentence split into clauses, with its warning context worked out once."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.clauses = [clause for clause in _CLAUSE_END.split(text) if clause.strip()]
        self.warns = _WARNING.search(text) is not None
        # Rules are stated conditionally ("if the ratio falls, you must sell ... today"):
        # such a sentence is not advice unless it names a security.
        self.conditional = _CONDITIONAL.search(text) is not None

    def is_warning(self, clause: str) -> bool:
        """A clause that warns, or reports a claim inside a sentence that warns."""
        return _WARNING.search(clause) is not None or (
            self.warns and _REPORTED.search(clause) is not None
        )


def _promises(sentence: _Sentence) -> list[Violation]:
    found: list[Violation] = []
    for clause in sentence.clauses:
        if sentence.is_warning(clause):
            continue
        found += [
            Violation(kind="return_promise", evidence=match.group())
            for match in _PROMISES.finditer(clause)
            if not _is_negated(clause, match.start())
        ]
    return found


def _named_security(sentence: str, after_trade: str) -> str | None:
    """The specific security a sentence talks about, if any: a code, a ticker, a
    demonstrative (这只票, this stock), a well-known name, or a name right after the verb."""
    for pattern in (_CODE, _DEMONSTRATIVE, _KNOWN_NAMES):
        if match := pattern.search(sentence):
            return match.group()
    if match := _ZH_NAMED_OBJECT.search(after_trade):
        return match.group()
    if (match := _EN_NAME_AFTER.match(after_trade)) and _looks_like_name(match.group(1)):
        return match.group(1)
    if re.match(r"\s+(?:it|them)\b", after_trade, re.IGNORECASE):
        return after_trade.split()[0]
    return None


def _looks_like_name(word: str) -> bool:
    if word.isupper():
        return word.upper() not in _EN_NOT_A_TICKER
    return word.lower() not in _EN_NOT_A_NAME


def _advice(sentence: _Sentence) -> list[Violation]:
    found: list[Violation] = []
    for clause in sentence.clauses:
        if not sentence.is_warning(clause):
            found += _zh_advice(sentence, clause) + _en_advice(sentence, clause)
            found += _bare_acts(sentence, clause)
    return found


def _zh_advice(sentence: _Sentence, clause: str) -> list[Violation]:
    found: list[Violation] = []
    for match in _ZH_ADVICE.finditer(clause):
        if _is_negated(clause, match.start()):
            continue
        if match.group("pushy") and _ZH_CAPABILITY.search(clause[: match.start()]):
            continue
        if security := _named_security(sentence.text, clause[match.end() :]):
            found.append(_recommendation(match.group(), security))
        elif not sentence.conditional and (
            match.group("pushy") or match.group("position") or _ZH_MARKET_TIMING.search(clause)
        ):
            found.append(Violation(kind="personalised_advice", evidence=match.group()))
    return found


def _en_advice(sentence: _Sentence, clause: str) -> list[Violation]:
    found: list[Violation] = []
    imperatives = [
        match
        for match in _EN_IMPERATIVE.finditer(clause)
        if not _EN_CAPABILITY.search(clause[: match.start()])
    ]
    for match in (*_EN_ADVICE.finditer(clause), *imperatives):
        if _is_negated(clause, match.start()):
            continue
        if security := _named_security(sentence.text, clause[match.end() :]):
            found.append(_recommendation(match.group().strip(), security))
        elif not sentence.conditional and _EN_PUSH.search(clause):
            found.append(Violation(kind="personalised_advice", evidence=match.group().strip()))
    return found


def _bare_acts(sentence: _Sentence, clause: str) -> list[Violation]:
    found: list[Violation] = []
    for match in _ZH_BARE_ACT.finditer(clause):
        security = _named_security(sentence.text, clause[match.end() :])
        if security and not _is_negated(clause, match.start()):
            found.append(_recommendation(match.group(), security))
    return found


def _recommendation(phrase: str, security: str) -> Violation:
    return Violation(kind="security_recommendation", evidence=f"{phrase} … {security}")


def _unique(violations: list[Violation]) -> list[Violation]:
    return list(dict.fromkeys(violations))


class ComplianceGuard:
    """Checks every outgoing text and inspects every incoming one; holds no per-turn state."""

    def __init__(self, *, disclaimer_zh: str, disclaimer_en: str) -> None:
        if not disclaimer_zh.strip() or not disclaimer_en.strip():
            raise ValueError("both disclaimers must be non-empty")
        self._disclaimers: dict[Language, str] = {"zh": disclaimer_zh, "en": disclaimer_en}

    @classmethod
    def from_settings(cls, settings: Settings) -> ComplianceGuard:
        return cls(disclaimer_zh=settings.disclaimer_zh, disclaimer_en=settings.disclaimer_en)

    def disclaimer(self, language: Language) -> str:
        return self._disclaimers[language]

    def violations(self, text: str) -> list[Violation]:
        """Promises and recommendations in ``text``, any language, its citation line aside."""
        found: list[Violation] = []
        for raw in _sentences(_normalise(without_citation(text))):
            sentence = _Sentence(raw)
            found += _promises(sentence) + _advice(sentence)
        return _unique(found)

    def check_outgoing(
        self, text: str, language: Language, *, investment_related: bool
    ) -> GuardedText:
        """What may be sent instead of ``text``: the policy template when it promises
        returns or advises a trade, else ``text`` with personal data masked and, when
        ``investment_related``, the disclaimer appended once."""
        violations = self.violations(text)
        disclaimer = self._disclaimers[language]
        if any(violation.kind in BLOCKING_KINDS for violation in violations):
            return GuardedText(
                text=f"{template('advice_refused', language)}\n\n{disclaimer}",
                violations=violations,
                disclaimer_added=True,
                blocked=True,
            )
        masked = mask_pii(text)
        if not investment_related or _compact(disclaimer) in _compact(masked):
            return GuardedText(
                text=masked, violations=violations, disclaimer_added=False, blocked=False
            )
        missing = Violation(kind="missing_disclaimer", evidence=disclaimer)
        return GuardedText(
            text=f"{masked.rstrip()}\n\n{disclaimer}",
            violations=[*violations, missing],
            disclaimer_added=True,
            blocked=False,
        )

    def inspect_incoming(self, text: str) -> IncomingFindings:
        """Personal data masked, plus the scam, injection and advice signals in ``text``."""
        normal = _normalise(text)
        pii = list(dict.fromkeys(match.kind for match in find_pii(text)))
        return read_incoming(normal, masked_text=mask_pii(text), pii=pii)

    def is_investment_related(self, text: str, category: str | None = None) -> bool:
        """Whether an answer needs the disclaimer: by its FAQ category when known (a service
        topic never does), else by what it talks about."""
        if category:
            if category in INVESTMENT_CATEGORIES or category.startswith("permission_"):
                return True
            if category in SERVICE_CATEGORIES:
                return False
        return _INVESTMENT_WORDS.search(_normalise(text)) is not None

    def suitability(self, investor_risk_level: str | None, product: str) -> SuitabilityResult:
        """Whether an investor of ``investor_risk_level`` (C1..C5) may buy ``product``."""
        return assess_suitability(investor_risk_level, product)
