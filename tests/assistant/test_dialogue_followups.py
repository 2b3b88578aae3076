"""The conversation carried across turns: facts remembered, thanks before a follow-up, the
investor's own account asked about again, a flow picked up on "继续"; real classifier,
retrieval, flows and the sample account system."""

from __future__ import annotations

import uuid

from assistant.assembly import Assistant
from assistant.dialogue_models import Action, ConversationState, EscalationReason


def conversation(investor: str | None = None) -> ConversationState:
    return ConversationState(conversation_id=uuid.uuid4().hex, investor_id=investor)


async def test_a_fact_given_later_is_read_with_the_facts_given_before(bot: Assistant) -> None:
    state = conversation()
    await bot.policy.respond(state, "我炒股3个月了 能开两融吗")
    reply = await bot.policy.respond(state, "资产够的 有80万")
    assert "交易经验3个月，暂时还不满足" in reply.text, "the experience said earlier still counts"
    assert "资产80万元，达到" in reply.text


async def test_facts_alone_after_a_question_about_conditions_are_checked_against_them(
    bot: Assistant,
) -> None:
    state = conversation()
    await bot.policy.respond(state, "创业板开通要什么条件")
    reply = await bot.policy.respond(state, "我炒股一年多了 资产有二十万")
    assert reply.action is Action.ANSWER
    assert "暂时还不满足创业板要求的2年交易经验" in reply.text
    assert "资产20万元，达到创业板" in reply.text
    later = await bot.policy.respond(state, "好吧 那我还要等多久")
    assert "还差约1年" in later.text, "how long is answered from what the investor said"


async def test_english_facts_after_an_english_question_get_the_verdict(bot: Assistant) -> None:
    state = conversation()
    await bot.policy.respond(state, "What are the requirements for STAR market?")
    reply = await bot.policy.respond(state, "I have 600k but only traded 1 year")
    assert reply.language == "en"
    assert "Not yet" in reply.text and "1 year short" in reply.text
    assert "not_answered" not in reply.flags


async def test_a_question_after_thanks_is_answered_not_thanked(bot: Assistant) -> None:
    state = conversation()
    await bot.policy.respond(state, "逆回购最少多少钱")
    reply = await bot.policy.respond(state, "谢谢 那深市的代码呢")
    assert "不客气" not in reply.text
    assert "131810" in reply.text


async def test_the_investors_own_account_is_asked_about_again_in_few_words(
    bot: Assistant,
) -> None:
    state = conversation("INV-1001")
    first = await bot.policy.respond(state, "我中签了吗")
    assert "account_ipo" in first.flags
    for follow_up in ("那我要交多少钱", "什么时候交"):
        reply = await bot.policy.respond(state, follow_up)
        assert "account_ipo" in reply.flags, follow_up
        assert reply.text == first.text


async def test_a_question_naming_nothing_asks_about_the_part_of_the_account_just_shown(
    bot: Assistant,
) -> None:
    state = conversation("INV-1001")
    first = await bot.policy.respond(state, "did i win the ipo lottery for the stock i applied for")
    assert "account_ipo" in first.flags
    reply = await bot.policy.respond(state, "how much do i need to pay and by when")
    assert "account_ipo" in reply.flags
    assert "due by" in reply.text
    # A question that names a subject of its own is that subject's.
    other = await bot.policy.respond(state, "what is stamp duty")
    assert "account_ipo" not in other.flags


async def test_a_flow_is_picked_up_when_the_investor_asks_to_go_on(bot: Assistant) -> None:
    state = conversation()
    opening = await bot.policy.respond(state, "我想开户")
    await bot.policy.respond(state, "等下 视频见证要多久")
    reply = await bot.policy.respond(state, "行 那接着弄吧")
    assert reply.action is Action.FLOW
    assert opening.text.splitlines()[-1] in reply.text, "the pending question, asked again"
    assert "超出" not in reply.text and "not_answered" not in reply.flags


async def test_a_chat_tip_vouched_to_rise_is_warned_of_as_the_bait_it_is(bot: Assistant) -> None:
    state = conversation()
    reply = await bot.policy.respond(state, "群里老师说明天有个票肯定涨停 让我今天满仓 靠谱吗")
    assert "fraud_warning" in reply.flags and "没有人能保证" in reply.text
    # Only asked about, nothing paid or shared: the warning answers it, a person is offered.
    assert reply.escalation is None and reply.quick_replies == ["转人工"]
    assert "fraud_suspected" in state.flags
    argued = await bot.policy.respond(state, "但是他前几次推的都涨了啊")
    assert "fraud_warning" in argued.flags, "arguing with the warning is warned again"
    assert "尝到甜头" in argued.text


