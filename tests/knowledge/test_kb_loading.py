"""Loading article folders: every format, and broken files that must not stop the rest."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path

import pytest

from replyassist._errors import ArticleLoadError, KnowledgeBaseError
from replyassist.knowledge import KnowledgeBase


def write(root: Path, relative: str, content: str | bytes) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_markdown_front_matter_sets_every_field(tmp_path: Path) -> None:
    write(
        tmp_path,
        "refunds.md",
        """---
id: refund-policy
title: "When will I get my refund?"
url: https://help.example/refunds
locale: en-GB
labels: [refunds, payments]
updated_at: 2025-03-01T10:00:00Z
---
# When will I get my refund?

Refunds reach your card within ten business days.
""",
    )
    kb = KnowledgeBase.from_directory(tmp_path)
    article = kb.get_article("refund-policy")
    assert article is not None
    assert article.title == "When will I get my refund?"
    assert article.url == "https://help.example/refunds"
    assert article.locale == "en-GB"
    assert article.labels == ["refunds", "payments"]
    assert article.updated_at is not None and article.updated_at.year == 2025
    # The heading that repeats the title is not kept in the body.
    assert article.body == "Refunds reach your card within ten business days."
    assert kb.load_errors == []


def test_markdown_defaults_title_from_heading_or_stem_and_id_from_path(tmp_path: Path) -> None:
    write(tmp_path, "billing/invoices.md", "# Download an invoice\n\nOpen Orders and choose Invoice.\n")
    write(tmp_path, "billing/no-heading.markdown", "---\nlabels: a, b\n---\nJust a paragraph of text.\n")
    kb = KnowledgeBase.from_directory(tmp_path)
    invoices = kb.get_article("billing/invoices")
    plain = kb.get_article("billing/no-heading")
    assert invoices is not None and invoices.title == "Download an invoice"
    assert plain is not None and plain.title == "no-heading"
    assert plain.labels == ["a", "b"]


def test_markdown_yaml_style_label_list(tmp_path: Path) -> None:
    write(tmp_path, "a.md", "---\ntitle: Labels\nlabels:\n  - one\n  - two\n---\nBody text here.\n")
    article = KnowledgeBase.from_directory(tmp_path).get_article("a")
    assert article is not None and article.labels == ["one", "two"]


def test_html_title_locale_url_and_text(tmp_path: Path) -> None:
    write(
        tmp_path,
        "faq/returns.html",
        """<!doctype html>
