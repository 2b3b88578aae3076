"""What an investor's message says about the firm: money gone, or a loss we caused."""

from __future__ import annotations

import pytest

from assistant.incoming_signals import (
    addresses_us,
    asks_if_from_us,
    asks_lower_commission,
    chases_up_earlier_contact,
    coaches_assessment,
    fraud_signals,
    is_advice_request,
    lends_account,
    reports_account_taken_over,
    reports_firm_caused_loss,
    reports_missing_money,
    stuck_while_trading,
    voices_grievance,
)


@pytest.mark.parametrize(
    "text",
    [
        "系统宕机导致我没卖出去 亏了好几万",
        "今天开盘的时候你们app一直转圈 我的卖单没报出去 结果跌停了 这是你们系统的问题 要赔偿",
        "之前问你们机器人说可以撤单 我就没管 结果成交了亏了钱 这怎么算",
        "昨天你们把我的期权仓位平了 我当时保证金明明是够的 亏了好几万",
        "我被强平了 根本没人通知我",
        "客户经理推荐的产品让我亏了三成",
        "This is your fault, I demand compensation for the loss",
        "You closed my position without any warning",
        "你们app昨天下午一直卡 想卖卖不出去 亏了好几千",
    ],
)
def test_a_loss_laid_at_the_firms_door_is_recognised(text: str) -> None:
    assert reports_firm_caused_loss(text)


@pytest.mark.parametrize(
    "text",
    [
        "强平线是多少",
        "融资融券什么情况下会被强平",
        "股票跌停了还能卖吗",
        "赔率是什么意思",
        "app一直转圈怎么办",
        "app一直卡 怎么办",
        "银行卡里的钱亏了一半",
        "买的股票因为造假退市了 亏惨了 能参加集体诉讼或者要求赔偿吗",
        "上市公司财务造假 投资者怎么索赔",
        "How is the forced liquidation line calculated?",
        "Can I claim compensation from the listed company that committed fraud?",
    ],
)
def test_questions_about_rules_and_market_losses_are_not_claims(text: str) -> None:
    assert not reports_firm_caused_loss(text)


def test_missing_money_is_recognised_and_a_question_about_balances_is_not() -> None:
    assert reports_missing_money("我账户里少了两万块钱")
    assert not reports_missing_money("怎么查账户余额")


@pytest.mark.parametrize(
    "text", ["I was charged twice for the same trade", "同一笔交易扣了两次钱", "佣金重复扣款了"]
)
def test_a_double_charge_is_money_gone_from_the_account(text: str) -> None:
    assert reports_missing_money(text)


@pytest.mark.parametrize(
    "text", ["说好万1.5 交割单上是按万3收的 多收的钱要退给我", "you overcharged me"]
)
def test_an_overcharge_is_money_gone_from_the_account(text: str) -> None:
    assert reports_missing_money(text)


def test_asking_whether_fees_could_be_higher_is_not_an_overcharge() -> None:
    assert not reports_missing_money("会不会多收佣金")


@pytest.mark.parametrize(
    "text",
    [
        "证券公司倒闭了我账户里的钱会不会没了",
        "if the broker goes bankrupt is my money gone",
        "*ST的票要退市了 我的股票怎么办 钱全没了吗",
    ],
)
def test_what_would_happen_to_the_money_is_not_money_gone(text: str) -> None:
    assert not reports_missing_money(text)


@pytest.mark.parametrize(
    "text",
    [
        "分红后总资产变少了",
        "信用账户里的钱莫名少了一点 是扣利息了吗",
        "我明明下单做了逆回购 钱也少了 持仓里却没有 是不是没成功",
        "my balance is gone down since the dividend, why",
    ],
)
def test_money_gone_by_a_cause_the_investor_names_is_a_question_about_it(text: str) -> None:
    assert not reports_missing_money(text)


