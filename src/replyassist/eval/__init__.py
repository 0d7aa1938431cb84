"""Evaluation: draft a set of cases with each composer, score the drafts, report the figures.

``replyassist eval CASES --kb KB`` (or ``replyassist eval --suite NAME``) is the command; this
package is its library. The case format (JSONL) is in :mod:`replyassist.eval.cases`.

The names below are loaded on first use: ``import replyassist.cli`` mounts the command from
:mod:`replyassist.eval.cli`, which imports this package, and must stay cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from replyassist.eval.cases import EvalCase, Expectations, Suite, load_cases, write_cases

__all__ = ["EvalCase", "Expectations", "Suite", "load_cases", "write_cases"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(import_module("replyassist.eval.cases"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
