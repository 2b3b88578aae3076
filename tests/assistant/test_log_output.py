"""The server's log configuration, applied for real in a fresh interpreter."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from assistant.log_output import server_log_config
from assistant.settings import Settings
from tests.utils.processes import ASSISTANT, free_port

# Logs what a server would: a product logger with a phone number in an argument and in an
# ``extra`` field, a failure whose traceback names an ID number, and an access line whose
# path carries an e-mail address.
_LOGGING_SCRIPT = textwrap.dedent(
    """
    import logging, logging.config, sys
    from assistant.log_output import server_log_config

    logging.config.dictConfig(server_log_config(sys.argv[1]))
    logging.getLogger("assistant.dialogue").info(
        "callback to %s", 13812345678, extra={"investor_phone": "13812345678", "turn": 7}
    )
    try:
        raise ValueError("no account for 11010519900101002X")
    except ValueError:
        logging.getLogger("assistant.conversations").exception("lookup failed")
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", "/api?mail=li.lei@example.com",
        "1.1", 200,
    )
    """
)
_RAW = ("13812345678", "11010519900101002X", "li.lei@example.com")


def _log_lines(log_format: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", _LOGGING_SCRIPT, log_format],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return (done.stderr + done.stdout).splitlines()


def test_json_logs_are_one_masked_object_per_line() -> None:
    lines = _log_lines("json")
    entries = [json.loads(line) for line in lines]

    by_logger = {entry["logger"]: entry for entry in entries}
    assert set(by_logger) == {"assistant.dialogue", "assistant.conversations", "uvicorn.access"}
    said = by_logger["assistant.dialogue"]
    assert said["level"] == "info"
    assert said["message"] == "callback to 138****5678"
    assert said["investor_phone"] == "138****5678"
    assert said["turn"] == 7
    assert said["ts"].endswith("+00:00")
    failed = by_logger["assistant.conversations"]
    assert failed["level"] == "error"
    assert "ValueError: no account for 110105********002X" in failed["exc"]
    assert by_logger["uvicorn.access"]["message"] == (
        '127.0.0.1:5000 - "GET /api?mail=li****@example.com HTTP/1.1" 200'
    )
    for raw in _RAW:
        assert raw not in "\n".join(lines)


def test_text_logs_mask_the_same_personal_data() -> None:
    lines = _log_lines("text")

    output = "\n".join(lines)
    assert "callback to 138****5678" in output
    assert "ValueError: no account for 110105********002X" in output
    # Uvicorn's access formatter unpacks the line's arguments: they stay a tuple, masked.
    assert "Logging error" not in output
    assert '"GET /api?mail=li****@example.com HTTP/1.1" 200' in output
    for raw in _RAW:
        assert raw not in output
    with pytest.raises(json.JSONDecodeError):
        json.loads(lines[0])


def test_the_log_format_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BROKERDESK_LOG_FORMAT", "json")

    chosen = Settings().log_format

    assert chosen == "json"
    formatters = server_log_config(chosen)["formatters"]
    assert formatters == {"json": {"()": "assistant.log_output.JsonLogFormatter"}}


def test_serve_with_json_logs_writes_its_own_failure_as_a_json_line(tmp_path: Path) -> None:
    """`serve --log-format json` on an empty knowledge base: uvicorn's lines and the
    assistant's own report of the failed start come out as JSON objects."""
    env = {
        **os.environ,
        "BROKERDESK_STATE_DIR": str(tmp_path / "state"),
        "BROKERDESK_KB_DIR": str(tmp_path / "empty-kb"),
        "BROKERDESK_PUSH_POLL_S": "0",
    }
    served = subprocess.run(
        [ASSISTANT, "serve", "--port", str(free_port()), "--log-format", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    entries = [json.loads(line) for line in served.stderr.splitlines() if line.startswith("{")]
    assert served.returncode != 0, served.stderr[-2000:]
    loggers = {entry["logger"] for entry in entries}
    assert "uvicorn.error" in loggers  # "Started server process", "Waiting for ..."
    (failure,) = [e for e in entries if e["logger"] == "assistant.app"]
    assert failure["level"] == "error"
    assert "the knowledge base at" in failure["message"] and "is empty" in failure["message"]
    assert "KnowledgeError" in failure["exc"]
