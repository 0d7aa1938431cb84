"""The offline composer: drafts without a language model, from phrase banks and KB passages.

``OfflineComposer`` implements the ``Composer`` protocol. Its words live in
``prompts/offline/<language>.toml`` (see ``prompts/README.md``); users override them with
``REPLYASSIST_PROMPTS_DIR`` or ``OfflineComposer(phrasebook_dir=...)``.
"""

from __future__ import annotations

from replyassist.drafting.offline.composer import OfflineComposer
from replyassist.drafting.offline.phrasebook import SLOTS, Phrasebook, load_phrasebook

__all__ = ["SLOTS", "OfflineComposer", "Phrasebook", "load_phrasebook"]
