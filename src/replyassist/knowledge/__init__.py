"""The knowledge base: load help-center articles, cut them into passages, search them.

``KnowledgeBase`` is a self-contained multilingual BM25 index (numpy, no server);
``RetrieverKnowledgeSource`` puts any LangChain retriever behind the same
``KnowledgeSource`` interface, which is all the drafting pipeline depends on.
"""

from replyassist.knowledge._foreign import RetrieverKnowledgeSource
from replyassist.knowledge._kb import KnowledgeBase
from replyassist.knowledge._source import KnowledgeSource

__all__ = ["KnowledgeBase", "KnowledgeSource", "RetrieverKnowledgeSource"]
