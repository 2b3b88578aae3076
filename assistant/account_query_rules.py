"""The rule table that reads which part of the investor's own account a question is about.

Each :class:`Rule` is one part of the account (commission, transfers, orders, the linked
bank card, the account's standing, ...): the words that name it (its *topic*), the words
that ask for its status, and the words that rule it out. The patterns shared by every
rule say *whose* records a question is about (:data:`MINE`, :data:`FIRST_PERSON`, ...)
and what marks a question as general (:data:`NOT_MINE`, :data:`GENERAL_WORDING`).
:func:`fitting_kinds` applies the table; :mod:`assistant.account_queries` reads the rest
of the question (a day, a security, a board) once one part fits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, get_args

from text.patterns import LazyPattern

AccountQueryKind = Literal[
    "commission",
    "transfers",
    "orders",
    "ipo",
    "permissions",
    "risk",
    "id_expiry",
    "statement",
    "bank_card",
    "account_status",
    "holdings",
]
ACCOUNT_QUERY_KINDS: tuple[AccountQueryKind, ...] = get_args(AccountQueryKind)


# A word boundary for ASCII words only: Python counts Chinese characters as word characters,
# so a plain \\b finds no boundary in "我的commission".
_ASCII_BOUNDARY = r"(?:(?<![a-z0-9])(?=[a-z0-9])|(?<=[a-z0-9])(?![a-z0-9]))"


def compile_pattern(pattern: str) -> LazyPattern:
    """Case-insensitive, with ``\\b`` an ASCII word boundary; compiled at its first search
    (the table's patterns took a quarter of a second to compile, and a turn reads few)."""
    return LazyPattern(pattern.replace(r"\b", _ASCII_BOUNDARY), re.IGNORECASE)


def any_of(*alternatives: str) -> LazyPattern:
    return compile_pattern("|".join(alternatives))


# Who the question is about. Strong: a possessive or an own past action; weak: a first person.
MINE = any_of(r"我的", r"我(?:账户|帐户|账号|名下|这边)", r"本人的", r"\bmy\b", r"\bmine\b")
ACTED = any_of(
    r"(?:我|刚才|刚刚|刚|昨天|昨日|今天|今早|早上|上午|下午|中午|前天|上周|前几天)"
    r"[^，,。？?！!]{0,6}?(?:转|挂|下|打|买|卖|申购|委托|提|存|汇|充|撤)(?:了|的|过)",
    r"\bi (?:just |already |have |had )?(?:transferred|sent|deposited|withdrew|moved|placed|"
    r"put in|bought|sold|subscribed|applied)\b",
)
FIRST_PERSON = any_of(
    r"(?<![你他她它])我(?!们)", r"俺", r"本人", r"\bi\b", r"\bme\b", r"\bi'?m\b", r"\bi'?ve\b"
)
CHECK = any_of(r"帮我查", r"帮忙查", r"查一下", r"查一查", r"查查", r"\bcheck\b", r"\blook up\b")

_HYPOTHETICAL = (
    r"如果|要是|假如|假设|万一|的话|会怎样|会怎么样|会咋样|会咋办|会不会|会有什么|会有啥|有什么影响|"
    r"有什么后果|什么后果",
    r"\bwhat happens\b|\bwhat if\b|\bif (?:i|my|you|the|an?|it)\b|\bsuppose\b|\bwhat would\b",
)
HYPOTHETICAL = any_of(*_HYPOTHETICAL)
"""A supposition or its consequences ("要是中了钱不够"): a rule question, whatever came before."""

# General, hypothetical, how-to, advice, eligibility or about someone else: never an account query.
NOT_MINE = any_of(
    # hypotheticals and consequences
    *_HYPOTHETICAL,
    # how to do something (怎么 + a verb; 怎么还没到 and 怎么被撤了 ask why, and stay)
    r"(?:怎么|怎样|如何|咋)(?:才能?|可以|能|去|来)?(?:操作|办理|开通|开|申请|缴款|缴费|缴|交钱|交款|交|"
    r"转账|转|出金|入金|更新|上传|换|查询|查看|查|看|做|测|提高|增加|降低|调低|调整|计算|算|收|撤单|撤|"
    r"设置|修改|改|取消|获得|打印|下载|弄|重做|重新|补|预约|避免|防止|处理|解决|确定|选)",
    r"\bhow (?:do|can|could|should|would) (?:i|you|we|one)\b|\bhow to\b|\bhow (?:is|are|does|do)\b",
    r"\bwhere (?:can|do|should) i\b|\bsteps?\b|\bprocedure\b",
    r"哪个菜单|(?:在|去)?(?:app|软件|手机)(?:里|上)?(?:哪|在哪)|(?:在哪|哪里)(?:里)?(?:看|查|找|撤|签|设置|申请)",
    r"\bwhich menu\b|\bwhere (?:in|on) the app\b",
    # definitions and rules in general
    r"什么是|是什么意思|啥意思|什么意思|指的是|含义|算(?:啥|什么|哪种)",
    r"\bwhat(?:'s| is| are) an?\b|\bwhat does\b[^?]*\bmean\b|\bmeaning\b|\bexplain\b|\bdefin",
    r"一般|通常|普遍|大多|行业|市场上|别的券商|其他券商|别家|你们公司|你们的|贵公司|大家|新手",
    r"\bin general\b|\busual(?:ly)?\b|\btypical(?:ly)?\b|\bnormal(?:ly)?\b|\baverage\b",
    r"\bstandard\b|\bother brokers?\b|\byour (?:firm|company|brokerage)\b|\beveryone\b",
    r"\bbeginners?\b|\bwhy do(?:es)? (?:an? |the )?orders?\b|\bwhy would\b",
    r"什么情况下|哪些情况|什么时候会|\bin what cases?\b|\bwhen would\b",
    # whether something may be traded at all ("停牌了 还能挂单卖吗"): a trading rule
    r"(?:还能|能不能|能否|可不可以|还可以)(?:挂单|挂|买入?|卖出?|交易|下单)[^，,。？?]{0,6}(?:吗|么|嘛|不)?",
    r"(?:中签|开通|转账|委托|下单|申购|测评|过期|到期)(?:后|以后|之后)",
    # eligibility: the permission flow's question, not a record
    r"条件|门槛|要求|资格|符合|够不够|满足|够格|达标|准入",
    # ("能开英文的吗" about a statement asks for one: the statement rule reads it)
    r"^(?!.*(?:证明|对账单|交割单|流水|结单))"
    r".*?(?:能(?:不能)?开(?:通)?[^，,。？?]{0,8}(?:吗|么|嘛)|可以开(?:通)?[^，,。？?]{0,8}(?:吗|么|嘛)|能不能开)",
    r"\beligib|\bqualif|\brequire|\bcriteria\b|\bconditions?\b|\bthreshold\b",
    # whether something may be done ("can i put in an order sat night", "can't i just sell")
    r"\bcan(?:'?t|not)? i (?:just |still |also )?(?:put in|place|submit|sell|buy|transfer|move|"
    r"cancel)\b|\bam i able to\b|\bis it possible to\b",
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
GENERAL_WORDING = any_of(
    r"多久|多长时间|几天|几个工作日|几点|时间|时候|规则|流程|限额|额度|上限|标准|可以|能不能|能否|可否|"
    r"支持|允许|需要|要不要|能[^，,。？?]{0,4}(?:吗|么)",
    r"\bhow long\b|\bcan i\b|\bcan you\b|\bis it possible\b|\bare there\b|\bis there\b",
    r"\blimits?\b|\brules?\b|\bhours\b|\bwhen can\b|\bdo i need\b",
)


@dataclass(frozen=True)
class Rule:
    """One part of the account: the words that name it, the words that ask for its status
    (which alone make the question personal), and the words that rule it out."""

    kind: AccountQueryKind
    topic: LazyPattern
    status: LazyPattern
    veto: LazyPattern
    needs_status: bool = False
    needs_person: bool = False


RULES: tuple[Rule, ...] = (
    Rule(
        "commission",
        topic=any_of(
            r"佣金|费率|手续费|交易费|万几|万分之几",
            r"\bcommissions?\b|\bfee rates?\b|\btrading fees?\b|\bbrokerage fees?\b",
            r"\bfees? (?:do|will) i pay\b|\bcharged? me\b|\bfees? per (?:trade|order)\b",
        ),
        status=any_of(
            r"我(?:现在)?(?:的)?(?:佣金|费率)(?:是|有)?(?:多少|几|啥|什么)", r"\bwhat do i pay\b"
        ),
        veto=any_of(
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
    Rule(
        "transfers",
        topic=any_of(
            r"银证|转账|转入|转出|转进|转过来|转到|转的钱|打的钱|打进|存进|存入|入金|出金|划转|到账|提现|"
            r"取出来|取钱|钱[^，,。？?]{0,4}(?:到|没到)|转了?[0-9一二三四五六七八九十百千万块元w]+(?:进|出|到|入)|"
            r"转的[0-9一二三四五六七八九十百千万]+",
            r"\btransfers?\b|\btransferred\b|\bdeposits?\b|\bdeposited\b|\bwithdraw(?:al|als|n)?\b",
            r"\bwithdrew\b|\bmoney (?:i )?(?:sent|moved)\b|\bcash out\b|\bmy money\b",
            r"\bmoved\b[^.?!]{0,24}\b(?:from|to|into)\b|\btook (?:the |my )?money\b",
        ),
        status=any_of(
            r"到了吗|到了没|到没到|到账了吗|到账没|到账了没|没到|没有到|未到账|成功了吗|成功没|成功了没|"
            r"失败了|没成功|不成功|转不出|转不进|转不了|被退|退回|怎么还|为什么还|咋还|哪去了|去哪了|钱在哪|"
            r"没看见|没看到|看不到|不见了",
            r"(?:最后|最近|上)一(?:次|笔)|转了多少|\b(?:last|latest|most recent) (?:bank )?"
            r"(?:transfer|deposit|withdrawal)\b",
            r"\bhas(?:n't| not)? (?:it |my [a-z]+ |the [a-z]+ )?(?:arrived|gone through|cleared|"
            r"landed|come through)",
            r"\bhave(?:n't| not)? (?:arrived|gone through|cleared)",
            r"\bdid(?:n't| not)? (?:it |my [a-z]+ |the [a-z]+ )?(?:arrive|go through|clear|land|"
            r"come through|fail|work)",
            r"\bfailed\b|\bbounced\b|\bstill pending\b|\bnot arrived\b|\bwhere is\b|\bwhere's\b",
            r"\b(?:still )?not (?:showing|there|in)\b|\bcan'?t see it\b",
            r"\bwhat happened to\b",
        ),
        veto=any_of(
            r"手续费|费用|收费|利息|分红|股息|红利|退款|中签|新股|打新|申购|缴款|转托管|转户|佣金",
            # whether money put in is taken for something ("钱我已经转进去了 是不是会自动扣")
            r"自动扣|会不会扣|会扣",
            r"\bfees?\b|\bdividend|\bipo\b|\ballot|\bcommission|\bcustody\b|\brefund",
            # the card itself gone: changing the linked card, not a transfer's fate
            r"(?:卡|银行卡)[^，,。？?]{0,4}(?:丢了|丢失|挂失|注销|作废)|\bcard\b[^.?]{0,12}\b(?:lost|stolen|"
            r"cancell?ed|expired|blocked)\b|\blost\b[^.?]{0,12}\bcard\b",
            r"余额|现金|可用资金|可取(?:金额|资金)|(?:能|可以)取(?:出来)?多少|有多少钱|还剩多少|密码",
            r"\bbalance\b|\bhow much cash\b|\bpassword\b|\bpin\b",
            r"卖(?:了|的|出)[^，,。？?]{0,8}(?:钱|资金|美元|港币)|交收|t\+\d|逆回购|回购",
            # the proceeds of a sale worked out ("7块3一股 算下来应该14600 咋到账才14580"): fees
            r"算下来|成交金额|价格乘|乘以?数量|\bprice\s*(?:x|times)\b|\bshould\s+(?:be|get)\s+\d",
            r"\bsale proceeds\b|\bafter selling\b|\bsold\b|\bsettle|\brepos?\b|\bmatur",
            r"冻结|冻住|受限|被限制|限制了|哪张卡|哪张银行卡|哪个银行|哪家银行|绑的|绑定|存管银行",
            r"\bfrozen\b|\bfreeze\b|\brestricted\b|\bwhich (?:bank|card)\b|\blinked\b",
        ),
    ),
    Rule(
        "orders",
        topic=any_of(
            r"委托|订单|单子|挂单|挂的|下的单|下单|的单|成交|撤单|撤了|被撤|废单|买单|卖单",
            r"基金[^，,。？?]{0,6}(?:确认|申购|赎回)|(?:申购|赎回)的?[^，,。？?]{0,4}基金",
            r"\borders?\b|\bfilled\b|\bfill\b|\bexecuted\b|\bcancell?ed\b|\brejected\b",
            r"\bmy (?:buy|sell|trade|trades)\b",
        ),
        status=any_of(
            r"成交了吗|成交了没|成交没|成交了么|有没有成交|成没成交|没成交|没有成交|未成交|成交了多少|"
            r"成交了一部分|部分成交了|只成交了|撤了|被撤了|被撤掉|撤掉了|撤单了|给撤了|废单|被拒|失败了|"
            r"不成功|买到了吗|买到没|买成了吗|卖掉了吗|卖出去了吗|卖出了吗|卖成了吗|怎么还|为什么还|"
            r"为什么(?:没|被|是)|怎么(?:没|被|是|成了)|确认了(?:吗|没)|找不到|看不到|不见了|没(?:有)?显示",
            r"成功(?:了)?(?:吗|没|么)|成功了没|成没成功",
            r"\bcan'?t (?:find|see)\b|\bnot showing\b|\bmissing\b",
            r"\bis (?:it|my [a-z0-9 ]{0,20}order) (?:filled|executed|done|cancell?ed)\b",
            r"\b(?:was|has|did|were|have|is)\b[^.?]{0,30}\b(?:filled|executed|cancell?ed|rejected|"
            r"go through|gone through)\b",
            r"\bwhy (?:was|did|is|has|were)\b|\bnot filled\b|\bunfilled\b",
        ),
        veto=any_of(
            r"(?<!基金)申购(?!的?[^，,。？?]{0,4}基金)|中签|新股|新债|打新|条件单|预埋单|\bipo\b|\ballot|\bsubscri",
            r"申请|揭示书|签署|不能撤|集合竞价|冻结|解冻|明天|下一?个?交易日|继续(?:挂|有效)|重新下",
            r"\bappl(?:y|ied|ication)\b|\bsign\b|\bdisclosure\b|\bauction\b|\bcan'?t cancel\b",
            r"\bfrozen\b|\bfreeze\b|\btomorrow\b|\bnext day\b|\bcarry over\b",
            r"转账|银证|对账单|交割单|证明|\btransfer|\bstatements?\b|\bconfirmations?\b|\bproof\b",
            r"\bcertificate",
            # changing an order is done by cancelling it: the rules' answer, not the record
            r"改单|改委托|改(?:个|一下|下)?(?:价|数量)|\bmodify\b|\bamend|\bedit\b",
        ),
    ),
    Rule(
        "ipo",
        topic=any_of(
            r"中签|中的签|新股|打新|申购|新债|配号|缴款|中没中|中了没(?!钱)|中了吗|有没有中",
            r"中(?:了的?|的)(?:新股|新债|可转债|转债)",
            # zq: 中签, or 证券 (zhengquan), hence the words around it
            r"(?:是不是|有没有)\s*zq|\bzq\s*(?:了|没|吗)",
            r"\bipos?\b|\bnew (?:share|listing|bond)s?\b|\ballot(?:ted|ment|ments)?\b|\blottery\b",
            r"\bsubscri(?:be|bed|ption|ptions)\b|\bhow many (?:shares|lots) did i apply\b",
        ),
        status=any_of(
            r"中签了吗|中签没|中签了没|中签了么|中没中|中了没(?!钱)|中了吗|中了么|有没有中|中签了?多少|中了几|"
            r"中了多少|签了吗|要交多少|要缴多少|缴多少|交多少钱|应缴|该交|缴款了吗|缴了没|扣款了吗|扣了没|"
            r"扣钱了吗|什么时候(?:交|缴|扣)|几点前(?:交|缴)|哪天(?:交|缴)|中签了要",
            r"(?:是不是|有没有)\s*zq|\bzq\s*(?:了|没|吗)",
            r"\bdid i (?:win|get)\b|\bhave i (?:won|got|been allotted)\b|\bwas i (?:allotted|lucky|"
            r"successful)\b|\bam i allotted\b|\bhow much (?:do|should|must) i (?:pay|need)\b",
            r"\bwhen (?:do|must|should) i pay\b|\bpayment due\b|\bhow much is due\b|\bdue today\b",
            r"\bhow many (?:shares|lots) did i (?:apply|subscribe)",
        ),
        veto=any_of(
            r"中签率|概率|几率|技巧|提高|市值|额度|日历|今天有什么|(?<!了)哪些新股|(?<!了)什么新股|上市|申购规则",
            r"基金|权限|能(?:不能)?申购|可以申购|什么时候能知道|会(?:发|有)短信",
            r"\bfunds?\b|\bpermission|\bcan i (?:subscribe|apply)\b|\bwhen will i know\b",
            r"\bchances?\b|\bodds\b|\bimprove\b|\bincrease\b|\btips?\b|\bquota\b|\bcalendar\b",
            r"\bmarket value\b",
            r"\bwhich ipos\b|\bwhat ipos\b|\blist(?:ed|ing)? (?:date|day)\b",
        ),
    ),
    Rule(
        "permissions",
        topic=any_of(
            r"权限|创业板|科创板|北交所|港股通|沪港通|深港通|两融|融资融券|信用账户|可转债|转债|期权",
            r"\bcyb\b|\bkcb\b|\bbjs\b|\bggt\b|\brzrq\b|\bkzz\b",
            r"\bpermissions?\b|\baccess\b|\bchinext\b|\bstar market\b|\bstar board\b|\bbse\b",
            r"\bstock connect\b|\bmargin\b|\bconvertibles?\b|\boptions\b|\bboards?\b",
        ),
        status=any_of(
            r"开了哪些|开通了哪些|开通了什么|开了什么|(?:哪些|什么)(?:权限|permissions?)",
            r"我的[^，,。？?]{0,4}(?:权限|permissions?)",
            r"(?:开通|开)[^，,。？?]{0,8}?(?:了吗|了没|了么|了嘛|了不)|开没开|开通没|(?:开通|开)[^，,。？?]{0,6}?没有?$",
            r"有没有[^，,。？?]{0,6}(?:权限|开通|开)|是否(?:已经?)?开通|已经开通了?吗|开通成功|开好了|通过了吗|"
            r"审核(?:通过)?了吗|什么时候开(?:通)?的|哪天开(?:通)?的|开通日期|开通时间",
            # still not granted: "上周申请的创业板权限咋还没开"
            r"(?:还没|咋还没|怎么还没|为啥还没|为什么还没|还不)(?:给我)?(?:开|开通|通过|批|下来)",
            r"\b(?:which|what) (?:[a-z]+ )?permissions\b",
            r"\bmy (?:[a-z ]{0,20})?(?:permissions?|access)\b",
            r"\bdo i have\b|\bhave i (?:got|been (?:granted|approved|given))\b",
            r"\b(?:is|are)\b[^.?]{0,30}\b(?:enabled|activated|opened|open|active|approved)\b",
            r"\bhas my\b[^.?]{0,30}\b(?:approved|granted|activated|enabled)\b",
            r"\bwhen (?:was|were|did)\b[^.?]{0,30}"
            r"\b(?:granted|enabled|activated|opened|approved)\b",
            r"\bwhat boards can i trade\b|\bam i (?:allowed|able) to trade\b",
        ),
        veto=any_of(
            # A wish to apply is the eligibility flow's; "上周申请的" is a past application.
            r"我想|我要|想要|想开|打算|准备|帮我开|给我开|申请(?![的了过])|办理(?![的了过])|取消|关闭|注销",
            r"\bi want\b|\bi'?d like\b|\bhelp me\b|\bapply\b|\benable (?:it|my|the)\b|\bcancel\b",
            r"中签|申购|新债|打新|费率|佣金|测评|成交|委托|订单|单子|股价|行情",
            r"\bipo\b|\ballot|\bcommission\b|\brisk\b|\borders?\b|\bfilled\b|\bprice\b",
        ),
        needs_status=True,
    ),
    Rule(
        "risk",
        topic=any_of(
            r"风险等级|风险承受|风险测评|风测|风评|测评|风险评估|风险类型|风险偏好|投资者类型|\bc[1-5]\b|c几",
            r"\brisk (?:level|rating|profile|assessment|questionnaire|tolerance|category|grade|"
            r"test|"
            r"score)s?\b|\bsuitability (?:assessment|questionnaire|level|test)\b",
        ),
        status=any_of(
            r"(?:过期|到期|失效)(?:了吗|了没|了么|没有?)|(?:什么|啥)时候(?:过期|到期|失效)|哪天(?:过期|到期)|"
            r"有效期(?:到|是|还有|多久)|到哪天|快(?:过期|到期)|是不是(?:快)?(?:过期|到期)|还有效吗|还有多久",
            r"是什么|是啥|是多少|多少级|几级|c几|哪一级|哪个等级|等级多少|多少",
            r"\bexpir\w*|\bstill valid\b|\bvalid until\b|\bam i\b|\bwhat(?:'s| is) my\b",
            r"\bwhich (?:level|category)\b|\bwhen (?:was|did)\b|我的|\bmy\b",
        ),
        veto=any_of(
            r"能买|可以买|能投|重新测评|重做|重测|再测",
            r"匹配|买不了|不能买|低一档|产品|知识测评|知识测试|考试|及格|多少分",
            r"\bmismatch|\bproduct\b|\bknowledge test\b|\bexam\b|\bpass\b",
            r"\bbuy\b|\binvest in\b|\bredo\b|\bretake\b|\bre-?do\b|\bagain\b",
            r"冻结|受限|被限制|限制了|\bfrozen\b|\brestricted\b",
        ),
        needs_status=True,
        needs_person=True,
    ),
    Rule(
        "id_expiry",
        topic=any_of(
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
        status=any_of(
            r"(?:过期|到期|失效)(?:了吗|了没|了么|没有?)|是不是(?:快|要)?(?:过期|到期)|快(?:要)?(?:过期|到期)|"
            r"要(?:过期|到期)了|什么时候(?:过期|到期|失效)|哪天(?:过期|到期)|有效期(?:到|是|还有|多久|截止)|"
            r"到哪天|到什么时候|还有效吗",
            r"\bexpir\w*|\bstill valid\b|\bvalid until\b|\bout of date\b",
        ),
        veto=any_of(
            r"更新|上传|换|补办|影响|还能|能不能|交易|被(?:限制|冻结)了|受限了",
            r"\b(?:got|is|was|been|has been) (?:restricted|frozen|blocked|suspended)\b",
            r"\bupdate\b|\bupload\b|\brenew|\breplace\b|\bcan i\b|\baccepted\b|\bwhich\b|\btrade\b",
        ),
        needs_status=True,
        needs_person=True,
    ),
    Rule(
        "statement",
        topic=any_of(
            r"对账单|资产证明|交割单|资金流水|流水单|持仓证明|资金证明|存款证明|账户证明|结单",
            r"\bstatements?\b|\bproof of (?:assets|funds|holdings|deposit)\b",
            r"\basset (?:certificate|proof)\b|\bcertificate of (?:assets|deposit|holdings)\b",
            r"\btrade confirmations?\b",
        ),
        status=any_of(
            r"帮我|给我|我要|我想要|我想|我需要|需要一份|需要我的|申请|麻烦|请(?:帮|给|开|出|寄|发)|"
            r"开(?:一|个|张|份)|(?:能|可以)开[^，,。？?]{0,6}(?:吗|么)|"
            r"出(?:一|个|张|份)|打(?:一|个|张|份|印)|寄(?:一|个|份|给)|发(?:一|个|份|给|我)|开具|弄(?:一|个)|"
            r"来一份|^要(?!不要)|要(?:一份|英文|中文|中英文|纸质|电子)(?:版|的)?",
            r"\bsend me\b|\bgive me\b|\bget me\b|\bemail me\b|\bmail me\b|\bi need\b|\bi'?d like\b",
            r"\bi would like\b|\bi want\b",
            r"\b(?:please|can you|could you) "
            r"(?:issue|send|prepare|generate|provide|email|mail|get)\b",
            r"\brequest (?:a|an|my)\b|\bissue (?:me )?(?:a|an|my)\b|\bgenerate (?:a|an|my)\b",
        ),
        veto=any_of(
            r"在哪|哪里|收费|多少钱|要钱吗|看不懂|什么内容|有什么用|多久|几天",
            r"多收|退给我|退钱|退还|不认|投诉|\brefund\b|\bovercharg",
            r"\bwhere\b|\bfees?\b|\bcost\b|\bcharge\b|\bwhat does\b|\bhow long\b",
        ),
        needs_status=True,
    ),
    Rule(
        "bank_card",
        topic=any_of(
            r"银行卡|存管银行|三方存管|第三方存管|存管|绑卡|绑的卡|绑定的卡|关联的?银行|哪个银行|哪家银行|"
            r"什么银行|绑(?:的|定的?)?是|换卡|换绑|换银行卡",
            r"\bbank cards?\b|\bdepository bank\b|\blinked (?:bank|card)\b",
            r"\bcard (?:is )?on file\b|\b(?:card|bank) change\b|\bwhich bank\b|\bwhat bank\b",
            r"\bbank (?:account )?(?:is )?linked\b|\bcard (?:is )?linked\b",
        ),
        status=any_of(
            r"哪张|哪个|哪家|什么银行|是哪|尾号|卡号|绑(?:的|定的?)?是|绑了(?:吗|没)|"
            r"(?:换|变更|改)[^，,。？?]{0,6}(?:好了|成功|完成|生效|办完|通过)|进度",
            r"\bwhich\b|\bwhat (?:bank|card)\b|\blast (?:four|4) digits\b",
            r"\bwhat(?:'s| is) the (?:bank|card|linked)\b",
            r"\b(?:card|bank) change\b|\bchange of (?:card|bank)\b|\bnew card\b",
        ),
        veto=any_of(
            # A wish to change or link a card is a how-to; a card the bank froze is the bank's.
            r"我想|我要|想要|想换|打算|准备|帮我(?:换|改|绑|解)|申请(?![的了过])|能不能|可以|怎么|如何|解绑|挂失",
            r"\bi want\b|\bi'?d like\b|\bhow (?:do|can) i\b|\bcan i\b|\bunlink\b|\blost\b",
            r"到账|没到|失败|转不|转出|转入|提现|出金|入金|限额|额度|手续费|利息|冻结|被限制",
            r"\btransfers?\b|\bwithdraw|\bdeposit|\bfailed\b|\blimits?\b|\bfees?\b",
            r"\binterest\b|\bfrozen\b|\bblocked\b|\bsupported\b",
        ),
        needs_status=True,
        needs_person=True,
    ),
    Rule(
        "account_status",
        topic=any_of(
            r"冻结|冻住|冻了|被限制|限制(?:了|交易|买入|转账|出金|取款)|受限|限权|账户(?:状态|异常|正常)|"
            r"帐户(?:状态|异常|正常)|账户[^，,。？?]{0,4}(?:正常吗|有问题)|休眠|司法冻结|反洗钱",
            r"\bfrozen\b|\bfreeze\b|\brestrict(?:ed|ion|ions)?\b|\bsuspended\b|\bdormant\b",
            r"\baccount (?:status|standing)\b|\bstatus of my account\b|\bin good standing\b",
            r"\bblocked\b",
        ),
        status=any_of(
            r"为什么|为啥|怎么(?:会|被|就)|咋(?:会|被)|什么原因|原因|是不是|有没有|正常吗|了吗|了没|吗|状态",
            r"\bwhy\b|\bis my\b|\bam i\b|\bhas my\b|\bwhat(?:'s| is) wrong\b|\bstatus\b",
        ),
        veto=any_of(
            # A password lock, a card the bank froze, an order's frozen funds, a price limit,
            # a wish to freeze: other parts of the help desk.
            r"密码|锁定|银行卡|委托|挂单|订单|单子|撤单|申购|中签|新股|打新|涨跌|涨停|跌停|限价|限额|额度",
            r"\bpassword\b|\bpin\b|\blocked out\b|\bbank card\b|\bcard\b|\borders?\b",
            r"\bipo\b|\bprice limit\b|\blimit (?:up|down)\b|\blimits?\b",
            r"我想|我要|想要|帮我(?:冻结|锁|解冻)|申请(?![的了过])|挂失|手机丢|解冻|怕|担心|以免|免得",
            r"\bafraid\b|\bworried\b|\bin case\b",
            # The investor already names the reason, asks how to lift it, or reports what a
            # caller or message said (a scam's favourite words): the FAQ explains those.
            r"因为|由于|解除|说我|说是|问了|电话|短信|链接|通知|交易所|注销|销户|把[^，,。？?]{0,8}冻结|临时冻结",
            r"\bbecause\b|\bdue to\b|\bcalled\b|\bcall\b|\bsms\b|\btext message\b|\blink\b",
            r"\bexchange\b|\bclose\b|\bclosing\b",
            # Frozen cash is a balance line (an order or a subscription holds it), a suspension
            # is the stock's.
            r"冻结资金|冻结的钱|冻结金额|停牌|\bfrozen (?:cash|funds|amount)\b|\bcan i still\b",
            r"\b(?:stock|share|shares|security) (?:is |was |got )?suspended\b",
            r"\bi want\b|\bi'?d like\b|\b(?:please|can you|could you) (?:freeze|lock|block|"
            r"unfreeze)\b|\bunfreeze\b|\blift\b",
        ),
        needs_person=True,
    ),
    Rule(
        "holdings",
        topic=any_of(
            # not 减持/增持 (a major holder's sale), nor 我的证券账户 (the account itself)
            r"持仓|仓位|(?<![减增])持有(?:的|哪些|哪几|什么|啥)|"
            r"(?:我的|我买的|手里的?|手上的?)(?:股票|票|证券)(?!账户|帐户|账号|帐号|公司)|"
            r"(?:手里|手上)[^，,。？?]{1,6}(?:股票|票|基金)(?!账户|帐户|账号|帐号|公司)|"
            r"(?:账户|帐户)里[^，,。？?]{0,10}(?:股票|基金|票|证券)|"
            r"(?:账户|帐户)里[^，,。？?]{0,4}(?:买了|有)(?:哪些|什么|啥)|(?:我的|查下?|看下?)\s*cc\b",
            r"\bholdings?\b|\bpositions?\b|\bportfolio\b|\bwhat (?:stocks|shares) (?:do )?i "
            r"(?:hold|own|have)\b|\bwhat do i (?:hold|own)\b|\bhow much (?:money )?(?:did|have) i "
            r"(?:make|made|earn|earned|lose|lost)\b",
        ),
        status=any_of(
            r"查|看看|看下|看一下|有哪些|有什么|有啥|哪几|剩(?:下)?(?:啥|什么|哪些|几)|"
            r"买了(?:啥|什么|哪些)|多少|盈亏|赚了|亏了|列(?:一下|出)|是什么",
            r"\bshow\b|\blist\b|\bwhat\b|\bhow much\b|\bup or down\b|\bcheck\b|\bsee\b",
        ),
        veto=any_of(
            # Why a figure is what it is, what can be sold, a proof or a statement, a position
            # gone or moved, margin: the knowledge base and the other parts of the account.
            r"成本|怎么算|可卖|不能卖|卖不了|卖不出|证明|对账单|交割单|少了|不见|消失|没了|冻结|过户|转托管|"
            r"强平|平仓|融资|融券|两融|合适|应该|该不该|集中|分散",
            r"\bcost\b|\bcalculat|\bwhy\b|\bproof\b|\bstatements?\b|\bcertificate\b|\bdisappear",
            r"\bmissing\b|\bgone\b|\bmargin\b|\bliquidat|\bforce|\bshould\b|\bsell\b",
        ),
        needs_status=True,
    ),
)


def _fits(rule: Rule, text: str) -> bool:
    if not rule.topic.search(text) or rule.veto.search(text):
        return False
    asks_status = rule.status.search(text) is not None
    strong = MINE.search(text) is not None or ACTED.search(text) is not None
    weak = FIRST_PERSON.search(text) is not None or CHECK.search(text) is not None
    if rule.needs_status and not asks_status:
        return False
    if rule.needs_person and not (strong or weak):
        return False
    return asks_status or strong or (weak and GENERAL_WORDING.search(text) is None)


def fitting_kinds(text: str) -> list[AccountQueryKind]:
    """Every part of the account whose rule fits ``text`` (normalised, Chinese spaces taken out)."""
    return [rule.kind for rule in RULES if _fits(rule, text)]
