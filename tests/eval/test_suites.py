"""The public suites, built from the real data in ``../shared/data`` (read there, never copied)."""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path

import pytest

from replyassist._errors import ConfigurationError
from replyassist.eval.cases import EvalCase, load_cases
from replyassist.eval.composers import PipelineRunner
from replyassist.eval.run import run_eval
from replyassist.eval.suites import (
    DATA_ENV,
    SUITES,
    abcd,
    banking77,
    build_suite,
    default_data_dir,
    giskard,
    make_suite,
    suite_info,
)
from replyassist.eval.suites._data import banking77_rows, bitext_rows, giskard_attacks, read_json, twcs_rows
from replyassist.knowledge import KnowledgeBase
from replyassist.models import Channel, Decision, Role

ROOT = Path(__file__).resolve().parents[2]
SMALL = 12


def built(name: str, data: Path, out: Path, limit: int) -> tuple[list[EvalCase], KnowledgeBase, Path]:
    cases_file, kb_dir = build_suite(name, data, out, limit=limit)
    return load_cases(cases_file), KnowledgeBase.load(kb_dir), cases_file


@pytest.mark.parametrize("name", SUITES)
def test_a_small_build_is_valid_cases_with_their_kb_and_license(
    name: str, shared_data: Path, tmp_path: Path
) -> None:
    cases, kb, cases_file = built(name, shared_data, tmp_path / name, limit=SMALL)
    assert 0 < len(cases) <= SMALL
    assert all(c.tags["suite"] == name for c in cases)
    for case in cases:
        own = case.kb_path(cases_file)
        case_kb = KnowledgeBase.load(own) if own else kb
        assert set(case.expect.cite) <= {a.id for a in case_kb.articles}, case.id
        assert case.ticket.last_customer_message is not None, case.id
    meta = json.loads((tmp_path / name / "suite.json").read_text(encoding="utf-8"))
    info = suite_info(name)
    assert meta["license"] == info.license and meta["license"].strip()
    assert meta["source"] == info.source and meta["cases"] == len(cases) and meta["limit"] == SMALL


@pytest.mark.parametrize("name", SUITES)
def test_the_same_seed_gives_the_same_files_and_another_seed_other_cases(
    name: str, shared_data: Path, tmp_path: Path
) -> None:
    first, _ = build_suite(name, shared_data, tmp_path / "a", limit=SMALL)
    second, _ = build_suite(name, shared_data, tmp_path / "b", limit=SMALL)
    assert first.read_bytes() == second.read_bytes()
    assert (tmp_path / "a" / "suite.json").read_bytes() == (tmp_path / "b" / "suite.json").read_bytes()
    other, _ = build_suite(name, shared_data, tmp_path / "c", limit=SMALL, seed=99)
    assert other.read_bytes() != first.read_bytes()


def _repo_files() -> dict[str, float]:
    skip = {".venv", ".git", ".mypy_cache", ".ruff_cache", "__pycache__", ".pytest_cache", "node_modules"}
    files = {}
    for folder, dirs, names in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in skip]
        for n in names:
            path = os.path.join(folder, n)
            files[path] = os.stat(path).st_mtime
    return files


def test_building_writes_only_to_the_output_folder_and_no_data_lives_in_the_code(
    shared_data: Path, tmp_path: Path
) -> None:
    before = _repo_files()
    for name in SUITES:
        build_suite(name, shared_data, tmp_path / name, limit=3)
    assert _repo_files() == before
    code = "\n".join(
        p.read_text(encoding="utf-8")
        for p in [*(ROOT / "src" / "replyassist" / "eval" / "suites").glob("*.py"), Path(__file__)]
    )
    samples = [
        *(r["text"] for r in twcs_rows(shared_data)),
        *(r["text"] for r in banking77_rows(shared_data)),
        *(r["instruction"] for r in bitext_rows(shared_data)),
        *(a.prompt[:60] for a in giskard_attacks(shared_data)),
    ]
    copied = [s for s in samples if len(s) > 25 and s in code]
    assert copied == []


def test_unknown_suite_and_missing_data_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"unknown suite 'nope'.*tweets"):
        build_suite("nope", tmp_path, tmp_path / "out")
    with pytest.raises(ConfigurationError, match=r"missing data file .*sample\.csv"):
        build_suite("tweets", tmp_path, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_the_data_folder_comes_from_the_environment_or_beside_the_checkout(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(DATA_ENV, raising=False)
    assert default_data_dir().resolve() == shared_data.resolve()
    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    assert default_data_dir() == tmp_path
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "absent"))
    with pytest.raises(ConfigurationError, match=DATA_ENV):
        default_data_dir()


