"""Errors raised by the intents package.

Every error carries a stable ``code`` (for CLI output, HTTP bodies and
websocket error frames) and the HTTP status it maps to, so the one handler in
the app can translate them without parsing messages.
"""

from __future__ import annotations

from pathlib import Path


class IntentError(Exception):
    """Root of every error the intents package raises on purpose."""

    code: str = "intent_error"
    http_status: int = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CatalogueError(IntentError):
    """A catalogue cannot be read or is invalid; names the file and, where known, the line."""

    code = "bad_intent_catalogue"
    http_status = 422

    def __init__(self, source: str | Path, reason: str, line: int | None = None) -> None:
        where = f"{source}, line {line}" if line is not None else str(source)
        super().__init__(f"{where}: {reason}")
        self.source = str(source)
        self.line = line
        self.reason = reason


class ClassifierNotFittedError(IntentError):
    """A classifier was asked to predict before it was fitted on a catalogue."""

    code = "intent_classifier_not_fitted"
    http_status = 503


class ClassifierTrainingError(IntentError):
    """A catalogue cannot train a classifier (e.g. fewer than two intents have examples)."""

    code = "intent_training_failed"
    http_status = 422
