"""Carrying the topic across turns: follow-ups and corrections that leave it out.

"创业板开通要什么条件" then "那科创板呢" asks about STAR's conditions; "密码忘了" then "交易密码"
narrows the password; "要多久" asks how long *that* takes; "不对 我说的是港股通" corrects it.
:func:`resolve_followup` reads a message against the conversation's :class:`Topic` (the last
question the assistant answered from knowledge) and returns the question the investor means,
or ``None`` when the message stands on its own. Concepts of the same kind replace each
other (:mod:`knowledge.lexicon`); anything else is read together with the topic.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from assistant.message_reading import asks_something, names_our_business, without_pleasantries
from knowledge.lexicon import Concept, ConceptMatch, Lexicon
from text.language import CJK_CHARACTERS, has_cjk

if TYPE_CHECKING:  # the state holds a Topic
    from assistant.dialogue_models import ConversationState

# "不是 我说的是交易密码": the last answer missed; the entry that gave it is not the one meant.
_SAID_IT_WAS = r"我说的是|我问的是|我是说|我指的是"
_CORRECTING_ZH = rf"不对|不是|错了|{_SAID_IT_WAS}"
_CORRECTING_EN = r"(?:no,? )?(?:wait,? |sorry,? )?i mean(?:t)?"
_CORRECTION = re.compile(
    rf"^\s*(?:{_CORRECTING_ZH}|{_CORRECTING_EN}|that'?s not what i (?:asked|meant))",
    re.IGNORECASE,
)
# What a correction says it did not mean ("我说的是资金密码 不是交易密码", "i meant the fund
# one, not the trading one"): read out of it, or the concept ruled out is asked about again.
_RULED_OUT = re.compile(
    r"[，,\s]*(?:而)?(?<!是)不是[^，,。？?\s]+|[,\s]*\b(?:not|rather than)\s+(?:the\s+)?[^,.?!]+",
    re.IGNORECASE,
)
# "那…呢", "还有…", "what about …": the message leans on what came before (corrections too).
_LEAD = re.compile(
    r"^\s*(?:(?:那么?|那如果|那要是|还有|另外|如果是|要是|换成|改成|那个|再问下?|"
    rf"{_CORRECTING_ZH})"
    r"|(?:what about|how about|and (?:for|what about|if)?|what if|same (?:for|with)|and the|"
    r"(?:ok(?:ay)? )?so|then|"
    rf"{_CORRECTING_EN}|actually)\b)\s*",
    re.IGNORECASE,
)
_TAIL = re.compile(r"(?:呢|的呢|怎么样|咋样|如何|也?有吗|也是吗|也一样吗)\s*[?？。!！]*\s*$|\?\s*$")
# Questions that only make sense about something already said.
_ELLIPTICAL = re.compile(
    r"^\s*(?:要|需要|得)?(?:多久|多长时间|几天|多少钱|多少|怎么弄|怎么办理?|在哪(?:里|儿)?(?:办|弄|看)?|"
    r"什么时候|收费吗|要钱吗|能退吗|有限制吗|(?:英文|中文|纸质|中英文)(?:版本?)?的?|电子版的?|手机上能办吗|"
    r"how long|how much|where|when|is it free|in english|in chinese|can i do it online|"
    r"(?:so |and |ok |then )?how long (?:do i (?:have|need) to wait|would i have to wait|"
    r"will (?:it|that) take|does (?:it|that) take)|"
    r"(?:an? )?(?:english|chinese) (?:version|copy)|(?:a )?paper (?:version|copy))"
    r"\s*(?:呢|啊|吗|呀)?\s*[?？。!！]*\s*$",
    re.IGNORECASE,
)
# How the topic's business is done rather than what it is: online, at a branch, in person.
# "我在外地 能线上办吗" and "要去营业部吗" mean nothing without the topic.
_CHANNEL = re.compile(
    r"(?:线上|网上|手机上?|app上?|远程|视频)(?:能|可以)?(?:办|弄|操作|开|申请)|"
    r"(?:要|需要|得|必须)(?:本人)?(?:亲自)?(?:去|跑)(?:一趟)?(?:营业部|柜台|网点|现场)?(?:吗|嘛|么)|"
    r"本人(?:去|到场|亲自)|"
    r"\b(?:(?:do|can) (?:it|this|that) online|in person|go to (?:a |the )?(?:branch|counter))\b",
    re.IGNORECASE,
)
# A yes-no question whose object is left out ("我上个月才开的户 能申吗", "40万 算吗"): of the topic.
_WHOSE_OBJECT_IS_THE_TOPIC = re.compile(
    rf"(?:能|可以|能不能|可不可以)(?:申购|申请|开通|参与|[{CJK_CHARACTERS}])?(?:吗|不|么|嘛)\s*[?？]*\s*$|"
    r"(?:行|算|够)(?:吗|不|么|嘛)\s*[?？]*\s*$|\b(?:can i (?:apply|do it|buy it|get it)|"
    r"does (?:it|that) count|is (?:it|that) enough)\s*\??\s*$",
    re.IGNORECASE,
)
# A few words that point back at what was said ("best day to do it?", "那个要钱吗").
_POINTS_BACK = re.compile(r"\b(?:it|that|this|them|those|these)\b|这个|那个|它", re.IGNORECASE)
_FEW_WORDS = 8  # English words; Chinese is counted against _SHORT
# The topic's market or product, pointed at ("over there", "那边"): asked of it, however long.
_THERE = re.compile(
    r"\b(?:over there|out there|in that market|that market|that board|those stocks)\b|"
    r"^\s*(?:在|去)?(?:那边|那里|那儿)",  # not "银行那边": the bank's side
    re.IGNORECASE,
)
CHANNEL_CONCEPTS = frozenset({"branch", "online", "proxy"})  # what such a question may name
# The kinds of concept a question is about (what the rest of it asks of): a product or board,
# something done to an account, the kind of investor.
_SUBJECT_KINDS = frozenset({"instrument", "account_action", "investor_type"})
_SHORT = 10  # characters of content below which a message with a known concept is a follow-up
# A bare question of a few characters ("怎么买", "安全吗") asks about the topic.
_BARE = 6


class Topic(BaseModel):
    """What the conversation is about: the last question put to the knowledge base."""

    question: str
    concepts: list[str] = Field(default_factory=list)
    unit_id: str | None = Field(None, description="the entry that answered it; None: unanswered")
    intent: str | None = None
    account_kind: str | None = Field(
        None, description="the part of the investor's account it was answered from, if any"
    )
    scam: bool = Field(False, description="a scam the investor described and was warned about")

    @classmethod
    def of(cls, question: str, lexicon: Lexicon, *, about: str = "", **fields: object) -> Topic:
        """The topic ``question`` makes, with the concepts it names. ``about``: the question
        of the entry that answered it, whose concepts of kinds ``question`` leaves unnamed
        the topic takes too ("if I do the 1-day one on Thursday, how many days' interest?"
        is about reverse repos, as its answer is: "fees?" next asks a reverse repo's fees)."""
        named = lexicon.concepts_of(question).named
        if about:
            kinds = {lexicon.kind(c) for c in named}
            answered = lexicon.concepts_of(about).named
            named |= {
                c
                for c in answered
                if not lexicon.concepts[c].generic and lexicon.kind(c) not in kinds
            }
        return cls.model_validate({"question": question, "concepts": sorted(named), **fields})


@dataclass(frozen=True)
class FollowUp:
    """A message read against the topic."""

    question: str
    reason: str  # "replaced", "narrowed", "appended", "carried" (subject_carried)
    # Whether the message names a subject of its own ("怎么销户" does, "几点前交钱" does not):
    # one that does may be a new question after all, one that does not can only lean on the topic.
    own_subject: bool = True
    corrects: bool = False  # the message says the last answer was not what was asked
    # "港股通呢", "what about ETFs?": nothing but another subject and the words that lean on
    # the topic, so the topic's question asked of it; read alone it would only name a subject.
    same_question: bool = False
    # "要去营业部吗": asks how the topic's business is done, so it is read with the topic even
    # when, read alone, it looks more like another entry (booking a branch visit).
    depends: bool = False


def resolve_followup(
    text: str, topic: Topic | None, lexicon: Lexicon, *, states_fact: bool = False
) -> FollowUp | None:
    """The question ``text`` means in the light of ``topic``, or None if it stands alone.

    ``states_fact``: the message gives a fact about the investor ("我拿了20天"), which only
    means something together with the topic."""
    if topic is None:
        return None
    text = without_pleasantries(text) or text  # "谢谢 那深市呢" follows up like "那深市呢"
    stripped = what_it_adds(text)
    corrects = _CORRECTION.match(text) is not None
    if corrects:
        stripped = _RULED_OUT.sub("", stripped).strip() or stripped
    led = stripped != text.strip(" ，,。.?？!！")
    leaning = led or _TAIL.search(text) is not None
    content = len(re.sub(r"\s+", "", stripped))
    # Only facts about the investor ("我炒股一年多了 资产有二十万"): an answer to the topic,
    # whatever concepts its figures happen to name.
    only_facts = states_fact and not asks_something(stripped)
    matches = [] if only_facts else lexicon.find(stripped)
    channel = (
        _CHANNEL.search(stripped) is not None
        and {m.concept.id for m in matches} <= CHANNEL_CONCEPTS
    )
    if not matches or channel:
        bare = content <= _BARE and asks_something(stripped)
        points_back = _POINTS_BACK.search(stripped) is not None and (
            content <= _SHORT if has_cjk(stripped) else len(stripped.split()) <= _FEW_WORDS
        )
        elliptical = (
            _ELLIPTICAL.match(text) or _WHOSE_OBJECT_IS_THE_TOPIC.search(text) or points_back
        )
        if led or states_fact or bare or channel or elliptical:
            about = _topic_in_language_of(stripped or text, topic, lexicon)
            return FollowUp(
                f"{about} {stripped or text}".strip(),
                "appended",
                own_subject=False,
                depends=channel,
            )
        return None
    there = _THERE.search(text) is not None and not any(
        lexicon.kind(m.concept.id) in _SUBJECT_KINDS for m in matches
    )
    if not led and content > _SHORT and not there:
        if _WHOSE_OBJECT_IS_THE_TOPIC.search(text) and not lexicon.find(_last_clause(text)):
            # "有只票一直跌停卖不掉 还能销吗": a story, then the topic's question asked of it.
            about = _topic_in_language_of(stripped, topic, lexicon)
            return FollowUp(f"{about} {stripped}", "appended", own_subject=False)
        return None
    question = topic.question
    named = {match.concept.id for match in matches}
    # A concept the follow-up names itself stays ("and for ST stocks on ChiNext?" keeps ChiNext).
    topic_matches = [m for m in lexicon.find(question) if m.concept.id not in named]
    replaced = False
    # Only a message that is little more than its concepts takes their place in the topic
    # ("那科创板呢", "交易密码"); one that asks something of its own ("中了的话钱什么时候扣")
    # is asked of the topic's subject below.
    # A correction names what it meant, whatever it adds ("no wait i meant the fund pwd, the one
    # for moving money from my bank").
    for match in matches if corrects or _little_but(stripped, matches) else []:
        target = _same_kind(match, topic_matches, lexicon)
        if target is None:
            continue
        surface = re.compile(re.escape(target.surface), re.IGNORECASE)
        question = surface.sub(_name_of(match, has_cjk(question)), question, count=1)
        replaced = True
    same = leaning and _little_but(stripped, matches)
    chinese = _reads_chinese(stripped, matches)
    if replaced and chinese != has_cjk(topic.question):
        # "那深市呢" after an English question: the topic in the follow-up's language.
        about = _topic_in_language_of(stripped, topic, lexicon)
        return FollowUp(f"{about} {stripped}", "replaced", same_question=same)
    if replaced:
        return FollowUp(question, "replaced", corrects=corrects, same_question=same)
    if led or content <= _SHORT or there:
        # "交易时间跟A股一样吗" after "港股通开通要啥条件": asked of 港股通, not of its conditions;
        # so is "is it T+0 over there? any price limits?" after "how do i trade hk stocks".
        if names := _names(topic, lexicon, chinese, named, long=content > _SHORT):
            return FollowUp(
                f"{' '.join(names)} {stripped}", "appended", corrects=corrects, same_question=same
            )
        return FollowUp(
            f"{stripped} {topic.question}", "appended", corrects=corrects, same_question=same
        )
    return None


def subject_carried(text: str, topic: Topic | None, lexicon: Lexicon) -> FollowUp | None:
    """A message too long to be a follow-up that asks something of no subject of its own
    ("涨跌幅多少 代码啥开头的" after "北交所要咋开"), read as asked of the topic's subjects: one
    more reading, which the answerer takes only where the message alone finds nothing worth
    offering (``Answerer._carried``)."""
    if topic is None:
        return None
    stripped = what_it_adds(without_pleasantries(text) or text)
    matches = lexicon.find(stripped)
    if not asks_something(stripped) or any(
        lexicon.kind(m.concept.id) in _SUBJECT_KINDS for m in matches
    ):
        return None
    subjects = _subject_names(topic, lexicon, _reads_chinese(stripped, matches))
    if not subjects:
        return None
    return FollowUp(f"{' '.join(subjects)} {stripped}", "carried")


def _subject_names(topic: Topic, lexicon: Lexicon, chinese: bool) -> list[str]:
    """The topic's specific subjects (a product, an account action, a kind of investor), each
    by its first name in Chinese or English."""
    return [
        name
        for c in topic.concepts
        if c in lexicon.concepts
        and not lexicon.concepts[c].generic
        and lexicon.kind(c) in _SUBJECT_KINDS
        and (name := _first_name(lexicon.concepts[c], chinese))
    ]


# What a message says besides its concepts, when it only names them ("我说的是港股通").
_FILLER = re.compile(
    rf"{_SAID_IT_WAS}|的|了|啊|呀|吧|吗|呢|那|就|还有|也|是|"
    r"\b(?:the|a|an|on|in|for|of|s|what|about|and|how|i|mean|meant|no)\b|[，,。.?？!！]",
    re.IGNORECASE,
)
_LITTLE = 2  # Chinese characters besides its concepts and filler


def _little_but(text: str, matches: list[ConceptMatch]) -> bool:
    rest = text
    for match in sorted(matches, key=lambda m: m.start, reverse=True):
        rest = rest[: match.start] + " " + rest[match.end :]
    rest = _FILLER.sub(" ", rest)
    # Two characters of Chinese, one word of English ("and for an equity fund?").
    return len(rest.replace(" ", "")) <= _LITTLE if has_cjk(rest) else len(rest.split()) <= 1


def _name_of(match: ConceptMatch, chinese: bool) -> str:
    """What a concept is called in a question in Chinese or English: its first name there
    ("cyb" and "创业版" put into "主板涨跌停几个点" as "创业板"), or the surface typed."""
    return _first_name(match.concept, chinese) or match.surface


def _first_name(concept: Concept, chinese: bool) -> str | None:
    """A concept's first name (not a pattern) in Chinese or English, if it has one."""
    names = concept.zh if chinese else concept.en
    return next((name for name in names if not name.startswith("re:")), None)


def _reads_chinese(text: str, matches: list[ConceptMatch]) -> bool:
    """Whether a follow-up is Chinese: in Chinese characters, or in the pinyin abbreviations
    Chinese investors type for a concept ("cyb" is 创业板: "cyb" alone is no English)."""
    return has_cjk(text) or any(
        m.surface.lower() in {name.lower() for name in m.concept.zh} for m in matches
    )


def what_it_adds(text: str) -> str:
    """A follow-up without the words that lean on the topic: "那尾盘呢" adds "尾盘"."""
    stripped = _LEAD.sub("", text, count=1)
    return _TAIL.sub("", stripped).strip(" ，,。.?？!！")


def about_our_business(topic: Topic | None, lexicon: Lexicon) -> bool:
    """Whether a conversation with ``topic`` is about something a brokerage serves: the topic
    was answered from knowledge or from the investor's account, or names our business (a scam
    it is about is not)."""
    return (
        topic is not None
        and not topic.scam
        and (
            topic.unit_id is not None
            or topic.account_kind is not None
            or names_our_business(lexicon, topic.question)
        )
    )


def follows_answer(state: ConversationState, text: str, lexicon: Lexicon) -> bool:
    """Whether ``text`` follows up the last question the knowledge base answered."""
    topic = state.topic
    return (
        topic is not None
        and topic.unit_id is not None
        and (resolve_followup(text, topic, lexicon) is not None)
    )


def _topic_in_language_of(text: str, topic: Topic, lexicon: Lexicon) -> str:
    """The topic as it was asked, or, when the follow-up switches language ("那怎么买" after
    an English question), the topic's concepts named in the follow-up's language."""
    chinese = has_cjk(text)
    if chinese == has_cjk(topic.question):
        return topic.question
    return " ".join(_names(topic, lexicon, chinese)) or topic.question


def _last_clause(text: str) -> str:
    """What ``text`` says last: "还能销吗" in "有只票一直跌停卖不掉 还能销吗"."""
    clauses = [c for c in re.split(r"[\s，,。.!！?？;；]+", text) if c]
    return clauses[-1] if clauses else ""


def _names(
    topic: Topic,
    lexicon: Lexicon,
    chinese: bool,
    besides: set[str] | None = None,
    *,
    long: bool = False,
) -> list[str]:
    """The topic's specific concepts (other than ``besides``), each by its first name in
    Chinese or English. When ``besides`` (what the follow-up names) asks something of its own
    and names no subject, the topic's details of other kinds are left out: "要交印花税不" after
    "etf是t+0吗" asks it of ETFs, not of T+0. So are all its details when a ``long`` follow-up
    names nothing specific: "那香港放假 我们这边正常上班 能交易不" after "ggt能T+0不 有没有涨跌停"
    asks it of 港股通, not of its price limits."""
    besides = besides or set()
    kept = [
        lexicon.concepts[c]
        for c in topic.concepts
        if c in lexicon.concepts and not lexicon.concepts[c].generic and c not in besides
    ]
    own = [c for c in besides if c in lexicon.concepts and not lexicon.concepts[c].generic]
    kinds = {lexicon.kind(c) for c in own}
    if own and not kinds & _SUBJECT_KINDS:
        # A detail of another kind than the one asked goes (T+0 for stamp duty); one of the
        # same kind stays, as what the question builds on (中签 for 缴款).
        kept = [c for c in kept if c.kind in _SUBJECT_KINDS | kinds] or kept
    elif long and not own and (subjects := _subject_names(topic, lexicon, chinese)):
        return subjects
    return [name for concept in kept if (name := _first_name(concept, chinese))]


def _same_kind(
    match: ConceptMatch, in_topic: list[ConceptMatch], lexicon: Lexicon
) -> ConceptMatch | None:
    """The concept of the topic that ``match`` takes the place of: one of the same kind, or a
    broader one it narrows (交易密码 for 密码)."""
    concept = match.concept
    for candidate in in_topic:
        if candidate.concept.id == concept.id:
            return None  # already the topic's: nothing to replace
    for candidate in in_topic:
        if candidate.concept.id in concept.implies:
            return candidate
    for candidate in in_topic:
        # Only alike replace each other: a generic concept a generic one of its kind (深市 for
        # 沪市), a specific one a specific one (科创板 for 创业板). "账户" is not "创业板", and
        # "what about weekends" after the trading hours asks the hours at the weekend.
        if candidate.concept.kind == concept.kind and candidate.concept.generic == concept.generic:
            return candidate
    return None


def about_another_subject(
    text: str, topic: Topic, entry_text: str, lexicon: Lexicon, said_before: Sequence[str] = ()
) -> bool:
    """Whether an entry found for ``text`` as typed is about something else than the
    conversation, when ``text`` names no subject of its own and the topic does: "要交税吗" after
    an inheritance is not answered by the entry on tax on share trading, nor "周末能补吗" after
    the margin call line by the holiday calendar. An entry that shares a specific concept with
    the topic or with what the investor said before is still about the conversation ("一天能测
    几次" after "提示风险测评过期了": the entry on redoing the assessment). ``entry_text`` is
    what the entry is about (its question and phrasings): an answer that mentions the topic's
    subject in passing ("可转债…T+0" in the stock T+1 entry) is not about it."""

    def specific(of: str) -> frozenset[str]:
        return _specific(lexicon.concepts_of(of).all, lexicon)

    about = specific(" ".join((topic.question, *said_before)))
    return (
        bool(_subjects(specific(topic.question), lexicon))
        and not _subjects(specific(text), lexicon)
        and not about & specific(entry_text)
    )


def drops_a_subject(text: str, part: str, for_part: str, for_text: str, lexicon: Lexicon) -> bool:
    """Whether reading only ``part`` of ``text`` leaves out a subject ``text`` names (an
    instrument, an account action, a kind of investor) that the entry found for the whole
    (``for_text``) names and the entry found for the part (``for_part``) does not:
    "钱能马上取吗" in "你们那个现金理财 钱能马上取吗 跟余额宝一样?" asks about the money-market
    product, not about the cash from a sale of shares."""
    left_out = lexicon.concepts_of(text).named - lexicon.concepts_of(part).all
    subjects = _subjects(_specific(left_out, lexicon), lexicon)
    return bool(
        subjects & lexicon.concepts_of(for_text).all
        and not subjects & lexicon.concepts_of(for_part).all
    )


def misses_the_question(text: str, topic: Topic, entry_text: str, lexicon: Lexicon) -> bool:
    """Whether an entry found for a follow-up that asks the topic's question of another
    subject ("and for reverse repo?" after the trading hours) leaves out what the topic asked
    (the hours): the entry on what a reverse repo is does not answer it."""

    def details(of: str) -> frozenset[str]:
        specific = _specific(lexicon.concepts_of(of).all, lexicon)
        return specific - _subjects(specific, lexicon)

    named = details(text)
    # A detail of a kind the follow-up names is replaced by it ("那尾盘呢" after the opening
    # auction), not asked again.
    replaced = {lexicon.kind(c) for c in named}
    asked = {c for c in details(topic.question) - named if lexicon.kind(c) not in replaced}
    return bool(asked) and not asked & lexicon.concepts_of(entry_text).all


def _specific(concepts: Iterable[str], lexicon: Lexicon) -> frozenset[str]:
    """``concepts`` less the generic ones (密码, 委托), which tell no entry from another."""
    return frozenset(c for c in concepts if not lexicon.concepts[c].generic)


def _subjects(concepts: Iterable[str], lexicon: Lexicon) -> frozenset[str]:
    """Those of ``concepts`` a question is about (:data:`_SUBJECT_KINDS`)."""
    return frozenset(c for c in concepts if lexicon.kind(c) in _SUBJECT_KINDS)
