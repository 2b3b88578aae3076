"""Investor session tokens: who is on the other end of a widget connection.

The brokerage app's backend, which has already signed the investor in, issues
a short-lived token; the widget sends it in ``hello`` (or as
``Authorization: Bearer``) and the server verifies it with the shared secret
(``BROKERDESK_SECRET_KEY``). Nothing is stored server-side.

Format, version 1::

    v1.<payload>.<signature>

``payload``
    base64url, without ``=`` padding, of a UTF-8 JSON object:

    ``sub`` (string, 1-64 chars)
        the investor id in the account system.
    ``iat``, ``exp`` (integers)
        issued-at and expiry, whole seconds since the Unix epoch.
    ``jti`` (string, 1-64 chars)
        a random id, for logs.
    ``aud`` (string, optional)
        the deployment the token is for; the verifier demands the audience it
        was configured with, and no ``aud`` when it was configured with none.

    Other fields are ignored. Key order and whitespace do not matter: the
    signature covers the payload text exactly as sent.
``signature``
    base64url, without padding, of HMAC-SHA256(secret, ASCII ``"v1." + payload``).

A token is at most 4096 characters. Verification allows ``leeway_s`` of clock
skew on both ``exp`` and ``iat``, and refuses a token meant to live longer than
``max_ttl_s`` (its ``exp`` further than that from its ``iat``, or from now): a
token leaked from a backend that signs 100-year tokens must not work for 100 years.
Issuing one in Node.js, for example::

    const payload = Buffer.from(JSON.stringify({sub: "INV-1001", iat: now,
        exp: now + 3600, jti: crypto.randomUUID()})).toString("base64url");
    const sig = crypto.createHmac("sha256", secret).update("v1." + payload)
        .digest("base64url");
    const token = `v1.${payload}.${sig}`;
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from channels.errors import TokenExpiredError, TokenInvalidError

VERSION = "v1"
MAX_TOKEN_CHARS = 4096
DEFAULT_LEEWAY_S = 30
DEFAULT_MAX_TTL_S = 86400

_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


class TokenClaims(BaseModel):
    """What a verified token says."""

    model_config = ConfigDict(frozen=True, strict=True, extra="ignore")

    sub: str = Field(min_length=1, max_length=64, description="investor id")
    iat: int = Field(description="issued at, Unix seconds")
    exp: int = Field(description="expires at, Unix seconds")
    jti: str = Field(min_length=1, max_length=64, description="random token id")
    aud: str | None = Field(None, max_length=128, description="intended deployment")

    @model_validator(mode="after")
    def _expires_after_issue(self) -> TokenClaims:
        if self.exp <= self.iat:
            raise ValueError("exp must be after iat")
        return self

    @property
    def investor_id(self) -> str:
        return self.sub

    @property
    def expires_at(self) -> datetime:
        return datetime.fromtimestamp(self.exp, UTC)


class SessionTokens:
    """Issues and verifies version-1 session tokens with one shared secret."""

    def __init__(
        self,
        secret: str | bytes,
        ttl_s: int = 3600,
        *,
        audience: str | None = None,
        leeway_s: int = DEFAULT_LEEWAY_S,
        max_ttl_s: int = DEFAULT_MAX_TTL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        key = secret.encode("utf-8") if isinstance(secret, str) else secret
        if not key:
            raise ValueError("the token secret must not be empty")
        if not 0 < ttl_s <= max_ttl_s:
            raise ValueError("ttl_s must be positive and at most max_ttl_s")
        self._key = key
        self.ttl_s = ttl_s
        self.max_ttl_s = max_ttl_s
        self.audience = audience
        self.leeway_s = leeway_s
        self._clock = clock

    def issue(self, investor_id: str, *, ttl_s: int | None = None) -> str:
        """A token for ``investor_id``, valid for ``ttl_s`` (default: the configured TTL)."""
        now = int(self._clock())
        claims = TokenClaims(
            sub=investor_id,
            iat=now,
            exp=now + (ttl_s if ttl_s is not None else self.ttl_s),
            jti=secrets.token_urlsafe(12),
            aud=self.audience,
        )
        payload = _encode(claims.model_dump_json(exclude_none=True).encode("utf-8"))
        return f"{VERSION}.{payload}.{self._sign(payload)}"

    def verify(self, token: str) -> TokenClaims:
        """The claims of a genuine, current token.

        Raises :class:`TokenInvalidError` (malformed, forged, wrong version,
        wrong audience, issued in the future, meant to live longer than ``max_ttl_s``)
        or :class:`TokenExpiredError`.
        """
        if not token or len(token) > MAX_TOKEN_CHARS or not token.isascii():
            raise TokenInvalidError("malformed session token")
        parts = token.split(".")
        if len(parts) != 3 or not all(_BASE64URL.fullmatch(part) for part in parts):
            raise TokenInvalidError("malformed session token")
        version, payload, signature = parts
        if version != VERSION:
            raise TokenInvalidError("unsupported session token version")
        if not hmac.compare_digest(self._sign(payload).encode(), signature.encode()):
            raise TokenInvalidError("session token signature does not match")
        try:
            claims = TokenClaims.model_validate_json(_decode(payload))
        except (ValueError, ValidationError):
            # `from None`: a validation error would quote the payload.
            raise TokenInvalidError("malformed session token payload") from None
        if claims.aud != self.audience:
            raise TokenInvalidError("session token is for another audience")
        now = self._clock()
        if claims.iat > now + self.leeway_s:
            raise TokenInvalidError("session token is issued in the future")
        if now > claims.exp + self.leeway_s:
            raise TokenExpiredError("session token has expired")
        if claims.exp - claims.iat > self.max_ttl_s or claims.exp > now + self.max_ttl_s:
            raise TokenInvalidError("session token lives longer than this server accepts")
        return claims

    def _sign(self, payload: str) -> str:
        message = f"{VERSION}.{payload}".encode("ascii")
        return _encode(hmac.new(self._key, message, hashlib.sha256).digest())


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