def test_tweets_are_answered_tweets_with_their_thread_and_the_brand_reply(shared_data: Path) -> None:
    suite = make_suite("tweets", shared_data).suite
    rows = {r["tweet_id"]: r for r in twcs_rows(shared_data)}
    assert len(suite.cases) == 41 and suite.articles == []
    for case in suite.cases:
        tweet = rows[case.id.removeprefix("tweets-")]
        ticket = case.ticket
        assert ticket.channel is Channel.TWITTER and tweet["inbound"] == "True"
        assert ticket.messages[-1].author is Role.CUSTOMER
        replies = [rows[i] for i in tweet["response_tweet_id"].split(",") if i in rows]
        brand = case.policy["brand"]
        assert any(r["author_id"] == brand for r in replies) and brand in case.policy["brand_handles"]
        assert case.expect.reference_reply and case.expect.reference_reply.startswith(
            f"@{tweet['author_id']}"
        )
        parent = rows.get(tweet["in_response_to_tweet_id"])
        if parent is None:
            assert len(ticket.messages) == 1
        else:
            above = ticket.messages[-2]
            assert above.text == html.unescape(parent["text"])
            assert (above.author is Role.CUSTOMER) == (parent["inbound"] == "True")
    assert sum(len(c.ticket.messages) > 1 for c in suite.cases) >= 10  # 19 have a thread above them


def test_abcd_kb_has_one_article_per_subflow_and_dialog_cases_cite_their_label(shared_data: Path) -> None:
    built_suite = make_suite("abcd", shared_data).suite
    ids = {a.id for a in built_suite.articles}
    kb_ids = set(read_json(shared_data, "abcd/kb.json"))
    assert ids == {abcd.article_id(s) for s in kb_ids}
    titles = {a.id: a.title for a in built_suite.articles}
    assert titles["abcd-reset_2fa"] == "Account Access: Reset Two-Factor Auth"
    assert titles["abcd-credit_card"] == "Troubleshoot Site: Invalid Credit Card"
    dialogs = {
        str(d["convo_id"]): d for d in read_json(shared_data, "abcd/dialogstudio_abcd_original_examples.json")
    }
    dialog_cases = [c for c in built_suite.cases if c.tags["source"] == "abcd-dialog"]
    assert {c.id.split("-")[2] for c in dialog_cases} == set(dialogs)
    for case in dialog_cases:
        label = dialogs[case.id.split("-")[2]]["scenario"]["subflow"]
        subflow = label if label in kb_ids else re.sub(r"_\d+$", "", label)  # ABCD's numbered variants
        assert case.expect.cite == [abcd.article_id(subflow)]
        assert case.expect.reference_reply and case.ticket.messages
    routed = [c for c in built_suite.cases if c.tags["source"] == "bitext"]
    assert {c.tags["intent"] for c in routed} == set(abcd.BITEXT_TO_ABCD)


def test_banking77_queries_are_held_out_from_the_articles(shared_data: Path) -> None:
    articles, queries = banking77.split(shared_data, seed=8)
    assert len(articles) == 77 and len(queries) == 3080 - 77 * banking77.KB_EXAMPLES
    in_kb = {line for a in articles for line in a.body.splitlines()}
    cases = make_suite("banking77", shared_data).suite.cases
    assert len(cases) == 77 * 4
    assert not any(c.ticket.messages[0].text in in_kb for c in cases)
    assert all(a.title == "" and not a.labels for a in articles)


def test_giskard_attacks_are_alone_after_a_question_and_in_a_kb_article(shared_data: Path) -> None:
    made = make_suite("giskard", shared_data)
    attacks = giskard_attacks(shared_data)
    cases = {c.id: c for c in made.suite.cases}
    for attack in attacks:
        alone = cases[f"giskard-alone-{attack.index}"]
        assert alone.ticket.messages[0].text == attack.prompt and alone.expect.decision is Decision.ESCALATE
        asked = cases[f"giskard-question-{attack.index}"]
        assert asked.ticket.messages[0].text.endswith(attack.prompt) and asked.expect.cite
        for case in (alone, asked):
            assert case.expect.attack and case.expect.must_not_contain == list(attack.expected_strings)
    poisoned = {a.id: a for a in made.extra_kbs[giskard.POISONED_KB]}
    planted = [c for c in cases.values() if c.kb == giskard.POISONED_KB]
    assert len(planted) == giskard.KB_ATTACKS
    prompts = {a.index: a.prompt for a in attacks}
    for case in planted:
        assert prompts[case.id.removeprefix("giskard-kb-")] in poisoned[case.expect.cite[0]].body
        assert prompts[case.id.removeprefix("giskard-kb-")] not in case.ticket.messages[0].text


@pytest.mark.parametrize("name", SUITES)
def test_a_small_suite_runs_through_the_offline_evaluation(
    name: str, shared_data: Path, tmp_path: Path
) -> None:
    cases, kb, cases_file = built(name, shared_data, tmp_path, limit=4)
    run = run_eval(cases, [PipelineRunner("offline", "offline")], kb=kb, cases_file=cases_file)
    figures = run.figures()["composers"]["offline"]
    assert figures["errors"] == 0 and figures["cases"] == len(cases)
    if any(c.expect.cite for c in cases):
        assert figures["metrics"]["recall_at_k"]["n"] > 0
