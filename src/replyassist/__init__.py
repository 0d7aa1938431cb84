"""replyassist: drafts empathetic, on-channel replies to customer messages from your knowledge base.

Quick start::

    from replyassist import KnowledgeBase, Ticket, draft_reply

    kb = KnowledgeBase.from_directory("examples/kb")
    draft = draft_reply(Ticket.from_text("Where is my order?", channel="twitter", customer="Maria"), kb=kb)
    print(draft.decision, draft.text)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from replyassist._lazy import lazy_exports

if TYPE_CHECKING:
    from replyassist._errors import (
        ArticleLoadError,
        ConfigurationError,
        HelpdeskError,
        InvalidInputError,
        InvalidTicketError,
        KnowledgeBaseError,
        MissingDependencyError,
        ModelAuthError,
        ModelError,
        ModelRequestError,
        ModelTimeoutError,
        RateLimited,
        ReplyAssistError,
        TicketNotFound,
        UnknownChannelError,
    )
    from replyassist.channels import (
        ChannelProfile,
        Format,
        SignOff,
        default_profiles,
        get_profile,
        x_weighted_length,
    )
    from replyassist.drafting.base import Composer, ComposeRequest, Composition
    from replyassist.drafting.llm import LLMComposer, ModelSettings, RetryPolicy, Tone
    from replyassist.drafting.offline import OfflineComposer
    from replyassist.drafting.pipeline import ReplyAssistant, adraft_reply, draft_reply, rephrase, summarize
    from replyassist.knowledge import KnowledgeBase, KnowledgeSource
    from replyassist.models import (
        Article,
        Channel,
        Citation,
        ComplaintType,
        Customer,
        Decision,
        Draft,
        DraftWarning,
        Emotion,
        Feedback,
        FeedbackKind,
        Message,
        Passage,
        Priority,
        Role,
        SearchHit,
        Sentiment,
        Signals,
        Ticket,
        Timings,
        Urgency,
        Usage,
    )
    from replyassist.policy import Policy
    from replyassist.signals import analyze, detect_language

__version__ = "0.1.0"

# Names are imported on first use so that `import replyassist` stays cheap (cold start
# matters to webhook workers and CLIs); type checkers see the eager imports above.
_EXPORTS: dict[str, str] = {
    "Article": "replyassist.models",
    "ArticleLoadError": "replyassist._errors",
    "Channel": "replyassist.models",
    "ChannelProfile": "replyassist.channels",
    "Citation": "replyassist.models",
    "ComplaintType": "replyassist.models",
    "ComposeRequest": "replyassist.drafting.base",
    "Composer": "replyassist.drafting.base",
    "Composition": "replyassist.drafting.base",
    "ConfigurationError": "replyassist._errors",
    "Customer": "replyassist.models",
    "Decision": "replyassist.models",
    "Draft": "replyassist.models",
    "DraftWarning": "replyassist.models",
    "Emotion": "replyassist.models",
    "Feedback": "replyassist.models",
    "FeedbackKind": "replyassist.models",
    "Format": "replyassist.channels",
    "HelpdeskError": "replyassist._errors",
    "InvalidInputError": "replyassist._errors",
    "InvalidTicketError": "replyassist._errors",
    "KnowledgeBase": "replyassist.knowledge",
    "KnowledgeBaseError": "replyassist._errors",
    "KnowledgeSource": "replyassist.knowledge",
    "LLMComposer": "replyassist.drafting.llm",
    "Message": "replyassist.models",
    "MissingDependencyError": "replyassist._errors",
    "ModelAuthError": "replyassist._errors",
    "ModelError": "replyassist._errors",
    "ModelRequestError": "replyassist._errors",
    "ModelSettings": "replyassist.drafting.llm",
    "ModelTimeoutError": "replyassist._errors",
    "OfflineComposer": "replyassist.drafting.offline",
    "Passage": "replyassist.models",
    "Policy": "replyassist.policy",
    "Priority": "replyassist.models",
    "RateLimited": "replyassist._errors",
    "ReplyAssistError": "replyassist._errors",
    "ReplyAssistant": "replyassist.drafting.pipeline",
    "RetryPolicy": "replyassist.drafting.llm",
    "Role": "replyassist.models",
    "SearchHit": "replyassist.models",
    "Sentiment": "replyassist.models",
    "SignOff": "replyassist.channels",
    "Signals": "replyassist.models",
    "Ticket": "replyassist.models",
    "TicketNotFound": "replyassist._errors",
    "Timings": "replyassist.models",
    "Tone": "replyassist.drafting.llm",
    "UnknownChannelError": "replyassist._errors",
    "Urgency": "replyassist.models",
    "Usage": "replyassist.models",
    "adraft_reply": "replyassist.drafting.pipeline",
    "analyze": "replyassist.signals",
    "default_profiles": "replyassist.channels",
    "detect_language": "replyassist.signals",
    "draft_reply": "replyassist.drafting.pipeline",
    "get_profile": "replyassist.channels",
    "rephrase": "replyassist.drafting.pipeline",
    "summarize": "replyassist.drafting.pipeline",
    "x_weighted_length": "replyassist.channels",
}


__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)


__all__ = [
    "Article",
    "ArticleLoadError",
    "Channel",
    "ChannelProfile",
    "Citation",
    "ComplaintType",
    "ComposeRequest",
    "Composer",
    "Composition",
    "ConfigurationError",
    "Customer",
    "Decision",
    "Draft",
    "DraftWarning",
    "Emotion",
    "Feedback",
    "FeedbackKind",
    "Format",
    "HelpdeskError",
    "InvalidInputError",
    "InvalidTicketError",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "KnowledgeSource",
    "LLMComposer",
    "Message",
    "MissingDependencyError",
    "ModelAuthError",
    "ModelError",
    "ModelRequestError",
    "ModelSettings",
    "ModelTimeoutError",
    "OfflineComposer",
    "Passage",
    "Policy",
    "Priority",
    "RateLimited",
    "ReplyAssistError",
    "ReplyAssistant",
    "RetryPolicy",
    "Role",
    "SearchHit",
    "Sentiment",
    "SignOff",
    "Signals",
    "Ticket",
    "TicketNotFound",
    "Timings",
    "Tone",
    "UnknownChannelError",
    "Urgency",
    "Usage",
    "__version__",
    "adraft_reply",
    "analyze",
    "default_profiles",
    "detect_language",
    "draft_reply",
    "get_profile",
    "rephrase",
    "summarize",
    "x_weighted_length",
]