async def test_a_scam_under_way_goes_to_a_person_at_once(bot: Assistant) -> None:
    reply = await bot.policy.respond(conversation(), "有人让我把钱转到个人账户买股票")
    assert reply.escalation is not None
    assert reply.escalation.reason is EscalationReason.FRAUD


async def test_fearing_a_scam_is_not_reporting_one(bot: Assistant) -> None:
    reply = await bot.policy.respond(conversation(), "怎么确认你们正规的app和客服热线 怕被骗")
    assert "fraud_warning" not in reply.flags and reply.escalation is None
    assert reply.sources


async def test_a_grievance_against_us_is_taken_in_as_a_complaint(bot: Assistant) -> None:
    reply = await bot.policy.respond(conversation(), "说好的开户送礼品 到现在都没收到")
    assert reply.action is Action.FLOW
    assert "投诉" in reply.text


async def test_a_trouble_that_is_not_ours_is_not_taken_in_as_a_complaint(bot: Assistant) -> None:
    reply = await bot.policy.respond(conversation(), "我跟我老婆吵架了 咋哄她")
    assert reply.action is Action.ANSWER
    assert "out_of_scope" in reply.flags and not reply.sources


async def test_a_scam_only_asked_about_is_answered_from_the_firms_own_entry(
    bot: Assistant,
) -> None:
    reply = await bot.policy.respond(conversation(), "有个老师拉我进群带炒股 靠谱吗")
    assert reply.text.startswith("⚠️ 防诈骗提醒")
    assert reply.sources, "the firm's entry on stock-tip teachers, cited"
    assert "fraud_warning" in reply.flags and reply.quick_replies == ["转人工"]
    assert reply.escalation is None


async def test_facts_in_a_first_question_are_answered_even_without_an_entry(
    bot: Assistant,
) -> None:
    reply = await bot.policy.respond(
        conversation(), "I started trading in 2021 and have about 300k, can I get ChiNext?"
    )
    assert reply.action is Action.ANSWER and "not_answered" not in reply.flags
    assert "you meet the 2 years of experience ChiNext requires" in reply.text


async def test_the_same_account_answer_disputed_goes_to_a_person(bot: Assistant) -> None:
    state = conversation("INV-1001")
    first = await bot.policy.respond(state, "为什么我的钱转不出来了 显示资金冻结")
    assert "account_account_status" in first.flags
    disputed = await bot.policy.respond(state, "法院冻结的？我怎么不知道 我又没欠钱")
    assert disputed.escalation is not None and "account_disputed" in disputed.flags
    assert disputed.text != first.text, "not the same record read out again"


async def test_a_few_words_after_an_answer_follow_it_up_whatever_their_intent(
    bot: Assistant,
) -> None:
    state = conversation()
    await bot.policy.respond(state, "9点20以后挂的单为啥撤不了")
    reply = await bot.policy.respond(state, "那尾盘呢")  # the classifier: "goodbye"
    assert "超出了我能解答的范围" not in reply.text


async def test_a_follow_up_the_last_entry_asks_too_is_answered_from_it(bot: Assistant) -> None:
    state = conversation()
    first = await bot.policy.respond(state, "持仓的票要配股 我要做啥")
    reply = await bot.policy.respond(state, "不参与会怎样")
    assert reply.sources and reply.sources[0].id == first.sources[0].id
    assert "摊薄" in reply.text


async def test_a_correction_is_not_answered_with_the_entry_it_corrects(bot: Assistant) -> None:
    state = conversation()
    first = await bot.policy.respond(state, "登录一直说密码错误 我确定没输错啊")
    reply = await bot.policy.respond(state, "不是 我说的是交易密码 登录是能登的")
    assert first.sources
    assert [s.id for s in reply.sources][:1] != [first.sources[0].id]


async def test_facts_given_after_a_permission_check_are_read_against_it(bot: Assistant) -> None:
    state = conversation("INV-1001")
    checked = await bot.policy.respond(state, "我想开通 Stock Connect 港股通, what's the 门槛?")
    assert checked.action is Action.ANSWER or checked.action is Action.FLOW
    # Chinese with English words mixed in, in a Chinese conversation: answered in Chinese.
    reply = await bot.policy.respond(state, "my avg asset 大概 45w")
    assert reply.language == "zh"
    assert "45万" in reply.text and "50万" in reply.text


