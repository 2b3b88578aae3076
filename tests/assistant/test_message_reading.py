"""Readings of a message from its words alone: thanks before a question, small talk, going on."""

from __future__ import annotations

import pytest

from assistant.answers import asks_yes_no
from assistant.message_reading import (
    asks_for_a_quote,
    asks_for_an_exception,
    asks_if_a_bot,
    asks_something,
    asks_to_go_on,
    bare_concept,
    is_small_talk,
    names_own_account,
    only_names,
    wants_a_person,
    wants_to_act,
    without_courtesy,
    without_pleasantries,
)
from intents.prediction import IntentPrediction
from knowledge.lexicon import bundled_lexicon


@pytest.mark.parametrize(
    ("text", "rest"),
    [
        ("谢谢 那深市呢", "那深市呢"),
        ("好吧那我还要等多久", "那我还要等多久"),
        ("ok 那汇率怎么算", "那汇率怎么算"),
        ("thanks, and what about Shenzhen?", "and what about Shenzhen?"),
        # Words that only begin like an acknowledgement are kept whole.
        ("行情怎么看", "行情怎么看"),
        ("好久不见", "好久不见"),
        ("了解一下科创板", "了解一下科创板"),
    ],
)
def test_thanks_or_an_acknowledgement_before_the_question_is_set_aside(
    text: str, rest: str
) -> None:
    assert without_pleasantries(text) == rest


@pytest.mark.parametrize(
    "text",
    [
        "谢谢",
        "好的谢谢",
        "ok thanks",
        "嗯嗯 知道了",
        "谢谢你啊孩子",
        "好了 重装完能用了 谢了",
        "ok thank u",
    ],
)
def test_thanks_alone_is_small_talk(text: str) -> None:
    assert is_small_talk(text)


@pytest.mark.parametrize(
    "text", ["谢谢 那深市呢", "好的 那港股通呢", "thanks, how long does it take?"]
)
def test_a_question_after_thanks_is_not_small_talk(text: str) -> None:
    assert not is_small_talk(text)


@pytest.mark.parametrize(
    "text", ["Hey, quick question", "请问一下", "你好 问个问题", "can I ask you something?"]
)
def test_saying_a_question_is_coming_is_small_talk(text: str) -> None:
    # Answered with a greeting, not "that's outside what I can help with".
    assert is_small_talk(text)


@pytest.mark.parametrize("text", ["问一下开户要多久", "quick question: what is T+1?"])
def test_a_question_after_its_announcement_is_not_small_talk(text: str) -> None:
    assert not is_small_talk(text)


@pytest.mark.parametrize(
    "text", ["行 那接着弄吧", "好 继续开通吧", "继续", "go on", "ok, continue"]
)
def test_asking_to_carry_on_is_read_as_such(text: str) -> None:
    assert asks_to_go_on(text)


@pytest.mark.parametrize("text", ["继续开通需要什么", "下一步怎么办", "接着上次的投诉说"])
def test_a_question_that_starts_like_carrying_on_is_a_question(text: str) -> None:
    assert not asks_to_go_on(text)


@pytest.mark.parametrize(
    "text", ["我想开户", "I need to open an account", "帮我开通创业板", "想开个户 怎么弄啊"]
)
def test_a_wish_to_act_is_read_as_one(text: str) -> None:
    assert wants_to_act(text)


@pytest.mark.parametrize(
    "text",
    [
        "what documents do i need to open a stock account",
        "开户我需要准备什么",
        "我需要准备哪些材料",
        "想问下开户要多久",
        "想改下交易密码",
        "理想汽车能买吗",
    ],
)
def test_asking_what_it_takes_is_not_a_wish_to_act(text: str) -> None:
    # Answered from the FAQ (the documents), not by starting the account-opening flow.
    assert not wants_to_act(text)


@pytest.mark.parametrize(
    "text", ["上证指数今天多少点", "茅台现在多少钱一股", "what is the price of Moutai now"]
)
def test_a_live_price_is_asked_for(text: str) -> None:
    assert asks_for_a_quote(text)


@pytest.mark.parametrize(
    "text",
    [
        "股价涨停了还能买吗",
        "指数基金是什么",
        "佣金是多少",
        "股价跌到多少会被强平",
        "今天除息 股价就少了一截",
    ],
)
def test_rules_about_prices_are_not_a_quote(text: str) -> None:
    assert not asks_for_a_quote(text)


@pytest.mark.parametrize(
    ("text", "concept"), [("逆回购", "reverse_repo"), ("两融?", "margin"), ("开户", "open_account")]
)
def test_a_topic_named_alone_is_read_as_such(text: str, concept: str) -> None:
    match = bare_concept(bundled_lexicon(), text)
    assert match is not None and match.concept.id == concept


