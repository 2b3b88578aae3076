"""Fixtures for the intents tests: a small hand-written catalogue and a counting encoder.

The encoder is the real bundled E5 (the ``e5`` fixture of the root conftest);
the counting wrapper only records how often it is asked to encode, so tests can
prove that a cached fit embeds nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from intents.catalogue import Intent, IntentCatalogue
from intents.classifier import EmbeddingIntentClassifier


class CountingEncoder:
    """A real encoder that counts its calls and the texts it was given."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.model_id: str = inner.model_id
        self.calls = 0
        self.texts = 0

    def encode_questions(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        self.texts += len(texts)
        return np.asarray(self.inner.encode_questions(texts))


def _intent(name: str, handler: str, zh: list[str], en: list[str], **extra: Any) -> Intent:
    return Intent(name=name, handler=handler, examples={"zh": zh, "en": en}, **extra)


SMALL_CATALOGUE = IntentCatalogue(
    intents=[
        _intent(
            "account_opening",
            "flow",
            ["我想开户", "怎么开股票账户", "开户需要什么材料", "手机上能开户吗", "开户要多久"],
            [
                "I want to open an account",
                "how do I open a brokerage account",
                "documents needed to open an account",
            ],
            description="开户咨询 / account opening",
        ),
        _intent(
            "password_reset",
            "flow",
            ["忘记交易密码了", "密码被锁了怎么办", "怎么重置资金密码", "登录密码错误太多次"],
            [
                "I forgot my trading password",
                "reset my password",
                "my account is locked after wrong passwords",
            ],
            description="重置密码 / password reset",
        ),
        _intent(
            "fees",
            "knowledge",
            ["佣金是多少", "买股票手续费怎么算", "印花税多少", "交易费用有哪些"],
            [
                "what is your commission rate",
                "how much are trading fees",
                "stamp duty on selling shares",
            ],
            description="佣金与费用 / fees and commissions",
        ),
        _intent(
            "bank_transfer",
            "knowledge",
            [
                "银证转账怎么操作",
                "钱怎么从银行转到证券账户",
                "转账什么时间可以",
                "取钱到银行卡要多久",
            ],
            [
                "how do I move money from my bank to my brokerage account",
                "withdraw cash to my bank card",
                "transfer hours",
            ],
            description="银证转账 / bank-securities transfers",
        ),
        _intent(
            "human_agent",
            "escalate",
            ["转人工", "我要人工客服", "帮我找个真人"],
            ["talk to a human", "connect me to an agent"],
        ),
        _intent(
            "fraud_report",
            "escalate",
            ["我被骗了", "有人冒充你们客服让我转账", "荐股群老师让我充钱"],
            ["I think I've been scammed", "someone pretending to be your staff asked for money"],
        ),
        _intent(
            "out_of_scope",
            "out_of_scope",
            [
                "今天天气怎么样",
                "给我讲个笑话",
                "附近有什么好吃的",
                "帮我订一张机票",
                "世界杯谁夺冠了",
            ],
            [
                "what's the weather tomorrow",
                "tell me a joke",
                "book me a flight to Paris",
                "recipe for pancakes",
            ],
        ),
    ]
)
"""Seven intents in Chinese and English; no complaint intent, so the complaint rule stays silent."""


@pytest.fixture(scope="session")
def small_catalogue() -> IntentCatalogue:
    return SMALL_CATALOGUE


@pytest.fixture(scope="session")
def in_scope_catalogue() -> IntentCatalogue:
    """The small catalogue without its out-of-scope intent: only a threshold can reject."""
    return IntentCatalogue(
        intents=[i for i in SMALL_CATALOGUE.intents if i.handler != "out_of_scope"]
    )


@pytest.fixture
def counting_encoder(e5: Any) -> CountingEncoder:
    return CountingEncoder(e5)


@pytest.fixture
def make_counting_encoder(e5: Any) -> Callable[[str], CountingEncoder]:
    """Counting encoders over the real model, announcing whatever ``model_id`` a test asks for."""

    def make(model_id: str) -> CountingEncoder:
        encoder = CountingEncoder(e5)
        encoder.model_id = model_id
        return encoder

    return make


@pytest.fixture(scope="session")
def fitted_classifier(
    e5: Any, tmp_path_factory: pytest.TempPathFactory
) -> EmbeddingIntentClassifier:
    """A classifier fitted once on the small catalogue, shared by read-only tests."""
    cache: Path = tmp_path_factory.mktemp("intent-cache")
    return EmbeddingIntentClassifier(e5, cache_dir=cache, threshold=0.3).fit(SMALL_CATALOGUE)
