"""Webhook intake latency of the service in embedded mode, under a steady 200 requests/s.

Run: python benchmarks/bench_webhook_intake.py [--write] [--seconds 60] [--rate 200]

The service runs in its own process, as `replyassist serve` runs it: uvicorn on loopback, a
SQLite store, and the embedded job queue (8 workers, the default) drafting every accepted event
on the sample KB with a fake model answering in 1 s, and a FakeHelpdesk whose API calls take
100 ms (a remote helpdesk). As `serve` does by default, the job workers run in a worker process
the service starts (`ProcessQueue`, lower CPU priority); `--threads SECONDS` also measures them as
threads of the server process (`REPLYASSIST_JOB_PROCESS=false`). The load comes from this process (asyncio + httpx), open loop: request i is
sent at t0 + i/rate whatever the answers before it, so a slow server cannot slow the load down.
Each webhook is signed as the helpdesk signs it; 90% are new events, each about a different
ticket (so the workers draft all the time), 10% redeliver an earlier event (duplicates).
Latency is measured by the client, from each request's scheduled send time to the end of its
answer (so time spent waiting for one of the 64 connections counts too).

The naive alternative, for comparison: the same webhook answered only after fetching the
ticket, drafting and posting the note inside the request (what a first version might do), at
the same rate for a few seconds, in a separate server process.
"""

from __future__ import annotations

import argparse
import asyncio
import faulthandler
import logging
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

SECRET = "bench-webhook-secret"
HELPDESK_LATENCY = 0.1
MODEL_SECONDS = 1.0
MODEL_REPLY = "Thanks for getting in touch. I'm looking into this for you now and will update you shortly."
NAIVE_SECONDS = 5
DUPLICATES = 0.1
WARM_UP = 5.0
TIMEOUT = 5.0
"""Seconds a request may take in all before it counts as an error (helpdesks time out after about 10 s)."""


# --- the server side (run in a child process) ---------------------------------------------------


def sample_tickets() -> list[object]:
    from replyassist import Ticket

    return [
        Ticket.model_validate_json(p.read_text(encoding="utf-8"))
        for p in sorted((ROOT / "examples" / "tickets").glob("*.json"))
    ]


def build_context(data_dir: Path, tickets: int, mode: str) -> object:
    """The service's context: the store, a FakeHelpdesk holding ``tickets`` tickets, the assistant.

    Called in the server process, and again in the job process (process mode), which gets its
    own FakeHelpdesk with the same tickets, as a remote helpdesk would be shared.
    """
    from replyassist import ReplyAssistant
    from replyassist.service.config import ServiceSettings
    from replyassist.service.context import ServiceContext
    from replyassist.service.store import Store
    from replyassist.testing import FakeHelpdesk

    logging.basicConfig(
        filename=data_dir / "service.log", level=logging.INFO, format="%(asctime)s %(name)s %(message)s"
    )
    settings = ServiceSettings(data_dir=data_dir, helpdesks=[])
    store = Store(settings.database_url.get_secret_value())
    store.migrate()
    fake = FakeHelpdesk(SECRET)
    samples = sample_tickets()
    for i in range(tickets):
        ticket = samples[i % len(samples)]
        fake.create_ticket(ticket.model_copy(update={"id": f"t{i}"}))  # type: ignore[attr-defined]
    fake.latency = HELPDESK_LATENCY
    llm = None
    if mode != "offline":
        from replyassist.testing import FakeChatModel, model_reply

        llm = FakeChatModel(default=model_reply(MODEL_REPLY), delay=MODEL_SECONDS)
    assistant = ReplyAssistant(ROOT / "examples" / "kb", llm=llm)
    return ServiceContext(settings=settings, store=store, adapters={"fake": fake}, assistant=assistant)


