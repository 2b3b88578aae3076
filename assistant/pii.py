"""Finds and masks investors' personal data: ID numbers, mobile phones, bank cards, e-mails.

Everything the assistant stores, logs or shows a human passes through :func:`mask_pii`.
Masking keeps a short prefix and suffix (``110105********002X``, ``138****5678``,
``6222 **** **** 0123``) so an agent can still tell two cards apart.

Choices, so that ordinary numbers survive:

* Every pattern is bounded by non-digits, so a 20-digit order id, a six-digit stock code
  (``600519``), an amount (``500000``, ``10万元``), a date or a time never yields a partial match.
* ID numbers must look like one: a region code starting 1–8 and a real birth date. The
  check digit is *not* required: a mistyped ID still discloses seventeen correct digits.
* Bank cards (16–19 digits): Chinese debit cards exist that fail the Luhn check, and an
  investor who types a card number wants it protected, so a Luhn failure alone does not
  clear a number. A run of digits is treated as a card when it is typed in groups of four
  (``6222 0212 3456 7890``), or follows a card/account label (``卡号``, ``card``), or
  passes Luhn and does *not* follow an order label (``订单号``, ``委托编号``, ``order``).
  An unlabelled, ungrouped run that fails Luhn is left alone: that is what order and
  transaction ids look like.
* Full-width digits (``１３８…``), which Chinese input methods produce, are recognised too.
"""

from __future__ import annotations

import logging
import re
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

PiiKind = Literal["id_number", "phone", "bank_card", "email"]

# Full-width ASCII (U+FF01..U+FF5E) maps one-to-one onto ASCII, so offsets in the
# translated text are offsets in the original and masking can work on the original.
_ASCII_VIEW = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: ord(" ")}

_ID18 = re.compile(
    r"(?<![0-9])(?P<region>[1-8][0-9]{5})[ -]?"
    r"(?P<birth>(?:18|19|20)[0-9]{2}[01][0-9][0-3][0-9])[ -]?"
    r"[0-9]{3}[0-9Xx](?![0-9])"
)
_ID15 = re.compile(
    r"(?<![0-9])[1-8][0-9]{5}(?P<birth>[0-9]{2}[01][0-9][0-3][0-9])[0-9]{3}(?![0-9])"
)
_PHONE = re.compile(
    r"(?<![0-9])(?:(?:\+|00)?86[ -]?)?(?P<body>1[3-9][0-9](?:[ -]?[0-9]{4}){2})(?![0-9])"
)
_CARD_GROUPED = re.compile(r"(?<![0-9])[0-9]{4}(?:[ -][0-9]{4}){3}(?:[ -][0-9]{1,3})?(?![0-9])")
_CARD_PLAIN = re.compile(r"(?<![0-9])[0-9]{16,19}(?![0-9])")
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
_CARD_LABEL = re.compile(r"(?:卡|账号|帐号|账户|card|account|acct)[^0-9]{0,12}$", re.IGNORECASE)
_ORDER_LABEL = re.compile(
    r"(?:订单|委托|流水|合同|编号|单号|序号|order|ref|reference|transaction|txn)[^0-9]{0,12}$",
    re.IGNORECASE,
)
_LABEL_WINDOW = 16

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


def _real_birth_date(digits: str) -> bool:
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return False
    return born <= date.today()


def _luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _is_card(view: str, match: re.Match[str]) -> bool:
    before = view[max(0, match.start() - _LABEL_WINDOW) : match.start()]
    card, order = _CARD_LABEL.search(before), _ORDER_LABEL.search(before)
    # The nearer label names the number: "银行卡转账流水号…" is a transaction id.
    if card and (order is None or card.start() > order.start()):
        return True
    if order:
        return False
    return _luhn_valid(match.group())


def _candidates(view: str) -> list[PiiMatch]:
    found: list[tuple[PiiKind, int, int]] = []
    found += [("email", m.start(), m.end()) for m in _EMAIL.finditer(view)]
    found += [
        ("id_number", m.start(), m.end())
        for m in _ID18.finditer(view)
        if _real_birth_date(m.group("birth"))
    ]
    found += [
        ("id_number", m.start(), m.end())
        for m in _ID15.finditer(view)
        if _real_birth_date("19" + m.group("birth"))
    ]
    found += [("bank_card", m.start(), m.end()) for m in _CARD_GROUPED.finditer(view)]
    found += [
        ("bank_card", m.start(), m.end()) for m in _CARD_PLAIN.finditer(view) if _is_card(view, m)
    ]
    # The country code stays readable; only the eleven-digit number counts as the match.
    found += [("phone", m.start("body"), m.end("body")) for m in _PHONE.finditer(view)]
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
    """Star every letter or digit except the first ``keep_head`` and last ``keep_tail``;
    separators (spaces, dashes) stay so the shape of the number stays readable."""
    significant = sum(char.isalnum() for char in raw)
    masked: list[str] = []
    seen = 0
    for char in raw:
        if char.isalnum():
            keep = seen < keep_head or seen >= significant - keep_tail
            masked.append(char if keep else "*")
            seen += 1
        else:
            masked.append(char)
    return "".join(masked)


def _mask_email(raw: str) -> str:
    local, _, domain = raw.partition("@")
    keep = 1 if len(local) <= 4 else 2
    return local[:keep] + "*" * (len(local) - keep) + "@" + domain


def _masked(match: PiiMatch) -> str:
    if match.kind == "email":
        return _mask_email(match.text)
    if match.kind == "id_number":
        is_legacy = sum(char.isalnum() for char in match.text) == 15
        return _mask_middle(match.text, 6, 3 if is_legacy else 4)
    if match.kind == "phone":
        return _mask_middle(match.text, 3, 4)
    return _mask_middle(match.text, 4, 4)


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
