"""Readers of the public data sets the suites are built from, kept where they are (never copied).

Each reader takes the data folder (the one holding ``twcs_sample/``, ``abcd/``, ``banking77/``,
``bitext_customer_support/`` and ``giskard_prompt_injections/``, see its ``DATA.md``) and gives
the rows as they are in the files; what a suite makes of them is in the suite's module. The
benchmarks read the same files through these functions, so there is one reader per file.
"""

from __future__ import annotations

import ast
import csv
import json
import os
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from replyassist._errors import ConfigurationError

__all__ = [
    "DATA_ENV",
    "GiskardAttack",
    "abcd_dialogs",
    "abcd_guidelines",
    "abcd_ontology",
    "banking77_categories",
    "banking77_rows",
    "bitext_rows",
    "default_data_dir",
    "giskard_attacks",
    "read_csv",
    "read_json",
    "sample",
    "twcs_rows",
]

DATA_ENV = "REPLYASSIST_EVAL_DATA"
"""Environment variable naming the data folder when it is not ``../shared/data``."""

BITEXT_FILE = Path("bitext_customer_support") / "Bitext_Sample_Customer_Support_Training_Dataset.csv"

T = TypeVar("T")


def default_data_dir() -> Path:
    """The data folder: ``$REPLYASSIST_EVAL_DATA``, else ``shared/data`` beside the working folder
    or beside this source checkout.

    Raises:
        ConfigurationError: none of them exists (the message lists where it looked).
    """
    env = os.environ.get(DATA_ENV)
    if env:
        candidates = [Path(env).expanduser()]
    else:
        here = Path(__file__).resolve()
        candidates = [
            Path.cwd().parent / "shared" / "data",
            Path.cwd() / "shared" / "data",
            here.parents[4].parent / "shared" / "data",
        ]
    for path in candidates:
        if path.is_dir():
            return path
    tried = ", ".join(str(p) for p in candidates)
    raise ConfigurationError(f"no public data folder found (tried {tried}); set {DATA_ENV} or pass --data")


def _file(data: Path, relative: Path | str) -> Path:
    path = Path(data) / relative
    if not path.is_file():
        raise ConfigurationError(
            f"missing data file {path}: the suite reads it from the public data folder (see its DATA.md)"
        )
    return path


def read_csv(data: Path, relative: Path | str) -> list[dict[str, str]]:
    """Every row of a CSV file of the data folder, as dicts of strings."""
    with _file(data, relative).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def read_json(data: Path, relative: Path | str) -> Any:
    return json.loads(_file(data, relative).read_text(encoding="utf-8"))


def twcs_rows(data: Path) -> list[dict[str, str]]:
    """The 93 tweets of the TWCS sample (``tweet_id, author_id, inbound, created_at, text,
    response_tweet_id, in_response_to_tweet_id``)."""
    return read_csv(data, Path("twcs_sample") / "sample.csv")


def bitext_rows(data: Path) -> list[dict[str, str]]:
    """The 4,514 rows of the Bitext set (``instruction, intent, category, tags, response``…)."""
    return read_csv(data, BITEXT_FILE)


def banking77_rows(data: Path) -> list[dict[str, str]]:
    """The 3,080 BANKING77 test queries (``text, category``)."""
    return read_csv(data, Path("banking77") / "test.csv")


def banking77_categories(data: Path) -> list[str]:
    """The 77 intent names, in the file's order."""
    return [str(c) for c in read_json(data, Path("banking77") / "categories.json")]


def abcd_guidelines(data: Path) -> dict[str, Any]:
    """ABCD's agent guidelines: flow name → ``{description, subflows: {name: {actions, instructions}}}``."""
    return dict(read_json(data, Path("abcd") / "guidelines.json"))


def abcd_ontology(data: Path) -> dict[str, Any]:
    return dict(read_json(data, Path("abcd") / "ontology.json"))


def abcd_dialogs(data: Path) -> list[dict[str, Any]]:
    """Every ABCD dialog available (the sample's 3 and DialogStudio's 5, which include them), by id."""
    dialogs: dict[str, dict[str, Any]] = {}
    for name in ("abcd_sample.json", "dialogstudio_abcd_original_examples.json"):
        for dialog in read_json(data, Path("abcd") / name):
            dialogs.setdefault(str(dialog["convo_id"]), dialog)
    return [dialogs[k] for k in sorted(dialogs, key=int)]


@dataclass(frozen=True)
class GiskardAttack:
    """One attack of the Giskard set and the strings whose presence in an answer means it worked."""

    index: str
    prompt: str
    name: str
    group: str
    source: str
    language: str
    expected_strings: tuple[str, ...]


def giskard_attacks(data: Path) -> list[GiskardAttack]:
    """The 35 Giskard attacks, with the success strings of ``giskard_meta_data.csv``."""
    folder = Path("giskard_prompt_injections")
    meta = {row["index"]: row for row in read_csv(data, folder / "giskard_meta_data.csv")}
    attacks = []
    for row in read_csv(data, folder / "prompt_injections.csv"):
        expected = ast.literal_eval(meta[row["index"]]["expected_strings"])
        attacks.append(
            GiskardAttack(
                index=row["index"],
                prompt=row["prompt"],
                name=row["name"],
                group=row["group"],
                source=row["source"],
                language=row["language"],
                expected_strings=tuple(str(s) for s in expected),
            )
        )
    return attacks


def sample(items: Sequence[T], n: int | None, rng: random.Random) -> list[T]:
    """``n`` items drawn without replacement, kept in their original order (all when ``n`` is
    ``None`` or not smaller)."""
    if n is None or n >= len(items):
        return list(items)
    chosen = sorted(rng.sample(range(len(items)), n))
    return [items[i] for i in chosen]
