"""Declarative multi-turn flows (forms): slots filled one question at a time.

A flow is data. A :class:`FlowDefinition` lists :class:`Slot` objects in the
order they are asked; each slot knows how to say its question in Chinese and
English and how to read an answer out of free text. :class:`FlowEngine` runs
a definition turn by turn:

* the opening message is mined for slots first ("我想开通创业板" fills the
  board), so the investor is never asked what they already said;
* then the next missing slot is asked, the answer read, and a failed answer
  re-asked up to ``max_reprompts`` times before a person takes over;
* cancel words end the flow, and a state left idle past ``timeout`` is
  expired and restarted rather than silently continued;
* an optional ``guard`` screens every message first, so text that must never
  be kept (a password, an ID number) fills nothing.

The engine is pure logic with an injected clock, and it does no I/O itself.
A definition's ``on_complete`` may be a plain function or a coroutine
function (an account lookup, a ticket store): :meth:`FlowEngine.step` awaits
it when it returns an awaitable, which is why ``step`` is ``async``.

Suspension is the caller's business: to interrupt a flow it keeps the
:class:`FlowState` aside (``ConversationState.suspended_flow``), later calls
:meth:`FlowEngine.resume` (or :func:`resume_prompt` for the words alone) and
carries on with :meth:`FlowEngine.step`. :meth:`FlowEngine.accepts` tells a
caller, without side effects, whether a message is for the flow at all.
"""

from __future__ import annotations

import inspect
import re
import unicodedata
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from intents.errors import IntentError
from intents.handover import EscalationReason

Language = Literal["zh", "en"]
"""The languages every prompt is written in; the same literal as ``assistant.dialogue_models``."""

SlotValue = str | int | bool
"""What a slot holds once filled: small, JSON-friendly values only."""

Extractor = Callable[[str], SlotValue | None]
"""Reads a slot's value out of the investor's text; ``None`` when it is not there or invalid."""

FlowStatus = Literal["asking", "reprompt", "completed", "cancelled", "expired", "handoff"]
HandoffReason = Literal[EscalationReason.FLOW_NEEDS_HUMAN, EscalationReason.COMPLAINT]
"""The reasons a flow may hand over for: members of :class:`intents.handover.EscalationReason`."""

DEFAULT_CANCEL_WORDS: tuple[str, ...] = (
    "取消",
    "算了",
    "不办了",
    "不辦了",
    "cancel",
    "stop",
    "never mind",
    "nevermind",
)
DEFAULT_TIMEOUT = timedelta(minutes=15)
STUCK_PRIORITY = 50
"""Escalation priority when an investor cannot get past a question: needs help, not urgent."""

# A message is a cancel only when the cancel word is most of it: "算了吧" cancels,
# "取消了的委托怎么查" is a question that happens to contain the word.
_CANCEL_SLACK = 6
_ASCII_WORD = re.compile(r"[a-z0-9 .'-]+")
_NOT_TEXT = re.compile(r"[\W_]+")


class FlowDefinitionError(IntentError):
    """A flow definition or a stored state does not fit together (a programming error)."""

    code = "bad_flow_definition"
    http_status = 500


@dataclass(frozen=True)
class Localized:
    """One piece of text in both languages the assistant speaks."""

    zh: str
    en: str

    def text(self, language: Language) -> str:
        """The text in ``language``."""
        return self.zh if language == "zh" else self.en


@dataclass(frozen=True)
class Slot:
    """One piece of information a flow collects.

    ``extract`` reads an answer to this slot's own question. ``detect`` is a
    stricter reader for text that was *not* answering this question (the
    opening message, or an answer to another slot); leave it ``None`` for
    slots that only make sense when asked, such as yes/no or free text.
    ``choices`` become quick replies, so ``extract`` must understand each of
    them. ``ask_if`` skips the slot unless it holds for what is filled so
    far. ``comment`` may add a remark right after the slot is filled (a rule
    the investor should know now, not at the end).
    """

    name: str
    prompt: Localized
    reprompt: Localized
    extract: Extractor
    detect: Extractor | None = None
    choices: Sequence[Localized] = ()
    ask_if: Callable[[Mapping[str, SlotValue]], bool] | None = None
    comment: Callable[[SlotValue, Language], str | None] | None = None

    def wanted(self, filled: Mapping[str, SlotValue]) -> bool:
        """Whether the slot still needs asking, given what is filled."""
        return self.name not in filled and (self.ask_if is None or self.ask_if(filled))

    def quick_replies(self, language: Language) -> list[str]:
        return [choice.text(language) for choice in self.choices]


