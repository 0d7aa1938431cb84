"""Mask private data before text reaches a model, and put back only what a draft may show.

``mask`` replaces each private value with a placeholder such as ``[EMAIL_1]``. The
placeholders come from a :class:`MaskVault`, one per ticket, so the same value gets the
same placeholder in the customer's messages, the agent notes and the KB passages alike.
``MaskVault.unmask`` restores values only for the kinds a caller allows, and a card number
never comes back whole: at most its last four digits (``•••• 4242``).

Neither :class:`MaskResult` nor :class:`MaskVault` shows a value in its ``repr`` or ``str``.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import lru_cache

from .._errors import ConfigurationError
from ._patterns import DETECTORS

__all__ = ["KINDS", "MaskResult", "MaskVault", "MaskedSpan", "mask", "mask_passage"]

#: Every kind of private data ``mask`` knows, in the order detectors run (earlier wins on overlap).
KINDS: tuple[str, ...] = tuple(kind for kind, _ in DETECTORS)

_LABELS = {
    "email": "EMAIL",
    "iban": "IBAN",
    "card": "CARD",
    "gov_id": "ID",
    "bank_account": "ACCOUNT",
    "password": "PASSWORD",
    "otp": "CODE",
    "phone": "PHONE",
    "address": "ADDRESS",
}
_KIND_OF_LABEL = {label: kind for kind, label in _LABELS.items()}
_PLACEHOLDER = re.compile(r"\[(" + "|".join(_LABELS.values()) + r")_(\d+)\]")


def _key(kind: str, value: str) -> str:
    # Formatting must not split one value into two placeholders (4242 4242… vs 4242-4242…).
    if kind in ("card", "iban", "phone", "bank_account", "gov_id"):
        compact = "".join(c for c in value.upper() if c.isalnum())
        # "+1 503-555-0178" and "503-555-0178" are one phone: compare the national part.
        return compact[-9:] if kind == "phone" else compact
    return value.lower() if kind == "email" else value


@dataclass(frozen=True)
class MaskedSpan:
    """Where one value was masked in the original text (positions only, never the value).

    Attributes:
        kind: The kind of private data, one of :data:`KINDS`.
        start: Offset of the value's first character in the original text.
        end: Offset just past the value in the original text.
        placeholder: The placeholder that replaced it, e.g. ``[PHONE_1]``.
    """

    kind: str
    start: int
    end: int
    placeholder: str


@dataclass(frozen=True)
class MaskResult:
    """The outcome of :func:`mask`.

    Attributes:
        text: The text with every detected value replaced by its placeholder.
        counts: How many values of each kind were masked (kinds and counts, never values).
        found: The masked spans, in text order.
        vault: The vault holding the values, for :meth:`MaskVault.unmask`.
    """

    text: str
    counts: dict[str, int]
    found: tuple[MaskedSpan, ...]
    vault: MaskVault = field(repr=False, compare=False)

    @property
    def masked(self) -> bool:
        """Whether anything was masked."""
        return bool(self.found)


class MaskVault:
    """Stable placeholders for the private values of one ticket.

    The same value always maps to the same placeholder (``[EMAIL_1]``, ``[CARD_1]``,
    ``[PHONE_2]``...), whichever text it was found in. Values stay inside the vault:
    its ``repr`` shows only how many placeholders of each kind it holds.
    """

    __slots__ = ("__by_key", "__by_placeholder", "__counts")

    def __init__(self) -> None:
        self.__by_key: dict[tuple[str, str], str] = {}
        self.__by_placeholder: dict[str, tuple[str, str]] = {}
        self.__counts: dict[str, int] = {}

    def placeholder(self, kind: str, value: str) -> str:
        """Return the placeholder for ``value``, issuing a new one the first time it is seen.

        Args:
            kind: One of :data:`KINDS`.
            value: The private value as it appears in the text.

        Raises:
            ConfigurationError: If ``kind`` is not a known kind.
        """
        if kind not in _LABELS:
            raise ConfigurationError(
                f"unknown kind of private data {kind!r}; known kinds: {', '.join(KINDS)}"
            )
        key = (kind, _key(kind, value))
        found = self.__by_key.get(key)
        if found is not None:
            return found
        n = self.__counts.get(kind, 0) + 1
        self.__counts[kind] = n
        ph = f"[{_LABELS[kind]}_{n}]"
        self.__by_key[key] = ph
        self.__by_placeholder[ph] = (kind, value)
        return ph

    def counts(self) -> dict[str, int]:
        """How many distinct values of each kind the vault holds."""
        return dict(self.__counts)

    def __len__(self) -> int:
        return len(self.__by_placeholder)

    def unmask(self, text: str, *, allow: Collection[str] = ()) -> str:
        """Put values back in place of this vault's placeholders, for the allowed kinds only.

        A card number is never restored whole: when ``"card"`` is allowed it comes back as
        ``•••• 4242`` (its last four digits). Placeholders of kinds not allowed, and
        placeholders this vault did not issue, are left as they are.

        Args:
            text: Text containing placeholders, typically a model's draft.
            allow: Kinds whose values may be restored, e.g. ``{"email"}``. Nothing by default.

        Raises:
            ConfigurationError: If ``allow`` names an unknown kind or ``text`` is not a string.
        """
        if not isinstance(text, str):
            raise ConfigurationError(f"unmask() needs a str, not {type(text).__name__}")
        allowed = _check_kinds(allow)

        def restore(m: re.Match[str]) -> str:
            entry = self.__by_placeholder.get(m.group())
            if entry is None or entry[0] not in allowed:
                return m.group()
            kind, value = entry
            if kind == "card":
                return "•••• " + "".join(c for c in value if c.isdigit())[-4:]
            return value

        return _PLACEHOLDER.sub(restore, text)

    def __repr__(self) -> str:
        return f"MaskVault(counts={self.__counts!r})"

    __str__ = __repr__

    def __reduce__(self) -> str | tuple[object, ...]:
        # Pickling would carry the values out of the process; refuse rather than leak.
        raise TypeError("a MaskVault holds private data and cannot be pickled")


def _check_kinds(kinds: Collection[str]) -> frozenset[str]:
    if isinstance(kinds, str):
        raise ConfigurationError(f"kinds must be a collection of kind names, not the string {kinds!r}")
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise ConfigurationError(
            f"unknown kind(s) of private data: {', '.join(sorted(unknown))}; known kinds: {', '.join(KINDS)}"
        )
    return frozenset(kinds)


def mask(text: str, *, kinds: Collection[str] | None = None, vault: MaskVault | None = None) -> MaskResult:
    """Replace private data in ``text`` with stable placeholders.

    Args:
        text: Any text: a customer message, an agent note or a KB passage.
        kinds: The kinds to mask (see :data:`KINDS`); all of them when ``None``.
        vault: The ticket's vault, so that placeholders stay stable across texts; a new
            vault when ``None`` (reachable as ``result.vault``).

    Returns:
        The masked text, the counts per kind and the masked spans.

    Raises:
        ConfigurationError: If ``text`` is not a string or ``kinds`` names an unknown kind.

    Example:
        >>> r = mask("Call me on +44 20 7946 0321 or mail jo@example.com")
        >>> r.text
        'Call me on [PHONE_1] or mail [EMAIL_1]'
    """
    if not isinstance(text, str):
        raise ConfigurationError(f"mask() needs a str, not {type(text).__name__}")
    wanted = _ALL_KINDS if kinds is None else _check_kinds(kinds)
    return _apply(text, _find(text, wanted), vault)


def mask_passage(
    text: str, *, kinds: Collection[str] | None = None, vault: MaskVault | None = None
) -> MaskResult:
    """:func:`mask` for a KB passage: the same result, its detection remembered per text.

    Passages come back draft after draft, and scanning a long one costs milliseconds. Only
    the spans (positions and kinds) are remembered, never placeholders, so each ticket's
    vault still numbers its own. Not for customer text: that is new every time, and
    remembering it would keep private data in memory for no gain.
    """
    if not isinstance(text, str):
        raise ConfigurationError(f"mask_passage() needs a str, not {type(text).__name__}")
    wanted = _ALL_KINDS if kinds is None else _check_kinds(kinds)
    return _apply(text, _find_remembered(text, wanted), vault)


_ALL_KINDS = frozenset(KINDS)
_NEEDS_DIGIT = _ALL_KINDS - {"email", "password"}
"""Kinds whose every pattern has a digit in it: a text without one cannot hold them."""
_DIGIT = re.compile(r"\d")


def _find(text: str, wanted: frozenset[str]) -> tuple[tuple[int, int, str], ...]:
    """The spans to mask, in order: ``(start, end, kind)``, earlier detectors winning overlaps."""
    has_digit = _DIGIT.search(text) is not None
    taken: list[tuple[int, int, str]] = []
    for kind, detect in DETECTORS:
        if (
            kind not in wanted
            or (not has_digit and kind in _NEEDS_DIGIT)
            or (kind == "email" and "@" not in text)
        ):
            continue
        for start, end in detect(text):
            if start < end and all(end <= s or start >= e for s, e, _ in taken):
                taken.append((start, end, kind))
    taken.sort()
    return tuple(taken)


_find_remembered = lru_cache(maxsize=8192)(_find)


def _apply(text: str, taken: tuple[tuple[int, int, str], ...], vault: MaskVault | None) -> MaskResult:
    vault = MaskVault() if vault is None else vault
    parts: list[str] = []
    found: list[MaskedSpan] = []
    counts: dict[str, int] = {}
    pos = 0
    for start, end, kind in taken:
        ph = vault.placeholder(kind, text[start:end])
        parts.append(text[pos:start])
        parts.append(ph)
        pos = end
        found.append(MaskedSpan(kind, start, end, ph))
        counts[kind] = counts.get(kind, 0) + 1
    parts.append(text[pos:])
    return MaskResult(text="".join(parts), counts=counts, found=tuple(found), vault=vault)
