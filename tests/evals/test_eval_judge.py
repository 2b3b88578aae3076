"""The LLM judge of `assistant eval`: faithfulness and answer relevance, RAGAS-style.

The judge is the real ChatOpenAI client talking to a local OpenAI-compatible
server over a real socket; the server is scripted to answer the judge's two
prompts, so every number below is worked out by hand from the scripted verdicts.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from assistant.cli import app
from assistant.settings import Settings, get_settings
from evals.compare import MetricThreshold
from evals.errors import JudgmentError
from evals.judge import (
    ANSWER_RELEVANCE_PROMPT,
    FAITHFULNESS_PROMPT,
    CaseJudgment,
    LlmJudge,
    RelevanceVerdict,
    StatementVerdict,
    build_judge,
    parse_verdict,
    summarise_judgments,
)
from evals.report import main as report_main
from evals.report import render_report
from evals.runner import CaseOutcome, summarise
from tests.knowledge.test_index import ROWS
from tests.utils.eval_outcomes import case_outcome
from tests.utils.files import write_csv
from tests.utils.openai_server import (
    Failure,
    OpenAIServer,
    RecordedRequest,
    Reply,
    Script,
    ScriptFor,
)

JUDGE_KEY = "sk-judge-7c1d"
CONVERSATION = ["开户需要带什么？"]
ANSWER = (
    "开户需要本人二代身份证和一类银行卡，可以在手机上办理，全程免费。\n参考资料：开户需要什么材料？"
)
PASSAGES = ["本人二代身份证和一类银行卡。", "交易日9:00至16:00。"]

TWO_OF_THREE = json.dumps(
    {
        "statements": [
            {"statement": "开户需要本人二代身份证", "reason": "段落1写明", "supported": True},
            {"statement": "开户需要一类银行卡", "reason": "段落1写明", "supported": True},
            {"statement": "开户全程免费", "reason": "段落未提及费用", "supported": False},
        ]
    },
    ensure_ascii=False,
)
RATED_4 = json.dumps({"reason": "答了材料，多了无关内容", "score": 4}, ensure_ascii=False)


def faithfulness_request(request: RecordedRequest) -> bool:
    return request.content_of("system") == FAITHFULNESS_PROMPT


def judge_replies(faithfulness: Script, relevance: Script) -> ScriptFor:
    """A per-request script: one behaviour for the faithfulness prompt, one for relevance."""
    return lambda request: faithfulness if faithfulness_request(request) else relevance


@pytest.fixture
def server() -> Iterator[OpenAIServer]:
    running = OpenAIServer(model="judge-model").start()
    yield running
    running.stop()


def judge_for(server: OpenAIServer, *, timeout_s: float = 5.0) -> LlmJudge:
    settings = Settings(
        judge_base_url=server.base_url,
        judge_api_key=SecretStr(JUDGE_KEY),
        judge_model="judge-model",
        judge_timeout_s=timeout_s,
    )
    judge = build_judge(settings)
    assert judge is not None
    return judge


async def test_faithfulness_is_the_share_of_statements_the_passages_support(
    server: OpenAIServer,
) -> None:
    server.script = judge_replies(Reply(TWO_OF_THREE), Reply(RATED_4))

    verdict = await judge_for(server).judge(CONVERSATION, ANSWER, PASSAGES)

    assert verdict.judged
    assert verdict.faithfulness == pytest.approx(2 / 3)  # 0.667
    assert verdict.unsupported == ["开户全程免费"]
    assert verdict.relevance_rating == 4
    assert verdict.answer_relevance == pytest.approx(0.75)  # (4 - 1) / 4


async def test_the_judge_is_asked_once_per_metric_for_json_with_the_material_as_json(
    server: OpenAIServer,
) -> None:
    server.script = judge_replies(Reply(TWO_OF_THREE), Reply(RATED_4))

    await judge_for(server).judge(CONVERSATION, ANSWER, PASSAGES)

    faithfulness, relevance = server.requests
    assert faithfulness_request(faithfulness)
    assert relevance.content_of("system") == ANSWER_RELEVANCE_PROMPT
    for request in server.requests:
        assert request.body["model"] == "judge-model"
        assert request.body["temperature"] == 0
        assert not request.body.get("stream")
        assert request.headers["authorization"] == f"Bearer {JUDGE_KEY}"
    assert json.loads(faithfulness.content_of("user")) == {
        "conversation": CONVERSATION,
        "answer": ANSWER,
        "passages": PASSAGES,
    }
    # Relevance is judged on the question and answer alone.
    assert json.loads(relevance.content_of("user")) == {
        "conversation": CONVERSATION,
        "answer": ANSWER,
    }


def test_a_verdict_is_read_strictly() -> None:
    fenced = f"```json\n{RATED_4}\n```"
    assert parse_verdict(fenced, RelevanceVerdict).score == 4

    for text, reason in [
        ("Sure! Here is my verdict: " + RATED_4, "malformed_json"),
        ('{"score": 4', "malformed_json"),
        ('{"score": "4"}', "wrong_shape"),  # a string is not a rating
        ('{"score": 4.5}', "wrong_shape"),
        ('{"score": 6}', "wrong_shape"),
        ('{"reason": "fine"}', "wrong_shape"),
        ("[4]", "wrong_shape"),
    ]:
        with pytest.raises(JudgmentError) as raised:
            parse_verdict(text, RelevanceVerdict)
        assert raised.value.reason == reason, text


def _relevance_schema() -> type:
    from evals.judge import _RelevanceVerdict

    return _RelevanceVerdict


NOT_JUDGED = [
    pytest.param(
        Reply("The answer is faithful."), Reply(RATED_4), "faithfulness:malformed_json", 1
    ),
    pytest.param(
        Reply(TWO_OF_THREE.replace("true", '"yes"')),
        Reply(RATED_4),
        "faithfulness:wrong_shape",
        1,
        id="supported-as-a-string",
    ),
    pytest.param(Failure(500), Reply(RATED_4), "faithfulness:http_500", 1, id="http-500"),
    pytest.param(
        Reply(TWO_OF_THREE, first_byte_delay_s=3.0), Reply(RATED_4), "faithfulness:timeout", 1
    ),
    pytest.param(
        Reply(TWO_OF_THREE, finish_reason="length"),
        Reply(RATED_4),
        "faithfulness:finish_reason:length",
        1,
        id="cut-off",
    ),
    pytest.param(
        Reply('{"statements": []}'), Reply(RATED_4), "faithfulness:no_statements", 1, id="nothing"
    ),
    pytest.param(
        Reply(TWO_OF_THREE), Reply('{"score": 7}'), "answer_relevance:wrong_shape", 2, id="rated-7"
    ),
    pytest.param(
        Reply(TWO_OF_THREE), Failure(503), "answer_relevance:http_503", 2, id="relevance-503"
    ),
]


@pytest.mark.parametrize(("faithfulness", "relevance", "reason", "requests"), NOT_JUDGED)
async def test_a_judgment_that_fails_leaves_the_case_not_judged_with_its_reason(
    server: OpenAIServer, faithfulness: Script, relevance: Script, reason: str, requests: int
) -> None:
    server.script = judge_replies(faithfulness, relevance)

    verdict = await judge_for(server, timeout_s=0.5).judge(CONVERSATION, ANSWER, PASSAGES)

    assert not verdict.judged
    assert verdict.not_judged == reason
    # Neither 0 nor 1: no score at all.
    assert verdict.faithfulness is None
    assert verdict.answer_relevance is None
    # Once faithfulness failed the case cannot be judged: relevance is not asked.
    assert len(server.requests) == requests


def test_the_summary_averages_judged_answers_only_and_counts_the_rest() -> None:
    judgments = [
        CaseJudgment(faithfulness=2 / 3, answer_relevance=0.75, relevance_rating=4),
        CaseJudgment(faithfulness=1.0, answer_relevance=0.25, relevance_rating=2),
        CaseJudgment(not_judged="faithfulness:timeout"),
        CaseJudgment(not_judged="faithfulness:timeout"),
        CaseJudgment(not_judged="answer_relevance:malformed_json"),
        None,  # a clarifying question: nothing sent to the judge
    ]

    summary = summarise_judgments("judge-model", judgments)

    assert summary.model == "judge-model"
    assert (summary.judged, summary.not_judged, summary.skipped) == (2, 3, 1)
    assert summary.not_judged_reasons == {
        "answer_relevance:malformed_json": 1,
        "faithfulness:timeout": 2,
    }
    assert summary.faithfulness_mean == pytest.approx((2 / 3 + 1.0) / 2)  # 0.833
    assert summary.answer_relevance_mean == pytest.approx((0.75 + 0.25) / 2)  # 0.5
    nothing = summarise_judgments("judge-model", [CaseJudgment(not_judged="faithfulness:http_500")])
    assert nothing.faithfulness_mean is None and nothing.answer_relevance_mean is None


def test_without_a_judge_url_there_is_no_judge() -> None:
    settings = Settings(judge_model="judge-model", judge_api_key=SecretStr(JUDGE_KEY))

    assert build_judge(settings) is None
    assert build_judge(settings, model="other-model") is None


def outcome(case_id: str, judgment: CaseJudgment | None) -> CaseOutcome:
    return case_outcome(case_id, cited_sources=["faq-1"], judgment=judgment)


def test_the_report_shows_the_judged_numbers_in_their_own_labelled_section() -> None:
    free = StatementVerdict(statement="<b>开户全程免费</b>", supported=False)
    outcomes = [
        outcome("c-1", CaseJudgment(faithfulness=0.5, answer_relevance=1.0, statements=[free])),
        outcome("c-2", CaseJudgment(faithfulness=1.0, answer_relevance=1.0)),
        outcome("c-3", CaseJudgment(not_judged="faithfulness:timeout")),
    ]
    summary = summarise_judgments("judge-model", [o.judgment for o in outcomes])
    thresholds = {"pass_rate": MetricThreshold(min=0.5)}

    page = render_report(outcomes, summarise(outcomes), thresholds, judge=summary)
    plain = render_report(outcomes, summarise(outcomes), thresholds)

    assert '<section id="judge"><h2>LLM-judged (model judge-model)</h2>' in page
    assert '<div class="card" data-metric="judge_faithfulness"><div class="big">0.750<' in page
    assert '<div class="card" data-metric="judge_answer_relevance"><div class="big">1.000<' in page
    assert '<tr data-reason="faithfulness:timeout">' in page
    # Only answers the judge found wanting are listed, least faithful first.
    assert '<tr data-judged-case="c-1"><td class="ids">c-1</td><td class="num">0.500<' in page
    assert 'data-judged-case="c-2"' not in page and 'data-judged-case="c-3"' not in page
    assert "&lt;b&gt;开户全程免费&lt;/b&gt;" in page
    assert "LLM-judged" not in plain
    # The judge's numbers are not metrics: no threshold row, no gate.
    assert 'data-metric="llm_judge' not in page


INTENTS = {
    "account_opening": ["开户需要什么材料", "开户要带什么", "怎么开户", "开户带啥"],
    "bank_transfer": ["银证转账几点可以转", "几点能转钱", "转账时间", "什么时候能转账"],
    "fees": ["How much is stamp duty?", "stamp tax?", "what are the fees", "commission rate"],
}
CASES = [
    {"id": "materials", "question": "开户需要带什么材料？", "expected_sources": ["t-1"]},
    {"id": "transfer", "question": "银证转账几点可以转？", "expected_sources": ["t-2"]},
    {"id": "stamp", "question": "How much is stamp duty?", "expected_sources": ["t-3"]},
]


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("BROKERDESK_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("BROKERDESK_JUDGE_API_KEY", JUDGE_KEY)
    monkeypatch.delenv("BROKERDESK_JUDGE_BASE_URL", raising=False)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def scripted_judge(request: RecordedRequest) -> Script:
    """Verdicts chosen by the answer being judged, as a real judge's would differ."""
    answer = json.loads(request.content_of("user"))["answer"]
    if "16:00" in answer:
        return Failure(500)
    if not faithfulness_request(request):
        return Reply(json.dumps({"reason": "ok", "score": 5 if "身份证" in answer else 4}))
    verdicts = [True, True, False] if "身份证" in answer else [True]
    return Reply(
        json.dumps(
            {"statements": [{"statement": f"s{n}", "supported": v} for n, v in enumerate(verdicts)]}
        )
    )


