"""Server-sent events: the wire format of the streaming draft endpoint.

Each event is ``event: <name>`` then one ``data:`` line of JSON and a blank line. JSON never
contains a raw newline, so one ``data:`` line is always enough.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["SSE_HEADERS", "sse_event"]

# Proxies (nginx) buffer responses unless told not to; a buffered stream is no stream.
SSE_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}


def sse_event(event: str, data: Any) -> bytes:
    """One event; ``data`` is JSON-encoded unless it is already a JSON string."""
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"event: {event}\ndata: {payload}\n\n".encode()
