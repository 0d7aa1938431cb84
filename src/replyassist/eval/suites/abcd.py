"""``abcd``: policy-grounded drafting on the ABCD agent guidelines (ASAPP).

**KB.** The 55 subflows of ``guidelines.json`` are the articles (a realistic agent policy KB):
id ``abcd-<subflow>`` with ABCD's own subflow ids (``refund_status``…), title
``<Flow>: <Subflow>`` as the guidelines name them, body the subflow's instructions and its
actions with their sub-steps. ABCD names each subflow twice, by id in ``ontology.json`` and
``kb.json`` and by title in ``guidelines.json``, in the same order within each flow; the builder
pairs them by position and refuses to build if a pair shares no word (``credit_card`` ↔
"Invalid Credit Card", ``reset_2fa`` ↔ "Reset Two-Factor Auth"…).

**Cases**, two sources, every one with the article(s) a draft must rely on (``expect.cite``):

* *ABCD dialogs* (the 5 real chats available: ``abcd_sample.json`` and DialogStudio's examples).
  Each time the agent answers, the chat so far is a case (the agent's system actions kept as
  internal notes), the agent's real answer its reference reply, and the gold article the one of
  the dialog's ``scenario.subflow`` label: ABCD's ground truth of which guideline the agent must
  follow (a numbered variant such as ``timing_4`` is its subflow ``timing``).
* *Bitext instructions* routed to the same KB. Five dialogs say little about retrieval, so the
  customer messages of nine Bitext intents whose request one ABCD subflow handles are added
  (``BITEXT_TO_ABCD``; where two subflows handle it, either counts). Intents with no ABCD
  subflow or only a loose one (delivery times, account edits, invoices…) are left out.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from replyassist._errors import ConfigurationError
from replyassist.eval.cases import EvalCase, Expectations, Suite
from replyassist.eval.suites._common import BuiltSuite, SuiteInfo
from replyassist.eval.suites._data import abcd_dialogs, abcd_guidelines, abcd_ontology, bitext_rows, sample
from replyassist.models import Article, Channel, Customer, Message, Role, Ticket

__all__ = [
    "BITEXT_TO_ABCD",
    "INFO",
    "article_id",
    "bitext_queries",
    "build",
    "dialog_queries",
    "policy_articles",
]

INFO = SuiteInfo(
    name="abcd",
    data=("abcd", "bitext_customer_support"),
    source="ABCD, github.com/asappresearch/abcd @6b8700c (guidelines.json, kb.json, ontology.json, "
    "abcd_sample.json; DialogStudio's ABCD examples); Bitext customer-support set @8b6ca3d for the "
    "routed customer messages",
    license="ABCD: MIT (ASAPP). Bitext rows: CDLA-Sharing-1.0",
    measures="policy-grounded drafting: recall@5 and citation precision on the policy KB, grounding "
    "in the cited guideline, and the real agent's next turn as reference (ABCD dialogs)",
    kb="the 55 ABCD guideline subflows, one article each (instructions, actions and sub-steps)",
    expectations="cite = the article of the dialog's scenario.subflow label (ABCD dialogs) or of the "
    "Bitext intent through BITEXT_TO_ABCD; reference_reply = the agent's real next turn (dialogs); "
    "language = en",
)

BITEXT_TO_ABCD: dict[str, tuple[str, ...]] = {
    "recover_password": ("recover_password",),
    "get_refund": ("refund_initiate",),
    "track_refund": ("refund_status",),
    "check_refund_policy": ("policy",),
    "track_order": ("status",),
    "change_shipping_address": ("manage", "manage_change_address"),
    "payment_issue": ("credit_card",),
    "check_payment_methods": ("status_payment_method", "manage_payment_method"),
    "cancel_order": ("manage_cancel",),
}
"""Bitext intent → the ABCD subflow(s) whose guideline handles that request (ids of ``kb.json``)."""

BITEXT_PER_INTENT = 20
"""Bitext messages per mapped intent in a full build (9 intents)."""

_VARIANT = re.compile(r"_\d+$")


def article_id(subflow: str) -> str:
    return f"abcd-{subflow}"


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower().replace("2fa", "two factor")))


def _paired_subflows(data: Path) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """(subflow id, flow title, subflow title, guideline) for each of the 55 subflows."""
    guidelines = abcd_guidelines(data)
    by_flow = {re.sub(r"[\s-]+", "_", title.lower()): title for title in guidelines}
    for flow, ids in abcd_ontology(data)["intents"]["subflows"].items():
        title = by_flow.get(flow)
        if title is None:
            raise ConfigurationError(f"ABCD flow {flow!r} of ontology.json is not in guidelines.json")
        subflows = guidelines[title]["subflows"]
        if len(subflows) != len(ids):
            raise ConfigurationError(
                f"ABCD flow {flow!r}: {len(ids)} subflow ids but {len(subflows)} guidelines"
            )
        for subflow, (name, spec) in zip(ids, subflows.items(), strict=True):
            if not _words(subflow.replace("_", " ")) & _words(name):
                raise ConfigurationError(f"ABCD subflow {subflow!r} does not match guideline {name!r}")
            yield subflow, title, name, spec


def _body(spec: dict[str, Any]) -> str:
    instructions = [str(i) for i in spec.get("instructions", [])]
    paragraphs = instructions[:1]
    for action in spec.get("actions", []):
        lines = [str(action.get("text", "")), *(f"- {s}" for s in action.get("subtext", []))]
        paragraphs.append("\n".join(line for line in lines if line.strip()))
    paragraphs += instructions[1:]
    return "\n\n".join(p for p in paragraphs if p.strip())


def policy_articles(data: Path) -> list[Article]:
    """The ABCD policy KB: one article per guideline subflow."""
    return [
        Article(
            id=article_id(subflow),
            title=f"{flow}: {name}",
            body=_body(spec),
            locale="en",
            labels=[flow],
        )
        for subflow, flow, name, spec in _paired_subflows(data)
    ]


def bitext_queries(data: Path) -> list[tuple[str, str, tuple[str, ...]]]:
    """Every Bitext instruction of a mapped intent: (text, intent, gold article ids), file order."""
    return [
        (
            row["instruction"].strip(),
            row["intent"],
            tuple(article_id(s) for s in BITEXT_TO_ABCD[row["intent"]]),
        )
        for row in bitext_rows(data)
        if row["intent"] in BITEXT_TO_ABCD
    ]


def dialog_queries(data: Path) -> list[tuple[str, str, tuple[str, ...]]]:
    """Each ABCD dialog's customer side as one text: (text, subflow label, gold article ids)."""
    known = {s for s, *_ in _paired_subflows(data)}
    out: list[tuple[str, str, tuple[str, ...]]] = []
    for dialog in abcd_dialogs(data):
        subflow = _subflow_of(dialog, known)
        said = "\n".join(str(text) for speaker, text in dialog["original"] if speaker == "customer")
        out.append((said, subflow, (article_id(subflow),)))
    return out


