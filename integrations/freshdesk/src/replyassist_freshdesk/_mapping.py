"""Freshdesk's wire format ↔ the core's models; no HTTP here.

Field meanings (API v2): ``description``/``body`` are HTML and ``description_text``/``body_text``
their plain-text twins; ``private`` notes are agent-only; ``incoming`` marks a conversation that
came from outside (a customer's email); chat and mobile-SDK tickets may carry their text in
``structured_description``/``structured_body`` instead.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from email.utils import parseaddr
from typing import Any

from replyassist import (
    Article,
    Channel,
    Customer,
    Decision,
    Draft,
    Message,
    Priority,
    Role,
    Ticket,
)

__all__ = [
    "SOURCE_CHANNELS",
    "article_from_wire",
    "channel_for_source",
    "note_html",
    "reply_html",
    "source_labels",
    "ticket_from_wire",
]

log = logging.getLogger("replyassist_freshdesk")

SOURCE_CHANNELS: Mapping[int, Channel] = {
    1: Channel.EMAIL,
    2: Channel.WEB_FORM,  # the customer portal
    3: Channel.VOICE,
    5: Channel.TWITTER,
    6: Channel.FACEBOOK_POST,
    7: Channel.CHAT,
    9: Channel.WEB_FORM,  # the feedback widget
    10: Channel.EMAIL,  # outbound email: an agent wrote first
}
"""The documented ticket sources. Others (4 Forum, 8 Mobihelp, 11 E-commerce, 12 Bot, and the
account's own, e.g. WhatsApp) are named by the account's ``source`` ticket field."""

OUTBOUND_EMAIL = 10
_PRIORITIES = {1: Priority.LOW, 2: Priority.NORMAL, 3: Priority.HIGH, 4: Priority.URGENT}
_TEXT_KEYS = ("text", "body", "content", "value", "message")


def source_labels(ticket_fields: Iterable[Mapping[str, Any]]) -> dict[int, str]:
    """Code → label from ``GET /ticket_fields``: the ``source`` field's ``choices`` (label → code)."""
    for field in ticket_fields:
        if field.get("name") == "source" and isinstance(field.get("choices"), Mapping):
            choices = ((_as_int(code), str(label)) for label, code in field["choices"].items())
            return {code: label for code, label in choices if code is not None}
    return {}


def channel_for_source(code: object, account_labels: Mapping[int, str]) -> tuple[Channel, str | None]:
    """The channel for a ticket's ``source``, and the raw value when no channel fits.

    Known codes first; otherwise the account's label for the code is parsed as a channel name
    (``"WhatsApp"`` → ``Channel.WHATSAPP``). Unknown → ``Channel.UNKNOWN`` plus a raw value
    such as ``"11:E-commerce"`` (code and label) for ``metadata["channel_raw"]``.
    """
    number = _as_int(code)
    if number is not None and number in SOURCE_CHANNELS:
        return SOURCE_CHANNELS[number], None
    label = account_labels.get(number) if number is not None else None
    if label is not None:
        parsed = Channel.parse(label)
        if parsed is not None and parsed is not Channel.UNKNOWN:
            return parsed, None
    raw = f"{code}:{label}" if label else str(code)
    log.warning("Freshdesk ticket source %s maps to no channel; drafting for an unknown channel", raw)
    return Channel.UNKNOWN, raw


def ticket_from_wire(
    ticket: Mapping[str, Any],
    conversations: Iterable[Mapping[str, Any]],
    *,
    channel: Channel,
    raw_channel: str | None,
    portal_url: str,
) -> Ticket:
    """A core ``Ticket``: the description, then every conversation (public and private), oldest first."""
    embedded = ticket.get("requester")
    requester: Mapping[str, Any] = embedded if isinstance(embedded, Mapping) else {}
    requester_id = ticket.get("requester_id") or requester.get("id")
    customer = Customer(
        id=_str_or_none(requester_id),
        name=requester.get("name") or None,
        email=requester.get("email") or None,
    )
    source = ticket.get("source")
    opener = Role.AGENT if _as_int(source) == OUTBOUND_EMAIL else Role.CUSTOMER
    messages = [
        Message(
            author=opener,
            text=_plain(
                ticket.get("description_text"),
                ticket.get("description"),
                ticket.get("structured_description"),
            ),
            html=ticket.get("description") or None,
            created_at=_time(ticket.get("created_at")),
            public=True,
            author_name=customer.name if opener is Role.CUSTOMER else None,
        )
    ]
    for conversation in sorted(
        conversations, key=lambda c: (_time(c.get("created_at")) or _EPOCH, c.get("id") or 0)
    ):
        messages.append(_message(conversation, requester_id, customer.name))
    metadata: dict[str, Any] = {
        "freshdesk_id": ticket.get("id"),
        "source": source,
        "status": ticket.get("status"),
        "type": ticket.get("type"),
        "group_id": ticket.get("group_id"),
        "responder_id": ticket.get("responder_id"),
        "product_id": ticket.get("product_id"),
        "company_id": ticket.get("company_id"),
        "spam": bool(ticket.get("spam")),
        "url": f"{portal_url}/a/tickets/{ticket.get('id')}",
    }
    if raw_channel is not None:
        metadata["channel_raw"] = raw_channel  # the core's key: the draft then warns about the channel
    return Ticket(
        id=str(ticket.get("id")),
        subject=ticket.get("subject") or None,
        channel=channel,
        customer=customer,
        messages=messages,
        tags=[str(t) for t in ticket.get("tags") or []],
        priority=_PRIORITIES.get(_as_int(ticket.get("priority")) or 0),
        metadata={k: v for k, v in metadata.items() if v is not None},
    )


def _message(conversation: Mapping[str, Any], requester_id: object, requester_name: str | None) -> Message:
    private = bool(conversation.get("private"))
    from_requester = requester_id is not None and str(conversation.get("user_id")) == str(requester_id)
    # An incoming public conversation came from outside the helpdesk (e.g. a CC'd person's email).
    customer_side = from_requester or (bool(conversation.get("incoming")) and not private)
    author_name = requester_name if from_requester else _display_name(conversation.get("from_email"))
    return Message(
        author=Role.CUSTOMER if customer_side else Role.AGENT,
        text=_plain(
            conversation.get("body_text"), conversation.get("body"), conversation.get("structured_body")
        ),
        html=conversation.get("body") or None,
        created_at=_time(conversation.get("created_at")),
        public=not private,
        author_name=author_name,
    )


def article_from_wire(
    article: Mapping[str, Any],
    *,
    language: str,
    primary: bool,
    portal_url: str,
    labels: Iterable[str] = (),
) -> Article:
    """A core ``Article`` for one language of a Solutions article.

    Ids are ``freshdesk:<id>`` in the primary language and ``freshdesk:<id>:<lang>`` for
    translations, so every translation is its own, stable KB entry.
    """
    article_id = article.get("id")
    path = f"support/solutions/articles/{article_id}"
    return Article(
        id=f"freshdesk:{article_id}" if primary else f"freshdesk:{article_id}:{language}",
        title=str(article.get("title") or ""),
        body=_html_text(str(article.get("description") or "")) or str(article.get("description_text") or ""),
        url=f"{portal_url}/{path}" if primary else f"{portal_url}/{language}/{path}",
        locale=language,
        labels=list(dict.fromkeys([*labels, *(str(t) for t in article.get("tags") or [])])),
        updated_at=_time(article.get("updated_at")),
    )


def note_html(draft: Draft, *, key: str) -> str:
    """The note's HTML: the same lines as :func:`replyassist.helpdesk.note_text`, links clickable.

    Everything from the draft is escaped; only ``http(s)`` citation URLs become links. The
    last line is the key line that :func:`replyassist.helpdesk.find_note_key` reads back.
    """
    esc = html.escape
    parts: list[str] = []
    if draft.decision is Decision.SKIP:
        reasons = "; ".join(draft.reasons or ["nothing to answer"])
        parts.append(f"<p><b>replyassist suggests no reply:</b> {esc(reasons)}</p>")
    else:
        header = "Suggested reply" if draft.decision is Decision.REPLY else "Suggested reply (needs review)"
        parts.append(f"<p><b>{header}</b> — {esc(draft.channel.value)}, {esc(draft.language)}:</p>")
        parts.append(_paragraphs(draft.text))
    if draft.citations:
        sources = dict.fromkeys((c.title, c.url) for c in draft.citations)  # a Citation per passage used
        items = "".join(f"<li>{_link(title, url)}</li>" for title, url in sources)
        parts.append(f"<p><b>Sources:</b></p><ul>{items}</ul>")
    if draft.warnings:
        items = "".join(f"<li>{esc(w.message)}</li>" for w in draft.warnings)
        parts.append(f"<p><b>Check before sending:</b></p><ul>{items}</ul>")
    if draft.decision is not Decision.SKIP and draft.reasons:
        parts.append(f"<p>Why: {esc('; '.join(draft.reasons))}</p>")
    parts.append(f"<p>—<br>replyassist draft {esc(key)}</p>")
    return "".join(parts)


def reply_html(draft: Draft, *, key: str) -> str:
    """A public reply: the draft's text, then a small reference line carrying the key."""
    return (
        _paragraphs(draft.text)
        + f'<p style="color:#888;font-size:11px">replyassist draft {html.escape(key)}</p>'
    )


def _paragraphs(text: str) -> str:
    blocks = [b for b in text.replace("\r\n", "\n").split("\n\n") if b.strip()]
    return "".join("<p>" + html.escape(b.strip()).replace("\n", "<br>") + "</p>" for b in blocks)


def _link(title: str, url: str | None) -> str:
    if url and url.lower().startswith(("https://", "http://")):
        return f'<a href="{html.escape(url, quote=True)}" rel="noopener noreferrer">{html.escape(title)}</a>'
    return html.escape(title)


def _plain(text: object, markup: object, structured: object) -> str:
    """The message's plain text: ``*_text``, else the HTML as text, else the structured body's strings."""
    if isinstance(text, str) and text.strip():
        return text
    if isinstance(markup, str) and markup.strip():
        return _html_text(markup)
    return "\n".join(_structured_strings(structured)).strip()


def _structured_strings(value: object) -> list[str]:
    """Strings a chat/mobile ``structured_body`` carries (its exact shape is not documented)."""
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, Mapping):
        found: list[str] = []
        for key, item in value.items():
            if key in _TEXT_KEYS or isinstance(item, Mapping | list):
                found += _structured_strings(item)
        return found
    if isinstance(value, list):
        return [s for item in value for s in _structured_strings(item)]
    return []


def _html_text(markup: str) -> str:
    # The core's HTML-to-text (paragraphs kept), reached through its public Message model.
    return Message(html=markup).body


def _display_name(address: object) -> str | None:
    if not isinstance(address, str) or not address.strip():
        return None
    name, mail = parseaddr(address)
    return name or mail or None


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _time(value: object) -> datetime | None:
    """Freshdesk's ``YYYY-MM-DDTHH:MM:SSZ`` (or a datetime python-freshdesk already parsed)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _as_int(value: object) -> int | None:
    """An integer code as the API sends it (a number, or digits in a string); ``None`` otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _str_or_none(value: object) -> str | None:
    return None if value is None else str(value)
