"""What an investor's message reveals beyond its question: scams, prompt injection, advice
seeking, someone else's account, and what needs a person now (a takeover, money gone, the app
stuck mid-trade).

The rules are tuned against the intent catalogue and the evaluation cases: the advice
patterns must fire on what the advice-seeking examples say and stay quiet on everyday
questions (``开盘前五分钟能买吗`` asks about the rules, not for a tip). The scam patterns live
in :mod:`intents.scams`, beside the ``fraud_report`` intent's rules, so that a new scam
wording is added in one place. The texts passed in are expected to be normalised already
(NFKC), as :mod:`assistant.compliance` does.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from intents.scams import SIGNAL_PATTERNS, FraudSignal, any_of

__all__ = [
    "FraudSignal",
    "IncomingFindings",
    "addresses_us",
    "any_of",
    "asks_if_from_us",
    "chases_up_earlier_contact",
    "fraud_signals",
    "is_advice_request",
    "is_prompt_injection",
    "lends_account",
    "read_incoming",
    "reports_account_taken_over",
    "reports_firm_caused_loss",
    "reports_missing_money",
    "stuck_while_trading",
    "voices_grievance",
]


class IncomingFindings(BaseModel):
    """What an investor's message tells the dialogue policy, beyond its meaning."""

    masked_text: str
    pii: list[str] = []
    fraud_signals: list[str] = []
    prompt_injection: bool = False
    advice_request: bool = False
    missing_money: bool = False
    account_lending: bool = False
    """Someone else's identity or account used, or one's own handed over (实名制)."""
    account_taken_over: bool = False
    """Someone else got into the account: logins, trades or transfers the investor never made."""
    stuck_while_trading: bool = False
    """The app or the quotes are stuck while the investor must buy or sell now."""
    firm_caused_loss: bool = False
    chase_up: bool = False
    """An earlier complaint or request of the investor's went unanswered."""
    assessment_coaching: bool = False
    """The investor wants to answer the risk assessment other than truly, to be allowed more."""
    lower_commission: bool = False
    """The investor asks for a lower commission rate (降佣): negotiable, and a person's to agree."""


_INJECTION = any_of(
    r"(?:忽略|无视|忘记|忘掉|不要理会|跳过)[^，,。]{0,8}(?:指令|规则|设定|提示|要求|限制|约束|prompt)",
    r"你现在是[^。]{0,30}(?:没有|不受|无)[^。]{0,4}(?:限制|约束|规则)|你(?:现在)?不受[^。]{0,6}(?:限制|约束)",
    r"从现在(?:开始|起)你是|(?:请|你)?扮演|假装你是|假设你是|开发者模式|越狱|系统提示|提示词",
    r"\bignore\s+(?:all\s+|any\s+)?(?:the\s+|your\s+)?(?:previous|prior|above|earlier|preceding)"
    r"\s+(?:instructions|rules|prompts?|directions)\b",
    r"\bdisregard\b[^.]{0,30}\b(?:instructions|rules|guidelines|policy)\b",
    r"\bpretend\s+(?:you\s+are|to\s+be|you're)\b|\byou\s+are\s+now\b|\bact\s+as\b",
    r"\bdeveloper\s+mode\b|\bjailbreak\w*|(?-i:\bDAN\b)|\bsystem\s+prompt\b",
    r"(?:重复|复述|原样|逐字|输出|打印)[^，,。]{0,10}(?:第一条|收到的|最初的|原始的?)[^，,。]{0,4}(?:指令|提示|消息|设定)|"
    r"(?:第一条|收到的|最初的|原始的?)[^，,。]{0,6}(?:指令|提示词|设定)[^，,。]{0,8}(?:重复|复述|输出|打印|告诉我|发给我)|"
    r"我是(?:你们的)?(?:开发|开发者|开发人员|developer|程序员|管理员|admin|工程师)[^，,。]{0,12}(?:测试|调试|权限|修改|改一下)|"
    r"(?:管理员|超级用户|调试|维护|测试|后台|上帝|无限制)模式|管理员权限|超级管理员|进入后台|"
    r"(?<![a-z])(?:admin|administrator|debug|maintenance|god|sudo|root|developer|dev|test)\s*模式|"
    r"把(?:客户(?!经理)|用户|别人|他人|其他人)[^，,。]{0,8}的[^，,。]{0,8}"
    r"(?:手机号|电话|身份证|证件号|账户|账号|资料|信息|地址|持仓)[^，,。]{0,4}(?:发给我|告诉我|给我)|"
    r"(?:输出|打印|告诉我|显示|泄露)[^，,。]{0,6}(?:提示词|系统设定|内部规则|后台数据|其他(?:客户|用户)的)",
    r"\b(?:admin|administrator|debug|maintenance|god|sudo|root|unrestricted|test)\s+mode\b|"
    r"\bi\s+am\s+(?:your|the)\s+(?:admin|administrator|developer|creator|supervisor)\b|"
    r"\b(?:other|another)\s+(?:customers?|clients?|users?)'?s?\s+(?:data|details|information|accounts?)\b|"
    r"\b(?:set|change|update|modify)\s+my\s+\w+(?:\s+\w+)?\s+to\b[^.]{0,30}\b(?:in|on)\s+the\s+system\b|"
    r"\blist\s+all\s+(?:users|customers|clients|accounts)\b|\brepeat\s+(?:your|the)\s+first\s+instruction",
    r"\b(?:reveal|show|print|repeat)\s+(?:me\s+)?your\s+(?:prompt|instructions|rules)\b",
    r"\b(?:no|zero|without\s+(?:any\s+)?)\s*(?:restrictions|compliance\s+rules)\b",
)

