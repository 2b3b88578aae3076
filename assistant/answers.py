"""Grounded answers: every sentence comes from the knowledge base or a template.

Without an LLM the assistant answers with the part of the best entry that answers (or the
document sentences that do), as the firm wrote it, and cites it. Whether an entry answers
*this* question is the retriever's answerability (``RetrievedPassage.confidence``, see
:mod:`knowledge.answerability`), not its similarity: with no entry above ``answer_at`` the
reply says plainly that it does not know and offers a person; with a couple of plausible
entries it asks which one is meant, offering only those.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from assistant.dialogue_models import Action, BotReply, Language, SourceRef
from assistant.message_reading import CLOSING_BU, asks_something
from assistant.templates import PERSON_OPTION, template
from knowledge.documents import KnowledgeUnit, RetrievedPassage, UnitKind
from knowledge.lexicon import Lexicon, bundled_lexicon
from text.language import CJK_CHARACTERS, has_cjk


@dataclass(frozen=True)
class ComposedAnswer:
    text: str
    action: Action
    sources: list[SourceRef]
    quick_replies: list[str]
    confident: bool
    gap: bool = field(default=False, kw_only=True)
    """Nothing in the knowledge base answers: a question for the curators."""
    handoff: bool = field(default=False, kw_only=True)
    """The entry answered says a person must take it from here."""


# Clauses break at punctuation, and at spaces that touch Chinese ("换号了 收不到yzm"), not
# at the spaces between English words.
_CLAUSE_BREAK = re.compile(
    rf"[，,。！!？?；;…~～]+\s*|(?<=[{CJK_CHARACTERS}])\s+|\s+(?=[{CJK_CHARACTERS}])"
    r"|(?<=[.])\s+(?=[A-Za-z])"
)


def clauses(text: str) -> list[str]:
    """The clauses of ``text``, as typed."""
    return [clause for clause in _CLAUSE_BREAK.split(text) if clause.strip()]


def asks(clause: str) -> bool:
    """Whether ``clause`` asks something: a question word, or a yes-or-no question."""
    return asks_something(clause) or asks_yes_no(clause)


def _asks_twice(question: str) -> bool:
    """Whether ``question`` asks two things, in clauses of their own ("啥意思 是要退市了吗")."""
    return sum(asks(clause) for clause in clauses(question)) >= 2


def source_ref(passage: RetrievedPassage) -> SourceRef:
    return SourceRef(
        id=passage.unit.id,
        source=passage.unit.source,
        title=passage.unit.title,
        score=round(passage.score, 4),
        confidence=round(passage.confidence, 4),
    )


_EXCHANGE = ZoneInfo("Asia/Shanghai")


def exchange_today() -> date:
    """Today on the exchanges' calendar (Beijing time), whatever the server's zone."""
    return datetime.now(_EXCHANGE).date()


def not_known(language: Language) -> ComposedAnswer:
    """The honest reply when nothing answers: say so, and offer a person."""
    return ComposedAnswer(
        template("not_known", language),
        Action.ANSWER,
        [],
        [PERSON_OPTION[language]],
        False,
        gap=True,
    )


# A bare yes or no opening an entry's answer ("不会。", "不一定，", "Yes,"): it answers the
# entry's own question, which may not be the one asked.
_POLARITY_LEAD = re.compile(
    r"^\s*(?:不会|会的?|不能|能|可以|不可以|需要|不需要|不用|有|没有|是的?|不是|不一定|一般不会|"
    r"要交|不交|不用交|要收|不收|收取|免收|要的|不要|行|不行|对|不对|"
    r"yes|no|not necessarily|usually not)\s*[。，,.!！;；]\s*",
    re.IGNORECASE,
)


def without_polarity_lead(text: str) -> str:
    """``text`` without a bare yes or no at its start (see :data:`_POLARITY_LEAD`)."""
    return _POLARITY_LEAD.sub("", text, count=1) or text


_YES_NO_QUESTION = re.compile(
    rf"吗|么[?？]?\s*$|{CLOSING_BU}|能不能|可不可以|是不是|会不会|有没有|要不要|需不需要|是否|"
    r"([^\s不吗])不\1|(?:行|好|对|可以|能|会|要|算|够)不\s*[?？]*\s*$|"
    r"^\s*(?:can|could|may|is|are|do|does|did|will|would|should|must|have|has)\b",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;\n])|(?<=\.)\s+(?=[A-Z])")
_FULL_STOP = re.compile(r"(?<=[。！？!?\n])|(?<=\.)\s+(?=[A-Z])")  # not at a semicolon
_MAX_CHUNK_SENTENCES = 3
_SAME_LANGUAGE = 0.15  # how much likelier an other-language entry must be to be preferred


def asks_yes_no(question: str) -> bool:
    return _YES_NO_QUESTION.search(question) is not None


_MOST_ASPECTS = 4  # entries offered for a topic named alone


class GroundedComposer:
    """Chooses between answering, asking which entry is meant, and saying it does not know.

    ``answer_at``: answerability from which the best entry is given outright, even with
    other plausible entries around.
    ``clarify_at``: below it an entry is not offered even as a choice; above it, the best
    entry is given when no other is plausible, and a choice is offered when some are.
    ``ambiguity_margin``: a different entry within this much of the best makes the answer
    ambiguous unless the best is above ``sure_at``.
    """

    def __init__(
        self,
        *,
        answer_at: float = 0.3,
        clarify_at: float = 0.2,
        sure_at: float = 0.45,
        ambiguity_margin: float = 0.05,
        lexicon: Lexicon | None = None,
        today: Callable[[], date] | None = None,
    ) -> None:
        self.answer_at = answer_at
        self.clarify_at = clarify_at
        self.sure_at = sure_at
        self.ambiguity_margin = ambiguity_margin
        self.lexicon = lexicon or bundled_lexicon()
        self.today: Callable[[], date] = today or exchange_today

    def surely_answers(self, reply: BotReply) -> bool:
        """Whether ``reply`` answers from an entry this composer is sure of."""
        return self.answers_from_entry(reply) and reply.sources[0].confidence >= self.sure_at

    def answers_from_entry(self, reply: BotReply) -> bool:
        """Whether ``reply`` gives an entry outright (not a choice, not "I don't know")."""
        return (
            reply.action is Action.ANSWER
            and bool(reply.sources)
            and reply.sources[0].confidence >= self.answer_at
        )

    def answerable(self, passages: Sequence[RetrievedPassage]) -> bool:
        """Whether the best passage answers well enough to be given outright."""
        return bool(passages) and passages[0].confidence >= self.answer_at

    def compose(
        self,
        passages: Sequence[RetrievedPassage],
        language: Language,
        *,
        question: str = "",
        preface: str = "",
        strict: bool = False,
        focus: frozenset[str] = frozenset(),
    ) -> ComposedAnswer:
        """The reply from ``passages`` to ``question``; ``preface`` goes before an answer
        (what follows from facts the investor stated). ``strict``: the question looks off
        topic, so only an entry above ``answer_at`` is given. ``focus``: concepts a follow-up
        asks about; the best entry is cut to its sentences about them (see
        :meth:`relevant_part`)."""
        if not passages or passages[0].confidence < self.clarify_at:
            return not_known(language)
        passages = _answer_before_handoff(
            self._own_language_first(passages, language), self.answer_at
        )
        top = passages[0]
        plausible = [
            p
            for p in passages[1:3]
            if p.unit.title != top.unit.title and p.confidence >= self.clarify_at
        ]
        rivals = [p for p in plausible if top.confidence - p.confidence <= self.ambiguity_margin]
        # Below answer_at the best entry is still given when nothing else is plausible: a
        # menu of one is a question the investor has to answer for no gain. Not an entry
        # that hands the conversation to a person: a wrong one costs a colleague's time.
        # Nor for a question that names nothing the lexicon knows ("and what happens to the
        # acct if i move back to germany"): a nearby entry is then all the evidence there is.
        alone = (
            not plausible
            and not strict
            and not top.unit.handoff
            and bool(self.lexicon.concepts_of(question or top.unit.title).named)
        )
        if (top.confidence >= self.answer_at or alone) and not (
            rivals and top.confidence < self.sure_at
        ):
            text = self._answer_text(top, language, question, focus)
            if preface:
                text = f"{preface}\n{text}"
            return ComposedAnswer(
                text, Action.ANSWER, [source_ref(top)], [], True, handoff=top.unit.handoff
            )
        if len(plausible) == 1 and not strict and not preface and _asks_twice(question):
            # "中了要咋缴款 不交会怎样": two questions, and just two entries likely enough, each
            # maybe the answer to one of them; both answers beat a menu of the two (with a
            # third in the running it is a guess which two, and the menu stays).
            both = [top, plausible[0]]
            if not any(p.unit.handoff or p.unit.lang not in ("", language) for p in both):
                text = "\n\n".join(self._answer_text(p, language, question) for p in both)
                return ComposedAnswer(text, Action.ANSWER, [source_ref(p) for p in both], [], True)
        return self._clarify([top, *plausible], language)

    def aspects(
        self, passages: Sequence[RetrievedPassage], concept: str, named: str, language: Language
    ) -> ComposedAnswer | None:
        """For a message that only names a topic ("逆回购"): the entries about it, as a menu
        of what the investor may want to know; None when fewer than two are about it."""
        about = [
            p
            for p in passages
            if (not p.unit.lang or p.unit.lang == language)
            and concept in self.lexicon.concepts_of(p.unit.title).all
        ]
        titles = list(dict.fromkeys(p.unit.title for p in about))[:_MOST_ASPECTS]
        if len(titles) < 2:
            return None
        shown = [next(p for p in about if p.unit.title == title) for title in titles]
        return ComposedAnswer(
            template("which_aspect", language).format(topic=named),
            Action.CLARIFY,
            [source_ref(p) for p in shown],
            [*titles, PERSON_OPTION[language]],
            False,
        )

    def _own_language_first(
        self, passages: Sequence[RetrievedPassage], language: Language
    ) -> list[RetrievedPassage]:
        """The best entry in the investor's language when it is about as likely as a better
        one in the other language (a firm's FAQ often has both versions)."""
        top = passages[0]
        if not top.unit.lang or top.unit.lang == language:
            return list(passages)
        for passage in passages[1:]:
            close = passage.confidence >= max(self.clarify_at, top.confidence - _SAME_LANGUAGE)
            if close and passage.unit.lang == language:
                return [passage, *(p for p in passages if p is not passage)]
        return list(passages)

    def _clarify(self, options: list[RetrievedPassage], language: Language) -> ComposedAnswer:
        """Offer the plausible entries, in the investor's language, and a person."""
        same_language = [p for p in options if not p.unit.lang or p.unit.lang == language]
        shown = same_language or options[:1]
        titles = list(dict.fromkeys(p.unit.title for p in shown))
        lead = template("clarify" if len(titles) > 1 else "clarify_one", language)
        if len(titles) == 1 and shown[0].unit.lang and shown[0].unit.lang != language:
            lead = f"{lead}\n{template('cross_lingual', language)}"
        return ComposedAnswer(
            lead,
            Action.CLARIFY,
            [source_ref(p) for p in shown],
            [*titles, PERSON_OPTION[language]],
            False,
        )

    def _answer_text(
        self,
        passage: RetrievedPassage,
        language: Language,
        question: str,
        focus: frozenset[str] = frozenset(),
    ) -> str:
        unit = passage.unit
        parts: list[str] = []
        if unit.lang and unit.lang != language:
            parts.append(template("cross_lingual", language))
        parts.append(self.relevant_part(passage, question, focus))
        if unit.review_by is not None and self.today() > unit.review_by:
            # The entry names the date its rule was due to be checked, and it has passed.
            parts.append(
                template("past_review", language).format(updated=unit.updated_at or unit.review_by)
            )
        label = unit.title if unit.kind is UnitKind.FAQ else f"{unit.source} › {unit.title}"
        parts.append(f"{template('sources', language)}{label}")
        return "\n".join(parts)

    def relevant_part(
        self, passage: RetrievedPassage, question: str, focus: frozenset[str] = frozenset()
    ) -> str:
        """The part of the unit that answers ``question``.

        A FAQ answer is kept whole (the firm wrote it as one answer), except a bare yes or
        no at its start when the investor did not ask a yes-or-no question, and except for a
        follow-up about ``focus`` (concepts the answer already shown did not ask about): then
        only its sentences about them, the rest having just been read. A document chunk is
        cut to the sentences that share the question's concepts (or, failing that, its first
        sentences).
        """
        text = passage.unit.text.strip()
        if question and not asks_yes_no(question):
            trimmed = _POLARITY_LEAD.sub("", text, count=1)
            if trimmed and trimmed != text:
                text = trimmed
        if focus and (about := self.sentences_about(text, focus)):
            return about
        if passage.unit.kind is UnitKind.FAQ and question:
            return self._answering_first(passage.unit, text, question)
        if passage.unit.kind is UnitKind.FAQ or not question:
            return text
        sentences = _sentences(text)
        if len(sentences) <= _MAX_CHUNK_SENTENCES:
            return text
        wanted = self.lexicon.concepts_of(question).all
        scored = [
            (len(wanted & self.lexicon.concepts_of(s).all), -i, s) for i, s in enumerate(sentences)
        ]
        best = sorted(scored, reverse=True)[:_MAX_CHUNK_SENTENCES]
        if not best or best[0][0] == 0:
            return _joined(sentences[:_MAX_CHUNK_SENTENCES], text)
        keep = sorted(-position for score, position, _ in best if score > 0)
        return _joined([sentences[i] for i in keep], text)

    def _answering_first(self, unit: KnowledgeUnit, text: str, question: str) -> str:
        """The entry's answer with the sentences about what the question narrows it to put
        first: "创业板新股上市首日有涨跌幅限制吗" is answered by the second sentence of an entry
        on when new shares list. The narrowing concepts are the question's specific ones
        that the entry is not about as a whole (its own question and phrasings do not name
        them) and that some of its sentences, not the first, name."""
        if asks_yes_no(question) and _POLARITY_LEAD.match(text):
            return text  # "不能。…": the yes or no the question asks for comes first
        named = self.lexicon.concepts_of(question).named
        about = self.lexicon.concepts_of("\n".join([unit.title, *unit.questions])).all
        narrowing = {c for c in named - about if not self.lexicon.concepts[c].generic}
        sentences = _sentences(_POLARITY_LEAD.sub("", text, count=1), _FULL_STOP)
        if not narrowing or len(sentences) < 2:
            return text
        first = [s for s in sentences if narrowing & self.lexicon.concepts_of(s).all]
        if not first or first[0] == sentences[0]:
            return text
        return _joined([*first, *(s for s in sentences if s not in first)], text)

    def sentences_about(self, text: str, concepts: frozenset[str]) -> str:
        """The sentences of ``text`` that name one of ``concepts`` (empty: none does)."""
        about = [s for s in _sentences(text) if concepts & self.lexicon.concepts_of(s).all]
        return _joined(about, text)


_ANSWER_OVER_HANDOFF = 0.15
"""How much likelier an entry that hands over to a person must be than one that answers, for
the hand-over to be given: "维持担保比例掉到多少会被强平" asks the rule (the FAQ entry), not for a
colleague to read the investor's own ratio (the hand-over entry a little above it)."""


def _answer_before_handoff(
    passages: Sequence[RetrievedPassage], answer_at: float
) -> list[RetrievedPassage]:
    """``passages`` with an entry that answers outright (from ``answer_at``) put before a
    hand-over entry that is barely likelier."""
    top = passages[0]
    if not top.unit.handoff:
        return list(passages)
    answer = next(
        (
            p
            for p in passages[1:3]
            if not p.unit.handoff
            and p.confidence >= answer_at
            and top.confidence - p.confidence <= _ANSWER_OVER_HANDOFF
        ),
        None,
    )
    if answer is None:
        return list(passages)
    return [answer, *(p for p in passages if p is not answer)]


def _sentences(text: str, breaks: re.Pattern[str] = _SENTENCE_END) -> list[str]:
    return [s.strip() for s in breaks.split(text) if s.strip()]


def _joined(sentences: list[str], text: str) -> str:
    """``sentences`` of ``text`` put back together (no spaces between Chinese ones)."""
    return ("" if has_cjk(text) else " ").join(sentences)
