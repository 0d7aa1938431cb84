"""Iterating an async generator from sync code, also when the caller's thread runs an event loop."""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TypeVar

__all__ = ["iterate_in_thread"]

T = TypeVar("T")
_DONE = object()


def iterate_in_thread(make: Callable[[], AsyncIterator[T]]) -> Iterator[T]:
    """Run ``make()`` on an event loop in a worker thread and yield its items here as they come.

    Stopping early (``break``, ``close()``) cancels the async generator in its own loop.
    """
    items: queue.Queue[object] = queue.Queue()
    errors: list[BaseException] = []
    running: list[tuple[asyncio.AbstractEventLoop, asyncio.Task[None]]] = []

    async def pump() -> None:
        agen = make()
        try:
            async for item in agen:
                items.put(item)
        except asyncio.CancelledError:
            pass  # the consumer stopped early
        except BaseException as exc:
            errors.append(exc)
        finally:
            aclose = getattr(agen, "aclose", None)
            if aclose is not None:
                with contextlib.suppress(Exception):
                    await aclose()

    async def main() -> None:
        task = asyncio.current_task()
        assert task is not None
        running.append((asyncio.get_running_loop(), task))
        await pump()

    def run() -> None:
        try:
            asyncio.run(main())
        finally:
            items.put(_DONE)

    worker = threading.Thread(target=run, name="replyassist-stream", daemon=True)
    worker.start()
    finished = False
    try:
        while True:
            item = items.get()
            if item is _DONE:
                finished = True
                break
            yield item  # type: ignore[misc]
        if errors:
            raise errors[0]
    finally:
        if not finished and running:
            loop, task = running[0]
            with contextlib.suppress(RuntimeError):  # the loop may have just finished
                loop.call_soon_threadsafe(task.cancel)
        worker.join()


def pieces_of(text: str) -> list[str]:
    """``text`` in a few pieces (paragraphs, or sentences of a single block) that join back to it."""
    import re

    pieces = [p for p in re.split(r"(?<=\n\n)|(?<=[.!?…] )", text) if p]
    return pieces or [text]
