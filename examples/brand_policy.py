"""Brand policy: a formal tone, a custom email signature and a brand override of the X profile.

Run: python examples/brand_policy.py
"""

from __future__ import annotations

from pathlib import Path

from replyassist import Policy, ReplyAssistant, Ticket

HERE = Path(__file__).resolve().parent

POLICY = Policy(
    brand="Pinecone Outfitters",
    agent_name="Sam Rivera",
    signature="Pinecone Outfitters Customer Care",
    tone="formal",
    brand_handles=("PineconeHelp",),
    # On X this brand signs with a first name and never threads: one tweet, or a DM.
    channel_overrides={"twitter": {"sign_off": "first_name", "max_parts": 1}},
)


def main() -> None:
    assistant = ReplyAssistant(HERE / "kb", policy=POLICY)
    email = Ticket.from_text(
        "How long do I have to return a tent I haven't used?",
        channel="email",
        customer="Jordan Blake",
        subject="Returning a tent",
    )
    print(assistant.draft(email).text)
    print("---")
    # Per-call options merge over the brand's policy.
    tweet = Ticket.from_text("@PineconeHelp how long do I have to return a tent?", channel="x", customer="Jo")
    print(assistant.draft(tweet, policy={"tone": "friendly"}).text)


if __name__ == "__main__":
    main()
