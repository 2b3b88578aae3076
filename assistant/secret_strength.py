"""How strong a secret must be to sign tokens in production, and why one is not.

:class:`~assistant.settings.Settings` refuses, in production, a ``SECRET_KEY`` for which
:func:`secret_weakness` has a reason, and an ``ACCOUNTS_TOKEN`` that is a placeholder.
"""

from __future__ import annotations

import math
from collections import Counter

DEV_SECRET = "dev-secret"
# Refused in production whatever their length: the development default and the
# placeholders people paste from examples (compared lower-cased, punctuation kept).
PLACEHOLDER_SECRETS = frozenset(
    {
        "",
        DEV_SECRET,
        "x",
        "password",
        "passw0rd",
        "secret",
        "secret-key",
        "secret_key",
        "change-me",
        "changeme",
        "change_me",
        "please-change-me",
        "your-secret-key",
        "test",
        "admin",
        "brokerdesk",
    }
)
MIN_SECRET_CHARS = 32
# Shannon entropy of the secret's own characters times its length: no defence against a
# dictionary, but it refuses "aaaa…" and "abcabc…". Random secrets clear it easily: of
# 200,000 token_hex(16) (32 characters) the lowest estimate was 92 bits; token_urlsafe(32)
# estimates at ~200.
MIN_SECRET_BITS = 80.0
SECRET_HINT = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'


def secret_weakness(secret: str) -> str | None:
    """Why ``secret`` is unfit to sign tokens in production, or None when it is fit."""
    if secret.strip().lower() in PLACEHOLDER_SECRETS:
        return "a placeholder"
    if len(secret) < MIN_SECRET_CHARS:
        return f"shorter than {MIN_SECRET_CHARS} characters"
    counts = Counter(secret)
    bits_per_char = -sum(n / len(secret) * math.log2(n / len(secret)) for n in counts.values())
    if bits_per_char * len(secret) < MIN_SECRET_BITS:
        return "too predictable (too few distinct characters)"
    if secret in (secret + secret)[1:-1]:  # a shorter piece repeated: "passwordpassword…"
        return "a repetition of a shorter secret"
    return None
