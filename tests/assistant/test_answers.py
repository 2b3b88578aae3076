"""The grounded composer: answer, ask which entry, or say plainly it does not know."""

from __future__ import annotations

from assistant.answers import GroundedComposer, asks_yes_no
from assistant.dialogue_models import Action
from knowledge.documents import KnowledgeUnit, RetrievedPassage, UnitKind


def _passage(
    unit_id: str, title: str, text: str, confidence: float, lang: str = "zh", kind=UnitKind.FAQ
):
    unit = KnowledgeUnit(
        id=unit_id,
        kind=kind,
        source="faq.csv",
        title=title,
        text=text,
        questions=[title],
        lang=lang,
    )
    return RetrievedPassage(unit=unit, score=confidence, confidence=confidence)


COMPOSER = GroundedComposer(answer_at=0.3, clarify_at=0.2, sure_at=0.45, ambiguity_margin=0.05)


def test_nothing_plausible_is_an_honest_not_known_with_a_person_offered() -> None:
    composed = COMPOSER.compose([_passage("a", "债券费用", "……", 0.1)], "zh")
    assert composed.gap and not composed.confident
    assert "暂时还没有" in composed.text
    assert composed.quick_replies == ["转人工"]
    assert composed.sources == []


def test_a_clear_best_entry_is_answered_and_cited() -> None:
    composed = COMPOSER.compose([_passage("a", "佣金多少？", "佣金万2.5。", 0.8)], "zh")
    assert composed.action is Action.ANSWER and composed.confident
    assert composed.text.endswith("参考资料：佣金多少？")


def test_a_lone_plausible_entry_below_answer_at_is_still_answered() -> None:
    composed = COMPOSER.compose([_passage("a", "佣金多少？", "佣金万2.5。", 0.25)], "zh")
    assert composed.action is Action.ANSWER


def test_a_lone_entry_below_answer_at_is_not_given_for_a_question_that_names_nothing() -> None:
    limits = _passage("a", "转账有限额吗？", "单笔和单日限额由存管银行和本公司设定。", 0.25)
    composed = COMPOSER.compose(
        [limits], "en", question="and what happens to the acct if i move back to germany"
    )
    assert composed.action is Action.CLARIFY
    named = COMPOSER.compose([limits], "zh", question="转账最多能转多少")
    assert named.action is Action.ANSWER


def test_two_asking_clauses_with_an_entry_each_get_both_answers() -> None:
    passages = [
        _passage("a", "新股中签后怎么缴款？", "T+2日日终前留足资金。", 0.27),
        _passage("b", "新股中签后放弃缴款有什么影响？", "12个月内3次放弃，6个月不得申购。", 0.22),
    ]
    both = COMPOSER.compose(passages, "zh", question="中了要咋缴款 不交会怎样")
    assert both.action is Action.ANSWER
    assert [s.id for s in both.sources] == ["a", "b"]
    one_question = COMPOSER.compose(passages, "zh", question="中了要咋缴款")
    assert one_question.action is Action.CLARIFY
    # English words are not clauses of their own: "how ... pay" asks one thing.
    won = [
        _passage(
            "c", "How do I pay for new shares I won?", "Keep the cash by 16:00 on T+2.", 0.27, "en"
        ),
        _passage("d", "What if I do not pay?", "Three misses in 12 months bar you.", 0.22, "en"),
    ]
    english = COMPOSER.compose(won, "en", question="how do I open an account")
    assert english.action is Action.CLARIFY
    third = _passage("c", "中签后什么时候上市？", "一般缴款后一至两周。", 0.21)
    three = COMPOSER.compose([*passages, third], "zh", question="中了要咋缴款 不交会怎样")
    assert three.action is Action.CLARIFY


def test_off_topic_questions_need_a_clearly_fitting_entry() -> None:
    composed = COMPOSER.compose(
        [_passage("a", "佣金多少？", "佣金万2.5。", 0.25)], "zh", strict=True
    )
    assert composed.action is Action.CLARIFY


