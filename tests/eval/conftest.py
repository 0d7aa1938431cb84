"""Shared set-up of the evaluation tests: the sample KB, loaded once."""

from __future__ import annotations

from pathlib import Path

import pytest

from replyassist.knowledge import KnowledgeBase

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_KB = ROOT / "examples" / "kb"
HANDWRITTEN = ROOT / "examples" / "eval" / "cases.jsonl"
POLICY = {"brand": "Pinecone Outfitters", "agent_name": "Sam Rivera", "brand_handles": ["PineconeHelp"]}


@pytest.fixture(scope="session")
def sample_kb() -> KnowledgeBase:
    return KnowledgeBase.from_directory(SAMPLE_KB)
