"""What the server's log lines look like: text for a terminal, or one JSON object per line.

Both go through the same handlers, each carrying :class:`assistant.pii.PiiMaskingFilter`, so a
phone number or an ID number is masked the same way whichever format an operator picks. The
JSON formatter masks again what it writes (the filter is idempotent), so fields that a filter
never sees (``extra=`` attributes, an exception rendered late) are masked too.
"""

import copy
import json
import logging
from datetime import UTC, datetime
from typing import Any, Literal

from assistant.pii import mask_pii

LogFormat = Literal["text", "json"]

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_RECORD_ATTRIBUTES = frozenset(
    vars(logging.LogRecord("", logging.INFO, "", 0, "", None, None)).keys()
) | {"message", "asctime", "color_message", "taskName"}


class JsonLogFormatter(logging.Formatter):
    """One JSON object per record: ``ts``, ``level``, ``logger``, ``message``, then ``exc``
    and ``stack`` when present, then the record's ``extra`` fields; personal data masked."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": mask_pii(record.getMessage()),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = mask_pii(record.exc_text)
        if record.stack_info:
            entry["stack"] = mask_pii(self.formatStack(record.stack_info))
        for name, value in vars(record).items():
            if name not in _RECORD_ATTRIBUTES and name not in entry:
                entry[name] = _masked_value(value)
        return json.dumps(entry, ensure_ascii=False, default=lambda v: mask_pii(str(v)))


def _masked_value(value: Any) -> Any:
    if isinstance(value, str):
        return mask_pii(value)
    if isinstance(value, bool | int | float) or value is None:
        return value
    return mask_pii(str(value))


def server_log_config(log_format: LogFormat, level: str = "info") -> dict[str, Any]:
    """A :func:`logging.config.dictConfig` for ``assistant serve`` (uvicorn's ``log_config``).

    Uvicorn's own loggers keep their handlers; the product's loggers (``assistant.*``, and
    whatever the libraries log) reach a root handler at ``level``, which uvicorn's default
    configuration leaves out. Every handler masks personal data.
    """
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"pii": {"()": "assistant.pii.PiiMaskingFilter"}}
    if log_format == "json":
        config["formatters"] = {"json": {"()": "assistant.log_output.JsonLogFormatter"}}
        for handler in config["handlers"].values():
            handler["formatter"] = "json"
    for handler in config["handlers"].values():
        handler["filters"] = ["pii"]
    config["root"] = {"handlers": ["default"], "level": level.upper()}
    return config
