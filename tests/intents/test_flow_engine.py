"""The declarative flow engine: slot filling, re-prompts, cancel, expiry, resume."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import pytest

from intents.flow_engine import (
    FlowAnswers,
    FlowDefinition,
    FlowDefinitionError,
    FlowEngine,
    FlowOutcome,
    FlowState,
    Localized,
    Slot,
    SlotValue,
    is_cancel,
    keyword_choice,
    resume_prompt,
    yes_no,
)

START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


class Clock:
    """Time is the one outside input the engine reads; tests move it by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


read_colour = keyword_choice({"red": "红色|红|red", "blue": "蓝色|蓝|blue"})


def read_size(text: str) -> SlotValue | None:
    digits = "".join(char for char in text if char.isdigit())
    return int(digits) if digits and 30 <= int(digits) <= 50 else None


def _summary(answers: FlowAnswers) -> FlowOutcome:
    parts = ", ".join(f"{name}={value}" for name, value in sorted(answers.slots.items()))
    return FlowOutcome(message=f"done: {parts}")


def _shoe_flow(**overrides: object) -> FlowDefinition:
    """A small order form: colour, size, and gift wrap only for red shoes."""
    slots = (
        Slot(
            name="colour",
            prompt=Localized("要什么颜色？", "Which colour?"),
            reprompt=Localized("请选红色或蓝色。", "Please pick red or blue."),
            extract=read_colour,
            detect=read_colour,
            choices=(Localized("红色", "Red"), Localized("蓝色", "Blue")),
        ),
        Slot(
            name="size",
            prompt=Localized("穿多大码？", "Which size?"),
            reprompt=Localized("请告诉我30到50之间的鞋码。", "A size between 30 and 50, please."),
            extract=read_size,
            comment=lambda value, language: (
                Localized("大码要预订。", "Large sizes are made to order.").text(language)
                if isinstance(value, int) and value >= 45
                else None
            ),
        ),
        Slot(
            name="gift_wrap",
            prompt=Localized("需要礼品包装吗？", "Gift wrap?"),
            reprompt=Localized("要还是不要？", "Yes or no?"),
            extract=yes_no,
            ask_if=lambda filled: filled.get("colour") == "red",
        ),
    )
    fields: dict[str, object] = {
        "name": "shoe_order",
        "title": Localized("订鞋", "shoe order"),
        "slots": slots,
        "on_complete": _summary,
    }
    fields.update(overrides)
    return FlowDefinition(**fields)  # type: ignore[arg-type]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def engine(clock: Clock) -> FlowEngine:
    return FlowEngine(clock=clock)


async def test_opening_message_fills_the_slots_it_mentions(engine: FlowEngine) -> None:
    step = await engine.step(_shoe_flow(), None, "我想买双蓝色的鞋", "zh")

    assert step.status == "asking"
    assert step.slots == {"colour": "blue"}
    assert step.state is not None and step.state.awaiting == "size"
    assert step.reply == "穿多大码？"


async def test_asks_each_missing_slot_in_order_then_completes(engine: FlowEngine) -> None:
    flow = _shoe_flow()
    first = await engine.step(flow, None, "I want shoes", "en")
    assert first.reply == "Which colour?"
    assert first.quick_replies == ["Red", "Blue"]

    second = await engine.step(flow, first.state, "Red", "en")
    third = await engine.step(flow, second.state, "size 38", "en")
    assert (second.reply, third.reply) == ("Which size?", "Gift wrap?")

    done = await engine.step(flow, third.state, "yes please", "en")
    assert done.status == "completed"
    assert done.state is None and done.finished
    assert done.outcome is not None
    assert done.reply == "done: colour=red, gift_wrap=True, size=38"


async def test_a_slot_whose_condition_fails_is_not_asked(engine: FlowEngine) -> None:
    flow = _shoe_flow()
    step = await engine.step(flow, None, "蓝色的", "zh")
    done = await engine.step(flow, step.state, "40", "zh")

    assert done.status == "completed"
    assert "gift_wrap" not in done.slots


