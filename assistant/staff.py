"""Staff accounts and agent-console sessions.

Passwords are stored as scrypt hashes in a self-describing string,
``$scrypt$ln=15,r=8,p=3$<salt>$<hash>`` (standard base64 without padding), so
the cost can be raised later: :meth:`PasswordHasher.needs_rehash` spots old
hashes and :meth:`StaffAuth.login` upgrades them with the password it was just
given. A console sign-in hands the browser a random token; the database keeps
only its SHA-256, so a leaked table cannot be replayed as sessions.

Every state-changing console request also carries a CSRF token bound to the session:
an HMAC of the session token's hash under the deployment's secret
(:meth:`StaffAuth.csrf_token`), which a page on another origin cannot read, so a forged
form or ``fetch`` from a sibling site lacks it. Sign-ins are throttled
(:mod:`assistant.signin_throttle`). Accounts have a role (:class:`StaffRole`); the
development demo account is refused whenever development features are off.

Everything hashing-related runs in a worker thread: scrypt is deliberately slow.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import math
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from assistant.errors import AssistantError
from assistant.persistence.records import StaffAccount, StaffRole, StaffSession
from assistant.persistence.repositories import ConflictError, NotFoundError, StaffRepository
from assistant.signin_throttle import SignInThrottle

MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 1024
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,31}")
_MAX_TOKEN_CHARS = 256
_HASH_FORMAT = re.compile(
    r"\$scrypt\$ln=(?P<ln>\d{1,2}),r=(?P<r>\d{1,2}),p=(?P<p>\d{1,2})"
    r"\$(?P<salt>[A-Za-z0-9+/]+)\$(?P<key>[A-Za-z0-9+/]+)"
)


class StaffError(AssistantError):
    """Root of the staff-account errors; ``code`` and ``http_status`` go to the client."""

    code = "staff_error"
    http_status = 400


class InvalidAccountError(StaffError):
    """A username or display name that breaks the rules."""

    code = "invalid_account"
    http_status = 422


class WeakPasswordError(InvalidAccountError):
    code = "weak_password"


class UsernameTakenError(StaffError):
    code = "username_taken"
    http_status = 409


class InvalidCredentialsError(StaffError):
    """Unknown user, wrong password or disabled account: deliberately indistinguishable."""

    code = "invalid_credentials"
    http_status = 401


class NotSignedInError(StaffError):
    """No session for this token (never issued, signed out, or account disabled)."""

    code = "not_signed_in"
    http_status = 401


class SessionExpiredError(NotSignedInError):
    code = "session_expired"


class TooManySignInsError(StaffError):
    """Sign-in refused without checking the password: too many wrong ones lately."""

    code = "rate_limited"
    http_status = 429

    def __init__(self, message: str, retry_after_s: float) -> None:
        super().__init__(message, retry_after_s=retry_after_s)
        self.retry_after_s: float = retry_after_s


class CsrfError(StaffError):
    """A state-changing console request from a foreign origin, or without the session's
    CSRF token: what a forged form on another site looks like."""

    code = "csrf_failed"
    http_status = 403


class NotPermittedError(StaffError):
    """The agent's role does not include this (campaigns, FAQ drafts, staff accounts)."""

    code = "not_permitted"
    http_status = 403


class StaffNotFoundError(StaffError):
    code = "not_found"
    http_status = 404


def require_role(account: StaffAccount, role: StaffRole) -> StaffAccount:
    """``account`` when its role includes ``role``; :class:`NotPermittedError` otherwise."""
    if not account.role.includes(role):
        raise NotPermittedError(f"this needs the {role.value} role (you are {account.role.value})")
    return account


@dataclass(frozen=True)
class PasswordHasher:
    """scrypt with a random salt per password. The defaults are one of OWASP's
    recommended settings: N=2^15 (32 MiB), r=8, p=3."""

    log2_n: int = 15
    r: int = 8
    p: int = 3
    salt_bytes: int = 16
    key_bytes: int = 32

    def hash(self, password: str) -> str:
        salt = secrets.token_bytes(self.salt_bytes)
        key = _scrypt(password, salt, self.log2_n, self.r, self.p, self.key_bytes)
        return f"$scrypt$ln={self.log2_n},r={self.r},p={self.p}${_b64(salt)}${_b64(key)}"

    def verify(self, password: str, stored: str) -> bool:
        """Whether ``password`` produced ``stored``; False for a hash it cannot read."""
        parsed = _HASH_FORMAT.fullmatch(stored)
        if parsed is None:
            return False
        try:
            salt, expected = _unb64(parsed["salt"]), _unb64(parsed["key"])
            key = _scrypt(
                password, salt, int(parsed["ln"]), int(parsed["r"]), int(parsed["p"]), len(expected)
            )
        except ValueError:
            return False
        return hmac.compare_digest(key, expected)

    def needs_rehash(self, stored: str) -> bool:
        """Whether ``stored`` was made with other parameters than this hasher's."""
        parsed = _HASH_FORMAT.fullmatch(stored)
        if parsed is None:
            return True
        current = (self.log2_n, self.r, self.p, self.salt_bytes, self.key_bytes)
        try:
            found = (
                int(parsed["ln"]),
                int(parsed["r"]),
                int(parsed["p"]),
                len(_unb64(parsed["salt"])),
                len(_unb64(parsed["key"])),
            )
        except ValueError:
            return True
        return found != current


