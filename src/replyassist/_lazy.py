"""Lazy exports for packages: names are imported on first use.

``import replyassist`` must stay cheap (webhook workers and CLIs start often), and the model
extra must not be imported on the offline path; type checkers see eager imports under
``TYPE_CHECKING`` in each package instead.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, namespace: dict[str, Any], exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Module-level ``__getattr__`` and ``__dir__`` for ``package``.

    Args:
        package: the package's ``__name__``.
        namespace: the package's ``globals()``; an imported name is cached there.
        exports: public name → module it lives in (absolute, or relative to ``package``
            when it starts with ``_``).
    """

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        path = f"{package}.{module}" if module.startswith("_") else module
        value = getattr(importlib.import_module(path), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(exports))

    return __getattr__, __dir__
