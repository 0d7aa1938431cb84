"""A fake OpenAI-compatible server on loopback, for tests that must not reach the network.

It speaks enough of the Chat Completions API for the real ``openai`` SDK and
``langchain-openai`` to talk to it through ``base_url``: plain and streamed (SSE) answers,
tool calls, ``response_format`` JSON schema, token usage, and the failures worth testing —
429 with ``Retry-After``, 500, 401, slow answers, a stream cut off half-way.

Example:
    >>> from replyassist.testing import FakeOpenAIServer, FakeReply
    >>> with FakeOpenAIServer([FakeReply.rate_limited(retry_after=1), FakeReply.structured(answer)]) as server:
    ...     composer = LLMComposer(ModelSettings(api_key="test", base_url=server.base_url))  # doctest: +SKIP
    ...     server.requests[0].path  # doctest: +SKIP
    '/v1/chat/completions'
"""

from __future__ import annotations

import contextlib
import email.parser
import email.utils
import http.client
import json
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["FakeOpenAIServer", "FakeReply", "RecordedRequest"]


@dataclass
class FakeReply:
    """One scripted answer of the fake server.

    Attributes:
        content: the assistant's text.
        structured_value: an object to answer with in whatever form the request asked for: a tool
            call when tools were offered, else JSON text (``response_format`` or not).
        tool_arguments: tool-call arguments, as a JSON string or an object.
        status: the HTTP status; anything but 200 answers with an OpenAI-style error body.
        error: the error message for a non-200 answer.
        headers: extra response headers (``Retry-After``…).
        delay: seconds to wait before answering (a slow model).
        usage: ``(prompt_tokens, completion_tokens)``; estimated from the text when ``None``.
        chunk_chars: characters per streamed delta.
        cut_after_chunks: when streaming, drop the connection after this many deltas.
        finish_reason: what the model says it stopped for.
    """

    content: str | None = None
    structured_value: Any = None
    tool_arguments: str | Mapping[str, Any] | None = None
    status: int = 200
    error: str | None = None
    error_code: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    usage: tuple[int, int] | None = None
    chunk_chars: int = 8
    cut_after_chunks: int | None = None
    finish_reason: str | None = None

    @classmethod
    def text(cls, content: str, **kwargs: Any) -> FakeReply:
        """Answer with plain text."""
        return cls(content=content, **kwargs)

    @classmethod
    def json(cls, value: Any, **kwargs: Any) -> FakeReply:
        """Answer with ``value`` as JSON in the text (what a server without structured output does)."""
        return cls(content=json.dumps(value, ensure_ascii=False), **kwargs)

    @classmethod
    def structured(cls, value: Any, **kwargs: Any) -> FakeReply:
        """Answer with ``value`` as a tool call, or as JSON content, as the request asked."""
        return cls(structured_value=value, **kwargs)

    @classmethod
    def tool_call(cls, arguments: str | Mapping[str, Any], **kwargs: Any) -> FakeReply:
        """Answer with a call of the first offered tool, with these arguments."""
        return cls(tool_arguments=arguments, **kwargs)

    @classmethod
    def failure(
        cls, status: int, message: str = "", *, code: str | None = None, retry_after: float | None = None
    ) -> FakeReply:
        """An error answer (any status), optionally with ``Retry-After``."""
        headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
        return cls(status=status, error=message or f"fake error {status}", error_code=code, headers=headers)

    @classmethod
    def rate_limited(cls, retry_after: float | None = 1.0) -> FakeReply:
        """429 Too Many Requests, with ``Retry-After`` seconds."""
        return cls.failure(
            429, "Rate limit reached, please retry", code="rate_limit_exceeded", retry_after=retry_after
        )

    @classmethod
    def server_error(cls, status: int = 500) -> FakeReply:
        """A 5xx error."""
        return cls.failure(status, "The server had an error while processing your request")

    @classmethod
    def slow(cls, seconds: float, reply: FakeReply | None = None) -> FakeReply:
        """``reply`` (default: a short text) after ``seconds``."""
        base = reply or cls(content="(slow answer)")
        base.delay = seconds
        return base


