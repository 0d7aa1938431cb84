"""The ``replyassist`` command: a thin layer over the library.

Every ``ReplyAssistError`` becomes one clear line on stderr and exit code 1; usage
errors exit with 2 (Typer's convention).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from replyassist._errors import ReplyAssistError
from replyassist._resources import samples_dir
from replyassist._text import strip_quoted, truncate
from replyassist.models import Customer, Decision, Draft, Ticket
from replyassist.service.cli_http import register as register_serve
from replyassist.service.cli_jobs import register as register_worker
from replyassist.service.cli_store import register as register_store

__all__ = ["app", "main"]

app = typer.Typer(
    name="replyassist",
    help="Draft empathetic, on-channel replies to customer messages from your knowledge base.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
kb_app = typer.Typer(help="Build and query a knowledge-base index.", no_args_is_help=True)
app.add_typer(kb_app, name="kb")
register_serve(app)
register_store(app)
register_worker(app)

out = Console(soft_wrap=False)
err = Console(stderr=True)

_DECISION_STYLE = {Decision.REPLY: "bold green", Decision.SKIP: "bold yellow", Decision.ESCALATE: "bold red"}

KbOption = Annotated[
    Path | None,
    typer.Option(
        "--kb", envvar="REPLYASSIST_KB", help="A folder of articles, or an index saved by `kb index`."
    ),
]
BrandOption = Annotated[str | None, typer.Option(envvar="REPLYASSIST_BRAND", help="The brand's name.")]
AgentOption = Annotated[str | None, typer.Option(envvar="REPLYASSIST_AGENT", help="The agent who signs.")]


@contextmanager
def _errors() -> Iterator[None]:
    """Turn library errors into one line and exit code 1."""
    try:
        yield
    except ReplyAssistError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True)
        raise typer.Exit(1) from None


@app.command()
def draft(
    message: Annotated[str | None, typer.Argument(help="The customer's message ('-' reads stdin).")] = None,
    ticket: Annotated[Path | None, typer.Option("--ticket", "-t", help="A ticket as a JSON file.")] = None,
    channel: Annotated[str | None, typer.Option("--channel", "-c", help="email, chat, twitter, …")] = None,
    name: Annotated[str | None, typer.Option("--name", help="The customer's name.")] = None,
    kb: KbOption = None,
    brand: BrandOption = None,
    agent: AgentOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole draft as JSON.")] = False,
) -> None:
    """Draft a reply to one message or one ticket."""
    with _errors():
        from replyassist._errors import InvalidInputError
        from replyassist.drafting.pipeline import ReplyAssistant

        if (message is None) == (ticket is None):
            raise InvalidInputError("give either a MESSAGE or --ticket FILE")
        if ticket is not None:
            the_ticket = _read_ticket(ticket)
            if channel:
                the_ticket = Ticket.model_validate({**the_ticket.model_dump(), "channel": channel})
        else:
            text = sys.stdin.read() if message == "-" else str(message)
            the_ticket = Ticket.from_text(
                text, channel=channel or "unknown", customer=Customer(name=name) if name else None
            )
        assistant = ReplyAssistant(kb, policy=_policy(brand, agent))
        result = assistant.draft(the_ticket)
        if as_json:
            out.print_json(result.model_dump_json())
        else:
            out.print(_draft_panel(result))


@app.command()
def demo(
    kb: KbOption = None,
    tickets: Annotated[Path | None, typer.Option(help="A folder of ticket JSON files.")] = None,
    brand: BrandOption = "Pinecone Outfitters",
    agent: AgentOption = "Sam Rivera",
) -> None:
    """Draft replies for the sample tickets and show them beside the customer's message."""
    with _errors():
        from replyassist.drafting.pipeline import ReplyAssistant

        kb_path = kb or samples_dir() / "kb"
        tickets_path = tickets or samples_dir() / "tickets"
        files = sorted(tickets_path.glob("*.json"))
        if not files:
            raise ReplyAssistError(f"no ticket files (*.json) in {tickets_path}")
        assistant = ReplyAssistant(
            kb_path, policy={**_policy(brand, agent), "brand_handles": ["PineconeHelp"]}
        )
        counts = {d: 0 for d in Decision}
        matched = 0
        for path in files:
            the_ticket = _read_ticket(path)
            result = assistant.draft(the_ticket)
            counts[result.decision] += 1
            expected = the_ticket.metadata.get("expected_decision")
            matched += expected == result.decision.value
            out.print(_side_by_side(path.name, the_ticket, result, expected))
        summary = ", ".join(f"{d.value}: {n}" for d, n in counts.items())
        out.print(
            f"\n[bold]{len(files)} tickets[/] — {summary}; "
            f"{matched}/{len(files)} decisions as the sample expects."
        )


