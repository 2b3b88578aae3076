"""What a message is, read from its words alone: a wish to act, small talk, a question, our
business or not.

The dialogue policy asks these before it asks the knowledge base; each is a cheap reading of
the text (patterns, the brokerage lexicon), never a model.
"""

from __future__ import annotations

import re

from assistant.incoming_signals import addresses_us, asks_if_from_us, voices_grievance
from intents.prediction import IntentPrediction
from knowledge.lexicon import ConceptMatch, Lexicon

# "I want to / help me ..." starts a flow; a plain question about the topic gets the FAQ answer.
# "我需要准备什么" and "what do I need to ..." ask what it takes; they do not ask to do it.
_WISH = re.compile(
    r"(我想|我要|想要|打算|帮我|给我开|我需要(?![^，,。？?]{0,8}(?:什么|啥|哪些|多少|几|吗|么))|"
    # "想开个户 怎么弄啊": the wish to open something, without the "我" ("想改下交易密码"
    # may only ask how, and is answered from the FAQ).
    r"^\s*想(?=开|办)|"
    r"\bi want\b|\bi'?d like\b|\bi would like\b|\bhelp me\b|(?<!\bdo )\bi need to\b)",
    re.IGNORECASE,
)


_HOW_TO_OPEN = re.compile(
    r"(?:怎么|如何|怎样|咋|在哪|哪里)(?:才能|可以|能)?(?:开通|开|申请|办理|办)|开通(?:流程|步骤|方法|方式)|"
    r"\bhow\b[^.?]{0,20}\b(?:open|apply|enable|activate|get)\b",
    re.IGNORECASE,
)


_EXCEPTION = re.compile(
    r"通融|走后门|开后门|破个?例|绕过|特事特办|打个招呼|"
    r"\bmake an exception\b|\bwaive\b|\bbypass\b|\bget around\b|\bpull (?:some )?strings\b",
    re.IGNORECASE,
)


def asks_for_an_exception(text: str) -> bool:
    """Whether the investor asks for a rule to be bent ("能不能通融一下 找客户经理能搞定")."""
    return _EXCEPTION.search(text) is not None


def asks_how_to_open(text: str) -> bool:
    """Whether the investor asks how to open or apply for something ("创业板怎么开通")."""
    return _HOW_TO_OPEN.search(text) is not None


def wants_to_act(text: str) -> bool:
    """Whether the investor asks to *do* something rather than asks about it."""
    return _WISH.search(text) is not None


_SMALL_TALK = re.compile(
    r"你好|您好|在吗|在不在|哈喽|嗨|早上好|下午好|晚上好|谢谢|谢了|谢啦|多谢|感谢|辛苦|好的|好滴|知道了|明白了|"
    r"嗯+|再见|拜拜|没事了|没有了|就这样|不用了|没问题了|"
    r"\b(?:hi|hello|hey|thanks?|thank (?:you|u)|thx|ty|bye|goodbye|see you|good (?:morning|"
    r"afternoon|evening)|ok|okay|cheers|got it|that'?s all|no more)\b",
    re.IGNORECASE,
)
_SMALL_TALK_MAX_CHARS = 16

# Thanks or an acknowledgement put before the next question: "谢谢 那深市呢", "好吧 那我还要等多久",
# "ok 那汇率怎么算". A bare "好" counts only when something follows it ("好 继续吧").
_PLEASANTRY_LEAD = re.compile(
    r"^(?:\s*(?:谢谢(?:你|您|啦|了)?|多谢|感谢|好的|好吧|好滴|好嘞|好|行吧?|嗯+|哦+|噢+|喔|"
    r"明白了?|知道了|了解了|懂了|收到|ok(?:ay)?|thanks?(?: you)?|thx|got it|sure|alright|i see)"
    r"(?=[\s，,。.!！~～]|那|$)[\s，,。.!！~～]*)+",
    re.IGNORECASE,
)


def without_pleasantries(text: str) -> str:
    """``text`` without the thanks or acknowledgement it opens with ("谢谢 那深市呢")."""
    return _PLEASANTRY_LEAD.sub("", text, count=1)


