"""Input rows -> requests: the id, the conversation, the row's generation kwargs and kept fields.

``RowSpec`` says which fields mean what (the ``--id-field``/``--prompt-field``/``--messages-field``/
``--template``/``--keep`` options). ``row_id`` and ``IdCheck`` serve the first pass over the input,
``prepare_row`` the second. A row that cannot be turned into a request gets a ``RowError`` instead of
stopping the run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeGuard

from haybale.batch._input import RawRow
from haybale.batch._messages import messages_from_value
from haybale.batch._results import RowError, RowId
from haybale.dataclasses import ChatMessage
from haybale.errors import BatchInputError

if TYPE_CHECKING:
    from haybale.batch._request import RequestShape

KWARGS_FIELD = "generation_kwargs"
_SHOWN_DUPLICATES = 5


@dataclass(frozen=True)
class RowSpec:
    """How to read a row. ``template`` (``"Summarize: {text}"``) builds the prompt from the row's
    fields and wins over ``messages``, which wins over ``prompt``. ``system`` is put before every
    conversation that does not start with a system message of its own.
    """

    id_field: str = "id"
    prompt_field: str = "prompt"
    messages_field: str = "messages"
    template: str | None = None
    system: str | None = None
    keep: tuple[str, ...] = ()


@dataclass(slots=True)  # not frozen: one is made per row, and frozen init costs ~4x
class RowRequest:
    """One row, ready to send (or, with ``error``, ready to be reported as unreadable)."""

    id: RowId
    position: int
    messages: list[ChatMessage] | None
    generation_kwargs: dict[str, Any] | None
    request_hash: str | None
    prompt_tokens: int = 0
    max_output_tokens: int | None = None
    kept: dict[str, Any] = field(default_factory=dict)
    error: RowError | None = None


def row_id(raw: RawRow, spec: RowSpec) -> RowId:
    """The row's id: its id field when that is a string or an integer, else its position."""
    value = raw.data.get(spec.id_field) if raw.data is not None else None
    return value if _usable_id(value) else raw.position


def has_usable_id(raw: RawRow, spec: RowSpec) -> bool:
    """Whether ``raw`` has its own id (else ``row_id`` falls back to its position)."""
    return raw.data is not None and _usable_id(raw.data.get(spec.id_field))


def _usable_id(value: Any) -> TypeGuard[RowId]:
    return isinstance(value, str | int) and not isinstance(value, bool)


class IdCheck:
    """Collects the ids of a first pass over the input; ``verify()`` raises on duplicates."""

    def __init__(self, spec: RowSpec) -> None:
        self.spec = spec
        self.count = 0
        self._seen: dict[RowId, int] = {}
        self._duplicates: dict[RowId, list[int]] = {}

    def add(self, raw: RawRow) -> RowId:
        """Note ``raw``'s id and return it."""
        self.count += 1
        key = row_id(raw, self.spec)
        first = self._seen.setdefault(key, raw.position)
        if first != raw.position:
            self._duplicates.setdefault(key, [first]).append(raw.position)
        return key

    def verify(self) -> None:
        """Raise ``BatchInputError`` naming the ids that occur more than once."""
        duplicates = self._duplicates
        if not duplicates:
            return
        shown = "; ".join(
            f"{key!r} at rows {', '.join(map(str, where))}"
            for key, where in list(duplicates.items())[:_SHOWN_DUPLICATES]
        )
        hidden = len(duplicates) - _SHOWN_DUPLICATES
        more = f" and {hidden} more" if hidden > 0 else ""
        raise BatchInputError(
            f"duplicate ids in the input ({self.spec.id_field!r} field): {shown}{more}. Every row needs "
            "its own id: fix them, or pick another field with --id-field / id_field=."
        )


def prepare_row(raw: RawRow, spec: RowSpec, shape: RequestShape) -> RowRequest:
    """The request for ``raw``, or a row carrying the reason it cannot be sent."""
    key = row_id(raw, spec)
    data = raw.data
    if data is None:
        return _unreadable(raw, key, raw.problem or "unreadable row", {})
    kept = {name: data.get(name) for name in spec.keep} if spec.keep else {}
    try:
        messages = _messages(data, spec)
        kwargs = _row_kwargs(data.get(KWARGS_FIELD))
        id_value = data.get(spec.id_field)
        if id_value is not None and not _usable_id(id_value):
            raise ValueError(f"{spec.id_field!r} must be a string or an integer, got {id_value!r:.50}")
    except (ValueError, TypeError) as error:
        return _unreadable(raw, key, str(error), kept)
    facts = shape.facts(messages, kwargs)
    return RowRequest(
        key,
        raw.position,
        messages,
        kwargs,
        facts.request_hash,
        facts.prompt_tokens,
        facts.max_output_tokens,
        kept,
    )


def _unreadable(raw: RawRow, key: RowId, problem: str, kept: dict[str, Any]) -> RowRequest:
    where = f"row {raw.position}: " if raw.position >= 0 else ""  # -1: a distributed read's row
    error = RowError("BatchInputError", f"{where}{problem}")
    return RowRequest(key, raw.position, None, None, None, kept=kept, error=error)


def _messages(data: Mapping[str, Any], spec: RowSpec) -> list[ChatMessage]:
    if spec.template is not None:
        messages = [ChatMessage.from_user(_fill(spec.template, data))]
    elif _present(data.get(spec.messages_field)):
        messages = messages_from_value(data[spec.messages_field])
    elif _present(data.get(spec.prompt_field)):
        prompt = data[spec.prompt_field]
        if not isinstance(prompt, str):
            raise TypeError(f"{spec.prompt_field!r} must be a string, got {type(prompt).__name__}")
        messages = [ChatMessage.from_user(prompt)]
    else:
        raise ValueError(
            f"no prompt: the row has neither {spec.messages_field!r} nor {spec.prompt_field!r} "
            "(pick fields with --messages-field / --prompt-field, or build one with --template)"
        )
    if spec.system is not None and not messages[0].is_from("system"):
        messages.insert(0, ChatMessage.from_system(spec.system))
    return messages


def _present(value: Any) -> bool:
    return value is not None and value != ""  # an empty CSV cell is an absent field


def _fill(template: str, data: Mapping[str, Any]) -> str:
    try:
        return template.format_map(data)
    except KeyError as error:
        raise ValueError(f"the template names the field {error.args[0]!r}, which this row lacks") from None
    except (IndexError, AttributeError, ValueError) as error:
        raise ValueError(f"the template cannot be filled from this row: {error}") from None


def _row_kwargs(value: Any) -> dict[str, Any] | None:
    if not _present(value):
        return None
    if isinstance(value, str):  # a CSV cell
        try:
            value = json.loads(value)
        except ValueError:
            raise ValueError(f"{KWARGS_FIELD!r} is text but not JSON: give a JSON object") from None
    if not isinstance(value, dict):
        raise TypeError(f"{KWARGS_FIELD!r} must be an object, got {type(value).__name__}")
    return value
