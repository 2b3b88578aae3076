"""Progress of long commands where no bar can be drawn: lines on the console."""

import io

from rich.console import Console

from assistant.step_progress import StepProgress


def _console(stream: io.StringIO) -> Console:
    return Console(file=stream, force_terminal=False, width=200)


def test_a_pipe_gets_a_line_at_the_start_and_at_the_end() -> None:
    stream = io.StringIO()

    with StepProgress(_console(stream), every_s=3600) as progress:
        advance = progress.step("cases", 3)
        for _ in range(3):
            advance()

    lines = stream.getvalue().splitlines()
    assert lines[0] == "cases: 3 to do"
    assert lines[1].startswith("cases: 3/3 (100%) in ")
    assert len(lines) == 2


def test_lines_come_as_often_as_asked_with_the_time_left() -> None:
    stream = io.StringIO()

    with StepProgress(_console(stream), every_s=0) as progress:
        advance = progress.step("utterances", 4)
        for _ in range(4):
            advance()

    lines = stream.getvalue().splitlines()
    assert [line.split(" in ")[0] for line in lines[1:]] == [
        "utterances: 1/4 (25%)",
        "utterances: 2/4 (50%)",
        "utterances: 3/4 (75%)",
        "utterances: 4/4 (100%)",
    ]
    assert all("s left" in line for line in lines[1:4])
    assert "left" not in lines[4]


def test_nothing_is_printed_when_progress_is_off() -> None:
    stream = io.StringIO()

    with StepProgress(_console(stream), enabled=False, every_s=0) as progress:
        advance = progress.step("dialogues", 2)
        advance()
        advance()

    assert stream.getvalue() == ""