# A message that only says a question is coming: "Hey, quick question", "请问一下", "问个事".
_GREETING_LEAD = re.compile(
    r"^(?:(?:你好|您好|在吗|在不在|哈喽|嗨|hi|hello|hey|excuse me)(?![a-z])[\s，,。.!！~～]*)+",
    re.IGNORECASE,
)
_ANNOUNCEMENT = re.compile(
    r"(?:(?:i\s+have|i'?ve\s+got|got)\s+)?(?:an?\s+|one\s+)?(?:(?:quick|small|short|simple)\s+)?"
    r"question(?:\s+for\s+you)?|can\s+i\s+ask(?:\s+you)?(?:\s+(?:something|a\s+question))?|"
    r"(?:请问|问|想问|咨询|请教)(?:一下|个|你个|您个|下)?(?:问题|事情?)?|有(?:个|一个|几个)问题(?:想问|要问|咨询)?",
    re.IGNORECASE,
)


# The courtesy around a question: a greeting or an opener before it ("客服你好，", "麻烦问下，",
# "Hi, quick question:"), thanks, "please help" or "急" after it. None of it changes what is asked.
_COURTESY_LEAD = re.compile(
    r"^(?:(?:(?:客服|亲|老师)?(?:你好|您好)(?:啊|呀|哈)?|在吗|在不在|哈喽|嗨|"
    r"请问(?:一下|下)?|(?:麻烦|打扰)(?:您|你)?(?:问)?(?:一下|下)|(?:我?想)?(?:咨询|请教)(?:一下|下)|"
    r"(?:hi|hello|hey|dear)(?:\s+there)?(?![a-z])|good (?:morning|afternoon|evening)|excuse me|"
    r"(?:(?:a|one)\s+)?quick question\s*[:：]|could you (?:please )?tell me\s*[:：])"
    r"[\s，,：:。.!！~～]*)+",
    re.IGNORECASE,
)
_COURTESY_TAIL = re.compile(
    r"(?:[\s，,。.!！~～]*(?:谢谢(?:你|您|啦|了)?|多谢|感谢|麻烦(?:你|您)?了|辛苦(?:你|您)?了|急+|"
    r"在线等|(?<![a-z])(?:thanks?(?: you| a lot)?|thank you(?: so much| very much)?|thx|ty|"
    r"please help(?: me)?|please|pls|plz))[\s，,。.!！~～]*)+$",
    re.IGNORECASE,
)
# What is left must still ask something of its own: "你好 在吗" stays the greeting it is.
_SHORTEST_ASKED = 4
_SHORT_REMARK = 8


def without_courtesy(text: str) -> str:
    """The question ``text`` asks, without the greeting or opener before it and the thanks
    after it ("你好，创业板怎么开通？谢谢" asks "创业板怎么开通？"); ``text`` itself when that
    would leave too little to be a question (small talk stays small talk)."""
    asked = _COURTESY_TAIL.sub("", _COURTESY_LEAD.sub("", text.strip(), count=1), count=1)
    asked = asked.strip()
    if len(asked) < _SHORTEST_ASKED or is_small_talk(asked):
        return text
    # "great thx!": a few words that ask nothing were the thanks' own ("great"), not a question.
    plain = asks_something(asked) or wants_to_act(asked) or len(asked) >= _SHORT_REMARK
    return asked if plain else text


def announces_question(text: str) -> bool:
    """Whether ``text`` only says that a question is coming ("Hey, quick question")."""
    rest = _GREETING_LEAD.sub("", text.strip()).strip(" \t，,。.!！?？~～")
    return bool(rest) and _ANNOUNCEMENT.fullmatch(rest) is not None


def is_small_talk(text: str) -> bool:
    """Whether ``text`` is only a greeting, thanks or goodbye (short, with such a word), or
    only says a question is coming.

    The classifier is sure of "greeting" or "goodbye" for many short messages that are
    nothing of the kind ("又驳回了 第三次了", "那第六天呢"); those must be read as questions,
    and so must a question put after thanks ("谢谢 那深市呢").
    """
    if announces_question(text):
        return True
    if len(text.strip()) > _SMALL_TALK_MAX_CHARS or _SMALL_TALK.search(text) is None:
        return False
    rest = without_pleasantries(text)
    return rest == text or not asks_something(rest)


# "行 那接着弄吧", "继续", "go on": back to what we were doing, nothing more.
_GO_ON = re.compile(
    r"^(?:那|就)?(?:继续|接着|接下来|下一步|往下)(?:弄|办|办理|开通|开|填|来|说|走)?(?:吧|啊|呀|呗|了)?$|"
    r"^(?:let'?s\s+)?(?:go on|continue|carry on|next step|next|keep going|proceed)$",
    re.IGNORECASE,
)