_ADVICE_REQUEST = any_of(
    r"买哪只|买哪个股|满仓哪只|买什么(?:股|票|基金)|该买什么|买啥股|收益最高",
    r"哪只(?:股票|基金|票)|哪只(?:好|能涨|会涨|值得|可以买)|随便说一只|说[一两几]只",
    r"哪(?:个|支|些)(?:股票?|票|板块|行业|赛道|概念)[^，,。]{0,8}(?:能涨|会涨|涨停|大涨|好|值得|能买|可以买|有机会)",
    r"推荐(?:一只|几只|一个|个|点|些|[一二三四五六七八九十几0-9]+只)?[^，,。]{0,12}?"
    r"(?:股票|基金|个股|牛股|标的|票|理财产品|理财)",
    r"荐个股|荐只股|[帮给]我荐股|来[一二三四五几0-9]只|直接给代码|给(?:我)?(?:个|几个)?代码",
    r"(?:会|能|还会|还能)(?:涨|大涨|涨停|反弹|回本|跌)吗|会不会(?:涨|跌|反弹)|涨还是跌",
    r"能不能(?:涨|回本|抄底|拿|追)|还能(?:追(?!回)|拿)|该不该|值不值得|值得(?:买|入手|投资|持有)吗",
    r"要不要(?:买|卖|抄底|割|加仓|清仓|止损|追|拿)|割还是不割",
    r"(?:满仓|空仓|抄底|加仓|追高|割肉|补仓)[^，,。]{0,6}(?:吗|合不合适|合适吗|还是)",
    r"(?:能|可以|该|敢)(?:抄底|追高|追(?!回)|加仓|补仓|割肉|止损|入手|上车)了?(?:不|吗|么|嘛|没)",
    r"(?:[0-9]{6}|这只|这支|该股|茅台|宁德时代|比亚迪|腾讯)[^，,。]{0,6}(?:能不能买|(?:能|可以|值得)买(?:吗|不|么))",
    r"目标价|后市怎么看|后市如何|走势怎么看|能赚钱|吃到涨停|到底部了|是不是牛市|投资组合|收益越高越好",
    r"\bwhich\s+(?:stocks?|funds?|shares?|etfs?|tickers?)\b",
    r"\bwhat\s+(?:stocks?|funds?|shares?)\s+(?:should|to|would)\b|\bwhat\s+should\s+i\s+buy\b",
    r"\brecommend\s+(?:me\s+)?(?:a\s+|some\s+|any\s+)?(?:good\s+)?(?:stocks?|funds?|shares?)\b",
    r"\bshould\s+i\s+(?:buy|sell|hold|invest|dump|load|go\s+all)\b",
    r"\bgood\s+(?:time|moment)\s+to\s+(?:buy|sell|load|get\s+in)\b",
    r"\bwill\s+[^.?]{1,30}\s+(?:go\s+up|rise|fall|go\s+down|rebound|recover|double)\b",
    r"\b(?:top|best)\s+(?:\d+\s+)?(?:picks?|stocks?|funds?)\b|\bprice\s+target\b",
    r"\b(?:give|send|share|any|hot)\s+(?:me\s+)?(?:a\s+|some\s+)?(?:hot\s+)?stock\s+(?:tips?|picks?)\b",
    r"\bis\s+[^.?]{1,30}\s+a\s+good\s+(?:buy|investment)\b|\bquick\s+profit\b",
    r"\b(?:name|give\s+me|tell\s+me)\s+[^.?]{0,20}\b(?:tickers?|stocks?|picks?)\b",
    r"\bthat\s+(?:doubles|will\s+double)\b",
    r"(?:保证|稳定|固定|保本|稳赚)[^，,。]{0,10}(?:收益|回报|利息|赚)[^，,。]{0,10}(?:产品|理财|基金|股票)|"
    r"给我(?:推荐)?(?:一个|个|几个|一只|只)[^，,。]{0,12}(?:产品|理财|基金|股票)",
    r"\b(?:give|find|show)\s+me\s+(?:a|an|some)\s+[^.?]{0,30}\b(?:product|fund|stock)s?\b"
    r"[^.?]{0,20}\b(?:guarantee\w*|return\w*|profit\w*)",
    # Something safe that pays well, asked for ("what do u have thats safe with good return").
    r"(?:安全|稳|保本|不亏)[^，,。]{0,6}(?:又|还|而且|且)?[^，,。]{0,4}(?:收益|回报|利息)(?:高|好|不错)",
    r"\b(?:safe|low[- ]risk|no[- ]risk|riskless)\b[^.?]{0,24}\b(?:good|high|decent|nice|great)\s+"
    r"(?:returns?|yields?|interest)\b",
)


