"""The model client's HTTP connections: many drafts at once on one client, closed cleanly at exit."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import sys
    from concurrent.futures import ThreadPoolExecutor
    from replyassist import ReplyAssistant
    from replyassist.drafting.llm import ModelSettings
    from replyassist.models import Ticket
    from replyassist.testing import FakeOpenAIServer, FakeReply, model_reply

    answer = FakeReply.structured(model_reply("Thanks for your patience, Jo: here is what happens next."), delay=0.3)
    with FakeOpenAIServer(api_key="k", default=answer) as server:
        settings = ModelSettings(model="gpt-4o-mini", api_key="k", base_url=server.base_url)
        first = ReplyAssistant(sys.argv[1], llm=settings)
        second = ReplyAssistant(sys.argv[1], llm=settings)  # a second model shares the connections
        tickets = [Ticket.from_text(f"Where is my order #{1000 + i}? It is late.", channel="email", customer="Jo")
                   for i in range(24)]
        with ThreadPoolExecutor(24) as pool:
            drafts = list(pool.map(lambda ab: ab[0].draft(ab[1]), [(first if i % 2 else second, t)
                                                                   for i, t in enumerate(tickets)]))
        print(sum(d.composer == "openai:gpt-4o-mini" for d in drafts), len(server.requests))
    """
)


def test_drafts_in_flight_together_share_the_client_and_nothing_is_left_open_at_exit() -> None:
    done = subprocess.run(
        [sys.executable, "-X", "dev", "-c", SCRIPT, str(ROOT / "examples" / "kb")],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["24", "24"]  # every draft from the model, one call each
    assert "Unclosed" not in done.stderr and "ResourceWarning" not in done.stderr, done.stderr[-2000:]
