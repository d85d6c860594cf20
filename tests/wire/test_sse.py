"""The SSE line splitter (bytes in, lines out) and decoder (lines in, event payloads out)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from haybale._wire.sse import DONE, LineSplitter, SSEDecoder


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


# ---- the line splitter: bytes cut anywhere -> lines ---------------------------------------------


def split(pieces: list[bytes]) -> list[str]:
    splitter = LineSplitter()
    lines: list[str] = []
    for piece in pieces:
        lines.extend(splitter.feed(piece))
    return lines + splitter.flush()


def reference_split(body: bytes) -> list[str]:
    """The SSE specification's split of a whole body: BOM dropped, CR / LF / CRLF end lines."""
    body = body.removeprefix(b"\xef\xbb\xbf")
    lines = re.split(rb"\r\n|\r|\n", body)
    if lines[-1] == b"":  # a body ending with a line ending has no unterminated last line
        lines.pop()
    return [line.decode("utf-8", "replace") for line in lines]


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\u0085", "\x0b", "\x0c", "\x1c"])
def test_unicode_line_separators_inside_json_are_text(separator: str) -> None:
    line = f'data: {{"content": "a{separator}b"}}'
    assert split([f"{line}\n\n".encode()]) == [line, ""]


def test_a_leading_bom_is_dropped_even_when_cut_in_pieces() -> None:
    assert split([b"\xef", b"\xbb", b"\xbfdata: x\n"]) == ["data: x"]
    assert split([b"\xef\xbb\xbfdata: \xef\xbb\xbfy\n"]) == ["data: \ufeffy"]  # only the first one


def test_crlf_cut_between_pieces_ends_one_line_not_two() -> None:
    assert split([b"data: a\r", b"\ndata: b\r", b"\r\n"]) == ["data: a", "data: b", ""]


def test_a_multibyte_character_cut_between_pieces_is_not_garbled() -> None:
    encoded = "data: é😀\n".encode()
    assert split([encoded[:7], encoded[7:10], encoded[10:]]) == ["data: é😀"]


def test_invalid_utf8_is_replaced_not_raised() -> None:
    assert split([b"data: \xff\n"]) == ["data: \ufffd"]


_line_text = st.text(
    alphabet=st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)), max_size=12
)


@given(
    lines=st.lists(_line_text, max_size=8),
    endings=st.lists(st.sampled_from(["\r", "\n", "\r\n"]), min_size=8, max_size=8),
    bom=st.booleans(),
    terminated=st.booleans(),
    data=st.data(),
)
@settings(max_examples=300)
def test_any_body_cut_anywhere_splits_like_the_whole_body(
    lines: list[str], endings: list[str], bom: bool, terminated: bool, data: st.DataObject
) -> None:
    text = "".join(line + ending for line, ending in zip(lines, endings, strict=False))
    if not terminated and lines:
        text = text[: -len(endings[len(lines) - 1])]
    body = (b"\xef\xbb\xbf" if bom else b"") + text.encode()
    cuts = sorted(data.draw(st.lists(st.integers(0, len(body)), max_size=6)))
    pieces = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]
    assert split(pieces) == reference_split(body)
    # and the events decoded from those lines are the same as from the reference lines
    assert decode(split(pieces)) == decode(reference_split(body))