async def test_an_english_version_asked_for_after_a_proof_of_assets_is_requested_in_english(
    bot: Assistant,
) -> None:
    state = conversation("INV-1001")
    first = await bot.policy.respond(state, "我要开资产证明 办签证用")
    assert "资产证明申请" in first.text and "英文版" not in first.text
    reply = await bot.policy.respond(state, "要英文版的")
    assert "英文版资产证明申请" in reply.text


async def test_another_subject_alone_gets_the_topics_question_answered_for_it(
    bot: Assistant,
) -> None:
    # Read alone, "港股通呢" only names a subject (a menu of its entries); after a question
    # about selling on the day of purchase it asks that of Stock Connect.
    state = conversation()
    await bot.policy.respond(state, "今天买的今天能卖吗")
    reply = await bot.policy.respond(state, "港股通呢")
    assert reply.action is Action.ANSWER
    assert "T+0" in reply.text


async def test_a_chinese_question_is_answered_from_the_chinese_twin_of_an_english_entry(
    bot: Assistant,
) -> None:
    reply = await bot.policy.respond(conversation(), "etf的T+0有哪些")
    assert reply.sources and reply.sources[0].id == "zh-0056"
    assert "英文资料" not in reply.text


async def test_a_follow_up_answered_elsewhere_in_the_entry_just_shown_gets_that_sentence(
    bot: Assistant,
) -> None:
    state = conversation()
    first = await bot.policy.respond(state, "基金定投在app上怎么弄")
    assert first.sources and "设置每期金额" in first.text
    reply = await bot.policy.respond(state, "要是扣款那天是周末呢")
    assert reply.action is Action.ANSWER
    assert reply.sources and reply.sources[0].id == first.sources[0].id
    assert "顺延" in reply.text
    assert "设置每期金额" not in reply.text, "only the part that answers, not the entry again"


async def test_the_other_auction_of_the_day_is_asked_in_two_words(bot: Assistant) -> None:
    state = conversation()
    await bot.policy.respond(state, "早上9点20之后为什么撤不了单")
    reply = await bot.policy.respond(state, "那尾盘呢")
    assert reply.action is Action.ANSWER
    assert "14:57" in reply.text


async def test_a_correction_in_more_words_does_not_get_the_same_entry_again(
    bot: Assistant,
) -> None:
    state = conversation()
    first = await bot.policy.respond(state, "登录老是提示密码错误 我肯定没输错")
    reply = await bot.policy.respond(state, "不是 我说的是交易密码 登录正常")
    assert not (reply.sources and first.sources and reply.sources[0].id == first.sources[0].id)


async def test_a_day_of_the_week_is_asked_of_the_entry_just_shown(bot: Assistant) -> None:
    state = conversation()
    await bot.policy.respond(state, "银证转账每天什么时间可以转")
    reply = await bot.policy.respond(state, "星期天可以转吗")
    assert "非交易日" in reply.text
    assert "9:00" not in reply.text, "the sentence about weekends, not the whole entry again"


async def test_another_board_in_pinyin_asks_the_topics_question_of_it(bot: Assistant) -> None:
    # "cyb呢" after the main board's price limit asks ChiNext's; read alone it only names
    # ChiNext, which would get a menu of everything about ChiNext (opening it, its rules).
    state = conversation()
    await bot.policy.respond(state, "主板涨跌停几个点")
    reply = await bot.policy.respond(state, "cyb呢")
    assert "zh-0101" not in [s.id for s in reply.sources], "not the entry on opening ChiNext"
    assert {"zh-0057", "zh-0109"} & {s.id for s in reply.sources}, "an entry with its limit"


async def test_a_few_words_nothing_answers_in_our_conversation_are_not_declined(
    bot: Assistant,
) -> None:
    # The classifier takes "更新了还是不行 苹果" as off topic; after the app's loading trouble
    # it is ours, and not knowing is said as such, with a person offered.
    state = conversation()
    await bot.policy.respond(state, "app登不上 一直转圈圈")
    reply = await bot.policy.respond(state, "更新了还是不行 苹果")
    assert "out_of_scope" not in reply.flags
    assert "转人工" in reply.quick_replies or reply.action is Action.ESCALATE
    # The same words with no conversation before them are declined as before.
    alone = await bot.policy.respond(conversation(), "明天北京天气咋样")
    assert "out_of_scope" in alone.flags