_MONEY_GONE = any_of(
    r"(?:钱|资金|余额|资产|存款)[^，,。？?]{0,6}(?:少了|不见了?|没了|不翼而飞|凭空消失|被盗|被转走)",
    r"(?:莫名其妙|无缘无故|凭空|突然|平白无故)[^，,。]{0,6}(?:少了|不见|没了|扣了)",
    r"少了[一二两三四五六七八九十百千万几\d]+(?:块|元|万|千)|被盗刷|被人转走|盗刷",
    r"\b(?:money|funds|cash|balance)\b[^.?]{0,20}\b(?:missing|gone|disappeared|vanished|stolen)\b",
    r"\bmissing\s+from\s+my\s+account\b|\bsomeone\s+(?:took|stole|withdrew)\b",
    # Done on one side, nothing on the other: "显示成功了 银行卡里没有", "says success but my bank
    # app show nothing".
    r"(?:转账|转出|转入|转钱)[^。？?]{0,4}成功[^。？?]{0,16}(?:没到|没收到|没有到|没有钱|查不到)|"
    r"(?:显示|提示|说)成功[^。？?]{0,16}(?:钱|资金|款)[^。？?]{0,6}(?:没到|没收到|没有|没看到|查不到)",
    r"\b(?:says?|shows?|showed|said)\s+(?:it\s+)?(?:was\s+)?success\w*\b[^.?]{0,40}"
    r"\b(?:nothing|not\s+(?:there|arrived|received)|no\s+money)\b",
    # A transfer that failed on one side and took the money on the other.
    r"(?:失败|没成功|不成功)[^。]{0,12}(?:但|可|却)[^。]{0,10}(?:扣了|扣款了|扣钱了|钱没了|划走了|已经扣)",
    r"\b(?:failed|didn'?t\s+go\s+through)\b[^.]{0,30}\b(?:but|yet)\b[^.]{0,30}"
    r"\b(?:took|deducted|debited|charged)\b",
)
# Money gone by a cause the investor names, one the business explains ("分红后总资产变少了",
# "信用账户的钱少了一点 是扣利息了吗", "做了逆回购 钱也少了 持仓里却没有"): a question about it.
_NAMED_CAUSE = any_of(
    r"分红|派息|除权|除息|送股|配股|利息|逆回购|申购|中签|缴款|净值|管理费|折算",
    r"\b(?:dividends?|ex-dividend|interest|reverse\s+repo|ipo|subscription|nav)\b",
)
# ...but not when it says someone took it.
_TAKEN = any_of(
    r"被盗|盗刷|被(?:人)?转走|不是我|有人",
    r"\bstolen\b|\bsomeone\b|\bnot\s+me\b",
)
_OVERCHARGED = any_of(
    # Charged more than agreed: money taken that should not have been.
    r"(?:多收|多扣)了?(?:我|的钱|的费|的佣金)|(?:收|扣)多了|乱收费|乱扣费",
    r"\bover-?charg\w*\b",
    # Money taken twice for one thing is money gone from the account, whoever took it.
    r"重复(?:扣款|扣费|扣钱|收费|扣了)|(?:扣|收)了(?:我)?(?:两|2|二)(?:次|遍|回)|"
    r"同一笔[^，,。]{0,8}(?:扣|收)了(?:两|2)",
    r"\b(?:charged|debited|billed|deducted)\s+(?:me\s+)?(?:[a-z]+\s+){0,4}(?:twice|two\s+times|"
    r"double)\b|"
    r"\bdouble[- ](?:charged|charge|debit\w*|billed)\b",
)
_SOMEONE_ELSE = (
    r"(?:妈|爸|妈妈|爸爸|母亲|父亲|父母|老婆|老公|媳妇|爱人|儿子|女儿|孩子|家人|家里人|亲戚|朋友|同事|"
    r"爷爷|奶奶|老人|别人|他人|他|她)"
)
_LENDING = any_of(
    # Someone else's identity or account used to open or trade ("用我妈身份证开",
    # "拿他的账号帮他炒").
    rf"(?:用|拿|借|借用)(?:一下)?(?:我|你)?的?{_SOMEONE_ELSE}的?(?:身份证|证件|账户|账号|帐户|帐号|名义)",
    # One's password handed over, or an account opened for someone else to use.
    rf"(?:把|将)?(?:我的?)?(?:交易|登录|资金)?密码(?:告诉|给|发给|交给)了?{_SOMEONE_ELSE}",
    rf"开(?:一个|个)?(?:户|账户|账号)?给{_SOMEONE_ELSE}(?:用|炒|操作|玩)",
    r"\b(?:use|using|trad\w*|buy\w*|sell\w*|open\w*|log\w*\s+in(?:to)?)\s+(?:\w+\s+){0,3}?"
    r"(?:my|his|her|their)\s+(?:\w+\s+)?"
    r"(?:mom|mum|mother|dad|father|parents?|wife|husband|son|daughter|kid|child|friend|brother|"
    r"sister|relative|grandma|grandpa|grandmother|grandfather)'?s\s+(?:account|id|identity|name|login)\b",
    r"\bsomeone\s+else'?s\s+(?:account|id|identity|login)\b",
    r"\b(?:give|tell|share|send)\w*\s+(?:my\s+)?(?:son|daughter|wife|husband|friend|kid|him|her)\s+"
    r"(?:my\s+)?(?:password|login)\b",
)

