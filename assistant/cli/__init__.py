"""The ``assistant`` command line: knowledge-base management, search, evaluation and serving.

Every command that touches a knowledge base takes ``--kb DIR`` (default from settings), so
several bases can live side by side. Each command group is a module of this package; this
file is the one place commands are registered (a new command is one function in one module
plus one line here).
"""

import typer

from assistant.cli import (
    ask,
    coverage,
    database,
    evaluation,
    knowledge_base,
    knowledge_checks,
    push,
    quality,
    serve,
    staff,
)

app = typer.Typer(
    help="Customer-service assistant for securities brokerages.", no_args_is_help=True
)
kb_app = typer.Typer(help="Inspect and maintain a knowledge base.", no_args_is_help=True)
app.add_typer(kb_app, name="kb")
db_app = typer.Typer(help="Create and migrate the conversation database.", no_args_is_help=True)
app.add_typer(db_app, name="db")
staff_app = typer.Typer(help="Manage agent-console staff accounts.", no_args_is_help=True)
app.add_typer(staff_app, name="staff")
push_app = typer.Typer(help="Proactive pushes: check what would go out.", no_args_is_help=True)
app.add_typer(push_app, name="push")
faq_app = typer.Typer(help="Draft FAQ entries from real conversations.", no_args_is_help=True)
app.add_typer(faq_app, name="faq")

app.command()(knowledge_base.ingest)
app.command()(knowledge_base.search)
kb_app.command("stats")(knowledge_base.kb_stats)
kb_app.command("delete")(knowledge_base.kb_delete)
app.command()(ask.ask)
app.command("eval-dialogues")(evaluation.evaluate_dialogues)
app.command("eval-scenarios")(evaluation.evaluate_scenarios)
app.command("eval")(evaluation.evaluate_cases)
app.command("report")(quality.quality_report)
faq_app.command("draft")(quality.faq_draft)
kb_app.command("evaluate")(knowledge_checks.kb_evaluate)
kb_app.command("coverage")(coverage.kb_coverage)
kb_app.command("answerability")(knowledge_checks.kb_answerability)
db_app.command("upgrade")(database.db_upgrade)
push_app.command("preview")(push.push_preview)
staff_app.command("create")(staff.staff_create)
staff_app.command("role")(staff.staff_role)
app.command()(serve.serve)

__all__ = ["app"]
