"""Zendesk's wire format ↔ replyassist's models: channels, tickets, comments, articles and notes.

Everything here works on plain JSON-like dicts (what zenpy objects give with ``to_dict()``)
so that the mapping can be read, and tested, apart from the HTTP client.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from replyassist import Article, Channel, Customer, Decision, Draft, Message, Role, Ticket
from replyassist.helpdesk import note_text

__all__ = [
    "CHANNELS",
    "VIA_IDS",
    "ChannelMatch",
    "article_from_translation",
    "map_channel",
    "parse_time",
    "render_note_html",
    "ticket_from_zendesk",
]

log = logging.getLogger("replyassist_zendesk")

VIA_IDS: dict[int, str] = {
    0: "web_form",
    4: "mail",
    5: "web_service",
    8: "rule",
    9: "linked_problem",
    15: "iphone",
    16: "get_satisfaction",
    17: "dropbox",
    19: "merge",
    20: "batch",
    21: "recovered_from_suspended_tickets",
    23: "twitter_favorite",
    24: "topic",
    26: "twitter_dm",
    27: "closed_ticket",
    29: "chat",
    30: "twitter",
    31: "ticket_sharing",
    33: "voicemail",
    34: "phone_call_inbound",
    35: "phone_call_outbound",
    36: "blog",
    37: "text_message",
    38: "facebook_post",
    39: "import",
    40: "github",
    41: "facebook_message",
}
"""Zendesk's numeric via ids (developer.zendesk.com, "Via types" reference) → via type names."""

_NOT_A_CHANNEL = None

CHANNELS: dict[str, Channel | None] = {
    # e-mail
    "email": Channel.EMAIL,
    "mail": Channel.EMAIL,
    # forms, the Help Center and the API
    "web": Channel.WEB_FORM,
    "web_form": Channel.WEB_FORM,
    "web_widget": Channel.WEB_FORM,
    "helpcenter": Channel.WEB_FORM,
    "help_center": Channel.WEB_FORM,
    "dropbox": Channel.WEB_FORM,
    "api": Channel.WEB_FORM,
    "web_service": Channel.WEB_FORM,
    # chat and messaging
    "chat": Channel.CHAT,
    "chat_transcript": Channel.CHAT,
    "chat_offline_message": Channel.CHAT,
    "native_messaging": Channel.CHAT,
    "mobile_sdk": Channel.CHAT,
    "sunshine_conversations_api": Channel.CHAT,
    "apple_business_chat": Channel.CHAT,
    "google_business_messages": Channel.CHAT,
    "google_rcs": Channel.CHAT,
    "business_messaging_slack_connect": Channel.CHAT,
    "line": Channel.CHAT,
    "telegram": Channel.CHAT,
    "kakaotalk": Channel.CHAT,
    "viber": Channel.CHAT,
    "wechat": Channel.CHAT,
    # text messages
    "sms": Channel.SMS,
    "text_message": Channel.SMS,
    "twilio_sms": Channel.SMS,
    "messagebird_sms": Channel.SMS,
    "whatsapp": Channel.WHATSAPP,
    # social
    "twitter": Channel.TWITTER,
    "twitter_favorite": Channel.TWITTER,
    "twitter_dm": Channel.TWITTER_DM,
    "sunshine_conversations_twitter_dm": Channel.TWITTER_DM,
    "facebook": Channel.FACEBOOK_POST,
    "facebook_post": Channel.FACEBOOK_POST,
    "facebook_message": Channel.FACEBOOK_MESSENGER,
    "sunshine_conversations_facebook_messenger": Channel.FACEBOOK_MESSENGER,
    "instagram_dm": Channel.INSTAGRAM_DM,
    # voice
    "voice": Channel.VOICE,
    "voicemail": Channel.VOICE,
    "phone_call_inbound": Channel.VOICE,
    "phone_call_outbound": Channel.VOICE,
    "api_phone_call_inbound": Channel.VOICE,
    "api_phone_call_outbound": Channel.VOICE,
    "api_voicemail": Channel.VOICE,
    # how a ticket was made, not where the customer wrote: no channel to answer on
    **dict.fromkeys(
        [
            "rule",
            "system",
            "sample_ticket",
            "batch",
            "merge",
            "linked_problem",
            "closed_ticket",
            "import",
            "side_conversation",
            "ticket_sharing",
            "recovered_from_suspended_tickets",
            "admin_setting",
        ],
        _NOT_A_CHANNEL,
    ),
}
"""Both of Zendesk's vocabularies — REST's short "created by" names and the via types of
events and the via-types reference — to replyassist's channels. ``None``: Zendesk knows the
value, but it says how the ticket was made (a trigger, a merge…), not where to answer."""