@dataclass
class RecordedRequest:
    """A request the fake server received: header names in lower case, ``authorization`` redacted."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    received_at: float
    authorized: bool
    status: int = 0

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The chat messages sent (role and content dicts)."""
        value = self.body.get("messages")
        return list(value) if isinstance(value, list) else []

    @property
    def prompt_text(self) -> str:
        """Every message's text, joined: what the model was shown."""
        return "\n".join(_text_of(m.get("content")) for m in self.messages)

    @property
    def stream(self) -> bool:
        """Whether the answer was asked for as a stream (SSE)."""
        return bool(self.body.get("stream"))

    @property
    def wants_tool(self) -> bool:
        """Whether tools were offered (tool calling)."""
        return bool(self.body.get("tools"))

    @property
    def response_format(self) -> str | None:
        """The ``response_format`` type asked for (``json_schema``, ``json_object``), if any."""
        fmt = self.body.get("response_format")
        return str(fmt.get("type")) if isinstance(fmt, dict) else None


ReplyLike = FakeReply | str | Mapping[str, Any]
Handler = Callable[[RecordedRequest], ReplyLike]


class FakeOpenAIServer:
    """An OpenAI-compatible HTTP server on ``127.0.0.1`` with scripted answers.

    Answers come from ``replies`` in order (then ``default``), or from ``handler(request)``.
    A reply may be a ``FakeReply``, a string (plain text) or a dict (answered as structured
    output in whatever form the request asked for).

    Args:
        replies: answers to give, in order.
        handler: computes each answer from the request instead (replies are used first).
        default: the answer once ``replies`` is used up; without one the server answers 400
            ("no scripted reply left") so that a test never passes on an answer it did not script.
        api_key: when set, requests without ``Authorization: Bearer <api_key>`` get 401.
        models: the names ``GET /v1/models`` lists.
        supports_tools: ``False`` answers requests that offer tools with 400, as servers
            without tool calling do.
        supports_json_schema: ``False`` answers ``response_format: json_schema`` with 400.

    Attributes:
        requests: every request received, oldest first.
    """

    def __init__(
        self,
        replies: Iterable[ReplyLike] = (),
        *,
        handler: Handler | None = None,
        default: ReplyLike | None = None,
        api_key: str | None = None,
        models: Iterable[str] = ("gpt-4o-mini",),
        supports_tools: bool = True,
        supports_json_schema: bool = True,
    ) -> None:
        self._replies: deque[ReplyLike] = deque(replies)
        self.handler = handler
        self.default = default
        self._api_key = api_key
        self.models = list(models)
        self.supports_tools = supports_tools
        self.supports_json_schema = supports_json_schema
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        where = self.base_url if self._httpd else "stopped"
        return f"FakeOpenAIServer({where}, {len(self._replies)} scripted replies left)"

    # -- life cycle ----------------------------------------------------------------------------

    def start(self) -> FakeOpenAIServer:
        """Listen on a free port of 127.0.0.1 and serve in a background thread."""
        if self._httpd is not None:
            return self
        server = self

        class Handler(_Handler):
            fake = server

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler, bind_and_activate=False)
        self._httpd.request_queue_size = 256  # bursts of concurrent clients (benchmarks) must not stall
        self._httpd.server_bind()
        self._httpd.server_activate()
        self._httpd.daemon_threads = True
        httpd = self._httpd
        self._thread = threading.Thread(
            target=lambda: httpd.serve_forever(poll_interval=0.05), name="fake-openai", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port the server listens on (it must be running)."""
        if self._httpd is None:
            raise RuntimeError("the fake server is not running: call start() or use it as a context manager")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>/v1``: give it to the SDK as ``base_url``."""
        return f"http://127.0.0.1:{self.port}/v1"

    # -- script ----------------------------------------------------------------------------------

    def add(self, *replies: ReplyLike) -> None:
        """Queue more answers."""
        with self._lock:
            self._replies.extend(replies)

    @property
    def pending(self) -> int:
        """Scripted answers not given yet."""
        with self._lock:
            return len(self._replies)

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        """The chat-completion requests received."""
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _next_reply(self, request: RecordedRequest) -> FakeReply:
        with self._lock:
            scripted = self._replies.popleft() if self._replies else None
        if scripted is None and self.handler is not None:
            scripted = self.handler(request)
        if scripted is None:
            scripted = self.default
        if scripted is None:
            return FakeReply.failure(400, "FakeOpenAIServer: no scripted reply left for this request")
        if isinstance(scripted, FakeReply):
            return scripted
        if isinstance(scripted, str):
            return FakeReply(content=scripted)
        return FakeReply(structured_value=dict(scripted))


# A header block of plain ``Name: value`` lines (printable ASCII, no folding), ended by a blank
# line: what every real client sends, and parsed here without the email package.
_PLAIN_HEADERS = re.compile(r"(?:[!-9;-~]+:[\t -~]*\r\n)*\r\n")
_HTTP_DATE: tuple[int, str] = (0, "")


class _LoopbackHandler(BaseHTTPRequestHandler):
    """``BaseHTTPRequestHandler`` made cheap per request, for fakes serving a benchmark.

    Benchmarks run these fakes on the cores of the service they measure, so every request's CPU
    here is taken from the service. The stdlib parses headers with the ``email`` package and
    sends headers and body as two writes; this handler parses plain header blocks directly
    (into the same ``HTTPMessage``, anything unusual still goes to the stdlib) and answers in
    one write. One write also spares clients Nagle's wait for the ACK of the headers.
    """

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    raw_requestline: bytes  # set by handle_one_request (missing from typeshed)

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet: a line on stderr per request costs more than the answer

    def parse_request(self) -> bool:
        requestline = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        words = requestline.split()
        if len(words) != 3 or words[2] not in ("HTTP/1.1", "HTTP/1.0"):
            return bool(super().parse_request())  # the stdlib's checks and error answers
        command, path, version = words
        self.requestline = requestline
        self.command, self.request_version = command, version
        # As the stdlib does (gh-87389): "//host/x" must not read as another host.
        self.path = "/" + path.lstrip("/") if path.startswith("//") else path
        self.close_connection = not (version == "HTTP/1.1" and self.protocol_version >= "HTTP/1.1")
        try:
            lines = http.client._read_headers(self.rfile)  # type: ignore[attr-defined]
        except http.client.LineTooLong as err:
            self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Line too long", str(err))
            return False
        except http.client.HTTPException as err:
            self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Too many headers", str(err))
            return False
        self.headers = _parse_headers(b"".join(lines).decode("iso-8859-1"))
        conntype = self.headers.get("Connection", "").lower()
        if conntype == "close":
            self.close_connection = True
        elif conntype == "keep-alive" and self.protocol_version >= "HTTP/1.1":
            self.close_connection = False
        expect = self.headers.get("Expect", "")
        if expect.lower() == "100-continue" and version == "HTTP/1.1" and self.protocol_version >= "HTTP/1.1":
            return bool(self.handle_expect_100())
        return True

    def send_body(
        self, status: int, content_type: str, data: bytes, headers: Mapping[str, str] | None = None
    ) -> None:
        """Answer ``status`` with ``data``: the stdlib's status line and headers, in one write."""
        reason = self.responses[status][0] if status in self.responses else ""
        head = [
            f"{self.protocol_version} {status} {reason}\r\n",
            f"Server: {self.version_string()}\r\nDate: {_http_date()}\r\n",
            f"Content-Type: {content_type}\r\nContent-Length: {len(data)}\r\n",
        ]
        for name, value in (headers or {}).items():
            head.append(f"{name}: {value}\r\n")
            if name.lower() == "connection":  # as send_header does
                if value.lower() == "close":
                    self.close_connection = True
                elif value.lower() == "keep-alive":
                    self.close_connection = False
        head.append("\r\n")
        self.wfile.write("".join(head).encode("latin-1", "strict") + data)


def _parse_headers(text: str) -> http.client.HTTPMessage:
    """What ``http.client.parse_headers`` makes of ``text``, without the email parser when plain."""
    if not _PLAIN_HEADERS.fullmatch(text):
        message: http.client.HTTPMessage = email.parser.Parser(_class=http.client.HTTPMessage).parsestr(text)
        return message
    message = http.client.HTTPMessage()
    for line in text[:-2].split("\r\n")[:-1]:
        name, value = line.split(":", 1)
        message.set_raw(name, value.lstrip(" \t"))  # as the compat32 policy stores a header
    message.set_payload("")
    return message


def _http_date() -> str:
    """``BaseHTTPRequestHandler.date_time_string()``, formatted once a second."""
    global _HTTP_DATE
    now = int(time.time())
    if _HTTP_DATE[0] != now:
        _HTTP_DATE = (now, email.utils.formatdate(now, usegmt=True))
    return _HTTP_DATE[1]


class _Handler(_LoopbackHandler):
    fake: FakeOpenAIServer

    # -- routes -----------------------------------------------------------------------------------

    def do_GET(self) -> None:
        request = self._recorded({})
        if not request.authorized:
            return self._finish(request, 401, _error_body(self._bad_key(), "invalid_api_key"))
        if request.path.rstrip("/").endswith("/models"):
            data = [
                {"id": m, "object": "model", "created": 0, "owned_by": "replyassist-fake"}
                for m in self.fake.models
            ]
            return self._finish(request, 200, {"object": "list", "data": data})
        return self._finish(request, 404, _error_body(f"no route {request.path}", "not_found"))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            body = {}
        request = self._recorded(body if isinstance(body, dict) else {})
        if not request.path.rstrip("/").endswith("/chat/completions"):
            return self._finish(request, 404, _error_body(f"no route {request.path}", "not_found"))
        if not request.authorized:
            return self._finish(request, 401, _error_body(self._bad_key(), "invalid_api_key"))
        if request.wants_tool and not self.fake.supports_tools:
            return self._finish(
                request, 400, _error_body("this server does not support tools", "unsupported")
            )
        if request.response_format == "json_schema" and not self.fake.supports_json_schema:
            message = "'response_format' of type 'json_schema' is not supported by this server"
            return self._finish(request, 400, _error_body(message, "unsupported"))
        reply = self.fake._next_reply(request)
        if reply.delay:
            time.sleep(reply.delay)
        if reply.status != 200:
            body_out = _error_body(reply.error or "error", reply.error_code)
            return self._finish(request, reply.status, body_out, reply.headers)
        content, tool_args = _answer(reply, request)
        if request.stream:
            return self._stream(request, reply, content, tool_args)
        return self._finish(request, 200, _completion(request, reply, content, tool_args), reply.headers)

    # -- helpers ----------------------------------------------------------------------------------

    def _recorded(self, body: dict[str, Any]) -> RecordedRequest:
        auth = self.headers.get("Authorization", "")
        expected = self.fake._api_key
        headers = {
            k.lower(): ("Bearer ***" if k.lower() == "authorization" else v) for k, v in self.headers.items()
        }
        request = RecordedRequest(
            method=self.command,
            path=self.path.split("?", 1)[0],
            headers=headers,
            body=body,
            received_at=time.monotonic(),
            authorized=expected is None or auth == f"Bearer {expected}",
        )
        self.fake._record(request)
        return request

    def _bad_key(self) -> str:
        # Echo the key as OpenAI does (masked there, in full here: the harsher test of redaction).
        sent = self.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        return f"Incorrect API key provided: {sent}. You can find your API key in your account settings."

    def _finish(
        self,
        request: RecordedRequest,
        status: int,
        body: dict[str, Any],
        headers: Mapping[str, str] | None = None,
    ) -> None:
        request.status = status
        data = json.dumps(body).encode()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout)
            self.send_body(status, "application/json", data, headers)

    def _stream(
        self, request: RecordedRequest, reply: FakeReply, content: str, tool_args: str | None
    ) -> None:
        request.status = 200
        self.close_connection = True
        base = {"id": f"chatcmpl-{uuid.uuid4().hex[:12]}", "object": "chat.completion.chunk",
                "created": int(time.time()), "model": request.body.get("model", "fake")}  # fmt: skip

        def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
            event = {
                **base,
                "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
            }
            return f"data: {json.dumps(event)}\n\n".encode()

        size = max(1, reply.chunk_chars)
        events = [chunk({"role": "assistant", "content": ""})]
        if tool_args is not None:
            name = _tool_name(request)
            first = {"index": 0, "id": f"call_{uuid.uuid4().hex[:8]}", "type": "function",
                     "function": {"name": name, "arguments": ""}}  # fmt: skip
            events.append(chunk({"tool_calls": [first]}))
            for i in range(0, len(tool_args), size):
                piece = {"index": 0, "function": {"arguments": tool_args[i : i + size]}}
                events.append(chunk({"tool_calls": [piece]}))
        else:
            events.extend(chunk({"content": content[i : i + size]}) for i in range(0, len(content), size))
        finish = reply.finish_reason or ("tool_calls" if tool_args is not None else "stop")
        events.append(chunk({}, finish))
        options = request.body.get("stream_options")
        if isinstance(options, dict) and options.get("include_usage"):
            usage_event = {
                **base,
                "choices": [],
                "usage": _usage(request, reply, content + (tool_args or "")),
            }
            events.append(f"data: {json.dumps(usage_event)}\n\n".encode())
        events.append(b"data: [DONE]\n\n")
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            for n, event in enumerate(events):
                if reply.cut_after_chunks is not None and n > reply.cut_after_chunks:
                    # Drop the connection mid-answer, as a crashed upstream does.
                    self.connection.shutdown(2)
                    return
                self.wfile.write(event)
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass


