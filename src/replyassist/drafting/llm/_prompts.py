"""Prompt files: loading, versions, user overrides, and rendering with data kept as data.

Each prompt is a text file in ``prompts/llm/`` that starts with a small header::

    ---
    prompt: draft
    version: 3
    ---
    Write the reply ... {{conversation}} ...

``{{name}}`` marks a value filled in per request. A user's folder (the ``prompts_dir``
argument, else ``$REPLYASSIST_PROMPTS_DIR``) may hold any of the files, either directly or
in an ``llm/`` subfolder; files it lacks come from the shipped set. An override must keep
the values its prompt cannot work without (a draft prompt without ``{{conversation}}``
would answer nobody), otherwise loading fails with a ``ConfigurationError``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from replyassist._errors import ConfigurationError
from replyassist._resources import prompts_dir as _configured_prompts_dir

__all__ = ["PromptSet", "PromptTemplate", "escape_attr", "escape_data", "load_prompts", "shipped_prompts_dir"]

_VARIABLE = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")
_HEADER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*\n", re.S)

# name -> values the prompt must use
REQUIRED: dict[str, frozenset[str]] = {
    "system": frozenset(),
    "draft": frozenset({"conversation", "passages"}),
    "decide": frozenset(),
    "output_json": frozenset(),
    "rephrase": frozenset({"text", "tone_rule"}),
    "summarize": frozenset({"conversation"}),
}


@dataclass(frozen=True)
class PromptTemplate:
    """One prompt file: its name, version, text and the values it takes."""

    name: str
    version: str
    text: str
    path: Path

    @property
    def variables(self) -> frozenset[str]:
        return frozenset(_VARIABLE.findall(self.text))

    def render(self, values: dict[str, str]) -> str:
        """The prompt with its ``{{values}}`` filled in, in one pass (values are never re-read)."""
        missing = self.variables - set(values)
        if missing:
            raise ConfigurationError(
                f"prompt {self.path} uses {sorted(missing)}, which replyassist does not provide; "
                f"it can use: {sorted(values)}"
            )
        return _VARIABLE.sub(lambda m: values[m.group(1)], self.text).strip()


@dataclass(frozen=True)
class PromptSet:
    """The prompts a model composer uses."""

    system: PromptTemplate
    draft: PromptTemplate
    decide: PromptTemplate
    output_json: PromptTemplate
    rephrase: PromptTemplate
    summarize: PromptTemplate

    @property
    def versions(self) -> dict[str, str]:
        """``{"draft": "1", ...}``: which version of each prompt is in use (``custom`` if unversioned)."""
        return {name: getattr(self, name).version for name in REQUIRED}


def shipped_prompts_dir() -> Path:
    """The ``llm`` prompts shipped with replyassist (in the wheel, or the checkout's ``prompts/``)."""
    package = Path(__file__).resolve().parents[2]
    packaged = package / "prompts" / "llm"
    return packaged if packaged.is_dir() else package.parents[1] / "prompts" / "llm"


def load_prompts(prompts_dir: str | Path | None = None) -> PromptSet:
    """Load the prompt set: ``prompts_dir``, then ``$REPLYASSIST_PROMPTS_DIR``, then the shipped files.

    Raises:
        ConfigurationError: a given folder does not exist, or an override is unusable.
    """
    folders: list[Path] = []
    for candidate in (prompts_dir, os.environ.get("REPLYASSIST_PROMPTS_DIR")):
        if candidate:
            folder = Path(candidate).expanduser()
            if not folder.is_dir():
                raise ConfigurationError(f"the prompts folder {folder} does not exist")
            folders.extend([folder / "llm", folder])
    folders.extend([_configured_prompts_dir() / "llm", shipped_prompts_dir()])
    loaded = {name: _load_one(name, folders) for name in REQUIRED}
    return PromptSet(**loaded)


def _load_one(name: str, folders: list[Path]) -> PromptTemplate:
    for folder in folders:
        for path in (folder / f"{name}.txt", folder / f"{name}.md"):
            if path.is_file():
                return _parse(name, path)
    raise ConfigurationError(f"no prompt file {name}.txt in {[str(f) for f in folders]}")


def _parse(name: str, path: Path) -> PromptTemplate:
    try:
        raw = path.read_text(encoding="utf-8").replace("\r\n", "\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"cannot read prompt file {path}: {exc}") from exc
    version = "custom"
    match = _HEADER.match(raw)
    if match:
        for line in match.group(1).splitlines():
            key, _, value = line.partition(":")
            if key.strip().lower() == "version" and value.strip():
                version = value.strip()
        raw = raw[match.end() :]
    template = PromptTemplate(name=name, version=version, text=raw.strip() + "\n", path=path)
    missing = REQUIRED[name] - template.variables
    if missing:
        raise ConfigurationError(
            f"prompt {path} must use {sorted('{{' + m + '}}' for m in missing)}: without it the model "
            "would not see what it needs"
        )
    return template


# Anything that could open or close a tag inside data ("</message>", "<system>") loses its
# "<": data can then never end its own block or open an instruction block of its own.
_TAG_START = re.compile(r"<(?=\s*/?\s*[A-Za-z_!?])")


def escape_data(text: str) -> str:
    """Make ``text`` safe to put between data tags: no tag can start inside it."""
    return _TAG_START.sub("‹", text)


def escape_attr(text: str) -> str:
    """A value safe inside a double-quoted tag attribute, on one line."""
    return escape_data(" ".join(text.split())).replace('"', "'").replace(">", "›")
