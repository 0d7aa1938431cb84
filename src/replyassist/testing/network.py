"""Keep tests off the network: connections to anything but loopback raise."""

from __future__ import annotations

import ipaddress
import socket
from typing import Protocol

__all__ = ["loopback_only"]


class _Patcher(Protocol):
    def setattr(self, target: object, name: str, value: object) -> None: ...


def loopback_only(monkeypatch: _Patcher) -> None:
    """Make every socket refuse to connect beyond loopback for the rest of the test.

    Call it from an autouse fixture with pytest's ``monkeypatch``; the fake servers in
    :mod:`replyassist.testing` (and your own on 127.0.0.1) stay reachable, Unix sockets too.
    """
    real_connect = socket.socket.connect

    def guarded_connect(self: socket.socket, address: object) -> None:
        host = address[0] if isinstance(address, tuple) else None
        if isinstance(host, str):
            try:
                loopback = ipaddress.ip_address(host).is_loopback
            except ValueError:
                loopback = host == "localhost"
            if not loopback:
                raise RuntimeError(f"tests must not reach the network (tried {host})")
        real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
