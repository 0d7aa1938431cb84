"""Real processes for the fault tests: a Redis of our own, Celery workers, a cuttable TCP proxy.

The shared Redis and PostgreSQL are never stopped: a test that restarts Redis starts its own
``redis-server`` on a free port, and a test that cuts PostgreSQL puts :class:`TcpProxy` in front
of the shared one and cuts the proxy.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.05)


class RedisServer:
    """A ``redis-server`` of the test's own on a free port, keeping nothing on disk (as here)."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.folder.mkdir(parents=True, exist_ok=True)
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--appendonly", "no", "--dir", str(self.folder), "--daemonize", "no"]
        command += ["--logfile", str(self.folder / "redis.log")]
        self._process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self._answers, 10, f"redis-server on port {self.port}")
        return self

    def stop(self) -> None:
        """Kill it (SIGKILL): whatever it held in memory is gone."""
        if self._process is not None:
            self._process.kill()
            self._process.wait(10)
            self._process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def queued(self, queue: str) -> int:
        import redis

        client = redis.Redis(port=self.port, socket_timeout=5)
        try:
            return int(client.llen(queue))
        finally:
            client.close()

    def _answers(self) -> bool:
        import redis

        client = redis.Redis(port=self.port, socket_connect_timeout=0.5, socket_timeout=0.5)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()


class Worker:
    """``replyassist worker`` in a subprocess (``python -m replyassist.service.cli_jobs``)."""

    def __init__(self, env: Mapping[str, str], log: Path, *, concurrency: int = 4, name: str = "w1") -> None:
        self.log = log
        self.name = name
        self._args = [
            sys.executable,
            "-m",
            "replyassist.service.cli_jobs",
            "--concurrency",
            str(concurrency),
            "--hostname",
            f"{name}@%h",
        ]
        self._env = dict(env)
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, *, wait: bool = True) -> Worker:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        out = self.log.open("ab")
        self._process = subprocess.Popen(
            self._args, env=self._env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT
        )
        out.close()
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self) -> None:
        wait_until(lambda: self.ready() or not self.alive(), 120, f"worker {self.name} to be ready")
        if not self.alive():
            raise AssertionError(f"worker {self.name} exited:\n{self.output()[-3000:]}")

    def ready(self) -> bool:
        return f"{self.name}@" in self.output() and " ready." in self.output()

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        """SIGKILL: no warm shutdown, no acknowledgement, nothing cleaned up."""
        if self._process is not None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait(10)
            self._process = None


def worker_env(base: Mapping[str, str], **settings: str) -> dict[str, str]:
    """The environment for a worker: this interpreter's paths plus the service's settings."""
    plugin_path = settings.pop("PLUGIN_PATH", "")
    path = os.pathsep.join(p for p in (str(ROOT / "src"), str(HERE), plugin_path) if p)
    keep = {k: v for k, v in base.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV")}
    return {**keep, "PYTHONPATH": path, "PYTHONUNBUFFERED": "1", **settings}


class TcpProxy:
    """A loopback TCP proxy that can be cut (every connection dropped, new ones refused) and restored."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._open = threading.Event()
        self._open.set()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._stopping = False
        threading.Thread(target=self._accept, name="tcp-proxy", daemon=True).start()

    def cut(self) -> None:
        self._open.clear()
        with self._lock:
            for s in self._sockets:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                    s.close()
            self._sockets.clear()

    def restore(self) -> None:
        self._open.set()

    def close(self) -> None:
        self._stopping = True
        self.cut()
        with contextlib.suppress(OSError):
            self._listener.close()

    def _accept(self) -> None:
        while not self._stopping:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if not self._open.is_set():
                client.close()  # the database "is down": connection refused, as good as
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    s.close()
            with self._lock:
                self._sockets.discard(source)
                self._sockets.discard(sink)