async def test_an_english_question_keeps_its_keywords_among_chinese_synonyms(
    bot: Assistant,
) -> None:
    # "margin" expands to 融资融券, which dozens of Chinese entries name: the English entry
    # the dense search found first must keep its own keyword score.
    reply = await bot.policy.respond(conversation(), "how do i open margin trading")
    assert reply.sources and reply.sources[0].id == "en-0030"
    assert reply.action is Action.ANSWER


async def test_another_product_the_entry_just_read_names_gets_its_sentence(bot: Assistant) -> None:
    # "and etfs?" reads oddly with the T+1 question, but the entry just shown says which ETFs
    # are T+0: that sentence answers, where "not known" would be needless.
    state = conversation()
    await bot.policy.respond(
        state, "bought some shares this morning, can i sell them this afternoon?"
    )
    reply = await bot.policy.respond(state, "and etfs?")
    assert [s.id for s in reply.sources] == ["en-0018"]
    assert "ETFs" in reply.text and "T+0" in reply.text
    assert "shares bought today" not in reply.text, "only the sentence about ETFs"


async def test_another_board_answered_by_the_same_entry_gets_only_its_sentence(
    bot: Assistant,
) -> None:
    state = conversation()
    await bot.policy.respond(state, "whats the min number of shares for star market")
    reply = await bot.policy.respond(state, "and bse?")
    assert [s.id for s in reply.sources] == ["en-0021"]
    assert "Beijing Stock Exchange the minimum order is 100 shares" in reply.text
    assert "at least 200 shares" not in reply.text, "the STAR sentence was just read"


async def test_another_board_named_in_the_entry_just_read_is_answered_from_it(
    bot: Assistant,
) -> None:
    # Nothing answers the BSE's price limit outright in English; the entry on every board's
    # limits, just read, names it.
    state = conversation()
    await bot.policy.respond(state, "whats the daily price limit on star market")
    reply = await bot.policy.respond(state, "and bse?")
    assert [s.id for s in reply.sources] == ["en-0019"]
    assert "Beijing Stock Exchange stocks by 30%" in reply.text
    again = await bot.policy.respond(state, "main board?")
    assert "by 10%" in again.text


async def test_the_topics_question_of_another_subject_is_not_answered_by_what_it_is(
    bot: Assistant,
) -> None:
    state = conversation()
    await bot.policy.respond(state, "what r the trading hours for a shares")
    reply = await bot.policy.respond(state, "and for reverse repo?")
    assert "en-repo-001" not in [s.id for s in reply.sources], "what a reverse repo is"


async def test_a_question_in_pinyin_initials_finds_what_it_spells(bot: Assistant) -> None:
    # "kzz" is 可转债 to the investor, and nothing to the embedding model: read as typed, the
    # question got the entry on the bond permission's conditions instead of market value.
    reply = await bot.policy.respond(conversation(), "kzz申购要市值不")
    assert reply.action is Action.ANSWER
    assert "无需持有市值" in reply.text
    spelled = await bot.policy.respond(conversation(), "nhg显示的收益率是年化吗")
    assert "年化" in spelled.text and "not_answered" not in spelled.flags


async def test_another_subject_and_does_it_too_asks_the_topics_question(
    bot: Assistant,
) -> None:
    # "创业板有吗" after STAR's after-hours trading: does ChiNext have it too, not how to open
    # ChiNext (which "创业板有吗" read alone looks most like).
    for subject in ("创业板有吗", "cyb有吗"):
        state = conversation()
        await bot.policy.respond(state, "科创板有盘后交易吗")
        reply = await bot.policy.respond(state, subject)
        assert "盘后" in reply.text, subject
        assert "zh-0102" not in {s.id for s in reply.sources}, subject


async def test_a_clause_that_only_names_a_subject_is_not_the_question(bot: Assistant) -> None:
    # In "bj的呢 上市第一天有没" the question is the first day's price limit; "bj的呢" alone
    # would be whatever about the BSE looks likeliest (opening it).
    state = conversation()
    await bot.policy.respond(state, "主板涨跌停几个点")
    reply = await bot.policy.respond(state, "bj的呢 上市第一天有没")
    assert "上市首日" in reply.text


