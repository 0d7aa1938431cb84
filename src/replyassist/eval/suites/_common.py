"""What every public suite module gives: where its data comes from, and the suite it builds."""

from __future__ import annotations

from dataclasses import dataclass, field

from replyassist.eval.cases import Suite
from replyassist.models import Article

__all__ = ["SEED", "BuiltSuite", "SuiteInfo"]

SEED = 8
"""The default seed of every suite's sample: the same seed gives the same cases, byte for byte."""


@dataclass(frozen=True)
class SuiteInfo:
    """Provenance and purpose of a suite, written to its ``suite.json`` and shown in reports.

    Attributes:
        name: the suite's name (``replyassist eval --suite NAME``).
        data: the folders of the data folder it reads.
        source: where that data comes from (repository and commit, as ``DATA.md`` records).
        license: the data's license; the built files carry it, and must not be published under another.
        measures: what the suite measures, and what it cannot.
        kb: how its knowledge base is made.
        expectations: how each expectation is derived from the data's own labels.
    """

    name: str
    data: tuple[str, ...]
    source: str
    license: str
    measures: str
    kb: str
    expectations: str


@dataclass
class BuiltSuite:
    """A suite as built in memory, before it is written.

    Attributes:
        suite: the cases and their KB articles (none: an empty KB).
        extra_kbs: further KB folders (relative name → articles) that some cases name in ``kb``.
    """

    suite: Suite
    extra_kbs: dict[str, list[Article]] = field(default_factory=dict)
