"""Service jobs: drafts per second with a model that answers in 1 s, embedded and on Celery; fault runs.

Run: python benchmarks/bench_service_jobs.py [--write] [--only NAME]   (figures go to benchmarks/RESULTS.md)

- **embedded**: the in-process queue (96 threads) on the default SQLite store; the model is
  ``FakeChatModel(delay=1.0)`` and the helpdesk a ``FakeHelpdesk``, both in process.
- **celery**: 2 ``replyassist worker`` processes × 48 threads on a Redis of our own and a fresh
  PostgreSQL database; the model is a ``FakeOpenAIServer`` answering after 1 s (in its own
  process, reached through the real OpenAI SDK), the helpdesk a FakeHelpdesk served over HTTP
  (``tests/service/_helpdesk_server.py``) so that its notes are counted here.
- **fault runs** (Celery, 200 ticket events each): every webhook delivered three times; one of two
  workers SIGKILLed mid-run and started again; Redis (which keeps nothing on disk) restarted
  mid-run. Each counts the jobs not finished (lost) and the tickets with more than one note.

Ticket texts are real customer messages: inbound tweets from ../shared/data (twcs_sample).
Every run is bounded: it stops at its deadline (60 s) and reports what was not done as lost.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests" / "service"), str(Path(__file__).resolve().parent)]

from _helpdesk_server import HelpdeskServer, write_plugin  # noqa: E402
from _processes import RedisServer, Worker, worker_env  # noqa: E402
from _results import write_section  # noqa: E402

from replyassist import ReplyAssistant  # noqa: E402
from replyassist.service.celery_app import CeleryQueue  # noqa: E402
from replyassist.service.config import ServiceSettings  # noqa: E402
from replyassist.service.context import ServiceContext  # noqa: E402
from replyassist.service.jobs import InProcessQueue  # noqa: E402
from replyassist.service.store import JobRecord, JobStatus, Store  # noqa: E402
from replyassist.testing import FakeChatModel, FakeHelpdesk, model_reply  # noqa: E402

SECRET = "bench-secret"
DEADLINE = 60.0
MODEL_DELAY = 1.0
ANSWER = model_reply("Hi, thanks for reaching out: I've checked your order and it ships today.")
FINAL = {JobStatus.DONE, JobStatus.SKIPPED, JobStatus.FAILED}

FAKE_MODEL_SERVER = """
import sys, time
from http.server import ThreadingHTTPServer
from replyassist.testing import FakeOpenAIServer, FakeReply, model_reply
ThreadingHTTPServer.request_queue_size = 1024  # socketserver's default backlog of 5 drops bursts of connections
answer = FakeReply.structured(model_reply("Hi, thanks for reaching out: I've checked your order and it ships today."), delay=float(sys.argv[1]))
with FakeOpenAIServer(default=answer) as server:
    print(server.base_url, flush=True)
    while True:
        time.sleep(3600)
