"""The case format: what suite builders write and ``replyassist eval`` reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from replyassist import Article, Ticket
from replyassist._errors import InvalidInputError
from replyassist.eval import EvalCase, Expectations, Suite, load_cases, write_cases
from replyassist.knowledge import KnowledgeBase


def _case(case_id: str = "c1", **expect: object) -> EvalCase:
    return EvalCase(
        id=case_id,
        ticket=Ticket.from_text("Where is my order?", channel="x", customer="Ana López"),
        expect=Expectations.model_validate(expect),
        tags={"suite": "demo", "intent": "tracking"},
    )


def test_cases_round_trip_through_jsonl(tmp_path: Path) -> None:
    cases = [_case("a", decision="reply", cite=["order-tracking"], language="pt-BR"), _case("b")]
    path = write_cases(tmp_path / "sub" / "cases.jsonl", cases)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    assert "must_not_cite" not in lines[0]  # defaults are left out: the files stay readable
    loaded = load_cases(path)
    assert [c.id for c in loaded] == ["a", "b"]
    assert loaded[0].expect.language == "pt"  # a locale is kept as its language
    assert loaded[0].ticket.channel.value == "twitter"
    assert loaded[0].ticket.customer.first_name == "Ana"
    assert loaded[0].language == "pt"


def test_a_bad_line_is_named_with_its_number_and_field(tmp_path: Path) -> None:
    good = _case().model_dump_json()
    path = tmp_path / "cases.jsonl"
    path.write_text(
        f"{good}\n\n" + json.dumps({"id": "x", "ticket": {}, "expect": {"decision": "maybe"}}) + "\n"
    )
    with pytest.raises(InvalidInputError, match=r"cases.jsonl:3: not a valid case: expect.decision"):
        load_cases(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no cases"),
        ('{"id": "a"}\n', "ticket"),
        ("not json\n", "not a valid case"),
    ],
)
def test_unusable_files_are_refused_clearly(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_text(text)
    with pytest.raises(InvalidInputError, match=message):
        load_cases(path)


def test_duplicate_ids_and_unknown_fields_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    line = _case("same").model_dump_json()
    path.write_text(f"{line}\n{line}\n")
    with pytest.raises(InvalidInputError, match="duplicate case id 'same'"):
        load_cases(path)
    path.write_text(json.dumps({**json.loads(line), "expect": {"decison": "reply"}}) + "\n")
    with pytest.raises(InvalidInputError, match="decison"):
        load_cases(path)
    with pytest.raises(InvalidInputError, match="cannot read"):
        load_cases(tmp_path / "missing.jsonl")


def test_a_case_policy_must_be_a_valid_policy() -> None:
    with pytest.raises(ValueError, match="brand_colour"):
        EvalCase(id="p", ticket=Ticket.from_text("hi"), policy={"brand_colour": "green"})
    assert EvalCase(id="p", ticket=Ticket.from_text("hi"), policy={"brand": "Acme"}).policy == {
        "brand": "Acme"
    }


def test_a_relative_kb_path_is_read_from_the_cases_folder(tmp_path: Path) -> None:
    case = _case().model_copy(update={"kb": "kbs/shop"})
    assert case.kb_path(tmp_path / "cases.jsonl") == tmp_path / "kbs" / "shop"
    assert _case().kb_path(tmp_path / "cases.jsonl") is None


def test_a_suite_writes_its_cases_and_a_loadable_kb(tmp_path: Path) -> None:
    suite = Suite(
        name="tiny",
        cases=[_case("a"), _case("b").model_copy(update={"tags": {"suite": "other"}})],
        articles=[Article(id="track", title="Tracking an order", body="Open Account > Orders to track it.")],
    )
    cases_path, kb_path = suite.write(tmp_path / "built")
    assert kb_path is not None
    assert [a.id for a in KnowledgeBase.from_directory(kb_path).articles] == ["track"]
    assert [c.tags["suite"] for c in load_cases(cases_path)] == ["demo", "other"]
    untagged = Suite(name="tiny", cases=[_case().model_copy(update={"tags": {}})], kb=tmp_path)
    cases_path, kb_path = untagged.write(tmp_path / "other")
    assert kb_path == tmp_path
    assert load_cases(cases_path)[0].tags == {"suite": "tiny"}
