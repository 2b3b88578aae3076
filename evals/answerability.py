"""What each kind of answerability evidence adds, measured on labelled investor questions.

The questions are the development splits of the shipped evaluation data, against the
sample knowledge base: ``retrieval.jsonl`` (each labelled with the entries that answer it),
``cases.jsonl`` (entries, or ``out_of_scope``), the first turn of each blind dialogue
with a reader's grades (``dialogue_grades_dev.json``: the entries that cover it, or none), and
the scenario map's utterances for scenarios served by FAQ entries (``scenario_utterances.jsonl``
against ``data/scenarios``: the scenario's entries, none for a content gap). Wherever a
question is labelled with an entry, the entries the scenario map lists beside it (its twin in
the other language, above all) answer it too. The map does not name every other entry that
happens to answer, so top-1 is a floor.
A question with no covering entry is *unanswerable*: answering it is the nearest-FAQ
failure. Every variant fits the answerability model on the knowledge base's own phrasings
with a subset of the evidence (:func:`knowledge.answerability_training.fit`), ranks with it,
and is scored at the composer's thresholds:

* ``top-1``: the best candidate answers (answerable questions);
* at ``answer_at`` / ``clarify_at``: answered right, answered wrong, "I don't know", for
  answerable questions; answered at all, for unanswerable ones;

for all the questions, then for the English ones alone (English is where the evidence is
thinnest: fewer concept names, no sub-word keywords).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from assistant.scenarios import ScenarioMap, load_scenario_map
from assistant.settings import PROJECT_ROOT
from knowledge.answerability import FEATURES
from knowledge.answerability_training import Equivalents, fit
from knowledge.index import KnowledgeBase
from knowledge.retrieval import HybridRetriever
from text.language import detect_language

DATA = Path(__file__).resolve().parent / "data"
SCENARIOS = PROJECT_ROOT / "data" / "scenarios"

FIRST_STAGE = ("dense", "margin", "keyword")
CONCEPTS = (
    "missing",
    "missing_topic",
    "missing_generic",
    "conflict",
    "extra_topic",
    "coverage",
    "no_concepts",
    "cross_lingual",
    "title_coverage",
)
RELATIVE = ("score_gap", "keyword_gap", "rank", "via_passage", "dense_excess", "ask_mismatch")

VARIANTS: dict[str, tuple[tuple[str, ...], bool]] = {
    "cosine, margin, keywords (the old calibration's evidence)": (FIRST_STAGE, False),
    "+ concepts": (FIRST_STAGE + CONCEPTS, False),
    "+ concepts, keyword search expanded by the lexicon": (FIRST_STAGE + CONCEPTS, True),
    "+ first-stage relations (all, as shipped)": (FEATURES, True),
}


@dataclass(frozen=True)
class LabelledQuestion:
    text: str
    answers: frozenset[str]  # empty: nothing in the knowledge base answers it
    origin: str


class VariantScore(BaseModel):
    variant: str
    questions: str = "all"
    answerable: int
    unanswerable: int
    top1: float
    answered_right: float
    answered_wrong: float
    not_known: float
    unanswerable_answered: float
    right_at_tenth: float
    """Answered right at the lowest threshold that answers at most 10% of the unanswerable."""
    wrong_at_tenth: float


def labelled_questions(data: Path = DATA, scenarios: Path = SCENARIOS) -> list[LabelledQuestion]:
    """The development questions with what answers them (see the module docstring)."""
    questions: list[LabelledQuestion] = []
    for line in (data / "retrieval.jsonl").read_text("utf-8").splitlines():
        row = json.loads(line)
        if row["split"] == "dev":
            questions.append(
                LabelledQuestion(row["query"], frozenset(row["expected"]), "retrieval")
            )
    for line in (data / "cases.jsonl").read_text("utf-8").splitlines():
        row = json.loads(line)
        if row.get("split", "dev") != "dev" or "question" not in row:
            continue
        if row.get("expected_sources"):
            questions.append(
                LabelledQuestion(row["question"], frozenset(row["expected_sources"]), "cases")
            )
        elif row.get("expected_intent") == "out_of_scope":
            questions.append(LabelledQuestion(row["question"], frozenset(), "cases"))
    grades = json.loads((data / "dialogue_grades_dev.json").read_text("utf-8"))
    for line in (data / "dialogues.jsonl").read_text("utf-8").splitlines():
        row = json.loads(line)
        grade = grades.get(row["id"])
        if row["split"] != "dev" or grade is None or grade["covered"][0] is None:
            continue
        answers = frozenset(grade["covering_entries"][0]) if grade["covered"][0] else frozenset()
        questions.append(LabelledQuestion(row["turns"][0]["text"], answers, "dialogues"))
    scenario_map = load_scenario_map(scenarios)
    questions += _scenario_questions(data / "scenario_utterances.jsonl", scenario_map)
    shared = scenario_map.shared_answers()
    return [
        LabelledQuestion(
            q.text, q.answers | {o for a in q.answers for o in shared.get(a, ())}, q.origin
        )
        for q in questions
    ]


def _scenario_questions(utterances: Path, scenario_map: ScenarioMap) -> list[LabelledQuestion]:
    """The dev utterances of scenarios served by FAQ entries, with those entries."""
    from assistant.scenario_utterances import load_scenario_utterances

    served = {s.id: s for s in scenario_map.scenarios if s.route == "faq"}
    return [
        LabelledQuestion(u.text, frozenset(served[u.scenario].entries), "scenarios")
        for u in load_scenario_utterances(utterances).utterances
        if u.split == "dev" and u.scenario in served
    ]


def _answers(unit_id: str, source: str, answers: frozenset[str]) -> bool:
    """A document is labelled by its file name; a chunk of it answers."""
    return unit_id in answers or Path(source).name in answers


def score_variant(
    name: str,
    retriever: HybridRetriever,
    questions: Sequence[LabelledQuestion],
    *,
    answer_at: float,
    clarify_at: float,
    subset: str = "all",
) -> VariantScore:
    answerable: list[tuple[float, bool]] = []  # (confidence of the best, it answers)
    unanswerable: list[float] = []
    for question in questions:
        results = retriever.search(question.text, k=1)
        confidence = results[0].confidence if results else 0.0
        if question.answers:
            hit = bool(results) and _answers(
                results[0].unit.id, results[0].unit.source, question.answers
            )
            answerable.append((confidence, hit))
        else:
            unanswerable.append(confidence)
    n = max(1, len(answerable))

    def at(threshold: float) -> tuple[float, float]:
        right = sum(1 for c, hit in answerable if c >= threshold and hit)
        wrong = sum(1 for c, hit in answerable if c >= threshold and not hit)
        return right / n, wrong / n

    ranked = sorted(unanswerable, reverse=True)
    tenth = ranked[len(ranked) // 10] + 1e-9 if ranked else 0.0
    right, wrong = at(answer_at)
    right_tenth, wrong_tenth = at(tenth)
    return VariantScore(
        variant=name,
        questions=subset,
        answerable=len(answerable),
        unanswerable=len(unanswerable),
        top1=round(sum(hit for _, hit in answerable) / n, 4),
        answered_right=round(right, 4),
        answered_wrong=round(wrong, 4),
        not_known=round(sum(1 for c, _ in answerable if c < clarify_at) / n, 4),
        unanswerable_answered=round(
            sum(1 for c in unanswerable if c >= answer_at) / max(1, len(unanswerable)), 4
        ),
        right_at_tenth=round(right_tenth, 4),
        wrong_at_tenth=round(wrong_tenth, 4),
    )


def ablation(
    kb: KnowledgeBase,
    *,
    keyword_weight: float,
    cross_lingual_bonus: float,
    negatives: Sequence[str],
    answer_at: float,
    clarify_at: float,
    equivalents: Equivalents | None = None,
    data: Path = DATA,
) -> list[VariantScore]:
    """Two :class:`VariantScore` per entry of :data:`VARIANTS`: on all the questions, and on
    the English ones."""
    questions = labelled_questions(data)
    english = [q for q in questions if detect_language(q.text) == "en"]
    scores: list[VariantScore] = []
    for name, (features, expand) in VARIANTS.items():
        retriever = HybridRetriever(
            kb,
            keyword_weight=keyword_weight,
            cross_lingual_bonus=cross_lingual_bonus,
            expand_keywords=expand,
            negatives=negatives,
            equivalents=equivalents,
        )
        model = fit(
            kb,
            retriever.lexicon,
            retriever.ranking_parameters,
            negatives=negatives,
            equivalents=equivalents,
            features=features,
        )
        if model is not None:
            retriever.answerability = model
        for subset, chosen in (("all", questions), ("English", english)):
            scores.append(
                score_variant(
                    name,
                    retriever,
                    chosen,
                    answer_at=answer_at,
                    clarify_at=clarify_at,
                    subset=subset,
                )
            )
    return scores