def asks_to_go_on(text: str) -> bool:
    """Whether the investor only asks to carry on with what was under way."""
    spaced = re.sub(r"[，,。.!！~～]+", "", without_pleasantries(text)).strip().lower()
    plain = re.sub(r"\s+", "", spaced)  # "那 接着弄吧" as typed, "go on" with its space
    return bool(_GO_ON.match(plain) or _GO_ON.match(spaced))


# Live market data: a price, an index level, today's move ("上证指数今天多少点", "茅台现在多少钱").
_QUOTE = re.compile(
    r"(?:指数|大盘|上证|深证|创业板指|沪深300|恒指|恒生|股价|现价|报价)[^，,。？?]{0,8}"
    r"(?:多少点|多少钱|多少了|几点了|是多少|涨了多少|跌了多少|怎么样了|涨了吗|跌了吗)|"
    r"(?:现在|今天|目前|当前)[^，,。？?]{0,6}(?:多少钱一股|股价(?:是|有)?多少|多少点)|"
    r"\b(?:what(?:'s| is)\s+the\s+(?:price|quote|level)\s+of|current\s+(?:price|quote)|"
    r"(?:index|stock)\s+(?:price|level)\s+(?:today|now))\b",
    re.IGNORECASE,
)


def asks_for_a_quote(text: str) -> bool:
    """Whether the investor asks for a live price or index level, which the app shows."""
    return _QUOTE.search(text) is not None


_BARE_FILLER = re.compile(r"[\s，,。.!！?？~～]+|(?:吗|呢|啊|呀|吧|嘛|么)$")


_OWN_ACCOUNTS = frozenset(
    {"options", "index_option", "futures", "margin", "fund", "b_share", "personal_pension"}
)


_ITS_ACCOUNT = re.compile(r"^.{0,2}?(?:开户|账户|帐户|户)")


def names_own_account(lexicon: Lexicon, text: str) -> bool:
    """Whether ``text`` asks for the account of a product opened with one of its own: "股票期权
    开户有啥要求", "开个信用账户" wish to open that, not a securities account; "我想开户买基金"
    does wish to open one."""
    return any(
        match.concept.id in _OWN_ACCOUNTS
        and ("户" in match.surface or _ITS_ACCOUNT.match(text[match.end :]) is not None)
        for match in lexicon.find(text)
    )


def bare_concept(lexicon: Lexicon, text: str) -> ConceptMatch | None:
    """The one brokerage concept a message consists of ("逆回购", "两融?", "margin"): a
    topic named with nothing asked about it ("几点开盘" is one of the trading hours' names,
    and asks the time)."""
    if asks_something(text):
        return None
    rest = _BARE_FILLER.sub("", text.strip())
    matches = lexicon.find(rest) if rest else []
    if len(matches) != 1:
        return None
    (match,) = matches
    if match.start != 0 or match.end != len(rest) or match.concept.generic:
        return None
    return match


# Around a clause that only names something: "那", "的呢", a closing particle.
_NAMING_FILLER = re.compile(r"[\s，,。.!！?？~～]+|^(?:那么?|还有)|的?(?:吗|呢|啊|呀|吧|嘛|么)$")


def only_names(lexicon: Lexicon, clause: str) -> bool:
    """Whether ``clause`` names brokerage concepts and asks nothing of them ("bj的呢",
    "那港股通呢"): in "bj的呢 上市第一天有没" the question is the rest."""
    rest = _NAMING_FILLER.sub("", clause.strip())
    matches = lexicon.find(rest) if rest else []
    return bool(matches) and sum(m.end - m.start for m in matches) == len(rest)


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
# question particle at its end, the spoken "…不" too ("能t0不", "要交印花税不").
CLOSING_BU = r"(?<=[^\s不]{2})不\s*[?？]*\s*$"
"""A yes-no question's spoken ending: "能t0不", "要交印花税不" (not "不不不", "我不")."""
_ASKING = re.compile(
    r"怎么|怎样|如何|咋|什么|啥|多少|多久|多长时间|(?<!好)几(?:点|天|次|个|号|年|月|岁|股|张|手)|哪|为什么|为何|"
    rf"能不能|可不可以|是不是|有没有|要不要|是否|[吗么呢嘛]\s*$|{CLOSING_BU}|"
    r"\b(?:what|how|why|when|where|which|who)\b",
    re.IGNORECASE,
)