def _subflow_of(dialog: dict[str, Any], known: set[str]) -> str:
    subflow = str(dialog["scenario"]["subflow"])
    return subflow if subflow in known else _VARIANT.sub("", subflow)


def _dialog_cases(dialog: dict[str, Any], gold: str) -> list[EvalCase]:
    """One case per agent answer: the chat before it, the answer as reference."""
    personal = dialog["scenario"].get("personal", {})
    customer = Customer(name=str(personal.get("customer_name", "")).title() or None)
    cases: list[EvalCase] = []
    messages: list[Message] = []
    turns = [(str(s), str(t)) for s, t in dialog["original"]]
    for i, (speaker, text) in enumerate(turns):
        said = [m for m in messages if m.author is not Role.BOT]
        if speaker == "agent" and said and said[-1].author is Role.CUSTOMER:
            answer = [text]
            for later_speaker, later_text in turns[i + 1 :]:
                if later_speaker != "agent":
                    break
                answer.append(later_text)
            n = len(cases) + 1
            cases.append(
                EvalCase(
                    id=f"abcd-dialog-{dialog['convo_id']}-{n:02d}",
                    ticket=Ticket(
                        id=f"abcd-{dialog['convo_id']}-{n}",
                        channel=Channel.CHAT,
                        customer=customer,
                        messages=list(messages),
                    ),
                    expect=Expectations(cite=[gold], language="en", reference_reply=" ".join(answer)),
                    tags={"suite": INFO.name, "source": "abcd-dialog", "subflow": gold.removeprefix("abcd-")},
                )
            )
        role = {"agent": Role.AGENT, "customer": Role.CUSTOMER}.get(speaker, Role.BOT)
        messages.append(Message(author=role, text=text, public=role is not Role.BOT))
    return cases


def build(data: Path, *, limit: int | None = None, seed: int) -> BuiltSuite:
    """The suite: every ABCD dialog turn, then ``BITEXT_PER_INTENT`` Bitext messages per mapped intent
    (a seeded sample); ``limit`` cuts the whole to that many cases, a seeded sample again."""
    articles = policy_articles(data)
    known = {a.id.removeprefix("abcd-") for a in articles}
    cases = [c for d in abcd_dialogs(data) for c in _dialog_cases(d, article_id(_subflow_of(d, known)))]
    rng = random.Random(seed)
    by_intent: dict[str, list[tuple[str, tuple[str, ...]]]] = defaultdict(list)
    for text, intent, gold in bitext_queries(data):
        by_intent[intent].append((text, gold))
    for intent in BITEXT_TO_ABCD:
        for n, (text, gold) in enumerate(sample(by_intent[intent], BITEXT_PER_INTENT, rng), 1):
            cases.append(
                EvalCase(
                    id=f"abcd-bitext-{intent}-{n:02d}",
                    ticket=Ticket.from_text(text, channel=Channel.CHAT, id=f"abcd-bitext-{intent}-{n}"),
                    expect=Expectations(cite=list(gold), language="en"),
                    tags={"suite": INFO.name, "source": "bitext", "intent": intent},
                )
            )
    cases = sample(cases, limit, random.Random(seed))
    return BuiltSuite(Suite(name=INFO.name, cases=cases, articles=articles, description=INFO.measures))
