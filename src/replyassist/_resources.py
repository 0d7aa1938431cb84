"""Where the shipped prompt files are, in a wheel and in a source checkout alike."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

__all__ = ["prompts_dir", "samples_dir"]


@cache
def prompts_dir() -> Path:
    """The folder of prompt files: ``$REPLYASSIST_PROMPTS_DIR``, else the copy in the package.

    In a wheel the ``prompts/`` folder is installed inside the package; in a source checkout
    (an editable install) it is the repository's top-level ``prompts/`` folder.
    """
    override = os.environ.get("REPLYASSIST_PROMPTS_DIR")
    if override:
        return Path(override)
    here = Path(__file__).resolve().parent
    packaged = here / "prompts"
    if packaged.is_dir():
        return packaged
    return here.parents[1] / "prompts"


@cache
def samples_dir() -> Path:
    """The sample KB and tickets: ``examples/`` of a source checkout, else the copy in the wheel."""
    here = Path(__file__).resolve().parent
    checkout = here.parents[1] / "examples"
    if (checkout / "kb").is_dir():
        return checkout
    return here / "samples"