@pytest.mark.parametrize("text", ["逆回购怎么买", "密码", "hello", "创业板和科创板"])
def test_a_question_or_no_single_topic_is_not_a_bare_topic(text: str) -> None:
    assert bare_concept(bundled_lexicon(), text) is None


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("能不能通融一下 我朋友说找客户经理能搞定", True),
        ("can you make an exception, I'm only 2 months short", True),
        ("两融开通要什么条件", False),
        ("交易密码怎么改", False),
    ],
)
def test_asking_for_a_rule_to_be_bent(text: str, asks: bool) -> None:
    assert asks_for_an_exception(text) is asks


def test_the_spoken_closing_bu_asks_a_yes_no_question() -> None:
    for asked in ("能t0不", "要交印花税不", "那我用我的户给他炒行不"):
        assert asks_something(asked) and asks_yes_no(asked), asked
    for said in ("我不", "不不不", "我今天卖的"):
        assert not asks_something(said), said


def test_a_concept_named_by_a_question_is_not_a_bare_topic() -> None:
    assert bare_concept(bundled_lexicon(), "逆回购") is not None
    assert (
        bare_concept(bundled_lexicon(), "几点开盘") is None
    )  # a name of the hours, and a question


def test_a_faint_guess_that_the_investor_wants_a_person_is_not_a_request() -> None:
    def guess(confidence: float, source: str = "model") -> IntentPrediction:
        return IntentPrediction(
            name="human_agent", confidence=confidence, out_of_scope=False, source=source
        )

    assert wants_a_person(guess(1.0, "rule"), "转人工")
    assert wants_a_person(guess(0.7), "能不能换个真人来")
    assert not wants_a_person(guess(0.24), "要去营业部吗 还是手机上就能弄")


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("手机号不是我本人实名的可以吗", False),
        ("can I use a phone number that isn't in my name", False),
        ("你们这机器人太笨了", True),
        ("叫你们领导出来", True),
        ("能不能换个人来跟我说", True),
        ("别让机器回复了", True),
        ("put me through to support", True),
        ("get me your supervisor", True),
        ("can I get someone on the phone", True),
    ],
)
def test_only_a_message_that_speaks_of_a_person_asks_for_one_by_the_classifier_alone(
    text: str, asks: bool
) -> None:
    guess = IntentPrediction(name="human_agent", confidence=0.6, out_of_scope=False, source="model")
    assert wants_a_person(guess, text) is asks


def test_a_clause_that_only_names_subjects_asks_nothing_of_its_own() -> None:
    lexicon = bundled_lexicon()
    assert only_names(lexicon, "bj的呢")
    assert only_names(lexicon, "那港股通呢")
    assert not only_names(lexicon, "上市第一天有没")
    assert not only_names(lexicon, "港股通要多少钱")


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("客服你好，印花税多少？谢谢", "印花税多少？"),
        ("麻烦问下，创业板怎么开通", "创业板怎么开通"),
        ("想咨询一下，拿了20天就卖了 红利税多少，麻烦了", "拿了20天就卖了 红利税多少"),
        ("您好呀我想开户", "我想开户"),
        ("钱到账了吗，急", "钱到账了吗"),
        ("Hi, how can I bid for new shares? Thanks.", "how can I bid for new shares?"),
        ("Quick question: what is T+1?", "what is T+1?"),
        ("Hey, are transfers open on holidays? Please help.", "are transfers open on holidays?"),
    ],
)
def test_the_courtesy_around_a_question_is_set_aside(text: str, asked: str) -> None:
    assert without_courtesy(text) == asked


@pytest.mark.parametrize(
    "text",
    [
        "你好",
        "你好 在吗",
        "great thx!",
        "请问",
        "hiking fees?",  # "hi" only begins the word
        "what is stamp duty",  # "ty" only ends the word
        "please reset my password",  # the request is the message
        "创业板怎么开通",
    ],
)
def test_small_talk_and_plain_questions_are_kept_whole(text: str) -> None:
    assert without_courtesy(text) == text


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("你是机器人吗", True),
        ("你是不是真人？", True),
        ("are you a bot?", True),
        ("am I talking to a real person", True),
        ("机器人听不懂 给我找个客服", False),  # a wish for a person, not a question about us
        ("不想跟机器人聊了", False),
    ],
)
def test_asking_whether_the_assistant_is_a_machine(text: str, asks: bool) -> None:
    assert asks_if_a_bot(text) is asks


@pytest.mark.parametrize(
    ("text", "own"),
    [
        ("个股期权开户需要满足什么", True),
        ("想开个信用账户 怎么弄", True),
        ("我想开户买基金", False),  # a securities account, to buy funds with
        ("我想开户", False),
    ],
)
def test_an_account_of_a_products_own_is_told_from_a_securities_account(
    text: str, own: bool
) -> None:
    assert names_own_account(bundled_lexicon(), text) is own
