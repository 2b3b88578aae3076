"""What a message is, read from its words alone: a wish to act, small talk, a question, our
business or not.

The dialogue policy asks these before it asks the knowledge base; each is a cheap reading of
the text (patterns, the brokerage lexicon), never a model.
"""

from __future__ import annotations

import re

from knowledge.lexicon import Lexicon

# "I want to / help me ..." starts a flow; a plain question about the topic gets the FAQ answer.
_WISH = re.compile(
    r"(我想|我要|想要|打算|帮我|给我开|我需要|\bi want\b|\bi'?d like\b|\bi would like\b|"
    r"\bhelp me\b|\bi need to\b)",
    re.IGNORECASE,
)


def wants_to_act(text: str) -> bool:
    """Whether the investor asks to *do* something rather than asks about it."""
    return _WISH.search(text) is not None


_SMALL_TALK = re.compile(
    r"你好|您好|在吗|在不在|哈喽|嗨|早上好|下午好|晚上好|谢谢|多谢|感谢|辛苦|好的|好滴|知道了|明白了|"
    r"嗯+|再见|拜拜|没事了|没有了|就这样|不用了|没问题了|"
    r"\b(?:hi|hello|hey|thanks?|thank you|thx|ty|bye|goodbye|see you|good (?:morning|"
    r"afternoon|evening)|ok|okay|cheers|got it|that'?s all|no more)\b",
    re.IGNORECASE,
)
_SMALL_TALK_MAX_CHARS = 16


def is_small_talk(text: str) -> bool:
    """Whether ``text`` is only a greeting, thanks or goodbye: short, with such a word.

    The classifier is sure of "greeting" or "goodbye" for many short messages that are
    nothing of the kind ("又驳回了 第三次了", "那第六天呢"); those must be read as questions.
    """
    return len(text.strip()) <= _SMALL_TALK_MAX_CHARS and _SMALL_TALK.search(text) is not None


def outside_product(lexicon: Lexicon, text: str) -> str | None:
    """The words naming a product a securities firm does not offer (比特币, a mortgage)."""
    for match in lexicon.find(text):
        if match.concept.not_offered:
            return match.surface
    return None


def names_our_business(lexicon: Lexicon, text: str) -> bool:
    """Whether the question is about something a brokerage serves (it names one of its
    specific concepts, none of them outside the business)."""
    concepts = lexicon.concepts_of(text)
    named = [lexicon.concepts[c] for c in concepts.named]
    specific = [c for c in named if not c.generic]
    return bool(specific) and not any(c.outside for c in named)


# A clause that asks: a question word ("好几次" counts times, it does not ask them) or a
# question particle at its end.
_ASKING = re.compile(
    r"怎么|怎样|如何|咋|什么|啥|多少|(?<!好)几(?:点|天|次|个|号|年|月|岁|股|张|手)|哪|为什么|为何|"
    r"能不能|可不可以|是不是|有没有|要不要|是否|[吗么呢嘛]\s*$|"
    r"\b(?:what|how|why|when|where|which|who)\b",
    re.IGNORECASE,
)


def asks_something(text: str) -> bool:
    """Whether ``text`` asks something by a question word or a closing particle (a yes-no
    question led by an English auxiliary is :func:`assistant.answers.asks_yes_no`'s)."""
    return _ASKING.search(text) is not None
