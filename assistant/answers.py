"""Grounded answers: every sentence comes from the knowledge base or a template.

Without an LLM the assistant answers with the best FAQ answer (or document
passage) as written by the firm, cites it, and asks a clarifying question when
the evidence is middling or two different entries are about equally likely.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assistant.conversation import Action, Language, SourceRef
from knowledge.documents import RetrievedPassage, UnitKind

TEMPLATES: dict[str, dict[Language, str]] = {
    "clarify": {
        "zh": "您想咨询的是以下哪个问题？请点选或换个说法告诉我：",
        "en": "Which of these do you mean? Pick one, or tell me in other words:",
    },
    "not_found": {
        "zh": "抱歉，我暂时没有找到能回答这个问题的资料。您可以换个说法，或输入“转人工”联系客服。",
        "en": "Sorry, I couldn't find anything that answers this. Try rephrasing, "
        "or type “human” to reach our support staff.",
    },
    "cross_lingual": {
        "zh": "（以下内容来自我们的英文资料）",
        "en": "(This answer comes from our Chinese-language FAQ.)",
    },
    "sources": {"zh": "参考资料：", "en": "Sources: "},
}


@dataclass(frozen=True)
class ComposedAnswer:
    text: str
    action: Action
    sources: list[SourceRef]
    quick_replies: list[str]
    confident: bool


def source_ref(passage: RetrievedPassage) -> SourceRef:
    return SourceRef(
        id=passage.unit.id,
        source=passage.unit.source,
        title=passage.unit.title,
        score=round(passage.score, 4),
        confidence=round(passage.confidence, 4),
    )


class GroundedComposer:
    """Chooses between answering, clarifying and admitting it does not know.

    ``answer_at``: top confidence from which the best entry is given outright.
    ``clarify_at``: below it nothing is close enough to offer as a choice.
    ``ambiguity_margin``: a runner-up within this confidence of the top makes
    the answer ambiguous unless the top is above ``sure_at``.

    The defaults were chosen on the dev split of ``evals/data/cases.jsonl``
    (pass rate 0.49 at 0.6/0.9/0.08, 0.66 at 0.5/0.6/0.02, where 76 and 15 of
    241 replies asked to clarify); the held-out split was not consulted.
    """

    def __init__(
        self,
        *,
        answer_at: float = 0.5,
        clarify_at: float = 0.3,
        sure_at: float = 0.6,
        ambiguity_margin: float = 0.02,
    ) -> None:
        self.answer_at = answer_at
        self.clarify_at = clarify_at
        self.sure_at = sure_at
        self.ambiguity_margin = ambiguity_margin

    def compose(self, passages: Sequence[RetrievedPassage], language: Language) -> ComposedAnswer:
        if not passages or passages[0].confidence < self.clarify_at:
            return ComposedAnswer(TEMPLATES["not_found"][language], Action.ANSWER, [], [], False)
        top = passages[0]
        rivals = [
            p
            for p in passages[1:3]
            if p.unit.title != top.unit.title
            and top.confidence - p.confidence <= self.ambiguity_margin
        ]
        if top.confidence < self.answer_at or (rivals and top.confidence < self.sure_at):
            options = [top, *rivals] if rivals else list(passages[:3])
            titles = list(dict.fromkeys(p.unit.title for p in options))
            return ComposedAnswer(
                TEMPLATES["clarify"][language],
                Action.CLARIFY,
                [source_ref(p) for p in options],
                titles,
                False,
            )
        return ComposedAnswer(
            self._answer_text(top, language), Action.ANSWER, [source_ref(top)], [], True
        )

    @staticmethod
    def _answer_text(passage: RetrievedPassage, language: Language) -> str:
        unit = passage.unit
        parts: list[str] = []
        if unit.lang and unit.lang != language:
            parts.append(TEMPLATES["cross_lingual"][language])
        parts.append(unit.text)
        label = unit.title if unit.kind is UnitKind.FAQ else f"{unit.source} › {unit.title}"
        parts.append(f"{TEMPLATES['sources'][language]}{label}")
        return "\n".join(parts)