@pytest.mark.parametrize(
    "text", ["分红后钱少了 是不是被盗了", "someone took money from my account after the dividend"]
)
def test_a_named_cause_does_not_excuse_money_someone_took(text: str) -> None:
    assert reports_missing_money(text)


def test_money_gone_is_still_reported_when_the_investor_asks_if_the_account_is_safe() -> None:
    assert reports_missing_money("我账户里少了两万块钱 账户还安全吗")


@pytest.mark.parametrize(
    "text",
    [
        "上周反映的问题到现在都没人回复",
        "我之前投诉过一次 一直没人处理",
        "I complained last week and nobody has replied",
        "又驳回了 第三次了",
        "开户审核又失败了",
        "my application was rejected again",
        "我的投诉处理到哪了",
        "what is the status of my complaint",
    ],
)
def test_an_earlier_contact_nobody_answered_is_a_chase_up(text: str) -> None:
    assert chases_up_earlier_contact(text)


@pytest.mark.parametrize(
    "text",
    [
        "我要投诉客户经理",
        "投诉一般多久回复",
        "How long does a complaint take to answer?",
        "开户申请被驳回了怎么办",
        "转账失败了",
        "登录一直失败怎么办",
        "试了好几次都失败",
    ],
)
def test_a_first_complaint_or_a_question_about_complaints_is_not_a_chase_up(text: str) -> None:
    assert not chases_up_earlier_contact(text)


@pytest.mark.parametrize(
    "text",
    [
        "你们app的bug太多了 每次登录都要重新输密码 什么垃圾",
        "说好的开户送礼品 到现在都没收到",
        "开户的时候经理说佣金万一 结果我一看收了万二点五",
        "这不是骗人吗",
        "到底什么意思你们 玩我呢",
        "申了三年一次没中 你们是不是暗箱操作",
        "你们就是不想让人销户 太麻烦了",
        "the app keeps logging me out, this is ridiculous",
        "you promised a callback yesterday but nobody called",
    ],
)
def test_a_grievance_against_us_is_heard_without_the_word_complaint(text: str) -> None:
    assert voices_grievance(text)


@pytest.mark.parametrize(
    "text",
    [
        "垃圾股能买吗",
        "这只股票太坑了",
        "系统说我资料不全",
        "你们的服务挺好的",
        "我跟我老婆吵架了 咋哄她",
        "你们的中签是随机的吗",
    ],
)
def test_words_about_securities_or_praise_are_no_grievance(text: str) -> None:
    assert not voices_grievance(text)


def test_a_message_about_the_firm_is_told_from_one_about_something_else() -> None:
    assert addresses_us("客服电话一直打不通") and addresses_us("is your app down?")
    assert not addresses_us("我跟同事吵架了 怎么办")


@pytest.mark.parametrize(
    "text",
    [
        "群里老师说明天有个票肯定涨停 让我今天满仓 靠谱吗",
        "群主说这只票稳涨 要不要跟",
        "someone in a telegram group said this stock will definitely go up tomorrow",
    ],
)
def test_a_stock_vouched_to_rise_in_a_chat_is_the_tip_groups_bait(text: str) -> None:
    assert "stock_tip_group" in fraud_signals(text)


@pytest.mark.parametrize(
    "text", ["这只股票明天肯定涨停吗", "科创板新股肯定涨吗", "老师说明天大盘会涨吗"]
)
def test_asking_whether_a_stock_will_rise_is_not_a_tip_group(text: str) -> None:
    assert "stock_tip_group" not in fraud_signals(text)


def test_doubting_fairness_is_not_a_tip_of_inside_news() -> None:
    assert "insider_info" not in fraud_signals("ipo中签率这么低 是不是有内幕")
    assert "insider_info" not in fraud_signals("这票有内幕交易吗")
    assert "insider_info" in fraud_signals("他说有内幕 跟着买稳赚")
    assert "insider_info" in fraud_signals("有人说有内幕消息 让我进群")