class Handoff(BaseModel):
    """A flow decided a person must take over; the assistant turns it into an escalation."""

    reason: HandoffReason
    priority: int = Field(ge=0, le=100, description="higher is more urgent")
    summary: str = Field(description="for the agent who takes over; never shown to the investor")


class FlowOutcome(BaseModel):
    """What a completed flow says, and whether a person must take over."""

    message: str
    handoff: Handoff | None = None
    quick_replies: list[str] = Field(default_factory=list)


@dataclass(frozen=True)
class FlowAnswers:
    """Everything ``on_complete`` gets: the filled slots, who is asking, and the context the
    caller passed with the step (what the flow may touch for this turn, such as where to
    file a ticket; the engine never looks inside it)."""

    flow: str
    slots: Mapping[str, SlotValue]
    language: Language
    investor_id: str | None = None
    context: object | None = None


@dataclass(frozen=True)
class _Caller:
    """Who a step is for and what they let the flow touch, carried to ``on_complete``."""

    investor_id: str | None
    context: object | None


OnComplete = Callable[[FlowAnswers], FlowOutcome | Awaitable[FlowOutcome]]
Guard = Callable[[str, Language], str | None]
"""Screens a message before any slot sees it; returns a warning when the text must not be used."""


@dataclass(frozen=True)
class FlowDefinition:
    """A flow as data: its slots in asking order and what to do once they are filled."""

    name: str
    title: Localized
    slots: Sequence[Slot]
    on_complete: OnComplete
    intro: Localized | None = None
    cancel_words: Sequence[str] = DEFAULT_CANCEL_WORDS
    timeout: timedelta = DEFAULT_TIMEOUT
    max_reprompts: int = 2
    guard: Guard | None = None

    def __post_init__(self) -> None:
        names = [slot.name for slot in self.slots]
        if len(set(names)) != len(names):
            raise FlowDefinitionError(f"flow {self.name!r} has duplicate slot names: {names}")
        if self.max_reprompts < 0:
            raise FlowDefinitionError(f"flow {self.name!r}: max_reprompts must be >= 0")

    def slot(self, name: str) -> Slot:
        for slot in self.slots:
            if slot.name == name:
                return slot
        raise FlowDefinitionError(f"flow {self.name!r} has no slot {name!r}")

    def next_slot(self, filled: Mapping[str, SlotValue]) -> Slot | None:
        """The first slot still wanted, or ``None`` when the flow can complete."""
        return next((slot for slot in self.slots if slot.wanted(filled)), None)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class FlowState(BaseModel):
    """Where a multi-turn flow stands; stored with the conversation."""

    name: str
    slots: dict[str, SlotValue] = Field(default_factory=dict)
    awaiting: str | None = Field(None, description="the slot the last prompt asked for")
    reprompts: int = 0
    started_at: datetime = Field(default_factory=_utcnow)
    updated_at: datetime = Field(default_factory=_utcnow)


class FlowStep(BaseModel):
    """The result of one investor message inside a flow.

    ``state`` is what to store for the next turn; it is ``None`` once the
    flow is over (completed, cancelled or handed off). ``slots`` are the
    values filled so far, final when the flow is over.
    """

    status: FlowStatus
    reply: str
    quick_replies: list[str] = Field(default_factory=list)
    state: FlowState | None
    slots: dict[str, SlotValue] = Field(default_factory=dict)
    outcome: FlowOutcome | None = None
    handoff: Handoff | None = None

    @property
    def finished(self) -> bool:
        return self.state is None


