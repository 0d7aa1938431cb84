"""One event loop, in a background thread, for every model call of the process.

Async HTTP clients (the OpenAI SDK's, which LangChain caches and shares between models) keep
pooled connections bound to the event loop that opened them. ``draft()`` runs each draft in a
fresh loop, and applications mix loops across threads, so the second call would find its
connections tied to a closed loop. Running every model call on this one loop avoids that;
callers on any loop, or none, await the result through a thread-safe future. The caller's
context variables (tracing, for instance) travel with each call.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import threading
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any, TypeVar

__all__ = ["aiterate", "arun", "run"]

T = TypeVar("T")
_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_END = object()


def _background_loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            ready = threading.Event()

            def serve() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                loop.run_forever()

            threading.Thread(target=serve, name="replyassist-model-loop", daemon=True).start()
            ready.wait()
            _loop = loop
        return _loop


def _submit(coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
    loop = _background_loop()
    ctx = contextvars.copy_context()
    future: concurrent.futures.Future[T] = concurrent.futures.Future()

    def start() -> None:
        if not future.set_running_or_notify_cancel():
            coro.close()
            return
        task = ctx.run(loop.create_task, coro)

        def done(t: asyncio.Task[T]) -> None:
            if t.cancelled():
                future.cancel()
            elif (exc := t.exception()) is not None:
                future.set_exception(exc)
            else:
                future.set_result(t.result())

        task.add_done_callback(done)
        future.add_done_callback(lambda f: loop.call_soon_threadsafe(task.cancel) if f.cancelled() else None)

    loop.call_soon_threadsafe(start)
    return future


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` on the background loop and wait for it (from sync code, never from that loop)."""
    if _loop is not None and threading.current_thread().name == "replyassist-model-loop":
        coro.close()
        raise RuntimeError("a blocking model call from the model loop itself would wait forever: await it")
    return _submit(coro).result()


def close_on_loop(coro: Coroutine[Any, Any, Any], *, timeout: float) -> None:
    """Run a clean-up coroutine on the model loop if it is running (at exit), else drop it."""
    loop = _loop
    if loop is None or loop.is_closed() or not loop.is_running():
        coro.close()
        return
    _submit(coro).result(timeout=timeout)


async def arun(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Await ``make()`` run on the background loop; cancelling the caller cancels it there too."""
    if asyncio.get_running_loop() is _loop:
        return await make()
    return await asyncio.wrap_future(_submit(make()))


async def aiterate(make: Callable[[], AsyncIterator[T]]) -> AsyncIterator[T]:
    """Iterate ``make()`` on the background loop, receiving its items on the caller's loop."""
    if asyncio.get_running_loop() is _loop:
        async for item in make():
            yield item
        return
    caller = asyncio.get_running_loop()
    items: asyncio.Queue[tuple[Any, BaseException | None]] = asyncio.Queue()

    def put(item: Any, error: BaseException | None = None) -> None:
        caller.call_soon_threadsafe(items.put_nowait, (item, error))

    async def pump() -> None:
        try:
            async for item in make():
                put(item)
        except BaseException as exc:
            put(_END, exc)
            raise
        put(_END)

    future = _submit(pump())
    try:
        while True:
            item, error = await items.get()
            if item is _END:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        if not future.done():
            future.cancel()