def asks_something(text: str) -> bool:
    """Whether ``text`` asks something by a question word or a closing particle (a yes-no
    question led by an English auxiliary is :func:`assistant.answers.asks_yes_no`'s)."""
    return _ASKING.search(text) is not None


COMPLAINT_AT = 0.5  # classifier confidence from which "complaint" is believed
PERSON_AT = 0.5  # classifier confidence from which a request for a person is believed


# Words with which a message speaks of a person to talk to (or of the bot it would rather not).
_PERSON_WORDS = re.compile(
    r"人工|真人|活人|机器|客服|客户经理|经理|领导|主管|负责人|上级|老板|专员|专人|坐席|工作人员|接线|"
    r"转接|rg|电话|联系我|(?:换|叫|找|来|派|安排)(?:一)?个?人|"
    r"\b(?:human|person|people|agent|representative|rep|operator|staff|someone|somebody|bot|"
    r"robot|hotline|call\s+(?:me|back)|manager|supervisor|boss|support|customer\s+service|"
    r"live\s+chat|transfer\s+me|put\s+me\s+through|(?:speak|talk)\s+(?:to|with))\b",
    re.IGNORECASE,
)


# "你是机器人吗", "are you a real person?": a question about the assistant, not a wish to leave it.
_ASKS_IF_A_BOT = re.compile(
    r"(?:请问)?(?:你|您)(?:是不是|是)(?:个|一个)?(?:机器人|真人|人工|ai|智能客服|自动回复)(?:吗|么|啊|呀)?|"
    r"(?:你|您)是真人还是机器人?|"
    r"(?:are|r)\s+(?:you|u)\s+(?:a\s+)?(?:bot|robot|real(?:\s+person)?|human|an?\s+ai|ai)|"
    r"(?:is\s+this|am\s+i\s+(?:talking|chatting)\s+(?:to|with))\s+(?:a\s+)?"
    r"(?:bot|robot|real\s+person|human|person)",
    re.IGNORECASE,
)


def asks_if_a_bot(text: str) -> bool:
    """Whether the message only asks whether the investor is talking to a machine."""
    bare = re.sub(r"[\s，,。.!！?？~～]+$", "", text.strip())
    return _ASKS_IF_A_BOT.fullmatch(bare) is not None


def wants_a_person(prediction: IntentPrediction, text: str) -> bool:
    """Whether the investor asks for a person: in so many words (the rule), or so the
    classifier is fairly sure of a message that speaks of a person at all; a faint guess
    ("要去营业部吗 还是手机上就能弄" at 0.24) is not, nor a fair one about "本人实名" ("手机号不是我
    本人实名的可以吗" at 0.52)."""
    if prediction.name != "human_agent":
        return False
    return prediction.source == "rule" or (
        prediction.confidence >= PERSON_AT and _PERSON_WORDS.search(text) is not None
    )


_HOW_TO_FIX = re.compile(
    r"咋办|怎么办|怎么弄|怎么解决|怎么处理|如何解决|该怎么|"
    r"\bwhat\s+(?:should|can|do)\s+i\s+do\b|\bhow\s+(?:do|can)\s+i\s+(?:fix|solve)\b|"
    r"\bhow\s+to\s+fix\b",
    re.IGNORECASE,
)


def asks_how_to_fix(text: str) -> bool:
    """Whether the message asks what to do about a problem ("装你们app提示不支持 咋办")."""
    return _HOW_TO_FIX.search(text) is not None


def is_complaint(prediction: IntentPrediction, text: str, lexicon: Lexicon) -> bool:
    """A complaint in so many words, a grievance aired against us ("说好的礼品到现在都没收到"),
    or one the classifier is sure of about our business ("我跟我老婆吵架了" is not ours)."""
    if prediction.name == "complaint" and prediction.source == "rule":
        return True
    return voices_grievance(text) or (
        prediction.name == "complaint"
        and prediction.confidence >= COMPLAINT_AT
        and (names_our_business(lexicon, text) or addresses_us(text))
        and not asks_if_from_us(text)
    )
