"""Reading a question about the investor's *own* account out of what they typed.

:func:`detect_account_query` recognises "what is my commission rate?", "我昨天转的钱到了没",
"did I win the IPO?" — in Chinese, English or a mix of both — and says which
part of the account it is about, with any detail the text gives (a security,
a day, a board). A question about the rules ("佣金一般是多少", "银证转账多久到账",
"how do I pay for an allotment?") is *not* an account query: it goes to the FAQ.

Precision matters more than recall: a wrong "account query" answers a rules
question with the investor's figures, while a missed one still gets the FAQ. So a
question fires only when

* it names a part of the account (the *topic*: 佣金, 转账, 委托, 中签, ...),
* it is about the investor's own records: a status asked about (到了没, 成交了吗,
  did I win, 开通了吗), a possessive (我的, my), an own past action (我昨天转的,
  I transferred) or a plain first person with nothing general about it,
* nothing marks it as general (一般, 怎么开通, 如果, what happens if, requirements,
  how do I ...), as a change request (能降佣金吗), as advice (适合买什么), as about
  someone else (我老婆的账户), or as a wish to apply (我想开通创业板: the
  eligibility flow's job),
* and exactly one part of the account fits; two are left to the FAQ and the person.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict

from assistant.accounts import CommissionProduct, StatementKind
from assistant.boards import read_board
from intents.flow_engine import normalise
from knowledge.text import join_han

AccountQueryKind = Literal[
    "commission", "transfers", "orders", "ipo", "permissions", "risk", "id_expiry", "statement"
]
ACCOUNT_QUERY_KINDS: tuple[AccountQueryKind, ...] = get_args(AccountQueryKind)

DateWord = Literal[
    "today",
    "yesterday",
    "day_before_yesterday",
    "this_week",
    "last_week",
    "this_month",
    "last_month",
    "this_year",
    "last_year",
    "recent",
]
StatusHint = Literal["failed", "cancelled", "rejected"]


class AccountQuery(BaseModel):
    """An investor asking about their own account, and the details their words give."""

    model_config = ConfigDict(frozen=True)

    kind: AccountQueryKind
    security: str | None = None
    """A six-digit code, or a name as typed ("茅台"); orders and IPO only."""
    when: DateWord | None = None
    board: str | None = None
    """A permission named in the text (chinext, star, ...); permissions only."""
    product: CommissionProduct | None = None
    """Commission only: the one product asked about (ETF, convertible bonds, ...)."""
    statement_kind: StatementKind | None = None
    status: StatusHint | None = None
    """What went wrong, as the investor puts it: a failed transfer, a cancelled order, ..."""


# A word boundary for ASCII words only: Python counts Chinese characters as word characters,
# so a plain \\b finds no boundary in "我的commission".
_ASCII_BOUNDARY = r"(?:(?<![a-z0-9])(?=[a-z0-9])|(?<=[a-z0-9])(?![a-z0-9]))"


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern.replace(r"\b", _ASCII_BOUNDARY), re.IGNORECASE)


def _any(*alternatives: str) -> re.Pattern[str]:
    return _compile("|".join(alternatives))


# Who the question is about. Strong: a possessive or an own past action; weak: a first person.
_MINE = _any(r"我的", r"我(?:账户|帐户|账号|名下|这边)", r"本人的", r"\bmy\b", r"\bmine\b")
_ACTED = _any(
    r"(?:我|刚才|刚刚|刚|昨天|昨日|今天|今早|早上|上午|下午|中午|前天|上周|前几天)"
    r"[^，,。？?！!]{0,6}?(?:转|挂|下|打|买|卖|申购|委托|提|存|汇|充|撤)(?:了|的|过)",
    r"\bi (?:just |already |have |had )?(?:transferred|sent|deposited|withdrew|moved|placed|"
    r"put in|bought|sold|subscribed|applied)\b",
)
_FIRST_PERSON = _any(
    r"(?<![你他她它])我(?!们)", r"俺", r"本人", r"\bi\b", r"\bme\b", r"\bi'?m\b", r"\bi'?ve\b"
)
_CHECK = _any(r"帮我查", r"帮忙查", r"查一下", r"查一查", r"查查", r"\bcheck\b", r"\blook up\b")

# General, hypothetical, how-to, advice, eligibility or about someone else: never an account query.
_NOT_MINE = _any(
    # hypotheticals and consequences
    r"如果|要是|假如|假设|万一|的话|会怎样|会怎么样|会不会|会有什么|会有啥|有什么影响|有什么后果|什么后果",
    r"\bwhat happens\b|\bwhat if\b|\bif (?:i|my|you|the|an?|it)\b|\bsuppose\b|\bwhat would\b",
    # how to do something (怎么 + a verb; 怎么还没到 and 怎么被撤了 ask why, and stay)
    r"(?:怎么|怎样|如何|咋)(?:才能?|可以|能|去|来)?(?:操作|办理|开通|开|申请|缴款|缴费|缴|交钱|交款|交|"
    r"转账|转|出金|入金|更新|上传|换|查询|查看|查|看|做|测|提高|增加|降低|调低|调整|计算|算|收|撤单|撤|"
    r"设置|修改|改|取消|获得|打印|下载|弄|重做|重新|补|预约|避免|防止|处理|解决|确定|选)",
    r"\bhow (?:do|can|could|should|would) (?:i|you|we|one)\b|\bhow to\b|\bhow (?:is|are|does|do)\b",
    r"\bwhere (?:can|do|should) i\b|\bsteps?\b|\bprocedure\b",
    r"哪个菜单|(?:在|去)?(?:app|软件|手机)(?:里|上)?(?:哪|在哪)|(?:在哪|哪里)(?:里)?(?:看|查|找|撤|签|设置|申请)",
    r"\bwhich menu\b|\bwhere (?:in|on) the app\b",
    # definitions and rules in general
    r"什么是|是什么意思|啥意思|什么意思|指的是|含义",
    r"\bwhat(?:'s| is| are) an?\b|\bwhat does\b[^?]*\bmean\b|\bmeaning\b|\bexplain\b|\bdefin",
    r"一般|通常|普遍|大多|行业|市场上|别的券商|其他券商|别家|你们公司|你们的|贵公司|大家|新手",
    r"\bin general\b|\busual(?:ly)?\b|\btypical(?:ly)?\b|\bnormal(?:ly)?\b|\baverage\b",
    r"\bstandard\b|\bother brokers?\b|\byour (?:firm|company|brokerage)\b|\beveryone\b",
    r"\bbeginners?\b|\bwhy do(?:es)? (?:an? |the )?orders?\b|\bwhy would\b",
    r"什么情况下|哪些情况|什么时候会|\bin what cases?\b|\bwhen would\b",
    r"(?:中签|开通|转账|委托|下单|申购|测评|过期|到期)(?:后|以后|之后)",
    # eligibility: the permission flow's question, not a record
    r"条件|门槛|要求|资格|符合|够不够|满足|够格|达标|准入",
    r"能(?:不能)?开(?:通)?[^，,。？?]{0,8}(?:吗|么|嘛)|可以开(?:通)?[^，,。？?]{0,8}(?:吗|么|嘛)|能不能开",
    r"\beligib|\bqualif|\brequire|\bcriteria\b|\bconditions?\b|\bthreshold\b",
    r"\bcan i (?:open|apply|get|enable|activate)\b",
    # advice
    r"能买什么|可以买什么|适合|能投什么|买什么|值得|推荐|建议",
    r"\bwhat can i buy\b|\bshould i\b|\bsuitable\b|\bworth\b|\brecommend",
    # someone else's account
    r"(?:我|my)\s*(?:老婆|老公|妻子|丈夫|爱人|媳妇|妈妈|妈|爸爸|爸|父母|父亲|母亲|儿子|女儿|孩子|朋友|同事|家人|亲戚)",
    r"别人|他的|她的|其他人|\b(?:wife|husband|mother|mom|father|dad|son|daughter|friend|colleague|"
    r"partner)'?s?\b|\bsomeone else\b|\banother (?:person|investor|account)\b|\bhis\b|\bher\b",
)

# General wording that outweighs a plain first person (but not a possessive or a status).
_GENERAL_WORDING = _any(
    r"多久|多长时间|几天|几个工作日|几点|时间|时候|规则|流程|限额|额度|上限|标准|可以|能不能|能否|可否|"
    r"支持|允许|需要|要不要",
    r"\bhow long\b|\bcan i\b|\bcan you\b|\bis it possible\b|\bare there\b|\bis there\b",
    r"\blimits?\b|\brules?\b|\bhours\b|\bwhen can\b|\bdo i need\b",
)


@dataclass(frozen=True)
class _Rule:
    """One part of the account: the words that name it, the words that ask for its status
    (which alone make the question personal), and the words that rule it out."""

    kind: AccountQueryKind
    topic: re.Pattern[str]
    status: re.Pattern[str]
    veto: re.Pattern[str]
    needs_status: bool = False
    needs_person: bool = False


_RULES: tuple[_Rule, ...] = (
    _Rule(
        "commission",
        topic=_any(
            r"佣金|费率|手续费|交易费|万几|万分之几",
            r"\bcommissions?\b|\bfee rates?\b|\btrading fees?\b|\bbrokerage fees?\b",
            r"\bfees? (?:do|will) i pay\b|\bcharged? me\b|\bfees? per (?:trade|order)\b",
        ),
        status=_any(
            r"我(?:现在)?(?:的)?(?:佣金|费率)(?:是|有)?(?:多少|几|啥|什么)", r"\bwhat do i pay\b"
        ),
        veto=_any(
            r"降|调低|调整|优惠|打折|谈|砍|太高|太贵|贵了|便宜|减免|能不能少|少收|为什么这么|比别人",
            r"\blower\b|\breduce\b|\bnegotiat|\bdiscount|\bcheaper\b|\btoo high\b|\bwaive|\bcut\b",
            r"\bexpensive\b",
            r"(?:那|这)笔|收了(?:我)?多少|扣了(?:我)?多少|为什么[^，,。？?]{0,12}(?:收|扣)",
            r"多收|退给我|退钱|退还|不认|\brefund\b|\bovercharg",
            r"\bwhy was i charged\b|\bon (?:a|that|this|one) (?:\w+ )?trade\b|\b5 yuan\b",
            r"转账|转托管|销户|开户费|证明|对账单|提现|出金|入金|利率|利息|印花税|过户费",
            r"\btransfer|\bwithdraw|\bdeposit|\bstamp duty\b|\binterest\b|\bmargin rate\b",
        ),
    ),
    _Rule(
        "transfers",
        topic=_any(
            r"银证|转账|转入|转出|转进|转过来|转到|转的钱|打的钱|打进|存进|存入|入金|出金|划转|到账|提现|"
            r"取出来|取钱|钱[^，,。？?]{0,4}(?:到|没到)|转[0-9一二三四五六七八九十百千万块元w]+(?:进|出|到|入)",
            r"\btransfers?\b|\btransferred\b|\bdeposits?\b|\bdeposited\b|\bwithdraw(?:al|als|n)?\b",
            r"\bwithdrew\b|\bmoney (?:i )?(?:sent|moved)\b|\bcash out\b|\bmy money\b",
        ),
        status=_any(
            r"到了吗|到了没|到没到|到账了吗|到账没|到账了没|没到|没有到|未到账|成功了吗|成功没|成功了没|"
            r"失败了|没成功|不成功|转不出|转不进|转不了|被退|退回|怎么还|为什么还|咋还|哪去了|去哪了|钱在哪",
            r"(?:最后|最近|上)一(?:次|笔)|转了多少|\b(?:last|latest|most recent) (?:bank )?"
            r"(?:transfer|deposit|withdrawal)\b",
            r"\bhas(?:n't| not)? (?:it |my [a-z]+ |the [a-z]+ )?(?:arrived|gone through|cleared|"
            r"landed|come through)",
            r"\bhave(?:n't| not)? (?:arrived|gone through|cleared)",
            r"\bdid(?:n't| not)? (?:it |my [a-z]+ |the [a-z]+ )?(?:arrive|go through|clear|land|"
            r"come through|fail|work)",
            r"\bfailed\b|\bbounced\b|\bstill pending\b|\bnot arrived\b|\bwhere is\b|\bwhere's\b",
            r"\bwhat happened to\b",
        ),
        veto=_any(
            r"手续费|费用|收费|利息|分红|股息|红利|退款|中签|新股|打新|申购|缴款|转托管|转户|佣金",
            r"\bfees?\b|\bdividend|\bipo\b|\ballot|\bcommission|\bcustody\b",
            r"余额|现金|可用资金|可取(?:金额|资金)|(?:能|可以)取(?:出来)?多少|有多少钱|还剩多少|密码",
            r"\bbalance\b|\bhow much cash\b|\bpassword\b|\bpin\b",
            r"卖(?:了|的|出)[^，,。？?]{0,8}(?:钱|资金|美元|港币)|交收|t\+\d|逆回购|回购",
            r"\bsale proceeds\b|\bafter selling\b|\bsold\b|\bsettle|\brepos?\b|\bmatur",
        ),
    ),
    _Rule(
        "orders",
        topic=_any(
            r"委托|订单|单子|挂单|挂的|下的单|下单|的单|成交|撤单|撤了|被撤|废单|买单|卖单",
            r"基金[^，,。？?]{0,6}(?:确认|申购|赎回)|(?:申购|赎回)的?[^，,。？?]{0,4}基金",
            r"\borders?\b|\bfilled\b|\bfill\b|\bexecuted\b|\bcancell?ed\b|\brejected\b",
            r"\bmy (?:buy|sell|trade|trades)\b",
        ),
        status=_any(
            r"成交了吗|成交了没|成交没|成交了么|有没有成交|成没成交|没成交|没有成交|未成交|成交了多少|"
            r"成交了一部分|部分成交了|只成交了|撤了|被撤了|被撤掉|撤掉了|撤单了|给撤了|废单|被拒|失败了|"
            r"不成功|买到了吗|买到没|买成了吗|卖掉了吗|卖出去了吗|卖出了吗|卖成了吗|怎么还|为什么还|"
            r"为什么(?:没|被|是)|怎么(?:没|被|是|成了)|确认了(?:吗|没)|找不到|看不到|不见了|没(?:有)?显示",
            r"\bcan'?t (?:find|see)\b|\bnot showing\b|\bmissing\b",
            r"\bis (?:it|my [a-z0-9 ]{0,20}order) (?:filled|executed|done|cancell?ed)\b",
            r"\b(?:was|has|did|were|have|is)\b[^.?]{0,30}\b(?:filled|executed|cancell?ed|rejected|"
            r"go through|gone through)\b",
            r"\bwhy (?:was|did|is|has|were)\b|\bnot filled\b|\bunfilled\b",
        ),
        veto=_any(
            r"申购(?!的?[^，,。？?]{0,4}基金)|中签|新股|新债|打新|条件单|预埋单|\bipo\b|\ballot|\bsubscri",
            r"申请|揭示书|签署|不能撤|集合竞价|冻结|解冻|明天|下一?个?交易日|继续(?:挂|有效)|重新下",
            r"\bappl(?:y|ied|ication)\b|\bsign\b|\bdisclosure\b|\bauction\b|\bcan'?t cancel\b",
            r"\bfrozen\b|\bfreeze\b|\btomorrow\b|\bnext day\b|\bcarry over\b",
            r"转账|银证|对账单|交割单|证明|\btransfer|\bstatements?\b|\bconfirmations?\b|\bproof\b",
            r"\bcertificate",
        ),
    ),
    _Rule(
        "ipo",
        topic=_any(
            r"中签|中的签|新股|打新|申购|新债|配号|缴款|中没中|中了没|中了吗|有没有中",
            r"\bipos?\b|\bnew (?:share|listing|bond)s?\b|\ballot(?:ted|ment|ments)?\b|\blottery\b",
            r"\bsubscri(?:be|bed|ption|ptions)\b|\bhow many (?:shares|lots) did i apply\b",
        ),
        status=_any(
            r"中签了吗|中签没|中签了没|中签了么|中没中|中了没|中了吗|中了么|有没有中|中签了?多少|中了几|"
            r"中了多少|签了吗|要交多少|要缴多少|缴多少|交多少钱|应缴|该交|缴款了吗|缴了没|扣款了吗|扣了没|"
            r"扣钱了吗|什么时候(?:交|缴|扣)|几点前(?:交|缴)|哪天(?:交|缴)|中签了要",
            r"\bdid i (?:win|get)\b|\bhave i (?:won|got|been allotted)\b|\bwas i (?:allotted|lucky|"
            r"successful)\b|\bam i allotted\b|\bhow much (?:do|should|must) i (?:pay|need)\b",
            r"\bwhen (?:do|must|should) i pay\b|\bpayment due\b|\bhow much is due\b|\bdue today\b",
            r"\bhow many (?:shares|lots) did i (?:apply|subscribe)",
        ),
        veto=_any(
            r"中签率|概率|几率|技巧|提高|市值|额度|日历|今天有什么|(?<!了)哪些新股|(?<!了)什么新股|上市|申购规则",
            r"基金|权限|能(?:不能)?申购|可以申购|什么时候能知道|会(?:发|有)短信",
            r"\bfunds?\b|\bpermission|\bcan i (?:subscribe|apply)\b|\bwhen will i know\b",
            r"\bchances?\b|\bodds\b|\bimprove\b|\bincrease\b|\btips?\b|\bquota\b|\bcalendar\b",
            r"\bwhich ipos\b|\bwhat ipos\b|\blist(?:ed|ing)? (?:date|day)\b",
        ),
    ),
    _Rule(
        "permissions",
        topic=_any(
            r"权限|创业板|科创板|北交所|港股通|沪港通|深港通|两融|融资融券|信用账户|可转债|转债|期权",
            r"\bpermissions?\b|\baccess\b|\bchinext\b|\bstar market\b|\bstar board\b|\bbse\b",
            r"\bstock connect\b|\bmargin\b|\bconvertibles?\b|\boptions\b|\bboards?\b",
        ),
        status=_any(
            r"开了哪些|开通了哪些|开通了什么|开了什么|(?:哪些|什么)(?:权限|permissions?)",
            r"我的[^，,。？?]{0,4}(?:权限|permissions?)",
            r"(?:开通|开)[^，,。？?]{0,8}?(?:了吗|了没|了么|了嘛|了不)|开没开|开通没|(?:开通|开)[^，,。？?]{0,6}?没有?$",
            r"有没有[^，,。？?]{0,6}(?:权限|开通|开)|是否(?:已经?)?开通|已经开通了?吗|开通成功|开好了|通过了吗|"
            r"审核(?:通过)?了吗|什么时候开(?:通)?的|哪天开(?:通)?的|开通日期|开通时间",
            r"\b(?:which|what) (?:[a-z]+ )?permissions\b",
            r"\bmy (?:[a-z ]{0,20})?(?:permissions?|access)\b",
            r"\bdo i have\b|\bhave i (?:got|been (?:granted|approved|given))\b",
            r"\b(?:is|are)\b[^.?]{0,30}\b(?:enabled|activated|opened|open|active|approved)\b",
            r"\bhas my\b[^.?]{0,30}\b(?:approved|granted|activated|enabled)\b",
            r"\bwhen (?:was|were|did)\b[^.?]{0,30}"
            r"\b(?:granted|enabled|activated|opened|approved)\b",
            r"\bwhat boards can i trade\b|\bam i (?:allowed|able) to trade\b",
        ),
        veto=_any(
            # A wish to apply is the eligibility flow's; "上周申请的" is a past application.
            r"我想|我要|想要|想开|打算|准备|帮我开|给我开|申请(?![的了过])|办理(?![的了过])|取消|关闭|注销",
            r"\bi want\b|\bi'?d like\b|\bhelp me\b|\bapply\b|\benable (?:it|my|the)\b|\bcancel\b",
            r"中签|申购|新债|打新|费率|佣金|测评|成交|委托|订单|单子|股价|行情",
            r"\bipo\b|\ballot|\bcommission\b|\brisk\b|\borders?\b|\bfilled\b|\bprice\b",
        ),
        needs_status=True,
    ),
    _Rule(
        "risk",
        topic=_any(
            r"风险等级|风险承受|风险测评|风测|风评|测评|风险评估|风险类型|风险偏好|投资者类型|\bc[1-5]\b|c几",
            r"\brisk (?:level|rating|profile|assessment|questionnaire|tolerance|category|grade|"
            r"test|"
            r"score)s?\b|\bsuitability (?:assessment|questionnaire|level|test)\b",
        ),
        status=_any(
            r"(?:过期|到期|失效)(?:了吗|了没|了么|没有?)|什么时候(?:过期|到期|失效)|哪天(?:过期|到期)|"
            r"有效期(?:到|是|还有|多久)|到哪天|快(?:过期|到期)|是不是(?:快)?(?:过期|到期)|还有效吗|还有多久",
            r"是什么|是啥|是多少|多少级|几级|c几|哪一级|哪个等级|等级多少|多少",
            r"\bexpir\w*|\bstill valid\b|\bvalid until\b|\bam i\b|\bwhat(?:'s| is) my\b",
            r"\bwhich (?:level|category)\b|\bwhen (?:was|did)\b|我的|\bmy\b",
        ),
        veto=_any(
            r"能买|可以买|能投|重新测评|重做|重测|再测",
            r"匹配|买不了|不能买|低一档|产品|知识测评|知识测试|考试|及格|多少分",
            r"\bmismatch|\bproduct\b|\bknowledge test\b|\bexam\b|\bpass\b",
            r"\bbuy\b|\binvest in\b|\bredo\b|\bretake\b|\bre-?do\b|\bagain\b",
        ),
        needs_status=True,
        needs_person=True,
    ),
    _Rule(
        "id_expiry",
        topic=_any(
            r"(?:身份证|证件|身份证明|护照|回乡证|通行证|台胞证|居留证|居住证)[^，,。？?]{0,8}"
            r"(?:过期|到期|有效期|失效|期限)",
            r"(?:过期|到期|有效期|失效)[^，,。？?]{0,6}(?:身份证|证件|护照)",
            r"\b(?:id|id card|identity card|identity document|id document|passport|"
            r"identification)\b"
            r"[^.?]{0,30}\b(?:expir\w*|valid\w*|out of date)",
            r"\b(?:expir\w*|validity)\b[^.?]{0,20}\b(?:id|passport|identity)\b",
            r"\b(?:id|id card|identity card|id document|passport)\b[^.?]{0,30}"
            r"(?:过期|到期|有效期|失效)",
            r"(?:身份证|证件|护照)[^.?]{0,8}\b(?:expir\w*|valid\w*)",
        ),
        status=_any(
            r"(?:过期|到期|失效)(?:了吗|了没|了么|没有?)|是不是(?:快|要)?(?:过期|到期)|快(?:要)?(?:过期|到期)|"
            r"要(?:过期|到期)了|什么时候(?:过期|到期|失效)|哪天(?:过期|到期)|有效期(?:到|是|还有|多久|截止)|"
            r"到哪天|到什么时候|还有效吗",
            r"\bexpir\w*|\bstill valid\b|\bvalid until\b|\bout of date\b",
        ),
        veto=_any(
            r"更新|上传|换|补办|影响|还能|能不能|交易|被(?:限制|冻结)了|受限了",
            r"\b(?:got|is|was|been|has been) (?:restricted|frozen|blocked|suspended)\b",
            r"\bupdate\b|\bupload\b|\brenew|\breplace\b|\bcan i\b|\baccepted\b|\bwhich\b|\btrade\b",
        ),
        needs_status=True,
        needs_person=True,
    ),
    _Rule(
        "statement",
        topic=_any(
            r"对账单|资产证明|交割单|资金流水|流水单|持仓证明|资金证明|存款证明|账户证明|结单",
            r"\bstatements?\b|\bproof of (?:assets|funds|holdings|deposit)\b",
            r"\basset (?:certificate|proof)\b|\bcertificate of (?:assets|deposit|holdings)\b",
            r"\btrade confirmations?\b",
        ),
        status=_any(
            r"帮我|给我|我要|我想要|我想|我需要|需要一份|申请|麻烦|请(?:帮|给|开|出|寄|发)|开(?:一|个|张|份)|"
            r"出(?:一|个|张|份)|打(?:一|个|张|份|印)|寄(?:一|个|份|给)|发(?:一|个|份|给|我)|开具|弄(?:一|个)|"
            r"来一份",
            r"\bsend me\b|\bgive me\b|\bget me\b|\bemail me\b|\bmail me\b|\bi need\b|\bi'?d like\b",
            r"\bi would like\b|\bi want\b",
            r"\b(?:please|can you|could you) "
            r"(?:issue|send|prepare|generate|provide|email|mail|get)\b",
            r"\brequest (?:a|an|my)\b|\bissue (?:me )?(?:a|an|my)\b|\bgenerate (?:a|an|my)\b",
        ),
        veto=_any(
            r"在哪|哪里|收费|多少钱|要钱吗|看不懂|什么内容|有什么用|多久|几天",
            r"多收|退给我|退钱|退还|不认|投诉|\brefund\b|\bovercharg",
            r"\bwhere\b|\bfees?\b|\bcost\b|\bcharge\b|\bwhat does\b|\bhow long\b",
        ),
        needs_status=True,
    ),
)


def _squeeze(text: str) -> str:
    """Normalised, with the spaces investors type between Chinese words taken out."""
    return join_han(normalise(text))


def _fits(rule: _Rule, text: str) -> bool:
    if not rule.topic.search(text) or rule.veto.search(text):
        return False
    asks_status = rule.status.search(text) is not None
    strong = _MINE.search(text) is not None or _ACTED.search(text) is not None
    weak = _FIRST_PERSON.search(text) is not None or _CHECK.search(text) is not None
    if rule.needs_status and not asks_status:
        return False
    if rule.needs_person and not (strong or weak):
        return False
    return asks_status or strong or (weak and _GENERAL_WORDING.search(text) is None)


def detect_account_query(text: str) -> AccountQuery | None:
    """The account question in ``text``, or ``None`` for anything else (a rules question,
    small talk, a request to change something, two parts of the account at once)."""
    squeezed = _squeeze(text)
    if not squeezed or _NOT_MINE.search(squeezed):
        return None
    kinds = [rule.kind for rule in _RULES if _fits(rule, squeezed)]
    if len(kinds) != 1:
        return None
    kind = kinds[0]
    return AccountQuery(
        kind=kind,
        security=_security(squeezed) if kind in ("orders", "ipo") else None,
        when=_when(squeezed),
        board=_board(text) if kind == "permissions" else None,
        product=_product(squeezed) if kind == "commission" else None,
        statement_kind=_statement_kind(squeezed) if kind == "statement" else None,
        status=_status(squeezed, kind),
    )


_DATE_WORDS: tuple[tuple[re.Pattern[str], DateWord], ...] = (
    (_any(r"前天", r"\bday before yesterday\b"), "day_before_yesterday"),
    (_any(r"昨天|昨日|昨晚", r"\byesterday\b"), "yesterday"),
    (
        _any(
            r"今天|今日|今早|刚才|刚刚|刚(?=[转挂下打买卖申提存])|上午|下午|早上|中午",
            r"\btoday\b|\btoday's\b|\bthis morning\b|\bthis afternoon\b|\bjust now\b",
        ),
        "today",
    ),
    (_any(r"上周|上个?星期|上个?礼拜", r"\blast week\b"), "last_week"),
    (_any(r"这周|本周|这个?星期", r"\bthis week\b"), "this_week"),
    (_any(r"上个?月", r"\blast month\b"), "last_month"),
    (_any(r"这个月|本月", r"\bthis month\b"), "this_month"),
    (_any(r"今年|本年", r"\bthis year\b"), "this_year"),
    (_any(r"去年|上一年", r"\blast year\b"), "last_year"),
    (
        _any(r"最近|近期|这几天|前几天", r"\brecent(?:ly)?\b|\blately\b|\blatest\b|\blast\b"),
        "recent",
    ),
)


def _when(text: str) -> DateWord | None:
    for pattern, word in _DATE_WORDS:
        if pattern.search(text):
            return word
    return None


_CODE = _compile(
    r"(?<![0-9])(?:sh|sz|bj)?\.?([0-9]{6})(?![0-9])(?!\s*(?:元|块|股|张|手|份|万|亿|%))"
)
_ZH_NAME = (
    re.compile(
        r"(?:挂的|买的|卖的|下的|委托的|申购的|抢的|买入的|卖出的|那只|那支|那个)"
        r"(?P<name>[\u4e00-\u9fffa-z]{2,8}?)"
        r"(?=的|成交|委托|订单|单子|单|挂单|中签|中了|中没中|有没有|怎么|为什么|没|了|吗|呢|[，,。？?！!\s]|$)"
    ),
    re.compile(
        r"我的?(?P<name>[\u4e00-\u9fffa-z]{2,8}?)(?=的?(?:单子|委托|订单|买单|卖单|挂单)|成交|中签|中了)"
    ),
)
_EN_NAME = (
    _compile(
        r"\bmy (?P<name>[a-z][a-z0-9&.-]{1,20}) (?:buy |sell )?(?:order|trade|ipo|allotment|"
        r"subscription)s?\b"
    ),
    _compile(r"\border (?:for|of|on|in) (?:the )?(?P<name>[a-z0-9][a-z0-9&.-]{1,20})\b"),
    _compile(r"\b(?:win|won|get|got) (?:the |any )?(?P<name>[a-z0-9][a-z0-9&.-]{1,20}) ipo\b"),
)
_LEADING_FILLER = re.compile(
    r"^(?:今天|昨天|前天|刚才|刚刚|上午|下午|早上|上周|这周|本周|上个?月|这个月|本月|最近|前几天|"
    r"那只|那个|这只|这个|挂的|买的|卖的)+"
)
# A "name" holding one of these is the investor's words for the record, not a security.
_RECORD_WORDS = re.compile(r"打新|新股|新债|申购|委托|订单|单子|股票|转账|钱")
_NOT_A_NAME = frozenset(
    [
        "委托",
        "订单",
        "单子",
        "股票",
        "新股",
        "新债",
        "转债",
        "钱",
        "单",
        "买单",
        "卖单",
        "挂单",
        "东西",
        "票",
        "那个",
        "这个",
        "一笔",
        "全部",
        "今天",
        "昨天",
        "buy",
        "sell",
        "last",
        "latest",
        "recent",
        "limit",
        "market",
        "first",
        "new",
        "pending",
        "stock",
        "share",
        "shares",
        "the",
        "a",
        "an",
        "today's",
        "yesterday's",
        "order",
        "orders",
        "ipo",
    ]
)


def _security(text: str) -> str | None:
    if code := _CODE.search(text):
        return code.group(1)
    # "打的新" is 打新 (subscribing to new shares), not a security called 新...
    text = re.sub(r"打的?新", "打新", text)
    for pattern in (*_ZH_NAME, *_EN_NAME):
        if found := pattern.search(text):
            name = _LEADING_FILLER.sub("", found.group("name")).strip()
            if len(name) >= 2 and name not in _NOT_A_NAME and not _RECORD_WORDS.search(name):
                return name
    return None


def _board(text: str) -> str | None:
    board = read_board(text)
    return board if isinstance(board, str) else None


_PRODUCTS: Mapping[CommissionProduct, re.Pattern[str]] = {
    "etf": _any(r"\betfs?\b|etf"),
    "convertible_bond": _any(r"可转债|转债|\bconvertible"),
    "stock_connect": _any(r"港股通|港股|\bstock connect\b|\bhong kong\b|\bhk\b"),
    "a_share": _any(r"a股|股票|\ba-?shares?\b|\bstocks?\b"),
}


def _product(text: str) -> CommissionProduct | None:
    named = [product for product, pattern in _PRODUCTS.items() if pattern.search(text)]
    return named[0] if len(named) == 1 else None


def _statement_kind(text: str) -> StatementKind:
    certificate = _any(r"证明", r"\bproof\b|\bcertificate\b")
    return "asset_certificate" if certificate.search(text) else "statement"


_FAILED = _any(r"失败|没成功|不成功|转不|被退|退回", r"\bfail|\bbounced\b")
_REJECTED = _any(r"废单|被拒|拒绝", r"\brejected\b")
_CANCELLED = _any(r"撤", r"\bcancel")


def _status(text: str, kind: AccountQueryKind) -> StatusHint | None:
    if kind == "transfers" and _FAILED.search(text):
        return "failed"
    if kind == "orders":
        if _REJECTED.search(text):
            return "rejected"
        if _CANCELLED.search(text):
            return "cancelled"
        if _FAILED.search(text):
            return "rejected"
    return None
