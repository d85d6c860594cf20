"""The SSE decoder: lines in, event payloads out."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from haybale._wire.sse import DONE, SSEDecoder


def decode(lines: list[str], *, flush: bool = True) -> list[tuple[str, str]]:
    decoder = SSEDecoder()
    events = []
    for line in lines:
        data = decoder.feed(line)
        if data is not None:
            events.append((decoder.event, data))
    if flush:
        data = decoder.flush()
        if data is not None:
            events.append((decoder.event, data))
    return events


def test_one_data_line_per_event() -> None:
    assert decode(['data: {"a":1}', "", 'data: {"b":2}', ""]) == [
        ("message", '{"a":1}'),
        ("message", '{"b":2}'),
    ]


def test_space_after_colon_is_optional_and_only_one_is_stripped() -> None:
    assert decode(["data:x", "", "data:  two spaces", ""]) == [("message", "x"), ("message", " two spaces")]


def test_multi_line_data_is_joined_with_newlines() -> None:
    assert decode(["data: {", 'data: "a": 1', "data: }", ""]) == [("message", '{\n"a": 1\n}')]


def test_comments_are_ignored_even_between_data_lines() -> None:
    lines = [": OPENROUTER PROCESSING", "", "data: a", ": keep-alive", "data: b", ""]
    assert decode(lines) == [("message", "a\nb")]


def test_blank_lines_without_data_dispatch_nothing() -> None:
    assert decode(["", "", ": comment", ""]) == []


def test_event_names_are_reported_and_reset() -> None:
    lines = ["event: error", 'data: {"error": {}}', "", "data: next", ""]
    assert decode(lines) == [("error", '{"error": {}}'), ("message", "next")]


def test_id_retry_and_unknown_fields_are_ignored() -> None:
    assert decode(["id: 7", "retry: 1000", "foo: bar", "data: x", ""]) == [("message", "x")]


def test_data_field_without_colon_is_an_empty_line() -> None:
    assert decode(["data", "data: x", ""]) == [("message", "\nx")]


def test_done_marker_is_passed_through() -> None:
    assert decode(["data: [DONE]", ""]) == [("message", DONE)]


@pytest.mark.parametrize("flush", [True, False])
def test_pending_event_is_only_returned_by_flush(flush: bool) -> None:
    events = decode(["data: last"], flush=flush)
    assert events == ([("message", "last")] if flush else [])


def test_flush_after_complete_event_returns_nothing() -> None:
    decoder = SSEDecoder()
    assert decoder.feed("data: x") is None
    assert decoder.feed("") == "x"
    assert decoder.flush() is None


# ---- property: events survive any line-ending style -------------------------------------------

_payload = st.text(
    alphabet=st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)), max_size=30
)


@given(events=st.lists(st.lists(_payload, min_size=1, max_size=3), max_size=6), comments=st.booleans())
def test_any_events_round_trip(events: list[list[str]], comments: bool) -> None:
    lines: list[str] = []
    for data_lines in events:
        if comments:
            lines.append(": ping")
        lines.extend(f"data: {line}" for line in data_lines)
        lines.append("")
    assert decode(lines) == [("message", "\n".join(data_lines)) for data_lines in events]
