"""The brokerage lexicon: concepts found in investors' wording, in both languages."""

from __future__ import annotations

import pytest

from knowledge.lexicon import Concept, Lexicon, bundled_lexicon


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return bundled_lexicon()


@pytest.mark.parametrize(
    ("text", "concepts"),
    [
        ("国债逆回购怎么买", {"reverse_repo"}),  # one concept, not 国债 (bonds) as well
        ("创业版开通要什么条件", {"chinext", "permission"}),  # a typo investors make
        ("how do I open a ChiNext account", {"chinext"}),
        ("两融开通要几个月", {"margin", "permission"}),
        ("Hong Kong 居民 开A股户 要什么证件", {"hmt_resident", "open_account", "id_card"}),
        ("我是德国人在上海上班", {"foreigner"}),
        ("股票被ST了怎么办", {"st_stock"}),  # the bare letters, as investors write them
        ("我想办房贷", {"loan"}),
        ("新债申购要不要市值", {"convertible_bond"}),  # a bond subscription, not a share IPO
        ("How do I go about shutting down my account with you?", {"close_account"}),
        ("how much money do I need to unlock chinext", {"chinext"}),  # access, not a lock
        # money, not a fund product; Saturday is a day without trading
        ("can I move funds from the bank on Saturday", {"holiday"}),
        ("app上在哪买fund", {"app", "fund"}),
        ("the app is down again", {"app_crash"}),
        ("app 一直 loading, k line 不显示", {"app", "app_crash", "market_data"}),
        ("我在外地 能线上办吗", {"online"}),
        ("the trading one, cant log in", {"trading_password"}),  # after "forgot my pwd"
        ("my stock went down 10%", set()),
        ("When does the morning session kick off and end?", {"trading_hours"}),
        ("How wide is the daily band for BSE shares?", {"bse", "price_limit"}),
        ("my account can only sell not buy, why?", {"restricted_account"}),
        ("账户只能卖不能买是怎么回事", {"restricted_account"}),
        ("今天跌了百分之十五 不是最多跌十个点吗", {"price_limit"}),
        # A time inside an auction names it; "cancel" typed in a Chinese message is 撤单.
        ("9点22想cancel单子 cancel不了", {"opening_auction", "cancel_order"}),
        ("14:58还能撤吗", {"closing_auction"}),
        ("9:30下的单", set()),
        # a colloquial "not filled", and an order left to lapse at the close
        ("挂了一上午还没成 收盘会自动撤吗", {"unfilled_order", "cancel_order"}),
        ("没成功", set()),
        ("晚上能把钱转进去吗", {"bank_transfer"}),  # money moved in, in everyday words
    ],
)
def test_finds_what_a_question_is_about(lexicon: Lexicon, text: str, concepts: set[str]) -> None:
    assert set(lexicon.concepts_of(text).named) == concepts


def test_a_narrower_concept_implies_the_broader_one(lexicon: Lexicon) -> None:
    found = lexicon.concepts_of("交易密码忘了")
    assert "trading_password" in found.named
    assert "password" in found.implied
    assert "password" in found.all


def test_a_chinese_name_for_a_citizen_is_not_a_foreigner(lexicon: Lexicon) -> None:
    assert "foreigner" not in lexicon.concepts_of("我是中国人").named


def test_english_terms_match_whole_words_and_plurals(lexicon: Lexicon) -> None:
    assert "etf" in lexicon.concepts_of("are ETFs exempt from stamp duty").named
    assert "star" not in lexicon.concepts_of("when does trading start").named


def test_keyword_expansion_adds_each_concepts_names_in_both_languages(lexicon: Lexicon) -> None:
    assert lexicon.expand("多久能开cyb").split()[-2:] == ["创业板", "chinext"]
    assert "创业板" in lexicon.expand("how do I open a ChiNext account")
    assert "fund" in lexicon.expand("基金怎么买")  # a pattern surface is never the name added


def test_one_surface_cannot_name_two_concepts() -> None:
    with pytest.raises(ValueError, match="names both"):
        Lexicon([Concept("a", "k", zh=("转账",)), Concept("b", "k", zh=("转账",))])


