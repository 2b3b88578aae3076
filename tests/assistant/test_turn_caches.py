"""What repeats between turns is kept: the knowledge base's answer to a question, per version,
and a message's intent; nothing personal."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.turn_caches import AnswerCache, CachedIntentClassifier, question_key
from intents.catalogue import Intent, IntentCatalogue
from intents.classifier import EmbeddingIntentClassifier
from knowledge.index import KnowledgeBase

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class CountingSearch:
    """The real knowledge base's search, counting the questions that reached it."""

    def __init__(self, kb: KnowledgeBase) -> None:
        from knowledge.retrieval import HybridRetriever

        self.retriever = HybridRetriever(kb)
        self.questions: list[str] = []

    def __call__(self, text: str):
        self.questions.append(text)
        return self.retriever.search(text, k=5)


@pytest.fixture(scope="module")
def small_kb(tmp_path_factory, e5):
    sheets = tmp_path_factory.mktemp("turn-cache-faq")
    lines = (PROJECT_ROOT / "data/knowledge/faq_zh.csv").read_text("utf-8").splitlines()
    (sheets / "faq_zh.csv").write_text("\n".join(lines[:21]) + "\n", "utf-8")
    kb = KnowledgeBase(tmp_path_factory.mktemp("turn-cache-kb"), e5)
    kb.ingest([sheets])
    yield kb
    kb.close()


def test_question_key_folds_width_case_spaces_and_closing_punctuation() -> None:
    assert question_key("创业板怎么开通？") == question_key("创业板怎么开通")
    assert question_key("  How do I  OPEN an account?! ") == "how do i open an account"
    assert question_key("ＡＢＣ") == "abc"
    assert question_key("创业板怎么开通") != question_key("科创板怎么开通")


def test_a_reworded_repeat_is_answered_from_the_cache(small_kb: KnowledgeBase) -> None:
    search = CountingSearch(small_kb)
    answers = AnswerCache(search, lambda: small_kb.version)

    first = answers.retrieve("开户对年龄有什么要求？")
    again = answers.retrieve("开户对年龄有什么要求")

    assert search.questions == ["开户对年龄有什么要求？"]
    assert [p.unit.id for p in again] == [p.unit.id for p in first]
    assert (answers.stats.hits, answers.stats.misses) == (1, 1)


def test_an_ingest_changes_the_version_and_the_cache_misses(
    small_kb: KnowledgeBase, tmp_path: Path
) -> None:
    search = CountingSearch(small_kb)
    answers = AnswerCache(search, lambda: small_kb.version)
    answers.retrieve("开户对年龄有什么要求")
    before = small_kb.version

    sheet = tmp_path / "faq_extra.csv"
    lines = (PROJECT_ROOT / "data/knowledge/faq_zh.csv").read_text("utf-8").splitlines()
    sheet.write_text("\n".join([lines[0], lines[30]]) + "\n", "utf-8")
    small_kb.ingest([sheet])
    changed = small_kb.version
    answers.retrieve("开户对年龄有什么要求")
    small_kb.ingest([sheet])  # unchanged content: same version

    assert changed != before
    assert small_kb.version == changed
    assert len(search.questions) == 2
    small_kb.delete_source(small_kb.manifest.sources()[-1][0])
    assert small_kb.version != changed


@pytest.mark.parametrize(
    "message",
    [
        "我的手机号13812345678收不到验证码",
        "我的手机号138****5678收不到验证码",
        "开户" * 60,
    ],
)
def test_personal_or_long_messages_are_never_kept(small_kb: KnowledgeBase, message: str) -> None:
    search = CountingSearch(small_kb)
    answers = AnswerCache(search, lambda: small_kb.version)

    answers.retrieve(message)
    answers.retrieve(message)

    assert len(search.questions) == 2
    assert answers.stats.lookups == 0


def test_a_message_s_intent_is_kept(e5) -> None:
    catalogue = IntentCatalogue(
        intents=[
            Intent(
                name="account_opening",
                handler="knowledge",
                examples={"zh": ["我想开户", "怎么开股票账户"], "en": ["open an account"]},
            ),
            Intent(
                name="password_reset",
                handler="knowledge",
                examples={"zh": ["忘记密码了", "重置交易密码"], "en": ["reset my password"]},
            ),
        ]
    )
    classifier = EmbeddingIntentClassifier(e5, use_rules=False).fit(catalogue)
    asked: list[str] = []
    original = classifier.predict

    def counted(text: str):
        asked.append(text)
        return original(text)

    classifier.predict = counted  # type: ignore[method-assign]
    cached = CachedIntentClassifier(classifier)

    first = cached.predict("忘了密码怎么办")
    again = cached.predict("忘了密码怎么办？")  # reworded only in its closing punctuation

    assert first == again and first.name == "password_reset"
    assert asked == ["忘了密码怎么办"]
    assert cached.stats.hits == 1
    cached.predict("reset my password")
    assert asked[-1] == "reset my password", "another question is classified"
