"""Reading a customer's messages before replying: language, tone, urgency, risks and intent.

Everything here runs offline and deterministically, in about a millisecond per message. The
lexicons (``signals/lexicons/*.json``) are read on first use, not at import.

* :func:`detect_language` — ISO 639-1 code and confidence for one text, good on short ones.
* :func:`analyze` — all of :class:`~replyassist.models.Signals` for a ticket.
"""

from replyassist.signals._analyze import analyze
from replyassist.signals._language import detect_language

__all__ = ["analyze", "detect_language"]
