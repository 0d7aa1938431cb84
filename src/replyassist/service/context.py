"""What a service process shares between its requests and jobs: settings, store, adapters, assistant.

Built once per process (the API process, each Celery worker process) from the settings, and
shared by every thread: the store's engine, the adapters and the assistant are thread-safe.
"""

from __future__ import annotations

import gc
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from replyassist._errors import ConfigurationError
from replyassist.drafting.pipeline import ReplyAssistant
from replyassist.helpdesk import HelpdeskAdapter, load_helpdesk
from replyassist.models import Channel, Ticket
from replyassist.service.store import Store

if TYPE_CHECKING:
    from replyassist.service.config import ServiceSettings

__all__ = ["ServiceContext", "load_adapters", "settle_collector"]

_log = logging.getLogger(__name__)

_WARM_UP_MESSAGE = "Hi, my order has not arrived yet and I was charged twice. Can you help me, please?"


@dataclass
class ServiceContext:
    """The service's shared parts. Tests build one directly, with fakes."""

    settings: ServiceSettings
    store: Store
    adapters: dict[str, HelpdeskAdapter]
    assistant: ReplyAssistant

    @classmethod
    def from_settings(
        cls, settings: ServiceSettings, *, env: Mapping[str, str] | None = None, migrate: bool = True
    ) -> ServiceContext:
        """Open the store (migrated unless ``migrate=False``), load the adapters, the KB and the model.

        Args:
            settings: the service's settings.
            env: what helpdesk factories read their own settings from (default: the
                environment the settings were loaded from).
            migrate: bring the database schema up to date first (idempotent, safe between
                processes), so that one machine runs with no set-up.

        Raises:
            ConfigurationError: every helpdesk that cannot be set up, in one message.
            StoreUnavailable: the database cannot be reached.
        """
        adapters = load_adapters(
            settings.helpdesks,
            settings.env if env is None else env,
            required="helpdesks" in settings.model_fields_set,
        )
        store = Store.from_settings(settings)
        if migrate:
            store.migrate()
        context = cls(
            settings=settings,
            store=store,
            adapters=adapters,
            assistant=ReplyAssistant(settings.kb_location, llm=settings.llm),
        )
        context.warm_up()
        return context

    def warm_up(self) -> None:
        """Build now what the first jobs would otherwise build, each for itself, all at once.

        The model's client: model calls share one event loop per process, and the first one
        imports LangChain and the OpenAI SDK (seconds) while every job started meanwhile waits
        behind it. The drafting tables (language profiles, guardrail patterns, stemmers), built
        on first use and cached: a burst of jobs on a fresh worker would build them once per
        thread, in the CPU time of those jobs. One offline draft of a sample message builds
        them without calling the model. Then what was built is kept out of the garbage
        collector's sight (:func:`settle_collector`).
        """
        getattr(self.assistant.composer, "chat_model", None)
        offline = ReplyAssistant(self.assistant.kb, policy=self.assistant.policy)
        try:
            offline.draft(Ticket.from_text(_WARM_UP_MESSAGE, channel=Channel.EMAIL, customer="Alex"))
        except Exception:  # the first job will meet the same failure and report it where it belongs
            _log.warning("warming up the drafting path failed", exc_info=True)
        settle_collector()

    def close(self) -> None:
        """Release the database connections."""
        self.store.close()


_YOUNG_THRESHOLD = 10_000
"""Allocations between two collections of the youngest generation (CPython's default: 700)."""


def settle_collector() -> None:
    """Keep the garbage collector off what the process built to live as long as it does.

    A service process holds hundreds of thousands of long-lived objects (the KB index, the
    model client, the imported modules), and CPython's collector walks all of them at every
    full collection: with dozens of drafts in flight that cost ~2 ms of CPU per draft, and
    the young generations, collected every 700 allocations, ~1 ms more. ``gc.freeze()`` moves
    what exists now out of the collector's sight (it is never freed anyway), and a larger
    young-generation threshold collects the drafts' short-lived objects less often (they
    are mostly freed by reference counting, not by the collector). Only for processes the
    service owns (API, job processes, Celery workers): the library never touches the
    collector.
    """
    gc.collect()
    gc.freeze()
    young, middle, old = gc.get_threshold()
    gc.set_threshold(max(young, _YOUNG_THRESHOLD), middle, old)


def load_adapters(
    names: list[str], env: Mapping[str, str] | None = None, *, required: bool = True
) -> dict[str, HelpdeskAdapter]:
    """The adapters for ``names``, each from its plug-in's factory; all failures in one error.

    With ``required=False`` (the helpdesks were not named in the settings, so every installed
    plug-in is tried), a plug-in that is installed but not configured is skipped with a warning:
    installing both plug-ins and using one is fine.
    """
    env = os.environ if env is None else env
    adapters: dict[str, HelpdeskAdapter] = {}
    problems: list[str] = []
    for name in names:
        try:
            adapters[name] = load_helpdesk(name, env)
        except ConfigurationError as exc:
            if required:
                problems.append(f"- helpdesk {name!r}: {exc}")
            else:
                _log.warning("helpdesk %r is installed but not configured, so it is off: %s", name, exc)
    if problems:
        raise ConfigurationError("cannot set up the helpdesks:\n" + "\n".join(problems))
    return adapters
