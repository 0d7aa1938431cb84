"""Draft every sample ticket and print decision, language and the first line of the draft.

Run: python examples/draft_sample_tickets.py
"""

from __future__ import annotations

from pathlib import Path

from replyassist import ReplyAssistant, Ticket

HERE = Path(__file__).resolve().parent


def main() -> None:
    assistant = ReplyAssistant(
        HERE / "kb",
        policy={
            "brand": "Pinecone Outfitters",
            "agent_name": "Sam Rivera",
            "brand_handles": ["PineconeHelp"],
        },
    )
    for path in sorted((HERE / "tickets").glob("*.json")):
        ticket = Ticket.model_validate_json(path.read_text(encoding="utf-8"))
        draft = assistant.draft(ticket)
        first_line = draft.text.splitlines()[0] if draft.text else "(no reply)"
        print(
            f"{path.stem:40} {draft.channel.value:18} {draft.language}  {draft.decision.value:9} {first_line}"
        )


if __name__ == "__main__":
    main()
