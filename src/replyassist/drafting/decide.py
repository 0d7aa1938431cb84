"""Reply, skip or escalate: the decision every draft carries, with its reasons.

A poor reply is worse than none, so the rules lean towards handing a ticket to a person
(``escalate``) when there is risk or when the knowledge base cannot support an answer,
and towards silence (``skip``) when no reply is wanted.
"""

from __future__ import annotations

from replyassist.models import Decision, SearchHit, Signals

__all__ = ["decide"]

_RISK_REASONS = {
    "legal_threat": "the customer mentions legal action: a person should answer",
    "safety": "the message reports a safety issue: a person should handle it",
    "data_breach": "the customer reports a possible account compromise or data breach",
    "abuse": "the message is abusive or threatening towards staff",
    "self_harm": "the message mentions self-harm: a person must respond with care",
}


def decide(
    signals: Signals,
    answering: list[SearchHit],
    *,
    public_channel: bool,
    escalate_when_kb_silent: bool = True,
) -> tuple[Decision, list[str]]:
    """Decide what to do with a ticket.

    Args:
        signals: what was read from the customer's messages.
        answering: retrieved passages that cover the customer's question well enough.
        public_channel: the conversation is a public social post.
        escalate_when_kb_silent: escalate a question of fact the KB cannot answer.

    Returns:
        The decision and the reasons for it, in words an agent reads.
    """
    if signals.spam:
        return Decision.SKIP, ["the message looks like spam or promotion"]
    if public_channel and not signals.addressed_to_brand:
        return Decision.SKIP, ["a public mention not addressed to the brand: no reply is expected"]
    risks = [_RISK_REASONS.get(r, f"risk: {r}") for r in signals.risks]
    if risks:
        return Decision.ESCALATE, risks
    if signals.thanks_only:
        return Decision.SKIP, ["the customer only says thanks: nothing to answer"]
    needs_facts = signals.is_question or signals.complaint_type.value in {"wants_fix", "chronic", "question"}
    if needs_facts and not answering:
        if escalate_when_kb_silent:
            return Decision.ESCALATE, [
                "the knowledge base has no article that answers this: a person should check "
                "before anything is promised"
            ]
        return Decision.REPLY, ["the knowledge base is silent: the draft says you will find out"]
    reasons = []
    if answering:
        titles = ", ".join(dict.fromkeys(h.passage.title for h in answering[:2]))
        reasons.append(f"answered from the knowledge base: {titles}")
    else:
        reasons.append("no question of fact: the draft acknowledges and offers help")
    if signals.urgency.value in {"high", "critical"}:
        reasons.append(
            f"urgent ({', '.join(signals.urgency_reasons) or signals.urgency.value}): answer first"
        )
    return Decision.REPLY, reasons