# Answering the risk assessment to come out riskier than one is ("测的时候我能不能选激进点",
# "怎么答才能过"): suitability rests on true answers, so nobody coaches them.
_ASSESSMENT = r"(?:测评|风测|风评|问卷|风险评估|评估|答题|题目|测试|测的时)"
_ASSESSMENT_COACHING = any_of(
    rf"{_ASSESSMENT}[^。]{{0,16}}(?:选|填|答|勾)[^，,。]{{0,6}}(?:激进|高一?点|高的|最高|积极|冒险)",
    rf"(?:故意|随便|都|全|全部|全都)(?:选|填|答|勾)[^，,。]{{0,8}}(?:激进|最高|积极|高风险)|"
    rf"{_ASSESSMENT}[^，,。]{{0,6}}(?:标准)?答案",
    r"(?:怎么|咋|如何)(?:答|选|填|做)[^，,。]{0,10}(?:才能|才可以|能)(?:过|通过|高|到C[45]|开通|买)",
    r"\b(?:answer|choose|pick|select|tick|fill)\w*\b[^.?]{0,30}\b(?:aggressive|higher|riskier|"
    r"more risk)\b[^.?]{0,40}\b(?:assessment|questionnaire|test|profile)\b",
    r"\b(?:assessment|questionnaire|risk test)\b[^.?]{0,40}\b(?:answer|choose|pick|select|fill)\w*"
    r"\b[^.?]{0,20}\b(?:aggressive|higher|riskier)\b",
    r"\bhow\s+(?:do|should|can)\s+i\s+answer\b[^.?]{0,40}\b(?:pass|get|qualify|unlock)\b",
    r"\b(?:which|what)\s+answers?\b[^.?]{0,30}\b(?:pick|choose|select|tick|give)\b[^.?]{0,30}"
    r"\b(?:higher|riskier|aggressive|pass|qualify)\b",
)


