"""Answering one question from the knowledge base, in the light of the conversation.

:class:`Answerer` decides which question is being asked (as typed, or a follow-up read
against the topic: :mod:`assistant.context`), retrieves for it, and composes the reply:
grounded (:class:`~assistant.answers.GroundedComposer`), or written by the LLM when one is
configured. The LLM is only asked when some passage plausibly answers, and what it says is
checked rather than trusted: an answer must cite a passage it was shown and state no figure
that passage lacks, or the grounded reply is used; a decline stands unless the grounded
evidence is sure.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

from assistant.answers import ComposedAnswer, GroundedComposer, asks, clauses, not_known
from assistant.context import (
    CHANNEL_CONCEPTS,
    FollowUp,
    Topic,
    about_another_subject,
    drops_a_subject,
    misses_the_question,
    resolve_followup,
    subject_carried,
    what_it_adds,
)
from assistant.dialogue_models import Action, ConversationState, Language, Speaker
from assistant.message_reading import bare_concept, only_names
from assistant.stated_facts import (
    StatedFacts,
    asks_eligibility,
    read_stated_facts,
    what_follows,
)
from knowledge.documents import KnowledgeUnit, RetrievedPassage
from knowledge.lexicon import Lexicon

if TYPE_CHECKING:  # LangChain and openai load only when an LLM is configured
    from assistant.llm import LlmComposer

Retrieve = Callable[[str], list[RetrievedPassage]]
EmbedAhead = Callable[[str, Sequence[str]], None]
"""Embeds a message (classified and searched) and its other readings (searched) together."""


_Reading = tuple[str, FollowUp | None, list[RetrievedPassage], frozenset[str]]
"""The question read, the follow-up it is (if any), what it found, the concepts asked anew."""


class AnswerStream(Protocol):
    """Receives an LLM answer while the model writes it (a channel shows it as it grows).

    The whole reply still comes back from :meth:`DialoguePolicy.respond` and is
    the one that counts: it has passed the compliance guard, which the pieces
    have not. ``reset`` means drop what was shown: the model failed part-way
    and the grounded answer follows instead.
    """

    async def chunk(self, delta: str) -> None: ...

    async def reset(self) -> None: ...


@dataclass(frozen=True)
class Answered:
    """The composed reply, what it was composed from, and the question it answers."""

    composed: ComposedAnswer
    passages: list[RetrievedPassage]
    question: str
    followup: FollowUp | None


class Answerer:
    """Turns a question into a composed reply from the knowledge base."""

    def __init__(
        self,
        *,
        retrieve: Retrieve,
        composer: GroundedComposer,
        lexicon: Lexicon,
        llm: LlmComposer | None = None,
        embed_ahead: EmbedAhead | None = None,
    ) -> None:
        """``embed_ahead`` embeds a message and its other readings in one model call before the
        turn classifies and searches them (one call for two questions costs less than two)."""
        self.retrieve = retrieve
        self.composer = composer
        self.lexicon = lexicon
        self.llm = llm
        self.embed_ahead = embed_ahead

    async def answer(
        self,
        state: ConversationState,
        text: str,
        language: Language,
        *,
        category: str | None = None,
        stream: AnswerStream | None = None,
        strict: bool = False,
    ) -> Answered:
        """``strict``: the question looks off topic; answer only from a clearly fitting entry.

        What the investor says about themselves ("我炒股3个月了") is kept with the
        conversation: a follow-up ("资产有80万", "那科创板呢") is read against all of it."""
        said = read_stated_facts(text)
        known = StatedFacts.from_record(state.stated_facts).updated_by(said)
        state.stated_facts = known.to_record()
        question, followup, passages, focus = await self._reading(state, text, bool(said))
        about = passages[0].unit.category if passages else category
        if followup is not None and state.topic is not None and state.topic.intent:
            about = state.topic.intent  # "那我还要等多久" is still about the topic's permission
        # Facts stated earlier answer a later question that asks what they decide (whether
        # the investor may open a permission); an age told for someone's account opening
        # only the follow-ups of it ("那我用我的户给他炒行不" is no longer about it).
        if said or followup is not None:
            recalled = known
        elif asks_eligibility(question):
            recalled = replace(known, age=None)
        else:
            recalled = said
        preface = what_follows(recalled, question, about, language)
        composed: ComposedAnswer | None = None
        if followup is None and not said and (named := bare_concept(self.lexicon, text)):
            # "逆回购" and nothing else: which part of it, rather than a guess at one.
            composed = self.composer.aspects(passages, named.concept.id, named.surface, language)
        if (
            composed is None
            and self.llm is not None
            and passages
            and passages[0].confidence >= self.composer.clarify_at
        ):
            composed = await self._from_llm(self.llm, question, passages, language, stream)
        if composed is None:
            # A follow-up of a topic already answered is about our business, whatever the
            # classifier made of its few words; but a few words put after the topic are weak
            # evidence, so only an entry that clearly answers is given for them.
            appended = followup is not None and followup.reason == "appended" and not said
            composed = self.composer.compose(
                passages,
                language,
                question=question,
                preface=preface or "",
                strict=appended or (strict and followup is None),
                focus=focus,
            )
        elif preface and composed.confident:
            composed = _prefaced(composed, preface)
        if (
            preface
            and (followup is not None or said)
            and not composed.confident
            and not (composed.action is Action.CLARIFY and _already_told(state, preface))
        ):
            # What the facts the investor gave mean is itself the answer ("那我还要等多久"
            # after "我炒股一年了"), though no entry adds to it. Once it has been said, entries
            # that may answer come first: "那用我的身份证开一个给他用" after "我儿子17岁
            # 能开户吗" asks something else, and the same words again would not answer it.
            composed = ComposedAnswer(preface, Action.ANSWER, [], [], True)
        answered = (
            composed.action is Action.ANSWER and composed.confident and bool(composed.sources)
        )
        kept = state.topic.intent if followup is not None and state.topic else None
        state.topic = Topic.of(
            question,
            self.lexicon,
            about=passages[0].unit.title if answered else "",
            unit_id=passages[0].unit.id if answered else None,
            intent=(passages[0].unit.category if answered else None) or kept or category,
        )
        return Answered(composed, passages, question, followup)

    async def _reading(self, state: ConversationState, text: str, states_fact: bool) -> _Reading:
        """The question as typed, as a follow-up, or only its asking part, whichever the
        knowledge base answers best (a short message may be a follow-up; a long one may
        wrap its question in a story: "…卖给别人吗 我老接到推销电话"); and, for a follow-up,
        the concepts it asks about anew (the entry just shown may answer it elsewhere)."""
        focus: frozenset[str] = frozenset()
        followup, asked = self._readings(state, text, states_fact)
        # Every reading is searched at once (a search waits mostly on the index, and the
        # readings' vectors were embedded together: DialoguePolicy's embed_ahead).
        meant = followup.question if followup else None
        readings = list(dict.fromkeys(r for r in (text, meant, asked) if r))
        found = await asyncio.gather(*(asyncio.to_thread(self.retrieve, r) for r in readings))
        results = dict(zip(readings, found, strict=True))
        passages = results[text]
        typed = passages[0].confidence if passages else 0.0
        won, followup = self._carried(state, followup, results, typed)
        if won is not None:
            return won
        if followup is not None:
            if state.topic is not None and passages:
                top = passages[0].unit
                said = [
                    t.text for t in state.turns if t.speaker is Speaker.INVESTOR and t.text != text
                ]
                entry = " ".join((top.title, *top.questions))  # what it is about
                if about_another_subject(text, state.topic, entry, self.lexicon, said) or (
                    followup.same_question
                    and misses_the_question(text, state.topic, entry, self.lexicon)
                ):
                    typed = 0.0  # whatever it answers, it is not what the conversation is about
            resolved = results[followup.question]
            names_it = False
            if followup.corrects and state.topic is not None:
                resolved = [p for p in resolved if p.unit.id != state.topic.unit_id]
            if followup.reason == "appended" and state.topic is not None and not states_fact:
                # The entry that answered the topic, again, would repeat the last answer to
                # a message that asks something more ("安全吗", "怎么办理"); a fact the
                # investor gives ("我拿了20天") is read against that same entry.
                # Unless the entry asks it too: "不参与会怎样" after "要配股 我要做啥" is the rest
                # of "要配股，怎么操作？不参与会怎样？".
                # Or another of its sentences answers what the message asks anew: "遇到周末呢"
                # after the regular-investment entry, which says a weekend debit moves on
                # (that sentence is then the answer, not the whole entry again).
                adds = _EDGE_FILLER.sub("", what_it_adds(text).lower())
                focus = self._asked_anew(text, state.topic)
                if followup.depends:  # "手机上能开吗": the entry's sentence on where it is done
                    focus |= CHANNEL_CONCEPTS
                resolved = [
                    p
                    for p in resolved
                    if p.unit.id != state.topic.unit_id
                    or (len(adds) >= _ASKED_IN_ENTRY and _asks_too(p.unit, adds))
                    or (focus and self.composer.sentences_about(p.unit.text, focus))
                ]
                if any(
                    p.unit.id != state.topic.unit_id and p.confidence >= self.composer.answer_at
                    for p in resolved
                ):
                    # Another entry answers it outright: that one, not a part of the last.
                    resolved = [p for p in resolved if p.unit.id != state.topic.unit_id]
                elif focus and (typed < self.composer.answer_at or followup.depends):
                    # Nothing answers it outright, and the entry just read names what the
                    # message asks anew ("and etfs?" after the T+1 entry, which says which
                    # ETFs are T+0): that sentence is the answer, however little the topic's
                    # words and the message's read together look like the entry's question.
                    resolved = _focused_first(resolved, state.topic.unit_id, self.composer)
            elif followup.reason == "replaced" and state.topic is not None and not states_fact:
                # "and bse?" after the price limits of every board: when nothing answers the
                # BSE's outright and the entry just read names it in a sentence, that sentence.
                focus = self._asked_anew(text, state.topic)
                shown = next((p for p in resolved if p.unit.id == state.topic.unit_id), None)
                if (
                    shown is not None
                    and focus
                    and all(p.confidence < self.composer.answer_at for p in resolved)
                    and self.composer.sentences_about(shown.unit.text, focus)
                ):
                    resolved = _focused_first(
                        resolved, state.topic.unit_id, self.composer, alone=True
                    )
                    names_it = True  # the sentence is the answer, however the words alone read
            # A message that names nothing of its own ("几点前交钱") leans on the topic: read
            # with it, unless as typed it is clearly likelier to ask something else ("钱没
            # 准备够，没缴上会怎么样"). Facts alone ("I have 600k") only mean the topic.
            best = resolved[0].confidence if resolved else 0.0
            leans = (
                (
                    not followup.own_subject
                    and (states_fact or followup.depends or best >= typed - _LEAN)
                )
                or (followup.same_question and best >= self.composer.clarify_at)
                or names_it
            )
            if resolved and (best >= typed or leans):
                if states_fact and state.topic is not None and not asks(text):
                    # Only a fact ("资产有80万"): it answers to the entry just given.
                    resolved = _first(resolved, state.topic.unit_id)
                # The focus holds only for the entry just shown, given again in part: for
                # another subject in the topic's place too ("and bse?" after the entry on
                # STAR's and the BSE's order sizes gets the BSE's sentence).
                again = state.topic is not None and resolved[0].unit.id == state.topic.unit_id
                if again and followup.reason == "replaced" and state.topic is not None:
                    focus = self._asked_anew(text, state.topic)
                return followup.question, followup, resolved, focus if again else frozenset()
        if asked is not None and self._asking_part_answers(text, asked, results, typed):
            return asked, None, results[asked], frozenset()
        return text, None, passages, frozenset()

    def _asking_part_answers(
        self, text: str, asked: str, results: dict[str, list[RetrievedPassage]], typed: float
    ) -> bool:
        """Whether the asking part of ``text`` alone finds an answer, and a better one than
        the whole, without leaving out a subject the whole's entry names."""
        narrowed, passages = results[asked], results[text]
        return bool(
            narrowed
            and narrowed[0].confidence >= max(typed, self.composer.answer_at)
            and not (
                typed >= self.composer.clarify_at
                and drops_a_subject(
                    text,
                    asked,
                    f"{narrowed[0].unit.title}\n{narrowed[0].unit.text}",
                    f"{passages[0].unit.title}\n{passages[0].unit.text}",
                    self.lexicon,
                )
            )
        )

    def _carried(
        self,
        state: ConversationState,
        followup: FollowUp | None,
        results: dict[str, list[RetrievedPassage]],
        typed: float,
    ) -> tuple[_Reading | None, FollowUp | None]:
        """The topic's subject put to a message too long to lean on it (``subject_carried``):
        the reading, taken only where the message alone finds nothing worth offering and the
        reading an answer that is not the entry just given again (its subject is all the
        reading adds); else the follow-up to go on with (None for a carried one)."""
        if followup is None or followup.reason != "carried":
            return None, followup
        shown = state.topic.unit_id if state.topic else None
        carried = [p for p in results[followup.question] if p.unit.id != shown]
        if (
            carried
            and typed < self.composer.clarify_at
            and carried[0].confidence >= self.composer.answer_at
        ):
            return (followup.question, followup, carried, frozenset()), None
        return None, None

    def _asked_anew(self, text: str, topic: Topic) -> frozenset[str]:
        """The concepts a follow-up names that its topic's question did not."""
        named = self.lexicon.concepts_of(what_it_adds(text)).named
        return frozenset(named - self.lexicon.concepts_of(topic.question).all)

    def embed_readings(self, state: ConversationState, text: str) -> None:
        """Embed ``text`` and :meth:`other_readings` together (nothing without ``embed_ahead``)."""
        if self.embed_ahead is not None and (others := self.other_readings(state, text)):
            self.embed_ahead(text, others)

    def other_readings(self, state: ConversationState, text: str) -> list[str]:
        """What :meth:`answer` may search for besides ``text`` itself: the message read as a
        follow-up of the topic, and its asking part (known before anything is searched, so
        a turn can embed them all in one model call)."""
        followup, asked = self._readings(state, text, bool(read_stated_facts(text)))
        readings = [followup.question if followup else None, asked]
        return [reading for reading in dict.fromkeys(readings) if reading and reading != text]

    def _readings(
        self, state: ConversationState, text: str, states_fact: bool
    ) -> tuple[FollowUp | None, str | None]:
        """``text`` read as a follow-up of the topic, and its asking part (each None when
        there is no such reading)."""
        followup = resolve_followup(
            text, state.topic, self.lexicon, states_fact=states_fact
        ) or subject_carried(text, state.topic, self.lexicon)
        return followup, self.asking_part(text)

    def asking_part(self, text: str) -> str | None:
        """The clauses of ``text`` that ask something, when some of them do not (a story,
        a complaint or a greeting around the question); ``None`` when that is all of it."""
        parts = clauses(text)
        asking = [c for c in parts if asks(c) and not only_names(self.lexicon, c)]
        if not asking or len(asking) == len(parts):
            return None
        joined = " ".join(asking)
        return joined if len(joined) >= _SHORTEST_QUESTION else None

    async def _from_llm(
        self,
        llm: LlmComposer,
        question: str,
        passages: list[RetrievedPassage],
        language: Language,
        stream: AnswerStream | None,
    ) -> ComposedAnswer | None:
        """The model's answer if it holds up, ``None`` for the grounded one."""
        drafted = (
            await self._stream_llm(llm, question, passages, language, stream)
            if stream is not None
            else await llm.compose(question, passages, language)
        )
        if drafted is None:
            return None
        if not drafted.confident:  # the model declined
            return (
                None
                if self.composer.answerable(passages) and _sure(passages, self.composer)
                else not_known(language)
            )
        if not _supported(drafted, passages):
            if stream is not None:
                await stream.reset()
            return None
        return drafted

    @staticmethod
    async def _stream_llm(
        llm: LlmComposer,
        question: str,
        passages: Sequence[RetrievedPassage],
        language: Language,
        stream: AnswerStream,
    ) -> ComposedAnswer | None:
        """The LLM's answer, shown piece by piece; ``None`` (after a reset) to answer grounded."""
        from assistant.llm import LlmUnavailableError  # loaded only with an LLM configured

        pieces: list[str] = []
        try:
            async for piece in llm.stream(question, passages, language):
                pieces.append(piece)
                await stream.chunk(piece)
        except LlmUnavailableError:
            if pieces:
                await stream.reset()
            return None
        return llm.finish("".join(pieces), passages, language)


