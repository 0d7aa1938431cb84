"""Evaluation suites built from public support data, read where it lies (never copied into a project).

``build_suite("tweets", data_dir, out_dir)`` reads the data set from ``data_dir`` (the folder
described by its ``DATA.md``: ``twcs_sample/``, ``abcd/``, ``banking77/``,
``bitext_customer_support/``, ``giskard_prompt_injections/``) and writes, in ``out_dir``:

* ``cases.jsonl``: the cases (:mod:`replyassist.eval.cases` format), a seeded sample of the data;
* ``kb/``: the suite's knowledge base (``--kb``), a saved index, and any further KB folder cases name;
* ``suite.json``: where the data comes from, its **license**, what the suite measures and how
  each expectation was derived.

The built files hold the data's text: they belong in a cache folder (``benchmarks/.cache/eval/``),
and carry the data's license (several are share-alike or non-commercial).

=============  ==============================  ====================================================
suite          data                            measures
=============  ==============================  ====================================================
``tweets``     TWCS sample (real tweets)       public social replies vs the real brand replies
``abcd``       ABCD guidelines + dialogs       policy-grounded drafting, recall@5 on the policy KB
``banking77``  BANKING77 queries               routing: recall@5 of the intent's article
``bitext``     Bitext customer-service set     empathetic style, canned openings
``giskard``    Giskard prompt injections       injection resistance (message and KB article)
=============  ==============================  ====================================================
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from replyassist._errors import ConfigurationError
from replyassist.eval.suites import abcd, banking77, bitext, giskard, tweets
from replyassist.eval.suites._common import SEED, BuiltSuite, SuiteInfo
from replyassist.eval.suites._data import DATA_ENV, default_data_dir

__all__ = [
    "DATA_ENV",
    "SEED",
    "SUITES",
    "BuiltSuite",
    "SuiteInfo",
    "build_suite",
    "default_data_dir",
    "make_suite",
    "suite_info",
]

_Builder = Callable[..., BuiltSuite]
_BUILDERS: dict[str, tuple[SuiteInfo, _Builder]] = {
    tweets.INFO.name: (tweets.INFO, tweets.build),
    abcd.INFO.name: (abcd.INFO, abcd.build),
    banking77.INFO.name: (banking77.INFO, banking77.build),
    bitext.INFO.name: (bitext.INFO, bitext.build),
    giskard.INFO.name: (giskard.INFO, giskard.build),
}

SUITES: tuple[str, ...] = tuple(_BUILDERS)
"""The names ``build_suite`` knows, in the order reports list them."""


def suite_info(name: str) -> SuiteInfo:
    """Provenance and purpose of suite ``name``.

    Raises:
        ConfigurationError: no suite has that name.
    """
    if name not in _BUILDERS:
        raise ConfigurationError(f"unknown suite {name!r}; the suites are: {', '.join(SUITES)}")
    return _BUILDERS[name][0]


def make_suite(name: str, data_dir: str | Path, *, limit: int | None = None, seed: int = SEED) -> BuiltSuite:
    """Suite ``name`` built in memory from the data in ``data_dir``.

    Args:
        name: one of ``SUITES``.
        data_dir: the public data folder.
        limit: at most this many cases (a seeded sample of the full suite); ``None``: the full suite.
        seed: the sample's seed; the same seed and data give the same cases.

    Raises:
        ConfigurationError: unknown suite, or a data file it needs is missing.
    """
    suite_info(name)
    if limit is not None and limit < 1:
        raise ConfigurationError(f"limit must be at least 1, got {limit}")
    return _BUILDERS[name][1](Path(data_dir), limit=limit, seed=seed)


def build_suite(
    name: str,
    data_dir: str | Path,
    out_dir: str | Path,
    *,
    limit: int | None = None,
    seed: int = SEED,
) -> tuple[Path, Path]:
    """Build suite ``name`` from ``data_dir`` into ``out_dir`` (emptied first).

    Returns:
        The cases file and the KB folder to pass as ``--kb``.

    Raises:
        ConfigurationError: unknown suite, or a data file it needs is missing.
    """
    built = make_suite(name, data_dir, limit=limit, seed=seed)
    out = Path(out_dir)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    # Saved indexes, not article files: they load at once, and Bitext and BANKING77 articles have
    # no title (a title would give the intent away), which article files require.
    from replyassist.knowledge import KnowledgeBase

    KnowledgeBase(built.suite.articles).save(out / "kb")
    for folder, articles in built.extra_kbs.items():
        KnowledgeBase(articles).save(out / folder)
    suite = built.suite.model_copy(update={"kb": out / "kb", "articles": []})
    cases_file, _ = suite.write(out)
    _write_meta(out / "suite.json", built, suite_info(name), limit=limit, seed=seed)
    return cases_file, out / "kb"


def _write_meta(path: Path, built: BuiltSuite, info: SuiteInfo, *, limit: int | None, seed: int) -> None:
    cases = built.suite.cases
    meta = {
        **asdict(info),
        "seed": seed,
        "limit": limit,
        "cases": len(cases),
        "cases_by_source": dict(sorted(Counter(c.tags.get("source", "?") for c in cases).items())),
        "kb_articles": len(built.suite.articles),
        "extra_kbs": {k: len(v) for k, v in sorted(built.extra_kbs.items())},
        "note": "These files hold text of the public data set named above, under its license; "
        "keep them out of version control and do not redistribute them under other terms.",
    }
    path.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
