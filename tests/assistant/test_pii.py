"""Personal-data masking: what is masked, how it looks, what is left alone, and logging."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from assistant.pii import PiiMaskingFilter, find_pii, install_log_masking, mask_pii

LUHN_CARD_19 = "6222021234567890128"  # passes the Luhn check
LUHN_CARD_16 = "6228480012345671"
NOT_LUHN_16 = "6228480012345672"  # one digit off: fails the Luhn check


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        # ID numbers
        ("我的身份证号是11010519900101002X。", "我的身份证号是110105********002X。"),
        ("身份证：110105199001010021", "身份证：110105********0021"),
        ("证件号 110105 19900101 002X", "证件号 110105 ******** 002X"),
        ("老身份证110105900101123还能用吗", "老身份证110105******123还能用吗"),
        # mobile phones
        ("手机13812345678收不到验证码", "手机138****5678收不到验证码"),
        ("请打138-1234-5678联系我", "请打138-****-5678联系我"),
        ("号码是 138 1234 5678", "号码是 138 **** 5678"),
        ("+86 13812345678", "+86 138****5678"),
        ("+86-138-1234-5678", "+86-138-****-5678"),
        ("008613812345678", "0086138****5678"),
        ("全角１３８１２３４５６７８也算", "全角１３８****５６７８也算"),
        # bank cards
        (f"银行卡号{LUHN_CARD_19}", "银行卡号6222***********0128"),
        ("卡号6222 0212 3456 7890 123", "卡号6222 **** **** ***0 123"),
        ("6222-0212-3456-0123", "6222-****-****-0123"),
        (f"转到{LUHN_CARD_16}了", "转到6228********5671了"),
        # e-mails
        ("邮箱zhang.san@qq.com谢谢", "邮箱zh*******@qq.com谢谢"),
        ("mail me at li@example.com.cn", "mail me at l*@example.com.cn"),
        ("13812345678@163.com", "13*********@163.com"),
    ],
)
def test_masks_personal_data_keeping_a_short_prefix_and_suffix(text: str, masked: str) -> None:
    assert mask_pii(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "我想买10万元的600519",
        "账户里有500000元",
        "金额1,000,000.00元",
        "买入300750和688981各100股",
        "000001.SZ今天停牌",
        "2024年3月15日",
        "2024-03-15 14:30:00",
        "20240315",
        "交易时间9:30-11:30，13:00-15:00",
        "订单号20240315000012345678",  # 20 digits: too long for a card
        "委托编号2024031500001238",  # passes Luhn, but it is labelled as an order
        "银行卡转账流水号2024031500001238",  # the nearer label is the transaction's
        f"流水号{NOT_LUHN_16}",
        NOT_LUHN_16,  # unlabelled, ungrouped and fails Luhn: an id, not a card
        "时间戳1710489600000",
        "客服热线95555",
        "110105199013450022",  # month 13: not a birth date, so not an ID number
        "ID 910105199001010021",  # region codes start 1..8
    ],
)
def test_leaves_ordinary_numbers_alone(text: str) -> None:
    assert mask_pii(text) == text
    assert find_pii(text) == []


def test_a_card_typed_by_an_investor_is_masked_even_when_luhn_fails() -> None:
    assert mask_pii(f"我的卡号{NOT_LUHN_16}") == "我的卡号6228********5672"
    assert mask_pii(f"card number: {NOT_LUHN_16}") == "card number: 6228********5672"
    assert mask_pii("6228 4800 1234 5672") == "6228 **** **** 5672"


def test_an_id_number_with_a_wrong_check_digit_is_still_masked() -> None:
    """A typo in the last digit still discloses the other seventeen."""
    assert mask_pii("110105199001010029") == "110105********0029"


def test_find_pii_reports_kind_and_span_in_order() -> None:
    text = "邮箱a.b@qq.com，手机13812345678，卡号6222 0212 3456 7890，身份证11010519900101002X"

    matches = find_pii(text)

    assert [match.kind for match in matches] == ["email", "phone", "bank_card", "id_number"]
    for match in matches:
        start, end = match.span
        assert text[start:end] == match.text
    assert matches[1].text == "13812345678"


def test_the_country_code_is_not_part_of_the_phone_match() -> None:
    (match,) = find_pii("+86 138 1234 5678")

    assert match.kind == "phone"
    assert match.text == "138 1234 5678"


def test_masking_is_idempotent() -> None:
    text = f"手机13812345678，卡{LUHN_CARD_19}，身份证11010519900101002X，邮箱x.y@z.com"

    once = mask_pii(text)

    assert mask_pii(once) == once
    assert find_pii(once) == []


# --- logging -------------------------------------------------------------------------------


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A real logger tree ``piitest`` with a handler writing to a buffer."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    logger = logging.getLogger("piitest")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logger.addHandler(handler)
    yield logger, stream
    logger.removeHandler(handler)
    logger.filters.clear()
    logger.propagate = True


def test_log_masking_masks_the_message_and_its_arguments(captured) -> None:
    logger, stream = captured
    install_log_masking(logger)

    logger.info("investor %s phone %d card %s", "11010519900101002X", 13812345678, LUHN_CARD_16)

    output = stream.getvalue()
    assert "investor 110105********002X phone 138****5678 card 6228********5671" in output
    for raw in ("11010519900101002X", "13812345678", LUHN_CARD_16):
        assert raw not in output


def test_log_masking_covers_records_from_child_loggers(captured) -> None:
    """A logger's own filters never see records propagated from its children."""
    logger, stream = captured
    install_log_masking(logger)

    logging.getLogger("piitest.dialogue").warning("callback to 13812345678")

    assert stream.getvalue() == "piitest.dialogue callback to 138****5678\n"


def test_log_masking_masks_tracebacks(captured) -> None:
    logger, stream = captured
    install_log_masking(logger)

    try:
        raise ValueError("bad phone 13812345678")
    except ValueError:
        logger.exception("lookup failed")

    output = stream.getvalue()
    assert "13812345678" not in output
    assert "ValueError: bad phone 138****5678" in output


def test_installing_twice_adds_one_filter(captured) -> None:
    logger, _ = captured
    install_log_masking(logger)
    install_log_masking(logger)

    for filterer in (logger, *logger.handlers):
        assert sum(isinstance(f, PiiMaskingFilter) for f in filterer.filters) == 1


def test_installs_on_the_root_logger_by_default() -> None:
    root = logging.getLogger()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root.addHandler(handler)
    try:
        install_log_masking()
        logging.getLogger("piitest_root").error("email x.y@example.com")
    finally:
        root.removeHandler(handler)
        root.filters = [f for f in root.filters if not isinstance(f, PiiMaskingFilter)]
        for other in root.handlers:
            other.filters = [f for f in other.filters if not isinstance(f, PiiMaskingFilter)]

    assert stream.getvalue() == "email x**@example.com\n"


def test_a_broken_format_string_is_still_masked_and_not_dropped() -> None:
    record = logging.LogRecord(
        "piitest", logging.INFO, __file__, 1, "phone %s %s", ("13812345678",), None
    )

    kept = PiiMaskingFilter().filter(record)

    assert kept
    assert record.args == ("138****5678",)