_SHORTEST_QUESTION = 4
_ASKED_IN_ENTRY = 3  # characters a follow-up must have to be found among an entry's questions
# "要英文版的" is looked for as "英文版": the words around it are the investor's, not the entry's.
_EDGE_FILLER = re.compile(r"^(?:要|需要|想要|有)|(?:的|吗|呢|了|么|嘛)+$")
_LEAN = 0.1  # how much likelier the typed reading must be than the topic's, for a few words


def _sure(passages: Sequence[RetrievedPassage], composer: GroundedComposer) -> bool:
    return bool(passages) and passages[0].confidence >= composer.sure_at


_FIGURE = re.compile(r"\d+(?:[.,]\d+)?")


def _supported(drafted: ComposedAnswer, passages: Sequence[RetrievedPassage]) -> bool:
    """Whether the model's answer cites a shown passage and every figure in it appears in
    the passages (a number the firm did not write is not allowed through)."""
    if not drafted.sources:
        return False
    body = drafted.text.rsplit("\n", 1)[0]
    body = re.sub(r"\[\d+\]", "", body)
    known = {
        figure.replace(",", "")
        for p in passages
        for figure in _FIGURE.findall(f"{p.unit.title}\n{p.unit.text}")
    }
    return all(f.replace(",", "") in known for f in _FIGURE.findall(body))