def test_what_entitles_you_is_a_grievance() -> None:
    assert voices_grievance("账户突然冻结了 里面有30万 你们凭什么冻结我的钱")
    assert not voices_grievance("这只股票凭什么涨")


@pytest.mark.parametrize(
    "text",
    [
        "someone logged in my account and sold all my stocks",
        "客户经理偷偷用我账户买股票",
        "he traded without my permission",
        "我的账户被盗了",
        "我的股票被人卖了 不是我操作的",
        "我没下单怎么成交了",
        "I did not make these trades",
        "my account was hacked",
        "there r trades in my account i never made!!!",
        "someone hacked me",
    ],
)
def test_someone_else_in_the_account_is_recognised(text: str) -> None:
    assert reports_account_taken_over(text)


@pytest.mark.parametrize(
    "text",
    ["我想卖股票", "股票卖了钱什么时候到", "how do I log in to my account", "我卖了股票怎么钱没到"],
)
def test_the_investors_own_trades_are_not_a_takeover(text: str) -> None:
    assert not reports_account_taken_over(text)


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        (
            "got a whatsapp msg from 'XX Securities VIP team' saying download their app from a "
            "link and join an institutional account for IPO allocation, guaranteed 30% returns",
            "guaranteed_profit_group",
        ),
        ("they promise guaranteed 30% a month", "guaranteed_profit_group"),
        ("有人说保证每月20%收益 让我投", "guaranteed_profit_group"),
        ("说能走机构专用通道打新 百分百中", "guaranteed_profit_group"),
        ("a text saying install the app from this link to claim shares", "fake_platform"),
        ("install their app from the link they sent", "fake_platform"),
    ],
)
def test_an_offer_of_sure_returns_or_an_app_from_a_link_is_a_scam(text: str, signal: str) -> None:
    assert signal in fraud_signals(text)


@pytest.mark.parametrize(
    "text",
    [
        "do you have any products with guaranteed returns?",
        "is 3% a guaranteed rate for the money market fund",
        "how do I download your app",
        "机构投资者打新和个人有什么区别",
        "what is an institutional account",
        "给我一个保证每个月10%收益的产品",  # asking for advice, not told of an offer
        "give me a product with guaranteed 10% returns",
    ],
)
def test_asking_about_returns_apps_or_institutions_is_no_scam(text: str) -> None:
    assert not fraud_signals(text)


def test_the_variant_spelling_of_an_account_is_the_same_scam() -> None:
    told = "刚有人打电话 说是你们风控部的 说我帐户异常 让我把钱转到安全帐户"
    assert "safe_account_transfer" in fraud_signals(told)


@pytest.mark.parametrize(
    "text",
    [
        "on hold for 35 minutes with your support line, unbelievable",
        "客服热线等了半个小时 一直没人",
    ],
)
def test_being_kept_waiting_by_our_hotline_is_a_grievance(text: str) -> None:
    assert voices_grievance(text)


def test_asking_for_the_hotline_or_how_long_it_takes_is_no_grievance() -> None:
    assert not voices_grievance("客服电话是多少")
    assert not voices_grievance("hold on, how long does a transfer take")


@pytest.mark.parametrize(
    "text",
    [
        "it says FAILED but icbc already took the money out!!",
        "转账显示失败 但银行卡已经扣了钱",
    ],
)
def test_a_failed_transfer_that_took_the_money_is_money_gone(text: str) -> None:
    assert reports_missing_money(text.lower())


def test_a_failed_transfer_alone_is_a_question() -> None:
    assert not reports_missing_money("转账失败了 怎么回事")


@pytest.mark.parametrize(
    "text",
    [
        "那用我妈身份证开 我自己操作 行不行",
        "那我拿他的账号帮他炒行吗 他同意的",
        "我儿子说帮我炒 把密码告诉他行不行",
        "那用我的身份证开一个给他用总行吧",
        "can i trade in my dad's account, he is old",
        "open an account with my wife's id?",
        "can i give my son my password",
    ],
)
def test_using_someone_elses_account_or_identity_is_lending(text: str) -> None:
    assert lends_account(text)