@pytest.mark.slow
def test_eval_with_a_judge_url_adds_labelled_llm_judged_numbers_and_without_one_sends_nothing(
    runner: CliRunner, server: OpenAIServer, tmp_path: Path
) -> None:
    sources = tmp_path / "sources"
    sources.mkdir()
    write_csv(sources / "faq.csv", ROWS)
    kb = tmp_path / "kb"
    assert runner.invoke(app, ["ingest", str(sources), "--kb", str(kb)]).exit_code == 0
    intents = tmp_path / "intents.csv"
    with intents.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["text", "intent"])
        writer.writerows((t, i) for i, texts in INTENTS.items() for t in texts)
    cases = tmp_path / "cases.jsonl"
    cases.write_text("\n".join(json.dumps(c, ensure_ascii=False) for c in CASES), "utf-8")
    server.script = scripted_judge

    def evaluate(name: str, *judge: str) -> tuple[dict[str, Any], dict[str, Any], str]:
        saved, report = tmp_path / f"{name}.json", tmp_path / name
        command = ["eval", str(cases), "--kb", str(kb), "--intents", str(intents)]
        options = ["--save", str(saved), "--report", str(report), "--json", *judge]
        result = runner.invoke(app, [*command, *options])
        assert result.exit_code == 0, result.output
        page = (report / "report.html").read_text("utf-8")
        return json.loads(result.stdout), json.loads(saved.read_text("utf-8")), page

    printed, saved, page = evaluate(
        "judged", "--judge-url", server.base_url, "--judge-model", "judge-model"
    )

    answers = {c["id"]: c for c in saved["cases"]}
    assert all(c["action"] == "answer" and c["cited_sources"] for c in saved["cases"])
    assert printed["llm_judge"] == saved["llm_judge"]
    judged = printed["llm_judge"]
    assert judged["model"] == "judge-model"
    assert (judged["judged"], judged["not_judged"], judged["skipped"]) == (2, 1, 0)
    assert judged["not_judged_reasons"] == {"faithfulness:http_500": 1}
    assert judged["faithfulness_mean"] == pytest.approx((2 / 3 + 1) / 2)  # 0.833
    assert judged["answer_relevance_mean"] == pytest.approx((1.0 + 0.75) / 2)  # 0.875
    assert answers["materials"]["judgment"]["faithfulness"] == pytest.approx(2 / 3)
    assert answers["transfer"]["judgment"]["not_judged"] == "faithfulness:http_500"
    assert "llm_judge" not in json.dumps(printed["metrics"])  # never among the gated metrics
    # The judge read the cited FAQ answer in full.
    sent = [json.loads(r.content_of("user")) for r in server.requests if faithfulness_request(r)]
    materials = next(s for s in sent if "身份证" in s["answer"])
    assert any("本人二代身份证和一类银行卡" in p for p in materials["passages"])
    assert "LLM-judged (model judge-model)" in page
    # A saved run renders the same section again.
    assert report_main([str(tmp_path / "judged.json"), "--out", str(tmp_path / "again")]) == 0
    assert "LLM-judged (model judge-model)" in (tmp_path / "again" / "report.html").read_text(
        "utf-8"
    )

    requests_so_far = len(server.requests)
    printed, saved, page = evaluate("offline")

    assert len(server.requests) == requests_so_far  # the judge key alone turns nothing on
    assert "llm_judge" not in printed and "llm_judge" not in saved
    assert all("judgment" not in c for c in saved["cases"])
    assert "LLM-judged" not in page
