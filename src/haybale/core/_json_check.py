"""Finding the part of a value that cannot be sent as JSON, so an error can name it (pure).

``json.dumps`` says "Object of type X is not JSON serializable" or "Out of range float values are
not JSON compliant" without saying where, gives a ``RecursionError`` for deep values, and by
default even writes ``NaN``, which is not JSON at all. ``json_problem`` walks the value itself
(iteratively, so depth cannot overflow the stack) and returns the path to the first offending part
with what is wrong and what to pass instead. Callers put the name of their parameter in front.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

# No request field, tool schema or generation kwarg needs more; a self-referencing value ends here too.
MAX_DEPTH = 64

_SCALARS = (str, int, float, bool, type(None))


@dataclass(frozen=True)
class JSONProblem:
    """Where (``path``, e.g. ``"['a'][0]"``) and what (``problem``, with the fix) is wrong."""

    path: str
    problem: str
    kind: type[Exception]  # ValueError for a bad value, TypeError for a value of the wrong type

    def error(self, where: str) -> Exception:
        """The exception to raise, naming ``where`` (a parameter) followed by the path."""
        return self.kind(f"{where}{self.shown_path} {self.problem}")

    @property
    def shown_path(self) -> str:
        # a path 64 levels deep is a wall of brackets: its start says enough about where
        return self.path if len(self.path) <= 200 else f"{self.path[:200]}..."


def json_problem(value: Any) -> JSONProblem | None:
    """The first part of ``value`` that JSON cannot carry, or None when it can all be sent."""
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        item, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            return JSONProblem(
                path,
                f"nests deeper than {MAX_DEPTH} levels (or contains itself): flatten the structure.",
                ValueError,
            )
        if isinstance(item, dict):
            for key, child in reversed(item.items()):
                found = _key_problem(key, path)
                if found is not None:
                    return found
                stack.append((child, f"{path}[{key!r}]", depth + 1))
        elif isinstance(item, list | tuple):
            stack.extend((child, f"{path}[{i}]", depth + 1) for i, child in reversed(list(enumerate(item))))
        else:
            found = _scalar_problem(item, path)
            if found is not None:
                return found
    return None


def _key_problem(key: Any, path: str) -> JSONProblem | None:
    if isinstance(key, str):
        return _text_problem(key, f"{path}[{key!r}] (the key itself)")
    if isinstance(key, bool | int) or key is None or (isinstance(key, float) and math.isfinite(key)):
        return None  # JSON writes these as strings
    return JSONProblem(
        path,
        f"has the key {key!r} of type {type(key).__name__}, which JSON cannot write: use str keys.",
        TypeError,
    )


def _scalar_problem(item: Any, path: str) -> JSONProblem | None:
    if isinstance(item, str):
        return _text_problem(item, path)
    if isinstance(item, float) and not math.isfinite(item):
        return JSONProblem(
            path, f"is {item!r}, which JSON cannot represent: pass a finite number (or None).", ValueError
        )
    if isinstance(item, _SCALARS):
        return None
    return JSONProblem(
        path,
        f"has type {type(item).__name__}, which JSON cannot represent: convert it to a str, number, bool, "
        "None, list or dict first.",
        TypeError,
    )


def _text_problem(text: str, path: str) -> JSONProblem | None:
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        return JSONProblem(
            path,
            f"holds a lone surrogate (U+{ord(text[error.start]):04X} at index {error.start}), which UTF-8 "
            "cannot encode. It usually comes from text cut in the middle of an emoji or decoded with "
            "'surrogateescape'; repair the text, or drop the character with "
            "text.encode('utf-8', 'replace').decode().",
            ValueError,
        )
    return None
