"""A Celery worker logs its per-task lines ("received", "succeeded") only at DEBUG.

Celery sends ``after_setup_logger`` with the worker's level once it has set up logging, before it
builds the message handler and tracer that read these loggers' levels.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from celery import signals

import replyassist.service.celery_app  # noqa: F401  (connects the worker's signal handlers)

PER_TASK = ("celery.worker.strategy", "celery.app.trace")


@pytest.fixture(autouse=True)
def _restore_levels() -> Iterator[None]:
    levels = {name: logging.getLogger(name).level for name in ("", *PER_TASK)}
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def _worker_logs_at(level: int) -> None:
    """What Celery's worker does as it sets up logging: the root's level, then the signal."""
    logging.getLogger().setLevel(level)
    signals.after_setup_logger.send(
        sender=None, logger=logging.getLogger(), loglevel=level, logfile=None, format="", colorize=False
    )


@pytest.mark.parametrize("level", [logging.INFO, logging.WARNING])
def test_per_task_lines_are_off_above_debug(level: int) -> None:
    _worker_logs_at(level)
    for name in PER_TASK:
        logger = logging.getLogger(name)
        assert not logger.isEnabledFor(logging.INFO), name
        assert logger.isEnabledFor(logging.WARNING) == (level <= logging.WARNING), name
        assert logger.isEnabledFor(logging.ERROR), name  # a task's failure is still logged


def test_an_error_level_worker_stays_at_error() -> None:
    _worker_logs_at(logging.ERROR)
    assert all(not logging.getLogger(name).isEnabledFor(logging.WARNING) for name in PER_TASK)


def test_per_task_lines_stay_at_debug() -> None:
    _worker_logs_at(logging.INFO)
    _worker_logs_at(logging.DEBUG)
    assert all(logging.getLogger(name).isEnabledFor(logging.DEBUG) for name in PER_TASK)
