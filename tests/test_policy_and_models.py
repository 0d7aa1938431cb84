"""Policy merging and the lenient-in, strict-out models."""

from __future__ import annotations

import pytest

from replyassist import Channel, ConfigurationError, Customer, Policy, Role, Ticket
from replyassist.channels import SignOff


def test_policy_merges_brand_then_channel_then_call() -> None:
    brand = Policy(
        brand="Pinecone", agent_name="Ana Gomez", channel_overrides={"x": {"sign_off": "first_name"}}
    )
    call = brand.merged({"tone": "formal", "channel_overrides": {"twitter": {"target_chars": 200}}})
    assert call.brand == "Pinecone" and call.tone == "formal"
    twitter = call.profile_for(Channel.TWITTER)
    assert twitter.sign_off is SignOff.FIRST_NAME and twitter.target_chars == 200
    assert brand.tone == "friendly"  # the brand's policy is not changed by a call


def test_policy_errors_are_configuration_errors() -> None:
    with pytest.raises(ConfigurationError):
        Policy().merged({"tone": "sarcastic"})
    with pytest.raises(ConfigurationError):
        Policy().merged({"no_such_field": True})


def test_agent_initials_and_handles() -> None:
    policy = Policy(agent_name="sam rivera", brand_handles=["PineconeHelp", "@pinecone"])
    assert policy.agent_initials == "SR"
    assert policy.brand_handles == ("@PineconeHelp", "@pinecone")


@pytest.mark.parametrize(
    ("name", "first"),
    [
        ("maria garcia", "Maria"),
        ("Dr. John Smith", "John"),
        ("@12345", None),
        ("customer", None),
        ("JOSÉ PÉREZ", "José"),
        ("李伟", "李伟"),
        ("McDonald Jones", "McDonald"),
        ("", None),
    ],
)
def test_first_name_is_derived_carefully(name: str, first: str | None) -> None:
    assert Customer(name=name).first_name == first


def test_ticket_accepts_helpdesk_shapes() -> None:
    ticket = Ticket.model_validate(
        {
            "id": 42,
            "channel": "native_messaging",
            "customer": "Li Wei",
            "priority": "HIGH",
            "messages": [
                {"author": "end-user", "html": "<p>Hello <b>there</b></p>"},
                {"author": "admin", "text": "Hi!"},
            ],
        }
    )
    assert ticket.id == "42" and ticket.channel is Channel.CHAT and ticket.priority is not None
    assert ticket.messages[0].author is Role.CUSTOMER and ticket.messages[1].author is Role.AGENT
    assert ticket.last_customer_message is not None
    assert ticket.last_customer_message.body == "Hello there"


def test_unknown_channel_is_kept_for_the_warning() -> None:
    ticket = Ticket.model_validate({"channel": "carrier-pigeon"})
    assert ticket.channel is Channel.UNKNOWN
    assert ticket.metadata["channel_raw"] == "carrier-pigeon"


def test_only_web_links_survive_from_a_kb_into_a_draft() -> None:
    from replyassist import Article, KnowledgeBase, Ticket, draft_reply

    kb = KnowledgeBase(
        [
            Article(
                id="returns",
                title="Returns",
                body="You can return items within 30 days for a full refund.",
                url="javascript:alert(1)",
            ),
            Article(id="web", title="Web", body="Shipping takes 3 days.", url=" https://help.example.com/a "),
            Article(id="data", title="Data", body="Data.", url="data:text/html,<script>alert(1)</script>"),
        ]
    )
    urls = {a.id: a.url for a in kb.articles}
    assert urls == {"returns": None, "web": "https://help.example.com/a", "data": None}
    draft = draft_reply(
        Ticket.from_text("How many days do I have to return an item?", channel="email"), kb=kb
    )
    assert draft.citations and draft.citations[0].article_id == "returns"
    assert "javascript" not in draft.text and draft.citations[0].url is None