# ``via.source.rel`` of social tickets: "direct_message" (Twitter) and "message" (Facebook) for
# private messages, "mention"/"post" for public ones. No recording of zenpy's has one; these
# values follow Zendesk's via-object docs and public client fixtures, and any other value keeps
# the channel the via name gave.
_DIRECT_RELS = {"direct_message", "dm", "message", "messenger", "private_message"}
_PUBLIC_RELS = {"mention", "post", "comment", "reply", "tweet"}


@dataclass(frozen=True, slots=True)
class ChannelMatch:
    channel: Channel
    raw: str
    """The via channel as Zendesk sent it (an id as its string)."""
    known: bool
    """False when the value is not in the table: it is logged as a warning."""


def map_channel(via: Mapping[str, Any] | None, *, from_messaging_channel: bool = False) -> ChannelMatch:
    """The channel a ticket (or comment) came in on, from its ``via`` object.

    Twitter and Facebook say in ``via.source.rel`` whether it was a public post or a direct
    message; ``from_messaging_channel`` (on tickets) marks a messaging conversation that a
    short name such as ``api`` would hide. Anything unknown becomes ``Channel.UNKNOWN``, which
    drafts as a private channel would: the safe choice.
    """
    via = via or {}
    value = via.get("channel")
    raw = "" if value is None else str(value)
    name = VIA_IDS.get(int(raw), raw) if raw.lstrip("-").isdigit() else raw.strip().lower()
    known = name in CHANNELS
    channel = CHANNELS.get(name)
    if channel in (Channel.TWITTER, Channel.FACEBOOK_POST, Channel.TWITTER_DM, Channel.FACEBOOK_MESSENGER):
        channel = _by_relation(channel, via)
    if from_messaging_channel and channel in (None, Channel.WEB_FORM):
        channel, known = Channel.CHAT, True
    if not known:
        log.warning("unknown Zendesk via channel %r: drafting as for an unknown (private) channel", raw)
    return ChannelMatch(channel or Channel.UNKNOWN, raw, known)


def _by_relation(channel: Channel, via: Mapping[str, Any]) -> Channel:
    source = via.get("source")
    rel = str(source.get("rel") or "").lower() if isinstance(source, Mapping) else ""
    social = {
        Channel.TWITTER: (Channel.TWITTER, Channel.TWITTER_DM),
        Channel.TWITTER_DM: (Channel.TWITTER, Channel.TWITTER_DM),
        Channel.FACEBOOK_POST: (Channel.FACEBOOK_POST, Channel.FACEBOOK_MESSENGER),
        Channel.FACEBOOK_MESSENGER: (Channel.FACEBOOK_POST, Channel.FACEBOOK_MESSENGER),
    }[channel]
    if rel in _DIRECT_RELS:
        return social[1]
    if rel in _PUBLIC_RELS:
        return social[0]
    return channel


# --- tickets ------------------------------------------------------------------------------------


def ticket_from_zendesk(
    ticket: Mapping[str, Any], comments: Sequence[Mapping[str, Any]], users: Mapping[str, Mapping[str, Any]]
) -> Ticket:
    """A core ``Ticket`` from a Zendesk ticket, its comments (oldest first) and their authors by id."""
    requester_id = _id(ticket.get("requester_id"))
    requester = users.get(requester_id or "", {})
    match = map_channel(
        _dict(ticket.get("via")), from_messaging_channel=bool(ticket.get("from_messaging_channel"))
    )
    metadata: dict[str, Any] = {
        "zendesk_status": ticket.get("status"),
        "from_messaging_channel": bool(ticket.get("from_messaging_channel")),
    }
    if match.channel is Channel.UNKNOWN:
        # Both spellings: the adapter protocol says raw_channel, the core's Ticket says channel_raw.
        metadata["raw_channel"] = metadata["channel_raw"] = match.raw
    else:
        metadata["via_channel"] = match.raw
    return Ticket(
        id=str(ticket["id"]),
        subject=ticket.get("subject") or ticket.get("raw_subject"),
        channel=match.channel,
        customer=Customer(
            id=requester_id,
            name=requester.get("name"),
            email=requester.get("email"),
            locale=requester.get("locale"),
            handle=_handle(ticket),
        ),
        messages=[_message(c, users, requester_id) for c in comments],
        tags=[str(t) for t in ticket.get("tags") or []],
        priority=ticket.get("priority") or None,
        brand=_id(ticket.get("brand_id")),
        metadata=metadata,
    )


def _message(
    comment: Mapping[str, Any], users: Mapping[str, Mapping[str, Any]], requester_id: str | None
) -> Message:
    author_id = _id(comment.get("author_id"))
    author = users.get(author_id or "", {})
    return Message(
        author=_role(comment, author, author_id, requester_id),
        text=str(comment.get("plain_body") or comment.get("body") or ""),
        html=comment.get("html_body") or None,
        created_at=parse_time(comment.get("created_at")),
        public=bool(comment.get("public", True)),
        author_name=author.get("name"),
    )