def _answer(reply: FakeReply, request: RecordedRequest) -> tuple[str, str | None]:
    """The content and tool arguments to send for ``reply`` given what ``request`` asked for."""
    if reply.tool_arguments is not None:
        args = reply.tool_arguments
        return "", args if isinstance(args, str) else json.dumps(args, ensure_ascii=False)
    if reply.structured_value is not None:
        encoded = json.dumps(reply.structured_value, ensure_ascii=False)
        return ("", encoded) if request.wants_tool else (encoded, None)
    return reply.content or "", None


def _tool_name(request: RecordedRequest) -> str:
    choice = request.body.get("tool_choice")
    if isinstance(choice, dict):
        name = choice.get("function", {}).get("name")
        if isinstance(name, str):
            return name
    tools = request.body.get("tools") or []
    if tools and isinstance(tools[0], dict):
        return str(tools[0].get("function", {}).get("name", "tool"))
    return "tool"


def _completion(
    request: RecordedRequest, reply: FakeReply, content: str, tool_args: str | None
) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content if tool_args is None else None,
                               "refusal": None}  # fmt: skip
    if tool_args is not None:
        message["tool_calls"] = [{"id": f"call_{uuid.uuid4().hex[:8]}", "type": "function",
                                  "function": {"name": _tool_name(request), "arguments": tool_args}}]  # fmt: skip
    finish = reply.finish_reason or ("tool_calls" if tool_args is not None else "stop")
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.body.get("model", "fake"),
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": _usage(request, reply, content + (tool_args or "")),
    }


def _usage(request: RecordedRequest, reply: FakeReply, output: str) -> dict[str, int]:
    if reply.usage is not None:
        prompt, completion = reply.usage
    else:
        from replyassist.drafting.llm._tokens import MESSAGE_OVERHEAD

        # estimate_message_tokens, summed from the lines' estimates.
        contents = [_text_of(m.get("content")) for m in request.messages]
        prompt = sum(_text_tokens(c) + MESSAGE_OVERHEAD for c in contents) + 2
        completion = _text_tokens(output)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _text_tokens(text: str) -> int:
    """``estimate_tokens(text)``, counting each distinct line once per process.

    Prompts are mostly lines seen before (instructions, knowledge-base passages), and the
    estimate's regex scan is most of this server's CPU per request. No token spans a line
    break (line breaks are whitespace, which no token contains), so per-line sums are exact.
    """
    return sum(map(_line_tokens, text.split("\n")))


@lru_cache(maxsize=8192)
def _line_tokens(line: str) -> int:
    from replyassist.drafting.llm._tokens import estimate_tokens

    return estimate_tokens(line)


def _error_body(message: str, code: str | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": code}}


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""