@pytest.mark.parametrize(
    "text",
    [
        "我老婆不在身边 我拿她身份证帮她开个户可以吗",  # for her, in her name: in person
        "can you tell me what's in my husband's account",  # a privacy question
        "帮我爸开户要带他的身份证吗",
        "我爸去世了 他账户里还有股票 怎么弄到我名下",
        "用我的账户买基金可以吗",
    ],
)
def test_opening_for_someone_or_asking_about_their_account_is_not_lending(text: str) -> None:
    assert not lends_account(text)


@pytest.mark.parametrize(
    "text",
    [
        "重置要发验证码 可我手机号换了收不到",
        "登陆的时候点发送验证码 等了好几分钟都没收到短信",
        "现在重置密码验证码发到旧号上 我收不到",
    ],
)
def test_a_code_the_system_sends_is_not_a_code_given_away(text: str) -> None:
    assert "verification_code_shared" not in fraud_signals(text)


@pytest.mark.parametrize("text", ["有人让我把验证码发给他", "我把验证码告诉了对方"])
def test_a_code_passed_on_is_still_a_code_given_away(text: str) -> None:
    assert "verification_code_shared" in fraud_signals(text)


def test_a_text_asking_to_verify_at_a_link_is_phishing() -> None:
    told = (
        "got a text saying my securities acct is abnormal n will be frozen in 24h unless i "
        "verify at some link. legit?"
    )
    assert "phishing_link" in fraud_signals(told)
    assert "phishing_link" in fraud_signals("短信让我去验证链接 不然冻结")


@pytest.mark.parametrize("text", ["那茅台现在能抄底不", "半导体还能追吗", "茅台可以买不"])
def test_asking_whether_to_buy_the_dip_is_asking_for_advice(text: str) -> None:
    assert is_advice_request(text)


@pytest.mark.parametrize("text", ["被骗的钱能追回吗", "科创板股票我能买吗"])
def test_recovering_money_or_a_permission_is_not_advice(text: str) -> None:
    assert not is_advice_request(text)


@pytest.mark.parametrize(
    "text",
    [
        "行情不动 K线卡住 下拉refresh也没用 我还有单要卖 急死",
        "app一直闪退 行情也不刷新 都开盘了急死了",
        "app frozen and i need to sell asap",
    ],
)
def test_the_app_stuck_while_the_investor_must_trade_is_urgent(text: str) -> None:
    assert stuck_while_trading(text.lower())


@pytest.mark.parametrize(
    "text",
    [
        "app一直转圈怎么办",  # a problem, no trade waiting
        "卖不出去 要跌停了",  # the limit, not the app
        "今天开盘你们app一直闪退 要卖的票没卖出去 亏了快2w",  # a loss already: laid at our door
    ],
)
def test_a_slow_app_a_limit_down_or_a_loss_already_is_not_stuck_now(text: str) -> None:
    assert not stuck_while_trading(text.lower())


@pytest.mark.parametrize(
    "text",
    [
        "风险测评怎么答才能到C4",
        "做测评的时候能不能都选激进的 这样就能开科创板了",
        "测评题目有标准答案吗 发我一下",
        "i'll just pick the aggressive answers on the risk questionnaire, fine right?",
        "how should i answer the assessment to unlock margin trading",
    ],
)
def test_answering_the_risk_assessment_other_than_truly_is_recognised(text: str) -> None:
    assert coaches_assessment(text)


@pytest.mark.parametrize(
    "text",
    [
        "风险测评过期了怎么重新做",
        "我的测评结果是C3 能买什么",
        "测评结果显示保守型 觉得不准 能重新测吗",
        "when does my risk assessment expire",
    ],
)
def test_redoing_or_reading_the_assessment_is_not_coaching(text: str) -> None:
    assert not coaches_assessment(text)


