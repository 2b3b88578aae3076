"""Follow-ups and corrections read against the conversation's topic."""

from __future__ import annotations

import pytest

from assistant.context import (
    Topic,
    about_another_subject,
    about_our_business,
    drops_a_subject,
    misses_the_question,
    resolve_followup,
    subject_carried,
)
from knowledge.lexicon import bundled_lexicon

LEXICON = bundled_lexicon()


def _topic(question: str) -> Topic:
    return Topic(question=question)


@pytest.mark.parametrize(
    ("topic", "message", "meant"),
    [
        ("创业板开通要什么条件", "那科创板呢", "科创板开通要什么条件"),
        ("科创板开通要什么", "不对 我说的是港股通", "港股通开通要什么"),
        ("密码忘了", "交易密码", "交易密码忘了"),
        ("卖股票印花税多少", "港股呢", "港股 卖股票印花税多少"),
        ("资产证明怎么开", "英文的呢", "资产证明怎么开 英文"),
        ("资产证明怎么开", "要英文版的", "资产证明怎么开 要英文版的"),
        (
            "how long does a transfer take",
            "what about STAR market",
            "STAR market how long does a transfer take",
        ),
    ],
)
def test_a_follow_up_is_read_against_the_topic(topic: str, message: str, meant: str) -> None:
    followup = resolve_followup(message, _topic(topic), LEXICON)
    assert followup is not None
    assert followup.question == meant


def test_a_question_that_stands_alone_is_left_alone() -> None:
    topic = _topic("创业板开通要什么条件")
    assert resolve_followup("银证转账几点可以转，周末可以吗", topic, LEXICON) is None


def test_an_elliptical_question_takes_the_topic_along() -> None:
    followup = resolve_followup("要多久", _topic("销户怎么办理"), LEXICON)
    assert followup is not None and followup.question == "销户怎么办理 要多久"
    assert followup.reason == "appended"


def test_a_stated_fact_without_a_topic_of_its_own_belongs_to_the_topic() -> None:
    topic = _topic("分红税怎么算")
    assert resolve_followup("我拿了20天", topic, LEXICON) is None
    followup = resolve_followup("我拿了20天", topic, LEXICON, states_fact=True)
    assert followup is not None and followup.question.startswith("分红税怎么算")


def test_without_a_topic_nothing_is_a_follow_up() -> None:
    assert resolve_followup("那科创板呢", None, LEXICON) is None


def test_a_bare_question_of_a_few_words_asks_about_the_topic() -> None:
    followup = resolve_followup("怎么买", _topic("逆回购"), LEXICON)
    assert followup is not None and followup.question == "逆回购 怎么买"
    # A message of its own, however short, is not made a follow-up.
    assert resolve_followup("你好", _topic("逆回购"), LEXICON) is None


def test_a_follow_up_in_the_other_language_names_the_topic_in_its_own() -> None:
    topic = Topic(question="What's the minimum amount for reverse repo?", concepts=["reverse_repo"])
    followup = resolve_followup("那怎么买", topic, LEXICON)
    assert followup is not None and followup.question == "国债逆回购 怎么买"


def test_thanks_or_an_acknowledgement_before_a_follow_up_does_not_hide_it() -> None:
    followup = resolve_followup("好吧 那我还要等多久", _topic("创业板开通要什么条件"), LEXICON)
    assert followup is not None
    assert followup.question == "创业板开通要什么条件 我还要等多久"
    assert not followup.own_subject, "it names nothing of its own: it can only mean the topic"
    replaced = resolve_followup("谢谢 那科创板呢", _topic("创业板开通要什么条件"), LEXICON)
    assert replaced is not None and replaced.question == "科创板开通要什么条件"


def test_only_facts_about_the_investor_answer_to_the_topic() -> None:
    # "二十万" contains "十万", a figure the lexicon knows: still only a fact, not a new subject.
    followup = resolve_followup(
        "我炒股一年多了 资产有二十万", _topic("创业板开通要什么条件"), LEXICON, states_fact=True
    )
    assert followup is not None and followup.reason == "appended"
    assert followup.question.startswith("创业板开通要什么条件")
    assert not followup.own_subject


def test_a_follow_up_in_chinese_after_an_english_question_is_read_in_chinese() -> None:
    topic = Topic(
        question="What's the reverse repo code in Shanghai?", concepts=["reverse_repo", "shanghai"]
    )
    followup = resolve_followup("谢谢 那深市呢", topic, LEXICON)
    assert followup is not None and followup.reason == "replaced"
    assert followup.question == "国债逆回购 深市", "the exchange replaced, in the follow-up's words"


