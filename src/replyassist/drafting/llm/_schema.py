"""The typed answer a model gives, and reading it from text when the server has no structured output."""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

__all__ = ["ModelReply", "PartialText", "UnparseableReply", "parse_reply_text", "schema_reply"]


class ModelReply(BaseModel):
    """The reply a model writes, with its own reading of the ticket.

    Field order matters: models write fields in schema order, and ``text`` comes after the
    short decision so that streaming shows the reply as soon as it starts.
    """

    model_config = ConfigDict(extra="forbid", title="ModelReply")

    decision: Literal["reply", "skip", "escalate"] = Field(
        description="reply, skip (no reply is needed) or escalate (a person must handle it)"
    )
    reasons: list[str] = Field(description="one short line per reason for the decision")
    text: str = Field(description="the reply itself, without signature; empty only for skip")
    used_passage_ids: list[str] = Field(description="ids of the passages the reply relies on")
    move_to_private: bool = Field(description="true when the reply invites the customer to a private channel")

    @field_validator("decision", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value


class UnparseableReply(ValueError):
    """The model's answer could not be read as a ``ModelReply``."""


_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.S)
_ALIASES = {"reply": "text", "answer": "text", "message": "text", "citations": "used_passage_ids"}


def parse_reply_text(text: str) -> ModelReply:
    """Read a ``ModelReply`` from a model's text: bare JSON, JSON in a code fence, or JSON among prose.

    Lenient on what small or non-OpenAI models do (missing lists, ``"answer"`` for ``"text"``,
    a decision in capitals), strict on the rest.

    Raises:
        UnparseableReply: no JSON object with a reply text was found.
    """
    data = _json_object(text)
    if data is None:
        raise UnparseableReply("the answer holds no JSON object")
    for alias, name in _ALIASES.items():
        if alias in data and name not in data:
            data[name] = data.pop(alias)
    data.setdefault("reasons", [])
    data.setdefault("used_passage_ids", [])
    data.setdefault("move_to_private", False)
    data.setdefault("decision", "reply")
    if isinstance(data.get("reasons"), str):
        data["reasons"] = [data["reasons"]]
    data = {k: v for k, v in data.items() if k in ModelReply.model_fields}
    try:
        return ModelReply.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:3])
        raise UnparseableReply(f"the JSON answer does not fit the reply schema: {problems}") from exc


def schema_reply(text: str) -> ModelReply | None:
    """The reply from an answer written to the JSON schema, or ``None`` when it does not fit it exactly.

    The fast path for ``json_schema`` output; ``None`` leaves the answer to :func:`parse_reply_text`,
    which reads what a looser server wrote or says why it cannot.
    """
    try:
        return ModelReply.model_validate_json(text)
    except ValidationError:
        return None


def _json_object(text: str) -> dict[str, Any] | None:
    candidates = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    for candidate in candidates:
        start = candidate.find("{")
        end = candidate.rfind("}")
        if start < 0 or end <= start:
            continue
        try:
            value = json.loads(candidate[start : end + 1])
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value
    return None


class PartialText:
    """Follows the ``text`` field of a JSON answer while it streams in.

    ``feed`` takes the next piece of the raw answer and returns the new characters of the
    reply text, decoded (escapes resolved), as soon as they are certain.
    """

    def __init__(self) -> None:
        self._raw: list[str] = []
        self._scan = 0
        self._state = "seek"  # seek -> in_text -> done
        self._depth = 0
        self._in_string = False
        self._escape = False
        self._key: list[str] = []
        self._last_key = ""
        self._expect_value = False
        self._pending = ""
        self.text = ""

    def feed(self, piece: str) -> str:
        """Take more raw answer; return what was added to the reply text."""
        self._raw.append(piece)
        before = len(self.text)
        for ch in piece:
            self._step(ch)
        return self.text[before:]

    def _step(self, ch: str) -> None:
        if self._state == "done":
            return
        if self._state == "in_text":
            self._text_char(ch)
            return
        if self._in_string:
            if self._escape:
                self._escape = False
                self._key.append(ch)
            elif ch == "\\":
                self._escape = True
            elif ch == '"':
                self._in_string = False
                if self._depth == 1 and not self._expect_value:
                    self._last_key = "".join(self._key)
            else:
                self._key.append(ch)
            return
        if ch == '"':
            if self._depth == 1 and self._expect_value and self._last_key == "text":
                self._state = "in_text"
                return
            self._in_string = True
            self._key = []
        elif ch in "{[":
            self._depth += 1
            self._expect_value = False
        elif ch in "}]":
            self._depth -= 1
        elif ch == ":" and self._depth == 1:
            self._expect_value = True
        elif ch == "," and self._depth == 1:
            self._expect_value = False
            self._last_key = ""

    def _text_char(self, ch: str) -> None:
        if self._pending:
            self._pending += ch
            if not self._escape_complete(self._pending):
                return
            try:
                self.text += json.loads(f'"{self._pending}"')
            except json.JSONDecodeError:
                self.text += self._pending
            self._pending = ""
        elif ch == "\\":
            self._pending = ch
        elif ch == '"':
            self._state = "done"
        else:
            self.text += ch

    @staticmethod
    def _escape_complete(pending: str) -> bool:
        if not pending.startswith("\\u"):
            return len(pending) >= 2
        if len(pending) < 6:
            return False
        # A high surrogate waits for its low half (an emoji is written as two escapes).
        code = pending[2:6]
        if _is_hex(code) and 0xD800 <= int(code, 16) <= 0xDBFF:
            return len(pending) >= 12
        return True


def _is_hex(text: str) -> bool:
    return len(text) == 4 and all(c in "0123456789abcdefABCDEF" for c in text)