_EXPIRED = Localized(
    zh="您之前的{title}已超过{minutes}分钟没有继续，为了信息准确，我们重新开始。",
    en="Your {title} was idle for more than {minutes} minutes, so let's start it again.",
)
_CANCELLED = Localized(
    zh="好的，已为您取消{title}。还有其他问题随时告诉我。",
    en="OK, I've stopped the {title}. Let me know if there is anything else.",
)
_STUCK = Localized(
    zh="抱歉，我还是没能确认这一项。我为您转接人工客服继续办理。",
    en="Sorry, I still couldn't get that. I'm passing you to a colleague who can help.",
)
_RESUME = Localized(zh="回到刚才的{title}：", en="Back to your {title}: ")


def resume_prompt(definition: FlowDefinition, state: FlowState, language: Language) -> str:
    """The words that pick an interrupted flow up again: a lead-in, then the pending question."""
    lead = _RESUME.text(language).format(title=definition.title.text(language))
    slot = _pending_slot(definition, state)
    return lead + slot.prompt.text(language) if slot is not None else lead.rstrip(":： ")


def _pending_slot(definition: FlowDefinition, state: FlowState) -> Slot | None:
    if state.awaiting is not None and state.awaiting not in state.slots:
        return definition.slot(state.awaiting)
    return definition.next_slot(state.slots)


def is_cancel(text: str, words: Iterable[str]) -> bool:
    """Whether ``text`` is a request to stop, not a sentence that merely contains a cancel word."""
    spaced = normalise(text)
    compact = _NOT_TEXT.sub("", spaced)
    for word in words:
        word = word.lower()
        key = _NOT_TEXT.sub("", word)
        if not key or key not in compact or len(compact) - len(key) > _CANCEL_SLACK:
            continue
        if _ASCII_WORD.fullmatch(word) and not _contains_ascii_word(spaced, word):
            continue  # "stop" inside "nonstop"
        return True
    return False


def _contains_ascii_word(text: str, word: str) -> bool:
    return re.search(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])", text) is not None


