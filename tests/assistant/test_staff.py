"""Staff accounts and console sessions, over the real SQL store (SQLite)."""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import statistics
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.persistence.sql import SqlStore, open_store
from assistant.settings import get_settings
from assistant.staff import (
    InvalidAccountError,
    InvalidCredentialsError,
    NotSignedInError,
    PasswordHasher,
    SessionExpiredError,
    StaffAuth,
    UsernameTakenError,
    WeakPasswordError,
)

# Cheap parameters keep the suite fast; the defaults are checked separately.
FAST = PasswordHasher(log2_n=10, r=8, p=1)
PASSWORD = "correct horse battery"
START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(scope="module")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty database at the newest schema, migrated once and copied for each test."""
    path = tmp_path_factory.mktemp("staff") / "template.db"

    async def migrate() -> None:
        await (await open_store(sqlite_url(path))).close()

    asyncio.run(migrate())
    return path


@pytest.fixture
async def store(tmp_path: Path, migrated_database: Path) -> AsyncIterator[SqlStore]:
    copy = tmp_path / "staff.db"
    shutil.copyfile(migrated_database, copy)
    opened = await open_store(sqlite_url(copy), migrate=False)
    yield opened
    await opened.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def auth(store: SqlStore, clock: FakeClock) -> StaffAuth:
    return StaffAuth(store.staff, 8, clock, hasher=FAST)


def test_a_password_verifies_against_its_own_hash_only() -> None:
    stored = FAST.hash(PASSWORD)
    assert FAST.verify(PASSWORD, stored)
    assert not FAST.verify(PASSWORD + "!", stored)
    assert FAST.hash(PASSWORD) != stored  # a fresh salt every time


def test_the_hash_string_names_its_parameters() -> None:
    stored = PasswordHasher().hash(PASSWORD)
    assert stored.startswith("$scrypt$ln=15,r=8,p=3$")
    assert PASSWORD not in stored


def test_verification_reads_the_parameters_from_the_hash_string() -> None:
    assert PasswordHasher(log2_n=11, r=4, p=2).verify(PASSWORD, FAST.hash(PASSWORD))


def test_a_hash_made_with_other_parameters_needs_rehashing() -> None:
    stored = FAST.hash(PASSWORD)
    assert not FAST.needs_rehash(stored)
    assert PasswordHasher(log2_n=11, r=8, p=1).needs_rehash(stored)
    assert FAST.needs_rehash("pbkdf2_sha256$600000$salt$hash")


@pytest.mark.parametrize(
    "stored",
    ["", "plain-text-password", "$scrypt$ln=10,r=8,p=1$!!$??", "$scrypt$ln=10,r=8,p=1$abc"],
)
def test_an_unreadable_hash_never_verifies(stored: str) -> None:
    assert not FAST.verify(PASSWORD, stored)


async def test_a_new_account_can_sign_in_and_its_session_identifies_it(
    auth: StaffAuth,
) -> None:
    account = await auth.create_account("Wang.Li", "客服小王", PASSWORD)
    assert (account.username, account.display_name) == ("wang.li", "客服小王")
    assert account.password_hash.startswith("$scrypt$") and PASSWORD not in account.password_hash

    token, session = await auth.login("  WANG.LI ", PASSWORD)
    assert session.staff_id == account.id
    assert session.expires_at == START + timedelta(hours=8)
    assert (await auth.authenticate(token)).id == account.id


async def test_only_the_sha256_of_the_session_token_is_stored(
    auth: StaffAuth, store: SqlStore
) -> None:
    await auth.create_account("wang", "小王", PASSWORD)
    token, session = await auth.login("wang", PASSWORD)
    assert session.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert await store.staff.session(session.token_hash) is not None
    assert await store.staff.session(token) is None


@pytest.mark.parametrize("password", ["", "short", "nine-char", " " * 3])
async def test_passwords_shorter_than_ten_characters_are_refused(
    auth: StaffAuth, password: str
) -> None:
    with pytest.raises(WeakPasswordError, match="at least 10 characters"):
        await auth.create_account("wang", "小王", password)


async def test_the_username_is_no_password(auth: StaffAuth) -> None:
    with pytest.raises(WeakPasswordError, match="username"):
        await auth.create_account("customer-care", "小王", "Customer-Care")


@pytest.mark.parametrize("username", ["", "ab", "has space", "-leading", "x" * 33, "王"])
async def test_usernames_must_follow_the_rules(auth: StaffAuth, username: str) -> None:
    with pytest.raises(InvalidAccountError, match="username"):
        await auth.create_account(username, "小王", PASSWORD)


async def test_a_blank_display_name_is_refused(auth: StaffAuth) -> None:
    with pytest.raises(InvalidAccountError, match="display name"):
        await auth.create_account("wang", "   ", PASSWORD)


async def test_a_username_is_taken_whatever_its_case(auth: StaffAuth) -> None:
    await auth.create_account("wang", "小王", PASSWORD)
    with pytest.raises(UsernameTakenError):
        await auth.create_account("WANG", "另一个小王", PASSWORD)


async def test_unknown_user_and_wrong_password_are_told_apart_by_nothing(
    auth: StaffAuth,
) -> None:
    await auth.create_account("wang", "小王", PASSWORD)
    with pytest.raises(InvalidCredentialsError) as wrong_password:
        await auth.login("wang", "not the password")
    with pytest.raises(InvalidCredentialsError) as unknown_user:
        await auth.login("nobody", PASSWORD)
    assert str(wrong_password.value) == str(unknown_user.value)


async def test_unknown_user_and_wrong_password_take_about_as_long(store: SqlStore) -> None:
    # Parameters heavy enough (~60 ms a hash) that a skipped scrypt run would stand out.
    auth = StaffAuth(store.staff, hasher=PasswordHasher(log2_n=14, r=8, p=1))
    await auth.create_account("wang", "小王", PASSWORD)

    async def seconds(username: str, password: str) -> float:
        started = time.perf_counter()
        with pytest.raises(InvalidCredentialsError):
            await auth.login(username, password)
        return time.perf_counter() - started

    await seconds("nobody", PASSWORD)  # the first sign-in also makes the decoy hash
    wrong = statistics.median([await seconds("wang", "not the password") for _ in range(3)])
    unknown = statistics.median([await seconds("nobody", PASSWORD) for _ in range(3)])
    assert 0.5 < unknown / wrong < 2.0


async def test_signing_in_upgrades_a_hash_made_with_old_parameters(store: SqlStore) -> None:
    old = StaffAuth(store.staff, hasher=FAST)
    account = await old.create_account("wang", "小王", PASSWORD)
    newer = PasswordHasher(log2_n=11, r=8, p=1)
    await StaffAuth(store.staff, hasher=newer).login("wang", PASSWORD)
    upgraded = await store.staff.get(account.id)
    assert upgraded is not None
    assert upgraded.password_hash.startswith("$scrypt$ln=11,")
    assert not newer.needs_rehash(upgraded.password_hash)
    await StaffAuth(store.staff, hasher=newer).login("wang", PASSWORD)


async def test_an_expired_session_is_refused_and_deleted(
    auth: StaffAuth, store: SqlStore, clock: FakeClock
) -> None:
    await auth.create_account("wang", "小王", PASSWORD)
    token, session = await auth.login("wang", PASSWORD)
    clock.now = START + timedelta(hours=8) - timedelta(seconds=1)
    await auth.authenticate(token)
    clock.now = START + timedelta(hours=8)
    with pytest.raises(SessionExpiredError):
        await auth.authenticate(token)
    assert await store.staff.session(session.token_hash) is None
    with pytest.raises(NotSignedInError) as again:
        await auth.authenticate(token)
    assert not isinstance(again.value, SessionExpiredError)


async def test_logging_out_ends_the_session(auth: StaffAuth) -> None:
    await auth.create_account("wang", "小王", PASSWORD)
    token, _ = await auth.login("wang", PASSWORD)
    other_token, _ = await auth.login("wang", PASSWORD)
    await auth.logout(token)
    with pytest.raises(NotSignedInError):
        await auth.authenticate(token)
    assert (await auth.authenticate(other_token)).username == "wang"
    await auth.logout(token)  # twice is fine


@pytest.mark.parametrize("token", [None, "", "made-up-token", "x" * 10_000])
async def test_tokens_that_were_never_issued_are_refused(
    auth: StaffAuth, token: str | None
) -> None:
    with pytest.raises(NotSignedInError):
        await auth.authenticate(token)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("BROKERDESK_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("BROKERDESK_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


async def _stored_display_name(tmp_path: Path, username: str, password: str) -> str:
    store = await open_store(f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    try:
        account = await store.staff.by_username(username)
    finally:
        await store.close()
    assert account is not None
    assert PasswordHasher().verify(password, account.password_hash)
    return account.display_name


def test_cli_creates_an_account_with_the_password_from_stdin(
    cli: CliRunner, tmp_path: Path
) -> None:
    result = cli.invoke(
        app, ["staff", "create", "wang", "--name", "客服小王", "--password-stdin"], input=PASSWORD
    )
    assert result.exit_code == 0, result.output
    assert "wang" in result.stdout
    assert asyncio.run(_stored_display_name(tmp_path, "wang", PASSWORD)) == "客服小王"


def test_cli_asks_for_the_password_twice_without_echoing_it(cli: CliRunner, tmp_path: Path) -> None:
    result = cli.invoke(
        app, ["staff", "create", "lina", "--name", "小李"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert "Repeat for confirmation" in result.output
    assert PASSWORD not in result.output
    assert asyncio.run(_stored_display_name(tmp_path, "lina", PASSWORD)) == "小李"


def test_cli_explains_a_weak_password_and_a_taken_username(cli: CliRunner) -> None:
    command = ["staff", "create", "wang", "--name", "小王", "--password-stdin"]
    weak = cli.invoke(app, command, input="short\n")
    assert weak.exit_code == 2
    assert "at least 10 characters" in weak.output
    assert cli.invoke(app, command, input=PASSWORD).exit_code == 0
    taken = cli.invoke(app, command, input=PASSWORD)
    assert taken.exit_code == 2
    assert "taken" in taken.output
