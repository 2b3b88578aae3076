"""The one home of the scam patterns: every wording that says an investor is describing a scam.

Two tables read a message for scams, and each decides something different:

- :data:`FRAUD_RULES` decide the ``fraud_report`` intent. :class:`intents.rules.SafetyRules`
  checks them first, before the other safety rules and the classifier, and a match sends the
  conversation to a person. A rule cannot be overruled, so precision comes first: each rule
  (the victim's own words, a scam group, a transfer to a personal account, an impersonation,
  a report to the police) excludes questions *about* fraud ("怎么识别诈骗", "how do I avoid
  scams"). They read text with full-width ASCII folded and whitespace collapsed.
- :data:`SIGNAL_PATTERNS` decide the :class:`FraudSignal` kinds: which scams a message
  describes, whatever its intent, so that the assistant warns about each one and the signal
  is stored and counted. They fire on what the ``fraud_report`` and advice-seeking examples
  say and stay quiet on everyday questions (``银证转账钱取不出`` is a transfer problem, not a
  fake platform). They read NFKC text with the spaces between Chinese words taken out.

A new scam wording goes here: into the rule that should hand it to a person, into the signal
kind whose warning fits it, or into both.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class FraudSignal(StrEnum):
    """Stable ids of scam patterns an investor may describe: stored and counted, never renamed."""

    TEACHER_GROUP = "teacher_group"
    STOCK_TIP_GROUP = "stock_tip_group"
    SIGNAL_CALLING = "signal_calling"
    INSIDER_INFO = "insider_info"
    PERSONAL_ACCOUNT_TRANSFER = "personal_account_transfer"
    SAFE_ACCOUNT_TRANSFER = "safe_account_transfer"
    GUARANTEED_PROFIT_GROUP = "guaranteed_profit_group"
    VERIFICATION_CODE_SHARED = "verification_code_shared"
    REMOTE_CONTROL = "remote_control"
    IMPERSONATION = "impersonation"
    PHISHING_LINK = "phishing_link"
    FAKE_PLATFORM = "fake_platform"
    PRE_IPO_SHARES = "pre_ipo_shares"
    ADVANCE_FEE = "advance_fee"


def any_of(*alternatives: str) -> re.Pattern[str]:
    """One case-insensitive pattern matching any of ``alternatives``."""
    return re.compile("|".join(f"(?:{alternative})" for alternative in alternatives), re.IGNORECASE)


@dataclass(frozen=True)
class ScamRule:
    """A rule that makes the ``fraud_report`` intent, unless ``exclude`` also matches."""

    id: str
    pattern: str
    exclude: str | None = None


# Questions about fraud as a topic: recognising, preventing, or learning about it.
_ABOUT_FRAUD_ZH = (
    r"(识别|識別|辨别|辨別|分辨|防范|防範|预防|預防|防止|避免|谨防|謹防|警惕|识破|識破|鉴别|鑒別|"
    r"提防|当心|當心|小心|防骗|防騙|反诈|反詐|科普|宣传|宣傳|什么是|什麼是|是什么|是什麼)"
)
_ABOUT_FRAUD_EN = (
    r"\b(avoid|avoiding|prevent|prevention|protect|protection|recogni[sz]e|spot|spotting|"
    r"identify|detect|awareness|warning signs?|signs of|what is|what are|what's|"
    r"tips (on|for|to)|how (do|can|to) (i )?(tell|know))\b"
)
_OUR_PEOPLE_ZH = (
    r"(你们|你們|贵司|貴司|券商|证券|證券|公司|客服|工作人员|工作人員|员工|員工|客户经理|客戶經理)"
)

FRAUD_RULES: tuple[ScamRule, ...] = (
    ScamRule(
        "fraud.victim_zh",
        r"(被|遭|受)(人)?(骗|騙|诈骗|詐騙|欺诈|欺詐)|被.{1,12}(骗|騙)(了|走)|"
        r"上当了|上當了|上当受骗|上當受騙|上了(个|個)?(当|當)|骗了我|騙了我|骗走|騙走|骗了\d|"
        r"(遇到|遇上|碰到|遭遇|遭到|中了)(了)?(一个|一個|个|個)?"
        r"(骗子|騙子|诈骗|詐騙|骗局|騙局|杀猪盘|殺豬盤)|杀猪盘|殺豬盤|安全账户|安全賬戶",
        r"(避免|防止|以免|谨防|謹防|小心|当心|當心|不被|别被|別被|不会被|不會被|防|怕|害怕|担心|擔心|生怕)"
        r"(被|遭|受)?(人)?(骗|騙|诈骗|詐騙|上当|上當)|"
        r"(如何|怎么|怎样|怎麼|怎樣)(才能)?(识别|識別|辨别|辨別|防范|防範|识破|識破|避免|预防|預防)",
    ),
    ScamRule(
        "fraud.scam_group_zh",
        r"荐股群|薦股群|荐股直播|薦股直播|带单(老师|群)|帶單(老師|群)|"
        r"老师带(你|我|我们|大家)?(炒股|赚钱|买股|操作|打板)|老師帶(你|我|我們|大家)?(炒股|賺錢|買股|操作|打板)|"
        r"(股票|炒股|投资|投資)(交流)?群里?的?(老师|老師)",
        _ABOUT_FRAUD_ZH,
    ),
    ScamRule(
        "fraud.personal_account_zh",
        r"(转|轉|汇|匯|打|存|入金|充值|缴款|繳款)(账|賬|钱|錢|款)?(到|给|給|进|進|入)"
        r"(对方|對方|他|她|某人|一个|一個)?的?"
        r"(个人|個人|私人|陌生)(账户|賬戶|账号|賬號|银行卡|銀行卡|卡)",
        _ABOUT_FRAUD_ZH,
    ),
    ScamRule(
        "fraud.impersonation_zh",
        rf"(冒充|假冒|仿冒|冒用|自称|自稱)(是)?{_OUR_PEOPLE_ZH}|"
        r"(假|山寨|仿冒)的?(交易|炒股|证券|證券|投资|投資)?(app|软件|軟件|网站|網站|平台)|"
        r"骗子|騙子|(有人|对方|對方).{0,8}(要|让|讓|叫)我.{0,8}(验证码|驗證碼|密码|密碼)",
        _ABOUT_FRAUD_ZH,
    ),
    ScamRule(
        "fraud.report_zh",
        r"(举报|舉報|报案|報案|报警|報警).{0,6}(诈骗|詐騙|骗子|騙子|骗局|騙局|荐股|薦股|冒用|冒充)|"
        r"(诈骗|詐騙).{0,4}(报警|報警|报案|報案)",
    ),
    ScamRule(
        "fraud.victim_en",
        r"\b(i|i've|i have|we|we've|my \w+|i was|i got|we were|we got)\b.{0,20}"
        r"\b(scammed|defrauded|swindled|conned|cheated|ripped off)\b|"
        r"\b(a|the|this|that|it'?s a|it is a) (scam|scammer|fraudster|con artist)\b|\bscammers?\b|"
        r"\b(report|reporting) (a |an |some )?(fraud|scam|scammer)|"
        r"\bfraudulent (transaction|charge|transfer|call|message|app|website)s?\b|"
        r"\b(stock|investment|trading) (tips?|signals?) (group|chat)\b|"
        r"\b(pretending|claiming|posing) (to be|as) (from )?(your|an? \w+ from your)\b|"
        r"\bimpersonat(ing|es|ed) (you|your)\b|"
        r"\bfake (trading |investment |stock )?(app|website|platform)\b|"
        r"\bsafe account\b|"
        r"\b(transfer|send|wire|pay)(red|ed)? (the |my |some )?(money |funds |cash )?(to|into) "
        r"(a|his|her|their|someone'?s) (personal|private) (account|bank)",
        _ABOUT_FRAUD_EN,
    ),
    ScamRule(
        "fraud.keyword_en",
        r"\b(fraud|scam)\b",
        _ABOUT_FRAUD_EN
        + r"|\bfraud (protection|prevention|detection|alert settings?|policy)\b"
        + r"|\banti[- ]?(fraud|scam)\b",
    ),
)
"""The ``fraud_report`` rules, in the order they are tried."""


_CODE = r"(?:验证码|短信码|动态码|校验码|yzm)"  # a one-time code, as investors type it

SIGNAL_PATTERNS: Mapping[FraudSignal, re.Pattern[str]] = {
    FraudSignal.TEACHER_GROUP: any_of(
        r"老师[^，,。]{0,6}(?:带|指导|荐股|喊)|带(?:你|我|大家)?炒股|股神|导师|股票老师|[“\"]老师[”\"]",
        # pulled into a group by a "teacher", or told to trade as he does
        r"老师[^，,。]{0,4}(?:拉|加|邀请?)[^，,。]{0,4}(?:群|微信|qq)|跟着?老师[^，,。]{0,3}(?:操作|买|做|炒)",
        r"\b(?:stock|trading|investment)\s+(?:teacher|mentor|guru)s?\b|\bmentor\b",
        r"\bteacher\b[^.]{0,30}\b(?:group|chat|stocks?|trad\w*|fee)\b|[“\"]teacher[”\"]",
    ),
    FraudSignal.STOCK_TIP_GROUP: any_of(
        r"(?:荐股|股票|炒股|牛股|投资|理财|内部|vip)群|推荐股票的群|群[^，,。]{0,6}晒收益",
        r"\b(?:stock|trading|investment)\s+(?:tips?\s+)?(?:group|chat|club)\b",
        r"\b(?:whatsapp|telegram)\s+group\b|\bgroup\b[^.]{0,20}\bshowing\s+profits\b",
        # Someone in a chat vouching that a stock will surely rise is the tip group's bait.
        r"(?:群里|群主|老师|大师|博主|主播|网友|陌生人)[^。？?]{0,12}(?:肯定|一定|必定?|稳|保证|百分百)"
        r"[^，,。]{0,4}(?:涨停|大涨|翻倍|拉升|暴涨|会?涨)",
        r"\b(?:group|teacher|mentor|guru|influencer|stranger)\b[^.?]{0,40}\b(?:guaranteed|definitely|"
        r"surely|sure\s+to|100%)\b[^.?]{0,20}\b(?:rise|go\s+up|hit\s+(?:the\s+)?limit|double|soar)",
    ),
    FraudSignal.SIGNAL_CALLING: any_of(
        r"带单|喊单|跟单", r"\bcopy[- ]?trad\w*|\bcall(?:s|ing)?\s+signals?\b"
    ),
    FraudSignal.INSIDER_INFO: any_of(
        # Someone offering inside news; "中签率这么低 是不是有内幕" doubts fairness, offers nothing.
        r"内幕(?:消息|信息|票|股|渠道|通道)|内部消息|小道消息|庄家消息",
        r"(?:说|称|知道|掌握|拿到|弄到|搞到)[^，,。？?]{0,4}内幕",
        r"\binsider\s+(?:info\w*|tips?|news)\b|\binside\s+information\b",
    ),
    FraudSignal.PERSONAL_ACCOUNT_TRANSFER: any_of(
        r"(?:转|汇|打)[^，,。]{0,10}(?:个人|私人|对方的?|他的?|她的?)(?:账户|账号|帐户|帐号|银行卡|卡)",
        r"(?:个人|私人)(?:账户|账号|帐户|帐号|卡)",
        r"\b(?:transfer|send|sent|wire|pay|deposit)\w*\b[^.]{0,40}\b(?:personal|private|his|her)"
        r"\s+(?:bank\s+)?(?:account|card)\b",
    ),
    FraudSignal.SAFE_ACCOUNT_TRANSFER: any_of(
        r"安全账户|监管账户|陌生账户|指定的?(?:监管|安全)?账户",
        r"\b(?:safe|secure|safety)\s+(?:holding\s+)?account\b|\bunknown\s+account\b",
    ),
    FraudSignal.GUARANTEED_PROFIT_GROUP: any_of(
        r"(?:保本|稳赚|保证收益|高收益|包赚|百分百中签|翻[十百]倍)[^，,。]{0,8}"
        r"(?:群|项目|平台|课程|广告|通道)",
        r"(?:群|平台|广告|通道)[^，,。]{0,10}(?:保本|稳赚|保证收益|包赚|百分百中签|翻[十百]倍)",
        # Nobody can promise a lottery: an offer of a sure allotment, for a fee or from someone.
        r"(?:保证|包|必|稳|百分百|100%)中签[^。]{0,12}(?:收|交|付|费|元|块|钱)",
        r"(?:有人|他们|对方|说|承诺|能帮|帮我|渠道|通道|内部)[^。]{0,16}(?:保证|包|必|稳|百分百|100%)中签",
        r"\bguaranteed[- ](?:high\s+)?(?:profits?|returns?)\b[^.]{0,20}"
        r"\b(?:group|club|chat|plan)\b",
        r"\b(?:groups?|ads?|adverts?|promoters?)\b[^.]{0,30}\bguaranteed\b",
        r"\bguarantee\w*\b[^.]{0,30}\b(?:ipo|allotment|new shares?)\b[^.]{0,40}"
        r"\b(?:fee|pay|paid|charge\w*|yuan|rmb)\b",
        # A figure someone promises ("saying ... guaranteed 30% returns"); the investor asking for
        # such a product ("给我一个保证每个月10%收益的产品") is declined as advice, not warned.
        r"(?:有人|他们|对方|群里|群主|老师|平台|客服|经理|说|称|承诺|号称)[^。？?]{0,16}"
        r"保证[^，,。]{0,4}\d+(?:\.\d+)?\s*%",
        r"\b(?:saying|says|said|promis\w*|offer\w*|claim\w*|they|team|group|app|platform)\b"
        r"[^.?!]{0,120}\b(?:guaranteed?\s+\d+(?:\.\d+)?\s*%|\d+(?:\.\d+)?\s*%\s+guaranteed)",
        # "机构专用通道打新", "an institutional account for IPO allocation": a special way to win
        # the lottery that no investor is offered.
        r"机构(?:专用)?(?:账户|帐户|通道|席位|名额)[^。]{0,10}(?:打新|申购|中签|配售)",
        r"\binstitutional\s+(?:accounts?|channels?|seats?|quotas?)\b[^.]{0,20}"
        r"\b(?:ipos?|allocation|allotments?|new\s+shares?)\b",
    ),
    FraudSignal.VERIFICATION_CODE_SHARED: any_of(
        # The code passed on; the system sending one ("重置要发验证码", "点发送验证码",
        # "验证码发到旧号上") is not that.
        rf"{_CODE}[^，,。]{{0,10}}(?:给|发(?!到|送)|告诉|提供|报)|"
        rf"(?<![要需会得点])(?:给|发(?!送)|告诉|提供|报)了?[^，,。]{{0,10}}{_CODE}",
        # Someone asking for the code; "登录要验证码" (the login needs one) is not that.
        rf"(?:索要|问我要|向我要|跟我要|找我要|要我的?|让我(?:提供|告诉|发|报))[^，,。]{{0,6}}{_CODE}",
        r"\b(?:gave|give|send|sent|share|shared|told|tell|asked|asking|wanted|wants|read|say|"
        r"forward|forwarded)\b[^.]{0,30}"
        r"\b(?:verification|sms|otp)\s+code",
        r"\bcode\s+that\s+was\s+(?:just\s+)?(?:texted|sent)\b",
        # "asking me to reply with the 6 digit code": a code asked for back, whatever it is called
        r"\b(?:reply|respond|text\s+back|answer)\s+with\s+(?:the|my|a|your|that)?\s*"
        r"(?:\d\s*-?\s*digit\s+|one[- ]time\s+)?(?:code|otp|pin)\b",
    ),
    FraudSignal.REMOTE_CONTROL: any_of(
        r"屏幕共享|共享屏幕|远程控制|远程协助|向日葵|anydesk|teamviewer",
        r"\bscreen[- ]?shar\w*|\bremote\s+(?:control|access|desktop)\b",
    ),
    FraudSignal.IMPERSONATION: any_of(
        r"(?:冒充|自称|假冒|冒用|打着|假装|说是)[^，,。]{0,8}"
        r"(?:你们|客服|证监会|券商|工作人员|公安|警察|交易所|员工|客户经理|名义|旗号|公司)",
        r"(?:公安|警察|检察院|法院)[^，,。]{0,6}(?:打电话|来电)|涉嫌洗钱|赃款",
        r"\b(?:pretend\w*|claim\w*|impersonat\w*|posing)\b[^.]{0,30}\b(?:your|csrc|regulator|police"
        r"|customer service|broker\w*|staff|company|account manager|advis[eo]r|exchange)\b",
        r"\b(?:call|calls|called|message|text|sms|email|e-mail)\b[^.]{0,15}\bfrom\b[^.]{0,8}"
        r"['\"“]?(?:csrc|the police|police|a regulator|the regulator|your company|the exchange|"
        r"sse|szse)\b",
        r"\b(?:said|says)\s+(?:that\s+)?(?:they|he|she)(?:'re|\s+(?:were|was|are|is|works?))\s+"
        r"(?:from\s+|for\s+|in\s+|with\s+)?(?:your|you)\b",
        r"\bfake\s+(?:support|customer service|staff|agent)\b",
        r"\busing\s+your\s+(?:logo|name|brand)\b",
        r"\bmoney\s+laundering\b",
    ),
    FraudSignal.PHISHING_LINK: any_of(
        r"(?:点|点击|打开)[^，,。]{0,6}链接|链接[^，,。]{0,10}(?:验证|升级|填|输入|登录)|升级账户",
        # "里面有个链接让点": the link to click named after it
        r"链接[^，,。]{0,4}(?:让|叫|要)我?(?:点|点击|打开)",
        r"(?:验证|升级|解冻|登录|认证)[^，,。？?]{0,6}链接",
        r"\bclick\w*\b[^.]{0,20}\blink\b|\blink\b[^.]{0,30}\b(?:verify|upgrade|log\s?in)\b",
        r"\b(?:verify|upgrade|unfreeze|log\s?in|update|confirm)\w*\b[^.?!]{0,20}\b(?:at|via|on|through|"
        r"using)\s+(?:a|the|this|that|some)\s+link\b",
        r"\baccount\s+upgrade\s+link\b",
    ),
    FraudSignal.FAKE_PLATFORM: any_of(
        r"假的?(?:交易)?(?:app|平台|网站)|山寨|杀猪盘",
        r"(?:平台|app)[^，,。]{0,12}(?:取不出|提不出|无法提现|提现不了|不能提现)|提现[^，,。]{0,8}(?:先交|要交)",
        r"(?:(?:让|叫)我?|要我)(?:去)?下(?:载)?(?:个|一个)?(?![^，,。]{0,6}(?:官方|你们|贵公司))"
        r"[^，,。]{0,6}(?:app|软件|平台)",
        r"\bfake\s+(?:trading\s+)?(?:app|platform|website|site)\b|\bpig[- ]butchering\b",
        r"\b(?:want|wants|wanted|asked|asking|told|tells|telling|got)\s+(?:me|us)\s+to\s+"
        r"(?:download|install)\b[^.]{0,30}\b(?:app|software|platform)\b",
        r"\b(?:platform|app)\b[^.]{0,40}\bcan'?t\s+withdraw\b",
        # Someone's message telling the investor to install an app from a link.
        r"\b(?:saying|says|said|telling|told)\b[^.]{0,12}\b(?:download|install)\b[^.]{0,30}"
        r"\b(?:app|software|platform)\b|\b(?:download|install)\w*\b[^.]{0,30}"
        r"\b(?:app|software|platform)\b[^.]{0,10}\b(?:from|via|through)\s+(?:a|the|this|that|their)"
        r"\s+link\b",
    ),
    FraudSignal.PRE_IPO_SHARES: any_of(r"原始股|内部股", r"\bpre-ipo\b|\binsider\s+shares\b"),
    FraudSignal.ADVANCE_FEE: any_of(
        r"先(?:交|打钱|付|缴)|会员费|定金|(?:交|缴)[^，,。]{0,6}保证金[^，,。]{0,6}(?:解冻|中签|提现|出金|取出)",
        r"(?:解冻|中签)[^。]{0,12}(?:交|缴)[^，,。]{0,6}(?:保证金|费)",
        r"\bpa(?:y|id)\s+upfront\b|\bmembership\s+fee\b|\b(?:deposit|fee)\b[^.]{0,20}\bunfreeze\b|"
        r"\bpay\s+(?:a|the)\s+(?:fine|fee|penalty)\b[^.]{0,30}\b(?:link|account|transfer)\b",
    ),
}
"""What each :class:`FraudSignal` looks like in an investor's message."""