def test_a_concept_the_follow_up_names_again_is_kept_and_case_does_not_matter() -> None:
    followup = resolve_followup(
        "and for ST stocks on ChiNext?", _topic("whats the ChiNext price limit"), LEXICON
    )
    assert followup is not None
    assert "chinext" in followup.question.lower() and "st stocks" in followup.question.lower()


def test_a_follow_up_with_words_of_its_own_is_asked_of_the_topics_subject() -> None:
    asked = "港股通开通要啥条件"
    topic = Topic(question=asked, concepts=sorted(LEXICON.concepts_of(asked).named))
    followup = resolve_followup("交易时间跟A股一样吗", topic, LEXICON)
    assert followup is not None
    assert followup.question.startswith("港股通 交易时间"), "not of the conditions to open it"


def test_a_question_pointing_at_the_topics_market_is_asked_of_it_however_long() -> None:
    asked = "how can i buy hong kong shares through your app"
    topic = Topic(question=asked, concepts=sorted(LEXICON.concepts_of(asked).named))
    message = "do stocks over there have a daily limit like here, and can i sell same day"
    followup = resolve_followup(message, topic, LEXICON)
    assert followup is not None
    assert "stock connect" in followup.question.lower() or "hong kong" in followup.question.lower()
    assert (
        resolve_followup("银行那边说已经扣款了 钱到哪去了", _topic("港股通怎么开"), LEXICON) is None
    )


@pytest.mark.parametrize(
    ("asked", "message", "meant", "not_meant"),
    [
        # Stamp duty is asked of ETFs; whether they are T+0 is no part of it.
        ("etf是t+0吗", "要交印花税不", "etf 要交印花税不", "t+1"),
        # A detail of the kind asked stays: paying is what follows winning.
        ("我昨天申购的新股中了没", "忘了缴款会怎样", "中签", None),
    ],
)
def test_a_follow_up_asking_another_detail_keeps_the_topics_subject(
    asked: str, message: str, meant: str, not_meant: str | None
) -> None:
    topic = Topic(question=asked, concepts=sorted(LEXICON.concepts_of(asked).named))
    followup = resolve_followup(message, topic, LEXICON)
    assert followup is not None
    assert meant in followup.question
    assert not_meant is None or not_meant not in followup.question


def test_a_correction_says_the_last_answer_missed() -> None:
    followup = resolve_followup("不是 我说的是交易密码", _topic("登录一直说密码错误"), LEXICON)
    assert followup is not None and followup.corrects
    narrowed = resolve_followup("交易密码", _topic("密码忘了"), LEXICON)
    assert narrowed is not None and not narrowed.corrects


def test_a_follow_up_that_asks_something_of_its_own_replaces_nothing_in_the_topic() -> None:
    asked = "我昨天申购的新股中了没"
    topic = Topic(question=asked, concepts=sorted(LEXICON.concepts_of(asked).named))
    followup = resolve_followup("忘了缴款会怎样", topic, LEXICON)
    assert followup is not None and followup.reason == "appended"
    assert followup.question.endswith("忘了缴款会怎样"), "not '我昨天申购的缴款中了没'"
    bare = resolve_followup("那港股通呢", _topic("今天买的可转债今天能卖吗"), LEXICON)
    assert bare is not None and bare.question == "今天买的港股通今天能卖吗"


@pytest.mark.parametrize(
    ("message", "same"),
    [
        ("港股通呢", True),
        ("那可转债呢", True),
        ("what about ETFs?", True),
        ("港股通要什么条件", False),  # a question of its own
        ("中了的话钱什么时候扣", False),  # asks something more of the topic
    ],
)
def test_another_subject_alone_asks_the_topics_question_of_it(message: str, same: bool) -> None:
    followup = resolve_followup(message, _topic("今天买的今天能卖吗"), LEXICON)
    assert followup is not None
    assert followup.same_question is same


def test_a_pinyin_abbreviation_follows_a_chinese_topic_in_chinese_by_its_name() -> None:
    # "cyb" is Latin letters but 创业板 as Chinese investors type it: the topic is not
    # switched to English, and the board goes into the question under its own name.
    followup = resolve_followup("cyb呢", _topic("主板涨跌停几个点"), LEXICON)
    assert followup is not None
    assert followup.question == "创业板涨跌停几个点"


