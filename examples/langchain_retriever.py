"""Use the knowledge base as a LangChain retriever, and any LangChain retriever as the knowledge base.

Needs the langchain extra: pip install 'replyassist[langchain]'
Run: python examples/langchain_retriever.py
"""

from __future__ import annotations

from pathlib import Path

from replyassist import KnowledgeBase, Ticket, draft_reply

HERE = Path(__file__).resolve().parent


def main() -> None:
    kb = KnowledgeBase.from_directory(HERE / "kb")
    retriever = kb.as_retriever(k=3)  # a langchain_core BaseRetriever
    for document in retriever.invoke("I was charged twice for my order"):
        print(f"{document.metadata['title']}: {document.page_content[:80]}…")
    # Any LangChain retriever (a vector store, a search API…) can stand in for the KB.
    wrapped = KnowledgeBase.from_retriever(retriever)
    draft = draft_reply(
        Ticket.from_text("I was charged twice for the same order!", channel="chat", customer="Priya"),
        kb=wrapped,
    )
    print(draft.decision.value, draft.text)


if __name__ == "__main__":
    main()
