"""The network guard every test tree installs (``replyassist.testing.loopback_only``)."""

from __future__ import annotations

import socket

import pytest


def test_connections_beyond_loopback_are_refused() -> None:
    with socket.socket() as sock, pytest.raises(RuntimeError, match="must not reach the network"):
        sock.connect(("192.0.2.1", 80))  # TEST-NET-1: never routed; the guard refuses before trying


def test_loopback_stays_reachable() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.socket() as client:
            client.connect(server.getsockname())
