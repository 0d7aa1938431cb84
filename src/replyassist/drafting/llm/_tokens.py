"""A tokenizer-free estimate of prompt size, the same for every prompt it compares.

Real tokenizers (``tiktoken``) fetch their vocabularies from the network on first use,
which the library must never do. This estimate tracks BPE tokenizers closely enough to
compare two prompts and to report usage when a provider does not: a short Latin word is
about one token, a long one more, digits go about three to a token, each punctuation mark
is one, and CJK characters count one each.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

__all__ = ["estimate_message_tokens", "estimate_tokens"]

_PIECE = re.compile(r"[^\W\d_]+|\d+|[^\w\s]|_", re.UNICODE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
# Chat formats wrap every message in a few tokens of framing (role, separators).
MESSAGE_OVERHEAD = 4


def estimate_tokens(text: str) -> int:
    """Estimated tokens in ``text``."""
    return sum(map(_piece_tokens, _PIECE.findall(text)))


@lru_cache(maxsize=65536)
def _piece_tokens(piece: str) -> int:
    """Tokens of one word, number or mark (words repeat: each is counted once per process)."""
    if piece.isdigit():
        return (len(piece) + 2) // 3
    if piece.isalpha():
        cjk = len(_CJK.findall(piece))
        rest = len(piece) - cjk
        per = 5 if piece.isascii() else 3
        return cjk + ((rest + per - 1) // per if rest else 0)
    return 1


def estimate_message_tokens(contents: Iterable[str]) -> int:
    """Estimated prompt tokens of a chat request made of messages with these contents."""
    return sum(estimate_tokens(c) + MESSAGE_OVERHEAD for c in contents) + 2
