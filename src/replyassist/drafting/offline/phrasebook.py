"""Phrase banks: the offline composer's words, one TOML file per language.

A bank has ``version = 1``; a ``[style]``, ``[labels]``, ``[channels]`` and ``[cues]`` table;
and for each tone (``[friendly]``, ``[formal]``) the variant slots plus three keyed tables
(``topics``, ``details``, ``faults``). The shipped English bank defines which keys exist and
which ``{placeholders}`` each slot may use; ``prompts/README.md`` describes them all.

Users override words by pointing ``REPLYASSIST_PROMPTS_DIR`` (or
``OfflineComposer(phrasebook_dir=...)``) at a folder of their own ``<lang>.toml`` files: keys
they set replace the shipped ones, keys they omit keep the shipped wording, and a language
the library does not ship can be added by writing a complete bank.
"""

from __future__ import annotations

import hashlib
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from replyassist._errors import ConfigurationError

__all__ = [
    "BANK_VERSION",
    "SLOTS",
    "TONES",
    "Phrasebook",
    "available_languages",
    "load_phrasebook",
    "placeholders",
    "shipped_dir",
]

BANK_VERSION = 1
TONES = ("friendly", "formal")
SLOTS = (
    "greeting_line",
    "greeting_line_noname",
    "greeting_inline",
    "greeting_inline_noname",
    "opener",
    "opener_about",
    "ack_about",
    "empathy_frustration",
    "empathy_frustration_about",
    "empathy_repeat",
    "empathy_repeat_about",
    "empathy_own_it",
    "empathy_disappointment",
    "empathy_worry",
    "empathy_confusion",
    "empathy_praise",
    "listen",
    "offer_help",
    "ask_more",
    "steps_intro",
    "foreign_source",
    "link_line",
    "dm_invite",
    "next_reply_here",
    "dont_know",
    "escalate_handover",
    "escalate_team",
    "legal_ack",
    "safety_ack",
    "safety_advice",
    "privacy_ack",
    "care_ack",
    "thanks_reply",
    "thanks_reply_name",
    "praise_close",
    "closing",
    "team_name",
    "team_name_generic",
    "call_next",
    "call_next_escalate",
)
"""The variant slots every tone of every bank defines (each a list of at least three phrasings)."""
_TONE_TABLES = ("topics", "details", "faults")
_TOP_TABLES = ("style", "labels", "channels", "cues")


def placeholders(template: str) -> set[str]:
    """The ``{names}`` a phrase uses."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def shipped_dir() -> Path:
    """The folder of the phrase banks shipped with the library (ignores any override)."""
    here = Path(__file__).resolve().parents[2]  # the replyassist package folder
    packaged = here / "prompts" / "offline"
    return packaged if packaged.is_dir() else here.parents[1] / "prompts" / "offline"


def _stable_index(seed: str, slot: str, n: int) -> int:
    digest = hashlib.sha256(f"{seed}\x1f{slot}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % n


@dataclass(frozen=True)
class Phrasebook:
    """The words of one language, with deterministic choice among variants."""

    language: str
    data: Mapping[str, Any]

    @property
    def name(self) -> str:
        """The language's own name ("Deutsch")."""
        return str(self.data.get("name", self.language))

    def variants(self, tone: str, slot: str) -> tuple[str, ...]:
        """All phrasings of a slot in a tone."""
        return tuple(self.data[tone][slot])

    def render(self, tone: str, slot: str, seed: str, **values: str) -> str:
        """One phrasing of ``slot``, chosen by a stable hash of ``seed`` and the slot, filled in."""
        options = self.variants(tone, slot)
        return options[_stable_index(seed, slot, len(options))].format(**values).strip()

    def entry(self, tone: str, table: str, key: str) -> str | None:
        """A keyed phrase of a tone (``topics``, ``details``, ``faults``), or ``None``."""
        value = self.data[tone][table].get(key)
        return str(value) if value else None

    def style(self, key: str) -> str:
        """A punctuation setting: ``joiner``, ``colon``, ``paren_open``, ``paren_close``, ``sign_dash``."""
        return str(self.data["style"][key])

    def label(self, key: str) -> str:
        """A heading of the phone call note (``note_call``, ``note_answer``…)."""
        return str(self.data["labels"][key])

    def channel(self, key: str) -> str:
        """How to name a private channel (a ``Channel`` value) in an invitation; ``default`` if unknown."""
        channels = self.data["channels"]
        return str(channels.get(key) or channels["default"])

    def cues(self, key: str) -> tuple[str, ...]:
        """Lower-case phrases that reveal something in a text of this language."""
        return tuple(str(c).lower() for c in self.data["cues"].get(key, ()))


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"phrase bank {path} is not valid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigurationError(f"cannot read phrase bank {path}: {exc}") from exc
    version = data.get("version")
    if version != BANK_VERSION:
        raise ConfigurationError(
            f"phrase bank {path} has version {version!r}; this replyassist reads version {BANK_VERSION}"
        )
    return data


@cache
def _schema(path: Path) -> dict[str, Any]:
    """The shipped English bank, which defines the keys and placeholders (read once)."""
    return _read(path)


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _validate(data: Mapping[str, Any], schema: Mapping[str, Any], origin: str) -> None:
    """Check a (merged) bank against the English one: same keys, no unknown placeholders."""
    problems: list[str] = []
    for table in _TOP_TABLES:
        missing = set(schema[table]) - set(data.get(table, {}))
        if missing:
            problems.append(f"[{table}] lacks {sorted(missing)}")
    for tone in TONES:
        section = data.get(tone, {})
        for slot in SLOTS:
            variants = section.get(slot)
            if (
                not isinstance(variants, list)
                or not variants
                or not all(isinstance(v, str) for v in variants)
            ):
                problems.append(f"[{tone}] {slot} must be a non-empty list of strings")
                continue
            allowed = set().union(*(placeholders(v) for v in schema[tone][slot]))
            for variant in variants:
                extra = placeholders(variant) - allowed
                if extra:
                    problems.append(f"[{tone}] {slot}: unknown placeholder(s) {sorted(extra)} in {variant!r}")
        for table in _TONE_TABLES:
            missing = set(schema[tone][table]) - set(section.get(table, {}))
            if missing:
                problems.append(f"[{tone}.{table}] lacks {sorted(missing)}")
    if problems:
        raise ConfigurationError(f"phrase bank {origin} is incomplete or wrong: " + "; ".join(problems[:8]))


def load_phrasebook(language: str, directory: Path | None = None) -> Phrasebook | None:
    """Load the bank of ``language``: ``directory``'s file over the shipped one.

    Returns ``None`` when neither folder has a bank for the language.

    Raises:
        ConfigurationError: a bank is not valid TOML, has another version, or misses keys.
    """
    shipped = shipped_dir()
    schema = _schema(shipped / "en.toml")
    layers: list[tuple[Path, dict[str, Any]]] = []
    folders = [shipped, *([directory.resolve()] if directory is not None else [])]
    for folder in dict.fromkeys(folders):
        path = folder / f"{language}.toml"
        if path.is_file():
            layers.append((path, _read(path)))
    if not layers:
        return None
    data: dict[str, Any] = {}
    for _, layer in layers:
        data = _merge(data, layer)
    _validate(data, schema, str(layers[-1][0]))
    return Phrasebook(language, data)


def available_languages(directory: Path | None = None) -> list[str]:
    """Languages with a bank in the shipped folder or in ``directory``."""
    folders = [shipped_dir(), *([directory] if directory is not None else [])]
    return sorted({p.stem for folder in folders if folder.is_dir() for p in folder.glob("*.toml")})