@pytest.mark.parametrize(
    "text",
    ["有没有安全又收益高的理财 推荐一下", "anything low risk with decent returns you can suggest?"],
)
def test_something_safe_that_pays_well_asked_for_is_advice(text: str) -> None:
    assert is_advice_request(text)


def test_whether_a_product_is_safe_is_a_question_not_a_request_for_advice() -> None:
    assert not is_advice_request("货币基金安全吗 收益怎么算")
    assert not is_advice_request("is a money market fund safe")


def test_a_code_asked_back_by_message_is_a_code_request_whatever_it_is_called() -> None:
    asked = "got a text from 'support' telling me to reply with the 6-digit code to keep my account"
    assert "verification_code_shared" in fraud_signals(asked)
    assert fraud_signals("where do i enter the 6 digit code when i log in") == []


@pytest.mark.parametrize(
    "text",
    [
        "佣金太高了 能不能给我降点",
        "别家都万一免五 你们能给我调低吗",
        "can you lower my commission, other brokers are way cheaper",
        "could u cut my fee rate pls",
    ],
)
def test_a_lower_commission_asked_for_is_recognised(text: str) -> None:
    assert asks_lower_commission(text)


@pytest.mark.parametrize(
    "text",
    [
        "免五是什么意思",
        "佣金一般是多少",
        "印花税能少收吗",
        "how is commission calculated",
        "我想申请降低风险等级",
    ],
)
def test_questions_about_fees_or_other_lowering_are_not_a_commission_request(text: str) -> None:
    assert not asks_lower_commission(text)


@pytest.mark.parametrize(
    "text",
    [
        "收到短信说我证券账户要升级 不升级就冻结 里面有个链接让点",
        "刚收到短信 有个链接让我点进去验证",
        "短信里有个链接叫我点开登记",
    ],
)
def test_a_text_with_a_link_to_click_or_an_upgrade_threatened_is_phishing(text: str) -> None:
    assert "phishing_link" in fraud_signals(text)


def test_a_link_to_the_app_store_asked_about_is_no_phishing() -> None:
    assert "phishing_link" not in fraud_signals("你们app的下载链接是哪个")


@pytest.mark.parametrize(
    "text",
    ["我已经点了 还输了账号和交易密码", "i clicked it and entered my password on the page"],
)
def test_credentials_typed_into_a_page_from_a_link_expose_the_account(text: str) -> None:
    assert reports_account_taken_over(text)


def test_a_password_typed_wrong_is_no_takeover() -> None:
    assert not reports_account_taken_over("输了密码一直提示错误")


@pytest.mark.parametrize(
    "text",
    [
        "your app charged me commission twice on same trade!!!",
        "显示转账成功了 银行卡里没收到钱",
        "it says success but my bank app show nothing!!",
    ],
)
def test_a_charge_taken_twice_or_a_success_with_nothing_arrived_is_money_gone(text: str) -> None:
    assert reports_missing_money(text)


def test_an_order_that_said_success_but_is_not_listed_is_no_money_gone() -> None:
    assert not reports_missing_money("下单提示成功了 但是当日委托里找不到这笔 也没有记录")


def test_a_rate_to_be_moved_to_is_a_lower_commission_asked_for() -> None:
    assert asks_lower_commission("能不能给我调到万一免五 别家都这样")


def test_which_answers_to_pick_for_a_higher_level_is_coaching() -> None:
    assert coaches_assessment("can u just tell me which answers to pick so i get higher level")


@pytest.mark.parametrize(
    "text",
    [
        "有人打电话说我风险测评快过期了 让我重新做 是你们打的吗",
        "这条短信是不是你们发的",
        "is this call really from you",
    ],
)
def test_asking_whether_a_call_was_ours_is_recognised(text: str) -> None:
    assert asks_if_from_us(text)


def test_a_complaint_about_our_calls_does_not_ask_whether_they_were_ours() -> None:
    assert not asks_if_from_us("你们天天打电话推销 烦死了")