async def test_an_answer_may_fill_another_slot_too(engine: FlowEngine) -> None:
    flow = _shoe_flow()
    opening = await engine.step(flow, None, "买鞋", "zh")
    assert opening.state is not None and opening.state.awaiting == "colour"
    # detect is stricter than extract: "42" alone never fills colour, but "红色" does.
    step = await engine.step(flow, opening.state, "红色，42码", "zh")

    assert step.slots == {"colour": "red"}
    assert step.state is not None and step.state.awaiting == "size"


async def test_a_comment_is_said_as_soon_as_its_slot_is_filled(engine: FlowEngine) -> None:
    flow = _shoe_flow()
    step = await engine.step(flow, None, "red ones", "en")
    step = await engine.step(flow, step.state, "46", "en")

    assert step.reply == "Large sizes are made to order.\nGift wrap?"


async def test_a_failed_answer_is_reprompted_twice_then_handed_to_a_person(
    engine: FlowEngine,
) -> None:
    flow = _shoe_flow()
    step = await engine.step(flow, None, "红色", "zh")

    first = await engine.step(flow, step.state, "不知道", "zh")
    second = await engine.step(flow, first.state, "大概中等", "zh")
    third = await engine.step(flow, second.state, "随便", "zh")

    assert [first.status, second.status] == ["reprompt", "reprompt"]
    assert first.reply == "请告诉我30到50之间的鞋码。"
    assert second.state is not None and second.state.reprompts == 2
    assert third.status == "handoff"
    assert third.state is None
    assert third.handoff is not None and third.handoff.reason == "flow_needs_human"
    assert "'size'" in third.handoff.summary


async def test_a_good_answer_resets_the_reprompt_count(engine: FlowEngine) -> None:
    flow = _shoe_flow()
    step = await engine.step(flow, None, "buy shoes", "en")
    step = await engine.step(flow, step.state, "green?", "en")
    step = await engine.step(flow, step.state, "purple", "en")
    step = await engine.step(flow, step.state, "red", "en")

    assert step.state is not None and step.state.reprompts == 0
    step = await engine.step(flow, step.state, "huge", "en")
    assert step.status == "reprompt"


async def test_max_reprompts_comes_from_the_definition(engine: FlowEngine) -> None:
    flow = _shoe_flow(max_reprompts=0)
    step = await engine.step(flow, None, "red", "en")
    step = await engine.step(flow, step.state, "no idea", "en")

    assert step.status == "handoff"


@pytest.mark.parametrize(
    "text", ["取消", "算了吧", "不办了！", "Cancel", "stop please", "never mind"]
)
async def test_cancel_words_end_the_flow(engine: FlowEngine, text: str) -> None:
    flow = _shoe_flow()
    step = await engine.step(flow, None, "红色", "zh")
    step = await engine.step(flow, step.state, text, "zh")

    assert step.status == "cancelled"
    assert step.state is None
    assert "订鞋" in step.reply


@pytest.mark.parametrize(
    "text", ["取消了的订单怎么查询呢", "nonstop", "I can't stop thinking about size 40"]
)
def test_a_sentence_that_merely_contains_a_cancel_word_is_not_a_cancel(text: str) -> None:
    assert not is_cancel(text, ("取消", "stop"))


async def test_custom_cancel_words_replace_the_defaults(engine: FlowEngine) -> None:
    flow = _shoe_flow(cancel_words=("退出",))
    step = await engine.step(flow, None, "红色", "zh")

    assert (await engine.step(flow, step.state, "退出", "zh")).status == "cancelled"
    assert (await engine.step(flow, step.state, "取消", "zh")).status == "reprompt"


async def test_a_state_idle_past_the_timeout_expires_and_restarts_politely(
    engine: FlowEngine, clock: Clock
) -> None:
    flow = _shoe_flow()
    step = await engine.step(flow, None, "red", "en")
    clock.advance(minutes=16)

    expired = await engine.step(flow, step.state, "38", "en")

    assert expired.status == "expired"
    assert expired.reply.startswith("Your shoe order was idle for more than 15 minutes")
    assert expired.reply.endswith("Which colour?")
    assert expired.slots == {}  # the old answers are gone, the flow starts again
    assert expired.state is not None and expired.state.started_at == clock.now


