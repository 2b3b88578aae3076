"""Facts the investor states, checked against the rule tables the flows use."""

from __future__ import annotations

from decimal import Decimal

import pytest

from assistant.stated_facts import StatedFacts, asks_eligibility, read_stated_facts, what_follows


@pytest.mark.parametrize(
    ("text", "months", "assets", "age", "days"),
    [
        ("我炒股3个月了 能开两融吗", 3.0, None, None, None),
        ("炒了两年股 有30万 能开科创板吗", 24.0, Decimal(300_000), None, None),
        ("我炒股一年多了 资产有二十万", 12.0, Decimal(200_000), None, None),
        ("我炒股一年半了 资产有20万", 18.0, Decimal(200_000), None, None),
        ("炒股半年", 6.0, None, None, None),
        ("my avg asset 大概 45w", None, Decimal(450_000), None, None),
        ("港股通怎么开 我账户平时就20来万", None, Decimal(200_000), None, None),
        ("我有20多万 能开港股通吗", None, Decimal(200_000), None, None),
        ("I have 600k but only traded 1 year", 12.0, Decimal(600_000), None, None),
        ("I've been trading for 2 years, can I get margin?", 24.0, None, None, None),
        ("我儿子15岁可以开户吗", None, None, 15, None),
        ("这只股票我拿了20天", None, None, None, 20),
        ("I held it for 20 days", None, None, None, 20),
        ("持股超过1年", None, None, None, 366),
        ("股票怎么卖", None, None, None, None),
    ],
)
def test_reads_what_the_investor_says_about_themselves(
    text: str, months: float | None, assets: Decimal | None, age: int | None, days: int | None
) -> None:
    facts = read_stated_facts(text)
    assert (facts.months_trading, facts.assets, facts.age, facts.holding_days) == (
        months,
        assets,
        age,
        days,
    )


def test_three_months_of_trading_is_not_enough_for_margin() -> None:
    text = "我炒股3个月了 能开两融吗"
    line = what_follows(read_stated_facts(text), text, "permission_margin", "zh")
    assert line is not None
    assert "6个月" in line and "3个月" in line and "还差约3个月" in line


def test_enough_experience_says_so_and_points_to_the_other_conditions() -> None:
    text = "I've been trading for 2 years, can I get margin?"
    line = what_follows(read_stated_facts(text), text, "permission_margin", "en")
    assert line is not None and line.startswith("With 2 years of trading, you meet")


def test_assets_below_the_star_threshold_are_named_with_the_threshold() -> None:
    text = "我有30万 能开科创板吗"
    line = what_follows(read_stated_facts(text), text, None, "zh")
    assert line is not None and "30万元" in line and "50万元" in line and "达不到" in line


@pytest.mark.parametrize(("days", "rate"), [(20, "20%"), (35, "10%"), (400, "免征")])
def test_the_dividend_tax_follows_from_the_holding_period(days: int, rate: str) -> None:
    text = f"分红税怎么算 我拿了{days}天"
    line = what_follows(read_stated_facts(text), text, None, "zh")
    assert line is not None and rate in line


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("那下次拿满一年再卖就不扣红利税了？", "zh"),
        ("if i hold it 1 year will the dividend tax go", "en"),
    ],
)
def test_a_full_year_says_only_more_than_a_year_is_exempt(text: str, language: str) -> None:
    line = what_follows(read_stated_facts(text), text, "dividend_tax", language)  # type: ignore[arg-type]
    assert line is not None
    assert ("超过1年" in line and "仍按10%" in line) if language == "zh" else "still 10%" in line
    assert "365天" not in line


def test_a_minor_is_told_what_their_age_means_for_opening_an_account() -> None:
    text = "我儿子15岁可以开户吗"
    line = what_follows(read_stated_facts(text), text, "account_opening", "zh")
    assert line is not None and "未满16周岁" in line


def test_no_stated_fact_means_nothing_to_add() -> None:
    assert what_follows(read_stated_facts("两融开通条件"), "两融开通条件", None, "zh") is None


def test_a_later_fact_replaces_the_same_fact_and_keeps_the_others() -> None:
    earlier = read_stated_facts("我炒股3个月了 资产有20万")
    later = earlier.updated_by(read_stated_facts("资产有80万"))
    assert (later.months_trading, later.assets) == (3.0, Decimal(800_000))


def test_stated_facts_survive_being_kept_with_the_conversation() -> None:
    facts = read_stated_facts("炒了两年股 有30万 这只股票我拿了20天")
    assert StatedFacts.from_record(facts.to_record()) == facts
    assert StatedFacts.from_record({}) == StatedFacts()


def test_what_the_stated_facts_leave_open_is_named() -> None:
    months_only = what_follows(
        read_stated_facts("炒了两年股"), "能开创业板吗", "permission_chinext", "zh"
    )
    assert months_only is not None and months_only.endswith(
        "另需申请前20个交易日日均资产不低于10万元。"
    )
    assets_only = what_follows(read_stated_facts("资产有80万"), "两融", "permission_margin", "zh")
    assert assets_only is not None and assets_only.endswith("另需交易经验满6个月。")
    both = what_follows(
        read_stated_facts("我这20天平均有15万 炒股3年了"), "", "permission_convertible_bond", "zh"
    )
    assert both is not None and both.endswith("以申请时系统校验为准。")
    assert "见下文" not in both, (
        "nothing below may be promised: the answer can be these lines alone"
    )