# A lower commission asked for ("能给我降到万一免五不", "can u lower my commission"): the rate is
# agreed between broker and client, so the answer is how to ask and a person, not a fee rule.
_ASKS_LOWER = any_of(
    r"(?:能|可以|能不能|可不可以|给我|帮我|申请|想|求|要)[^，,。？?]{0,6}(?:降|调低|便宜|少收|优惠|打折)",
    r"(?:调|改|降|弄)(?:到|成|为)[^，,。？?]{0,3}(?:万[一二两0-9.]|免五)",
    r"\b(?:can|could|would)\s+(?:you|u|i|we)\b[^.?]{0,20}\b(?:lower|reduce|cut|discount|get\s+a\s+lower)\b",
    r"\b(?:negotiate|lower|reduce|cut)\s+(?:my\s+|the\s+)?(?:commission|fees?|rate)\b",
)
_COMMISSION = any_of(
    r"佣金|手续费|费率|万[一二两三四五六七八九0-9.]|免五",
    r"\bcommission|\bfees?\b|\brate\b",
)


_ON_THEIR_BEHALF = any_of(rf"(?:帮|替|代){_SOMEONE_ELSE}(?:开|办|注册)")
"""Opening an account for someone, in their name: not lending (it is done in person)."""

_STUCK_NOW = any_of(
    r"(?:app|软件|系统|行情|k线|分时|交易|下单|委托|页面|界面)[^。？?]{0,10}"
    r"(?:卡住|卡死|卡了|很卡|不动|不刷新|闪退|崩了|崩溃|打不开|进不去|登不上|转圈|没反应|"
    r"下不了单|卖不出去?|卖不了|买不了|撤不了单|委托不了)",
    r"\b(?:app|quotes?|prices?|charts?|system|platform)\b[^.?!]{0,25}\b(?:frozen|freezing|stuck|"
    r"down|crash\w*|not\s+(?:loading|updating|refreshing)|won'?t\s+(?:load|open|refresh))\b",
)
_MUST_TRADE_NOW = any_of(
    r"急死|急着|着急|马上要|赶紧|来不及|还有单要|要卖|要买|等着卖|等着买|快收盘|要跌停|要涨停",
    r"\b(?:need|have|got)\s+to\s+(?:sell|buy|trade)\b|\burgent\w*|\basap\b|\bright\s+now\b",
)
_LOSS_NAMED = any_of(r"亏了|亏损|损失|赔偿|赔钱|少赚", r"\blost\b|\bloss(?:es)?\b|\bcompensat")

