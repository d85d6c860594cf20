"""Counting a run as it goes (``BatchProgress``) and showing it (reporters).

Reporters get ``update(progress)`` after every finished row and on a timer (so a long cool-down
still shows), and ``close(progress)`` once at the end:

- ``BarReporter``: a tqdm bar (the ``cli`` extra; imported only when a bar is wanted) with rows
  done / total, rows per second, the time left, tokens in and out and the errors so far;
- ``LineReporter``: one plain line every ``interval`` seconds, for logs and pipes.

``choose_reporter`` picks the bar on a terminal and lines elsewhere.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from haybale.batch._results import BatchResult, BatchSummary, RowError, RowId

if TYPE_CHECKING:
    from haybale.batch._limiter import Limiter

_FIRST_ERRORS = 5


@dataclass
class BatchProgress:
    """Running counts of one run; ``summary()`` freezes them."""

    total: int
    clock: Callable[[], float] = time.monotonic
    succeeded: int = 0
    failed: int = 0
    skipped: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = None
    first_errors: list[tuple[RowId, RowError]] = field(default_factory=list)
    limiter: Limiter | None = None
    started_at: float = 0.0

    def __post_init__(self) -> None:
        self.started_at = self.clock()

    @property
    def done(self) -> int:
        """Rows with an outcome, skipped ones included (what a progress bar fills)."""
        return self.succeeded + self.failed + self.skipped

    @property
    def elapsed(self) -> float:
        return self.clock() - self.started_at

    def add(self, result: BatchResult) -> None:
        self._count(result.id, result.error, result.usage)

    def add_record(self, record: Mapping[str, Any]) -> None:
        """Count a row from its output line (``BatchResult.to_record()``), as a distributed runner
        receives it."""
        error = record.get("error")
        usage = record.get("usage")
        self._count(
            record["id"],
            RowError.from_dict(error) if isinstance(error, dict) else None,
            usage if isinstance(usage, dict) else None,
        )

    def _count(self, row_id: RowId, error: RowError | None, usage: Mapping[str, Any] | None) -> None:
        if error is None:
            self.succeeded += 1
        else:
            self.failed += 1
            if len(self.first_errors) < _FIRST_ERRORS:
                self.first_errors.append((row_id, error))
        if usage:
            self.prompt_tokens += _int(usage.get("prompt_tokens"))
            self.completion_tokens += _int(usage.get("completion_tokens"))
            cost = usage.get("cost")
            if isinstance(cost, int | float) and not isinstance(cost, bool):
                self.cost = (self.cost or 0.0) + cost

    def cooling_for(self) -> float:
        """Seconds left of a shared cool-down after a 429 (0 when none)."""
        if self.limiter is None:
            return 0.0
        return max(0.0, self.limiter.cooling_until - self.limiter.clock())

    def summary(self, *, interrupted: bool = False) -> BatchSummary:
        return BatchSummary(
            total=self.total,
            succeeded=self.succeeded,
            failed=self.failed,
            skipped=self.skipped,
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            cost=self.cost,
            wall_s=self.elapsed,
            interrupted=interrupted,
            first_errors=tuple(self.first_errors),
        )


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


class ProgressReporter(Protocol):
    """Shows a run's progress; see the module docstring."""

    def update(self, progress: BatchProgress) -> None: ...

    def close(self, progress: BatchProgress) -> None: ...


def _details(progress: BatchProgress) -> str:
    parts = [f"tokens {progress.prompt_tokens:,} in / {progress.completion_tokens:,} out"]
    parts.append(f"{progress.failed} errors")
    cooling = progress.cooling_for()
    if cooling > 0:
        parts.append(
            f"rate limited: waiting {cooling:.1f} s"
            if cooling < 10
            else f"rate limited: waiting {cooling:.0f} s"
        )
    return ", ".join(parts)


class LineReporter:
    """A plain line every ``interval`` seconds (and a last one at the end)."""

    def __init__(self, stream: TextIO | None = None, interval: float = 10.0) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval
        self._last: float | None = None

    def update(self, progress: BatchProgress) -> None:
        now = progress.clock()
        if self._last is None:
            self._last = now  # the first line comes after one interval, not at once
        elif now - self._last >= self.interval:
            self._last = now
            self._write(progress)

    def close(self, progress: BatchProgress) -> None:
        self._write(progress)

    def _write(self, progress: BatchProgress) -> None:
        elapsed = progress.elapsed
        rate = (progress.succeeded + progress.failed) / elapsed if elapsed > 0 else 0.0
        left = progress.total - progress.done
        eta = f", about {left / rate:.0f} s left" if rate > 0 and left > 0 else ""
        self.stream.write(
            f"haybale batch: {progress.done}/{progress.total} rows, {rate:.1f} rows/s{eta}; "
            f"{_details(progress)}\n"
        )
        self.stream.flush()


class BarReporter:
    """A tqdm progress bar; the postfix carries tokens, errors and any cool-down."""

    def __init__(self, total: int, skipped: int = 0, stream: TextIO | None = None) -> None:
        from tqdm import tqdm

        # Rows already done start the bar (``initial``), so the rate counts only rows sent now.
        self._bar = tqdm(
            total=total,
            initial=skipped,
            unit="row",
            file=stream if stream is not None else sys.stderr,
            dynamic_ncols=True,
        )
        self._postfix_at = float("-inf")

    def update(self, progress: BatchProgress) -> None:
        bar = self._bar
        now = progress.clock()
        if now - self._postfix_at >= 0.2:
            self._postfix_at = now
            bar.set_postfix_str(_details(progress), refresh=False)
        advance = progress.done - bar.n
        if advance > 0:
            bar.update(advance)
        else:
            bar.refresh()

    def close(self, progress: BatchProgress) -> None:
        self._bar.set_postfix_str(_details(progress), refresh=False)
        self._bar.update(max(0, progress.done - self._bar.n))
        self._bar.close()


def choose_reporter(
    progress: BatchProgress, *, interval: float = 10.0, stream: TextIO | None = None
) -> ProgressReporter:
    """The bar when ``stream`` (stderr by default) is a terminal and tqdm is installed, else lines."""
    stream = stream if stream is not None else sys.stderr
    if stream.isatty():
        try:
            return BarReporter(progress.total, progress.skipped, stream)
        except ImportError:
            stream.write("haybale: install 'haybale[cli]' for a progress bar; showing plain lines\n")
    return LineReporter(stream, interval)