"""


@dataclass
class Run:
    name: str
    events: int
    jobs: int
    done: int
    lost: int
    duplicated: int
    seconds: float
    setup: str
    p50: float | None = None
    p95: float | None = None
    cpu_ms: float | None = None
    """CPU time of the service's processes per job done (the ceiling is cores ÷ this)."""

    @property
    def per_second(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0


def cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU seconds of a process (this one by default), from /proc."""
    if pid is None:
        return time.process_time()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def customer_messages(n: int) -> list[str]:
    """Real inbound customer tweets (twcs_sample), long enough to answer."""
    texts: list[str] = []
    path = DATA / "twcs_sample" / "sample.csv"
    with path.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row.get("inbound") == "True" and len(row.get("text", "")) > 40:
                texts.append(row["text"])
            if len(texts) >= n:
                break
    if not texts:
        raise SystemExit(f"no customer messages found in {path}")
    return [texts[i % len(texts)] for i in range(n)]


def open_tickets(fake: FakeHelpdesk, n: int) -> list[str]:
    channels = ["twitter", "email", "chat", "whatsapp"]
    return [
        fake.create_ticket(text, channel=channels[i % len(channels)], customer="Alex Doe")
        for i, text in enumerate(customer_messages(n))
    ]


def deliver(
    store: Store,
    fake: FakeHelpdesk,
    tickets: list[str],
    send: Callable[[JobRecord, bool], None],
    deliveries: int = 1,
) -> list[str]:
    """Webhooks arriving as a service takes them: 8 at a time, each recorded then sent on.

    Returns the job ids (each once), in delivery order.
    """

    def one(ticket_id: str) -> str:
        job, created = store.record_event(
            fake.parse_webhook(fake.webhook(ticket_id, event_id=f"evt-{ticket_id}"))
        )
        send(job, created)
        return job.id

    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(one, [t for _ in range(deliveries) for t in tickets]))
    return list(dict.fromkeys(ids))


def wait_final(
    store: Store, jobs: list[str], started: float, on_progress: Callable[[int], None] | None = None
) -> float:
    """Seconds from ``started`` until every job is final (or the deadline)."""
    while time.monotonic() - started < DEADLINE:
        counts = store.stats().jobs
        finished = sum(counts.get(s, 0) for s in FINAL)
        if on_progress is not None:
            on_progress(finished)
        if finished >= len(jobs):
            return time.monotonic() - started
        time.sleep(0.05)
    return time.monotonic() - started


def tally(
    name: str,
    store: Store,
    fake: FakeHelpdesk,
    tickets: list[str],
    job_ids: list[str],
    seconds: float,
    setup: str,
    events: int,
) -> Run:
    records = [store.get_job(j) for j in job_ids]
    done = sum(1 for r in records if r is not None and r.status is JobStatus.DONE)
    lost = sum(1 for r in records if r is None or r.status not in FINAL)
    notes = [len(fake.notes(t)) for t in tickets]
    lost += sum(
        1
        for r, n in zip(records, notes, strict=True)
        if r is not None and r.status is JobStatus.DONE and n == 0 and r.note_id
    )
    latencies = [row.seconds_to_draft for row in store.draft_rows() if row.seconds_to_draft is not None]
    return Run(
        name,
        events=events,
        jobs=len(job_ids),
        done=done,
        lost=lost,
        duplicated=sum(1 for n in notes if n > 1),
        seconds=seconds,
        setup=setup,
        p50=statistics.median(latencies) if latencies else None,
        p95=statistics.quantiles(latencies, n=20)[-1] if len(latencies) >= 20 else None,
    )


# --- embedded --------------------------------------------------------------------------------


def embedded(n: int = 400, workers: int = 96) -> Run:
    with tempfile.TemporaryDirectory() as tmp:
        settings = ServiceSettings(data_dir=Path(tmp), helpdesks=[], workers=workers)
        store = Store.from_settings(settings)
        store.migrate()
        fake = FakeHelpdesk(SECRET)
        model = FakeChatModel(default=ANSWER, delay=MODEL_DELAY, report_usage=False)
        assistant = ReplyAssistant(ROOT / "examples" / "kb", llm=model)
        tickets = open_tickets(fake, n)
        queue = InProcessQueue(ServiceContext(settings, store, {"fake": fake}, assistant))
        queue.start()
        cpu = cpu_seconds()
        started = time.monotonic()
        jobs = deliver(store, fake, tickets, lambda job, created: queue.enqueue(job.id) if created else None)
        seconds = wait_final(store, jobs, started)
        cpu = cpu_seconds() - cpu
        queue.stop()
        run = tally(
            "embedded", store, fake, tickets, jobs, seconds, f"in-process queue, {workers} threads, SQLite", n
        )
        run.cpu_ms = 1000 * cpu / max(1, run.done)
        store.close()
        return run


# --- Celery ----------------------------------------------------------------------------------


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    import psycopg
    from psycopg import sql

    name = f"ra_bench_{uuid.uuid4().hex[:12]}"
    admin = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "postgres", "autocommit": True}
    with psycopg.connect(**admin) as conn:  # type: ignore[arg-type]
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(**admin) as conn:  # type: ignore[arg-type]
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextlib.contextmanager
def fake_model_server(delay: float) -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", FAKE_MODEL_SERVER, str(delay)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip()
    finally:
        process.kill()
        process.wait(10)


@dataclass
class Cluster:
    store: Store
    api: CeleryQueue
    redis: RedisServer
    helpdesk: HelpdeskServer
    make_worker: Callable[[str], Worker]


@contextlib.contextmanager
def cluster(threads: int, *, lease: float = 5.0, sweep: float = 1.0) -> Iterator[Cluster]:
    with (
        tempfile.TemporaryDirectory() as tmp,
        postgres_database() as pg_url,
        fake_model_server(MODEL_DELAY) as model_url,
        HelpdeskServer(FakeHelpdesk(SECRET, name="fakehttp")) as helpdesk,
    ):
        redis = RedisServer(Path(tmp) / "redis").start()
        plugin = write_plugin(Path(tmp) / "plugin")
        env = worker_env(
            os.environ,
            PLUGIN_PATH=str(plugin),
            REPLYASSIST_QUEUE_URL=redis.url,
            REPLYASSIST_DATABASE_URL=pg_url,
            REPLYASSIST_HELPDESKS="fakehttp",
            REPLYASSIST_DATA_DIR=str(Path(tmp) / "data"),
            REPLYASSIST_JOB_LEASE_SECONDS=str(lease),
            REPLYASSIST_SWEEP_INTERVAL_SECONDS=str(sweep),
            REPLYASSIST_LLM="openai:gpt-4o-mini",
            REPLYASSIST_LOG_LEVEL="info",  # the worker says "ready" at info
            OPENAI_BASE_URL=model_url,
            OPENAI_API_KEY="bench",
            FAKEHTTP_URL=helpdesk.url,
            FAKE_HELPDESK_SECRET=SECRET,
        )
        settings = ServiceSettings(
            database_url=pg_url,
            queue_url=redis.url,
            helpdesks=[],
            job_lease_seconds=lease,
            sweep_interval_seconds=sweep,
        )
        store = Store.from_settings(settings)
        store.migrate()
        api = CeleryQueue(ServiceContext(settings, store, {}, ReplyAssistant(None)))
        api.start()
        workers: list[Worker] = []

        def make_worker(name: str) -> Worker:
            worker = Worker(env, Path(tmp) / f"{name}.log", concurrency=threads, name=name)
            workers.append(worker)
            return worker

        try:
            yield Cluster(store, api, redis, helpdesk, make_worker)
        finally:
            for worker in workers:
                worker.kill()
            api.stop()
            store.close()
            redis.stop()


def start_workers(c: Cluster, names: list[str]) -> list[Worker]:
    workers = [c.make_worker(name).start(wait=False) for name in names]
    for worker in workers:
        worker.wait_ready()
    return workers


def celery_run(
    name: str,
    n: int,
    *,
    processes: int = 2,
    threads: int = 48,
    deliveries: int = 1,
    fault: Callable[[Cluster, list[Worker]], None] | None = None,
    fault_at: float = 0.35,
    lease: float = 30.0,
) -> Run:
    with cluster(threads, lease=lease) as c:
        workers = start_workers(c, [f"w{i}" for i in range(processes)])
        fake = c.helpdesk.fake
        tickets = open_tickets(fake, n)
        pids = [w.pid for w in workers if w.pid is not None]
        cpu = sum(cpu_seconds(pid) for pid in pids)
        started = time.monotonic()
        # Every delivery is sent on, duplicates too: the claim, not the intake, must stop them.
        jobs = deliver(c.store, fake, tickets, lambda job, _created: c.api.enqueue(job.id), deliveries)
        fired = False

        def progress(finished: int) -> None:
            nonlocal fired
            if fault is not None and not fired and finished >= fault_at * n:
                fired = True
                fault(c, workers)

        seconds = wait_final(c.store, jobs, started, progress)
        if fault is None:  # a killed worker's CPU cannot be read back
            cpu = sum(cpu_seconds(pid) for pid in pids) - cpu
        setup = f"{processes} worker processes × {threads} threads, Redis, PostgreSQL, lease {lease:g} s"
        run = tally(name, c.store, fake, tickets, jobs, seconds, setup, n * deliveries)
        if fault is None:
            run.cpu_ms = 1000 * cpu / max(1, run.done)
        return run


def kill_a_worker(c: Cluster, workers: list[Worker]) -> None:
    workers[0].kill()  # SIGKILL mid-run: its running jobs are re-run after their lease
    workers[0] = c.make_worker("w0-again").start(wait=False)


def restart_redis(c: Cluster, workers: list[Worker]) -> None:
    c.redis.restart()  # nothing on disk: every queued message is gone


# --- report ----------------------------------------------------------------------------------


def table(runs: list[Run]) -> str:
    lines = [
        "| run | events | jobs | done | lost | tickets with >1 note | seconds | drafts/s | webhook→draft p50 / p95 "
        "| CPU per draft | set-up |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        latency = f"{r.p50:.2f} / {r.p95:.2f} s" if r.p50 is not None and r.p95 is not None else "–"
        lines.append(
            f"| {r.name} | {r.events} | {r.jobs} | {r.done} | {r.lost} | {r.duplicated} | {r.seconds:.1f} | "
            f"{r.per_second:.1f} | {latency} | {f'{r.cpu_ms:.0f} ms' if r.cpu_ms else '–'} | {r.setup} |"
        )
    return "\n".join(lines)


NOTES = """\
Why below 50 drafts/s: the 1 s model is not the limit (96 or 2 × 48 jobs wait on it at once); CPU
is. A process runs Python on one core at a time, so embedded throughput cannot pass 1 ÷ CPU per
draft (≈ 20 ms: 50/s with a whole core to itself; this machine is shared with other work, see the
load average), and Celery throughput cannot pass 2 cores ÷ 43 ms ≈ 46/s even before the fake model
server, the fake helpdesk, PostgreSQL and Redis take their share of the same 2 cores. Where a
Celery worker's CPU goes (py-spy `--gil`, 8 s of a worker at full load): 48 % the model call
(LangChain, the OpenAI SDK, httpx, pydantic, on the model loop), 22 % Celery/kombu/redis-py,
16 % the drafting pipeline, 9 % the store (SQLAlchemy, psycopg), 3 % the helpdesk client; the job
runner itself is below 1 %. More drafts per second on this machine need a cheaper model client or
drafting path, or more cores (Celery workers scale out across machines: add hosts, not threads)."""


RUNS: dict[str, Callable[[], Run]] = {
    "embedded": lambda: embedded(),
    "celery": lambda: celery_run("celery", 400),
    "duplicates": lambda: celery_run("fault: every webhook ×3", 200, deliveries=3),
    "kill": lambda: celery_run("fault: a worker SIGKILLed", 200, fault=kill_a_worker, lease=8.0),
    "redis": lambda: celery_run("fault: Redis restarted", 200, fault=restart_redis),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write the figures into benchmarks/RESULTS.md")
    parser.add_argument("--only", choices=sorted(RUNS), action="append", help="run only these")
    args = parser.parse_args()
    runs = []
    load_before = os.getloadavg()[0]
    for name in args.only or list(RUNS):
        runs.append(RUNS[name]())
        print(table(runs[-1:]).splitlines()[-1], flush=True)
    cpus = os.cpu_count()
    load = f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
    body = (
        f"Machine: {platform.machine()}, {cpus} cores ({load}), Python {platform.python_version()}. Model: answers after "
        f"{MODEL_DELAY:g} s. Targets: ≥ 50 drafts/s embedded and on Celery; 0 lost and 0 duplicated notes in "
        "the fault runs. Every run stops at 60 s.\n\n" + table(runs) + "\n\n"
        "Lost: jobs not finished at the end of the run (or done without their note). Drafts/s: jobs done ÷ "
        "seconds from the first webhook to the last job finished (worker start-up excluded). "
        "Webhook→draft: from the webhook's arrival to the stored draft. CPU per draft: CPU time of the "
        "service's own processes (embedded: the whole process, intake included; Celery: the workers) per "
        "job done; throughput cannot pass cores ÷ CPU per draft (one core per process, the GIL), whatever "
        "the concurrency. The fake helpdesk, the fake model server, PostgreSQL, Redis and this script "
        "share the same 2 cores.\n\n" + NOTES
    )
    print()
    print(body)
    if args.write:
        write_section("## Service jobs", "bench_service_jobs.py", body)


if __name__ == "__main__":
    main()
