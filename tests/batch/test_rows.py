"""Reading rows: the input formats, ids, prompts/messages/templates, kept fields and unreadable rows."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from haybale.batch import RequestShape, RowSpec, open_rows, prepare_row
from haybale.batch._rows import IdCheck
from haybale.components.generators.chat import OpenAIChatGenerator
from haybale.dataclasses import ChatMessage, ToolCall
from haybale.errors import BatchInputError
from haybale.utils import Secret

SHAPE = RequestShape(OpenAIChatGenerator(api_key=Secret.from_token("k"), model="m"))
TINY_PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="


def prepared(rows: Any, spec: RowSpec | None = None) -> list[Any]:
    source = open_rows(rows)
    try:
        return [prepare_row(raw, spec or RowSpec(), SHAPE) for raw in source.scan()]
    finally:
        source.close()


def wire(row: Any) -> list[dict[str, Any]]:
    from haybale._wire.messages import messages_to_wire

    return messages_to_wire(row.messages)


def write_jsonl(path: Path, lines: list[Any]) -> Path:
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))
    return path


def test_jsonl_rows_with_ids_prompts_and_messages(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "in.jsonl",
        [
            {"id": "a", "prompt": "Hi"},
            {
                "id": 7,
                "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Yo"}],
            },
            {"prompt": "no id"},
        ],
    )
    a, seven, third = prepared(path)
    assert (a.id, a.position, wire(a)) == ("a", 0, [{"role": "user", "content": "Hi"}])
    assert seven.id == 7
    assert wire(seven) == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Yo"}]
    assert third.id == 2  # no id field: the row's position is its id
    assert all(row.error is None and len(row.request_hash) == 64 for row in (a, seven, third))


def test_a_byte_order_mark_is_not_part_of_the_first_row(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"id": "bom", "prompt": "Hi"}\n')
    (row,) = prepared(path)
    assert (row.id, row.error) == ("bom", None)


def test_blank_lines_are_not_rows_and_bad_lines_are_row_errors(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "in.jsonl", [{"prompt": "one"}, "", "{not json", "[1, 2]", {"text": "no prompt"}]
    )
    one, bad_json, array, no_prompt = prepared(path)
    assert one.error is None
    assert (bad_json.id, bad_json.error.type) == (1, "BatchInputError")
    assert "line 3 is not valid JSON" in bad_json.error.message
    assert "not an object" in array.error.message
    assert "no prompt" in no_prompt.error.message
    assert "--template" in no_prompt.error.message
    assert bad_json.request_hash is None
    assert bad_json.messages is None


def test_rows_in_python_and_chat_message_objects() -> None:
    rows = [{"id": "x", "messages": [ChatMessage.from_user("Hi")]}, "not a row"]
    good, bad = prepared(rows)
    assert wire(good) == [{"role": "user", "content": "Hi"}]
    assert "not a mapping" in bad.error.message


def test_openai_format_with_tools_images_and_developer_role() -> None:
    messages = [
        {"role": "developer", "content": [{"type": "text", "text": "Rules."}]},
        {
            "role": "user",
            "name": "ann",
            "content": [
                {"type": "text", "text": "What is this?"},
                {
                    "type": "image_url",
                    "image_url": {"url": f"data:image/png;base64,{TINY_PNG}", "detail": "low"},
                },
            ],
        },
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "look", "arguments": '{"x": 1}'}}
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "a pixel"},
    ]
    (row,) = prepared([{"messages": messages}])
    assert row.error is None
    system, user, assistant, tool = row.messages
    assert system.is_from("system")
    assert system.text == "Rules."
    assert user.name == "ann"
    assert user.image.detail == "low"
    assert user.image.mime_type == "image/png"
    assert assistant.tool_call == ToolCall(tool_name="look", arguments={"x": 1}, id="c1")
    assert tool.tool_call_result.origin.tool_name == "look"  # found from the earlier call's id
    assert wire(row)[3] == {"role": "tool", "tool_call_id": "c1", "content": "a pixel"}


def test_haybale_and_haystack_chat_message_dicts_hash_like_openai_format() -> None:
    openai_style = [{"role": "user", "content": "Hi"}]
    haybale_style = [ChatMessage.from_user("Hi").to_dict()]
    haystack_style = [{"_role": "user", "_content": [{"text": "Hi"}], "_name": None, "_meta": {}}]
    rows = prepared([{"messages": m} for m in (openai_style, haybale_style, haystack_style)])
    assert [row.error for row in rows] == [None, None, None]
    assert len({row.request_hash for row in rows}) == 1


@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        ([], "non-empty list"),
        ("not json", "not JSON"),
        ([{"role": "robot", "content": "hi"}], "unknown role 'robot'"),
        (
            [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x/y.png"}}]}],
            "data: URL",
        ),
        ([{"role": "tool", "content": "r"}], "tool_call_id"),
        ([{"role": "user", "content": [{"type": "audio"}]}], "unsupported content part"),
        ([42], "messages[0]"),
    ],
)
def test_unusable_messages_name_the_problem(messages: Any, expected: str) -> None:
    (row,) = prepared([{"id": "r", "messages": messages}])
    assert row.id == "r"
    assert expected in row.error.message


def test_fields_template_system_and_keep() -> None:
    spec = RowSpec(
        id_field="key", prompt_field="question", template=None, system="Be brief.", keep=("topic", "missing")
    )
    (row,) = prepared([{"key": "k1", "question": "Why?", "topic": "sky"}], spec)
    assert row.id == "k1"
    assert wire(row) == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Why?"}]
    assert row.kept == {"topic": "sky", "missing": None}

    own_system = [{"role": "system", "content": "Mine."}, {"role": "user", "content": "Hi"}]
    (row,) = prepared([{"messages": own_system}], spec)
    assert [m.text for m in row.messages] == ["Mine.", "Hi"]  # not doubled

    templated = RowSpec(template="Summarize: {text} ({n})")
    ok, missing = prepared([{"text": "long story", "n": 3, "prompt": "ignored"}, {"n": 1}], templated)
    assert wire(ok) == [{"role": "user", "content": "Summarize: long story (3)"}]
    assert "names the field 'text'" in missing.error.message


def test_row_generation_kwargs_and_bad_ids() -> None:
    rows = prepared(
        [
            {"prompt": "a", "generation_kwargs": {"temperature": 0.1, "max_tokens": 9}},
            {"prompt": "b", "generation_kwargs": '{"seed": 3}'},
            {"prompt": "c", "generation_kwargs": [1]},
            {"id": 1.5, "prompt": "d"},
            {"id": True, "prompt": "e"},
        ]
    )
    assert rows[0].generation_kwargs == {"temperature": 0.1, "max_tokens": 9}
    assert rows[0].max_output_tokens == 9
    assert rows[1].generation_kwargs == {"seed": 3}
    assert "must be an object" in rows[2].error.message
    assert (rows[3].id, "string or an integer" in rows[3].error.message) == (3, True)
    assert (rows[4].id, rows[4].error is not None) == (4, True)


def test_csv_rows_with_json_cells(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text(
        "id,prompt,messages,generation_kwargs,topic\n"
        'a,Hello,,"{""temperature"": 0}",x\n'
        'b,,"[{""role"": ""user"", ""content"": ""From JSON""}]",,y\n'
    )
    a, b = prepared(path, RowSpec(keep=("topic",)))
    assert (a.id, wire(a), a.generation_kwargs, a.kept) == (
        "a",
        [{"role": "user", "content": "Hello"}],
        {"temperature": 0},
        {"topic": "x"},
    )
    assert wire(b) == [{"role": "user", "content": "From JSON"}]


def test_parquet_rows(tmp_path: Path) -> None:
    path = tmp_path / "in.parquet"
    table = pa.table(
        {
            "id": [10, 11],
            "prompt": ["p0", None],
            "messages": [None, [{"role": "user", "content": "m1"}]],
        }
    )
    pq.write_table(table, path)
    a, b = prepared(path)
    assert (a.id, wire(a)) == (10, [{"role": "user", "content": "p0"}])
    assert (b.id, wire(b)) == (11, [{"role": "user", "content": "m1"}])


def test_stdin_is_read_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    data = b'{"id": "s1", "prompt": "from stdin"}\n{"id": "s2", "prompt": "again"}\n'
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    source = open_rows("-")
    try:
        first = [raw.data["id"] for raw in source.scan()]
        second = [prepare_row(raw, RowSpec(), SHAPE).id for raw in source.scan()]
    finally:
        source.close()
    assert first == second == ["s1", "s2"]


def test_duplicate_ids_are_named(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "in.jsonl", [{"id": i % 3, "prompt": "p"} for i in range(5)] + [{"prompt": "p"}]
    )
    check = IdCheck(RowSpec())
    for raw in open_rows(path).scan():
        check.add(raw)
    with pytest.raises(BatchInputError) as info:
        check.verify()
    message = str(info.value)
    assert "0 at rows 0, 3" in message
    assert "1 at rows 1, 4" in message
    assert "5" not in message.split("duplicate")[0]  # the last row's position-id 5 is unique
    assert "--id-field" in message


def test_string_and_integer_ids_are_different_ids(tmp_path: Path) -> None:
    check = IdCheck(RowSpec())
    for raw in open_rows([{"id": 1, "prompt": "a"}, {"id": "1", "prompt": "b"}]).scan():
        check.add(raw)
    check.verify()
    assert check.count == 2


def test_bad_sources_are_refused(tmp_path: Path) -> None:
    with pytest.raises(BatchInputError, match="does not exist"):
        open_rows(tmp_path / "missing.jsonl")
    with pytest.raises(TypeError, match="iterable of row dicts"):
        open_rows({"id": 1})  # type: ignore[arg-type]


def test_a_small_file_is_parsed_once_and_a_large_one_read_again(tmp_path: Path) -> None:
    from haybale.batch._input import remembered

    path = write_jsonl(tmp_path / "in.jsonl", [{"id": i, "prompt": "p"} for i in range(3)])
    small = remembered(open_rows(path))
    first = list(small.scan())
    path.write_text("")  # a second scan that read the file again would now find nothing
    assert [raw.data for raw in small.scan()] == [raw.data for raw in first]
    small.close()

    write_jsonl(path, [{"id": 1, "prompt": "p"}])
    large = remembered(open_rows(path), max_bytes=5)
    assert len(list(large.scan())) == 1
    path.write_text("")
    assert list(large.scan()) == []
