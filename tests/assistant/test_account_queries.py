"""Which messages ask about the investor's own account, and what they ask.

Written as investors type: short, unpunctuated, with spaces in odd places, in
Chinese, in English and in a mix of both. Every negative is a question about
the rules (the FAQ's), an eligibility question (the permission flow's), a wish
to change something, advice, or someone else's account.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from assistant.account_queries import ACCOUNT_QUERY_KINDS, AccountQueryKind, detect_account_query

ZH_ACCOUNT_QUESTIONS: list[tuple[str, AccountQueryKind]] = [
    ("我的佣金是多少", "commission"),
    ("我佣金费率多少 查一下", "commission"),
    ("查一下我的佣金", "commission"),
    ("我现在佣金是万几", "commission"),
    ("我买ETF的佣金是多少", "commission"),
    ("我的手续费率是多少", "commission"),
    ("我交易一笔最低收多少佣金", "commission"),
    ("我的佣金免五吗", "commission"),
    ("我昨天转的钱到了没", "transfers"),
    ("转账失败了 为什么", "transfers"),
    ("我刚转了5万 怎么还没到账", "transfers"),
    ("银证转账失败了怎么回事", "transfers"),
    ("我的转账到账了吗", "transfers"),
    ("今天转入的钱怎么还没到", "transfers"),
    ("出金为什么没成功", "transfers"),
    ("我转出去的钱到银行卡了没", "transfers"),
    ("查下我最近的银证转账记录", "transfers"),
    ("我刚才挂的茅台成交了吗", "orders"),
    ("我的单子为什么被撤了", "orders"),
    ("今天的委托成交了没", "orders"),
    ("我挂的单怎么还没成交", "orders"),
    ("我的买单只成交了一部分", "orders"),
    ("为什么我的委托是废单", "orders"),
    ("600001的委托成交了吗", "orders"),
    ("昨天那笔卖单成交了吗", "orders"),
    ("我中签了吗", "ipo"),
    ("昨天打的新中没中", "ipo"),
    ("中签了要交多少钱 什么时候交", "ipo"),
    ("我申购的新债中了没", "ipo"),
    ("我有没有中签", "ipo"),
    ("这次打新我中了几个签", "ipo"),
    ("中签的钱扣了没", "ipo"),
    ("我今天要缴款吗", "ipo"),
    ("我中的签今天要交吗", "ipo"),
    ("我开通创业板了没有", "permissions"),
    ("我有哪些权限", "permissions"),
    ("我的科创板权限开了吗", "permissions"),
    ("我有没有港股通权限", "permissions"),
    ("我什么时候开的创业板", "permissions"),
    ("我的两融开通了吗", "permissions"),
    ("我的风险等级是啥 什么时候过期", "risk"),
    ("我是C几", "risk"),
    ("我的风险测评什么时候到期", "risk"),
    ("我风评过期了没", "risk"),
    ("我现在风险承受能力等级多少", "risk"),
    ("我身份证是不是快过期了", "id_expiry"),
    ("我的证件什么时候到期", "id_expiry"),
    ("我身份证有效期到哪天", "id_expiry"),
    ("我的身份证过期了吗", "id_expiry"),
    ("帮我开个对账单", "statement"),
    ("帮我开一份资产证明", "statement"),
    ("我要上个月的对账单", "statement"),
    ("给我发一下今年的交割单", "statement"),
    ("我需要一份资产证明 办签证用", "statement"),
    ("我办留学签证 需要我的账户的英文资产证明 你们能开英文的吗", "statement"),
    ("麻烦出个资产证明", "statement"),
    ("帮我看下我上一笔银证转账转了多少", "transfers"),
    ("昨天转的5万到现在没看见 钱呢", "transfers"),
    ("转3000出去提示失败了", "transfers"),
    ("我前几天申购了哪些新股", "ipo"),
    ("我上周申购的那只基金确认了吗", "orders"),
    ("我昨天的基金申购成功了吗", "orders"),
    ("我中了的可转债得交多少钱", "ipo"),
    ("要一份中英文版的对账单", "statement"),
    ("我下的单子在委托里看不到了", "orders"),
    ("我的身份证有效期到哪天 怕过期被限制", "id_expiry"),
    ("我绑的是哪张银行卡", "bank_card"),
    ("我的三方存管是哪个银行", "bank_card"),
    ("我的存管银行是哪家", "bank_card"),
    ("我银行卡尾号多少", "bank_card"),
    ("我换绑银行卡成功了吗", "bank_card"),
    ("我的账户为什么被冻结了", "account_status"),
    ("为什么我的钱转不出来了 显示资金冻结", "account_status"),
    ("我的账户状态正常吗", "account_status"),
    ("帮我看看我帐户现在是不是正常的 有没有被限制什么的", "account_status"),
    ("我的账户被限制交易了 为什么", "account_status"),
    ("我账户被司法冻结了吗", "account_status"),
    ("查一下我的持仓", "holdings"),
    ("帮我看看我手里的股票", "holdings"),
    ("我账户里有哪些股票", "holdings"),
    ("帮我看看我账户里现在都有哪些基金和股票", "holdings"),
    ("看下我的cc", "holdings"),
    ("我的股票亏了多少", "holdings"),
    ("我现在手上都有哪些股票", "holdings"),
    ("我cyb开了没 kcb呢", "permissions"),
    ("上周申请的创业板权限咋还没开 打了三次电话都说在处理", "permissions"),
    ("我手里还剩啥票", "holdings"),
    ("我持有哪几只", "holdings"),
    ("我账户里现在买了啥", "holdings"),
    ("我是不是zq了 要交多少钱 几点前交", "ipo"),
    ("早上从银行转了5万进来 怎么还没到", "transfers"),
]

ZH_OTHER_QUESTIONS: list[str] = [
    "佣金一般是多少",
    # holdings: why a figure is what it is, how much to hold, where to look, a proof
    "我的持仓成本价为什么变了",
    "我现在仓位多少合适",
    "在哪看持仓",
    "持仓证明怎么开",
    "我的zq账户怎么开通创业板",
    "我账户里有股票 能销户吗",
    "手上有只票不想卖 能押给你们借点钱吗",
    "挂的单子还没成交 能直接改价格吗",
    "手里的票跌了好多 要不要卖",
    "大股东减持有啥限制",
    "我半夜下的单算啥",
    "我收盘后挂的单算什么单",
    "我想申请科创板权限",
    "帮我办理创业板",
    "中签后怎么缴款",
    "我的票停牌了 还能挂单卖吗",
    "银证转账多久到账",
    "创业板开通条件",
    "佣金怎么算",
    "你们的佣金是多少",
    "我的佣金能不能降一点",
    "佣金太高了能优惠吗",
    "印花税是多少",
    "转账要手续费吗",
    "银证转账的时间是几点到几点",
    "周末可以转账吗",
    "怎么把钱转到证券账户",
    "转账失败一般是什么原因",
    "撤单怎么操作",
    "什么是废单",
    "什么情况下会废单",
    "委托为什么会被撤单",
    "集合竞价的时候能撤单吗",
    "限价委托和市价委托有什么区别",
    "挂单多久有效",
    "中签率是多少",
    "怎么提高中签率",
    "中签了不缴款会怎样",
    "今天有什么新股可以申购",
    "新股申购需要多少市值",
    "kcb 的 IPO 能打吗 我沪市 market value 大概60万",
    "新股中签结果什么时候公布",
    "可转债中签后怎么缴款",
    "科创板开通需要什么条件",
    "我想开通创业板",
    "我能开通科创板吗",
    "港股通权限怎么开",
    "开通两融要多久",
    "风险测评怎么做",
    "风险等级有几种",
    "C4能买什么",
    "风险测评多久有效",
    "身份证过期了怎么更新",
    "身份证过期会有什么影响",
    "身份证到期了还能交易吗",
    "对账单怎么看",
    "资产证明怎么开",
    "对账单在哪里查",
    "资产证明要收费吗",
    "帮我查一下我老婆的账户转账到了没",
    "我买的股票跌了怎么办",
    "你好",
    "我想销户",
    "如果转账失败了怎么办",
    # a cash balance, a sale's proceeds, a repo's maturity: not a transfer record
    "我账户里还有多少现金能取",
    "今天卖了股票的钱能转到银行吗",
    "我的逆回购到期了钱什么时候能转出",
    # one trade's charge, or where the rate is shown: the FAQ's
    "这笔交易收了多少佣金",
    "佣金费率在app哪个菜单看",
    # order rules: cancelling near the close, carrying over, frozen cash, a missing signature
    "下午收盘前为什么不能撤单了",
    "我的单子没成交 明天还会继续挂着吗",
    "我买单没成交 资金被冻结了 什么时候解冻",
    "我委托被拒了说要签风险揭示书",
    # a product mismatch or a knowledge test is not the risk assessment on file
    "我买基金提示风险等级跟产品不匹配",
    "我科创板知识测试没及格 能再考吗",
    "我没开创业板权限能申购创业板新股吗",
    # a disputed charge is a complaint, not a statement request
    "交割单上佣金多收了 要退给我",
    "三方存管是什么意思",
    "三方存管银行有哪些",
    "我想换绑银行卡",
    "换卡要多久",
    "我的银行卡被冻结了",
    "账户冻结了怎么办",
    "账户冻结了是什么意思",
    "我的密码被锁定了",
    "我想冻结我的账户 手机丢了",
    "司法冻结一般多久能解除",
    # frozen cash held by an order, a caller's claim, a wish to freeze, the exchange's measure
    "为啥我有一笔冻结资金",
    "有人打电话说是你们客服 说我账户异常",
    "马上帮我把账户冻结",
    "我的账户被交易所限制交易了",
    "好多年前开的户现在是休眠状态 我不想激活了 直接注销掉行吗",
]

EN_ACCOUNT_QUESTIONS: list[tuple[str, AccountQueryKind]] = [
    ("what's my commission rate", "commission"),
    ("how much money did i make this month? check my account pls", "holdings"),
    ("what is my commission", "commission"),
    ("how much commission do I pay", "commission"),
    ("what fee do I pay per trade", "commission"),
    ("check my commission please", "commission"),
    ("my etf commission rate?", "commission"),
    ("what commission am I paying", "commission"),
    ("where is my transfer", "transfers"),
    ("my deposit hasn't arrived", "transfers"),
    ("why did my transfer fail", "transfers"),
    ("did my withdrawal go through", "transfers"),
    ("I transferred 50000 yesterday, where is it", "transfers"),
    ("has my deposit cleared", "transfers"),
    ("show my recent transfers", "transfers"),
    ("what happened to my withdrawal", "transfers"),
    ("the money I sent this morning hasn't arrived", "transfers"),
    ("is my order filled", "orders"),
    ("why was my order cancelled", "orders"),
    ("why was my order rejected", "orders"),
    ("did my buy order go through", "orders"),
    ("has my sell order for 600001 been filled", "orders"),
    ("show me today's orders", "orders"),
    ("was my order partially filled", "orders"),
    ("my moutai order is not filled yet", "orders"),
    ("did I win the IPO", "ipo"),
    ("did I get any IPO shares", "ipo"),
    ("how much do I need to pay for my allotment", "ipo"),
    ("when is my IPO payment due", "ipo"),
    ("have I been allotted any new shares", "ipo"),
    ("was I allotted shares in yesterday's IPO", "ipo"),
    ("my IPO results?", "ipo"),
    ("which permissions do I have", "permissions"),
    ("do I have ChiNext access", "permissions"),
    ("is stock connect enabled on my account", "permissions"),
    ("has my STAR market permission been approved", "permissions"),
    ("what boards can I trade", "permissions"),
    ("show me my permissions", "permissions"),
    ("when does my risk assessment expire", "risk"),
    ("what's my risk level", "risk"),
    ("has my risk assessment expired", "risk"),
    ("am I C4", "risk"),
    ("what risk level am I", "risk"),
    ("what is my risk rating", "risk"),
    ("my risk level?", "risk"),
    ("is my ID about to expire", "id_expiry"),
    ("when does my ID card expire", "id_expiry"),
    ("has my passport expired", "id_expiry"),
    ("what's the expiry date of my ID on file", "id_expiry"),
    ("send me my statement for last month", "statement"),
    ("I need a proof of assets", "statement"),
    ("can you send me an account statement", "statement"),
    ("please issue an asset certificate for me", "statement"),
    ("I'd like my trade confirmations for this year", "statement"),
    ("what trading permissions are on my account", "permissions"),
    ("which bank card is linked to my account", "bank_card"),
    ("what bank is my account linked to", "bank_card"),
    ("is my account restricted?", "account_status"),
    ("why is my account frozen", "account_status"),
    ("show me my holdings and how much im up or down", "holdings"),
    ("what stocks do i hold", "holdings"),
    ("show my positions", "holdings"),
]

EN_OTHER_QUESTIONS: list[str] = [
    "why is the cost price of my holdings different from what i paid",
    # a card gone or a refund demanded: not where a transfer went
    "but my old card is lost, i cant transfer money out to it",
    "i want my money refunded TODAY not some ticket",
    "my margin positions got force sold, do i still owe money",
    # whether something may be done, not what the account holds
    "can i put in an order sat night so it goes thru monday morning",
    "can't i just sell and transfer the money to her?",
    "what is the usual commission rate",
    "how is commission calculated",
    "can I lower my commission",
    "is the commission negotiable",
    "what commission do you charge",
    "how long does a bank transfer take",
    "how do I transfer money to my account",
    "what are the transfer hours",
    "is there a fee for withdrawals",
    "can I withdraw on weekends",
    "what is the daily transfer limit",
    "how do I cancel an order",
    "what is a limit order",
    "why do orders get partially filled",
    "how long is an order valid",
    "can I cancel an order during the call auction",
    "how does the IPO lottery work",
    "how do I pay for an IPO allotment",
    "what happens if I don't pay for my allotment",
    "how can I improve my chances of winning an IPO",
    "when do IPO results come out",
    "which IPOs are open today",
    "how do I get ChiNext permission",
    "what are the requirements for the STAR market",
    "am I eligible for margin trading",
    "how long does it take to enable stock connect",
    "I want to open ChiNext",
    "how do I redo the risk assessment",
    "how long is a risk assessment valid",
    "what do the risk levels mean",
    "what can a C3 investor buy",
    "how do I update my ID",
    "what happens if my ID expires",
    "which ID documents are accepted",
    "can I trade with an expired ID",
    "how do I get a statement",
    "where can I download my statements",
    "what does a statement show",
    "is there a fee for an asset certificate",
    "check my wife's transfer",
    "hello",
    "should I buy more shares",
    "what is stamp duty",
    "I forgot the password I use for bank transfers",
    "why was I charged 5 yuan on one small trade",
    "my ChiNext application got rejected",
    "what does a depository bank mean",
    "how do I change my linked bank card",
    "what does a frozen account mean",
    "please freeze my account, I lost my phone",
    "my account is restricted because my ID expired",
    "my stock is suspended, can I still sell it",
]

MIXED_ACCOUNT_QUESTIONS: list[tuple[str, AccountQueryKind]] = [
    ("我的commission是多少", "commission"),
    ("my 佣金 rate 是多少", "commission"),
    ("我的ETF佣金多少", "commission"),
    ("帮我check下我的持仓", "holdings"),
    ("我的holdings有哪些", "holdings"),
    ("查一下我的fee rate", "commission"),
    ("我的trading fee 是多少", "commission"),
    ("my 转账 到了没", "transfers"),
    ("我昨天的transfer到账了吗", "transfers"),
    ("我的deposit怎么还没到", "transfers"),
    ("withdrawal失败了 为什么", "transfers"),
    ("我的银证transfer failed了", "transfers"),
    ("我的order成交了吗", "orders"),
    ("我的委托 filled了吗", "orders"),
    ("今天挂的600001 成交了没", "orders"),
    ("my order 为什么被撤了", "orders"),
    ("我的buy order还没成交", "orders"),
    ("我的IPO中签了吗", "ipo"),
    ("IPO中了没", "ipo"),
    ("我中签的new shares要交多少钱", "ipo"),
    ("my allotment 什么时候缴款", "ipo"),
    ("我的新债 allotted 了吗", "ipo"),
    ("我有哪些permissions", "permissions"),
    ("我开通ChiNext了没有", "permissions"),
    ("我的STAR market权限开了吗", "permissions"),
    ("do I have 港股通", "permissions"),
    ("我的margin开通了吗", "permissions"),
    ("我的risk level是啥", "risk"),
    ("my 风险测评 什么时候过期", "risk"),
    ("我是C几 risk level", "risk"),
    ("我的risk assessment过期了吗", "risk"),
    ("我的风评 expire 了吗", "risk"),
    ("我的ID card是不是快过期了", "id_expiry"),
    ("my 身份证 什么时候到期", "id_expiry"),
    ("我的passport过期了没", "id_expiry"),
    ("我的身份证 expired 了吗", "id_expiry"),
    ("帮我开个statement", "statement"),
    ("send me 上个月的对账单", "statement"),
    ("我需要一份proof of assets", "statement"),
    ("帮我出个asset certificate", "statement"),
    ("please 给我发一下对账单", "statement"),
    ("I need 资产证明 for visa", "statement"),
    ("我的linked bank card是哪张", "bank_card"),
    ("my account 为什么被冻结了", "account_status"),
]

MIXED_OTHER_QUESTIONS: list[str] = [
    "commission一般是多少",
    "佣金 in general 多少",
    "ETF的佣金怎么算",
    "我的commission能降吗",
    "你们的fee rate是多少",
    "transfer一般多久到账",
    "银证transfer怎么操作",
    "deposit有限额吗",
    "周末可以withdraw吗",
    "how long 银证转账 到账",
    "limit order是什么意思",
    "order怎么撤单",
    "什么是partially filled",
    "委托 how long valid",
    "撤单 rules 是什么",
    "IPO中签后怎么缴款",
    "中签率 how to improve",
    "IPO不缴款会怎样",
    "今天有什么IPO",
    "打新需要多少market value",
    "ChiNext开通条件",
    "我想开通STAR market",
    "am I eligible 开通创业板",
    "港股通 permission 怎么开",
    "margin要多久开通",
    "risk assessment怎么做",
    "risk level有几种",
    "C4 能买什么 stock",
    "风险测评 how long valid",
    "risk测评怎么重做",
    "ID card过期了怎么更新",
    "身份证 expire 会怎样",
    "passport过期还能交易吗",
    "statement怎么看",
    "proof of assets怎么开",
    "对账单 where to download",
    "asset certificate收费吗",
    "我老婆的transfer到了没",
    "hello 你好",
    "should I 买 ETF",
    "三方存管 what does it mean",
    "frozen account 怎么办",
]


def _kinds(cases: list[tuple[str, AccountQueryKind]]) -> list[Any]:
    return [pytest.param(text, kind, id=text) for text, kind in cases]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        *_kinds(ZH_ACCOUNT_QUESTIONS),
        *_kinds(EN_ACCOUNT_QUESTIONS),
        *_kinds(MIXED_ACCOUNT_QUESTIONS),
    ],
)
def test_a_question_about_the_investors_own_account_is_recognised(
    text: str, kind: AccountQueryKind
) -> None:
    query = detect_account_query(text)

    assert query is not None
    assert query.kind == kind


@pytest.mark.parametrize("text", [*ZH_OTHER_QUESTIONS, *EN_OTHER_QUESTIONS, *MIXED_OTHER_QUESTIONS])
def test_a_question_about_the_rules_is_left_to_the_faq(text: str) -> None:
    assert detect_account_query(text) is None


def test_every_table_holds_at_least_forty_of_each() -> None:
    tables: list[list[Any]] = [
        ZH_ACCOUNT_QUESTIONS,
        ZH_OTHER_QUESTIONS,
        EN_ACCOUNT_QUESTIONS,
        EN_OTHER_QUESTIONS,
        MIXED_ACCOUNT_QUESTIONS,
        MIXED_OTHER_QUESTIONS,
    ]
    assert all(len(table) >= 40 for table in tables)
    for positives in tables[0::2]:
        assert {kind for _, kind in positives} == set(ACCOUNT_QUERY_KINDS)


@pytest.mark.parametrize(
    ("text", "details"),
    [
        ("我刚才挂的茅台成交了吗", {"security": "茅台", "when": "today"}),
        ("600001的委托成交了吗", {"security": "600001"}),
        ("has my sell order for 600001 been filled", {"security": "600001"}),
        ("my moutai order is not filled yet", {"security": "moutai"}),
        ("昨天打的新中没中", {"security": None, "when": "yesterday"}),
        ("我上周打的新中签了吗", {"security": None, "when": "last_week"}),
        ("我今天挂的委托成交了没", {"security": None, "when": "today"}),
        ("我昨天转的钱到了没", {"when": "yesterday", "status": None}),
        ("转账失败了 为什么", {"status": "failed"}),
        ("why did my transfer fail", {"status": "failed"}),
        ("我的单子为什么被撤了", {"status": "cancelled"}),
        ("为什么我的委托是废单", {"status": "rejected"}),
        ("why was my order rejected", {"status": "rejected"}),
        ("我开通创业板了没有", {"board": "chinext"}),
        # An application already made is a status question, not a wish to apply.
        ("我的科创板权限开了没 上周申请的", {"board": "star", "when": "last_week"}),
        ("how many shares did I apply for?", {"security": None}),
        ("do I have ChiNext access", {"board": "chinext"}),
        ("is stock connect enabled on my account", {"board": "stock_connect"}),
        ("我有哪些权限", {"board": None}),
        ("我买ETF的佣金是多少", {"product": "etf"}),
        ("我的佣金是多少", {"product": None}),
        ("帮我开个对账单", {"statement_kind": "statement", "when": None}),
        ("我要上个月的对账单", {"statement_kind": "statement", "when": "last_month"}),
        ("帮我开一份资产证明", {"statement_kind": "asset_certificate"}),
        ("I need a proof of assets", {"statement_kind": "asset_certificate"}),
        ("帮我开一份资产证明", {"statement_language": None}),
        ("需要我的账户的英文资产证明", {"statement_language": "en"}),
        ("帮我开个中英文的资产证明", {"statement_language": "zh_en"}),
        ("send me my statement in English", {"statement_language": "en"}),
        ("show me today's orders", {"when": "today"}),
        ("show my recent transfers", {"when": "recent"}),
        ("帮我check下今天那笔order成交没 茅台那个", {"security": "茅台", "when": "today"}),
        ("我买了茅台那个成交了吗", {"security": "茅台"}),
        (
            "今早transfer out了5000块到银行卡 到帐没 银行app里没看到",
            {"direction": "securities_to_bank"},
        ),
        ("昨天转的5万到现在没看见", {"direction": None, "amount": Decimal(50000)}),
        ("did my 20k deposit arrive", {"direction": "bank_to_securities", "amount": 20000}),
        ("我9点转的钱到了吗", {"amount": None}),  # a time, not a sum
        (
            "moved 20k from icbc to my stock acct an hour ago still not showing??",
            {"direction": "bank_to_securities", "amount": 20000},
        ),
        ("it says FAILED but icbc already took the money out!!", {"status": "failed"}),
        # a bare number moved somewhere is a sum; where it went is said around it
        (
            "上午从证券转了5000到银行 现在还没到 帮我看看",
            {"direction": "securities_to_bank", "amount": Decimal(5000)},
        ),
        (
            "早上从银行转了5万进来 怎么还没到",
            {"direction": "bank_to_securities", "amount": Decimal(50000)},
        ),
    ],
)
def test_the_details_in_the_text_are_read(text: str, details: dict[str, object]) -> None:
    query = detect_account_query(text)

    assert query is not None
    assert {name: getattr(query, name) for name in details} == details


def test_full_width_characters_and_stray_spaces_are_read_like_plain_ones() -> None:
    assert detect_account_query("我 的 佣 金 是 多 少 ？") == detect_account_query("我的佣金是多少")
    query = detect_account_query("ＷＨＡＴ'Ｓ ＭＹ ＣＯＭＭＩＳＳＩＯＮ ＲＡＴＥ")
    assert query is not None and query.kind == "commission"


def test_an_empty_message_is_not_a_question() -> None:
    assert detect_account_query("") is None
    assert detect_account_query("   ") is None


@pytest.mark.parametrize(
    "text",
    [
        "打新中了没钱交会咋样 可转债中了不要也算吗",  # won, and no money: a rule question
        "要是中了钱不够 会自动卖我股票凑钱吗",
    ],
)
def test_a_supposition_about_an_allotment_is_a_rule_question(text: str) -> None:
    assert detect_account_query(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "昨天卖了2000股，7块3一股，算下来应该14600，咋到账才14580多",
        "sold 500 shares at 18.40, should be 9200 but my account only got 9188?? why",
    ],
)
def test_the_proceeds_of_a_sale_worked_out_are_a_fees_question(text: str) -> None:
    assert detect_account_query(text) is None
