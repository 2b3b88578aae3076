"""Investor session tokens: signed, expiring, and opaque in every error message."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from channels.errors import TokenExpiredError, TokenInvalidError
from channels.protocol import CLOSE_CODES, ErrorCode
from channels.tokens import MAX_TOKEN_CHARS, SessionTokens

SECRET = "a-real-secret-for-tests-only"
NOW = 1_790_000_000.0


class FakeClock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def tokens(clock: FakeClock) -> SessionTokens:
    return SessionTokens(SECRET, ttl_s=3600, clock=clock)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(payload: str, secret: str = SECRET) -> str:
    return b64(hmac.new(secret.encode(), f"v1.{payload}".encode(), hashlib.sha256).digest())


def handmade(claims: dict[str, object], secret: str = SECRET) -> str:
    """A token built from the documented format alone, as another language would."""
    payload = b64(json.dumps(claims).encode())
    return f"v1.{payload}.{sign(payload, secret)}"


def test_a_token_verifies_to_the_investor_it_was_issued_for(tokens: SessionTokens) -> None:
    claims = tokens.verify(tokens.issue("INV-1001"))
    assert claims.investor_id == "INV-1001"
    assert (claims.iat, claims.exp) == (int(NOW), int(NOW) + 3600)
    assert claims.expires_at.timestamp() == int(NOW) + 3600
    assert claims.aud is None


def test_every_token_has_its_own_id(tokens: SessionTokens) -> None:
    first, second = tokens.issue("INV-1001"), tokens.issue("INV-1001")
    assert first != second
    assert tokens.verify(first).jti != tokens.verify(second).jti


def test_the_format_is_version_payload_signature_in_base64url(tokens: SessionTokens) -> None:
    version, payload, signature = tokens.issue("INV-1001").split(".")
    assert version == "v1"
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert decoded["sub"] == "INV-1001"
    assert set(decoded) == {"sub", "iat", "exp", "jti"}
    assert signature == sign(payload)


def test_a_token_made_by_another_implementation_from_the_docs_verifies(
    tokens: SessionTokens,
) -> None:
    token = handmade({"exp": int(NOW) + 60, "sub": "INV-2002", "iat": int(NOW), "jti": "x1"})
    assert tokens.verify(token).investor_id == "INV-2002"


@pytest.mark.parametrize("part", [0, 1, 2])
def test_changing_any_part_invalidates_the_token(tokens: SessionTokens, part: int) -> None:
    pieces = tokens.issue("INV-1001").split(".")
    replacement = "A" if pieces[part][-1] != "A" else "B"
    pieces[part] = pieces[part][:-1] + replacement
    with pytest.raises(TokenInvalidError):
        tokens.verify(".".join(pieces))


def test_a_payload_swapped_for_another_investor_is_rejected(tokens: SessionTokens) -> None:
    _, _, signature = tokens.issue("INV-1001").split(".")
    forged_payload = b64(
        json.dumps({"sub": "INV-9999", "iat": int(NOW), "exp": int(NOW) + 60, "jti": "j"}).encode()
    )
    with pytest.raises(TokenInvalidError, match="signature"):
        tokens.verify(f"v1.{forged_payload}.{signature}")


def test_a_token_signed_with_another_secret_is_rejected(clock: FakeClock) -> None:
    other = SessionTokens("someone-elses-secret", clock=clock)
    with pytest.raises(TokenInvalidError, match="signature"):
        SessionTokens(SECRET, clock=clock).verify(other.issue("INV-1001"))


def test_an_unknown_version_is_rejected_even_when_signed(tokens: SessionTokens) -> None:
    _, payload, _ = tokens.issue("INV-1001").split(".")
    forged_signature = b64(
        hmac.new(SECRET.encode(), f"v2.{payload}".encode(), hashlib.sha256).digest()
    )
    with pytest.raises(TokenInvalidError, match="version"):
        tokens.verify(f"v2.{payload}.{forged_signature}")


def test_a_token_expires_after_its_ttl_plus_the_leeway(
    tokens: SessionTokens, clock: FakeClock
) -> None:
    token = tokens.issue("INV-1001")
    clock.now = NOW + 3600 + tokens.leeway_s
    assert tokens.verify(token).investor_id == "INV-1001"
    clock.now += 1
    with pytest.raises(TokenExpiredError):
        tokens.verify(token)


def test_the_ttl_can_be_chosen_per_token(tokens: SessionTokens, clock: FakeClock) -> None:
    token = tokens.issue("INV-1001", ttl_s=60)
    clock.now = NOW + 60 + tokens.leeway_s + 1
    with pytest.raises(TokenExpiredError):
        tokens.verify(token)


def test_a_token_from_the_future_beyond_the_leeway_is_rejected(
    tokens: SessionTokens, clock: FakeClock
) -> None:
    clock.now = NOW + 600
    early = tokens.issue("INV-1001")
    clock.now = NOW
    with pytest.raises(TokenInvalidError, match="future"):
        tokens.verify(early)


def test_a_signed_payload_with_bad_claims_is_still_invalid(tokens: SessionTokens) -> None:
    for claims in (
        {"sub": "", "iat": int(NOW), "exp": int(NOW) + 60, "jti": "j"},
        {"sub": "INV-1", "iat": int(NOW), "exp": int(NOW) - 1, "jti": "j"},
        {"sub": "INV-1", "iat": str(int(NOW)), "exp": int(NOW) + 60, "jti": "j"},
        {"sub": "INV-1", "iat": int(NOW), "jti": "j"},
    ):
        with pytest.raises(TokenInvalidError, match="payload"):
            tokens.verify(handmade(claims))
    payload = b64(b"not json at all")
    with pytest.raises(TokenInvalidError, match="payload"):
        tokens.verify(f"v1.{payload}.{sign(payload)}")


def test_audiences_must_match(clock: FakeClock) -> None:
    ours = SessionTokens(SECRET, audience="brokerdesk-prod", clock=clock)
    no_audience = SessionTokens(SECRET, clock=clock)
    staging = SessionTokens(SECRET, audience="brokerdesk-staging", clock=clock)
    assert ours.verify(ours.issue("INV-1")).aud == "brokerdesk-prod"
    for verifier, issuer in ((ours, staging), (ours, no_audience), (no_audience, ours)):
        with pytest.raises(TokenInvalidError, match="audience"):
            verifier.verify(issuer.issue("INV-1"))


GARBAGE = [
    "",
    ".",
    "..",
    "v1",
    "v1.abc",
    "v1.abc.def.ghi",
    "v1..sig",
    "v1.payload.",
    "v1.pay load.sig",
    "v1.pay+load/.sig==",
    "v1.令牌.签名",
    "Bearer v1.abc.def",
    "v1." + "A" * MAX_TOKEN_CHARS + ".sig",
    "v1.A.sig",  # a base64 length no decoder accepts
    "\x00\x01\x02",
]


@pytest.mark.parametrize("garbage", GARBAGE)
def test_garbage_is_rejected_without_echoing_it(tokens: SessionTokens, garbage: str) -> None:
    with pytest.raises(TokenInvalidError) as caught:
        tokens.verify(garbage)
    for part in garbage.split("."):
        if len(part) > 3:
            assert part not in str(caught.value)


def test_errors_carry_the_protocol_codes() -> None:
    assert TokenInvalidError("x").code == ErrorCode.UNAUTHORIZED
    assert TokenExpiredError("x").code == ErrorCode.TOKEN_EXPIRED
    assert TokenExpiredError("x").close_code == CLOSE_CODES[ErrorCode.TOKEN_EXPIRED] == 4401


def test_an_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="secret"):
        SessionTokens("")