class FlowEngine:
    """Runs flow definitions one investor message at a time.

    The clock is injected so expiry is testable and the engine stays free of
    hidden time reads.
    """

    def __init__(self, clock: Callable[[], datetime] = _utcnow) -> None:
        self._clock = clock

    def is_expired(self, definition: FlowDefinition, state: FlowState) -> bool:
        """Whether ``state`` was left idle longer than the definition allows."""
        return self._clock() - state.updated_at > definition.timeout

    async def step(
        self,
        definition: FlowDefinition,
        state: FlowState | None,
        text: str,
        language: Language,
        *,
        investor_id: str | None = None,
        context: object | None = None,
    ) -> FlowStep:
        """Advance ``definition`` by one investor message.

        With ``state=None`` the message opens the flow. ``investor_id`` and ``context``
        are passed through to ``on_complete`` (an account lookup needs the one, filing a
        ticket the other).
        """
        caller = _Caller(investor_id, context)
        if state is None:
            return await self._start(definition, text, language, caller)
        if state.name != definition.name:
            raise FlowDefinitionError(
                f"state belongs to flow {state.name!r}, not {definition.name!r}"
            )
        if self.is_expired(definition, state):
            notice = self._expired_notice(definition, language)
            return await self._start(definition, text, language, caller, notice=notice)
        if is_cancel(text, definition.cancel_words):
            reply = _CANCELLED.text(language).format(title=definition.title.text(language))
            return FlowStep(status="cancelled", reply=reply, state=None, slots=dict(state.slots))

        if (warning := self._guard(definition, text, language)) is not None:
            return self._ask(definition, state, language, notes=[warning], status="reprompt")

        filled = dict(state.slots)
        new: list[Slot] = []
        awaited = definition.slot(state.awaiting) if state.awaiting else None
        if awaited is not None and awaited.name not in filled:
            value = awaited.extract(text)
            if value is not None:
                filled[awaited.name] = value
                new.append(awaited)
        new += _detect(definition, filled, text, skip=awaited)

        if not new:
            return self._reprompt(definition, state, language)
        return await self._advance(
            definition, state, filled, language, caller, notes=_comments(new, filled, language)
        )

    def resume(self, definition: FlowDefinition, state: FlowState, language: Language) -> FlowStep:
        """Pick up a suspended flow: re-ask its pending question, or restart it if too old.

        Synchronous: a restart has no text to complete on, so it only ever asks.
        """
        if self.is_expired(definition, state):
            now = self._clock()
            fresh = FlowState(name=definition.name, started_at=now, updated_at=now)
            if definition.next_slot({}) is None:
                raise FlowDefinitionError(f"flow {definition.name!r} has nothing to ask")
            notes = [self._expired_notice(definition, language)]
            if definition.intro is not None:
                notes.append(definition.intro.text(language))
            return self._ask(definition, fresh, language, notes, status="expired")
        step = self._ask(definition, state.model_copy(update={"reprompts": 0}), language, [])
        return step.model_copy(update={"reply": resume_prompt(definition, state, language)})

    def accepts(self, definition: FlowDefinition, state: FlowState, text: str) -> bool:
        """Whether ``text`` is for the flow: an answer, a cancel, a secret to warn about, or late.

        Pure, so a dialogue policy can ask before stepping, and let a message
        that answers nothing be handled as a question of its own.
        """
        if self.is_expired(definition, state) or is_cancel(text, definition.cancel_words):
            return True
        if definition.guard is not None and definition.guard(text, "zh") is not None:
            return True
        awaited = _pending_slot(definition, state)
        if awaited is not None and awaited.extract(text) is not None:
            return True
        return bool(_detect(definition, dict(state.slots), text, skip=awaited))

    async def _start(
        self,
        definition: FlowDefinition,
        text: str,
        language: Language,
        caller: _Caller,
        notice: str | None = None,
    ) -> FlowStep:
        now = self._clock()
        state = FlowState(name=definition.name, started_at=now, updated_at=now)
        notes = [notice] if notice else []
        status: FlowStatus = "expired" if notice else "asking"
        if text and (warning := self._guard(definition, text, language)) is not None:
            return self._ask(definition, state, language, [*notes, warning], status=status)

        filled: dict[str, SlotValue] = {}
        new = _detect(definition, filled, text, skip=None) if text else []
        # The intro leads into questions; a flow the opening already completed skips it.
        if definition.intro is not None and definition.next_slot(filled) is not None:
            notes.append(definition.intro.text(language))
        notes += _comments(new, filled, language)
        step = await self._advance(definition, state, filled, language, caller, notes)
        return step.model_copy(update={"status": status}) if step.status == "asking" else step

    async def _advance(
        self,
        definition: FlowDefinition,
        state: FlowState,
        filled: dict[str, SlotValue],
        language: Language,
        caller: _Caller,
        notes: list[str],
    ) -> FlowStep:
        """Ask the next wanted slot, or complete when none is left."""
        if definition.next_slot(filled) is not None:
            updated = state.model_copy(update={"slots": filled, "reprompts": 0})
            return self._ask(definition, updated, language, notes)

        answers = FlowAnswers(
            definition.name, dict(filled), language, caller.investor_id, caller.context
        )
        result = definition.on_complete(answers)
        outcome: FlowOutcome = await result if inspect.isawaitable(result) else result
        return FlowStep(
            status="handoff" if outcome.handoff else "completed",
            reply="\n".join([*notes, outcome.message]),
            quick_replies=list(outcome.quick_replies),
            state=None,
            slots=filled,
            outcome=outcome,
            handoff=outcome.handoff,
        )

    def _ask(
        self,
        definition: FlowDefinition,
        state: FlowState,
        language: Language,
        notes: list[str],
        status: FlowStatus = "asking",
        *,
        rephrase: bool = False,
    ) -> FlowStep:
        """Put the pending question; ``rephrase`` uses the slot's re-prompt wording."""
        slot = _pending_slot(definition, state)
        if slot is None:
            raise FlowDefinitionError(f"flow {definition.name!r}: nothing left to ask")
        question = slot.reprompt if rephrase else slot.prompt
        updated = state.model_copy(update={"awaiting": slot.name, "updated_at": self._clock()})
        return FlowStep(
            status=status,
            reply="\n".join([*notes, question.text(language)]),
            quick_replies=slot.quick_replies(language),
            state=updated,
            slots=dict(state.slots),
        )

    def _reprompt(
        self, definition: FlowDefinition, state: FlowState, language: Language
    ) -> FlowStep:
        attempts = state.reprompts + 1
        if attempts <= definition.max_reprompts:
            retry = state.model_copy(update={"reprompts": attempts})
            return self._ask(definition, retry, language, [], status="reprompt", rephrase=True)
        handoff = Handoff(
            reason=EscalationReason.FLOW_NEEDS_HUMAN,
            priority=STUCK_PRIORITY,
            summary=(
                f"Flow {definition.name!r} could not read slot {state.awaiting!r} after "
                f"{attempts} attempts; filled so far: {sorted(state.slots) or 'nothing'}."
            ),
        )
        return FlowStep(
            status="handoff",
            reply=_STUCK.text(language),
            state=None,
            slots=dict(state.slots),
            handoff=handoff,
        )

    @staticmethod
    def _guard(definition: FlowDefinition, text: str, language: Language) -> str | None:
        return definition.guard(text, language) if definition.guard is not None else None

    @staticmethod
    def _expired_notice(definition: FlowDefinition, language: Language) -> str:
        minutes = int(definition.timeout.total_seconds() // 60)
        return _EXPIRED.text(language).format(
            title=definition.title.text(language), minutes=minutes
        )


def _detect(
    definition: FlowDefinition, filled: dict[str, SlotValue], text: str, skip: Slot | None
) -> list[Slot]:
    """Fill, in place, every missing slot whose ``detect`` finds a value in ``text``."""
    found: list[Slot] = []
    for slot in definition.slots:
        if slot is skip or slot.detect is None or slot.name in filled:
            continue
        value = slot.detect(text)
        if value is not None:
            filled[slot.name] = value
            found.append(slot)
    return found


def _comments(
    slots: Iterable[Slot], filled: Mapping[str, SlotValue], language: Language
) -> list[str]:
    notes: list[str] = []
    for slot in slots:
        if slot.comment is not None and (note := slot.comment(filled[slot.name], language)):
            notes.append(note)
    return notes


def normalise(text: str) -> str:
    """Full-width to half-width, lower case, trimmed: the form extractors match against."""
    return unicodedata.normalize("NFKC", text).lower().strip()


def keyword_choice(options: Mapping[str, str | Iterable[str]]) -> Extractor:
    """An extractor returning the one option whose keywords occur in the text.

    Keywords are given as an iterable or as one string separated by ``|``
    (``"创业板|chinext|growth enterprise"``). Longer keywords are matched
    first and consume their span, so "外国人永久居留身份证" is not also read
    as "身份证". ASCII keywords match whole words only ("star" is not in
    "start"). Two different options in one message ("创业板还是科创板") is
    ambiguous and reads as no answer.
    """
    table = sorted(
        (
            (normalise(keyword), value)
            for value, keywords in options.items()
            for keyword in (keywords.split("|") if isinstance(keywords, str) else keywords)
            if keyword.strip()
        ),
        key=lambda pair: len(pair[0]),
        reverse=True,
    )
    patterns = [(_keyword_pattern(keyword), value) for keyword, value in table]

    def extract(text: str) -> SlotValue | None:
        remaining = normalise(text)
        found: set[str] = set()
        for pattern, value in patterns:
            remaining, hits = pattern.subn(" ", remaining)
            if hits:
                found.add(value)
        return found.pop() if len(found) == 1 else None

    return extract


def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    escaped = re.escape(keyword)
    if keyword.isascii():
        return re.compile(rf"(?<![a-z0-9]){escaped}(?![a-z0-9])")
    return re.compile(escaped)


_NO = re.compile(
    r"没有|沒有|还没|還沒|没|沒|无|無|不是|不对|不|否|(?<![a-z])(no|nope|not|don'?t|haven'?t|n)(?![a-z])"
)
_YES = re.compile(
    r"有|是|对|對|嗯|好|可以|(?<![a-z])(yes|yeah|yep|y|sure|have|i do|got one|of course)(?![a-z])"
)


def yes_no(text: str) -> bool | None:
    """Read a yes/no answer; a negation anywhere wins ("还没有" is no, although it contains 有)."""
    cleaned = normalise(text)
    if _NO.search(cleaned):
        return False
    if _YES.search(cleaned):
        return True
    return None
