"""Safety rules: utterances that must reach a person, whatever the classifier thinks.

Three kinds of turn are too costly to misroute: an investor asking for a human,
reporting a fraud, or complaining. Each is caught by regular expressions over
Chinese (simplified and traditional) and English, checked before the
classifier. Precision matters more than recall here, because a rule cannot be
overruled: questions *about* these topics ("怎么识别诈骗", "how do I avoid
scams", "人工客服几点下班") are FAQ material and are excluded explicitly, and
words that merely contain a trigger (人工智能, "transfer agent", a price of 3.15)
do not fire. The fraud rules live with every other scam pattern in :mod:`intents.scams`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from intents.scams import FRAUD_RULES

HUMAN_AGENT = "human_agent"
FRAUD_REPORT = "fraud_report"
COMPLAINT = "complaint"

DEFAULT_INTENT_NAMES: Mapping[str, str] = {
    "human": HUMAN_AGENT,
    "fraud": FRAUD_REPORT,
    "complaint": COMPLAINT,
}
"""Which catalogue intent each kind of rule names, unless the caller maps them elsewhere."""


@dataclass(frozen=True)
class RuleMatch:
    """A rule fired: the intent it routes to and the id of the rule, for logs and analytics."""

    intent: str
    rule: str


@dataclass(frozen=True)
class SafetyRule:
    """A pattern that routes to one kind of intent unless an exclusion also matches."""

    id: str
    kind: str
    pattern: re.Pattern[str]
    exclude: re.Pattern[str] | None = None

    def matches(self, text: str) -> bool:
        """Whether the rule fires on ``text`` (already normalised)."""
        if not self.pattern.search(text):
            return False
        return self.exclude is None or not self.exclude.search(text)


def _rule(rule_id: str, kind: str, pattern: str, exclude: str | None = None) -> SafetyRule:
    flags = re.IGNORECASE
    return SafetyRule(
        rule_id, kind, re.compile(pattern, flags), re.compile(exclude, flags) if exclude else None
    )


_RULES: tuple[SafetyRule, ...] = (
    # Fraud first: "我被骗了，转人工" is a fraud report that also wants a person.
    *(_rule(rule.id, "fraud", rule.pattern, rule.exclude) for rule in FRAUD_RULES),
    _rule(
        "complaint.zh",
        "complaint",
        r"投诉|投訴|(?<![a-z])ts(你们|你們)|"
        r"(举报|舉報)(你们|你們|贵司|貴司|客服|员工|員工|工作人员|工作人員|经理|經理|营业部|營業部|这家|這家)|"
        r"(?<!\d)(12315|12386)(?!\d)|(打|找|去|向|告到?)\s*3\s*[·•]?\s*15(?![\d.])|"
        r"315(晚会|晚會|平台|热线|熱線)|"
        r"(服务|服務|态度|態度)(太|很|真|极其|極其|非常)?(差|恶劣|惡劣|烂|爛)(?!异|異|别|別|价|價|距)|"
        r"(什么|什麼)破(服务|服務|券商|公司|app|软件|軟件|系统|系統)|"
        r"(要求|我要)(赔偿|賠償)|给(我)?(个|一个)说法|給(我)?(個|一個)說法|"
        # "损失谁赔" after an outage: a claim on us, whoever it is put to.
        r"谁(来)?(赔|賠)|(能|給|给)(赔|賠)(吗|嗎|么|麼)|怎么(赔|賠)(偿|償)?(?!钱|錢)|"
        r"(很|非常|十分|极其|極其|特别|特別)不满|我要(曝光|维权|維權)|差评|差評|"
        r"(你们|你們)的?(系统|系統|app|软件|軟件|平台|客服|服务|服務)[^，,。]{0,4}"
        r"(有问题|有問題|有毛病|太烂|太爛|太差|太慢|垃圾)|耽误(了)?我|耽誤(了)?我|"
        r"(没人|沒人|一直没有?人|都没人)(回复|回覆|处理|處理|理|管)|怎么还没(处理|回复)|"
        # Our own marketing, unwanted: "你们的营销短信一天发三条 能不能别发了".
        r"(你们|你們|贵司|貴司|券商|客户经理|客戶經理)[^。？?]{0,8}"
        r"(营销|營銷|推销|推銷|广告|廣告|骚扰|騷擾)(短信|电话|電話|信息|消息)"
        r"[^。？?]{0,16}(别|別|不要再?|不想再?|烦|煩|太多|天天|每天|一天|老是|总是|總是)|"
        r"(营销|營銷|推销|推銷|骚扰|騷擾)(短信|电话|電話)[^。？?]{0,8}(烦死|煩死|太烦|太煩|受不了)",
    ),
    _rule(
        "complaint.en",
        "complaint",
        r"\bcomplain(t|ts|ing|ed)?\b|\bgrievance\b|"
        r"\b(report|reporting) (you|your (company|firm|staff|agent|employee))\b|"
        r"\b(terrible|awful|horrible|unacceptable|appalling|worst) (customer )?service\b|"
        r"\b(service|attitude|support) (is|was) (terrible|awful|horrible|unacceptable|appalling)\b|"
        r"\b(very|extremely|really|so) (unhappy|disappointed|dissatisfied)\b|"
        r"\bdemand (compensation|an explanation|an apology)\b",
    ),
    _rule(
        "human.zh",
        "human",
        r"((?<![直间間])接|转|轉|转接|轉接|找|换|換|叫|呼叫|联系|聯繫|联络|聯絡)\s*(一下|下)?\s*"
        r"(人工|真人|客服|坐席|座席)|"
        r"(我|我们|我們)(要|想|想要|需要)(找|跟|和)?(人工|真人|客服)|"
        r"人工(客服|服务|服務|坐席|座席|接待|回复|回覆)|"
        r"真人(客服|服务|服務|坐席|座席|接待|回复|回覆|回答|对话|對話)|"
        r"(和|跟|与|與)(真人|人工|活人)(说|說|聊|对话|對話|沟通|溝通)|不要(机器人|機器人|机器|機器)|"
        r"(?<!我)(找|叫|派)(个|個|一个|一個|一位|位)?(人|真人|专人|專人|工作人员|工作人員)(来|來)?"
        r"(帮|幫)(我|忙)(?!问过|問過|看过|看過)|"
        r"有没有人(能|可以)?(帮|幫)我|"
        r"(安排|派)(一个|一個|一位|个|個|位)?(工作人员|工作人員|客服|人)(跟|和|与|與|给|給)?我?"
        r"(联系|聯繫|回电|回電|打电话|打電話)|(给|給)我(回|打)(个|個|一个|一個)?(电话|電話)",
        # "客户经理天天给我打电话推销" complains about calls; it does not ask for one.
        r"(天天|每天|老是|总是|總是|一直|经常|經常|反复|反復|频繁|頻繁|不停|又)(地)?(给|給)我(回|打)|"
        r"(人工客服|人工服务|人工服務|客服|真人客服)(的)?(服务|服務|工作|上班|在线|在線)?"
        r"(时间|時間|几点|幾點|电话|電話|热线|熱線|号码|號碼|费|費)|"
        r"(几点|幾點|什么时候|什麼時候|何时|何時).{0,4}(有|能|可以)?(人工|客服)|"
        r"人工(智能|费|費|成本|审核|審核|复核|復核|核对|核對|办理|辦理|柜台|櫃台)",
    ),
    _rule(
        "human.en",
        "human",
        r"\b(talk|speak|chat)(ing)? (to|with) (a |an |the |your |some |my )?(real |live |actual )?"
        r"(human|person|agent|representative|rep|operator|staff|someone|somebody|manager|"
        r"supervisor|account manager)\b|"
        r"\b(connect|transfer|put|pass|forward)(ing)? me (through )?(to|with) "
        r"(a |an |the |your |some )?(real |live )?"
        r"(human|person|agent|representative|rep|operator|staff|someone|somebody|manager|"
        r"supervisor|customer service|support)\b|"
        r"\b(want|need|like|get|give)( me)? (to (talk|speak) to )?(a|an) (real |live |actual )?"
        r"(human|agent|representative|operator|person)\b|"
        r"\b(get|find) me (someone|somebody|a person|a human)\b|\bjust transfer me\b|"
        r"^\s*(a |an )?(human|agent|operator|representative|real person|live agent)"
        r"( please| pls| now)?\s*[.!?]*\s*$|"
        r"\b(real|live|actual) (person|human|agent)\b|"
        r"\bhuman (agent|support|operator|representative)\b",
        r"\b(transfer|stock|registrar|paying|listing|selling|sales) agent\b|"
        r"\bagent (fee|commission|bank)s?\b|"
        r"\bhours? (for|of) (a |the )?(human|agent|representative|live)|"
        r"\b(phone|hotline|number) (for|of) (a |an |the )?(human|agent|representative)|"
        # Asking whether the bot is a person, or whether a task needs one, is not a request for one.
        r"\b(are|r) (you|u) (a |an )?"
        r"(real|actual|really|human|bot|robot|person|live|ai|computer|machine)\b|"
        r"\b(you|u) ?(are|'re|r) (a |an )?(real|human|bot|robot|person|live)|"
        r"\bam i (talking|speaking|chatting) (to|with)|"
        r"\bis (this|that|it) (a )?(real|human|bot|live)|"
        r"\b(do|does|will|would|must) (i|we|you) (have|need) to (talk|speak|chat|call)|"
        r"\b(without|no need to) (talk|speak)|\bneed a person to (sign|witness|co-?sign)",
    ),
)


def _normalise(text: str) -> str:
    """Fold full-width ASCII and collapse whitespace so patterns see one spelling.

    Narrower than :func:`knowledge.text.fold` on purpose: no NFKC ("…" and "①" stay as
    typed, as the rules are pinned), no case folding (the patterns ignore case)."""
    folded = "".join(chr(ord(c) - 0xFEE0) if "\uff01" <= c <= "\uff5e" else c for c in text)
    return " ".join(folded.replace("\u3000", " ").split())


class SafetyRules:
    """Ordered safety rules; the first that fires wins.

    ``intent_names`` maps each kind of rule (``human``, ``fraud``, ``complaint``)
    to the catalogue intent it routes to.
    """

    def __init__(
        self,
        rules: Sequence[SafetyRule] = _RULES,
        intent_names: Mapping[str, str] = DEFAULT_INTENT_NAMES,
    ) -> None:
        unknown = {rule.kind for rule in rules} - set(intent_names)
        if unknown:
            raise ValueError(f"no intent name for rule kinds {sorted(unknown)}")
        self._rules = tuple(rules)
        self._intent_names = dict(intent_names)

    @property
    def intents(self) -> frozenset[str]:
        """The intent names the rules can route to."""
        return frozenset(self._intent_names[rule.kind] for rule in self._rules)

    def match(
        self, text: str, allowed: frozenset[str] | set[str] | None = None
    ) -> RuleMatch | None:
        """The first rule that fires on ``text``, skipping rules routing outside ``allowed``."""
        normalised = _normalise(text)
        for rule in self._rules:
            intent = self._intent_names[rule.kind]
            if allowed is not None and intent not in allowed:
                continue
            if rule.matches(normalised):
                return RuleMatch(intent=intent, rule=rule.id)
        return None


def match_rule(text: str) -> RuleMatch | None:
    """Check ``text`` against the default safety rules and intent names."""
    return SafetyRules().match(text)
