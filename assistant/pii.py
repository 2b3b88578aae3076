"""Finds and masks investors' personal data: ID numbers, mobile phones, bank cards, e-mails.

Everything the assistant stores, logs or shows a human passes through :func:`mask_pii`.
Masking keeps a short prefix and suffix (``110105********002X``, ``138****5678``,
``6222 **** **** 0123``) so an agent can still tell two cards apart; separators stay.

Numbers are found however they are written. Digits are ASCII, full-width (``１３８``,
from Chinese input methods) or Chinese numerals (``一三八``, ``幺`` for one, ``两``,
``〇``/``零``, and the banker's ``壹贰叁…``), and a number may be broken up by spaces,
dashes, dots, slashes, underscores or brackets, up to three of them between two digits
(``138.1234.5678``, ``(138)1234-5678``, ``1 3 8 1 2 3 4 5 6 7 8``, ``622 202 123 …``).
Such a stretch is a *run*; its unbroken pieces are *groups*, and a number is a stretch of
whole groups of the right length (so ``20250115 13812345678`` holds a phone number, and a
20-digit order id never yields a partial match).

Checksums decide what ordinary numbers are not:

* ID numbers (18 characters, the last a digit or ``X``) need a region code starting 1–8
  and a real birth date, and the ISO 7064 MOD 11-2 check digit. Written plainly (one
  piece, or 6-8-4 split by a space or dash) a wrong check digit is forgiven: a typo in the
  last digit still discloses the other seventeen. The 15-digit legacy number is only
  recognised written plainly (it has no check digit).
* Bank cards (16–19 digits) pass the Luhn check, unless they follow a card label
  (``卡号``, ``card``) or are typed in fours split by spaces or dashes: Chinese debit cards
  exist that fail Luhn, and an investor who labels or groups a number like a card wants it
  protected. A number after an order label (``订单号``, ``委托编号``, ``order``) nearer
  than any card label is an order id, Luhn or not.
* Mobile numbers (11 digits, ``1[3-9]…``) have no check digit; the shape suffices, and the
  ``+86``/``0086`` in front stays readable.

So amounts (``500000``, ``1,000,000.00``: commas are no separator), stock codes
(``600519``), dates and times, and order ids that fail their card check are left alone.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

PiiKind = Literal["id_number", "phone", "bank_card", "email"]

# Full-width ASCII (U+FF01..U+FF5E) maps one-to-one onto ASCII, so offsets in the
# translated text are offsets in the original and masking can work on the original.
_ASCII_VIEW = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: ord(" ")}

# Every character that stands for a digit, as that digit. One character each, so the
# digit view keeps the text's offsets.
_DIGITS: dict[str, str] = {str(n): str(n) for n in range(10)}
_DIGITS |= {chr(0xFF10 + n): str(n) for n in range(10)}
for _numerals in ("〇一二三四五六七八九", "零壹贰叁肆伍陆柒捌玖"):
    _DIGITS |= {char: str(n) for n, char in enumerate(_numerals)}
_DIGITS |= {"零": "0", "幺": "1", "两": "2"}
_CHECK_X = frozenset("XxＸｘ")
_SEPARATORS = frozenset(" \u3000\u00a0\t-‐‑‒–—－.．·・/／\\_＿()（）[]［］")
_MAX_GAP = 3  # separator characters allowed between two digits of one number
_PLAIN_SEPARATORS = frozenset(" -")  # in the ASCII view

_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
_CARD_LABEL = re.compile(r"(?:卡|账号|帐号|账户|card|account|acct)[^0-9]{0,12}$", re.IGNORECASE)
_ORDER_LABEL = re.compile(
    r"(?:订单|委托|流水|合同|编号|单号|序号|order|ref|reference|transaction|txn)[^0-9]{0,12}$",
    re.IGNORECASE,
)
_LABEL_WINDOW = 16
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_COUNTRY_CODES = ("86", "0086")

# On an exact tie of span, the earlier kind in this order names the match.
_PRIORITY: dict[PiiKind, int] = {"email": 0, "id_number": 1, "bank_card": 2, "phone": 3}


class PiiMatch(BaseModel):
    """One piece of personal data found in a text."""

    model_config = ConfigDict(frozen=True)

    kind: PiiKind
    start: int
    end: int
    text: str

    @property
    def span(self) -> tuple[int, int]:
        return (self.start, self.end)


@dataclass(frozen=True, slots=True)
class _Token:
    """One digit (or an ID's check ``X``) of a run: its value and where it is."""

    value: str
    offset: int
    group: int  # index of the unbroken piece of the run it belongs to


def _runs(text: str) -> Iterator[list[_Token]]:
    """Stretches of digits at most ``_MAX_GAP`` separators apart, as tokens."""
    run: list[_Token] = []
    gap = 0  # separators since the last digit of the run
    group = 0
    for offset, char in enumerate(text):
        value = _DIGITS.get(char)
        if value is None and char in _CHECK_X and run and _x_ends_a_word(text, offset):
            value = "X"
        if value is not None:
            if run and gap:
                group += 1
            run.append(_Token(value, offset, group))
            gap = 0
        elif run and char in _SEPARATORS and gap < _MAX_GAP:
            gap += 1
        elif run:
            yield run
            run, gap, group = [], 0, 0
    if run:
        yield run


def _x_ends_a_word(text: str, offset: int) -> bool:
    # "002X" is a check character; "2x faster" or "100XYZ" is not.
    following = text[offset + 1 : offset + 2]
    return not (following.isascii() and following.isalnum())


def _real_birth_date(digits: str) -> bool:
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return False
    return date(1850, 1, 1) <= born <= date.today()


def _luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _id_check_valid(number: str) -> bool:
    total = sum(int(digit) * weight for digit, weight in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


def _plain(view: str, tokens: list[_Token], shapes: Collection[tuple[int, ...]]) -> bool:
    """ASCII or full-width digits in one of ``shapes`` (piece lengths), the pieces split by
    one space or dash: how these numbers are written on forms, trusted without a checksum."""
    if any(view[token.offset] not in "0123456789Xx" for token in tokens):
        return False
    pieces = _pieces(tokens)
    if tuple(len(piece) for piece in pieces) not in shapes:
        return False
    gaps = [view[a[-1].offset + 1 : b[0].offset] for a, b in itertools.pairwise(pieces)]
    return all(len(gap) == 1 and gap in _PLAIN_SEPARATORS for gap in gaps)


_ID_SHAPES = {(18,), (6, 8, 4)}
_LEGACY_ID_SHAPES = {(15,)}
_CARD_SHAPES = {(4, 4, 4, 4), *((4, 4, 4, 4, n) for n in (1, 2, 3))}
_PHONE_SHAPES = {(11,), (3, 4, 4), (3, 8), (7, 4)}


def _grouped_like_one_number(tokens: list[_Token], shapes: Collection[tuple[int, ...]]) -> bool:
    """Whether the pieces look like one number written in groups: one piece, a shape the
    kind is written in, or equal groups of at most four (the last one shorter). Six-digit
    stock codes in a row (``600519 000001 300750``) are none of these."""
    sizes = tuple(len(piece) for piece in _pieces(tokens))
    if len(sizes) == 1 or sizes in shapes:
        return True
    return len(set(sizes[:-1])) == 1 and sizes[0] <= 4 and sizes[-1] <= sizes[0]


def _pieces(tokens: list[_Token]) -> list[list[_Token]]:
    pieces: list[list[_Token]] = []
    for token in tokens:
        if pieces and pieces[-1][-1].group == token.group:
            pieces[-1].append(token)
        else:
            pieces.append([token])
    return pieces


def _labelled_card(view: str, start: int) -> bool | None:
    """True after a card label, False after a nearer order label, None with neither."""
    before = view[max(0, start - _LABEL_WINDOW) : start]
    card, order = _CARD_LABEL.search(before), _ORDER_LABEL.search(before)
    # The nearer label names the number: "银行卡转账流水号…" is a transaction id.
    if card and (order is None or card.start() > order.start()):
        return True
    return False if order else None


def _kind(view: str, tokens: list[_Token]) -> PiiKind | None:
    """What the whole-group stretch ``tokens`` is, if it is personal data."""
    number = "".join(token.value for token in tokens)
    if "X" in number[:-1]:
        return None
    if (
        len(number) == 18
        and number[0] in "12345678"
        and _real_birth_date(number[6:14])
        and (
            (_id_check_valid(number) and _grouped_like_one_number(tokens, _ID_SHAPES))
            or _plain(view, tokens, _ID_SHAPES)
        )
    ):
        return "id_number"
    if number.endswith("X"):
        return None
    if len(number) == 15 and number[0] in "12345678":
        legacy = _plain(view, tokens, _LEGACY_ID_SHAPES) and _real_birth_date("19" + number[6:12])
        return "id_number" if legacy else None
    if 16 <= len(number) <= 19:
        if _plain(view, tokens, _CARD_SHAPES):  # typed in fours: a card, whatever precedes
            return "bank_card"
        if not _grouped_like_one_number(tokens, _CARD_SHAPES):
            return None
        label = _labelled_card(view, tokens[0].offset)
        return "bank_card" if label or (label is None and _luhn_valid(number)) else None
    if (
        len(number) == 11
        and number[0] == "1"
        and number[1] in "3456789"
        and _grouped_like_one_number(tokens, _PHONE_SHAPES)
    ):
        return "phone"
    return None


def _phone_after_country_code(tokens: list[_Token]) -> list[_Token] | None:
    """``8613812345678`` / ``008613812345678`` written as one piece: the phone inside."""
    number = "".join(token.value for token in tokens)
    for code in _COUNTRY_CODES:
        body = tokens[len(code) :]
        if number.startswith(code) and len(body) == 11 and number[len(code)] == "1":
            return body
    return None


def _number_candidates(view: str) -> Iterator[tuple[PiiKind, list[_Token]]]:
    for run in _runs(view):
        starts = [i for i, token in enumerate(run) if i == 0 or token.group != run[i - 1].group]
        ends = [*starts[1:], len(run)]
        for index, first in enumerate(starts):
            for end in ends[index:]:
                if end - first > 19:
                    break
                tokens = run[first:end]
                kind = _kind(view, tokens)
                if kind is None and len(_pieces(tokens)) == 1:
                    body = _phone_after_country_code(tokens)
                    if body is not None and _kind(view, body) == "phone":
                        kind, tokens = "phone", body
                if kind is not None:
                    yield kind, tokens


def _candidates(view: str) -> list[PiiMatch]:
    found: list[tuple[PiiKind, int, int]] = [
        ("email", m.start(), m.end()) for m in _EMAIL.finditer(view)
    ]
    found += [
        (kind, tokens[0].offset, tokens[-1].offset + 1) for kind, tokens in _number_candidates(view)
    ]
    return [
        PiiMatch(kind=kind, start=start, end=end, text=view[start:end])
        for kind, start, end in found
    ]


def find_pii(text: str) -> list[PiiMatch]:
    """Personal data in ``text``, in order, without overlaps (the longest match wins)."""
    view = text.translate(_ASCII_VIEW)
    ranked = sorted(
        _candidates(view), key=lambda m: (m.start, -(m.end - m.start), _PRIORITY[m.kind])
    )
    chosen: list[PiiMatch] = []
    for match in ranked:
        if chosen and match.start < chosen[-1].end:
            continue
        chosen.append(match.model_copy(update={"text": text[match.start : match.end]}))
    return chosen


def _mask_middle(raw: str, keep_head: int, keep_tail: int) -> str:
    """Star every digit (or check ``X``) except the first ``keep_head`` and last
    ``keep_tail``; separators stay so the shape of the number stays readable."""
    positions = [offset for run in _runs(raw) for offset in (t.offset for t in run)]
    hidden = set(positions[keep_head : len(positions) - keep_tail])
    return "".join("*" if offset in hidden else char for offset, char in enumerate(raw))


def _mask_email(raw: str) -> str:
    local, _, domain = raw.partition("@")
    keep = 1 if len(local) <= 4 else 2
    return local[:keep] + "*" * (len(local) - keep) + "@" + domain


def _masked(match: PiiMatch) -> str:
    if match.kind == "email":
        return _mask_email(match.text)
    if match.kind == "id_number":
        is_legacy = sum(1 for run in _runs(match.text) for _ in run) == 15
        return _mask_middle(match.text, 6, 3 if is_legacy else 4)
    if match.kind == "phone":
        return _mask_middle(match.text, 3, 4)
    return _mask_middle(match.text, 4, 4)


def card_tail(card: str) -> str:
    """The last four digits of a card number, masked or not: how a card is named to its holder
    ("尾号0123", "ending 0123") without showing any more of it."""
    digits = [token.value for run in _runs(card) for token in run]
    if len(digits) < 4:
        raise ValueError("a card number shows at least its last four digits")
    return "".join(digits[-4:])


def mask_pii(text: str) -> str:
    """``text`` with every piece of personal data masked; idempotent."""
    pieces: list[str] = []
    cursor = 0
    for match in find_pii(text):
        pieces += [text[cursor : match.start], _masked(match)]
        cursor = match.end
    pieces.append(text[cursor:])
    return "".join(pieces)


class PiiMaskingFilter(logging.Filter):
    """Masks personal data in a log record's message, arguments and traceback.

    The message is rendered first (``msg % args``) and the result masked, because a phone
    number passed as an ``int`` argument is as personal as one inside the format string.
    The record is always let through: this filter changes records, it never drops them.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "uvicorn.access" and isinstance(record.args, tuple):
            # Uvicorn's access formatter unpacks the arguments (client, method, path, HTTP
            # version, status): each is masked in place and the shape kept.
            record.args = tuple(_masked_argument(arg) for arg in record.args)
            return True
        try:
            rendered = record.getMessage()
        except (TypeError, ValueError):
            # A broken format string is the handler's error to report; mask what it will show.
            record.msg = mask_pii(str(record.msg))
            if isinstance(record.args, tuple):
                record.args = tuple(mask_pii(str(arg)) for arg in record.args)
        else:
            record.msg, record.args = mask_pii(rendered), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_pii(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_pii(record.stack_info)
        return True


def _masked_argument(argument: object) -> object:
    """``argument`` itself when it holds no personal data (a status code stays an int)."""
    masked = mask_pii(str(argument))
    return argument if masked == str(argument) else masked


def install_log_masking(logger: logging.Logger | None = None) -> None:
    """Mask personal data in everything ``logger`` (default: the root logger) writes.

    A logger's own filters see only records logged on that very logger, not those that
    propagate up from children (``assistant.dialogue`` to the root), so the filter goes on
    the logger *and* on each of its handlers. Call it after the handlers are configured;
    a handler added later needs another call. Calling it twice adds nothing.
    """
    target = logger if logger is not None else logging.getLogger()
    for filterer in (target, *target.handlers):
        if not any(isinstance(existing, PiiMaskingFilter) for existing in filterer.filters):
            filterer.addFilter(PiiMaskingFilter())