async def test_a_state_within_the_timeout_carries_on(engine: FlowEngine, clock: Clock) -> None:
    flow = _shoe_flow(timeout=timedelta(minutes=5))
    step = await engine.step(flow, None, "red", "en")
    clock.advance(minutes=4)
    step = await engine.step(flow, step.state, "38", "en")
    clock.advance(minutes=4)  # idle time counts from the last turn, not the start

    assert (await engine.step(flow, step.state, "yes", "en")).status == "completed"


async def test_resume_prompt_reasks_the_awaited_slot_with_a_lead_in(engine: FlowEngine) -> None:
    flow = _shoe_flow()
    step = await engine.step(flow, None, "红色", "zh")
    suspended = step.state
    assert suspended is not None

    assert resume_prompt(flow, suspended, "zh") == "回到刚才的订鞋：穿多大码？"
    assert resume_prompt(flow, suspended, "en") == "Back to your shoe order: Which size?"


async def test_a_resumed_flow_carries_on_where_it_stopped(engine: FlowEngine, clock: Clock) -> None:
    flow = _shoe_flow()
    step = await engine.step(flow, None, "red", "en")
    clock.advance(minutes=3)  # an FAQ answered in between

    resumed = engine.resume(flow, step.state, "en")  # type: ignore[arg-type]
    assert resumed.status == "asking"
    assert resumed.reply == "Back to your shoe order: Which size?"
    assert resumed.state is not None and resumed.state.updated_at == clock.now

    done = await engine.step(flow, resumed.state, "38", "en")
    done = await engine.step(flow, done.state, "no", "en")
    assert done.status == "completed"
    assert done.slots == {"colour": "red", "size": 38, "gift_wrap": False}


async def test_resuming_an_expired_flow_restarts_it(engine: FlowEngine, clock: Clock) -> None:
    flow = _shoe_flow()
    step = await engine.step(flow, None, "red", "en")
    clock.advance(hours=1)

    resumed = engine.resume(flow, step.state, "en")  # type: ignore[arg-type]

    assert resumed.status == "expired"
    assert resumed.reply.endswith("Which colour?")


async def test_an_async_completion_is_awaited(engine: FlowEngine) -> None:
    seen: list[Mapping[str, SlotValue]] = []

    async def complete(answers: FlowAnswers) -> FlowOutcome:
        seen.append(answers.slots)
        return FlowOutcome(message=f"looked up {answers.investor_id}")

    flow = _shoe_flow(on_complete=complete)
    step = await engine.step(flow, None, "blue", "en", investor_id="INV-9")
    done = await engine.step(flow, step.state, "41", "en", investor_id="INV-9")

    assert done.reply == "looked up INV-9"
    assert seen == [{"colour": "blue", "size": 41}]


async def test_a_completion_may_hand_over_to_a_person(engine: FlowEngine) -> None:
    from intents.flow_engine import Handoff

    handoff = Handoff(reason="complaint", priority=80, summary="angry about sizes")
    flow = _shoe_flow(
        on_complete=lambda answers: FlowOutcome(message="passing you on", handoff=handoff)
    )
    step = await engine.step(flow, None, "blue", "en")
    done = await engine.step(flow, step.state, "41", "en")

    assert done.status == "handoff"
    assert done.handoff == handoff


async def test_the_opening_message_may_complete_the_flow_at_once(engine: FlowEngine) -> None:
    flow = _shoe_flow(slots=(_shoe_flow().slot("colour"),))

    step = await engine.step(flow, None, "想要蓝色", "zh")

    assert step.status == "completed"
    assert step.reply == "done: colour=blue"


async def test_the_intro_leads_into_the_first_question_only(engine: FlowEngine) -> None:
    flow = _shoe_flow(intro=Localized("好的。", "Sure."))

    asking = await engine.step(flow, None, "shoes", "en")
    assert asking.reply == "Sure.\nWhich colour?"

    single = _shoe_flow(intro=Localized("好的。", "Sure."), slots=(flow.slot("colour"),))
    done = await engine.step(single, None, "blue", "en")
    assert done.reply == "done: colour=blue"