def _focused_first(
    passages: list[RetrievedPassage],
    unit_id: str | None,
    composer: GroundedComposer,
    *,
    alone: bool = False,
) -> list[RetrievedPassage]:
    """``passages`` with the entry ``unit_id`` first, as sure as the composer needs to give it;
    ``alone``: without the others ("and bse?" after the limits of every board: its sentence is
    the answer, and a Chinese entry on the BSE's limit nearly as likely would make a menu)."""
    focused = [
        p.model_copy(update={"confidence": max(p.confidence, composer.answer_at)})
        for p in passages
        if p.unit.id == unit_id
    ]
    if alone and focused:
        return focused[:1]
    return focused + [p for p in passages if p.unit.id != unit_id]


def _first(passages: list[RetrievedPassage], unit_id: str | None) -> list[RetrievedPassage]:
    """``passages`` with the one from entry ``unit_id`` first, where it is among them."""
    chosen = [p for p in passages if p.unit.id == unit_id]
    return chosen[:1] + [p for p in passages if p not in chosen[:1]]


def _prefaced(composed: ComposedAnswer, preface: str) -> ComposedAnswer:
    return ComposedAnswer(
        f"{preface}\n{composed.text}",
        composed.action,
        composed.sources,
        composed.quick_replies,
        composed.confident,
        gap=composed.gap,
        handoff=composed.handoff,
    )


def _asks_too(unit: KnowledgeUnit, words: str) -> bool:
    """Whether one of the entry's own questions contains ``words`` (lower-cased)."""
    return any(words in question.lower() for question in (unit.title, *unit.questions))


def _already_told(state: ConversationState, text: str) -> bool:
    """Whether one of the assistant's earlier replies in this conversation said ``text``."""
    return any(t.speaker is Speaker.BOT and text in t.text for t in state.turns)
