"""The exception tree of replyassist.

Every error the library raises on purpose derives from :class:`ReplyAssistError`::

    ReplyAssistError
    ├── ConfigurationError          misuse: a wrong argument, a missing setting or extra
    │   └── MissingDependencyError  an optional dependency is not installed (names the extra)
    ├── InvalidInputError           the input cannot be drafted as it is (the message says why)
    │   ├── InvalidTicketError      a ticket is empty, malformed or has no customer text
    │   └── UnknownChannelError     a channel string that no profile knows (only when asked to be strict)
    ├── KnowledgeBaseError          the knowledge base cannot be loaded, saved or searched
    │   └── ArticleLoadError        one article file is broken (collected as warnings when loading folders)
    ├── ModelError                  a language model failed (run-time)
    │   ├── ModelAuthError          401/403 from the model provider
    │   ├── ModelRequestError       400: the provider refused the request
    │   └── ModelTimeoutError       the model did not answer within the deadline
    ├── HelpdeskError               a helpdesk call failed; carries status_code and retry_after
    │   ├── RateLimited             429, with retry_after in seconds when the helpdesk said
    │   └── TicketNotFound          404 for a ticket
    ├── WebhookError                a webhook request cannot be accepted
    │   ├── WebhookAuthError        its signature or shared secret is missing, wrong or stale (answer 401)
    │   └── InvalidWebhookError     its body cannot be understood (answer 400); also an InvalidInputError
    └── StoreError                  the service's database failed
        ├── StoreUnavailable        it cannot be reached now (retryable: answer 503 with Retry-After)
        └── DraftNotFound           no draft with that id (answer 404); also a LookupError

Misuse (``ConfigurationError``) is kept apart from run-time failures so that callers can
treat the first as a bug to fix and the second as something to retry or report.
"""

from __future__ import annotations

__all__ = [
    "ArticleLoadError",
    "ConfigurationError",
    "DraftNotFound",
    "HelpdeskError",
    "InvalidInputError",
    "InvalidTicketError",
    "InvalidWebhookError",
    "KnowledgeBaseError",
    "MissingDependencyError",
    "ModelAuthError",
    "ModelError",
    "ModelRequestError",
    "ModelTimeoutError",
    "RateLimited",
    "ReplyAssistError",
    "StoreError",
    "StoreUnavailable",
    "TicketNotFound",
    "UnknownChannelError",
    "WebhookAuthError",
    "WebhookError",
]


class ReplyAssistError(Exception):
    """Base class of every error replyassist raises on purpose."""


class ConfigurationError(ReplyAssistError):
    """The library was called or configured wrongly; fix the call or the setting."""


class MissingDependencyError(ConfigurationError, ImportError):
    """An optional dependency is missing; the message names the extra to install."""

    def __init__(self, package: str, extra: str, feature: str) -> None:
        self.package = package
        self.extra = extra
        super().__init__(
            f"{feature} needs the optional package {package!r}: "
            f"install it with `pip install 'replyassist[{extra}]'`"
        )


class InvalidInputError(ReplyAssistError, ValueError):
    """The input cannot be drafted as it is."""


class InvalidTicketError(InvalidInputError):
    """A ticket is empty, malformed or has no customer text to answer."""


class UnknownChannelError(InvalidInputError):
    """A channel string matches no channel profile (raised only in strict parsing)."""


class KnowledgeBaseError(ReplyAssistError):
    """The knowledge base could not be loaded, saved or searched."""


class ArticleLoadError(KnowledgeBaseError):
    """One article file could not be read or parsed."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"cannot load article {path}: {reason}")


class ModelError(ReplyAssistError):
    """A language model call failed."""


class ModelAuthError(ModelError):
    """The model provider refused the credentials (401/403)."""


class ModelRequestError(ModelError):
    """The model provider refused the request as malformed (400)."""


class ModelTimeoutError(ModelError):
    """The model did not answer within the deadline."""


class HelpdeskError(ReplyAssistError):
    """A helpdesk API call failed.

    Attributes:
        status_code: the HTTP status the helpdesk answered with, when there was one.
        retry_after: seconds the helpdesk asked us to wait, when it said.
    """

    def __init__(
        self, message: str, *, status_code: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.retry_after = retry_after


class RateLimited(HelpdeskError):
    """The helpdesk answered 429."""


class TicketNotFound(HelpdeskError):
    """The helpdesk has no such ticket (404)."""


class WebhookError(ReplyAssistError):
    """A webhook request cannot be accepted."""


class WebhookAuthError(WebhookError):
    """A webhook's signature or shared secret is missing, wrong or outside the replay window.

    The message says which, never what the secret or the expected signature is.
    """


class InvalidWebhookError(WebhookError, InvalidInputError):
    """A webhook's body is malformed or lacks the ticket it is about."""


class StoreError(ReplyAssistError):
    """The service's database failed."""


class StoreUnavailable(StoreError):
    """The database cannot be reached now; the operation can be retried later."""


class DraftNotFound(StoreError, LookupError):
    """No stored draft has that id."""
