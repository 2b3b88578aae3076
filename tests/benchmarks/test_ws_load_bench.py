"""The websocket load benchmark at a tiny size, against real servers: it measures what
happened, and every refused, unanswered or cut-off message shows up as an error.

Speed is measured by the benchmark itself, never asserted here.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.ws_load_bench import (
    BenchReport,
    LoadConfig,
    load_questions,
    logged_exceptions,
    main,
    message_texts,
    peak_rate,
    run_level,
    texts_by_investor,
    zipf_mix,
    zipf_texts,
)
from channels.tokens import SessionTokens
from tests.utils.live_app import INTENT_CACHE_HOME, LiveApp, app_settings, shared_assistant

QUICK = {"think_s": (0.0, 0.05), "ramp_s": 0.2, "reply_timeout_s": 60.0, "level_timeout_s": 90.0}


@pytest.fixture(scope="module")
def assistant(sample_kb):
    return shared_assistant(sample_kb.directory)


@pytest.fixture(scope="module")
def live(assistant, sample_kb, tmp_path_factory) -> Iterator[LiveApp]:
    app = LiveApp(app_settings(tmp_path_factory.mktemp("load-app"), sample_kb.directory), assistant)
    yield app.start()
    app.stop()


@pytest.fixture(scope="module")
def one_message_a_minute(assistant, sample_kb, tmp_path_factory) -> Iterator[LiveApp]:
    settings = app_settings(
        tmp_path_factory.mktemp("load-strict-app"),
        sample_kb.directory,
        rate_connection_per_minute=1,
    )
    app = LiveApp(settings, assistant)
    yield app.start()
    app.stop()


def questions(investors: int, per_investor: int, seed: int = 7):
    return texts_by_investor(
        message_texts(load_questions(), investors * per_investor, seed), per_investor
    )


async def test_every_investor_asks_and_every_question_is_acked_and_answered(live: LiveApp) -> None:
    config = LoadConfig(investors=5, questions=2, **QUICK)
    level = await run_level(
        live.ws_url, config, question=questions(5, 2), token=live.token, server_pid=None
    )

    assert level.status == "ok"
    assert level.connections.established == 5
    assert (level.messages.sent, level.messages.acked, level.messages.replied) == (10, 10, 10)
    assert level.messages.unsent == 0
    assert sum(level.messages.by_action.values()) == 10
    assert level.connection_errors == {}
    assert level.message_errors == {}
    assert level.setup is not None and level.setup.n == 5
    assert level.ack is not None and level.ack.n == 10
    assert level.reply is not None and level.reply.n == 10
    assert level.ack.p50_ms <= level.reply.p50_ms
    assert level.replies_per_s > 0
    assert level.peak_replies_per_s >= level.replies_per_s
    assert level.client.cpu_s > 0
    assert level.server is None, "no separate server process to measure"


async def test_a_forged_token_fails_every_connection_and_nothing_is_sent(live: LiveApp) -> None:
    forged = SessionTokens("someone-elses-secret").issue
    level = await run_level(
        live.ws_url,
        LoadConfig(investors=5, questions=2, **QUICK),
        question=questions(5, 2),
        token=forged,
        server_pid=None,
    )

    assert level.connection_errors == {"error:unauthorized": 5}
    assert level.connections.established == 0
    assert level.messages.unsent == 10
    assert level.error_share == 1.0
    assert level.status == "failed"


async def test_a_frame_over_the_size_limit_counts_against_its_message(live: LiveApp) -> None:
    level = await run_level(
        live.ws_url,
        LoadConfig(investors=5, questions=2, **QUICK),
        question=lambda investor, number: "好" * 6000,  # 18 kB, over max_frame_bytes
        token=live.token,
        server_pid=None,
    )

    assert level.message_errors == {"error:frame_too_large": 10}
    assert level.messages.sent == 10
    assert level.messages.acked == level.messages.replied == 0
    assert level.connections.dropped == 0, "a non-fatal error keeps the socket open"
    assert level.status == "failed"


async def test_rate_limited_messages_are_errors_not_silently_slower(
    one_message_a_minute: LiveApp,
) -> None:
    level = await run_level(
        one_message_a_minute.ws_url,
        LoadConfig(investors=3, questions=3, **QUICK),
        question=questions(3, 3),
        token=one_message_a_minute.token,
        server_pid=None,
    )

    assert level.message_errors == {"error:rate_limited": 6}
    assert level.messages.replied == 3
    assert level.status == "failed"


async def test_a_reply_slower_than_the_timeout_is_a_timeout(live: LiveApp) -> None:
    config = LoadConfig(investors=2, questions=1, **{**QUICK, "reply_timeout_s": 0.001})
    level = await run_level(
        live.ws_url, config, question=questions(2, 1), token=live.token, server_pid=None
    )

    assert level.message_errors == {"timeout:ack": 2}
    assert level.messages.replied == 0


async def test_the_level_time_limit_stops_the_level_and_says_so(live: LiveApp) -> None:
    config = LoadConfig(
        investors=3, questions=5, think_s=(2.0, 2.0), ramp_s=0.0, level_timeout_s=1.5
    )
    level = await run_level(
        live.ws_url, config, question=questions(3, 5), token=live.token, server_pid=None
    )

    assert level.cut_off is True
    assert level.status == "failed"
    assert level.wall_s < 10
    assert level.messages.unsent > 0
    assert level.messages.sent + level.messages.unsent == 15


@pytest.mark.slow
def test_the_command_measures_a_real_assistant_serve_process(sample_kb, tmp_path: Path) -> None:
    out = tmp_path / "results"
    exit_code = main(
        [
            "--investors",
            "5",
            "--questions",
            "2",
            "--think",
            "0,0.1",
            "--ramp",
            "0.5",
            "--out",
            str(out),
            "--kb-dir",
            str(sample_kb.directory),
            "--state-dir",
            str(INTENT_CACHE_HOME),
            "--log-dir",
            str(tmp_path / "logs"),
            "--turn-cost-turns",
            "3",
        ]
    )

    report = BenchReport.model_validate(json.loads((out / "ws_load.json").read_text("utf-8")))
    markdown = (out / "ws_load.md").read_text("utf-8")
    (level,) = report.levels
    assert exit_code == 0
    assert level.status == "ok"
    assert level.messages.replied == 10
    assert level.server is not None
    assert level.server.pid != os.getpid(), "the server runs in its own process"
    assert level.server.cpu_s > 0
    assert level.server.rss_peak_mib >= level.server.rss_before_mib > 0
    assert report.turn_cost is not None and report.turn_cost.turns == 3
    assert report.turn_cost.cpu_ms > 0
    assert level.ceiling is not None and level.ceiling.measured_server_cpu_ms_per_reply
    assert level.ceiling.reference_turn_ms == pytest.approx(report.turn_cost.cpu_ms, abs=0.1)
    assert report.server["settings"]["rate_connection_per_minute"] == 20
    assert report.machine.logical_cores >= 1
    assert "-m benchmarks.ws_load_bench --investors 5 --questions 2" in report.command
    assert (tmp_path / "logs" / "server-5.log").exists()
    assert level.server_exceptions == {}
    assert level.settled is not None
    assert (level.settled.messages, level.settled.replies, level.settled.unhandled) == (10, 10, 0)
    assert "## 5 investors × 2 questions" in markdown
    assert report.command in markdown


SERVER_LOG = """\
INFO:     Application startup complete.
a conversation task failed
Traceback (most recent call last):
  File "aiosqlite/core.py", line 63, in _connection_worker_thread