def test_two_close_entries_are_offered_as_a_choice_with_a_person() -> None:
    passages = [
        _passage("a", "忘记交易密码怎么办？", "……", 0.28),
        _passage("b", "怎么修改交易密码？", "……", 0.26),
    ]
    composed = COMPOSER.compose(passages, "zh")
    assert composed.action is Action.CLARIFY
    assert composed.quick_replies == ["忘记交易密码怎么办？", "怎么修改交易密码？", "转人工"]


def test_the_menu_only_offers_entries_in_the_investors_language() -> None:
    passages = [
        _passage("a", "What is the commission?", "……", 0.28, lang="en"),
        _passage("b", "佣金是多少？", "……", 0.27),
    ]
    composed = COMPOSER.compose(passages, "en")
    assert composed.quick_replies == ["What is the commission?", "Talk to a person"]


def test_an_entry_in_the_investors_language_is_preferred_when_about_as_likely() -> None:
    passages = [
        _passage("e", "Can I sell on the same day?", "No. T+1.", 0.5, lang="en"),
        _passage("z", "今天买的股票今天能卖吗？", "不能，A股实行T+1。", 0.45),
    ]
    composed = COMPOSER.compose(passages, "zh", question="今天买的能卖吗")
    assert [s.id for s in composed.sources] == ["z"]


def test_a_bare_yes_or_no_that_answers_another_question_is_dropped() -> None:
    passage = _passage("a", "券商会向我索要交易密码吗？", "不会。本公司不会索要交易密码。", 0.8)
    assert COMPOSER.relevant_part(passage, "交易密码忘了").startswith("本公司")
    assert COMPOSER.relevant_part(passage, "券商会要我的交易密码吗").startswith("不会。")


def test_a_document_chunk_is_cut_to_the_sentences_about_the_question() -> None:
    text = "集合竞价时间为9:15-9:25。涨跌幅限制为10%。价格笼子规定买入申报价不得高于基准价的102%。大宗交易另有规定。ST股票另有规定。"
    chunk = _passage("d", "交易规则", text, 0.8, kind=UnitKind.CHUNK)
    part = COMPOSER.relevant_part(chunk, "价格笼子是什么")
    assert "102%" in part and "大宗交易" not in part


def test_yes_no_questions_are_recognised() -> None:
    assert asks_yes_no("港股通能做T+0吗")
    assert asks_yes_no("Can I sell today?")
    assert not asks_yes_no("为什么我的单子没成交")
    # A-not-A, and a spoken "…行不" after a space.
    assert asks_yes_no("我自己炒行不行") and asks_yes_no("算不算交易经验")
    assert asks_yes_no("那用我妈身份证开 我自己炒 行不")
    assert not asks_yes_no("不不不") and not asks_yes_no("我不想开了")


def test_an_answer_whose_rule_is_past_its_review_date_says_so() -> None:
    from datetime import date

    passage = _passage("a", "印花税多少？", "卖出时按成交金额的0.05%征收。", 0.8)
    passage.unit.review_by = date(2026, 1, 1)
    passage.unit.updated_at = date(2025, 1, 1)
    composer = GroundedComposer(today=lambda: date(2026, 6, 1))
    text = composer.compose([passage], "zh").text
    assert "此条资料更新于2025-01-01" in text
    fresh = GroundedComposer(today=lambda: date(2025, 6, 1)).compose([passage], "zh").text
    assert "复核" not in fresh


def test_an_entry_marked_for_a_person_says_so_in_what_it_composes() -> None:
    passage = _passage("a", "账户被司法冻结怎么办？", "司法冻结需由法院解除……", 0.8)
    passage.unit.handoff = True
    composed = COMPOSER.compose([passage], "zh")
    assert composed.confident and composed.handoff


