"""Secrets typed into a flow: an ID or card number, a password, a verification code.

Every flow runs :func:`secret_guard` on each message, and the password-reset
flow the stricter :func:`password_guard`; a message that carries a secret is
answered with a warning instead of being taken as an answer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

from assistant.dialogue_models import Language
from intents.flow_engine import Localized, normalise

SecretKind = Literal["id_number", "password", "code"]

_DIGIT_GAPS = re.compile(r"(?<=\d)[\s-](?=\d)")
# 15-19 digits: an ID number (15 or 18, may end in X) or a bank card number.
_LONG_NUMBER = re.compile(r"(?<![0-9])\d{14,18}[\dXx](?![0-9Xx])")
# "密码123456", "password: abc123", "忘了密码，原来是123456", "my password, it was hunter2":
# the word, then (directly or after a few words and a "is") a token with a digit in it.
_PASSWORD = re.compile(
    r"(密码|密碼|口令|(?<![a-z])(?:password|passcode|passwd|pwd|pin)(?![a-z]))"
    r"(?:\s*|[^。.!?\n]{0,12}?(?:是|为|為|:|：|=|(?<![a-z])(?:is|was)(?![a-z]))\s*)"
    r"(?=[a-z!@#$%^&*._-]*\d)[a-z0-9!@#$%^&*._-]{4,}",
    re.IGNORECASE,
)
_CODE = re.compile(
    r"(验证码|驗證碼|校验码|动态码|verification code|sms code|security code|otp)\s*"
    r"(是|为|為|:|：|=|is)?\s*\d{4,8}(?!\d)",
    re.IGNORECASE,
)
_BARE_SECRET = re.compile(r"(?=[a-z!@#$%^&*._-]*\d)[a-z0-9!@#$%^&*._-]{4,20}", re.IGNORECASE)

_SECRET_WARNINGS: Mapping[SecretKind, Localized] = {
    "id_number": Localized(
        "为了您的信息安全，请不要在对话中发送完整的身份证号码或银行卡号，这里办理咨询不需要它们。",
        "For your security, please don't send full ID or bank card numbers in this chat; "
        "nothing here needs them.",
    ),
    "password": Localized(
        "请不要在对话中发送密码！我们的客服和本助手任何时候都不会索要您的密码。"
        "如果担心密码已经泄露，请尽快按安全方式重置。",
        "Please don't send passwords in this chat! Neither our staff nor this assistant will "
        "ever ask for one. If you think it has leaked, reset it the secure way as soon as you can.",
    ),
    "code": Localized(
        "请不要把短信验证码告诉任何人，包括自称客服的人员。",
        "Never share an SMS verification code with anyone, including people who say they are "
        "from customer service.",
    ),
}


def find_secret(text: str, *, bare_token_is_password: bool = False) -> SecretKind | None:
    """What kind of secret ``text`` seems to carry, if any.

    ``bare_token_is_password`` treats a message that is nothing but a short
    token with a digit ("123456", "abc123") as a password: right inside the
    password flow, wrong elsewhere (a stock code is six digits too).
    """
    joined = _DIGIT_GAPS.sub("", normalise(text))
    if _LONG_NUMBER.search(joined):
        return "id_number"
    if _CODE.search(joined):
        return "code"
    if _PASSWORD.search(joined):
        return "password"
    if bare_token_is_password and _BARE_SECRET.fullmatch(re.sub(r"\s+", "", joined)):
        return "password"
    return None


def secret_guard(text: str, language: Language) -> str | None:
    """The warning for a message that carries a secret, else ``None``."""
    kind = find_secret(text)
    return _SECRET_WARNINGS[kind].text(language) if kind else None


def password_guard(text: str, language: Language) -> str | None:
    """:func:`secret_guard` for the password flow, where a bare token is a password too."""
    kind = find_secret(text, bare_token_is_password=True)
    return _SECRET_WARNINGS[kind].text(language) if kind else None
