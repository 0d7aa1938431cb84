"""Draft a reply to one tweet from the sample knowledge base, with no API key.

Run: python examples/quickstart.py
"""

from __future__ import annotations

from pathlib import Path

from replyassist import KnowledgeBase, ReplyAssistant, Ticket

HERE = Path(__file__).resolve().parent


def main() -> None:
    kb = KnowledgeBase.from_directory(HERE / "kb")
    assistant = ReplyAssistant(
        kb,
        policy={
            "brand": "Pinecone Outfitters",
            "agent_name": "Sam Rivera",
            "brand_handles": ["PineconeHelp"],
        },
    )
    ticket = Ticket.from_text(
        "@PineconeHelp my parcel is 5 days late and tracking hasn't moved since Monday, where is it??",
        channel="twitter",
        customer="Maria Lopez",
    )
    draft = assistant.draft(ticket)
    print(f"decision: {draft.decision.value} ({'; '.join(draft.reasons)})")
    for part in draft.parts:
        print(f"> {part}")
    for citation in draft.citations:
        print(f"cited: {citation.title} <{citation.url}>")


if __name__ == "__main__":
    main()
