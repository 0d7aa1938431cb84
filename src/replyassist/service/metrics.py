"""Prometheus figures for one app: its own HTTP traffic, and the store's drafts, feedback and jobs.

Each app gets its own ``CollectorRegistry`` (never the global one), so several apps can live
in one process (tests, embedding). Request durations and webhook outcomes are counted here, in
this process. Drafts, feedback, jobs and the webhook-to-draft latency are read from the store
at every scrape by a custom collector, so they include what Celery workers in other processes
did, and survive restarts.
"""

from __future__ import annotations

import bisect
import logging
import math
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from replyassist._errors import StoreError
from replyassist.service.store import Store, StoreStats

__all__ = ["CONTENT_TYPE_LATEST", "Metrics", "StoreCollector"]

logger = logging.getLogger("replyassist.service.metrics")

# Request latency buckets: intake should answer in milliseconds, drafting in up to seconds.
_HTTP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class StoreCollector(Collector):
    """Reads the store's aggregates at scrape time; reports ``replyassist_store_up 0`` if it cannot."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.latency = LatencyHistogram()

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("replyassist_store_up", "1 if the store answered the last scrape, else 0")
        try:
            stats = self.store.stats()
            self.latency.update(self.store)
        except StoreError as exc:
            logger.warning("metrics: the store did not answer: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from store_families(stats)
        yield self.latency.family()


class LatencyHistogram:
    """The webhook-to-draft time of every stored draft that answered a webhook, as a histogram.

    Read incrementally: the first scrape reads every draft row, later ones only the rows created
    since the last one seen (minus an overlap, for drafts saved a little after they were made;
    ids seen in the overlap are not counted twice). So it counts drafts written by any process.
    """

    BUCKETS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)
    OVERLAP = timedelta(minutes=5)

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts = [0] * (len(self.BUCKETS) + 1)  # the last one is +Inf
        self._sum = 0.0
        self._cursor: datetime | None = None
        self._seen: dict[str, datetime] = {}

    def update(self, store: Store) -> None:
        with self._lock:
            since = None if self._cursor is None else self._cursor - self.OVERLAP
            for row in store.draft_rows(since=since):
                if row.draft_id in self._seen:
                    continue
                self._seen[row.draft_id] = row.created_at
                self._cursor = row.created_at if self._cursor is None else max(self._cursor, row.created_at)
                seconds = row.seconds_to_draft
                if seconds is not None:
                    self._counts[bisect.bisect_left(self.BUCKETS, seconds)] += 1
                    self._sum += seconds
            if self._cursor is not None:
                horizon = self._cursor - self.OVERLAP
                self._seen = {k: at for k, at in self._seen.items() if at >= horizon}

    def family(self) -> HistogramMetricFamily:
        family = HistogramMetricFamily(
            "replyassist_webhook_to_draft_seconds", "Time from a webhook's arrival to its draft being written"
        )
        with self._lock:
            cumulative, buckets = 0, []
            for bound, count in zip((*self.BUCKETS, math.inf), self._counts, strict=True):
                cumulative += count
                buckets.append((_le(bound), float(cumulative)))
            family.add_metric([], buckets, sum_value=self._sum)
        return family


def store_families(stats: StoreStats) -> Iterator[Metric]:
    """The draft, feedback and job figures in ``stats`` as Prometheus families."""
    drafts = CounterMetricFamily(
        "replyassist_drafts",
        "Drafts stored, by helpdesk, channel, decision and composer",
        labels=["helpdesk", "channel", "decision", "composer"],
    )
    fallbacks = CounterMetricFamily(
        "replyassist_draft_fallbacks", "Drafts the offline composer wrote because the model failed"
    )
    by_labels: dict[tuple[str, str, str, str], float] = {}
    fallback_total = 0.0
    for key, count in stats.drafts.items():
        helpdesk, channel, decision, composer, fallback = key
        labels = (helpdesk or "none", str(channel), str(decision), composer)
        by_labels[labels] = by_labels.get(labels, 0.0) + count
        if fallback:
            fallback_total += count
    for labels, total in sorted(by_labels.items()):
        drafts.add_metric(list(labels), total)
    fallbacks.add_metric([], fallback_total)
    yield drafts
    yield fallbacks

    feedback = CounterMetricFamily(
        "replyassist_feedback", "Agent feedback on drafts, by kind", labels=["kind"]
    )
    for kind, count in sorted(stats.feedback.items()):
        feedback.add_metric([str(kind)], count)
    yield feedback
    total = sum(stats.feedback.values())
    accepted = sum(n for kind, n in stats.feedback.items() if str(kind) == "accepted")
    ratio = GaugeMetricFamily(
        "replyassist_acceptance_ratio",
        "Share of drafts with feedback that agents accepted as they were (0 when there is no feedback)",
    )
    ratio.add_metric([], accepted / total if total else 0.0)
    yield ratio

    jobs = GaugeMetricFamily("replyassist_jobs", "Webhook jobs in the store, by status", labels=["status"])
    for status, count in sorted(stats.jobs.items()):
        jobs.add_metric([str(status)], count)
    yield jobs


def _le(bound: float) -> str:
    return "+Inf" if math.isinf(bound) else repr(float(bound))


class Metrics:
    """The figures of one app, with the registry that renders them."""

    def __init__(self, store: Store) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.http_duration = Histogram(
            "replyassist_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template, method and status",
            ["route", "method", "status"],
            buckets=_HTTP_BUCKETS,
            registry=self.registry,
        )
        self.webhooks = Counter(
            "replyassist_webhooks",
            "Webhook deliveries, by helpdesk and outcome",
            ["helpdesk", "outcome"],
            registry=self.registry,
        )
        self.registry.register(StoreCollector(store))

    def render(self) -> bytes:
        """The Prometheus text exposition (queries the store: call it off the event loop)."""
        return generate_latest(self.registry)