async def test_an_english_follow_up_led_by_so_asks_the_topics_question(bot: Assistant) -> None:
    # "so main board same?" is the order-size question asked of the main board; read alone
    # it named the main board and asked nothing the knowledge base could answer.
    state = conversation()
    await bot.policy.respond(state, "whats the min number of shares for star market")
    await bot.policy.respond(state, "and bse?")
    reply = await bot.policy.respond(state, "so main board same?")
    assert reply.language == "en"
    assert "100 shares" in reply.text and "not_answered" not in reply.flags


async def test_asking_how_the_topics_business_is_done_is_read_with_the_topic(
    bot: Assistant,
) -> None:
    # "要去营业部吗" after moving to another broker asks whether that needs a visit; read
    # alone it got the entry on booking a branch visit.
    state = conversation()
    await bot.policy.respond(state, "想销户 转到别的券商 怎么弄")
    reply = await bot.policy.respond(state, "要去营业部吗")
    assert "zh-svc-004" not in {s.id for s in reply.sources}
    # After the entry on Taiwan residents opening an account, that entry's own sentence on
    # where it is done; the classifier's faint guess at "a person, please" is not a request.
    state = conversation()
    await bot.policy.respond(state, "我是台湾人 在厦门上班 可以开A股账户吗")
    reply = await bot.policy.respond(state, "要去营业部吗 还是手机上就能弄")
    assert reply.action is Action.ANSWER and reply.escalation is None
    assert "营业部" in reply.text and "zh-0007" in {s.id for s in reply.sources}
    # "手机上能开吗" after foreigners' accounts: that entry's sentence on where it is done.
    state = conversation()
    await bot.policy.respond(state, "我老公是外国人 在上海上班 能开a股户吗")
    reply = await bot.policy.respond(state, "手机上能开吗")
    assert reply.action is Action.ANSWER and "营业部" in reply.text


async def test_a_few_words_after_a_topic_are_not_answered_about_something_else(
    bot: Assistant,
) -> None:
    # "要交税吗" after an inheritance: the entry on tax on share trading answers another
    # question; saying so (not known, a person) beats answering it.
    state = conversation()
    await bot.policy.respond(state, "维持担保比例低于多少会被强平")
    state.escalated = False  # the person handed it back
    reply = await bot.policy.respond(state, "要是周五跌破了 周末能补吗")
    assert "休市" not in reply.text, "not the holiday calendar"
    # An entry on what the investor said before is still about the conversation.
    state = conversation()
    await bot.policy.respond(state, "提示风险测评过期了")
    await bot.policy.respond(state, "测出来保守型 能买创业板吗")
    reply = await bot.policy.respond(state, "一天能测几次")
    assert "重新测评" in reply.text


async def test_assets_given_with_does_it_count_are_checked_against_the_topics_permission(
    bot: Assistant,
) -> None:
    state = conversation()
    await bot.policy.respond(state, "bjs权限开通要多少钱")
    reply = await bot.policy.respond(state, "我zq账户里股票加基金有40万 算吗")
    assert "40万元" in reply.text and "50万元" in reply.text


async def test_the_subject_is_kept_through_a_few_words_pointing_back_at_it(
    bot: Assistant,
) -> None:
    # "best day to do it?" is about the reverse repo; read so, the topic keeps the repo, and
    # "when can i move the money back" is about the repo's money, not any transfer.
    state = conversation()
    await bot.policy.respond(state, "whats the minimum for reverse repo? saw ppl call it nhg")
    await bot.policy.respond(state, "best day to do it?")
    state.escalated = False
    reply = await bot.policy.respond(state, "and when can i move the money back to my bank")
    assert reply.action is Action.ANSWER and "maturity" in reply.text


async def test_what_the_facts_mean_is_not_repeated_as_the_answer_to_another_question(
    bot: Assistant,
) -> None:
    state = conversation()
    first = await bot.policy.respond(state, "我女儿17岁 可以自己开户炒股吗")
    assert "按您说的17周岁" in first.text
    reply = await bot.policy.respond(state, "那拿我的证件开好了给她用 可以不")
    assert (
        reply.text.strip()
        != "按您说的17周岁：需要能证明以自己的劳动收入为主要生活来源，才可以开户，一般需临柜办理。"
    )
    assert reply.sources, "entries that may answer the new question are offered or given"


async def test_facts_said_before_answer_a_later_question_they_decide(bot: Assistant) -> None:
    state = conversation()
    await bot.policy.respond(state, "我炒股一年了")
    reply = await bot.policy.respond(state, "科创板我能开不")
    assert "暂时还不满足科创板要求的2年交易经验" in reply.text
    other = await bot.policy.respond(state, "可转债是T+0吗")
    assert "按您说的" not in other.text, "a trading rule is not prefaced with eligibility"


