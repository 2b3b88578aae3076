"""A scam warning speaks to the scam described."""

from __future__ import annotations

from assistant.incoming_signals import FraudSignal, fraud_signals
from assistant.scam_warnings import back_about_the_scam, money_or_secrets_lost, scam_warning


def _warn(text: str, language: str = "zh") -> str:
    return scam_warning(fraud_signals(text), text, language).text  # type: ignore[arg-type]


def test_a_phishing_text_is_told_not_to_tap_the_link() -> None:
    text = _warn("收到短信说账户异常 让我点链接验证")
    assert "不要点击" in text and "链接" in text
    assert "安全账户" not in text


def test_a_safe_account_call_is_told_we_never_ask_to_move_money() -> None:
    text = _warn("有人打电话说是你们公司的 让我把钱转到安全账户")
    assert "安全账户" in text and "不会要求您把钱转到" in text


def test_the_police_are_advised_only_once_money_or_secrets_are_gone() -> None:
    assert "110" not in _warn("有人说有内幕消息 让我进群")
    assert "110" in _warn("我已经把验证码告诉对方了")
    assert scam_warning([], "已经转了2万", "zh").money_or_secrets_lost


def test_english_warnings_are_in_english() -> None:
    text = _warn("I got a text with a link to verify my account", "en")
    assert text.startswith("⚠️ Anti-fraud warning")
    assert "link" in text


def test_an_unknown_signal_falls_back_to_the_general_warning() -> None:
    text = scam_warning(["not_a_signal"], "something odd", "zh").text
    assert "不会索要密码或验证码" in text
    assert FraudSignal.PHISHING_LINK.value == "phishing_link"


def test_a_person_is_needed_when_the_scam_is_under_way_or_has_cost_them() -> None:
    def person(text: str) -> bool:
        return scam_warning(fraud_signals(text), text, "zh").needs_person

    # Only asked about: the warning answers it.
    assert not person("有个老师拉我进群带炒股 靠谱吗")
    assert not person("有人推销原始股")
    # Asked to move money, share a code or a screen, pay a fee: under way.
    assert person("让我把钱转到个人账户买股票")
    assert person("对方让我共享屏幕")
    # Already paid, or money stuck on the scammer's platform.
    assert person("有人推销原始股 我已经交了一万定金")
    assert person("老师带我在一个平台炒股 现在提现提不出来")
    # A report with no pattern known (the intent rule's "我妈被骗了") goes to a person.
    assert scam_warning([], "我妈被骗去炒股了", "zh").needs_person


def test_a_code_asked_for_in_pinyin_is_a_code_asked_for() -> None:
    signals = fraud_signals("有人打电话说是你们客服 要我报下yzm")
    assert FraudSignal.VERIFICATION_CODE_SHARED in signals
    assert FraudSignal.IMPERSONATION in signals


def test_a_code_already_read_out_is_a_secret_lost() -> None:
    assert money_or_secrets_lost("我已经报了 咋办啊")
    assert not money_or_secrets_lost("报了名 咋办手续")


def test_a_link_already_opened_or_a_password_typed_into_it_is_a_secret_lost() -> None:
    assert money_or_secrets_lost("我已经点了 还输了交易密码")
    assert money_or_secrets_lost("已经点进去了")
    assert money_or_secrets_lost("i already clicked it and entered my password")
    assert not money_or_secrets_lost("点了没反应 输密码的地方在哪")
    assert not money_or_secrets_lost("i clicked sell but nothing happened")


def test_being_told_to_install_another_app_to_trade_is_a_fake_platform() -> None:
    told = "they want me to download another app to trade 'institutional shares'"
    assert FraudSignal.FAKE_PLATFORM in fraud_signals(told)
    assert fraud_signals("how do i download your app") == []


def test_a_teacher_pulling_the_investor_into_a_group_and_an_app_to_pay_into_are_named() -> None:
    told = "群里有个老师加我微信 叫跟着老师操作 还让下载个软件充值"
    signals = fraud_signals(told)
    assert FraudSignal.TEACHER_GROUP in signals
    assert FraudSignal.FAKE_PLATFORM in signals
    warning = _warn(told)
    assert "不要下载对方推荐的App" in warning and "荐股带单" in warning


def test_our_own_app_or_a_trade_someone_else_made_raises_no_alarm() -> None:
    assert fraud_signals("客服让下载官方app 在哪下") == []
    assert fraud_signals("我要下载你们的app") == []
    assert fraud_signals("跟着他买了一只股票 现在亏了") == []


def test_a_deposit_demanded_before_a_withdrawal_is_an_advance_fee() -> None:
    assert FraudSignal.ADVANCE_FEE in fraud_signals("平台说要缴一笔保证金才可以出金")


def test_a_code_read_out_to_a_caller_is_a_code_shared() -> None:
    signals = fraud_signals("a man called from your bank so i read him the sms code i got")
    assert FraudSignal.VERIFICATION_CODE_SHARED in signals


def test_a_warning_doubted_because_the_caller_knew_details_says_why_that_proves_nothing() -> None:
    doubt = "可他知道我名字和身份证后四位 不会是真的吧"
    assert back_about_the_scam(doubt)
    told = f"刚有人打电话让我把钱转到安全账户 {doubt}"
    warning = scam_warning(fraud_signals(told), told, "zh")
    assert "并不能证明" in warning.text and "安全账户" in warning.text
    lost = scam_warning(fraud_signals(told), f"{told} 我已经转了两万过去了", "zh")
    assert "并不能证明" not in lost.text and "110" in lost.text, "once money is gone: the police"


def test_a_question_on_another_matter_after_a_warning_is_not_about_the_scam() -> None:
    assert not back_about_the_scam("那银证转账几点到几点")