def test_an_entry_that_answers_goes_before_a_hand_over_barely_likelier() -> None:
    handover = _passage("h", "我现在的维持担保比例是多少？", "接手的同事会为您查询。", 0.45)
    handover.unit.handoff = True
    rule = _passage("r", "维持担保比例低于多少会被强制平仓？", "低于平仓线（如130%）……", 0.35)
    composed = COMPOSER.compose([handover, rule], "zh")
    # Not handed over: the answer first, the hand-over one choice among others.
    assert not composed.handoff and composed.sources[0].id == "r"
    alone = COMPOSER.compose([handover, _passage("r", rule.unit.title, "……", 0.44)], "zh")
    assert not alone.handoff and alone.sources[0].id == "r"
    # A hand-over clearly likelier is given.
    far = _passage("r", "维持担保比例低于多少会被强制平仓？", "低于平仓线（如130%）……", 0.31)
    handover.confidence = 0.7
    assert COMPOSER.compose([handover, far], "zh").handoff


def test_the_asking_part_of_a_message_leaves_out_the_story_around_it() -> None:
    from assistant.answering import Answerer
    from knowledge.lexicon import bundled_lexicon

    answerer = Answerer(retrieve=lambda _: [], composer=COMPOSER, lexicon=bundled_lexicon())
    assert answerer.asking_part("你们会不会把我的信息卖给别人 我老接到推销电话") == (
        "你们会不会把我的信息卖给别人"
    )
    assert answerer.asking_part("I moved to Canada last year. Can I still trade A-shares?") == (
        "Can I still trade A-shares"
    )
    # All of it asks, or none of it does: nothing to narrow.
    assert answerer.asking_part("创业板开通要什么条件") is None
    assert answerer.asking_part("视频见证一直转圈圈 连不上 试了好几次了") is None
    # English words inside a Chinese message stay together.
    assert answerer.asking_part("招行卡转入要输啥密码吗 bank pwd") == "招行卡转入要输啥密码吗"


def test_the_sentence_about_what_the_question_narrows_to_comes_first() -> None:
    # The entry is about when new shares list; the question asks about ChiNext's first day,
    # which only its second sentence speaks of.
    text = "新股上市时间由发行人和交易所确定，一般在缴款后约一至两周。创业板新股上市后前5个交易日不设涨跌幅限制。"
    passage = _passage("a", "中签的新股什么时候上市？", text, 0.8)
    part = COMPOSER.relevant_part(passage, "创业板新股上市首日有涨跌幅限制吗")
    assert part.startswith("创业板新股上市后前5个交易日不设涨跌幅限制。")
    assert "一至两周" in part  # nothing is left out, only the order changes
    # A question about what the entry is about as a whole reads it as written.
    assert COMPOSER.relevant_part(passage, "中签的新股什么时候上市") == text


def test_the_yes_or_no_a_question_asks_for_stays_first() -> None:
    text = "不能。账户信息属于本人的个人信息。本人不便办理的，可以到营业部办理委托代办。"
    passage = _passage("a", "家人能查我的账户吗？", text, 0.8)
    part = COMPOSER.relevant_part(passage, "我老公拿着我的身份证去营业部 能查我的股票账户吗")
    assert part.startswith("不能。")


def test_the_entry_just_read_can_be_given_alone_when_its_sentence_is_the_answer() -> None:
    from assistant.answering import _focused_first

    composer = GroundedComposer()
    shown = _passage("en-limits", "What are the daily price limits on each board?", "…", 0.08)
    other = _passage("zh-bse", "北交所股票的涨跌幅限制是多少？", "…", 0.27)
    alone = _focused_first([other, shown], "en-limits", composer, alone=True)
    assert [p.unit.id for p in alone] == ["en-limits"], "no menu against a nearly-as-likely entry"
    assert alone[0].confidence >= composer.answer_at
    kept = _focused_first([other, shown], "en-limits", composer)
    assert [p.unit.id for p in kept] == ["en-limits", "zh-bse"]