def _no_digits(text: str, language: str) -> str | None:
    return "no numbers here" if any(char.isdigit() for char in text) else None


async def test_guarded_text_fills_nothing_and_is_not_a_failed_answer(engine: FlowEngine) -> None:
    flow = _shoe_flow(guard=_no_digits)
    step = await engine.step(flow, None, "red", "en")

    for _ in range(3):  # more than max_reprompts, yet never handed off
        step = await engine.step(flow, step.state, "size 38", "en")
        assert step.status == "reprompt"
        assert step.reply == "no numbers here\nWhich size?"
        assert step.slots == {"colour": "red"}
        assert step.state is not None and step.state.reprompts == 0


async def test_a_guarded_opening_message_fills_nothing(engine: FlowEngine) -> None:
    flow = _shoe_flow(guard=_no_digits)

    step = await engine.step(flow, None, "red shoes, size 38", "en")

    assert step.status == "asking"
    assert step.slots == {}
    assert step.reply == "no numbers here\nWhich colour?"


async def test_a_state_from_another_flow_is_refused(engine: FlowEngine) -> None:
    stranger = FlowState(name="complaint")

    with pytest.raises(FlowDefinitionError):
        await engine.step(_shoe_flow(), stranger, "red", "en")


def test_slot_names_must_be_unique() -> None:
    colour = _shoe_flow().slot("colour")

    with pytest.raises(FlowDefinitionError):
        _shoe_flow(slots=(colour, colour))


def test_flow_state_survives_a_json_round_trip_with_its_types() -> None:
    state = FlowState(name="shoe_order", slots={"colour": "red", "size": 38, "gift_wrap": True})

    restored = FlowState.model_validate_json(state.model_dump_json())

    assert restored == state
    assert isinstance(restored.slots["size"], int)
    assert isinstance(restored.slots["gift_wrap"], bool)


def test_the_conversation_stores_this_flow_state() -> None:
    from assistant.dialogue_models import ConversationState
    from assistant.dialogue_models import FlowState as ConversationFlowState

    assert ConversationFlowState is FlowState
    conversation = ConversationState(conversation_id="c1", flow=FlowState(name="shoe_order"))
    assert isinstance(conversation.flow, FlowState)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("红色", "red"),
        ("I'd like BLUE", "blue"),
        ("红的还是蓝的", None),  # two options: ambiguous
        ("bluetooth", None),  # ASCII keywords match whole words only
        ("绿色", None),
    ],
)
def test_keyword_choice(text: str, expected: str | None) -> None:
    assert read_colour(text) == expected


def test_keyword_choice_prefers_the_longest_keyword() -> None:
    read_document = keyword_choice(
        {"resident": "身份证", "foreign": "外国人永久居留身份证"},
    )

    assert read_document("外国人永久居留身份证") == "foreign"
    assert read_document("二代身份证") == "resident"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("有", True),
        ("yes", True),
        ("还没有", False),
        ("没", False),
        ("Not yet", False),
        ("嗯？", True),
    ],
)
def test_yes_no_lets_a_negation_win(text: str, expected: bool) -> None:
    assert yes_no(text) is expected


def test_yes_no_without_an_answer_is_none() -> None:
    assert yes_no("什么意思") is None


async def test_accepts_tells_whether_a_message_is_for_the_flow(
    engine: FlowEngine, clock: Clock
) -> None:
    flow = _shoe_flow(guard=_no_digits)
    step = await engine.step(flow, None, "shoes", "en")
    state = step.state
    assert state is not None

    assert engine.accepts(flow, state, "blue")  # answers the question
    assert engine.accepts(flow, state, "cancel")
    assert engine.accepts(flow, state, "my card is 4242")  # the guard must warn
    assert not engine.accepts(flow, state, "what are your opening hours?")
    clock.advance(hours=1)
    assert engine.accepts(flow, state, "what are your opening hours?")  # expired: restart
