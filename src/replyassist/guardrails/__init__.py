"""Guardrails: checks that keep private data private and drafts trustworthy.

So far: private-data masking (:func:`mask`, :class:`MaskVault`).
"""

from __future__ import annotations

from .masking import KINDS, MaskedSpan, MaskResult, MaskVault, mask

__all__ = ["KINDS", "MaskResult", "MaskVault", "MaskedSpan", "mask"]