def serve(port: int, data_dir: Path, tickets: int, mode: str, jobs: str) -> None:
    """The server process: as ``replyassist serve`` runs (jobs in a child process), or with job threads."""
    from functools import partial

    import uvicorn

    from replyassist.service.context import ServiceContext

    context = build_context(data_dir, tickets, mode)
    assert isinstance(context, ServiceContext)
    if mode == "naive":
        app = naive_app(context)
    else:
        from replyassist.service.app import create_app
        from replyassist.service.jobs import InProcessQueue, JobQueue
        from replyassist.service.procqueue import ProcessQueue

        queue: JobQueue = (
            ProcessQueue(context.settings, context_factory=partial(build_context, data_dir, tickets, mode))  # type: ignore[arg-type]
            if jobs == "process"
            else InProcessQueue(context)
        )
        app = create_app(context.settings, context=context, queue=queue)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def naive_app(context: object) -> object:
    """What a first version might do: everything inside the request, answered when the note is posted."""
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from replyassist.helpdesk import WebhookRequest
    from replyassist.service.context import ServiceContext

    assert isinstance(context, ServiceContext)
    adapter = context.adapters["fake"]

    async def webhook(request: Request) -> JSONResponse:
        received = WebhookRequest(headers=dict(request.headers), body=await request.body())

        def handle() -> dict[str, str]:
            adapter.verify_webhook(received)
            event = adapter.parse_webhook(received)
            ticket = adapter.fetch_ticket(event.ticket_id)
            draft = context.assistant.draft(ticket)
            context.store.save_draft(draft, helpdesk="fake", ticket_id=event.ticket_id)
            adapter.post_note(event.ticket_id, draft, key=event.event_id)
            return {"draft_id": draft.id}

        return JSONResponse(await run_in_threadpool(handle), status_code=202)

    async def ready(request: Request) -> JSONResponse:
        return JSONResponse({})

    return Starlette(
        routes=[Route("/webhooks/fake", webhook, methods=["POST"]), Route("/openapi.json", ready)]
    )


# --- the load (this process) ----------------------------------------------------------------------


@dataclass
class Run:
    label: str
    rate: float
    seconds: float
    latencies: list[float] = field(default_factory=list)
    offsets: list[float] = field(default_factory=list)
    """When each request was due, in seconds from the start (same order as ``latencies``)."""
    statuses: dict[str, int] = field(default_factory=dict)
    max_lag_ms: float = 0.0
    wall: float = 0.0

    @property
    def sent(self) -> int:
        return sum(self.statuses.values())

    @property
    def errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status != "202")

    def quantile(self, q: float, *, after: float = 0.0) -> float:
        """The ``q`` quantile of latency in ms, of the requests due ``after`` seconds or later."""
        ordered = sorted(lat for lat, at in zip(self.latencies, self.offsets, strict=True) if at >= after)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")


def requests_for(
    count: int, tickets: int, duplicate_share: float, seed: int = 5
) -> list[tuple[bytes, dict[str, str]]]:
    """Signed webhook bodies and headers: new events about distinct tickets, and some redeliveries."""
    from replyassist.helpdesk import EventKind
    from replyassist.testing import FakeHelpdesk

    rng = random.Random(seed)
    signer = FakeHelpdesk(SECRET)
    sent: list[tuple[str, str]] = []
    out = []
    for i in range(count):
        if sent and rng.random() < duplicate_share:
            ticket, event_id = sent[rng.randrange(max(0, len(sent) - 200), len(sent))]
        else:
            ticket, event_id = f"t{len(sent) % tickets}", uuid.uuid4().hex
            sent.append((ticket, event_id))
        kind = EventKind.COMMENT_ADDED if i % 3 else EventKind.TICKET_CREATED
        request = signer.webhook(ticket, kind, event_id)
        out.append((request.body, dict(request.headers)))
    return out


CONNECTIONS = 64