def _scrypt(password: str, salt: bytes, log2_n: int, r: int, p: int, key_bytes: int) -> bytes:
    n = 2**log2_n
    # What OpenSSL needs for these parameters, plus slack; hashlib's default cap is 32 MiB.
    maxmem = 128 * r * (n + p + 2) + 2**20
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=key_bytes, maxmem=maxmem
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def token_hash(raw_token: str) -> str:
    """What the database stores for a console session token."""
    return hashlib.sha256(raw_token.encode("utf-8")).hexdigest()


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class StaffAuth:
    """Creates staff accounts, signs agents in and out, and checks console sessions."""

    def __init__(
        self,
        staff: StaffRepository,
        session_hours: float = 8.0,
        clock: Callable[[], datetime] = _utc_now,
        *,
        hasher: PasswordHasher | None = None,
        csrf_key: bytes | None = None,
        throttle: SignInThrottle | None = None,
        allow_demo: bool = False,
    ) -> None:
        """``csrf_key``: the deployment's secret, so every process derives the same CSRF
        tokens (default: random, for tools that never serve the console). ``allow_demo``:
        whether the development demo account may sign in (development features on)."""
        if session_hours <= 0:
            raise ValueError("session_hours must be positive")
        self._staff = staff
        self._session_length = timedelta(hours=session_hours)
        self._clock = clock
        self._hasher = hasher or PasswordHasher()
        self._decoy: str | None = None
        self._csrf_key = csrf_key or secrets.token_bytes(32)
        self._throttle = throttle
        self._allow_demo = allow_demo

    async def create_account(
        self,
        username: str,
        display_name: str,
        password: str,
        *,
        role: StaffRole = StaffRole.AGENT,
        demo: bool = False,
    ) -> StaffAccount:
        """A new active account. Usernames are case-insensitive, 3-32 characters of
        letters, digits, ``.``, ``_`` and ``-``; passwords at least 10 characters."""
        username = _normalise_username(username)
        if not _USERNAME.fullmatch(username):
            raise InvalidAccountError(
                "username must be 3-32 characters: letters, digits, '.', '_' or '-', "
                "starting with a letter or digit"
            )
        display_name = display_name.strip()
        if not 1 <= len(display_name) <= 64:
            raise InvalidAccountError("display name must be 1-64 characters")
        _check_password_policy(password, username)
        if await self._staff.by_username(username) is not None:
            raise UsernameTakenError(f"username {username!r} is taken")
        password_hash = await asyncio.to_thread(self._hasher.hash, password)
        try:
            return await self._staff.create(
                username, display_name, password_hash, role=role, demo=demo
            )
        except ConflictError as exc:  # someone took it meanwhile
            raise UsernameTakenError(f"username {username!r} is taken") from exc

    async def accounts(self) -> list[StaffAccount]:
        return await self._staff.all()

    async def change_account(
        self, username: str, *, role: StaffRole | None = None, active: bool | None = None
    ) -> StaffAccount:
        """Give an account another role, or (de)activate it; a deactivated account's
        sessions stop working at their next request."""
        account = await self._staff.by_username(_normalise_username(username))
        if account is None:
            raise StaffNotFoundError(f"no staff account {username!r}")
        try:
            return await self._staff.update(account.id, role=role, active=active)
        except NotFoundError as exc:  # deleted meanwhile
            raise StaffNotFoundError(f"no staff account {username!r}") from exc

    async def set_password(self, account: StaffAccount, password: str) -> None:
        _check_password_policy(password, account.username)
        hashed = await asyncio.to_thread(self._hasher.hash, password)
        await self._staff.set_password(account.id, hashed)

    def password_matches(self, account: StaffAccount, password: str) -> bool:
        """Whether ``password`` is the account's (scrypt: call it off the event loop)."""
        return self._hasher.verify(password[:MAX_PASSWORD_CHARS], account.password_hash)

    async def login(
        self, username: str, password: str, *, address: str = "unknown"
    ) -> tuple[str, StaffSession]:
        """Check the password and start a session: ``(raw token for the cookie, session)``.

        An unknown user costs the same scrypt run as a wrong password, and both raise
        the same :class:`InvalidCredentialsError`; so do a disabled account and the demo
        account while development features are off. Throttled per account and
        ``address`` (:class:`TooManySignInsError`, the password unchecked).
        """
        username = _normalise_username(username)
        if self._throttle is not None:
            refusal = await self._throttle.admit(username, address)
            if refusal is not None:
                raise TooManySignInsError(
                    f"{refusal.reason}; try again in {math.ceil(refusal.retry_after_s)} s",
                    refusal.retry_after_s,
                )
        decoy = await self._decoy_hash()
        account = None
        if len(password) <= MAX_PASSWORD_CHARS:
            account = await self._staff.by_username(username)
        usable = account is not None and self._usable(account)
        stored = account.password_hash if account is not None and usable else decoy
        matches = await asyncio.to_thread(
            self._hasher.verify, password[:MAX_PASSWORD_CHARS], stored
        )
        if account is None or not usable or not matches:
            if self._throttle is not None:
                await self._throttle.failed(username, address)
            raise InvalidCredentialsError("wrong username or password")
        if self._throttle is not None:
            await self._throttle.succeeded(username, address)
        if self._hasher.needs_rehash(stored):
            upgraded = await asyncio.to_thread(self._hasher.hash, password)
            await self._staff.set_password(account.id, upgraded)
        raw_token = secrets.token_urlsafe(32)
        session = StaffSession(
            token_hash=token_hash(raw_token),
            staff_id=account.id,
            expires_at=self._clock() + self._session_length,
        )
        await self._staff.start_session(session)
        return raw_token, session

    async def authenticate(self, raw_token: str | None) -> StaffAccount:
        """The account a console session token belongs to.

        Raises :class:`SessionExpiredError` (and deletes the session) once it has run
        out, :class:`NotSignedInError` for anything else that is not a live session.
        """
        if not raw_token or len(raw_token) > _MAX_TOKEN_CHARS:
            raise NotSignedInError("not signed in")
        hashed = token_hash(raw_token)
        session = await self._staff.session(hashed)
        if session is None:
            raise NotSignedInError("not signed in")
        if _aware(session.expires_at) <= self._clock():
            await self._staff.end_session(hashed)
            raise SessionExpiredError("the session has expired; sign in again")
        account = await self._staff.get(session.staff_id)
        if account is None or not self._usable(account):
            await self._staff.end_session(hashed)
            raise NotSignedInError("not signed in")
        return account

    def csrf_token(self, raw_token: str) -> str:
        """The CSRF token of the console session ``raw_token``."""
        message = b"console-csrf:" + token_hash(raw_token).encode("ascii")
        return hmac.new(self._csrf_key, message, hashlib.sha256).hexdigest()

    def check_csrf(self, raw_token: str | None, presented: str | None) -> None:
        """:class:`CsrfError` unless ``presented`` is the session's CSRF token."""
        if not raw_token or not presented or len(presented) > 128:
            raise CsrfError("this request needs the console's CSRF token")
        if not hmac.compare_digest(self.csrf_token(raw_token), presented):
            raise CsrfError("the CSRF token does not match this sign-in")

    def _usable(self, account: StaffAccount) -> bool:
        return account.active and (self._allow_demo or not account.demo)

    async def logout(self, raw_token: str | None) -> None:
        """End the session, if there is one."""
        if raw_token and len(raw_token) <= _MAX_TOKEN_CHARS:
            await self._staff.end_session(token_hash(raw_token))

    async def _decoy_hash(self) -> str:
        # Made on the first sign-in of any kind, so no path pays for it alone.
        if self._decoy is None:
            self._decoy = await asyncio.to_thread(
                self._hasher.hash, secrets.token_urlsafe(MIN_PASSWORD_CHARS)
            )
        return self._decoy


def _normalise_username(username: str) -> str:
    return username.strip().lower()


def _check_password_policy(password: str, username: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise WeakPasswordError(f"the password must be at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise WeakPasswordError(f"the password must be at most {MAX_PASSWORD_CHARS} characters")
    if password.strip().lower() == username:
        raise WeakPasswordError("the password must not be the username")