sqlite3.OperationalError: database is locked

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "assistant/conversations/core.py", line 58, in storage
assistant.conversations.errors.StorageBusyError: the conversation store is unavailable
INFO:     connection closed
Traceback (most recent call last):
  File "channels/investor_socket.py", line 10, in serve
RuntimeError
"""


def test_server_tracebacks_are_counted_once_by_the_exception_that_ended_them() -> None:
    assert logged_exceptions(SERVER_LOG) == {
        "RuntimeError": 1,
        "assistant.conversations.errors.StorageBusyError": 1,
    }
    assert logged_exceptions("INFO:     connection open\n") == {}


def test_the_peak_rate_is_the_busiest_window_so_one_straggler_does_not_hide_it() -> None:
    steady = [i / 10 for i in range(200)]  # 10 replies a second for 20 s
    with_straggler = [*steady, 140.0]  # one reply that came two minutes late

    assert peak_rate(with_straggler) == pytest.approx(10.1, abs=0.2)
    assert len(with_straggler) / (140.0 - 0.0) < 1.5


def test_the_zipf_mix_repeats_a_few_questions_lightly_reworded() -> None:
    bank = [(f"问题{i}怎么办？", "zh") for i in range(200)]

    texts = zipf_texts(bank, 3000, seed=7)
    counts = Counter(texts)
    bases = Counter(text.split("问题")[1].split("怎么办")[0] for text in texts)

    assert texts == zipf_texts(bank, 3000, seed=7), "the mix is reproducible"
    assert len(texts) == 3000
    assert bases.most_common(1)[0][1] > 10 * 3000 / 200, "the top question dominates"
    assert len(bases) > 50, "the long tail is asked too"
    assert len(counts) < len(texts) / 2, "most messages repeat an earlier one exactly"
    assert any(text.startswith("请问") for text in texts), "some are reworded"


def test_each_text_of_the_zipf_mix_names_the_question_it_rewords() -> None:
    bank = [(f"问题{i}怎么办？", "zh") for i in range(50)]

    mix = zipf_mix(bank, 500, seed=3)

    assert [text for _, text in mix] == zipf_texts(bank, 500, seed=3)
    assert all(f"问题{index}怎么办" in text for index, text in mix)
