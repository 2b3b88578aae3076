"""Patterns compiled at their first use match exactly as the compiled ones do."""

from __future__ import annotations

import re

from text.patterns import LazyPattern


def test_a_pattern_compiles_at_its_first_search_only() -> None:
    pattern = LazyPattern(r"两融|\bmargin\b", re.IGNORECASE)
    assert pattern._compiled is None

    assert pattern.search("What is MARGIN trading") is not None

    compiled = pattern._compiled
    assert compiled is not None and compiled.pattern == r"两融|\bmargin\b"
    pattern.search("两融门槛")
    assert pattern._compiled is compiled


def test_every_method_answers_as_re_does() -> None:
    text = "我的佣金 my Commission, my fees 佣金"
    lazy, compiled = LazyPattern(r"(佣金|commission)", re.I), re.compile(r"(佣金|commission)", re.I)

    assert lazy.search(text, 3).span() == compiled.search(text, 3).span()
    assert lazy.match(text) is None and compiled.match(text) is None
    assert lazy.fullmatch("佣金").group(0) == "佣金"
    assert lazy.findall(text) == compiled.findall(text) == ["佣金", "Commission", "佣金"]
    assert [m.span() for m in lazy.finditer(text)] == [m.span() for m in compiled.finditer(text)]
    assert lazy.sub("X", text) == compiled.sub("X", text)
    assert lazy.sub(lambda m: m.group(0).upper(), text, 1) == compiled.sub(
        lambda m: m.group(0).upper(), text, 1
    )