def test_implied_concepts_must_exist() -> None:
    with pytest.raises(ValueError, match="not defined"):
        Lexicon([Concept("a", "k", zh=("甲",), implies=("missing",))])


def test_variant_spellings_name_the_same_concepts_where_they_were_written(lexicon: Lexicon) -> None:
    assert (
        lexicon.concepts_of("信用帐户要追加担保物").named
        == lexicon.concepts_of("信用账户要追加担保物").named
    )
    assert "login_password" in lexicon.concepts_of("登陆密码忘了").named
    (match,) = [m for m in lexicon.find("我的信用帐户") if m.concept.id == "margin"]
    assert (match.start, match.end, match.surface) == (2, 6, "信用帐户")
    assert not lexicon.find("大陆居民")  # 陆 alone is no variant of anything


def test_a_variant_must_keep_the_texts_length() -> None:
    with pytest.raises(ValueError, match="length"):
        Lexicon([Concept("a", "k", zh=("账户",))], variants={"帐户号": "账户"})


def test_every_sample_faq_entry_is_about_some_concept(lexicon: Lexicon, sample_kb) -> None:
    entries = [unit for unit, _ in sample_kb.manifest.all_units() if unit.kind.value == "faq"]
    about_nothing = [u.id for u in entries if not lexicon.concepts_of("\n".join(u.questions))]
    assert about_nothing == []


def test_the_longest_surface_at_the_leftmost_place_wins_then_shorter_ones_on_a_miss() -> None:
    lexicon = Lexicon(
        [
            Concept("board", "product", zh=("创业板",), en=("gem",)),
            Concept("index", "product", zh=("创业板指",), en=("gem index",)),
            Concept("fee", "cost", zh=("费",), en=("fee",)),
            Concept("fund", "product", zh=("基金",), en=("etf", "etf50")),
            Concept("code", "product", en=("re:\\d{6}",)),
        ]
    )

    def found(text: str) -> list[tuple[str, str]]:
        return [(m.surface, m.concept.id) for m in lexicon.find(text)]

    assert found("创业板指涨了，创业板呢") == [("创业板指", "index"), ("创业板", "board")]
    assert found("the gem index fees") == [("gem index", "index"), ("fees", "fee")]
    assert found("gems and gemstones") == [("gems", "board")]  # a word, not inside one
    # etf50 is not inside etf500 (a digit follows), so the shorter etf is taken there.
    assert found("etf500 etf50 etfs 159915") == [
        ("etf", "fund"),
        ("etf50", "fund"),
        ("etfs", "fund"),
        ("159915", "code"),
    ]
    assert found("coffee") == []


def test_how_plus_a_negation_asks_why(lexicon: Lexicon) -> None:
    assert "why" in lexicon.asks("我的单子怎么一直不成交啊")
    assert "why" in lexicon.asks("钱怎么还没到账")
    assert lexicon.asks("怎么开通创业板") == {"how_to"}


def test_an_allotment_left_unpaid_is_named_as_investors_say_it() -> None:
    lexicon = bundled_lexicon()
    assert {"ipo_lottery", "ipo_give_up"} <= lexicon.concepts_of(
        "what happens if i win but forget to pay"
    ).named
    assert "ipo_give_up" in lexicon.concepts_of("忘交了会咋样").named
    assert "ipo_give_up" in lexicon.concepts_of("忘了留钱会咋样").named


@pytest.mark.parametrize(
    ("text", "spelled"),
    [
        ("cyb涨跌幅多少", "创业板涨跌幅多少"),
        ("kzz申购 max how many lots", "可转债申购 max how many lots"),  # Chinese is written
        ("saw ppl call it nhg", "saw ppl call it reverse repo"),  # none is: English
        ("how do i open rzrq", "how do i open margin"),
        ("bjs权限开通要多少钱", "北交所权限开通要多少钱"),
        ("etf是t+0吗", "etf是t+0吗"),  # a Latin name the concept has in English too
        ("faceid登录不了", "faceid登录不了"),  # a word, not initials
        ("港股通开通条件", "港股通开通条件"),
    ],
)
def test_pinyin_initials_are_spelled_out_for_the_embedding_model(
    lexicon: Lexicon, text: str, spelled: str
) -> None:
    assert lexicon.spelled_out(text) == spelled