def _role(
    comment: Mapping[str, Any], author: Mapping[str, Any], author_id: str | None, requester_id: str | None
) -> Role:
    """Who wrote a comment: Zendesk's user role, else the requester, else what made it."""
    role = str(author.get("role") or "").lower()
    if role in ("agent", "admin"):
        return Role.AGENT
    if role == "end-user" or (author_id is not None and author_id == requester_id):
        return Role.CUSTOMER
    channel = str((_dict(comment.get("via")) or {}).get("channel") or "")
    if author_id in (None, "-1") or channel in ("rule", "system", "8"):
        return Role.BOT
    return Role.CUSTOMER


def _handle(ticket: Mapping[str, Any]) -> str | None:
    source = (_dict(ticket.get("via")) or {}).get("source")
    sender = _dict(source.get("from") or source.get("from_")) if isinstance(source, Mapping) else None
    handle = (sender or {}).get("username") or (sender or {}).get("screen_name")
    return f"@{handle}" if handle and not str(handle).startswith("@") else handle


# --- articles -----------------------------------------------------------------------------------


def article_from_translation(article: Mapping[str, Any], translation: Mapping[str, Any]) -> Article:
    """One Help Center translation as a KB ``Article``, id ``"{article id}:{locale}"``.

    Each locale is its own KB article (the KB answers in the customer's language); the id
    keeps translations of one article apart and stable across syncs.
    """
    locale = str(translation.get("locale") or article.get("locale") or "en").lower()
    return Article(
        id=f"{article['id']}:{locale}",
        title=str(translation.get("title") or article.get("title") or ""),
        body=str(translation.get("body") or ""),
        url=translation.get("html_url") or article.get("html_url"),
        locale=locale,
        labels=[str(label) for label in article.get("label_names") or []],
        updated_at=parse_time(translation.get("updated_at") or article.get("updated_at")),
    )


# --- notes --------------------------------------------------------------------------------------


def render_note_html(draft: Draft, *, key: str | None, public: bool = False) -> str:
    """The note as HTML: the same lines as :func:`note_text`, citations as links, the key line last.

    Every piece of text is escaped (the draft quotes the customer and the KB); only
    ``http(s)`` citation URLs become links. A ``public`` comment goes to the customer, so it
    carries the reply alone: no header, sources, warnings or reasons — only the key line,
    which idempotent posting needs.
    """
    reply = [f"<p>{_esc(p).replace(chr(10), '<br>')}</p>" for p in draft.text.split("\n\n") if p.strip()]
    # The last line must be the one note_text() ends with: find_note_key() looks for it there.
    key_line = f"<p>—<br>{_esc(note_text(draft, key=key).splitlines()[-1])}</p>"
    if public:
        return "".join([*reply, key_line])
    parts: list[str] = []
    if draft.decision is Decision.SKIP:
        why = _esc("; ".join(draft.reasons) or "nothing to answer")
        parts.append(f"<p><b>replyassist suggests no reply:</b> {why}</p>")
    else:
        header = "Suggested reply" if draft.decision is Decision.REPLY else "Suggested reply (needs review)"
        parts.append(f"<p><b>{header}</b> — {_esc(draft.channel.value)}, {_esc(draft.language)}:</p>")
        parts += reply
    if draft.citations:
        sources = dict.fromkeys((c.title, c.url) for c in draft.citations)  # a Citation per passage used
        items = "".join(f"<li>{_link(title, url)}</li>" for title, url in sources)
        parts.append(f"<p><b>Sources:</b></p><ul>{items}</ul>")
    if draft.warnings:
        items = "".join(f"<li>{_esc(w.message)}</li>" for w in draft.warnings)
        parts.append(f"<p><b>Check before sending:</b></p><ul>{items}</ul>")
    if draft.decision is not Decision.SKIP and draft.reasons:
        parts.append(f"<p><i>Why:</i> {_esc('; '.join(draft.reasons))}</p>")
    return "".join([*parts, key_line])


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _link(title: str, url: str | None) -> str:
    if url and urlsplit(url).scheme in ("http", "https"):
        return f'<a href="{_esc(url)}">{_esc(title)}</a>'
    return _esc(title)


# --- small helpers ------------------------------------------------------------------------------


def parse_time(value: object) -> datetime | None:
    """Zendesk's ``2023-09-18T23:38:13Z`` (or an epoch number) as an aware datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _id(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


def _dict(value: object) -> Mapping[str, Any] | None:
    return value if isinstance(value, Mapping) else None
