"""Model drafting: the library's overhead around the model call, and prompt size on long threads.

Run: python benchmarks/bench_llm.py  (prints Markdown; figures go to "## Model drafting" in RESULTS.md)

1. Overhead. ``ReplyAssistant.draft`` with a 10,000-passage KB and a model that answers at
   once, so that all the time measured is the library's (signals, retrieval, prompt building,
   parsing, checks, fitting) plus LangChain's invoke machinery. Two fake models: LangChain's
   ``FakeChatModel`` (no network at all), and the real ``ChatOpenAI`` + ``openai`` SDK talking
   to ``FakeOpenAIServer`` on loopback (adds HTTP, JSON and the SDK's own parsing).
2. Prompt tokens per draft on 30-message tickets: the prompt replyassist sends, against a
   straightforward LangChain chain (``ChatPromptTemplate``: the same system prompt and the same
   instructions, then the whole thread as chat messages and the top 5 retrieved articles in
   full), so that only the data sent differs. Both are counted with the same tokenizer
   estimate (``replyassist.drafting.llm.estimate_message_tokens``).

Data: the 10k-passage KB and the single-message tickets of bench_draft.py (real public support
text from ../shared/data); long threads from the same data: the five ABCD chat dialogs (real
customer/agent turns), each continued by the next dialog to reach 30 messages, and 30-message
email threads built from Bitext customer messages and agent answers of one intent.
"""

from __future__ import annotations

import csv
import json
import platform
import re
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_draft import real_articles, real_tickets  # noqa: E402
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage  # noqa: E402
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder  # noqa: E402
from langchain_openai import ChatOpenAI  # noqa: E402

from replyassist import KnowledgeBase, Policy, ReplyAssistant, Ticket  # noqa: E402
from replyassist.drafting.llm import LLMComposer, estimate_message_tokens  # noqa: E402
from replyassist.testing import FakeChatModel, FakeOpenAIServer, model_reply  # noqa: E402

POLICY = Policy(brand="Pinecone Outfitters", agent_name="Sam Rivera", brand_handles=("PineconeHelp",))
_SHOWN = re.compile(r'<passage id="([^"]+)"')


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def instant_answer(prompt: str) -> dict[str, Any]:
    ids = _SHOWN.findall(prompt)[:1]
    return model_reply(
        "Hi there, thanks for getting in touch and sorry for the trouble. Here is what to do next.",
        used_passage_ids=ids,
    )


def overhead(assistant: ReplyAssistant, tickets: list[Ticket]) -> dict[str, list[float]]:
    for ticket in tickets[:20]:  # warm-up: lexicons, prompt files, SDK imports
        assistant.draft(ticket)
    out: dict[str, list[float]] = defaultdict(list)
    for ticket in tickets:
        start = time.perf_counter()
        draft = assistant.draft(ticket)
        wall = (time.perf_counter() - start) * 1000
        if draft.usage is None or draft.usage.calls == 0:
            continue  # skipped tickets never reach the model
        out["wall"].append(wall)
        out["model"].append(draft.usage.model_ms)
        out["overhead"].append(wall - draft.usage.model_ms)
    return out


def abcd_threads() -> list[Ticket]:
    """Each ABCD dialog, preceded by earlier dialogs (earlier contacts in the same ticket) up to 30 messages."""
    dialogs = json.loads(
        (DATA / "abcd" / "dialogstudio_abcd_original_examples.json").read_text(encoding="utf-8")
    )
    turns = [[(s, t) for s, t in d["original"] if s in ("customer", "agent") and t.strip()] for d in dialogs]
    tickets = []
    for i, dialog in enumerate(dialogs):
        own = list(turns[i])
        # End on the dialog's last substantive customer message (not "thanks, bye").
        while own and not (own[-1][0] == "customer" and len(own[-1][1]) >= 25):
            own.pop()
        earlier: list[tuple[str, str]] = []
        j = i + 1
        while len(earlier) + len(own) < 30:
            earlier = turns[j % len(turns)] + earlier
            j += 1
        messages = (earlier + own)[-30:]
        name = dialog["scenario"]["personal"].get("customer_name", "Alex")
        tickets.append(
            Ticket.model_validate(
                {
                    "id": f"abcd-{dialog['convo_id']}",
                    "channel": "chat",
                    "customer": {"name": name},
                    "messages": [{"author": s, "text": t} for s, t in messages],
                }
            )
        )
    return tickets


def bitext_threads(limit: int = 20) -> list[Ticket]:
    by_intent: dict[str, list[dict[str, str]]] = defaultdict(list)
    path = DATA / "bitext_customer_support" / "Bitext_Sample_Customer_Support_Training_Dataset.csv"
    with path.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            by_intent[row["intent"]].append(row)
    tickets = []
    for intent, rows in sorted(by_intent.items())[:limit]:
        messages = []
        for k in range(15):
            messages.append({"author": "customer", "text": rows[2 * k]["instruction"]})
            messages.append({"author": "agent", "text": rows[2 * k + 1]["response"]})
        messages[-1] = {"author": "customer", "text": rows[31]["instruction"]}
        tickets.append(
            Ticket.model_validate(
                {
                    "id": f"bitext-{intent}",
                    "channel": "email",
                    "customer": {"name": "Alex Doe"},
                    "messages": messages,
                }
            )
        )
    return tickets


