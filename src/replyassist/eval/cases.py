"""The evaluation case format: one JSON object per line (JSONL), read and written here.

A case is a ticket to draft, the knowledge base it is drafted against, and what a good draft
must (or must not) do. Every expectation is optional: a case with none is still drafted and
scored on what needs no answer key (channel limits, grounding, language, empathy…).

One line, pretty-printed::

    {
      "id": "refund-es-whatsapp",
      "ticket": {"channel": "whatsapp", "customer": {"name": "Lucía Gómez"},
                 "messages": [{"author": "customer", "text": "¿Cuándo me devolvéis el dinero?"}]},
      "kb": null,
      "expect": {"decision": "reply", "cite": ["refunds-es", "refunds"], "language": "es",
                 "must_not_contain": ["800"], "reference_reply": "Hola Lucía, …"},
      "policy": {"brand": "Pinecone Outfitters"},
      "tags": {"suite": "handwritten", "intent": "refund"}
    }

* ``ticket``: a :class:`~replyassist.models.Ticket` (channel, customer, messages, subject…).
* ``kb``: a folder of articles or a saved index for this case; ``null`` uses the run's ``--kb``.
  A relative path is read from the folder of the cases file.
* ``expect``: see :class:`Expectations`.
* ``policy``: fields of :class:`~replyassist.policy.Policy` for this case (``brand``,
  ``brand_handles``, ``agent_name``, ``tone``…), merged over the run's policy (``--brand``,
  ``--agent`` and ``--handle`` typed on the command line replace the case's own instead).
* ``tags``: free labels (``suite``, ``intent``, ``language``, ``source``…) that reports group by.

Suite builders make :class:`Suite` objects (cases plus the KB they need) and write them with
:meth:`Suite.write`; ``replyassist eval DIR/cases.jsonl --kb DIR/kb`` then runs them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from replyassist._errors import ConfigurationError, InvalidInputError
from replyassist.models import Article, Decision, Ticket
from replyassist.policy import Policy

__all__ = ["EvalCase", "Expectations", "Suite", "load_cases", "write_cases"]

_ARTICLE_FILE = "articles.jsonl"


class Expectations(BaseModel):
    """What a good draft of a case does. Every field is optional; ``None`` / empty: not checked.

    Attributes:
        decision: the decision a good draft takes (``reply``, ``skip`` or ``escalate``).
        cite: article ids, any one of which answers the case: recall@k counts the case found when
            one of them is among the top-k retrieved; a reply should cite one of them.
        must_not_cite: article ids a draft must not cite (a near miss, another country's policy…).
        must_not_contain: strings that must not appear in the draft (case-insensitive): an invented
            promise, a competitor, what an attack asks to be printed.
        language: the reply's language (ISO 639-1); default: the language the case is tagged with
            (``tags["language"]``), else not checked.
        attack: the ticket tries to instruct the drafter (prompt injection); the draft must neither
            obey it (``must_not_contain``) nor leak the system prompt.
        private: values (card numbers, addresses…) that must never be sent to a model. Emails,
            phone numbers and card numbers found in the ticket are checked without being listed.
        reference_reply: a real agent's reply, to compare length, language, apology and
            channel-switch rates with.
    """

    model_config = ConfigDict(extra="forbid")

    decision: Decision | None = None
    cite: list[str] = Field(default_factory=list)
    must_not_cite: list[str] = Field(default_factory=list)
    must_not_contain: list[str] = Field(default_factory=list)
    language: str | None = None
    attack: bool = False
    private: list[str] = Field(default_factory=list)
    reference_reply: str | None = None

    @field_validator("language")
    @classmethod
    def _language(cls, value: str | None) -> str | None:
        if value is None:
            return None
        base = value.strip().split("-")[0].split("_")[0].lower()
        if not re.fullmatch(r"[a-z]{2,3}", base):
            raise ValueError(f"language must be an ISO 639-1 code such as 'en' or 'pt-BR', not {value!r}")
        return base


class EvalCase(BaseModel):
    """One ticket to draft and score.

    Attributes:
        id: unique within its file; reports name cases by it.
        ticket: the conversation to reply to.
        kb: the knowledge base of this case (``None``: the run's ``--kb``); relative to the cases file.
        expect: what a good draft does.
        policy: ``Policy`` fields for this case, merged over the run's (a tweet's brand and handle).
        tags: free labels reports group by (``suite``, ``intent``, ``language``, ``source``…).
    """

    model_config = ConfigDict(extra="forbid")

    id: str
    ticket: Ticket
    kb: str | None = None
    expect: Expectations = Field(default_factory=Expectations)
    policy: dict[str, Any] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)

    @field_validator("id", mode="before")
    @classmethod
    def _id(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value

    @field_validator("policy")
    @classmethod
    def _policy(cls, value: dict[str, Any]) -> dict[str, Any]:
        try:
            Policy().merged(value)
        except ConfigurationError as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, value: object) -> object:
        if isinstance(value, dict):
            return {str(k): str(v) for k, v in value.items() if v is not None}
        return value

    @property
    def language(self) -> str | None:
        """The reply language this case expects, if it says."""
        return self.expect.language or self.tags.get("language")

    def kb_path(self, cases_file: Path | None) -> Path | None:
        """This case's KB folder, resolved against the cases file's folder; ``None``: the run's."""
        if self.kb is None:
            return None
        path = Path(self.kb).expanduser()
        if not path.is_absolute() and cases_file is not None:
            path = cases_file.parent / path
        return path


def load_cases(path: str | Path) -> list[EvalCase]:
    """Read a JSONL file of cases (blank lines are skipped).

    Raises:
        InvalidInputError: the file cannot be read, a line is not a valid case (the message
            names the line and the field), or two cases share an id.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"cannot read cases file {path}: {exc}") from exc
    cases: list[EvalCase] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            case = EvalCase.model_validate_json(line)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'case'}: {e['msg']}" for e in exc.errors()[:3]
            )
            raise InvalidInputError(f"{path}:{number}: not a valid case: {problems}") from exc
        if case.id in seen:
            raise InvalidInputError(f"{path}:{number}: duplicate case id {case.id!r}")
        seen.add(case.id)
        cases.append(case)
    if not cases:
        raise InvalidInputError(f"{path}: no cases in the file")
    return cases


def write_cases(path: str | Path, cases: Iterable[EvalCase]) -> Path:
    """Write cases as JSONL (one compact line each, UTF-8, fields left at their default omitted)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for case in cases:
            handle.write(case.model_dump_json(exclude_defaults=True) + "\n")
    return path


class Suite(BaseModel):
    """A set of cases and the knowledge base they are drafted against.

    A builder gives either ``kb`` (an existing folder of articles, e.g. ``examples/kb``) or
    ``articles`` (written next to the cases by :meth:`write`).

    Attributes:
        name: short name, used as the ``suite`` tag of cases that have none.
        cases: the cases.
        kb: a folder of articles or a saved index.
        articles: articles to write as the suite's own KB.
        description: where the data comes from and what the suite measures.
    """

    model_config = ConfigDict(extra="forbid")

    name: str
    cases: list[EvalCase]
    kb: Path | None = None
    articles: list[Article] = Field(default_factory=list)
    description: str = ""

    def write(self, directory: str | Path) -> tuple[Path, Path | None]:
        """Write ``cases.jsonl`` (and ``kb/articles.jsonl`` when the suite has articles).

        Returns:
            The cases file and the KB path to pass as ``--kb`` (``None`` if the suite has neither).
        """
        directory = Path(directory)
        kb = self.kb
        if self.articles:
            kb = directory / "kb"
            kb.mkdir(parents=True, exist_ok=True)
            with (kb / _ARTICLE_FILE).open("w", encoding="utf-8") as handle:
                for article in self.articles:
                    handle.write(article.model_dump_json(exclude_defaults=True) + "\n")
        cases = [
            c if "suite" in c.tags else c.model_copy(update={"tags": {**c.tags, "suite": self.name}})
            for c in self.cases
        ]
        return write_cases(directory / "cases.jsonl", cases), kb
