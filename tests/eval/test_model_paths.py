"""The model composer, the LangChain baseline and the judge, against the fake OpenAI-compatible server.

The real ``openai`` SDK and ``langchain-openai`` talk to ``FakeOpenAIServer`` on loopback; what the
server received is the ground truth the private-data check is held to.
"""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import Any

import pytest
from tests.eval.conftest import HANDWRITTEN, SAMPLE_KB
from typer.testing import CliRunner

from replyassist.cli import app
from replyassist.eval import load_cases, write_cases
from replyassist.eval.judge import parse_verdict
from replyassist.testing import FakeOpenAIServer, RecordedRequest, model_reply

CARD = "4242 4242 4242 4242"
UNMASKED = "Portland OR 97214"  # a place the masking does not know as private: listed by the case
BASELINE_REPLY = "Hello! So sorry about that. Please call our 800 number or email us at help@example.com."


class Script:
    """Answers each kind of request as a fixed model would; the judge changes its mind once."""

    def __init__(self) -> None:
        self.judge_scores = itertools.cycle([4, 2])

    def __call__(self, request: RecordedRequest) -> Any:
        text = request.prompt_text
        if "You grade a customer-support reply" in text:
            if "Tyler" in text:  # one judgement the judge botches: not JSON at all
                return "I think it is fine."
            score = next(self.judge_scores)
            return json.dumps({"helpfulness": score, "empathy": 3, "tone": 5, "reason": "scripted"})
        if request.wants_tool or request.response_format:
            return model_reply("Hi there! Thanks for getting in touch, we're on it.", decision="reply")
        return BASELINE_REPLY


def _cases(tmp_path: Path) -> Path:
    wanted = [
        "pii-en-card-chat",
        "pii-en-address-email",
        "q-en-track-twitter",
        "ticket-07-chat-password-reset",
    ]
    by_id = {c.id: c for c in load_cases(HANDWRITTEN)}
    cases = [by_id[i] for i in wanted]
    address = cases[1]
    cases[1] = address.model_copy(
        update={"expect": address.expect.model_copy(update={"private": [*address.expect.private, UNMASKED]})}
    )
    return write_cases(tmp_path / "cases.jsonl", cases)


@pytest.fixture(scope="module")
def model_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], list[RecordedRequest], str]:
    tmp = tmp_path_factory.mktemp("model")
    cases = _cases(tmp)
    with FakeOpenAIServer(handler=Script()) as server:
        result = CliRunner().invoke(
            app,
            [
                "eval",
                str(cases),
                "--kb",
                str(SAMPLE_KB),
                "--out",
                str(tmp / "out"),
                "--model",
                "openai:gpt-4o-mini",
                "--judge",
                "--timeout",
                "10",
            ],
            env={"OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "sk-test-not-real"},
        )
        requests = server.chat_requests
    assert result.exit_code == 0, result.output
    figures = json.loads((tmp / "out" / "figures.json").read_text(encoding="utf-8"))
    return figures, requests, result.output


def test_all_three_composers_run_with_a_model(
    model_run: tuple[dict[str, Any], list[RecordedRequest], str],
) -> None:
    figures, _, output = model_run
    assert figures["meta"]["composers"] == ["offline", "model", "baseline"]
    assert figures["meta"]["model"] == "openai:gpt-4o-mini"
    assert "not run" not in output
    assert "sk-test-not-real" not in output
    model, baseline = figures["composers"]["model"], figures["composers"]["baseline"]
    assert model["cases"] == baseline["cases"] == 4
    assert model["errors"] == baseline["errors"] == 0
    assert model["tokens"]["input_per_draft"] > 0 and baseline["tokens"]["input_per_draft"] > 0
    # The baseline sends the public reply to phone and email, and answers every case the same way.
    assert baseline["public_social"]["off_channel_redirects"] == 1
    assert baseline["boilerplate"]["repeated_openings"] == 1.0


def test_private_data_is_judged_on_what_the_server_received(
    model_run: tuple[dict[str, Any], list[RecordedRequest], str],
) -> None:
    figures, requests, _ = model_run
    drafting = [r for r in requests if "You grade a customer-support reply" not in r.prompt_text]
    model_prompts = [r.prompt_text for r in drafting if r.wants_tool or r.response_format]
    baseline_prompts = [r.prompt_text for r in drafting if not (r.wants_tool or r.response_format)]
    assert model_prompts and baseline_prompts
    # What the server saw: the pipeline masked the card, the baseline did not; neither knows the place.
    assert not any(CARD in p for p in model_prompts)
    assert any(CARD in p for p in baseline_prompts)
    assert any(UNMASKED in p for p in model_prompts)
    # What the evaluation reports agrees: each composer fails exactly the cases whose values went out.
    model = figures["composers"]["model"]["metrics"]["private_data_kept"]
    baseline = figures["composers"]["baseline"]["metrics"]["private_data_kept"]
    assert (model["hits"], model["n"]) == (3, 4)  # the listed place went out
    assert (baseline["hits"], baseline["n"]) == (2, 4)  # the card, and the place (and the phone)
    assert "private_data_kept" not in figures["composers"]["offline"]["metrics"]  # sends nothing


def test_the_baseline_prompt_holds_the_thread_and_the_top_five_articles(
    model_run: tuple[dict[str, Any], list[RecordedRequest], str],
) -> None:
    _, requests, _ = model_run
    baseline = [r for r in requests if "The conversation so far" in r.prompt_text]
    assert len(baseline) == 4
    prompt = next(r.prompt_text for r in baseline if "forgot password thing" in r.prompt_text)  # ticket 07
    assert len(re.findall(r"^\[[a-z0-9-]+\] ", prompt, flags=re.M)) == 5  # five articles, each with its [id]
    assert "Customer:" in prompt and "Agent:" in prompt  # the whole thread, both sides


def test_the_judge_reports_its_own_disagreement_and_failures(
    model_run: tuple[dict[str, Any], list[RecordedRequest], str],
) -> None:
    figures, requests, _ = model_run
    judged = [r for r in requests if "You grade a customer-support reply" in r.prompt_text]
    judges = {c: figures["composers"][c]["judge"] for c in ("offline", "model", "baseline")}
    assert len(judged) == 2 * sum(j["drafts"] for j in judges.values())  # every draft with text, twice
    assert judges["offline"]["failed_runs"] == 2  # the answers that were not JSON are counted, not scored
    assert judges["model"]["failed_runs"] == 0
    judge = figures["composers"]["model"]["judge"]
    assert judge["helpfulness"]["runs_disagree"] > 0  # scripted 4 then 2
    assert judge["helpfulness"]["mean_abs_difference"] == pytest.approx(2.0)
    assert judge["tone"]["runs_disagree"] == 0.0
    assert judge["tone"]["mean"] == 5.0


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ('{"helpfulness": 4, "empathy": 5, "tone": 3, "reason": "ok"}', (4, 5, 3)),
        ('Sure! ```json\n{"helpfulness": 2, "empathy": 2.4, "tone": 1}\n```', (2, 2, 1)),
        ('{"helpfulness": 6, "empathy": 5, "tone": 3}', None),
        ('{"helpfulness": true, "empathy": 5, "tone": 3}', None),
        ('{"helpfulness": 4, "empathy": 5}', None),
        ("no verdict", None),
    ],
)
def test_judge_verdicts_are_read_strictly(answer: str, expected: tuple[int, int, int] | None) -> None:
    verdict = parse_verdict(answer)
    assert (None if verdict is None else (verdict.helpfulness, verdict.empathy, verdict.tone)) == expected
