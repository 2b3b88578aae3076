"""Measurements of a knowledge base: `kb evaluate` (retrieval) and `kb answerability`."""

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from assistant.cli.common import (
    PROJECT_ROOT,
    JsonOption,
    KbOption,
    console,
    fail,
    load_settings,
    print_json,
)
from knowledge.errors import KnowledgeError

DEFAULT_RETRIEVAL_QUERIES = PROJECT_ROOT / "evals/data/retrieval.jsonl"
DEFAULT_CATALOGUE = PROJECT_ROOT / "intents/catalogue/brokerage.yaml"


def kb_evaluate(
    queries: Annotated[Path, typer.Argument(help="retrieval queries (JSONL)")] = (
        DEFAULT_RETRIEVAL_QUERIES
    ),
    split: Annotated[str, typer.Option(help="dev, test or all")] = "test",
    kb: KbOption = None,
    as_json: JsonOption = False,
) -> None:
    """hit@1, hit@5 and MRR of dense, keyword and hybrid retrieval, per language setting."""
    from assistant.components import build_retriever, open_knowledge_base, out_of_scope_examples
    from evals.retrieval import evaluate, load_queries
    from knowledge.retrieval import HybridRetriever

    settings = load_settings()
    try:
        base = open_knowledge_base(settings, kb)
        cases = load_queries(queries, split)
        bonus = settings.retrieval_cross_lingual_bonus
        table = evaluate(
            {
                "dense": HybridRetriever(base, mode="dense", cross_lingual_bonus=0.0),
                "dense + language bonus": HybridRetriever(
                    base, mode="dense", cross_lingual_bonus=bonus
                ),
                "keyword": HybridRetriever(base, mode="keyword"),
                "hybrid, rrf": HybridRetriever(base, fusion="rrf", cross_lingual_bonus=bonus),
                "hybrid, weighted": HybridRetriever(
                    base,
                    keyword_weight=settings.retrieval_keyword_weight,
                    cross_lingual_bonus=bonus,
                    rerank=False,
                ),
                "hybrid, weighted, answerability rerank (default)": build_retriever(
                    base, settings, negatives=out_of_scope_examples(settings.intents_catalogue)
                ),
            },
            cases,
        )
    except KnowledgeError as exc:
        fail(exc)
        return
    if as_json:
        print_json(
            {
                name: {setting: s.model_dump() for setting, s in row.items()}
                for name, row in table.items()
            }
        )
        return
    first = next(iter(table.values()))
    out = Table(title=f"retrieval, {split} split: hit@1 / hit@5 / MRR")
    out.add_column("retriever")
    for setting, scores in first.items():
        out.add_column(f"{setting} (n={scores.queries})")
    for name, row in table.items():
        out.add_row(
            name, *(f"{s.hit_at_1:.3f} / {s.hit_at_5:.3f} / {s.mrr:.3f}" for s in row.values())
        )
    console.print(out)


def kb_answerability(
    catalogue: Annotated[
        Path, typer.Option(help="intent catalogue whose out-of-scope examples are negatives")
    ] = DEFAULT_CATALOGUE,
    kb: KbOption = None,
    bundle: Annotated[
        bool,
        typer.Option(
            help="also store it as the bundled default (knowledge/data/answerability.json)"
        ),
    ] = False,
    ablation: Annotated[
        bool,
        typer.Option(
            help="measure what each kind of evidence adds on the labelled dev questions "
            "(sample knowledge base)"
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Refit the answerability model on the knowledge base's own phrasings and show it."""
    if ablation:
        _answerability_ablation(catalogue, kb, as_json)
        return
    from importlib import resources

    from assistant.components import (
        build_retriever,
        open_knowledge_base,
        out_of_scope_examples,
        shared_answers,
    )
    from knowledge.answerability_training import fit

    settings = load_settings()
    try:
        base = open_knowledge_base(settings, kb)
        negatives = out_of_scope_examples(catalogue)
        # The assistant's retriever, with its stored model: only its first stage is needed.
        retriever = build_retriever(base, settings, negatives=negatives)
        fitted = fit(
            base,
            retriever.lexicon,
            retriever.ranking_parameters,
            negatives=negatives,
            equivalents=shared_answers(settings),
        )
    except KnowledgeError as exc:
        fail(exc)
        return
    if fitted is None:
        console.print("too few phrasings to fit: the bundled model is used")
        return
    print_json(fitted.model_dump())
    if bundle:
        target = Path(str(resources.files("knowledge.data").joinpath("answerability.json")))
        entry = fitted.model_dump() | {
            "fitted_on": f"the sample knowledge base: {fitted.fitted_on}"
        }
        target.write_text(
            json.dumps({"default": entry}, ensure_ascii=False, indent=2) + "\n", "utf-8"
        )
        console.print(f"written to {target}")


def _answerability_ablation(catalogue: Path, kb: Path | None, as_json: bool) -> None:
    from assistant.answers import GroundedComposer
    from assistant.components import open_knowledge_base, out_of_scope_examples, shared_answers
    from evals.answerability import ablation

    settings = load_settings()
    composer = GroundedComposer()
    try:
        scores = ablation(
            open_knowledge_base(settings, kb),
            keyword_weight=settings.retrieval_keyword_weight,
            cross_lingual_bonus=settings.retrieval_cross_lingual_bonus,
            negatives=out_of_scope_examples(catalogue),
            equivalents=shared_answers(settings),
            answer_at=composer.answer_at,
            clarify_at=composer.clarify_at,
        )
    except KnowledgeError as exc:
        fail(exc)
        return
    if as_json:
        print_json([s.model_dump() for s in scores])
        return
    table = Table(title="answerability evidence, dev questions (shares of the answerable)")
    for column in (
        "evidence",
        "questions",
        "top-1",
        "right",
        "wrong",
        "not known",
        "unanswerable answered",
        "right / wrong at 10% unanswerable answered",
    ):
        table.add_column(column)
    for s in scores:
        table.add_row(
            s.variant,
            f"{s.questions} ({s.answerable} + {s.unanswerable})",
            *(
                f"{v:.3f}"
                for v in (
                    s.top1,
                    s.answered_right,
                    s.answered_wrong,
                    s.not_known,
                    s.unanswerable_answered,
                )
            ),
            f"{s.right_at_tenth:.3f} / {s.wrong_at_tenth:.3f}",
        )
    console.print(table)
    console.print("questions: answerable + unanswerable")
