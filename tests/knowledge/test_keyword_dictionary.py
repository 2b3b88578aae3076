"""jieba's dictionary kept in the state directory in shards: segmentation exactly as jieba's own,
a start that reads only the shards its text needs, and a file that is rebuilt when stale."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from knowledge.keyword_dictionary import ShardedFrequencies, load_tokenizer

SENTENCES = [
    "两融门槛多少",
    "创业板权限怎么开通，需要两年交易经验吗",
    "我昨天转的钱到了没",
    "港股通交易时间和北交所有什么不同",
    "科创板股票的涨跌幅限制是多少",
    "新股申购中签后什么时候缴款",
    "融资融券的保证金比例怎么计算",
    "南京市长江大桥",
    "可转债打新要开通什么权限",
    "账户被冻结了怎么办",
]


@pytest.fixture(scope="module")
def terms() -> Any:
    with resources.as_file(
        resources.files("knowledge.data").joinpath("brokerage_terms.txt")
    ) as path:
        yield path


@pytest.fixture(scope="module")
def whole(terms: Path) -> Any:
    """jieba with the brokerage terms, its whole dictionary loaded: the reference."""
    return load_tokenizer(terms, None)


def _cuts(tokenizer: Any) -> list[list[str]]:
    return [list(tokenizer.cut_for_search(sentence)) for sentence in SENTENCES]


def test_a_kept_dictionary_segments_exactly_like_jieba(
    terms: Path, whole: Any, tmp_path: Path
) -> None:
    written = load_tokenizer(terms, tmp_path)  # the first start writes the file
    kept = load_tokenizer(terms, tmp_path)

    assert isinstance(kept.FREQ, ShardedFrequencies)
    assert _cuts(kept) == _cuts(written) == _cuts(whole)
    assert kept.total == whole.total
    assert kept.user_word_tag_tab == whole.user_word_tag_tab


def test_a_question_reads_only_the_shards_of_its_characters(terms: Path, tmp_path: Path) -> None:
    load_tokenizer(terms, tmp_path)
    kept = load_tokenizer(terms, tmp_path)

    list(kept.cut_for_search("两融门槛多少"))

    loaded = sum(shard is not None for shard in kept.FREQ._shards)
    assert 0 < loaded <= len("两融门槛多少")


def test_a_damaged_file_is_rebuilt(terms: Path, whole: Any, tmp_path: Path) -> None:
    load_tokenizer(terms, tmp_path)
    kept = tmp_path / "jieba-dictionary.bin"
    kept.write_bytes(kept.read_bytes()[: len(kept.read_bytes()) // 2])

    rebuilt = load_tokenizer(terms, tmp_path)
    assert _cuts(rebuilt) == _cuts(whole)
    assert isinstance(load_tokenizer(terms, tmp_path).FREQ, ShardedFrequencies)


def test_other_terms_are_not_served_from_a_file_kept_for_the_old_ones(
    terms: Path, tmp_path: Path
) -> None:
    load_tokenizer(terms, tmp_path)
    more = tmp_path / "terms.txt"
    more.write_text(terms.read_text("utf-8") + "门槛多少 90000 n\n", "utf-8")

    assert "门槛多少" in list(load_tokenizer(more, tmp_path).cut_for_search("两融门槛多少"))
    assert "门槛多少" not in list(load_tokenizer(terms, tmp_path).cut_for_search("两融门槛多少"))
