"""Safety rules catch requests for a person, fraud reports and complaints, and nothing else."""

from __future__ import annotations

import pytest

from intents.rules import COMPLAINT, FRAUD_REPORT, HUMAN_AGENT, RuleMatch, SafetyRules, match_rule

ASKS_FOR_A_PERSON = [
    "转人工",
    "轉人工",
    "我要人工客服",
    "帮我转接一下人工",
    "逾期了 会不会上征信 能找人帮我处理吗",
    "有没有人能帮我",
    "找客服",
    "我想和真人聊",
    "不要机器人，给我找个人",
    "麻烦安排一个工作人员跟我联系",
    "talk to a human please",
    "Can I speak to a real person?",
    "connect me to an agent",
    "I want a human agent",
    "agent please",
    "representative",
]

REPORTS_FRAUD = [
    "我被骗了",
    "我好像上当受骗了",
    "我妈被所谓的股票老师骗了十几万",
    "有个荐股群的老师带我炒股",
    "对方让我转账到个人账户",
    "接到电话说我涉嫌洗钱，要我把钱转到安全账户",
    "有人冒充你们客服",
    "网上有个假的交易app，充了钱提不出来",
    "I think I've been scammed",
    "I was defrauded by someone on WeChat",
    "Is this a scam?",
    "someone asked me to transfer money to a personal account",
    "someone pretending to be from your company asked for my password",
]

COMPLAINS = [
    "我要投诉",
    "我要投訴你们",
    "投诉渠道有哪些",
    "我要去12386反映",
    "你们服务太差了",
    "我要打315",
    "要求赔偿我的损失",
    "I want to file a complaint",
    "your customer service attitude is terrible",
    "extremely disappointed with your service",
    "你们的营销短信一天发三条 能不能别发了",
    "客户经理的推销电话天天打 烦死了",
    "损失谁赔",
    "你们系统崩了 损失能赔吗",
]

QUESTIONS_ABOUT_THE_TOPIC = [
    "我找人帮忙问过了 还是不行",
    "怎么识别诈骗",
    "如何防范电信诈骗",
    "诈骗的常见手段有哪些",
    "怎样才能不被骗",
    "如何避免上当受骗",
    "怎么确认你们正规的app和客服热线 怕被骗",
    "担心被骗 想先问问",
    "人工智能选股靠谱吗",
    "开户需要真人视频吗",
    "人工客服几点下班",
    "什么时候有人工客服",
    "客服电话是多少",
    "开户需要人工审核吗",
    "需要客服审核吗",
    "股价涨到3.15元了",
    "两种服务差异在哪",
    "马上当天到账吗",
    "how do I avoid scams",
    "how can I spot fraud",
    "what is fraud protection",
    "what is a transfer agent",
    "I need to transfer money to another person",
    "customer service hours",
    "are you a real person?",
    "Do I need to speak to a representative to change my PIN?",
    "怎么退订营销短信",
    "营销短信能关掉吗",
    "买这个基金会赔吗",
    "这个基金怎么赔钱了",
]


@pytest.mark.parametrize("text", ASKS_FOR_A_PERSON)
def test_request_for_a_person_routes_to_human_agent(text: str) -> None:
    match = match_rule(text)
    assert match is not None and match.intent == HUMAN_AGENT, match


@pytest.mark.parametrize("text", REPORTS_FRAUD)
def test_fraud_report_routes_to_fraud_report(text: str) -> None:
    match = match_rule(text)
    assert match is not None and match.intent == FRAUD_REPORT, match


@pytest.mark.parametrize("text", COMPLAINS)
def test_complaint_routes_to_complaint(text: str) -> None:
    match = match_rule(text)
    assert match is not None and match.intent == COMPLAINT, match


@pytest.mark.parametrize("text", QUESTIONS_ABOUT_THE_TOPIC)
def test_questions_about_the_topic_do_not_fire(text: str) -> None:
    assert match_rule(text) is None


def test_match_names_the_rule_that_fired() -> None:
    assert match_rule("我被骗了") == RuleMatch(intent=FRAUD_REPORT, rule="fraud.victim_zh")
    assert match_rule("talk to a human") == RuleMatch(intent=HUMAN_AGENT, rule="human.en")


def test_fraud_wins_over_a_request_for_a_person() -> None:
    match = match_rule("我被骗了，快给我转人工")
    assert match is not None and match.intent == FRAUD_REPORT


def test_full_width_characters_are_folded() -> None:
    match = match_rule("ｔａｌｋ ｔｏ ａ ｈｕｍａｎ")
    assert match is not None and match.intent == HUMAN_AGENT


def test_rules_outside_allowed_intents_are_skipped() -> None:
    rules = SafetyRules()

    assert rules.match("我被骗了，转人工", allowed={HUMAN_AGENT}) == RuleMatch(
        HUMAN_AGENT, "human.zh"
    )
    assert rules.match("我被骗了", allowed={COMPLAINT}) is None


def test_rule_kinds_can_route_to_other_intent_names() -> None:
    rules = SafetyRules(
        intent_names={"human": "handoff", "fraud": "scam", "complaint": "grievance"}
    )

    assert rules.intents == frozenset({"handoff", "scam", "grievance"})
    assert rules.match("转人工") == RuleMatch("handoff", "human.zh")


def test_every_rule_kind_needs_an_intent_name() -> None:
    with pytest.raises(ValueError, match="no intent name"):
        SafetyRules(intent_names={"human": "handoff"})