async def load(base: str, run: Run, requests: list[tuple[bytes, dict[str, str]]]) -> None:
    """Send request i at t0 + i/rate over a pool of keep-alive connections; time it from that moment.

    A minimal HTTP/1.1 client on asyncio streams: a general-purpose client (httpx) spends more
    CPU on its own pool than the server spends answering once requests queue up, and would
    measure itself. Latency counts from the scheduled time, so waiting for a free connection
    counts too (no coordinated omission).
    """
    host, port = base.removeprefix("http://").split(":")
    queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()

    def record(due: float, status: str) -> None:
        run.latencies.append(time.perf_counter() - due)
        run.offsets.append(due - t0)
        run.statuses[status] = run.statuses.get(status, 0) + 1

    async def connection() -> None:
        reader: asyncio.StreamReader | None = None
        writer: asyncio.StreamWriter | None = None
        while (item := await queue.get()) is not None:
            due, raw = item
            try:
                if writer is None or reader is None:
                    reader, writer = await asyncio.open_connection(host, int(port))
                left = max(0.001, due + TIMEOUT - time.perf_counter())
                status, keep = await asyncio.wait_for(_exchange(reader, writer, raw), left)
                if not keep:
                    writer.close()
                    reader = writer = None
            except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as exc:
                status = type(exc).__name__
                if writer is not None:
                    writer.close()
                reader = writer = None
            record(due, status)
        if writer is not None:
            writer.close()

    workers = [asyncio.create_task(connection()) for _ in range(CONNECTIONS)]
    raws = [_request_bytes(host, body, headers) for body, headers in requests]
    t0 = time.perf_counter()  # read by record() once the first request is due
    for i, raw in enumerate(raws):
        due = t0 + i / run.rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        run.max_lag_ms = max(run.max_lag_ms, (time.perf_counter() - due) * 1000)
        queue.put_nowait((due, raw))
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    run.wall = time.perf_counter() - t0


