"""The values a batch produces: one ``BatchResult`` per row, a ``BatchSummary`` per run.

``BatchResult.to_record()`` is the output line (the contract of ``haybale batch``)::

    {"id", "text", "reply", "usage", "finish_reason", "error", "attempts", "latency_s", "request_hash"}

plus the input fields the caller asked to keep. The Ray runner builds its rows with the same method.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from haybale.dataclasses import ChatMessage

RowId = str | int


@dataclass(frozen=True, slots=True)
class RowError:
    """Why a row has no reply: the exception's class name, its message and the HTTP status if any."""

    type: str
    message: str
    status_code: int | None = None

    @classmethod
    def from_exception(cls, error: BaseException) -> RowError:
        status = getattr(error, "status_code", None)
        message = " ".join(str(error).split()) or type(error).__name__
        return cls(type(error).__name__, message, status if isinstance(status, int) else None)

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "message": self.message, "status_code": self.status_code}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RowError:
        return cls(str(data.get("type")), str(data.get("message")), data.get("status_code"))

    def __str__(self) -> str:
        status = f" ({self.status_code})" if self.status_code is not None else ""
        return f"{self.type}{status}: {self.message}"


@dataclass(frozen=True, slots=True)
class BatchResult:
    """The outcome of one row: a reply or an error, how many attempts it took and how long.

    ``attempts`` counts HTTP requests sent for the row (0 when the row could not even be read);
    ``latency_s`` runs from the first attempt's start to the outcome, waits for the limiter included.
    """

    id: RowId
    reply: ChatMessage | None
    error: RowError | None
    attempts: int
    latency_s: float
    request_hash: str | None
    kept: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def text(self) -> str | None:
        return self.reply.text if self.reply is not None else None

    @property
    def usage(self) -> dict[str, Any] | None:
        usage = self.reply.meta.get("usage") if self.reply is not None else None
        return usage if isinstance(usage, dict) else None

    @property
    def finish_reason(self) -> str | None:
        return self.reply.meta.get("finish_reason") if self.reply is not None else None

    def to_record(self) -> dict[str, Any]:
        """The output line for this row, as a JSON-ready dict."""
        record: dict[str, Any] = {
            "id": self.id,
            "text": self.text,
            "reply": self.reply.to_dict() if self.reply is not None else None,
            "usage": self.usage,
            "finish_reason": self.finish_reason,
            "error": self.error.to_dict() if self.error is not None else None,
            "attempts": self.attempts,
            "latency_s": round(self.latency_s, 6),
            "request_hash": self.request_hash,
        }
        for name, value in self.kept.items():
            record.setdefault(name, value)  # a kept field never hides one of the contract's
        return record


@dataclass(frozen=True)
class BatchSummary:
    """What a run did. ``skipped`` rows were already done in the output and not sent again."""

    total: int
    succeeded: int
    failed: int
    skipped: int
    prompt_tokens: int
    completion_tokens: int
    cost: float | None
    wall_s: float
    interrupted: bool = False
    first_errors: tuple[tuple[RowId, RowError], ...] = ()

    @property
    def sent(self) -> int:
        """Rows that got an outcome in this run (succeeded or failed)."""
        return self.succeeded + self.failed

    @property
    def rows_per_s(self) -> float:
        return self.sent / self.wall_s if self.wall_s > 0 else 0.0

    def describe(self) -> str:
        """One line for people: rows, tokens, cost, time and rate."""
        parts = [f"{self.succeeded} succeeded, {self.failed} failed, {self.skipped} skipped (already done)"]
        parts.append(f"tokens {self.prompt_tokens:,} in / {self.completion_tokens:,} out")
        if self.cost is not None:
            parts.append(f"cost {self.cost:.6g}")
        parts.append(f"{self.wall_s:.1f} s, {self.rows_per_s:.1f} rows/s")
        text = "; ".join(parts)
        return f"interrupted: {text}" if self.interrupted else text
