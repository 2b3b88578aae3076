"""What an investor's message says about the firm: money gone, or a loss we caused."""

from __future__ import annotations

import pytest

from assistant.incoming_signals import (
    chases_up_earlier_contact,
    reports_firm_caused_loss,
    reports_missing_money,
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
    "text",
    [
        "上周反映的问题到现在都没人回复",
        "我之前投诉过一次 一直没人处理",
        "I complained last week and nobody has replied",
        "又驳回了 第三次了",
        "开户审核又失败了",
        "my application was rejected again",
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