@kb_app.command("index")
def kb_index(
    source: Annotated[Path, typer.Argument(help="A folder of articles (Markdown, HTML, text, JSON, JSONL).")],
    output: Annotated[Path, typer.Option("--out", "-o", help="Where to save the index.")],
) -> None:
    """Index a folder of articles and save the index for fast loading."""
    with _errors():
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        from replyassist.knowledge import KnowledgeBase

        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        ) as progress:
            task = progress.add_task("indexing", total=None)

            def report(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            knowledge = KnowledgeBase.from_directory(source, progress=report)
        knowledge.save(output)
        for problem in knowledge.load_errors:
            err.print(f"[yellow]skipped:[/] {problem}", highlight=False)
        out.print(f"indexed {len(knowledge.articles)} articles ({len(knowledge)} passages) → {output}")


@kb_app.command("search")
def kb_search(
    kb: Annotated[Path, typer.Argument(help="A saved index or a folder of articles.")],
    query: Annotated[str, typer.Argument(help="What to look for.")],
    k: Annotated[int, typer.Option("-k", min=1, max=50, help="How many passages.")] = 5,
    language: Annotated[str | None, typer.Option(help="The query's language (ISO 639-1).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Search a knowledge base."""
    with _errors():
        from replyassist.drafting.pipeline import _resolve_kb

        knowledge = _resolve_kb(kb)
        hits = knowledge.search(query, k=k, language=language, locale=language)
        if as_json:
            out.print_json(json.dumps([h.model_dump(mode="json") for h in hits]))
            return
        table = Table("score", "cover", "article", "passage")
        for hit in hits:
            table.add_row(
                f"{hit.score:.2f}",
                f"{hit.coverage:.2f}",
                hit.passage.title,
                Text(hit.passage.text[:160].replace("\n", " ")),
            )
        out.print(table)


def _read_ticket(path: Path) -> Ticket:
    from replyassist._errors import InvalidTicketError
    from replyassist.drafting.pipeline import _parse_ticket

    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidTicketError(f"cannot read ticket file {path}: {exc}") from exc
    return _parse_ticket(raw if raw.strip() else "{}")


def _policy(brand: str | None, agent: str | None) -> dict[str, Any]:
    return {k: v for k, v in {"brand": brand, "agent_name": agent}.items() if v}


def _draft_panel(result: Draft) -> Panel:
    body = Text()
    body.append(result.text or "(no reply)", style="" if result.text else "dim")
    for source, url in dict.fromkeys((c.title, c.url) for c in result.citations):  # a Citation per passage
        body.append(f"\n↳ {source}" + (f" <{url}>" if url else ""), style="cyan")
    for warning in result.warnings:
        body.append(f"\n⚠ {warning.message}", style="yellow")
    for reason in result.reasons:
        body.append(f"\n· {reason}", style="dim")
    title = Text.assemble(
        (result.decision.value.upper(), _DECISION_STYLE[result.decision]),
        f" · {result.channel.value} · {result.language} · {result.timings.total_ms:.0f} ms",
    )
    return Panel(body, title=title, title_align="left")


def _side_by_side(name: str, ticket: Ticket, result: Draft, expected: object) -> Table:
    last = ticket.last_customer_message
    customer = Text()
    who = ticket.customer.name or ticket.customer.handle or "customer"
    customer.append(f"{who}", style="bold")
    if ticket.subject:
        customer.append(f" — {ticket.subject}", style="italic")
    customer.append("\n" + (truncate(strip_quoted(last.body) or last.body, 700) if last else "(no message)"))
    mark = (
        ""
        if expected is None
        else (" ✓" if expected == result.decision.value else f" (sample expects {expected})")
    )
    table = Table(
        title=Text(f"{name}{mark}", style="bold"), title_justify="left", expand=True, show_lines=False
    )
    table.add_column(f"customer · {ticket.channel.value}", ratio=1)
    table.add_column("draft", ratio=1)
    table.add_row(customer, _draft_panel(result))
    return table


def _mount_eval() -> None:
    from replyassist.eval.cli import evaluate

    app.command("eval")(evaluate)


_mount_eval()


def main() -> None:
    """Entry point of the ``replyassist`` console script."""
    app()


if __name__ == "__main__":
    main()
