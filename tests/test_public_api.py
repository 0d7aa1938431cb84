"""The public API is deliberate: a sorted ``__all__`` that this test pins."""

from __future__ import annotations

import ast
from pathlib import Path

import replyassist

SRC = Path(replyassist.__file__).resolve().parent


def test_all_is_sorted_and_complete() -> None:
    names = replyassist.__all__
    assert names == sorted(names)
    for name in names:
        assert hasattr(replyassist, name), name


def test_public_names_are_pinned() -> None:
    expected = {
        "Article",
        "load_helpdesk",
        "available_helpdesks",
        "WebhookRequest",
        "WebhookEvent",
        "NoteRef",
        "HelpdeskAdapter",
        "EventKind",
        "InvalidWebhookError",
        "WebhookError",
        "WebhookAuthError",
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
        "Message",
        "MissingDependencyError",
        "ModelAuthError",
        "ModelError",
        "ModelRequestError",
        "ModelTimeoutError",
        "OfflineComposer",
        "Passage",
        "Policy",
        "Priority",
        "RateLimited",
        "ReplyAssistError",
        "ReplyAssistant",
        "Role",
        "SearchHit",
        "Sentiment",
        "SignOff",
        "Signals",
        "Ticket",
        "TicketNotFound",
        "Timings",
        "UnknownChannelError",
        "Urgency",
        "__version__",
        "adraft_reply",
        "analyze",
        "default_profiles",
        "detect_language",
        "draft_reply",
        "get_profile",
        "x_weighted_length",
        "LLMComposer",
        "ModelSettings",
        "RetryPolicy",
        "Tone",
        "Usage",
        "rephrase",
        "summarize",
    }
    assert set(replyassist.__all__) == expected


def test_every_error_derives_from_the_root() -> None:
    errors = [
        getattr(replyassist, n) for n in replyassist.__all__ if n.endswith(("Error", "Limited", "NotFound"))
    ]
    assert errors
    for error in errors:
        assert issubclass(error, replyassist.ReplyAssistError), error


def test_core_never_imports_a_helpdesk_sdk() -> None:
    offenders = []
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            modules = []
            if isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module]
            offenders += [f"{path.name}: {m}" for m in modules if m.split(".")[0] in {"zenpy", "freshdesk"}]
    assert offenders == []
