"""Save a knowledge base to a folder and load it back without re-indexing.

Layout (format version 1)::

    manifest.json   format name and version, settings, counts
    articles.json   the articles' fields, without their bodies
    texts.bin       the indexed text of every article, UTF-8, one after the other
    bodies.json     the original body of articles whose body was HTML (slot → body)
    terms.json      the index vocabulary (term id → term)
    arrays.npz      text offsets, passage spans and languages, and the postings (CSR by term)

Loading is what a cold start waits for, so it parses no article: texts stay as one bytes
object, and an ``Article`` is built the first time it is asked for. What can be checked
cheaply is checked at once (counts, offsets, spans, that the text decodes), so a truncated
or edited folder is reported as such instead of failing later inside a search.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, overload

import numpy as np
from pydantic import ValidationError

from replyassist._errors import KnowledgeBaseError
from replyassist.knowledge._index import Postings
from replyassist.knowledge._store import Store
from replyassist.models import Article

__all__ = ["FORMAT", "VERSION", "is_saved", "load_store", "save_store"]

FORMAT = "replyassist-knowledge-base"
VERSION = 1
_PASSAGE_ARRAYS = ("p_slot", "p_start", "p_end", "p_ordinal", "p_lang", "doc_len")
_ARRAYS = (*_PASSAGE_ARRAYS, "indptr", "docs", "tfs", "text_bytes", "text_chars")


class _SavedTexts(Sequence[str]):
    """The texts of a saved store: one UTF-8 blob, decoded an article at a time."""

    def __init__(self, blob: bytes, offsets: list[int]) -> None:
        self._blob = blob
        self._offsets = offsets

    def __len__(self) -> int:
        return len(self._offsets) - 1

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        return self._blob[self._offsets[index] : self._offsets[index + 1]].decode("utf-8")


class _SavedArticles(Mapping[str, Article]):
    """Articles of a saved store, each validated the first time it is used."""

    def __init__(self, records: list[dict[str, Any]], texts: Sequence[str], bodies: dict[str, str]) -> None:
        self._records = records
        self._slot = {record["id"]: i for i, record in enumerate(records)}
        self._texts = texts
        self._bodies = bodies
        self._built: dict[int, Article] = {}

    def __getitem__(self, article_id: str) -> Article:
        slot = self._slot[article_id]
        article = self._built.get(slot)
        if article is None:
            body = self._bodies.get(str(slot))
            try:
                article = Article.model_validate({**self._records[slot], "body": body or self._texts[slot]})
            except ValidationError as exc:
                raise KnowledgeBaseError(
                    f"corrupt article record {article_id!r} in a saved knowledge base: "
                    f"{exc.errors()[0]['msg']}"
                ) from exc
            self._built[slot] = article
        return article

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._slot

    def __iter__(self) -> Iterator[str]:
        return iter(self._slot)

    def __len__(self) -> int:
        return len(self._slot)


def is_saved(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` holds a manifest of this format (any version)."""
    try:
        manifest = json.loads((Path(path) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and manifest.get("format") == FORMAT


def save_store(
    store: Store, path: str | os.PathLike[str], *, chunk_chars: int, default_language: str | None
) -> None:
    """Write ``store`` to the folder ``path``, replacing a knowledge base saved there before."""
    target = Path(path)
    if target.exists() and (
        not target.is_dir() or (any(target.iterdir()) and not (target / "manifest.json").is_file())
    ):
        raise KnowledgeBaseError(f"{target} exists and is not a saved knowledge base; not overwriting it")
    postings = store.postings.compacted()
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "chunk_chars": chunk_chars,
        "default_language": default_language,
        "k1": postings.k1,
        "b": postings.b,
        "articles": len(store.slots),
        "passages": len(store),
        "terms": len(postings.terms),
        "langs": store.langs,
        "analysis": store.analysis,
    }
    records: list[dict[str, Any]] = []
    bodies: dict[str, str] = {}
    for slot, aid in enumerate(store.slots):
        article = store.articles[aid]
        records.append(article.model_dump(mode="json", exclude={"body"}))
        if article.body != store.texts[slot]:
            bodies[str(slot)] = article.body
    texts = [store.texts[slot] for slot in range(len(store.slots))]
    encoded = [t.encode("utf-8") for t in texts]
    text_bytes = np.zeros(len(encoded) + 1, np.int64)
    np.cumsum([len(e) for e in encoded], out=text_bytes[1:])
    text_chars = np.asarray([len(t) for t in texts], dtype=np.int64)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        try:
            tmp.chmod(0o755)  # mkdtemp makes it private; a saved KB is read by other processes
            _write_json(tmp / "articles.json", records)
            _write_json(tmp / "bodies.json", bodies)
            _write_json(tmp / "terms.json", postings.terms)
            (tmp / "texts.bin").write_bytes(b"".join(encoded))
            np.savez(
                tmp / "arrays.npz",
                p_slot=store.p_slot,
                p_start=store.p_start,
                p_end=store.p_end,
                p_ordinal=store.p_ordinal,
                p_lang=store.p_lang,
                doc_len=postings.doc_len,
                indptr=postings.indptr,
                docs=postings.docs,
                tfs=postings.tfs,
                text_bytes=text_bytes,
                text_chars=text_chars,
            )
            # The manifest goes last: a folder without one was never completely written.
            (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
            if target.exists():
                old = target.with_name(f".{target.name}.old-{os.getpid()}")
                target.rename(old)
                tmp.rename(target)
                shutil.rmtree(old, ignore_errors=True)
            else:
                tmp.rename(target)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    except OSError as exc:
        raise KnowledgeBaseError(f"cannot save the knowledge base to {target}: {exc}") from exc


def load_store(path: str | os.PathLike[str]) -> tuple[Store, int, str | None]:
    """Read a folder written by :func:`save_store`.

    Returns:
        The store, ``chunk_chars`` and ``default_language`` it was built with.

    Raises:
        KnowledgeBaseError: missing, corrupt, or written in another format version.
    """
    folder = Path(path)
    if not (folder / "manifest.json").is_file():
        what = "does not exist" if not folder.exists() else "has no manifest.json"
        raise KnowledgeBaseError(f"{folder} is not a saved knowledge base: it {what}")
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise KnowledgeBaseError(f"{folder} is not a saved knowledge base (unknown manifest)")
        if manifest.get("version") != VERSION:
            raise KnowledgeBaseError(
                f"{folder} was saved in knowledge-base format version {manifest.get('version')!r}; "
                f"this replyassist reads version {VERSION}: rebuild it from the articles"
            )
        return _read(folder, manifest)
    except KnowledgeBaseError:
        raise
    except (OSError, ValueError, KeyError, TypeError, IndexError, zipfile.BadZipFile) as exc:
        raise KnowledgeBaseError(
            f"{folder} holds a corrupt knowledge base: {type(exc).__name__}: {exc}"
        ) from exc


def _write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _read(folder: Path, manifest: dict[str, Any]) -> tuple[Store, int, str | None]:
    records = json.loads((folder / "articles.json").read_text(encoding="utf-8"))
    bodies = json.loads((folder / "bodies.json").read_text(encoding="utf-8"))
    terms = json.loads((folder / "terms.json").read_text(encoding="utf-8"))
    blob = (folder / "texts.bin").read_bytes()
    with np.load(folder / "arrays.npz", allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in _ARRAYS}
    if not isinstance(records, list) or not all(
        isinstance(r, dict) and isinstance(r.get("id"), str) and isinstance(r.get("title"), str)
        for r in records
    ):
        raise ValueError("articles.json is not a list of article records")
    if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms):
        raise ValueError("terms.json is not a list of strings")
    if not isinstance(bodies, dict):
        raise ValueError("bodies.json is not an object")
    n_articles, n_passages, n_entries = len(records), len(arrays["p_slot"]), len(arrays["docs"])
    indptr, docs, p_slot = arrays["indptr"], arrays["docs"], arrays["p_slot"]
    text_bytes, text_chars = arrays["text_bytes"], arrays["text_chars"]
    checks = {
        "article count": n_articles == manifest["articles"] == len({r["id"] for r in records}),
        "passage count": n_passages == manifest["passages"],
        "passage columns": all(len(arrays[c]) == n_passages for c in _PASSAGE_ARRAYS),
        "term offsets": len(indptr) == len(terms) + 1
        and int(indptr[0]) == 0
        and int(indptr[-1]) == n_entries
        and bool(np.all(np.diff(indptr) >= 0)),
        "postings": len(arrays["tfs"]) == n_entries
        and (n_entries == 0 or 0 <= int(docs.min()) <= int(docs.max()) < n_passages),
        "passage articles": n_passages == 0 or 0 <= int(p_slot.min()) <= int(p_slot.max()) < n_articles,
        "text offsets": len(text_bytes) == n_articles + 1
        and len(text_chars) == n_articles
        and int(text_bytes[0]) == 0
        and int(text_bytes[-1]) == len(blob)
        and bool(np.all(np.diff(text_bytes) >= 0)),
    }
    if all(checks.values()):
        # Decoding all text once costs a few milliseconds and proves every slice decodes.
        checks["texts"] = len(blob.decode("utf-8")) == int(text_chars.sum())
        if n_passages:
            start, end = arrays["p_start"], arrays["p_end"]
            checks["passage spans"] = bool(np.all((start >= 0) & (start < end) & (end <= text_chars[p_slot])))
    broken = [name for name, ok in checks.items() if not ok]
    if broken:
        raise ValueError(f"inconsistent {', '.join(broken)}")
    texts = _SavedTexts(blob, text_bytes.tolist())
    postings = Postings(
        terms,
        indptr.astype(np.int64, copy=False),
        docs.astype(np.int32, copy=False),
        arrays["tfs"].astype(np.uint16, copy=False),
        arrays["doc_len"].astype(np.float32, copy=False),
        float(manifest["k1"]),
        float(manifest["b"]),
    )
    store = Store(
        articles=_SavedArticles(records, texts, {str(k): str(v) for k, v in bodies.items()}),
        slots=[r["id"] for r in records],
        texts=texts,
        slot_locale=[r.get("locale") if isinstance(r.get("locale"), str) else None for r in records],
        slot_labels=[[str(x) for x in r.get("labels") or []] for r in records],
        p_slot=p_slot.astype(np.int32, copy=False),
        p_start=arrays["p_start"].astype(np.int32, copy=False),
        p_end=arrays["p_end"].astype(np.int32, copy=False),
        p_ordinal=arrays["p_ordinal"].astype(np.int32, copy=False),
        p_lang=arrays["p_lang"].astype(np.int16, copy=False),
        langs=[str(x) for x in manifest["langs"]],
        analysis={str(k): int(v) for k, v in manifest["analysis"].items()},
        postings=postings,
    )
    return store, int(manifest["chunk_chars"]), manifest.get("default_language")
