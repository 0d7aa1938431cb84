"""A service process's context: built once, warmed up, and kept out of the collector's way."""

from __future__ import annotations

import gc
from pathlib import Path

from replyassist.service.config import ServiceSettings
from replyassist.service.context import ServiceContext


def test_what_the_context_built_is_left_out_of_garbage_collections(tmp_path: Path) -> None:
    old_threshold = gc.get_threshold()
    try:
        gc.unfreeze()
        gc.set_threshold(700, 10, 10)
        ctx = ServiceContext.from_settings(ServiceSettings(data_dir=tmp_path, helpdesks=[]))
        try:
            index = ctx.assistant.kb  # built before the warm-up ended: frozen with the rest
            tracked = {id(o) for o in gc.get_objects()}
            assert id(index) not in tracked and gc.get_freeze_count() > 0
            later = [ctx]  # what jobs allocate afterwards is collected as usual
            assert id(later) in {id(o) for o in gc.get_objects()}
            assert gc.get_threshold()[0] >= 10_000
        finally:
            ctx.close()
    finally:
        gc.unfreeze()
        gc.set_threshold(*old_threshold)