def _request_bytes(host: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = ["POST /webhooks/fake HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes
) -> tuple[str, bool]:
    """Send one request and read its whole answer: the status code, and whether the connection stays open."""
    writer.write(raw)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = head.split(b" ", 2)[1].decode()
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return status, b"connection: close" not in head.lower()


def start_server(data_dir: Path, tickets: int, mode: str, jobs: str) -> tuple[subprocess.Popen[bytes], str]:
    import httpx

    port = _free_port()
    args = [sys.executable, __file__, "--serve", str(port), str(data_dir), str(tickets), mode, jobs]
    server = subprocess.Popen(args, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if httpx.get(base + "/openapi.json", timeout=1).status_code == 200:
                return server, base
        except httpx.HTTPError:
            time.sleep(0.1)
    stop_server(server)
    raise RuntimeError("the service did not start")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def job_counts(data_dir: Path) -> dict[str, int]:
    from replyassist.service.store import Store

    store = Store(f"sqlite:///{(data_dir / 'replyassist.db').as_posix()}")
    try:
        return {str(k): v for k, v in store.stats().jobs.items()}
    finally:
        store.close()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def measure(
    label: str, mode: str, rate: float, seconds: float, jobs: str = "process"
) -> tuple[Run, dict[str, int]]:
    """One run against a fresh server process; also the jobs in its store when the load ended."""
    count = int(rate * seconds)
    with tempfile.TemporaryDirectory(prefix="ra-bench-") as tmp:
        data_dir = Path(tmp)
        requests = requests_for(count, count, DUPLICATES)  # every new event is about its own ticket
        server, base = start_server(data_dir, count, mode, jobs)
        run = Run(label, rate, seconds)
        try:
            asyncio.run(load(base, run, requests))
            jobs = {} if mode == "naive" else job_counts(data_dir)
        finally:
            stop_server(server)
    return run, jobs


def report(runs: list[tuple[Run, dict[str, int]]], load_before: float, load_after: float) -> str:
    lines = [
        f"Embedded mode: `create_app` under uvicorn, SQLite, the embedded job queue (8 workers; in a worker process "
        f"the service starts, as `replyassist serve` runs it, unless the row says threads) drafting every accepted "
        f"event; fake helpdesk API calls take {HELPDESK_LATENCY * 1000:.0f} ms. Load from a separate process, open "
        f"loop; {DUPLICATES:.0%} of the webhooks redeliver an earlier event; latency measured by the client from each "
        f"request's scheduled send time to its whole answer. {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores; load "
        f"average {load_before:.1f} before, {load_after:.1f} after (other work on the machine shows up here).",
        "",
        "| run | rate/s | requests | p50 ms | p95 ms | p99 ms | max ms | errors | answers | jobs at the end |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for run, jobs in runs:
        answers = ", ".join(f"{k}: {v}" for k, v in sorted(run.statuses.items()))
        backlog = ", ".join(f"{k} {v}" for k, v in sorted(jobs.items())) or "–"
        lines.append(
            f"| {run.label} | {run.rate:g} | {run.sent} | {run.quantile(0.5):.1f} | {run.quantile(0.95):.1f} | "
            f"{run.quantile(0.99):.1f} | {max(run.latencies, default=0) * 1000:.1f} | {run.errors} | {answers} | {backlog} |"
        )
    intake = runs[0][0]
    met = intake.quantile(0.99) <= 50 and intake.errors == 0 and intake.seconds >= 60 and intake.rate >= 200
    lines += [
        "",
        f"Target (intake p99 ≤ 50 ms, 0 errors at 200 requests/s for 60 s): **{'met' if met else 'not met'}** "
        f"(the load generator fell behind its schedule by at most {intake.max_lag_ms:.0f} ms). Jobs keep running "
        "after the answer; the backlog above is what the workers had not reached yet.",
        f"Without the first {WARM_UP:g} s (the workers' first drafts load what the model path loads lazily): "
        f"p50 {intake.quantile(0.5, after=WARM_UP):.1f} ms, p95 {intake.quantile(0.95, after=WARM_UP):.1f} ms, "
        f"p99 {intake.quantile(0.99, after=WARM_UP):.1f} ms.",
    ]
    threads = next((run for run, _ in runs if "job threads" in run.label), None)
    if threads is not None and threads.latencies:
        lines.append(
            f"Job threads in the server process instead (`REPLYASSIST_JOB_PROCESS=false`): p99 "
            f"{threads.quantile(0.99):.1f} ms. Drafting is CPU work between model calls; on threads of the "
            "server process it holds the GIL the event loop needs, and every webhook waits for it (up to the "
            "5 ms switch interval, several times per request). In the job process (`ProcessQueue`: spawned, "
            "watched and restarted by the service, same SQLite file, jobs claimed from the store, niced so "
            "that webhooks get a core first) the server process only answers requests."
        )
    naive = next((run for run, _ in runs if run.label.startswith("naive")), None)
    if naive is not None and naive.latencies:
        lines.append(
            f"Naive (fetch + draft + post inside the request, same model): p50 "
            f"{naive.quantile(0.5) / intake.quantile(0.5):,.0f}× the intake's; {naive.errors} of {naive.sent} "
            f"requests failed or timed out ({TIMEOUT:g} s)."
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--write", action="store_true", help="record the figures in benchmarks/RESULTS.md")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--no-naive", action="store_true", help="skip the naive comparison")
    parser.add_argument(
        "--offline",
        type=float,
        default=0,
        metavar="SECONDS",
        help="also measure intake while the workers draft offline (CPU-bound) for SECONDS",
    )
    parser.add_argument(
        "--threads",
        type=float,
        default=0,
        metavar="SECONDS",
        help="also measure intake with the job threads in the server process (thread mode) for SECONDS",
    )
    parser.add_argument(
        "--serve", nargs=5, metavar=("PORT", "DIR", "TICKETS", "MODE", "JOBS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.serve:
        port, data_dir, tickets, mode, jobs = args.serve
        serve(int(port), Path(data_dir), int(tickets), mode, jobs)
        return
    # A hard bound on the whole benchmark, whatever hangs: dump where it was and stop.
    faulthandler.dump_traceback_later(args.seconds + args.offline + args.threads + 120, exit=True)
    load_before = os.getloadavg()[0]
    runs = [
        measure(
            f"intake; job process drafts with a model answering in {MODEL_SECONDS:g} s",
            "model",
            args.rate,
            args.seconds,
        )
    ]
    if args.threads:
        label = f"intake; job threads in the server process, model answering in {MODEL_SECONDS:g} s"
        runs.append(measure(label, "model", args.rate, args.threads, jobs="threads"))
    if args.offline:
        runs.append(
            measure("intake; job process drafts offline (CPU-bound)", "offline", args.rate, args.offline)
        )
    if not args.no_naive:
        runs.append(measure("naive: fetch + draft + post in the request", "naive", args.rate, NAIVE_SECONDS))
    text = report(runs, load_before, os.getloadavg()[0])
    print(text)
    if args.write:
        from _results import write_section

        write_section("## Service: webhook intake", "bench_webhook_intake.py", text)


if __name__ == "__main__":
    main()