def test_money_just_deposited_is_not_taken_for_the_20_day_average() -> None:
    facts = read_stated_facts("我今天存了50万进账户 明天能开科创板吗")
    assert facts.deposit == Decimal(500_000) and facts.assets is None
    line = what_follows(facts, "明天能开科创板吗", "permission_star", "zh")
    assert line is not None and "日均资产，不是某一天的余额" in line
    assert "达到科创板要求" not in line, "a deposit today is no verdict on the average"
    english = read_stated_facts("I just deposited 600k, can I open STAR tomorrow?")
    assert english.deposit == Decimal(600_000)
    assert read_stated_facts("我有60万 能开科创板吗").deposit is None


def test_experience_told_by_its_first_year_is_counted_from_that_year() -> None:
    from datetime import date

    facts = read_stated_facts("I started trading in 2021 and have about 300k")
    assert facts.months_trading == (date.today().year - 2022) * 12 + date.today().month
    assert read_stated_facts("我21年开始炒股的").months_trading == facts.months_trading
    assert read_stated_facts(f"{date.today().year}年开户").months_trading is None


def test_an_account_never_traded_in_has_no_trading_experience() -> None:
    # Experience counts from the first trade, not from the day the account was opened.
    assert read_stated_facts("我2019年开户但一直没买过").months_trading == 0
    assert read_stated_facts("I opened in 2019 but never traded").months_trading == 0
    assert read_stated_facts("我2019年开户的").months_trading is not None
    assert read_stated_facts("我2019年开户的").months_trading > 0
    # Not having bought one kind of share says nothing of other trades.
    assert read_stated_facts("我还没买过科创板的票").months_trading is None


def test_investing_for_the_first_time_is_no_experience_yet() -> None:
    assert read_stated_facts("opened my acct last month, first time investing").months_trading == 0
    assert read_stated_facts("我是第一次炒股").months_trading == 0


def test_experience_in_years_may_be_said_in_english_words() -> None:
    assert read_stated_facts("我只有 1 年 experience 呢").months_trading == 12


def test_money_about_to_go_in_is_a_deposit_too_and_is_answered_beside_the_assets() -> None:
    # "what if i deposit 20k today, can i apply tmrw?" after "about 80k in my acct": the
    # question is the deposit, which the 20-day average does not count at once.
    assert read_stated_facts("what if i deposit 20k today").deposit == Decimal(20_000)
    assert read_stated_facts("if i transfer in 2万 today").deposit == Decimal(20_000)
    assert read_stated_facts("how do i deposit money").deposit is None
    known = read_stated_facts("about 80k in my acct").updated_by(
        read_stated_facts("what if i deposit 20k today")
    )
    line = what_follows(known, "can i apply for chinext tomorrow", None, "en") or ""
    assert line.startswith("Not yet: money just deposited does not count at once. ChiNext")
    assert "With CNY 80,000 you are below the CNY 100,000" in line
    star = what_follows(known, "can i apply for the star market tomorrow", None, "en") or ""
    assert ". The STAR Market looks at" in star, "a sentence starts with a capital"


def test_years_abbreviated_in_english_are_experience() -> None:
    assert read_stated_facts("i've traded for 3 yrs, about 80k").months_trading == 36
    assert read_stated_facts("6 mos of trading").months_trading == 6


@pytest.mark.parametrize(
    ("text", "sh", "sz"),
    [
        ("我沪市有9000市值 打新够吗", Decimal(9_000), None),
        ("深市那边有1.5万", None, Decimal(15_000)),
        ("上海市值两万 深圳市值6000", Decimal(20_000), Decimal(6_000)),
        ("i have 25k market value in shanghai", Decimal(25_000), None),
        ("shenzhen: about 12000", None, Decimal(12_000)),
        ("深市3只新股都没中", None, None),
        ("沪深300指数基金", None, None),
    ],
)
def test_reads_the_market_value_held_on_each_exchange(
    text: str, sh: Decimal | None, sz: Decimal | None
) -> None:
    facts = read_stated_facts(text)
    assert (facts.sh_market_value, facts.sz_market_value) == (sh, sz)


def test_market_value_below_the_bar_cannot_subscribe_and_the_exchanges_are_not_added_up() -> None:
    facts = StatedFacts(sh_market_value=Decimal(9_000), sz_market_value=Decimal(7_000))
    said = what_follows(facts, "加起来能打新吗", None, "zh")
    assert said is not None
    assert "暂时还不能申购沪市新股" in said and "暂时还不能申购深市新股" in said
    assert "分别计算，不能合并" in said


def test_market_value_gives_the_subscription_units_of_each_exchange() -> None:
    shanghai = what_follows(StatedFacts(sh_market_value=Decimal(25_000)), "能申购多少", None, "zh")
    shenzhen = what_follows(
        StatedFacts(sz_market_value=Decimal(12_000)), "how many ipo shares", None, "en"
    )
    assert shanghai is not None and "约可申购2000股" in shanghai, "1,000 shares per 10,000"
    assert shenzhen is not None and "about 1,000 shares" in shenzhen, "500 shares per 5,000"


def test_market_value_says_nothing_about_a_question_on_something_else() -> None:
    facts = StatedFacts(sh_market_value=Decimal(25_000))
    assert what_follows(facts, "佣金怎么收", "fees", "zh") is None


def test_facts_stated_earlier_answer_only_a_question_they_decide() -> None:
    assert asks_eligibility("能开科创板吗")
    assert asks_eligibility("还要等多久")
    assert asks_eligibility("科创板我能开不")
    assert asks_eligibility("am i eligible for margin")
    assert not asks_eligibility("转债也是t+1吗")
    assert not asks_eligibility("科创板涨跌幅多少")