_DATA_BLOCKS = re.compile(r"<conversation.*?</conversation>|<passages>.*?</passages>", re.S)


def naive_prompt_tokens(kb: KnowledgeBase, ticket: Ticket, system: str, instructions: str) -> int:
    """The straightforward chain: the same system prompt and instructions, the whole thread, the top 5 articles."""
    last = ticket.last_customer_message
    assert last is not None
    articles = {a.id: a for a in kb.articles}
    top = list(dict.fromkeys(h.passage.article_id for h in kb.search(last.body, k=5)))
    history: list[BaseMessage] = [
        HumanMessage(m.body) if m.author.value == "customer" else AIMessage(m.body) for m in ticket.messages
    ]
    chain = ChatPromptTemplate.from_messages(
        [
            ("system", "{system}"),
            MessagesPlaceholder("history"),
            ("human", "{instructions}\n\nKnowledge base articles:\n{articles}"),
        ]
    )
    formatted = chain.format_messages(
        system=system,
        history=history,
        instructions=instructions,
        articles="\n\n".join(f"# {articles[a].title}\n{articles[a].body}" for a in top if a in articles),
    )
    return estimate_message_tokens(str(m.content) for m in formatted)


def prompt_sizes(kb: KnowledgeBase, tickets: list[Ticket]) -> list[tuple[str, int, int, int]]:
    model = FakeChatModel(respond=lambda messages: instant_answer(str(messages[-1].content)))
    assistant = ReplyAssistant(kb, llm=model, policy=POLICY)
    rows = []
    for ticket in tickets:
        before = len(model.calls)
        assistant.draft(ticket)
        if len(model.calls) == before:
            continue  # skipped: no model call
        system, user = (str(m.content) for m in model.calls[-1])
        ours = estimate_message_tokens([system, user])
        # The naive chain gets exactly our rules; only the data it carries differs.
        instructions = _DATA_BLOCKS.sub("", user).strip()
        passages = len(_SHOWN.findall(user))
        rows.append((str(ticket.id), ours, naive_prompt_tokens(kb, ticket, system, instructions), passages))
    return rows


def main() -> None:
    cpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model_name = next(
        (line.split(":", 1)[1].strip() for line in cpu.splitlines() if "Model name" in line), "?"
    )
    print(f"machine: {model_name}, {platform.machine()}, python {platform.python_version()}")
    t = time.perf_counter()
    kb = KnowledgeBase(real_articles(10_000))
    print(
        f"KB: {len(kb)} passages from {len(kb.articles)} articles (built in {time.perf_counter() - t:.1f} s)"
    )
    tickets = real_tickets(300)

    fake = FakeChatModel(respond=lambda messages: instant_answer(str(messages[-1].content)))
    local = overhead(ReplyAssistant(kb, llm=fake, policy=POLICY), tickets)
    with FakeOpenAIServer(handler=lambda r: instant_answer(r.prompt_text)) as server:
        chat = ChatOpenAI(model="gpt-4o-mini", api_key="sk-bench", base_url=server.base_url, max_retries=0)
        sdk = overhead(ReplyAssistant(kb, llm=LLMComposer(chat), policy=POLICY), tickets)
    print(
        f"\n{len(local['wall'])} of {len(tickets)} real tickets reached the model (the rest were skipped)\n"
    )
    print(
        "| fake model | draft wall p50 / p95 | model call p50 | overhead around the model p50 / p95 | target |"
    )
    print("|---|---|---|---|---|")
    for label, rows in (
        ("FakeChatModel (in process)", local),
        ("ChatOpenAI → FakeOpenAIServer (loopback HTTP)", sdk),
    ):
        print(
            f"| {label} | {pct(rows['wall'], 0.5):.2f} / {pct(rows['wall'], 0.95):.2f} ms | "
            f"{pct(rows['model'], 0.5):.2f} ms | {pct(rows['overhead'], 0.5):.2f} / {pct(rows['overhead'], 0.95):.2f} ms"
            " | p50 ≤ 20 ms |"
        )

    print(
        "\n| 30-message tickets | tickets | replyassist prompt tokens, mean (min–max) | naive chain, mean | ratio (ours / naive), mean (max) | target |"
    )
    print("|---|---|---|---|---|---|")
    for label, threads in (("ABCD chat dialogs", abcd_threads()), ("Bitext email threads", bitext_threads())):
        rows = prompt_sizes(kb, threads)
        ours = [r[1] for r in rows]
        naive = [r[2] for r in rows]
        ratios = [r[1] / r[2] for r in rows]
        print(
            f"| {label} | {len(rows)} (passages shown: {statistics.mean(r[3] for r in rows):.1f} per draft) | "
            f"{statistics.mean(ours):.0f} ({min(ours)}–{max(ours)}) | {statistics.mean(naive):.0f} | "
            f"{statistics.mean(ratios):.2f} ({max(ratios):.2f}) | ≤ 0.5 |"
        )


if __name__ == "__main__":
    main()
