"""``tweets``: public social replies, set beside the real brands' replies (TWCS sample).

Every inbound tweet of the sample that a brand answered becomes a case on the ``twitter``
channel: the thread above it (the tweets it answers, customers' and brand's, as far as the
sample holds them) and the tweet itself; the brand's real answer is the reference reply.

There is no brand KB for these tweets (Apple, Spotify, Tesco, Virgin Trains…), and giving them
the sample shop's KB would only make the drafter quote the wrong company's policies, so the KB
is **empty**: the offline composer acknowledges, apologises where it should, and asks or
escalates. What this suite measures is therefore the channel (length, format, no off-channel
redirect), empathy, language and the comparison with real agents (length, apology and DM rates),
not grounding or retrieval.

TWCS anonymises customers to numbers and also some of the brands' handles in the text
(``@76099`` for Apple). A number the brand answered for, that is no author in the sample, is
taken as that brand's handle, so that a tweet written to it counts as addressed to the brand.
Tweet texts come HTML-escaped (``&amp;``), as the Twitter API gave them; they are unescaped, as a
helpdesk shows them.
"""

from __future__ import annotations

import html
import random
import re
from collections.abc import Sequence
from pathlib import Path

from replyassist.eval.cases import EvalCase, Expectations, Suite
from replyassist.eval.suites._common import BuiltSuite, SuiteInfo
from replyassist.eval.suites._data import sample, twcs_rows
from replyassist.models import Channel, Customer, Message, Role, Ticket

__all__ = ["INFO", "build"]

INFO = SuiteInfo(
    name="tweets",
    data=("twcs_sample",),
    source="Kaggle 'Customer Support on Twitter' (thoughtvector), the official 93-tweet sample.csv, "
    "via github.com/naman-tiwari/Customer-Support-on-Twitter @3ea1027",
    license="CC BY-NC-SA 4.0 as listed by the Hugging Face mirrors of TWCS (not verified at the source): "
    "non-commercial, share-alike",
    measures="public social replies: within the channel's limit, no off-channel redirect, empathy, "
    "language, and length / apology / redirect / DM rates of drafts against the real brand replies",
    kb="empty: no brand KB exists for these tweets; grounding and retrieval are not measured here",
    expectations="reference_reply = the brand's real reply to the tweet; language = en (every tweet "
    "of the sample is English); no decision is expected (the brand answered every case, but "
    "replying and escalating with an acknowledgement are both sound without a KB)",
)

_MENTION = re.compile(r"@(\w+)")


def _thread(tweet: dict[str, str], by_id: dict[str, dict[str, str]]) -> list[dict[str, str]]:
    """The tweet and the tweets above it that the sample holds, oldest first."""
    chain = [tweet]
    seen = {tweet["tweet_id"]}
    parent = tweet["in_response_to_tweet_id"]
    while parent and parent in by_id and parent not in seen:
        seen.add(parent)
        chain.append(by_id[parent])
        parent = by_id[parent]["in_response_to_tweet_id"]
    return chain[::-1]


def _brand_reply(tweet: dict[str, str], by_id: dict[str, dict[str, str]]) -> dict[str, str] | None:
    for reply_id in tweet["response_tweet_id"].split(","):
        reply = by_id.get(reply_id.strip())
        if reply is not None and reply["inbound"] != "True":
            return reply
    return None


def _aliases(rows: Sequence[dict[str, str]], by_id: dict[str, dict[str, str]]) -> dict[str, list[str]]:
    """Brand handle → anonymised numeric handles written to it (see the module's doc)."""
    authors = {r["author_id"] for r in rows}
    aliases: dict[str, list[str]] = {}
    for row in rows:
        reply = _brand_reply(row, by_id) if row["inbound"] == "True" else None
        if reply is None:
            continue
        names = aliases.setdefault(reply["author_id"], [])
        for handle in _MENTION.findall(row["text"]):
            if handle.isdigit() and handle not in authors and handle not in names:
                names.append(handle)
    return aliases


def _message(row: dict[str, str]) -> Message:
    inbound = row["inbound"] == "True"
    return Message(
        author=Role.CUSTOMER if inbound else Role.AGENT,
        text=html.unescape(row["text"]),
        author_name=None if inbound else row["author_id"],
    )


def build(data: Path, *, limit: int | None = None, seed: int) -> BuiltSuite:
    """The suite from ``data/twcs_sample/sample.csv`` (all 41 answered tweets unless ``limit``)."""
    rows = twcs_rows(data)
    by_id = {r["tweet_id"]: r for r in rows}
    aliases = _aliases(rows, by_id)
    answered = [(r, reply) for r in rows if r["inbound"] == "True" and (reply := _brand_reply(r, by_id))]
    cases = []
    for tweet, reply in sample(answered, limit, random.Random(seed)):
        brand = reply["author_id"]
        thread = _thread(tweet, by_id)
        ticket = Ticket(
            id=f"twcs-{tweet['tweet_id']}",
            channel=Channel.TWITTER,
            customer=Customer(id=tweet["author_id"], handle=f"@{tweet['author_id']}"),
            messages=[_message(r) for r in thread],
        )
        cases.append(
            EvalCase(
                id=f"tweets-{tweet['tweet_id']}",
                ticket=ticket,
                expect=Expectations(language="en", reference_reply=html.unescape(reply["text"])),
                policy={"brand": brand, "brand_handles": [brand, *aliases.get(brand, [])]},
                tags={
                    "suite": INFO.name,
                    "source": "twcs_sample",
                    "brand": brand,
                    "thread": "yes" if len(thread) > 1 else "no",
                },
            )
        )
    return BuiltSuite(Suite(name=INFO.name, cases=cases, description=INFO.measures))
