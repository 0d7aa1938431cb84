"""Saving a knowledge base to a folder and loading it back."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from replyassist._errors import KnowledgeBaseError
from replyassist.knowledge import KnowledgeBase
from replyassist.models import Article, SearchHit

QUERIES = ["card refund business days", "password link email", "reembolso tarjeta", "delivery", "gift cards"]


def summary(hits: list[SearchHit]) -> list[tuple[str, float, float, str]]:
    return [(h.passage.id, round(h.score, 4), round(h.coverage, 4), h.passage.text) for h in hits]


@pytest.fixture
def saved(help_kb: KnowledgeBase, tmp_path: Path) -> Path:
    help_kb.add(
        [
            Article(
                id="html",
                title="HTML one",
                body="<p>Returns are <b>free</b> for members.</p>",
                labels=["members"],
                locale="en",
            )
        ]
    )
    path = tmp_path / "kb"
    help_kb.save(path)
    return path


def test_round_trip_keeps_articles_passages_and_results(help_kb: KnowledgeBase, saved: Path) -> None:
    loaded = KnowledgeBase.load(saved)
    assert len(loaded) == len(help_kb)
    assert loaded.articles == help_kb.articles  # HTML bodies come back as given
    assert loaded.passages == help_kb.passages
    assert loaded.chunk_chars == help_kb.chunk_chars
    for query in QUERIES:
        for options in ({}, {"locale": "es"}, {"labels": ["billing"]}, {"language": "en", "k": 2}):
            assert summary(loaded.search(query, **options)) == summary(help_kb.search(query, **options))


def test_loaded_kb_can_change_and_be_saved_again(saved: Path, tmp_path: Path) -> None:
    loaded = KnowledgeBase.load(saved)
    loaded.add([Article(id="new", title="Loyalty points", body="Points expire after a year.")])
    loaded.remove(["shipping"])
    assert [h.passage.article_id for h in loaded.search("loyalty points")] == ["new"]
    assert loaded.search("express delivery noon") == []
    loaded.save(saved)  # over the folder it came from
    again = KnowledgeBase.load(saved)
    assert again.passages == loaded.passages
    assert again.get_article("html") == loaded.get_article("html")


def test_is_saved(saved: Path, tmp_path: Path) -> None:
    assert KnowledgeBase.is_saved(saved)
    assert not KnowledgeBase.is_saved(tmp_path / "missing")
    assert not KnowledgeBase.is_saved(tmp_path)


def test_default_language_survives(tmp_path: Path) -> None:
    kb = KnowledgeBase(
        [Article(id="c", title="Cancellations", body="Cancelling is free.")],
        default_language="en",
        chunk_chars=300,
    )
    kb.save(tmp_path / "kb")
    loaded = KnowledgeBase.load(tmp_path / "kb")
    assert (loaded.default_language, loaded.chunk_chars) == ("en", 300)
    loaded.add([Article(id="d", title="Deliveries", body="Delivering takes days.")])
    assert loaded.search("delivered", language="en")[0].passage.article_id == "d"


def test_empty_kb_round_trip(tmp_path: Path) -> None:
    KnowledgeBase().save(tmp_path / "empty")
    loaded = KnowledgeBase.load(tmp_path / "empty")
    assert len(loaded) == 0 and loaded.search("anything") == []


def test_refuses_to_overwrite_something_else(help_kb: KnowledgeBase, tmp_path: Path) -> None:
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "cat.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(KnowledgeBaseError, match="not overwriting"):
        help_kb.save(tmp_path / "photos")
    assert (tmp_path / "photos" / "cat.jpg").exists()


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeBaseError, match="does not exist"):
        KnowledgeBase.load(tmp_path / "nothing")
    with pytest.raises(KnowledgeBaseError, match="no manifest"):
        KnowledgeBase.load(tmp_path)


def _rewrite_npz(path: Path, **changes: np.ndarray) -> None:
    with np.load(path) as npz:
        arrays = {name: npz[name] for name in npz.files}
    arrays.update(changes)
    np.savez(path, **arrays)  # type: ignore[arg-type]


def corrupt_version(folder: Path) -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["version"] = 99
    (folder / "manifest.json").write_text(json.dumps(manifest))


def corrupt_manifest(folder: Path) -> None:
    (folder / "manifest.json").write_text("{ not json")


def foreign_manifest(folder: Path) -> None:
    (folder / "manifest.json").write_text(json.dumps({"format": "something-else", "version": 1}))


def truncate_arrays(folder: Path) -> None:
    data = (folder / "arrays.npz").read_bytes()
    (folder / "arrays.npz").write_bytes(data[: len(data) // 2])


def delete_terms(folder: Path) -> None:
    (folder / "terms.json").unlink()


def drop_a_term(folder: Path) -> None:
    terms = json.loads((folder / "terms.json").read_text())
    (folder / "terms.json").write_text(json.dumps(terms[:-1]))


def garble_texts(folder: Path) -> None:
    data = bytearray((folder / "texts.bin").read_bytes())
    data[len(data) // 2] = 0xFF
    (folder / "texts.bin").write_bytes(bytes(data))


def shorten_texts(folder: Path) -> None:
    data = (folder / "texts.bin").read_bytes()
    (folder / "texts.bin").write_bytes(data[:-10])


def postings_out_of_range(folder: Path) -> None:
    with np.load(folder / "arrays.npz") as npz:
        docs = npz["docs"].copy()
    docs[0] = 10_000
    _rewrite_npz(folder / "arrays.npz", docs=docs)


def span_past_text(folder: Path) -> None:
    with np.load(folder / "arrays.npz") as npz:
        ends = npz["p_end"].copy()
    ends[-1] += 5000
    _rewrite_npz(folder / "arrays.npz", p_end=ends)


def articles_not_records(folder: Path) -> None:
    (folder / "articles.json").write_text(json.dumps({"id": "x"}))


@pytest.mark.parametrize(
    "damage",
    [
        corrupt_version,
        corrupt_manifest,
        foreign_manifest,
        truncate_arrays,
        delete_terms,
        drop_a_term,
        garble_texts,
        shorten_texts,
        postings_out_of_range,
        span_past_text,
        articles_not_records,
    ],
)
def test_damaged_folder_is_a_knowledge_base_error(saved: Path, damage: object) -> None:
    assert callable(damage)
    damage(saved)
    with pytest.raises(KnowledgeBaseError) as info:
        KnowledgeBase.load(saved)
    assert str(saved) in str(info.value)


def test_version_error_says_what_to_do(saved: Path) -> None:
    corrupt_version(saved)
    with pytest.raises(KnowledgeBaseError, match=r"version 99.*rebuild"):
        KnowledgeBase.load(saved)