async def test_the_market_value_stated_is_read_against_each_exchanges_subscription_rule(
    bot: Assistant,
) -> None:
    state = conversation()
    first = await bot.policy.respond(state, "打新要多少市值 我沪市现在有9000")
    assert "暂时还不能申购沪市新股" in first.text
    second = await bot.policy.respond(state, "深市也有7000 两边合起来行不")
    assert "暂时还不能申购深市新股" in second.text
    assert "分别计算，不能合并" in second.text


async def test_a_supposition_after_the_allotment_is_a_rule_question_not_the_account_again(
    bot: Assistant,
) -> None:
    state = conversation("INV-1001")
    first = await bot.policy.respond(state, "我昨天申的那个新股中了没")
    assert "account_ipo" in first.flags
    reply = await bot.policy.respond(state, "要是中了钱不够 会自动卖我股票凑钱吗")
    assert "account_ipo" not in reply.flags
    assert reply.text != first.text


async def test_someone_elses_id_in_the_opening_flow_is_refused_and_the_flow_waits(
    bot: Assistant,
) -> None:
    state = conversation()
    await bot.policy.respond(state, "想开个户 手机上能弄吗 要准备啥")
    asked = await bot.policy.respond(state, "我17 还在读高中 能开不")
    pending = asked.text.splitlines()[-1]
    reply = await bot.policy.respond(state, "那用我妈身份证开 我自己操作 行不行")
    assert reply.text.startswith("不可以") and "实名" in reply.text
    assert pending in reply.text, "the flow's question, asked again"
    assert state.flow is not None


async def test_handing_ones_password_to_a_relative_is_refused(bot: Assistant) -> None:
    reply = await bot.policy.respond(conversation(), "我儿子说帮我炒 把密码告诉他行不行")
    assert reply.action is Action.ANSWER
    assert reply.text.startswith("不可以") and "not_answered" not in reply.flags
    english = await bot.policy.respond(conversation(), "can i trade in my dad's account, he is old")
    assert english.language == "en" and english.text.startswith("No.")


async def test_a_rule_asked_after_a_product_is_asked_of_that_product(bot: Assistant) -> None:
    # The stock entry on T+1 mentions convertible bonds in passing; it is not about them.
    state = conversation()
    await bot.policy.respond(state, "可转债涨跌幅多少 有人说没限制")
    reply = await bot.policy.respond(state, "能当天买当天卖吗")
    assert reply.text.startswith("可转债实行T+0交易"), reply.text
    assert not reply.text.startswith("不能")


async def test_the_investors_holdings_come_from_the_account_and_a_guest_is_asked_to_sign_in(
    bot: Assistant,
) -> None:
    mine = await bot.policy.respond(conversation("INV-1001"), "帮我看看我手里的股票")
    guest = await bot.policy.respond(conversation(), "查一下我的持仓")

    assert "account_holdings" in mine.flags and "600001" in mine.text
    # A guest hears where holdings are shown, or is asked to sign in; never anyone's data.
    assert "600001" not in guest.text and "account_holdings" not in guest.flags
    assert "needs_sign_in" in guest.flags or "持仓" in guest.text


async def test_whether_it_can_still_be_done_after_an_allotment_is_a_rules_question(
    bot: Assistant,
) -> None:
    state = conversation("INV-1001")
    first = await bot.policy.respond(state, "我中签了吗 要交多少")
    assert "account_ipo" in first.flags
    reply = await bot.policy.respond(state, "钱不够 现在卖掉别的票还来得及吗")
    assert "account_ipo" not in reply.flags and reply.text != first.text


async def test_a_transfer_described_with_its_sum_is_looked_up_not_sent_to_a_person(
    bot: Assistant,
) -> None:
    reply = await bot.policy.respond(conversation("INV-1001"), "上午从银行转了8万进来 咋还没到")
    assert "account_transfers" in reply.flags and reply.escalation is None
    assert "80,000.00元" in reply.text


async def test_a_grievance_an_entry_explains_gets_the_rule_then_the_intake(bot: Assistant) -> None:
    reply = await bot.policy.respond(conversation(), "才买几百块的股票也扣5块钱手续费 这不是坑人吗")
    assert reply.action is Action.FLOW  # the complaint is taken in
    assert "5元" in reply.text and reply.sources, "and the minimum charge is explained first"
    assert reply.text.index("5元") < reply.text.index("投诉")
