"""After the model: its text cleaned and signed, and checked for what the agent must know.

The pipeline then fits the text to the channel and validates citations; these checks cover
what only the model can get wrong: a decision other than ours, a figure from nowhere, a
public customer sent to another channel, a reply in the wrong language.
"""

from __future__ import annotations

import re

from replyassist.channels import ChannelProfile, Format, SignOff
from replyassist.drafting.base import ComposeRequest
from replyassist.drafting.llm._schema import ModelReply
from replyassist.models import DraftWarning, SearchHit
from replyassist.policy import Policy

__all__ = ["clean_body", "map_passage_ids", "reply_warnings", "sign_off_for"]

_OFF_CHANNEL = re.compile(
    r"\b(call us|phone us|give us a (call|ring)|ring us|email us|e-mail us|send us an e-?mail|"
    r"visit (a|one of our|our) (store|shop)|1-?800|0800|llámanos|escríbenos un correo|appelez-nous|rufen sie uns an)\b",
    re.I,
)
_FIGURE = re.compile(r"\d+(?:[.,:]\d+)*")
_FENCE = re.compile(r"^```[a-zA-Z]*\s*|\s*```$")
_INITIALS_TAIL = re.compile(r"\s*\^[A-Z]{1,3}\s*$")


def sign_off_for(profile: ChannelProfile, policy: Policy) -> str:
    """The signature the channel wants (``^AG``, ``– Ana``, or name and brand lines for email)."""
    if profile.format is Format.CALL_NOTE or profile.sign_off is SignOff.NONE:
        return ""
    if profile.sign_off is SignOff.INITIALS:
        return f"^{policy.agent_initials}" if policy.agent_initials else ""
    if profile.sign_off is SignOff.FIRST_NAME:
        who = policy.agent_first_name or policy.brand
        return f"– {who}" if who else ""
    lines = [policy.agent_name.strip()] if policy.agent_name else []
    lines += [s] if (s := policy.signature or policy.brand) else []
    return "\n".join(lines)


def clean_body(text: str, policy: Policy) -> str:
    """The model's text without code fences, wrapping quotes, or a signature it added anyway."""
    body = _FENCE.sub("", text.strip()).strip()
    if len(body) > 1 and body[0] == body[-1] == '"':
        body = body[1:-1].strip()
    body = _INITIALS_TAIL.sub("", body)
    names = {
        n.lower() for n in (policy.agent_name, policy.agent_first_name, policy.brand, policy.signature) if n
    }
    lines = body.split("\n")
    while len(lines) > 1 and lines[-1].strip().lstrip("-–— ").lower() in names | {""}:
        lines.pop()
    return "\n".join(lines).strip()


def map_passage_ids(ids: list[str], hits: list[SearchHit]) -> list[str]:
    """The model's passage ids matched to retrieved ones (case and spacing forgiven).

    An id that matches nothing is kept as written: the pipeline then drops it and warns.
    """
    known = {h.passage.id.strip().lower(): h.passage.id for h in hits}
    out: list[str] = []
    for raw in ids:
        key = str(raw).strip().strip("[]").strip().lower()
        mapped = known.get(key, str(raw).strip())
        if mapped and mapped not in out:
            out.append(mapped)
    return out


def reply_warnings(
    request: ComposeRequest, reply: ModelReply, body: str, shown: list[SearchHit]
) -> list[DraftWarning]:
    """What the agent should check in the model's reply."""
    warnings: list[DraftWarning] = []
    if reply.decision != request.decision.value:
        why = "; ".join(r.strip() for r in reply.reasons if r.strip())[:300] or "no reason given"
        warnings.append(
            DraftWarning(code="model_decision", message=f"the model would {reply.decision}: {why}")
        )
    if request.profile.public and (hit := _OFF_CHANNEL.search(body)):
        warnings.append(
            DraftWarning(
                code="off_channel",
                message=f"the draft sends a public customer to another channel ({hit.group(0)!r}): edit it",
            )
        )
    sources = " ".join(
        [
            request.ticket.subject or "",
            *(m.body for m in request.ticket.messages),
            *(h.passage.text for h in shown),
        ]
    )
    known = set(_FIGURE.findall(sources))
    new = [f for f in dict.fromkeys(_FIGURE.findall(body)) if f not in known]
    if new:
        warnings.append(
            DraftWarning(
                code="unsupported_figure",
                message=f"the draft states {', '.join(new[:5])}, found neither in the conversation nor in "
                "the passages: check before sending",
            )
        )
    mismatch = _language_mismatch(body, request.language)
    if mismatch:
        warnings.append(
            DraftWarning(
                code="language_mismatch",
                message=f"the draft seems to be in {mismatch!r}, the customer wrote in {request.language!r}",
            )
        )
    return warnings


def _language_mismatch(body: str, expected: str) -> str | None:
    if len(body) < 60:
        return None  # too short to tell
    try:
        from replyassist.signals import detect_language
    except ImportError:  # pragma: no cover - signals ship with the core
        return None
    code, confidence = detect_language(body)
    base = expected.split("-")[0].lower()
    if code and code != base and confidence >= 0.6:
        return code
    return None
