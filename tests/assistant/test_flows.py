"""The four brokerage flows, run through the real engine, sample accounts and watch list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import get_args

import pytest

from assistant.accounts import JsonAccountSystem
from assistant.dialogue_models import ConversationState, EscalationReason, Language
from assistant.flows import (
    COMPLAINT_PRIORITY,
    PERMISSION_RULES,
    BrokerageFlows,
    FlowContext,
    TicketSink,
    TicketStoreUnavailableError,
    build_flows,
    escalation_for,
    find_secret,
    read_board,
)
from assistant.watchlist import WatchList
from intents.catalogue import load_catalogue
from intents.flow_engine import FlowDefinition, FlowEngine, FlowState, FlowStep, HandoffReason

ROOT = Path(__file__).resolve().parents[2]
INVESTORS = ROOT / "data" / "accounts" / "investors.json"
WATCHLIST = ROOT / "data" / "watchlist" / "watchlist.csv"
CATALOGUE = ROOT / "intents" / "catalogue" / "brokerage.yaml"


@dataclass
class RecordingTicketSink:
    """An in-memory ticket store: our own boundary, implemented for real."""

    calls: list[tuple[str, str, str, int]] = field(default_factory=list)
    available: bool = True

    async def open_ticket(
        self, category: str, description: str, contact: str, priority: int
    ) -> str:
        if not self.available:
            raise TicketStoreUnavailableError("ticket store down")
        self.calls.append((category, description, contact, priority))
        return f"CMP-{len(self.calls):04d}"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def tickets() -> RecordingTicketSink:
    return RecordingTicketSink()


@pytest.fixture
def flows() -> dict[str, FlowDefinition]:
    return build_flows(JsonAccountSystem(INVESTORS), WatchList.from_csv(WATCHLIST))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def engine(clock: Clock) -> FlowEngine:
    return FlowEngine(clock=clock)


async def converse(
    engine: FlowEngine,
    flow: FlowDefinition,
    messages: Sequence[str],
    language: Language = "zh",
    investor_id: str | None = None,
    tickets: TicketSink | None = None,
) -> list[FlowStep]:
    steps: list[FlowStep] = []
    state = None
    context = FlowContext(tickets=tickets)
    for text in messages:
        step = await engine.step(
            flow, state, text, language, investor_id=investor_id, context=context
        )
        steps.append(step)
        state = step.state
    return steps


def test_every_flow_the_catalogue_names_is_built(flows: dict[str, FlowDefinition]) -> None:
    catalogue = load_catalogue(CATALOGUE)
    named = {intent.flow for intent in catalogue.intents if intent.handler == "flow"}

    assert named == set(flows)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_quick_reply_is_understood_by_its_slot(
    flows: dict[str, FlowDefinition], language: Language
) -> None:
    for flow in flows.values():
        for slot in flow.slots:
            for reply in slot.quick_replies(language):
                assert slot.extract(reply) is not None, (flow.name, slot.name, reply)


def test_every_handoff_reason_is_an_escalation_reason() -> None:
    for reason in get_args(HandoffReason):
        assert EscalationReason(reason).value == reason


# account opening


async def test_account_opening_walks_through_each_step_and_lists_what_is_ready(
    engine: FlowEngine, flows: dict[str, FlowDefinition]
) -> None:
    steps = await converse(
        engine,
        flows["account_opening"],
        ["我想开个户", "25", "二代身份证", "有", "C3", "沪深A股", "李明"],
    )

    assert [step.status for step in steps] == ["asking"] * 6 + ["completed"]
    assert steps[0].reply.endswith("请问您今年多大？")
    final = steps[-1]
    assert final.slots == {
        "age": 25,
        "id_document": "resident_id",
        "bank_card": True,
        "risk_questionnaire": "C3",
        "wants_to_trade": "a_share",
        "name": "李明",
    }
    assert "二代身份证（已具备）" in final.reply
    # The document given is said back at once, before the next question.
    assert steps[2].reply.startswith("好的，用本人有效期内的二代居民身份证开户。")
    assert "您需要准备的都齐了" in final.reply
    assert "达到沪深A股要求的C3" in final.reply
    assert escalation_for(final) is None


async def test_account_opening_in_english_says_what_is_still_missing(
    engine: FlowEngine, flows: dict[str, FlowDefinition]
) -> None:
    steps = await converse(
        engine,
        flows["account_opening"],
        ["how do I open an account", "30", "passport", "not yet", "not yet", "Li Ming"],
        "en",
    )

    final = steps[-1]
    assert final.status == "completed"
    assert "Still needed:" in final.reply
    assert "a Class I bank card in your own name" in final.reply
    assert "ask at a branch" in final.reply  # a passport cannot open an account online
    assert "to be done in the app while opening" in final.reply
    assert "wants_to_trade" not in final.slots  # no level, so no suitability question


async def test_account_opening_reads_age_and_risk_level_from_the_opening_message(
    engine: FlowEngine, flows: dict[str, FlowDefinition]
) -> None:
    [step] = await converse(engine, flows["account_opening"], ["我72岁，风险测评做过是C4，想开户"])

    assert step.slots == {"age": 72, "risk_questionnaire": "C4"}
    assert "年满70周岁" in step.reply  # the older-investor steps are said at once
    assert step.state is not None and step.state.awaiting == "id_document"


async def test_a_low_risk_level_is_told_it_does_not_fit_the_board_it_wants(
    engine: FlowEngine, flows: dict[str, FlowDefinition]
) -> None:
    steps = await converse(
        engine, flows["account_opening"], ["我30岁", "身份证", "有", "保守型", "创业板", "李明"]
    )

    assert steps[-1].slots["wants_to_trade"] == "chinext"
    assert "您的测评等级C1低于创业板要求的C4" in steps[-1].reply


async def test_a_minor_hears_the_16_to_18_rules(
    engine: FlowEngine, flows: dict[str, FlowDefinition]
) -> None:
    [step] = await converse(
        engine, flows["account_opening"], ["I'm 17, can I open an account?"], "en"
    )

    assert step.slots == {"age": 17}
    assert "From 16" in step.reply and "legal guardian" in step.reply


async def test_under_16_the_flow_ends_without_further_questions(
    engine: FlowEngine, flows: dict[str, FlowDefinition]
) -> None:
    steps = await converse(engine, flows["account_opening"], ["开户", "15"])

    assert steps[-1].status == "completed"
    assert "未满16周岁不能开立证券账户" in steps[-1].reply


@pytest.mark.parametrize(
    "name", ["测试名单人员", "測試名單人員", "Ceshi Mingdan Renyuan", "Ivan Exampelov"]
)
async def test_a_watch_list_name_hands_over_without_saying_why(
    engine: FlowEngine, flows: dict[str, FlowDefinition], name: str
) -> None:
    steps = await converse(
        engine,
        flows["account_opening"],
        ["I want to open an account", "40", "ID card", "yes", "C4", "funds", name],
        "en",
    )

    final = steps[-1]
    assert final.status == "handoff"
    decision = escalation_for(final)
    assert decision is not None
    assert decision.reason is EscalationReason.FLOW_NEEDS_HUMAN
    assert decision.priority >= 80
    assert "compliance review" in decision.summary  # the agent learns why
    for secret in ("list", "sanction", "aml", "screen", "watch"):
        assert secret not in final.reply.lower()  # the applicant does not


async def test_an_ordinary_name_is_not_handed_over(
    engine: FlowEngine, flows: dict[str, FlowDefinition]
) -> None:
    for name in ("张伟", "王芳", "Zhang Wei"):
        steps = await converse(
            engine, flows["account_opening"], ["开户", "30", "身份证", "有", "还没做", name]
        )
        assert steps[-1].status == "completed", name


async def test_an_id_number_typed_as_the_name_is_refused_and_not_kept(
    engine: FlowEngine, flows: dict[str, FlowDefinition]
) -> None:
    steps = await converse(
        engine,
        flows["account_opening"],
        ["开户", "30", "身份证", "有", "还没做", "李明 110101199003074512"],
    )

    step = steps[-1]
    assert step.status == "reprompt"
    assert "不要在对话中发送完整的身份证号码" in step.reply
    assert "name" not in step.slots
    assert step.state is not None and "110101199003074512" not in step.state.model_dump_json()


# permission eligibility


@pytest.mark.parametrize(
    ("investor", "opening", "expected"),
    [
        ("INV-1001", "我想开通创业板", ["您满足开通创业板的条件"]),
        ("INV-1001", "科创板权限怎么开", ["暂不满足开通科创板", "您目前为15万元，还差35万元"]),
        ("INV-1007", "开创业板需要什么条件", ["您目前为8万元，还差2万元"]),
        ("INV-1003", "我想开通两融", ["风险承受能力等级需达到C4及以上，您目前为C1"]),
        ("INV-1008", "科创板权限", ["您目前约12个月，还差12个月"]),
        ("INV-1008", "港股通怎么开", ["您满足开通港股通的条件"]),
        ("INV-1002", "创业板权限怎么开", ["您的账户已开通创业板，无需重复申请"]),
        ("INV-1005", "两融怎么开", ["您满足开通融资融券", "单独开立信用账户", "年满70周岁"]),
        (
            "INV-1004",
            "可转债权限",
            ["需年满18周岁（您目前17周岁）", "还差8万元", "还差21个月", "需先完成风险承受能力测评"],
        ),
    ],
)
async def test_eligibility_is_checked_against_the_investors_account(
    engine: FlowEngine,
    flows: dict[str, FlowDefinition],
    investor: str,
    opening: str,
    expected: list[str],
) -> None:
    [step] = await converse(
        engine, flows["permission_eligibility"], [opening], investor_id=investor
    )

    assert step.status == "completed"
    for phrase in expected:
        assert phrase in step.reply


async def test_eligibility_in_english_names_each_gap(
    engine: FlowEngine, flows: dict[str, FlowDefinition]
) -> None:
    [step] = await converse(
        engine, flows["permission_eligibility"], ["I want STAR Market access"], "en", "INV-1007"
    )

    assert "CNY 500,000; yours is CNY 80,000, CNY 420,000 short" in step.reply


async def test_an_eligible_investor_is_told_how_to_apply_but_nothing_is_opened(
    engine: FlowEngine, flows: dict[str, FlowDefinition]
) -> None:
    [zh] = await converse(
        engine, flows["permission_eligibility"], ["帮我开一下北交所"], investor_id="INV-1002"
    )
    [en] = await converse(
        engine, flows["permission_eligibility"], ["enable BSE for me"], "en", "INV-1002"
    )

    assert "业务办理 → 权限开通" in zh.reply and "不能代为开通" in zh.reply
    assert "cannot open anything for you" in en.reply
    assert "已为您开通" not in zh.reply


async def test_an_anonymous_investor_gets_the_thresholds(
    engine: FlowEngine, flows: dict[str, FlowDefinition]
) -> None:
    [step] = await converse(engine, flows["permission_eligibility"], ["科创板开通条件是什么"])

    assert "登录后我可以按您的账户逐项核对" in step.reply
    for phrase in ("50万元", "24个月以上证券交易经验", "C4及以上", "知识测评"):
        assert phrase in step.reply


async def test_an_unknown_investor_id_gets_the_thresholds_too(
    engine: FlowEngine, flows: dict[str, FlowDefinition]
) -> None:
    [step] = await converse(
        engine, flows["permission_eligibility"], ["ChiNext threshold?"], "en", "INV-0000"
    )

    assert step.reply.startswith("I couldn't find your account details.")
    assert "CNY 100,000" in step.reply


async def test_the_board_is_asked_when_the_opening_does_not_name_one(
    engine: FlowEngine, flows: dict[str, FlowDefinition]
) -> None:
    steps = await converse(
        engine, flows["permission_eligibility"], ["我想开个权限", "可转债"], investor_id="INV-1001"
    )

    assert steps[0].status == "asking"
    assert "可转债" in steps[0].quick_replies
    assert steps[1].slots == {"board": "convertible_bond"}
    assert "您满足开通可转债的条件" in steps[1].reply


def test_every_board_has_a_rule_with_the_required_thresholds() -> None:
    thresholds = {
        board: (int(rule.min_assets), rule.min_months) for board, rule in PERMISSION_RULES.items()
    }

    assert thresholds == {
        "chinext": (100_000, 24),
        "star": (500_000, 24),
        "bse": (500_000, 24),
        "margin": (500_000, 6),
        "stock_connect": (500_000, 0),
        "convertible_bond": (100_000, 24),
    }


def test_the_board_read_from_catalogue_examples_is_never_the_wrong_one() -> None:
    """Ambiguous or unnamed boards may read as None (then the flow asks), never as another board."""
    catalogue = load_catalogue(CATALOGUE)
    read = missed = 0
    for board in PERMISSION_RULES:
        intent = catalogue.get(f"permission_{board}")
        assert intent is not None
        for text in intent.texts():
            found = read_board(text)
            assert found in (board, None), (text, found)
            read += found == board
            missed += found is None
    assert read / (read + missed) >= 0.85


# complaint


async def test_a_complaint_opens_a_ticket_and_hands_over(
    engine: FlowEngine, flows: dict[str, FlowDefinition], tickets: RecordingTicketSink
) -> None:
    steps = await converse(
        engine,
        flows["complaint"],
        ["我要投诉", "费用", "短", "上个月佣金被多收了200元，要求退还", "电话"],
        tickets=tickets,
    )

    assert [step.status for step in steps] == ["asking", "asking", "reprompt", "asking", "handoff"]
    assert tickets.calls == [
        ("fees", "上个月佣金被多收了200元，要求退还", "phone", COMPLAINT_PRIORITY)
    ]
    final = steps[-1]
    assert "CMP-0001" in final.reply
    decision = escalation_for(final)
    assert decision is not None
    assert (decision.reason, decision.priority) == (EscalationReason.COMPLAINT, 80)
    assert "CMP-0001" in decision.summary


async def test_a_complaint_that_names_its_category_skips_that_question(
    engine: FlowEngine, flows: dict[str, FlowDefinition], tickets: RecordingTicketSink
) -> None:
    steps = await converse(
        engine,
        flows["complaint"],
        [
            "I want to complain, the app keeps crashing",
            "It crashed three times during the open today",
            "email",
        ],
        "en",
        tickets=tickets,
    )

    assert steps[0].slots == {"category": "trading_system"}
    assert steps[0].reply.startswith("I'm very sorry"), "intake opens with an apology"
    assert steps[0].reply.endswith(
        "Please describe what happened: when, what, and what you'd like us to do "
        "(no passwords or ID numbers, please)."
    )
    assert steps[-1].status == "handoff"
    assert tickets.calls[0][0] == "trading_system"
    assert tickets.calls[0][2] == "email"


async def test_a_complaint_that_already_says_what_happened_is_not_asked_again(
    engine: FlowEngine, flows: dict[str, FlowDefinition]
) -> None:
    [step] = await converse(
        engine, flows["complaint"], ["客户经理天天给我打电话推销基金，烦死了"], "zh"
    )
    assert step.slots["category"] == "staff_conduct"
    assert step.slots["description"] == "客户经理天天给我打电话推销基金，烦死了"
    assert step.reply.endswith("处理结果希望我们通过哪种方式联系您？")


async def test_a_complaint_that_says_what_went_wrong_is_not_asked_its_category(
    engine: FlowEngine, flows: dict[str, FlowDefinition]
) -> None:
    [step] = await converse(engine, flows["complaint"], ["说好的开户送礼品 到现在都没收到"], "zh")
    assert step.slots["category"] == "service", "a promised gift is a service matter"
    [step] = await converse(
        engine, flows["complaint"], ["经理说佣金万一 结果我一看收了万二点五"], "zh"
    )
    assert step.slots["category"] == "other", "fees and staff both named: a colleague sorts it"
    assert step.reply.endswith("处理结果希望我们通过哪种方式联系您？")
    [step] = await converse(engine, flows["complaint"], ["我要投诉"], "zh")
    assert step.reply.endswith("请问您要投诉的是哪方面？"), "nothing said yet: asked"


async def test_a_complaint_is_not_lost_when_the_ticket_store_is_down(
    engine: FlowEngine, flows: dict[str, FlowDefinition], tickets: RecordingTicketSink
) -> None:
    tickets.available = False

    steps = await converse(
        engine,
        flows["complaint"],
        ["投诉", "人员行为", "客户经理推销时承诺保本，结果亏损", "App消息"],
        tickets=tickets,
    )

    final = steps[-1]
    assert final.status == "handoff"
    assert "转接人工客服" in final.reply
    assert final.handoff is not None
    assert "TICKET NOT FILED" in final.handoff.summary
    assert "承诺保本" in final.handoff.summary


async def test_a_stock_code_in_a_complaint_is_not_mistaken_for_a_password(
    engine: FlowEngine, flows: dict[str, FlowDefinition]
) -> None:
    steps = await converse(engine, flows["complaint"], ["投诉交易系统", "600519"])

    assert steps[-1].slots["description"] == "600519"


# password reset


async def test_password_reset_explains_the_secure_path(
    engine: FlowEngine, flows: dict[str, FlowDefinition]
) -> None:
    [step] = await converse(engine, flows["password_reset"], ["交易密码忘了怎么办"])

    assert step.status == "completed"
    assert "人脸识别" in step.reply and "营业部" in step.reply
    assert "不会索要您的密码" in step.reply


async def test_password_reset_asks_which_password_when_unclear(
    engine: FlowEngine, flows: dict[str, FlowDefinition]
) -> None:
    steps = await converse(engine, flows["password_reset"], ["forgot pw", "Fund password"], "en")

    assert steps[0].quick_replies == ["Trading password", "Fund password", "Login password"]
    assert steps[0].reply.startswith("For your security, never send a password")
    assert "separate from the trading password" in steps[1].reply


@pytest.mark.parametrize(
    ("secret", "warning"),
    [
        ("123456", "请不要在对话中发送密码"),
        ("我的交易密码是 654321", "请不要在对话中发送密码"),
        ("身份证号 11010119900307451X", "身份证号码"),
        ("验证码 834512", "短信验证码"),
    ],
)
async def test_password_reset_refuses_secrets_and_keeps_none_of_them(
    engine: FlowEngine, flows: dict[str, FlowDefinition], secret: str, warning: str
) -> None:
    steps = await converse(engine, flows["password_reset"], ["忘记密码了", secret, secret, secret])

    for step in steps[1:]:
        assert step.status == "reprompt"  # never a hand-off: a warning is not a failed answer
        assert warning in step.reply
        assert step.slots == {}
        assert step.state is not None
        stored = step.state.model_dump_json()
        assert secret.split()[-1] not in stored and secret.split()[-1] not in step.reply


async def test_a_secret_in_the_opening_message_is_warned_about_at_once(
    engine: FlowEngine, flows: dict[str, FlowDefinition]
) -> None:
    [step] = await converse(
        engine, flows["password_reset"], ["forgot my trading password, it was hunter2"], "en"
    )

    assert step.reply.startswith("Please don't send passwords in this chat!")
    assert step.slots == {}  # the message is not mined for slots either


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("密码是abc123", "password"),
        ("忘了密码，原来是123456", "password"),
        ("I changed my password 2 days ago", None),
        ("password: Tr0ub4dor", "password"),
        ("6222 0212 3456 7890 123", "id_number"),
        ("OTP is 482913", "code"),
        ("密码错了五次，提示账户冻结", None),
        ("交易密码是什么", None),
        ("new password rejected, what are the password rules", None),
        ("我想买600519", None),
    ],
)
def test_find_secret(text: str, kind: str | None) -> None:
    assert find_secret(text) == kind


def test_a_bare_token_counts_as_a_password_only_where_asked() -> None:
    assert find_secret("123456") is None
    assert find_secret("123456", bare_token_is_password=True) == "password"
    assert find_secret("交易密码", bare_token_is_password=True) is None


# interruption and resume


@pytest.mark.parametrize(
    ("flow_name", "opening", "lead", "answer"),
    [
        ("account_opening", "我想开户", "回到刚才的开户咨询：请问您今年多大？", "30"),
        ("permission_eligibility", "我想开权限", "回到刚才的权限开通条件核对：", "创业板"),
        ("complaint", "我要投诉", "回到刚才的投诉登记：", "服务"),
        ("password_reset", "忘记密码了", "回到刚才的密码重置：您要重置的是哪种密码？", "登录密码"),
    ],
)
async def test_an_interrupted_flow_resumes_at_the_same_question(
    engine: FlowEngine,
    clock: Clock,
    flows: dict[str, FlowDefinition],
    flow_name: str,
    opening: str,
    lead: str,
    answer: str,
) -> None:
    flow = flows[flow_name]
    [started] = await converse(engine, flow, [opening])
    suspended = started.state
    assert suspended is not None
    clock.now += timedelta(minutes=5)  # the investor asked something else meanwhile

    resumed = engine.resume(flow, suspended, "zh")
    assert resumed.reply.startswith(lead)
    assert resumed.quick_replies == started.quick_replies

    carried_on = await engine.step(flow, resumed.state, answer, "zh")
    assert carried_on.status in {"asking", "completed"}
    assert len(carried_on.slots) == 1


async def test_an_english_resume_names_the_flow(
    engine: FlowEngine, flows: dict[str, FlowDefinition]
) -> None:
    [started] = await converse(engine, flows["complaint"], ["complaint about fees"], "en")

    resumed = engine.resume(flows["complaint"], started.state, "en")  # type: ignore[arg-type]

    assert resumed.reply.startswith("Back to your complaint: Please describe what happened")


# the runner the dialogue policy uses


@pytest.fixture
def runner(clock: Clock) -> BrokerageFlows:
    return BrokerageFlows(
        accounts=JsonAccountSystem(INVESTORS),
        watchlist=WatchList.from_csv(WATCHLIST),
        engine=FlowEngine(clock=clock),
    )


async def test_the_runner_checks_eligibility_for_the_conversations_investor(
    runner: BrokerageFlows,
) -> None:
    conversation = ConversationState(conversation_id="c1", investor_id="INV-1007")

    turn = await runner.start("permission_eligibility", conversation, "我想开通创业板", "zh")

    assert turn.completed and turn.state is None
    assert "还差2万元" in turn.reply


async def test_the_runner_lets_a_message_that_answers_nothing_go_to_the_policy(
    runner: BrokerageFlows,
) -> None:
    conversation = ConversationState(conversation_id="c2")
    started = await runner.start("account_opening", conversation, "我想开户", "zh")
    conversation.flow = started.state

    assert await runner.advance(conversation, "印花税是多少", "zh") is None
    answered = await runner.advance(conversation, "28岁", "zh")
    assert answered is not None and answered.state is not None
    assert answered.state.slots == {"age": 28}


async def test_the_runner_always_lets_the_flow_see_cancels_and_secrets(
    runner: BrokerageFlows,
) -> None:
    conversation = ConversationState(conversation_id="c3")
    conversation.flow = (await runner.start("password_reset", conversation, "忘记密码", "zh")).state

    warned = await runner.advance(conversation, "123456", "zh")
    cancelled = await runner.advance(conversation, "算了", "zh")

    assert warned is not None and "请不要在对话中发送密码" in warned.reply
    assert cancelled is not None and cancelled.completed


async def test_the_runner_hands_a_complaint_over_even_without_a_ticket_store() -> None:
    runner = BrokerageFlows(
        accounts=JsonAccountSystem(INVESTORS), watchlist=WatchList.from_csv(WATCHLIST)
    )
    conversation = ConversationState(conversation_id="c4")
    turn = await runner.start("complaint", conversation, "我要投诉收费", "zh")
    for text in ("佣金比约定的高，要求说明", "邮件"):
        conversation.flow = turn.state
        advanced = await runner.advance(conversation, text, "zh")
        assert advanced is not None
        turn = advanced

    assert turn.escalation is not None
    assert turn.escalation.reason is EscalationReason.COMPLAINT
    assert "TICKET NOT FILED" in turn.escalation.summary


def test_a_phone_number_given_for_the_contact_step_means_call_me() -> None:
    from assistant.flows.complaint import read_contact

    assert read_contact("我叫王建国 手机尾号3321 你们记下来") == "phone"
    assert read_contact("发邮件给我") == "email"


def test_the_runner_resumes_a_suspended_flow(runner: BrokerageFlows) -> None:
    suspended = FlowState(name="complaint", slots={"category": "fees"}, awaiting="description")

    turn = runner.resume_prompt(suspended, "zh")

    assert turn.reply.startswith("回到刚才的投诉登记：请简单描述一下经过")
    assert turn.state is not None and turn.state.awaiting == "description"


def test_every_flow_product_takes_its_risk_level_from_the_suitability_table() -> None:
    from assistant.flows import PERMISSION_RULES, Product, required_risk_level
    from assistant.suitability import assess_suitability

    for product in get_args(Product):
        level = required_risk_level(product)
        assert level is not None, product
        verdict = assess_suitability(level, {"star": "star_market"}.get(product, product))
        assert verdict.suitable and verdict.required_level == level, product
    assert {rule.min_risk for rule in PERMISSION_RULES.values()} == {"C4"}


def test_a_permissions_app_steps_get_its_conditions_only_where_they_are_missing() -> None:
    from assistant.flows.permission_eligibility import with_conditions

    steps = "登录App后进入【交易】-【业务办理】-【创业板权限】提交。\n参考资料：如何开通创业板？"
    added = with_conditions(steps, "创业板怎么开通", "zh")
    said, _, cited = added.partition("参考资料：")
    assert "10万元" in said and "24个月" in said and cited == "如何开通创业板？"
    assert with_conditions("需满足日均资产10万元……", "创业板怎么开通", "zh").count("10万") == 1
    assert (
        "500,000"
        not in with_conditions(
            "You need at least 500,000 yuan ...", "how do I open STAR market trading", "en"
        ).split("yuan", 1)[1]
    )
    assert with_conditions(steps, "创业板开通后多久能买", "zh") == steps, "not how to open it"
