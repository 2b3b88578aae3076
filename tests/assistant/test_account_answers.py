"""Answers about the investor's own account, from the sample account system.

The sample investors are served as on the file's as-of day, 10:30 exchange time:
INV-1001 has an allotment due at 16:00 that day, a pending and a failed transfer,
a partly filled, a cancelled and a rejected order and a risk assessment about to
expire; INV-1002 has other figures throughout, so one investor's facts can never
pass for the other's.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from assistant.account_answers import (
    AccountQuery,
    answer_account_query,
)
from assistant.account_queries import ACCOUNT_QUERY_KINDS, detect_account_query
from assistant.accounts import JsonAccountSystem
from assistant.compliance import ComplianceGuard
from assistant.dialogue_models import Language
from assistant.pii import find_pii
from tests.utils.account_records import (
    SAMPLE_AS_OF,
    SAMPLE_INVESTORS,
    SAMPLE_MORNING,
    ask_account,
    transfer_record,
)

ROOT = Path(__file__).resolve().parents[2]
SHIPPED, AS_OF, NOW = SAMPLE_INVESTORS, SAMPLE_AS_OF, SAMPLE_MORNING
ask = ask_account


@pytest.fixture
def accounts() -> JsonAccountSystem:
    return JsonAccountSystem(SHIPPED, today=lambda: AS_OF)


async def test_a_signed_in_investor_hears_their_own_commission(
    accounts: JsonAccountSystem,
) -> None:
    mine = await ask(accounts, "我的佣金是多少")
    theirs = await ask(accounts, "我的佣金是多少", "INV-1002")

    assert mine.text.startswith("根据您的账户信息：")
    assert "A股：万分之2，每笔最低5元" in mine.text
    assert "万分之1.2" not in mine.text and "万分之1.2" in theirs.text
    assert "印花税、过户费等税费另计" in mine.text
    assert mine.facts_used == [
        "commission:a_share",
        "commission:etf",
        "commission:convertible_bond",
        "commission:stock_connect",
    ]
    assert not (mine.needs_sign_in or mine.failed)


async def test_commission_for_one_product_and_in_english(accounts: JsonAccountSystem) -> None:
    etf = await ask(accounts, "我买ETF的佣金是多少")
    english = await ask(accounts, "what's my commission rate", language="en")

    assert "ETF：万分之1，每笔最低0.2元" in etf.text and "A股" not in etf.text
    assert english.text.startswith("From your account:")
    assert "A-shares: 0.02%, minimum CNY 5 per order" in english.text


async def test_a_failed_transfer_gives_its_reason_and_the_next_step(
    accounts: JsonAccountSystem,
) -> None:
    answer = await ask(accounts, "转账失败了 为什么")

    assert "证券转银行 20,000.00元" in answer.text
    assert "失败，原因是可取资金不足" in answer.text
    assert "下一交易日才可转出" in answer.text
    assert "调整金额后重新转出" in answer.text
    assert answer.facts_used == ["transfer:TR20261214-0417"]
    assert "30,000.00" not in answer.text  # the pending one did not fail


async def test_the_latest_transfers_show_the_pending_one_and_say_not_to_repeat_it(
    accounts: JsonAccountSystem,
) -> None:
    answer = await ask(accounts, "where is my transfer", language="en")

    assert answer.facts_used == [  # the three latest; the one 8 days ago is left out
        "transfer:TR20261215-0093",
        "transfer:TR20261214-0417",
        "transfer:TR20261214-0388",
    ]
    first = answer.text.splitlines()[1]
    assert first.startswith("· today 09:12 bank → brokerage CNY 30,000.00")
    assert first.endswith("in progress")
    assert "6222 **** **** 0123" in first
    assert "please don't start it again" in answer.text


async def test_a_day_word_narrows_the_transfers_to_that_day(accounts: JsonAccountSystem) -> None:
    answer = await ask(accounts, "我昨天转的钱到了没")

    assert "昨天 14:32 银行转证券 50,000.00元" in answer.text
    assert "已成功（14:32）" in answer.text
    assert "今天" not in answer.text


async def test_a_day_without_transfers_says_so_and_shows_the_latest(
    accounts: JsonAccountSystem,
) -> None:
    answer = await ask(accounts, "我前天转的钱到了没")

    assert f"{AS_OF.month}月{AS_OF.day - 2}日没有银证转账记录" in answer.text
    assert "今天 09:12" in answer.text


async def test_a_transfer_the_investor_describes_and_does_not_have_is_said_not_to_be_there(
    accounts: JsonAccountSystem,
) -> None:
    answer = await ask(accounts, "今早transfer out了5000块到银行卡 到帐没 银行app里没看到")

    assert answer.text.startswith("根据您的账户信息：没有找到证券转银行的转账记录。")
    assert "5,000.00元" not in answer.text  # the sum is not looked for among other ways
    assert "今天 09:12 银行转证券 30,000.00元" in answer.text


async def test_a_transfer_of_the_sum_named_is_picked_out(accounts: JsonAccountSystem) -> None:
    answer = await ask(accounts, "昨天转进来的5万到了吗")

    assert "没有找到" not in answer.text
    assert "昨天 14:32 银行转证券 50,000.00元" in answer.text


async def test_a_sum_no_transfer_was_of_is_said_not_to_be_there(
    accounts: JsonAccountSystem,
) -> None:
    answer = await ask(accounts, "转入的8000块到账了吗")

    assert "没有找到8,000.00元的转账记录。" in answer.text


async def test_an_allotment_due_today_gives_the_amount_the_deadline_and_what_to_do(
    accounts: JsonAccountSystem,
) -> None:
    answer = await ask(accounts, "中签了要交多少钱 什么时候交")

    due = answer.text.splitlines()[1]
    assert due == (
        "· 示例新能（虚构）（732999）：12月11日申购5,000股，中签500股，应缴6,170.00元，"
        "缴款截止今天16:00，尚未缴款"
    )
    assert "今天16:00前确保资金账户内的可用资金不少于6,170.00元" in answer.text
    assert "先通过银证转账转入资金账户" in answer.text
    assert "未中签" in answer.text  # the convertible bond
    assert "中签结果尚未公布（预计12月17日公布）" in answer.text


@pytest.mark.parametrize("question", ["我今天要缴款吗", "is my allotment payment due today"])
async def test_a_day_word_finds_the_payment_due_that_day(
    accounts: JsonAccountSystem, question: str
) -> None:
    answer = await ask(accounts, question, language="zh" if "缴" in question else "en")

    assert answer.facts_used[0] == "ipo:732999:2026-12-11"  # subscribed days before, due today
    assert "6,170.00" in answer.text


async def test_a_day_with_no_subscriptions_says_so_and_shows_the_latest(
    accounts: JsonAccountSystem,
) -> None:
    answer = await ask(accounts, "我前天打的新中签了吗", "INV-1002")

    assert "没有新股或新债申购相关的记录，以下是最近的申购" in answer.text
    assert "示例智能（虚构）（301998）" in answer.text


async def test_new_shares_or_new_bonds_named_narrow_the_subscriptions(
    accounts: JsonAccountSystem,
) -> None:
    shares = await ask(accounts, "我昨天申的那个新股中了没")
    bonds = await ask(accounts, "我的新债中了没")

    assert "754999" not in shares.text, "a bond's result is no answer about new shares"
    assert "732999" in shares.text
    assert [fact.split(":")[1] for fact in bonds.facts_used] == ["754999"]
    assert detect_account_query("我昨天申的那个新股中了没").ipo_kind == "stock"  # type: ignore[union-attr]
    assert detect_account_query("我中签了吗").ipo_kind is None  # type: ignore[union-attr]
    assert detect_account_query("昨天申的xg中了没").ipo_kind == "stock"  # type: ignore[union-attr]


async def test_an_allotment_whose_deadline_passed_unpaid_counts_as_given_up(
    accounts: JsonAccountSystem,
) -> None:
    evening = NOW.replace(hour=17)

    answer = await ask(accounts, "did I win the IPO", language="en", now=evening)

    assert "was due by 16:00 today and was not paid" in answer.text
    assert "counts as given up" in answer.text


async def test_a_partially_filled_order_says_what_is_left_and_when_it_lapses(
    accounts: JsonAccountSystem,
) -> None:
    answer = await ask(accounts, "我刚才挂的示例银行成交了吗")

    assert (
        "买入 示例银行（虚构）（600001）1,000股，委托价10.50元：部分成交，已成交600股"
        "（均价10.49元），剩余400股仍在排队"
    ) in answer.text
    assert "未成交的部分当日收盘后自动失效" in answer.text
    assert "样例创新" not in answer.text  # another security


async def test_a_cancelled_or_rejected_order_gives_its_reason(accounts: JsonAccountSystem) -> None:
    answer = await ask(accounts, "我的单子为什么被撤了")

    assert "已撤单，原因是您本人撤单" in answer.text
    assert (
        "样例创新（虚构）（300001）200股，委托价25.00元：废单，原因是未开通创业板交易权限"
        in answer.text
    )
    assert "可以问我“创业板开通条件”" in answer.text
    assert "部分成交" not in answer.text


async def test_a_security_with_no_orders_is_said_not_to_match(accounts: JsonAccountSystem) -> None:
    answer = await ask(accounts, "我刚才挂的茅台成交了吗")

    assert "没有找到与“茅台”相关的委托" in answer.text
    assert "示例银行" in answer.text


async def test_permissions_are_listed_with_their_dates(accounts: JsonAccountSystem) -> None:
    granted = await ask(accounts, "我有哪些权限", "INV-1002")
    none = await ask(accounts, "我有哪些权限")

    assert "您已开通：创业板（2021年6月15日开通）" in granted.text
    assert granted.facts_used == ["permission:chinext"]
    assert "您已开通" not in none.text
    assert "您的账户尚未开通：创业板、科创板" in none.text


async def test_one_named_permission_is_answered_yes_or_no(accounts: JsonAccountSystem) -> None:
    yes = await ask(accounts, "do I have ChiNext access", "INV-1002", "en")
    no = await ask(accounts, "我开通创业板了没有")

    assert "ChiNext is open on your account (since 15 Jun 2021)." in yes.text
    assert "您的账户目前未开通创业板" in no.text
    assert "创业板开通条件" in no.text  # where the eligibility flow takes over


@pytest.mark.parametrize(
    ("question", "investor", "expected"),
    [
        (
            "我的风险等级是啥 什么时候过期",
            "INV-1001",
            "有效期至2026年12月27日，还有12天到期，请在到期前通过【我的】→【风险测评】重新测评",
        ),
        (
            "我的风险等级是啥 什么时候过期",
            "INV-1006",
            "这次测评已于2026年11月19日到期，请在【我的】→【风险测评】重新测评",
        ),
        ("我的风险等级是啥 什么时候过期", "INV-1004", "您还没有完成风险承受能力测评"),
        ("我的风险等级是啥 什么时候过期", "INV-1002", "有效期至2027年10月9日。"),
        ("我身份证是不是快过期了", "INV-1002", "有效期至2027年1月24日，还有40天到期"),
        ("我身份证是不是快过期了", "INV-1007", "已于2026年12月1日过期"),
        ("我身份证是不是快过期了", "INV-1006", "（440305********1006）长期有效"),
        ("我身份证是不是快过期了", "INV-1001", "（110105********1018）有效期至2031年5月20日。"),
    ],
)
async def test_an_expiry_date_is_given_with_what_to_do_about_it(
    accounts: JsonAccountSystem, question: str, investor: str, expected: str
) -> None:
    answer = await ask(accounts, question, investor)

    assert expected in answer.text


async def test_a_statement_request_is_filed_once_and_its_receipt_reported(
    accounts: JsonAccountSystem,
) -> None:
    answer = await ask(accounts, "帮我开个对账单")

    (filed,) = accounts.statements
    assert (filed.kind, filed.period_start, filed.period_end) == (
        "statement",
        date(2026, 11, 1),
        date(2026, 11, 30),
    )
    assert f"编号{filed.request_id}" in answer.text
    assert "期间为2026年11月1日至2026年11月30日" in answer.text
    assert "wa****@example.com" in answer.text
    assert answer.facts_used == [f"statement_request:{filed.request_id}"]


async def test_an_asset_certificate_is_as_of_the_last_close(accounts: JsonAccountSystem) -> None:
    answer = await ask(accounts, "I need a proof of assets", "INV-1002", "en")

    (filed,) = accounts.statements
    assert filed.kind == "asset_certificate"
    assert filed.period_start == filed.period_end == AS_OF - timedelta(days=1)
    assert "Me → Messages" in answer.text


@pytest.mark.parametrize("kind", ACCOUNT_QUERY_KINDS)
@pytest.mark.parametrize("language", ["zh", "en"])
async def test_an_anonymous_investor_is_asked_to_sign_in_and_nothing_is_read(
    tmp_path: Path, kind: str, language: Language
) -> None:
    # Reading this account system fails: an answer that read it could not be a sign-in answer.
    unreadable = JsonAccountSystem(tmp_path / "absent.json")

    answer = await answer_account_query(AccountQuery(kind=kind), None, unreadable, language)

    assert answer.needs_sign_in and not answer.failed
    assert ("登录" if language == "zh" else "sign in") in answer.text
    assert answer.facts_used == []


@pytest.mark.parametrize("kind", ACCOUNT_QUERY_KINDS)
async def test_an_unknown_investor_hears_exactly_what_a_guest_hears(
    accounts: JsonAccountSystem, kind: str
) -> None:
    query = AccountQuery(kind=kind)

    unknown = await answer_account_query(query, "INV-NOPE", accounts, "zh", now=NOW)
    guest = await answer_account_query(query, None, accounts, "zh", now=NOW)

    assert unknown == guest
    assert accounts.statements == []


@pytest.mark.parametrize("kind", ACCOUNT_QUERY_KINDS)
async def test_an_account_system_failure_is_a_retry_later_answer(tmp_path: Path, kind: str) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", "utf-8")

    answer = await answer_account_query(
        AccountQuery(kind=kind), "INV-1001", JsonAccountSystem(broken), "zh"
    )

    assert answer.failed and not answer.needs_sign_in
    assert "稍后再试" in answer.text
    assert "根据您的账户信息" not in answer.text


ALL_QUESTIONS = {
    "zh": [
        "我的佣金是多少",
        "我最近的银证转账",
        "转账失败了 为什么",
        "我今天的委托成交了没",
        "我的单子为什么被撤了",
        "我中签了吗",
        "我有哪些权限",
        "我开通科创板了没有",
        "我的风险等级是啥 什么时候过期",
        "我身份证是不是快过期了",
        "帮我开个对账单",
        "帮我开一份资产证明",
        "查一下我的持仓",
    ],
    "en": [
        "what's my commission rate",
        "show my recent transfers",
        "why did my transfer fail",
        "is my order filled",
        "why was my order cancelled",
        "did I win the IPO",
        "which permissions do I have",
        "do I have ChiNext access",
        "when does my risk assessment expire",
        "is my ID about to expire",
        "send me my statement for last month",
        "I need a proof of assets",
        "show my positions",
    ],
}


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("investor", [f"INV-100{n}" for n in range(1, 9)])
async def test_every_answer_is_plain_fact_masked_and_free_of_advice(
    accounts: JsonAccountSystem, investor: str, language: Language
) -> None:
    guard = ComplianceGuard(disclaimer_zh="免责声明", disclaimer_en="Disclaimer")
    label = "根据您的账户信息：" if language == "zh" else "From your account: "

    for question in ALL_QUESTIONS[language]:
        answer = await ask(accounts, question, investor, language)

        assert answer.text.startswith(label), (question, answer.text)
        assert not (answer.failed or answer.needs_sign_in)
        assert find_pii(answer.text) == [], (question, answer.text)
        assert guard.violations(answer.text) == [], (question, answer.text)
        assert "\n\n" not in answer.text and len(answer.text) < 900


async def test_personal_data_in_a_records_free_text_is_masked(tmp_path: Path) -> None:
    record = json.loads(SHIPPED.read_text("utf-8"))
    failed = transfer_record(
        direction="securities_to_bank",
        requested_at=f"{AS_OF.isoformat()}T09:00:00+08:00",
        status="failed",
        failure_reason="other",
        failure_detail="请致电13812345678核实",
    )
    record["investors"][0]["account"]["transfers"] = [failed]
    path = tmp_path / "investors.json"
    path.write_text(json.dumps(record, ensure_ascii=False), "utf-8")

    answer = await ask(JsonAccountSystem(path, today=lambda: AS_OF), "转账失败了 为什么")

    assert "138****5678" in answer.text
    assert "13812345678" not in answer.text


def test_the_answers_do_not_import_the_dialogue() -> None:
    probe = "import sys, assistant.account_answers; print('assistant.dialogue' in sys.modules)"

    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True
    )

    assert loaded.stdout.strip() == "False"


async def test_holdings_are_listed_from_the_account_and_prices_left_to_the_app(
    accounts: JsonAccountSystem,
) -> None:
    mine = await ask(accounts, "查一下我的持仓")
    english = await ask(accounts, "show my positions", language="en")
    nothing = await ask(accounts, "查一下我的持仓", "INV-1003")

    assert mine.text.startswith("根据您的账户信息：")
    assert "示例银行（虚构）（600001）：2,000股" in mine.text
    assert "【交易】→【持仓】" in mine.text and mine.facts_used == ["holdings"]
    assert "(600001): 2,000 shares" in english.text
    assert "Trade → Holdings" in english.text
    assert "您的账户目前没有持仓" in nothing.text and "600001" not in nothing.text