_TAKEN_OVER = any_of(
    r"(?:账户|账号|帐户|帐号)[^，,。？?]{0,4}被(?:盗|盗用|黑|人登录|人登陆)|被盗号|"
    r"有人[^，,。？?]{0,4}(?:登录|登陆|登入)了?我的|"
    r"(?:股票|持仓|仓位|票)[^，,。？?]{0,6}(?:被人?卖(?:了|光|掉)|被清仓)|"
    r"不是我(?:本人)?(?:操作|买|卖|下单|下|转)的|"
    r"我(?:根本)?没(?:有)?(?:操作|下单|买|卖|转)(?:过)?[^，,。？?]{0,8}(?:怎么|为什么|为啥|却|但)|"
    r"(?:偷偷|擅自|私自|背着我)[^，,。？?]{0,6}(?:用|操作|动|买|卖|交易|登录|转)|"
    r"未经(?:我|本人)的?(?:同意|允许|授权)|"
    # Credentials typed into a page a link opened ("我已经点了 还输了账号和交易密码").
    r"(?:点了|点开了?|打开了|链接|网页|网站)[^。？?]{0,10}(?:输|填|输入|填写)了?[^，,。？?]{0,6}"
    r"(?:密码|验证码)",
    r"\bsomeone\b[^.?]{0,20}\b(?:logged|signed|got)\s+(?:in|into)\b[^.?]{0,10}\bmy\b|"
    r"\b(?:account|login)\b[^.?]{0,12}\b(?:hacked|compromised|taken\s+over|stolen)\b|"
    r"\b(?:didn'?t|did\s+not|never)\s+(?:make|place|authori[sz]e|do)\s+"
    r"(?:these|this|those|that|the|any)\s+(?:trades?|orders?|transfers?|sales?)\b|"
    r"\bunauthori[sz]ed\s+(?:trades?|orders?|log\s?ins?|access|transfers?)\b|"
    r"\bwithout\s+my\s+(?:permission|consent|authori[sz]ation|knowledge)\b|"
    r"\b(?:trades?|orders?|transfers?)\b[^.?!]{0,30}\b(?:i|we)\s+(?:never|didn'?t|did\s+not)"
    r"\s+(?:make|made|place|placed|do|did|authori[sz]e|authori[sz]ed)\b|"
    r"\b(?:someone|somebody|they)\s+(?:has\s+|have\s+)?hacked\b|"
    r"\b(?:i|we)(?:'ve|\s+have)?\s+(?:been|got|was|were)\s+hacked\b|\bhacked\s+(?:my|into)\b|"
    r"\b(?:clicked|opened|tapped)\b[^.?]{0,30}\b(?:entered|typed|put\s+in|filled\s+in)\b[^.?]{0,20}"
    r"\b(?:password|pin|code)\b",
)
_FIRM_FAULT = (
    r"(?:系统|app|软件|交易系统|服务器|你们|平台|行情|委托|下单)[^，,。]{0,10}"
    r"(?:故障|宕机|崩|(?:一直|很|好|太|特别|老是|总是|又)卡|卡(?:死|住|顿|爆)|闪退|出错|bug|打不开|"
    r"登不上|延迟|挂了|瘫痪|报错|一直转圈|转圈|"
    r"没报出去|报不出去|下不了单)"
)
_LOSS = r"(?:亏|损失|赔|没卖出|没买进|没能卖|没能买|卖不出|买不进|错过|没成交|多亏|跌停)"
_STAFF = (
    r"(?:你们的?(?:人|员工|工作人员|客户经理|理财经理|销售|经理)"
    r"|客户经理|理财经理|投顾|营业部的?人|(?:你们的?)?(?:机器人|智能客服|在线客服))"
)
_FIRM_CAUSED_LOSS = any_of(
    rf"{_STAFF}[^。？?]{{0,20}}(?:说|推荐|让我|叫我|忽悠|保证|承诺)[^。？?]{{0,20}}{_LOSS}",
    rf"{_FIRM_FAULT}[^。？?]{{0,24}}{_LOSS}",
    rf"{_LOSS}[^。？?]{{0,12}}(?:因为|由于|都怪|是)[^。？?]{{0,8}}{_FIRM_FAULT}",
    r"\b(?:your|the)\s+(?:staff|adviser|advisor|account manager|salesperson|employee)\b[^.?]{0,40}"
    r"\b(?:told|said|promised|recommended|sold)\b[^.?]{0,40}\b(?:lost|loss|losses)\b",
    r"\b(?:app|system|platform|website)\b[^.?]{0,30}\b(?:crash\w*|down|outage|froze|frozen|"
    r"glitch\w*|failed)\b[^.?]{0,50}\b(?:lost|loss|losses|couldn'?t\s+(?:sell|buy)|missed)\b",
    # A position we closed, and a demand that we pay for a loss, are claims against the firm.
    r"(?:你们|券商|公司)[^。？?]{0,6}把我的?[^。？?]{0,12}(?:平了|平仓|强平|卖了|卖掉)",
    r"强平[^。？?]{0,10}(?:没人|没有人?|也不|不)通知|没(?:人|有)?通知[^。？?]{0,8}(?:就|直接)?强平",
    r"(?:你们|券商|(?<!上市)公司|平台)[^。？?]{0,12}(?:赔偿|赔钱|赔我|索赔)|(?:赔偿|赔)我的?损失|让你们赔",
    r"\byou\s+(?:closed|liquidated|sold)\s+my\b|\byour\s+fault\b|\bcompensat\w*\s+(?:me\s+)?from\s+you\b",
)