<html lang="fr-CA"><head><title>Retours &amp; échanges</title>
<link rel="canonical" href="https://help.example/fr/retours">
<script>var tracking = "should not be indexed";</script></head>
<body><h1>Retours &amp; échanges</h1><p>Vous avez <b>30 jours</b> pour retourner un article.</p></body></html>""",
    )
    write(
        tmp_path,
        "faq/h1-only.htm",
        "<html><body><h1>Track a parcel</h1><p>Use the link in your email.</p></body></html>",
    )
    kb = KnowledgeBase.from_directory(tmp_path)
    returns = kb.get_article("faq/returns")
    assert returns is not None
    assert returns.title == "Retours & échanges"
    assert returns.locale == "fr-CA"
    assert returns.url == "https://help.example/fr/retours"
    assert "30 jours" in returns.body and "<b>" not in returns.body and "tracking" not in returns.body
    h1_only = kb.get_article("faq/h1-only")
    assert h1_only is not None and h1_only.title == "Track a parcel"
    assert "Use the link in your email." in h1_only.body


def test_text_file_first_line_is_title(tmp_path: Path) -> None:
    write(
        tmp_path,
        "notes/opening-hours.txt",
        "Opening hours\nWe answer from 9:00 to 17:00, Monday to Friday.\n",
    )
    article = KnowledgeBase.from_directory(tmp_path).get_article("notes/opening-hours")
    assert article is not None
    assert article.title == "Opening hours"
    assert article.body == "We answer from 9:00 to 17:00, Monday to Friday."


def test_json_object_list_and_articles_key(tmp_path: Path) -> None:
    write(tmp_path, "one.json", json.dumps({"id": 17, "title": "Single", "body": "Single article body."}))
    write(
        tmp_path,
        "many.json",
        json.dumps(
            [
                {"id": "m1", "title": "First", "body": "First body.", "labels": ["x"]},
                {"id": "m2", "title": "Second", "body": "Second body.", "locale": "de"},
            ]
        ),
    )
    # Shaped like a Zendesk Guide export: html_url, label_names, an HTML body.
    write(
        tmp_path,
        "export.json",
        json.dumps(
            {
                "articles": [
                    {
                        "id": 360001,
                        "title": "Zendesk style",
                        "body": "<p>Exported <em>HTML</em> body.</p>",
                        "html_url": "https://acme.zendesk.com/hc/articles/360001",
                        "label_names": ["sync"],
                        "locale": "en-us",
                        "updated_at": "2024-05-01T08:00:00Z",
                    },
                ]
            }
        ),
    )
    kb = KnowledgeBase.from_directory(tmp_path)
    assert {a.id for a in kb.articles} == {"17", "m1", "m2", "360001"}
    zendesk = kb.get_article("360001")
    assert zendesk is not None
    assert zendesk.url == "https://acme.zendesk.com/hc/articles/360001"
    assert zendesk.labels == ["sync"]
    assert isinstance(zendesk.updated_at, datetime)
    # The HTML body is kept as given, but passages are plain text.
    passage = next(p for p in kb.passages if p.article_id == "360001")
    assert passage.text == "Exported HTML body."


def test_jsonl_keeps_good_lines_and_reports_bad_ones(tmp_path: Path) -> None:
    write(
        tmp_path,
        "feed.jsonl",
        "\n".join(
            [
                json.dumps({"id": "j1", "title": "Line one", "body": "First line body."}),
                "{not json",
                json.dumps({"id": "j3", "title": "No body"}),
                "",
                json.dumps({"id": "j5", "title": "Line five", "body": "Fifth line body."}),
            ]
        ),
    )
    kb = KnowledgeBase.from_directory(tmp_path)
    assert {a.id for a in kb.articles} == {"j1", "j5"}
    where = sorted(e.path for e in kb.load_errors)
    assert where == [f"{tmp_path / 'feed.jsonl'}:2", f"{tmp_path / 'feed.jsonl'}:3"]
    assert any("body" in e.reason for e in kb.load_errors)


def test_broken_files_are_recorded_and_the_rest_loads(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write(tmp_path, "good.md", "# Good article\n\nThis one loads fine.\n")
    write(tmp_path, "sub/also-good.txt", "Also good\nThis one loads too.\n")
    broken = {
        "bad.json": '{"id": "x", "title": "Broken", ',
        "latin1.md": "# Caf\xe9\n\nCaf\xe9 cr\xe8me".encode("latin-1"),
        "missing-title.json": json.dumps({"id": "y", "body": "No title here."}),
        "empty.md": "   \n",
        "unclosed.md": "---\ntitle: Never closed\n\nBody.\n",
        "bad-date.md": "---\ntitle: Bad date\nupdated_at: yesterday-ish\n---\nBody.\n",
        "list-of-junk.json": json.dumps([1, 2]),
        "only-front-matter.md": "---\ntitle: Nothing below\n---\n",
    }
    for name, content in broken.items():
        write(tmp_path, name, content)
    with caplog.at_level(logging.WARNING, logger="replyassist.knowledge"):
        kb = KnowledgeBase.from_directory(tmp_path)
    assert {a.id for a in kb.articles} == {"good", "sub/also-good"}
    failed = {Path(e.path.split("[")[0]).name for e in kb.load_errors}
    assert failed == set(broken)
    assert all(isinstance(e, ArticleLoadError) and e.reason for e in kb.load_errors)
    reasons = {Path(e.path.split("[")[0]).name: e.reason for e in kb.load_errors}
    assert "JSON" in reasons["bad.json"]
    assert "UTF-8" in reasons["latin1.md"]
    assert "title" in reasons["missing-title.json"]
    assert "empty" in reasons["empty.md"]
    assert "never closed" in reasons["unclosed.md"]
    assert "updated_at" in reasons["bad-date.md"]
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == len(kb.load_errors)


def test_duplicate_ids_keep_the_first_and_report_the_second(tmp_path: Path) -> None:
    write(tmp_path, "a.md", "---\nid: same\n---\n# A\n\nFrom file a.\n")
    write(tmp_path, "b.md", "---\nid: same\n---\n# B\n\nFrom file b.\n")
    kb = KnowledgeBase.from_directory(tmp_path)
    article = kb.get_article("same")
    assert article is not None and article.title == "A"
    assert len(kb.load_errors) == 1 and "duplicate" in kb.load_errors[0].reason


def test_hidden_and_unknown_files_are_ignored(tmp_path: Path) -> None:
    write(tmp_path, "visible.md", "# Visible\n\nShown.\n")
    write(tmp_path, ".hidden.md", "# Hidden\n\nNot loaded.\n")
    write(tmp_path, ".git/objects/x.md", "# In git\n\nNot loaded.\n")
    write(tmp_path, "image.png", b"\x89PNG\r\n")
    kb = KnowledgeBase.from_directory(tmp_path)
    assert [a.id for a in kb.articles] == ["visible"]
    assert kb.load_errors == []


def test_progress_reports_every_file(tmp_path: Path) -> None:
    for i in range(4):
        write(tmp_path, f"a{i}.md", f"# Article {i}\n\nBody {i}.\n")
    write(tmp_path, "broken.json", "[")
    calls: list[tuple[int, int]] = []
    KnowledgeBase.from_directory(tmp_path, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(i, 5) for i in range(1, 6)]


def test_single_file_path(tmp_path: Path) -> None:
    path = write(tmp_path, "one.md", "# One\n\nOnly this.\n")
    kb = KnowledgeBase.from_directory(path)
    assert [a.id for a in kb.articles] == ["one"]


def test_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeBaseError, match="not found"):
        KnowledgeBase.from_directory(tmp_path / "nope")


def test_folder_without_any_loadable_article_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeBaseError, match="no article"):
        KnowledgeBase.from_directory(tmp_path)
    write(tmp_path, "bad.json", "{")
    with pytest.raises(KnowledgeBaseError, match="invalid JSON"):
        KnowledgeBase.from_directory(tmp_path)