def test_a_topic_takes_the_subject_of_the_entry_that_answered_it() -> None:
    asked = "if i do the 1 day one on thursday how many days interest"
    topic = Topic.of(asked, LEXICON, about="How are the interest days of a reverse repo counted?")
    assert "reverse_repo" in topic.concepts
    followup = resolve_followup("fees?", topic, LEXICON)
    assert followup is not None and "reverse repo" in followup.question.lower()
    # A subject the question names itself is not overridden by the entry's.
    named = Topic.of("科创板开通要什么条件", LEXICON, about="创业板开通条件是什么？")
    assert "chinext" not in named.concepts


def test_a_generic_concept_is_added_to_a_specific_one_not_put_in_its_place() -> None:
    # The weekend is no kind of trading hours: it asks the topic's hours at the weekend.
    followup = resolve_followup(
        "what about weekends", _topic("what time does the market open"), LEXICON
    )
    assert followup is not None and followup.reason == "appended"
    assert "weekends" in followup.question and "market open" in followup.question


def test_how_long_to_wait_in_more_words_still_leans_on_the_topic() -> None:
    topic = _topic("can i apply for convertible bond ipos")
    for message in ("so how long do i have to wait", "how long will it take?"):
        followup = resolve_followup(message, topic, LEXICON)
        assert followup is not None and not followup.own_subject, message


def test_a_yes_no_question_whose_object_is_left_out_asks_it_of_the_topic() -> None:
    followup = resolve_followup("我上个月才开的户 能申吗", _topic("可转债申购要市值不"), LEXICON)
    assert followup is not None and followup.question.startswith("可转债申购要市值不")
    assert not followup.own_subject
    assert resolve_followup("我上个月才开的户", _topic("可转债申购要市值不"), LEXICON) is None


def test_how_the_topics_business_is_done_depends_on_the_topic() -> None:
    topic = _topic("想销户 转到别的券商 怎么弄")
    for message in ("要去营业部吗", "我在外地 能线上办吗", "手机上能开吗", "can i do it online"):
        followup = resolve_followup(message, topic, LEXICON)
        assert followup is not None and followup.depends, message
        assert followup.question.startswith("想销户"), message
    hours = resolve_followup("营业部几点下班", topic, LEXICON)  # a question about branches
    assert hours is None or not hours.depends


def test_a_few_english_words_led_by_so_follow_up() -> None:
    followup = resolve_followup(
        "so main board same?", _topic("whats the min number of shares for bse"), LEXICON
    )
    assert followup is not None
    assert followup.question == "whats the min number of shares for main board"


def test_an_entry_about_nothing_the_conversation_named_is_about_another_subject() -> None:
    inheritance = _topic("我爸走了 他股票账户里的票怎么弄")
    trading_tax = "个人转让上市公司股票取得的所得暂免征收个人所得税，卖出时缴纳印花税"
    assert about_another_subject("要交税吗", inheritance, trading_tax, LEXICON)
    assert not about_another_subject("继承要交税吗", inheritance, "继承 非交易过户", LEXICON)
    # The message naming its own subject asks about it, whatever the topic was.
    assert not about_another_subject("港股通要交税吗", inheritance, trading_tax, LEXICON)
    # What the investor said before counts as the conversation too.
    chinext = _topic("能买创业板吗")
    redo = "风险测评可以重新做吗 在App中点击重新测评"
    assert about_another_subject("一天能测几次", chinext, redo, LEXICON)
    assert not about_another_subject(
        "一天能测几次", chinext, redo, LEXICON, said_before=["提示风险测评过期了"]
    )


def test_a_story_then_a_question_without_its_object_asks_it_of_the_topic() -> None:
    followup = resolve_followup("有只票一直跌停卖不掉 还能销吗", _topic("怎么销户"), LEXICON)
    assert followup is not None and not followup.own_subject
    assert followup.question.startswith("销户") or followup.question.startswith("怎么销户")
    assert resolve_followup("有只票一直跌停卖不掉 怎么办", _topic("怎么销户"), LEXICON) is None


def test_a_few_words_pointing_back_at_the_topic_follow_it_up() -> None:
    topic = _topic("whats the minimum for reverse repo")
    followup = resolve_followup("best day to do it?", topic, LEXICON)
    assert followup is not None and not followup.own_subject
    assert "reverse repo" in followup.question
    assert resolve_followup("what day is best for a haircut", topic, LEXICON) is None