_CHASE_UP = any_of(
    # An earlier complaint or request that nobody answered, or the same thing failing again and
    # again: another round of questions would be one more contact about the same thing, so a
    # person takes it at once.
    r"(?:又|再次|第[二三四五六七八九十两\d]+次)[^。？?，,]{0,6}"
    r"(?:被驳回|驳回|失败|不通过|没通过|被拒|审核不过)(?:了|啦)?",
    r"(?:上次|上周|上个月|之前|前几天|前两天|早就|已经|好几次)[^。？?]{0,12}"
    r"(?:反映|投诉|说过|提过|问过|反馈|报过|登记)[^。？?]{0,16}"
    r"(?:没人|没有人|还没|都没|一直没|也没|迟迟没|至今没|到现在)[^。？?]{0,4}"
    r"(?:回复|处理|联系|回音|答复|解决|理|管|人)",
    r"\b(?:complained|reported|raised|asked)\b[^.?]{0,40}\b(?:last\s+week|days?\s+ago|already|before|"
    r"weeks?\s+ago)\b[^.?]{0,40}\b(?:no\s+(?:one|reply|response|answer)|nobody|never\s+heard|"
    r"still\s+(?:no|not|waiting))\b",
    r"\b(?:rejected|failed|declined)\s+(?:again|(?:for\s+)?the\s+(?:second|third|fourth)\s+time)\b",
    # Asking where a complaint stands: it was made, and the answer is a person's to give.
    r"(?:投诉|反映|反馈)[^。？?，,]{0,6}(?:处理)?(?:到哪|进度|怎么样了|有(?:没有)?(?:结果|进展|回复))",
    r"\b(?:status|progress)\s+of\s+my\s+complaint\b|\bmy\s+complaint\b[^.?]{0,20}\b(?:status|progress|"
    r"update)\b",
)


# Us, as an investor names us: the firm, its app, its staff.
_US = r"(?:你们|贵公司|券商|公司|app|软件|系统|客服|经理|平台|营业部|柜台|柜员)"
_GRIEVANCE = any_of(
    rf"{_US}[^。？?]{{0,30}}(?:垃圾|坑人|骗人|太差|差劲|烂|离谱|恶心|忽悠|欺骗|骗子|太坑|太过分|不负责|凭什么|"
    r"玩我|耍我|糊弄|敷衍|暗箱操作|黑幕|做手脚|故意不|就是不想|不想让人)",
    rf"(?:垃圾|坑人|骗人|忽悠|骗子|太坑|太过分|玩我|耍我|糊弄|敷衍)[^。？?]{{0,12}}{_US}",
    r"这不是(?:骗人|坑人|忽悠|欺骗)",
    # A promise not kept: "说好的开户送礼品 到现在都没收到", "经理说佣金万一 结果收了万二点五".
    r"说好的?[^。？?]{0,20}(?:没有?|不|还没|都没)",
    r"(?:经理|客服|你们|工作人员|销售|业务员)[^。？?]{0,6}(?:说|承诺|答应|保证)[^。？?]{0,24}"
    r"(?:结果|但是|可是|却|实际上?)",
    r"\byou\s+(?:promised|said|told\s+me)\b[^.?]{0,50}\b(?:but|yet|still|instead)\b",
    r"\b(?:your|ur|this|the)\s+(?:app|service|company|support|platform|system|hotline|"
    r"customer\s+service)\b[^.?]{0,40}"
    r"\b(?:terrible|awful|useless|garbage|a\s+joke|worst|ridiculous|a\s+scam|sucks)\b",
    # Kept waiting by our hotline: "been on hold 40 mins", "客服电话打了半天打不通".
    r"\bon\s+hold\s+(?:for\s+)?(?:\d+|an?|over\s+an?|almost\s+an?)\s*(?:mins?|minutes?|hours?|hrs?)\b",
    r"(?:客服|热线|人工|电话)[^。？?]{0,8}(?:打不通|没人接|一直占线|等了(?:半天|好久|半个?小时|"
    r"\d+分钟|一个多?小时))",
)
_ADDRESSES_US = any_of(_US, r"\b(?:you|your)\b")


def voices_grievance(text: str) -> bool:
    """Whether the investor airs a grievance against us, in whatever words: a complaint
    though "投诉" is never said ("什么垃圾", "说好的礼品到现在都没收到")."""
    return _GRIEVANCE.search(text) is not None


# "有人打电话说我风险测评快过期了 是你们打的吗": whether a call or a message really came from us.
_FROM_US_ASKED = any_of(
    rf"是(?:不是)?{_US}[^，,。？?]{{0,4}}(?:打|发|寄)的|是{_US}的?(?:人|电话|短信)(?:吗|么|嘛)|真的是{_US}",
    r"\b(?:is|was)\s+(?:this|that|it|he|she|they)(?:\s+(?:call|text|message|sms|email|person|guy))?"
    r"\s+(?:really\s+)?(?:from\s+)?(?:you|your)\b|"
    r"\bdid\s+(?:you|your\s+\w+)\s+(?:call|text|message|send)\b",
)


def asks_if_from_us(text: str) -> bool:
    """Whether the investor asks us to confirm that a call or a message was ours: a question
    to check a contact, however the classifier reads the call it mentions."""
    return _FROM_US_ASKED.search(text) is not None


