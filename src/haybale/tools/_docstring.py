"""Reading a function's docstring: its summary, and parameter descriptions in reST or Google style."""

from __future__ import annotations

import inspect
import re

_REST_PARAM = re.compile(r"^:param\s+(?:[^:]*\s)?(\w+)\s*:\s*(.*)$")
_REST_FIELD = re.compile(r"^:\w+")
_GOOGLE_ARG = re.compile(r"^(\*{0,2}\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")
_SECTION = re.compile(
    r"^(Args|Arguments|Parameters|Params|Returns?|Yields?|Raises|Examples?|Notes?|Attributes)\s*:\s*$"
)


def docstring_summary(doc: str | None) -> str:
    """The text before the first parameter or section block, whitespace-trimmed."""
    lines = inspect.cleandoc(doc or "").splitlines()
    kept: list[str] = []
    for line in lines:
        stripped = line.strip()
        if _REST_FIELD.match(stripped) or _SECTION.match(stripped):
            break
        kept.append(line)
    return "\n".join(kept).strip()


def docstring_params(doc: str | None) -> dict[str, str]:
    """``{parameter: description}`` from ``:param x:`` fields and ``Args:`` sections."""
    lines = inspect.cleandoc(doc or "").splitlines()
    found = _rest_params(lines)
    for name, text in _google_params(lines).items():
        found.setdefault(name, text)
    return found


def _rest_params(lines: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    current: str | None = None
    for line in lines:
        stripped = line.strip()
        match = _REST_PARAM.match(stripped)
        if match:
            current = match.group(1)
            found[current] = match.group(2).strip()
        elif current and stripped and not _REST_FIELD.match(stripped) and line[:1].isspace():
            found[current] = f"{found[current]} {stripped}".strip()  # an indented continuation
        else:
            current = None
    return found


def _google_params(lines: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    in_args = False
    arg_indent = -1
    current: str | None = None
    for line in lines:
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if _SECTION.match(stripped):
            in_args = stripped.split(":")[0] in ("Args", "Arguments", "Parameters", "Params")
            arg_indent, current = -1, None
            continue
        if not in_args or not stripped:
            continue
        if arg_indent < 0:
            arg_indent = indent
        match = _GOOGLE_ARG.match(stripped)
        if indent == arg_indent and match:
            current = match.group(1).lstrip("*")
            found[current] = match.group(2).strip()
        elif indent > arg_indent and current:
            found[current] = f"{found[current]} {stripped}".strip()
        elif indent < arg_indent:
            in_args = False
    return found