def test_a_correction_names_what_it_meant_whatever_it_adds() -> None:
    topic = _topic("the trading one, cant log in")
    message = "no wait i meant the fund pwd, the one for moving money from my bank"
    followup = resolve_followup(message, topic, LEXICON)
    assert followup is not None and followup.corrects
    assert followup.reason == "replaced" and followup.question == "fund password, cant log in"


@pytest.mark.parametrize(
    "message",
    ["不对 我说的是资金密码 不是交易密码", "no i meant the funds password, not the trading one"],
)
def test_what_a_correction_rules_out_is_not_what_it_means(message: str) -> None:
    topic = _topic(
        "交易密码 输错好几次 已经锁了" if "密码" in message else "trading password locked"
    )
    followup = resolve_followup(message, topic, LEXICON)
    assert followup is not None and followup.corrects and followup.reason == "replaced"
    assert ("资金密码" in followup.question) or ("fund" in followup.question)
    assert "交易密码" not in followup.question and "trading" not in followup.question


def test_a_longer_follow_up_naming_nothing_specific_is_asked_of_the_topics_subject_only() -> None:
    topic = Topic.of("港股通能T+0吗 有没有涨跌停", LEXICON)
    followup = resolve_followup("那香港那边放假的时候 我们这边能交易吗", topic, LEXICON)
    assert followup is not None and "港股通" in followup.question
    assert "涨跌" not in followup.question and "t+" not in followup.question.lower()


def test_the_asking_part_alone_may_leave_out_what_the_question_is_about() -> None:
    text = "你们那个现金理财 钱能马上取吗 跟余额宝一样?"
    sale = "卖出股票后的钱什么时候可以取出？当天卖出股票的资金需下一交易日才能转出。"
    money_market = "货币基金的收益怎么算？取钱要多久？货币基金普通赎回一般T+1日到账。"
    assert drops_a_subject(text, "钱能马上取吗", sale, money_market, LEXICON)
    assert not drops_a_subject(text, "钱能马上取吗", money_market, money_market, LEXICON)
    # Nothing found for the whole names the product: the part is read as it is.
    assert not drops_a_subject(text, "钱能马上取吗", sale, sale, LEXICON)


def test_the_topics_question_asked_of_another_subject_is_not_answered_by_what_it_is() -> None:
    hours = Topic(question="what r the trading hours for a shares")
    what_it_is = "What is a treasury reverse repo? You lend cash for a short term."
    its_hours = "When can I trade reverse repos? The trading hours are 9:30-11:30 and 13:00-15:30."
    assert misses_the_question("and for reverse repo?", hours, what_it_is, LEXICON)
    assert not misses_the_question("and for reverse repo?", hours, its_hours, LEXICON)
    # A detail of the kind the follow-up names replaces the topic's: not asked again.
    auction = Topic(question="开盘集合竞价的时候能撤单吗")
    closing = "收盘集合竞价是什么？14:57-15:00可以委托，但不能撤单。"
    assert not misses_the_question("那尾盘呢", auction, closing, LEXICON)


def test_a_longer_question_naming_no_subject_may_be_asked_of_the_topics_subject() -> None:
    bse = Topic.of("北交所要咋开 我有cyb权限了是不是直接就能买", LEXICON)
    # Too long to lean on the topic, so no follow-up ...
    assert resolve_followup("涨跌幅多少 代码啥开头的", bse, LEXICON) is None
    # ... but one more reading, asked of the topic's subjects, which must answer better.
    carried = subject_carried("涨跌幅多少 代码啥开头的", bse, LEXICON)
    assert carried is not None and carried.reason == "carried"
    assert carried.question.startswith("北交所") and "涨跌幅多少" in carried.question
    # A message naming a subject of its own, or asking nothing, carries nothing.
    assert subject_carried("港股通的涨跌幅是多少呢", bse, LEXICON) is None
    assert subject_carried("好的 我知道了 谢谢你啊", bse, LEXICON) is None
    # Nor does a topic without a subject.
    assert subject_carried("涨跌幅多少 代码啥开头的", _topic("密码忘了"), LEXICON) is None


def test_a_topic_answered_from_the_account_is_our_business() -> None:
    asked = Topic(question="我是不是zq了 要交多少钱", account_kind="ipo")
    assert about_our_business(asked, LEXICON)
    assert not about_our_business(Topic(question="我是不是zq了 要交多少钱"), LEXICON)