def addresses_us(text: str) -> bool:
    """Whether the message speaks of the firm, its app or its staff ("你们", "客服", "your app")."""
    return _ADDRESSES_US.search(text) is not None


# "证券公司倒闭了我的钱会不会没了" asks what would happen; it reports nothing gone. Neither does
# "要退市了 钱全没了吗": what a delisting costs is the market's doing, not money gone missing.
_HYPOTHETICAL = any_of(
    r"会不会|如果|万一|要是|假如|假设|倒闭|破产|跑路|退市|清零",
    r"\bif\b|\bwould\b|\bwhat happens\b|\bbankrupt\w*|\bgoes\s+under\b|\bdelist\w*",
)


def reports_missing_money(text: str) -> bool:
    """Whether the investor says money has gone from their account (not whether it could)."""
    if _HYPOTHETICAL.search(text) is not None:
        return False
    if _OVERCHARGED.search(text) is not None:
        return True
    gone = _MONEY_GONE.search(text) is not None
    return gone and (_NAMED_CAUSE.search(text) is None or _TAKEN.search(text) is not None)


def lends_account(text: str) -> bool:
    """Whether the investor means to use someone else's identity or account, or let someone
    else use theirs: a real-name account is the holder's alone (Securities Law, art. 58)."""
    return _LENDING.search(text) is not None and _ON_THEIR_BEHALF.search(text) is None


def coaches_assessment(text: str) -> bool:
    """Whether the investor wants to answer the risk assessment other than truly (to be
    rated riskier, to pass), which suitability rules forbid anyone to help with."""
    return _ASSESSMENT_COACHING.search(text) is not None


def asks_lower_commission(text: str) -> bool:
    """Whether the investor asks for a lower commission rate for themselves."""
    return _ASKS_LOWER.search(text) is not None and _COMMISSION.search(text) is not None


def stuck_while_trading(text: str) -> bool:
    """Whether the app or the market data is stuck while the investor must trade now ("行情不动
    K线卡住 … 我还有单要卖 急死"): a person now, and the other ways to trade. A loss already
    named ("…没卖出去 亏了快2w") is a loss laid at our door instead."""
    return (
        _STUCK_NOW.search(text) is not None
        and _MUST_TRADE_NOW.search(text) is not None
        and _LOSS_NAMED.search(text) is None
    )


def reports_account_taken_over(text: str) -> bool:
    """Whether the investor says someone else got into their account or traded in it."""
    return _TAKEN_OVER.search(text) is not None


def reports_firm_caused_loss(text: str) -> bool:
    """Whether the investor says our system or staff cost them money (a crash during a trade)."""
    return _FIRM_CAUSED_LOSS.search(text) is not None


def chases_up_earlier_contact(text: str) -> bool:
    """Whether the investor is back about something that went unanswered or failed again."""
    return _CHASE_UP.search(text) is not None


def fraud_signals(text: str) -> list[str]:
    """The ids of the scam patterns ``text`` describes, in :class:`FraudSignal` order (帐 read
    as the 账 the patterns are written with: "安全帐户" is the safe-account scam too)."""
    text = text.replace("帐", "账")
    return [signal.value for signal, pattern in SIGNAL_PATTERNS.items() if pattern.search(text)]


def is_prompt_injection(text: str) -> bool:
    """Whether ``text`` tries to rewrite the assistant's instructions or role."""
    return _INJECTION.search(text) is not None


def read_incoming(normal: str, *, masked_text: str, pii: Sequence[str]) -> IncomingFindings:
    """What ``normal`` (the message normalised) reveals, beside its masked text and the kinds of
    personal data found in it."""
    return IncomingFindings(
        masked_text=masked_text,
        pii=list(pii),
        fraud_signals=fraud_signals(normal),
        prompt_injection=is_prompt_injection(normal),
        advice_request=is_advice_request(normal),
        missing_money=reports_missing_money(normal),
        account_lending=lends_account(normal),
        account_taken_over=reports_account_taken_over(normal),
        stuck_while_trading=stuck_while_trading(normal),
        firm_caused_loss=reports_firm_caused_loss(normal),
        chase_up=chases_up_earlier_contact(normal),
        assessment_coaching=coaches_assessment(normal),
        lower_commission=asks_lower_commission(normal),
    )


def is_advice_request(text: str) -> bool:
    """Whether ``text`` asks which security to trade, or where a price is going."""
    return _ADVICE_REQUEST.search(text) is not None
