"""Personal-data masking: what is masked, how it looks, what is left alone, and logging."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


# --- formatting (issue 12, finding 4) ----------------------------------------------------

VALID_ID = "110105199001010029"  # check digit right (11010519900101002X above is not)
VALID_ID_X = "44030619851123104X"
PHONE = "13812345678"
CN = "〇一二三四五六七八九"


def chinese(digits: str) -> str:
    return "".join(CN[int(d)] if d.isdigit() else d for d in digits)


def full_width(digits: str) -> str:
    return "".join(chr(0xFF10 + int(d)) if d.isdigit() else d for d in digits)


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        # mobile phones, written every way the security test tried and more
        ("手机138.1234.5678", "手机138.****.5678"),
        ("手机138/1234/5678", "手机138/****/5678"),
        ("手机 1 3 8 1 2 3 4 5 6 7 8", "手机 1 3 8 * * * * 5 6 7 8"),
        ("(138)1234-5678 找我", "(138)****-5678 找我"),
        ("138 123 456 78", "138 *** *56 78"),
        ("138_1234_5678", "138_****_5678"),
        ("电话１３８．１２３４．５６７８", "电话１３８．****．５６７８"),
        ("号码138－1234－5678", "号码138－****－5678"),
        ("+86 (138) 1234-5678", "+86 (138) ****-5678"),
        ("我的手机一三八一二三四五六七八", "我的手机一三八****五六七八"),
        ("幺三八幺二三四五六七八", "幺三八****五六七八"),
        ("一三八 一二三四 五六七八", "一三八 **** 五六七八"),
        ("壹叁捌壹贰叁肆伍陆柒捌", "壹叁捌****伍陆柒捌"),
        # ID numbers whose check digit is right
        ("身份证110105.19900101.0029", "身份证110105.********.0029"),
        ("身份证110105/19900101/0029", "身份证110105/********/0029"),
        ("身份证 110 105 199 001 010 029", "身份证 110 105 *** *** **0 029"),
        ("ID 4403 0619 8511 2310 4X", "ID 4403 06** **** **10 4X"),
        ("身份证440306.19851123.104x", "身份证440306.********.104x"),
        (f"身份证{chinese(VALID_ID)}", "身份证一一〇一〇五********〇〇二九"),
        (f"身份证{full_width(VALID_ID)}", "身份证１１０１０５********００２９"),
        # bank cards that pass Luhn
        (
            f"卡 {LUHN_CARD_19[:4]}.{LUHN_CARD_19[4:8]}.{LUHN_CARD_19[8:12]}.{LUHN_CARD_19[12:16]}.{LUHN_CARD_19[16:]}",
            "卡 6222.****.****.***0.128",
        ),
        ("转到6222/0212/3456/7890/128", "转到6222/****/****/***0/128"),
        ("622 202 123 456 789 012 8", "622 2** *** *** *** 012 8"),
        (f"转账到{chinese(LUHN_CARD_16)}", "转账到六二二八********五六七一"),
        (f"{full_width(LUHN_CARD_16)}", "６２２８********５６７１"),
    ],
)
def test_masks_personal_data_however_it_is_formatted(text: str, masked: str) -> None:
    assert mask_pii(text) == masked
    assert mask_pii(masked) == masked


@pytest.mark.parametrize(
    "text",
    [
        "我持有600519 000001 300750 688981",  # stock codes in a row
        "成交额13 800 000 000元",
        "成交价13.80元，数量1234股",
        "IP 192.168.100.200",
        "版本1.2.3.4.5.6.7.8.9.10.11",
        "2024/03/15 10:30",
        "2024.03.15",
        "订单号2024.0315.0000.1238",  # Luhn passes, but it is labelled as an order
        "流水号 2024/0315/0000/1238",  # Luhn passes, slashes, an order label
        "2024.0315.0000.1239",  # unlabelled, dotted, fails Luhn
        "身份证110105.19900101.0021",  # the check digit is wrong and it is not written plainly
        "二〇二四年三月十五日",
        "第一二三四五六七八九期",  # nine numerals: too short for anything
        "(021)6888-8888",  # a landline, not a mobile
        "一共二三四五六七八九个",
    ],
)
def test_leaves_formatted_ordinary_numbers_alone(text: str) -> None:
    assert mask_pii(text) == text


# Property-based: numbers of every kind, formatted at random, inside ordinary sentences.

SEPARATORS = [" ", "-", ".", "/", "_", "·", "　", " - ", "－", "．", "／"]
BEFORE = ["", "我的", "请联系 ", "号码是：", "please use ", "（", "【"]
AFTER = ["", "。", "，谢谢", " thanks", "）", "】", "!"]


def luhn_completed(body: str) -> str:
    for check in "0123456789":
        total = 0
        for position, char in enumerate(reversed(body + check)):
            value = int(char)
            if position % 2 == 1:
                value = value * 2 - 9 if value > 4 else value * 2
            total += value
        if total % 10 == 0:
            return body + check
    raise AssertionError("unreachable")


def id_completed(body: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


@st.composite
def personal_numbers(draw: st.DrawFn) -> tuple[str, tuple[int, ...]]:
    """A mobile number, an ID number or a Luhn-valid card, and the shapes it may be
    written in besides equal groups."""
    kind = draw(st.sampled_from(["phone", "id", "card"]))
    if kind == "phone":
        body = draw(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
        return body, (3, 4, 4)
    if kind == "id":
        born = draw(st.dates(min_value=date(1930, 1, 1), max_value=date(2010, 12, 31)))
        region = draw(st.from_regex(r"[1-8][0-9]{5}", fullmatch=True))
        serial = draw(st.from_regex(r"[0-9]{3}", fullmatch=True))
        return id_completed(region + born.strftime("%Y%m%d") + serial), (6, 8, 4)
    length = draw(st.integers(16, 19))
    body = draw(st.from_regex(rf"62[0-9]{{{length - 3}}}", fullmatch=True))
    return luhn_completed(body), (4, 4, 4, 4)


@st.composite
def formatted(draw: st.DrawFn) -> tuple[str, str]:
    """(a sentence holding one formatted personal number, its digits)."""
    number, shape = draw(personal_numbers())
    if draw(st.booleans()):
        sizes = list(shape) if sum(shape) == len(number) else [len(number)]
    else:
        size = draw(st.integers(1, 4))
        sizes = [size] * (len(number) // size) + (
            [len(number) % size] if len(number) % size else []
        )
    separator = draw(st.sampled_from(SEPARATORS))
    script = draw(st.sampled_from(["ascii", "full-width", "chinese", "mixed"]))
    characters = []
    for digit in number:
        style = script if script != "mixed" else draw(st.sampled_from(["ascii", "chinese"]))
        if digit == "X" or style == "ascii":
            characters.append(digit)
        elif style == "full-width":
            characters.append(chr(0xFF10 + int(digit)))
        else:
            characters.append(
                draw(st.sampled_from({"1": "一幺壹", "2": "二两贰"}.get(digit, CN[int(digit)])))
            )
    pieces, cursor = [], 0
    for size in sizes:
        pieces.append("".join(characters[cursor : cursor + size]))
        cursor += size
    text = draw(st.sampled_from(BEFORE)) + separator.join(pieces) + draw(st.sampled_from(AFTER))
    return text, number


def digits_in(text: str) -> str:
    """The digits a reader can still make out, separators and stars dropped."""
    values = {**{str(n): str(n) for n in range(10)}, **{chr(0xFF10 + n): str(n) for n in range(10)}}
    for numerals in (CN, "零壹贰叁肆伍陆柒捌玖"):
        values |= {char: str(n) for n, char in enumerate(numerals)}
    values |= {"幺": "1", "两": "2", "X": "X", "x": "X"}
    return "".join(values.get(char, "") for char in text)


@settings(max_examples=400, deadline=None)
@given(formatted())
def test_a_formatted_personal_number_is_never_left_readable(case: tuple[str, str]) -> None:
    text, number = case

    masked = mask_pii(text)

    assert number not in digits_in(masked), masked
    assert masked.count("*") >= len(number) - 10, masked  # at most 6 + 4 digits kept
    assert mask_pii(masked) == masked


@st.composite
def ordinary_numbers(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["amount", "date", "time", "codes", "order", "short"]))
    if kind == "amount":
        value = draw(st.integers(0, 10**12))
        return f"金额{value:,}.{draw(st.integers(0, 99)):02d}元"
    if kind == "date":
        day = draw(st.dates(min_value=date(1990, 1, 1), max_value=date(2030, 12, 31)))
        return day.strftime(draw(st.sampled_from(["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d"])))
    if kind == "time":
        return f"{draw(st.integers(0, 23)):02d}:{draw(st.integers(0, 59)):02d}"
    if kind == "codes":
        codes = draw(
            st.lists(st.from_regex(r"[036][0-9]{5}", fullmatch=True), min_size=2, max_size=6)
        )
        return "持有" + draw(st.sampled_from([" ", "、", ",", " / "])).join(codes)
    if kind == "order":
        return "订单号" + draw(st.from_regex(r"[0-9]{20,24}", fullmatch=True))
    digits = draw(st.from_regex(r"[0-9]{1,10}", fullmatch=True))
    return draw(st.sampled_from(SEPARATORS)).join(
        digits[i : i + 3] for i in range(0, len(digits), 3)
    )


@settings(max_examples=400, deadline=None)
@given(ordinary_numbers())
def test_amounts_dates_stock_codes_and_order_numbers_are_left_alone(text: str) -> None:
    assert mask_pii(text) == text


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
