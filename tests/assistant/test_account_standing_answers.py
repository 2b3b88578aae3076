"""Answers about the linked bank card and the account's standing, from the sample account system.

In the shipped sample, INV-1001 has a linked card and a normal account, INV-1002 a change of
card under way, INV-1003 no card and a withdrawal restriction with no reason on record,
INV-1006 a buying restriction for an expired risk assessment, INV-1007 a trading restriction
for an expired ID card and INV-1008 a judicial freeze.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import get_args

import pytest

from assistant.account_answers import AccountAnswer
from assistant.accounts import JsonAccountSystem, RestrictionReason
from assistant.dialogue_models import Language
from assistant.pii import card_tail, find_pii
from tests.utils.account_records import SAMPLE_AS_OF, SAMPLE_INVESTORS, ask_account


@pytest.fixture
def accounts() -> JsonAccountSystem:
    return JsonAccountSystem(SAMPLE_INVESTORS, today=lambda: SAMPLE_AS_OF)


async def ask(
    accounts: JsonAccountSystem,
    text: str,
    investor: str | None = "INV-1001",
    language: Language = "zh",
) -> AccountAnswer:
    return await ask_account(accounts, text, investor, language)


async def test_the_linked_card_is_named_by_its_bank_and_last_four_digits_only(
    accounts: JsonAccountSystem,
) -> None:
    mine = await ask(accounts, "我绑的是哪张银行卡")
    english = await ask(accounts, "which bank card is linked to my account", language="en")

    assert mine.text.startswith("根据您的账户信息：")
    assert "三方存管银行是中国工商银行" in mine.text and "尾号0123" in mine.text
    assert "2023年3月15日绑定" in mine.text
    assert english.text.startswith("From your account:")
    assert "中国工商银行" in english.text and "ending 0123" in english.text
    assert "linked on 15 Mar 2023" in english.text
    for answer in (mine, english):
        assert "6222" not in answer.text and "****" not in answer.text
        assert find_pii(answer.text) == []
        assert answer.facts_used == ["bank_link:card"]
        assert not (answer.needs_sign_in or answer.failed or answer.offer_person)


async def test_another_investors_card_never_appears(accounts: JsonAccountSystem) -> None:
    mine = await ask(accounts, "我的三方存管是哪个银行")
    theirs = await ask(accounts, "我的三方存管是哪个银行", "INV-1006")

    assert "中国工商银行" in mine.text and "招商银行" not in mine.text
    assert "招商银行" in theirs.text and "0123" not in theirs.text


async def test_a_change_of_card_under_way_is_said(accounts: JsonAccountSystem) -> None:
    answer = await ask(accounts, "我换绑银行卡成功了吗", "INV-1002")

    assert "中国建设银行" in answer.text and "尾号8866" in answer.text
    assert "改绑为招商银行尾号2002的银行卡" in answer.text
    assert "正在办理中，尚未完成" in answer.text
    assert answer.facts_used == ["bank_link:card", "bank_link:pending_change"]


async def test_no_linked_card_is_said_plainly(accounts: JsonAccountSystem) -> None:
    answer = await ask(accounts, "我绑的是哪张银行卡", "INV-1003")

    assert "没有查到您账户绑定的存管银行卡" in answer.text
    assert answer.facts_used == []


def test_a_card_is_named_by_its_last_four_digits_however_it_is_written() -> None:
    assert card_tail("6222 **** **** 0123") == "0123"
    assert card_tail("6222021234567890123") == "0123"
    with pytest.raises(ValueError, match="last four digits"):
        card_tail("****")


async def test_a_normal_account_is_said_to_be_normal(accounts: JsonAccountSystem) -> None:
    zh = await ask(accounts, "我的账户状态正常吗")
    en = await ask(accounts, "is my account restricted?", language="en")

    assert "您的账户目前状态正常，没有冻结或限制" in zh.text
    assert "Your account is in normal standing" in en.text
    assert zh.facts_used == en.facts_used == ["account_status:normal"]
    assert not zh.offer_person


async def test_an_expired_id_restriction_names_the_reason_and_the_update_in_the_app(
    accounts: JsonAccountSystem,
) -> None:
    zh = await ask(accounts, "我的账户为什么被冻结了", "INV-1007")
    en = await ask(accounts, "why is my account frozen", "INV-1007", "en")

    assert "部分业务受限" in zh.text and "交易受限" in zh.text
    assert "登记的身份证件已过期" in zh.text and "【证件更新】" in zh.text
    assert "Trading restricted" in en.text and "the ID document on file expired" in en.text
    assert "Update ID" in en.text
    assert zh.facts_used == ["account_status:restricted", "restriction:trading:id_expired"]
    assert not zh.offer_person, "the investor can act in the app"


async def test_an_expired_risk_assessment_restriction_points_to_the_assessment(
    accounts: JsonAccountSystem,
) -> None:
    answer = await ask(accounts, "为什么我的账户被限制买入", "INV-1006")

    assert "买入受限" in answer.text and "风险承受能力测评已过期" in answer.text
    assert "【我的】→【风险测评】重新测评" in answer.text


async def test_a_judicial_freeze_is_for_the_authority_to_lift_and_a_person_to_explain(
    accounts: JsonAccountSystem,
) -> None:
    zh = await ask(accounts, "为什么我的钱转不出来了 显示资金冻结", "INV-1008")
    en = await ask(accounts, "is my account restricted?", "INV-1008", "en")

    assert "处于冻结状态" in zh.text and "司法冻结" in zh.text
    assert "无权解冻" in zh.text and "作出冻结的机关" in zh.text
    assert "核实您的身份后，会告诉您是哪个机关冻结的" in zh.text
    assert "“转人工”" in zh.text
    assert "Your account is frozen" in en.text and "cannot lift it" in en.text
    assert "only the authority that ordered it can" in en.text
    assert "Talk to a person" in en.text
    assert zh.offer_person and en.offer_person
    assert zh.facts_used == ["account_status:frozen", "restriction:whole_account:judicial_freeze"]


async def test_a_restriction_without_a_reason_is_never_given_one(
    accounts: JsonAccountSystem,
) -> None:
    answer = await ask(accounts, "我的账户是不是被限制了", "INV-1003")

    assert "资金转出受限" in answer.text
    assert "系统没有给出具体原因，我会请同事核实" in answer.text
    assert "原因：" not in answer.text
    assert answer.offer_person and "转人工" in answer.text
    assert answer.facts_used == [
        "account_status:restricted",
        "restriction:withdrawals:unspecified",
    ]


def _one_restriction(tmp_path: Path, restriction: dict[str, str]) -> JsonAccountSystem:
    shipped = json.loads(SAMPLE_INVESTORS.read_text("utf-8"))
    investor = next(i for i in shipped["investors"] if i["investor_id"] == "INV-1004")
    investor["account"] = {
        "standing": {"status": "restricted", "restrictions": [restriction]},
    }
    path = tmp_path / "investors.json"
    path.write_text(json.dumps({"as_of": shipped["as_of"], "investors": [investor]}), "utf-8")
    return JsonAccountSystem(path, today=lambda: SAMPLE_AS_OF)


NEXT_STEPS: dict[RestrictionReason, tuple[str, str, bool]] = {
    # reason: what the zh and en answers say to do, and whether a person is offered
    "id_expired": ("【证件更新】上传新证件", "Update ID", False),
    "information_incomplete": ("补全资料", "Please complete them", False),
    "risk_assessment_expired": ("重新测评", "take it again", False),
    "dormant": ("到营业部办理", "to a branch in person", False),
    "unqualified": ("营业部核对资料", "original ID at a branch", True),
    "judicial_freeze": ("无权解冻", "cannot lift it", True),
    "aml_review": (
        "合规部门工作人员会通过官方渠道联系您",
        "compliance staff will contact you",
        True,
    ),
    "investor_requested": ("视频核验", "by video", True),
    "other": ("具体处理方式需要同事核实", "A colleague needs to check", True),
}


@pytest.mark.parametrize("reason", get_args(RestrictionReason))
@pytest.mark.parametrize("language", ["zh", "en"])
async def test_every_reason_has_its_next_step_and_a_person_where_only_one_can_help(
    tmp_path: Path, reason: RestrictionReason, language: Language
) -> None:
    restriction = {"scope": "trading", "reason": reason}
    if reason == "other":
        restriction["reason_detail"] = "柜台备注：待核实"
    accounts = _one_restriction(tmp_path, restriction)

    answer = await ask(accounts, "我的账户为什么被限制交易了", "INV-1004", language)

    zh_step, en_step, needs_person = NEXT_STEPS[reason]
    assert (zh_step if language == "zh" else en_step) in answer.text
    assert answer.offer_person is needs_person
    assert ("转人工" in answer.text or "Talk to a person" in answer.text) is needs_person
    assert answer.facts_used == ["account_status:restricted", f"restriction:trading:{reason}"]
    if reason == "other":
        assert "柜台备注：待核实" in answer.text


async def test_a_guest_or_an_unknown_investor_is_asked_to_sign_in(
    accounts: JsonAccountSystem,
) -> None:
    for text in ("我绑的是哪张银行卡", "我的账户为什么被冻结了"):
        guest = await ask(accounts, text, None)
        unknown = await ask(accounts, text, "INV-9999")

        assert guest.needs_sign_in and guest.text == unknown.text
        assert "需要先登录" in guest.text
        assert "0123" not in guest.text and "冻结状态" not in guest.text
