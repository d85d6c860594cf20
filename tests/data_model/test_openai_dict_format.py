"""ChatMessage.to_openai_dict_format / from_openai_dict_format: Haystack's shape, one shared converter."""

from __future__ import annotations

import logging
import subprocess
import sys
from typing import Any

import pytest

from haybale._wire.messages import messages_to_wire
from haybale.dataclasses import (
    ChatMessage,
    ChatRole,
    FileContent,
    ImageContent,
    ReasoningContent,
    TextContent,
    ToolCall,
    ToolCallResult,
)

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
PDF = "JVBERi0xLjQK"
CALL = ToolCall(tool_name="weather", arguments={"city": "Zürich"}, id="call_1")


def test_text_messages() -> None:
    assert ChatMessage.from_system("Be brief.").to_openai_dict_format() == {
        "role": "system",
        "content": "Be brief.",
    }
    assert ChatMessage.from_user("Hi", name="ann").to_openai_dict_format() == {
        "role": "user",
        "content": "Hi",
        "name": "ann",
    }
    assert ChatMessage.from_assistant("Hello").to_openai_dict_format() == {
        "role": "assistant",
        "content": "Hello",
    }


def test_assistant_tool_calls_keep_ids_and_non_ascii_and_drop_reasoning() -> None:
    message = ChatMessage.from_assistant(tool_calls=[CALL], reasoning="let me look")
    assert message.to_openai_dict_format() == {
        "role": "assistant",
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "weather", "arguments": '{"city": "Zürich"}'},
            }
        ],
    }


def test_an_empty_assistant_message_sends_empty_content() -> None:
    assert ChatMessage.from_assistant().to_openai_dict_format() == {"role": "assistant", "content": ""}
    reasoning_only = ChatMessage.from_assistant(reasoning=ReasoningContent("hm"))
    assert reasoning_only.to_openai_dict_format() == {"role": "assistant", "content": ""}


def test_a_refusal_in_meta_goes_back_as_the_refusal() -> None:
    alone = ChatMessage.from_assistant(meta={"refusal": "I can't help with that."})
    assert alone.to_openai_dict_format() == {
        "role": "assistant",
        "content": [{"type": "refusal", "refusal": "I can't help with that."}],
    }
    with_text = ChatMessage.from_assistant("Sorry.", meta={"refusal": "No."})
    assert with_text.to_openai_dict_format() == {"role": "assistant", "content": "Sorry.", "refusal": "No."}
    not_a_refusal = ChatMessage.from_assistant("ok", meta={"refusal": None, "model": "m"})
    assert not_a_refusal.to_openai_dict_format() == {"role": "assistant", "content": "ok"}


def test_a_refusal_beside_tool_calls_is_dropped_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    message = ChatMessage.from_assistant(tool_calls=[CALL], meta={"refusal": "No."})
    with caplog.at_level(logging.WARNING):
        converted = message.to_openai_dict_format()
    assert "refusal" not in converted
    assert "content" not in converted
    assert "refusal" in caplog.text


def test_tool_results() -> None:
    assert ChatMessage.from_tool("sunny", origin=CALL).to_openai_dict_format() == {
        "role": "tool",
        "tool_call_id": "call_1",
        "content": "sunny",
    }
    parts = ChatMessage.from_tool([TextContent("a"), TextContent("b")], origin=CALL)
    assert parts.to_openai_dict_format()["content"] == [
        {"type": "text", "text": "a"},
        {"type": "text", "text": "b"},
    ]


@pytest.mark.parametrize(
    "part", [ImageContent(PNG), FileContent(PDF, mime_type="application/pdf")], ids=["image", "file"]
)
def test_media_in_tool_results_has_no_openai_dict_but_is_still_sent_by_requests(part: Any) -> None:
    message = ChatMessage.from_tool([TextContent("see"), part], origin=CALL)
    with pytest.raises(ValueError, match="text only"):
        message.to_openai_dict_format()
    sent = messages_to_wire([message])[0]["content"]
    assert sent[0] == {"type": "text", "text": "see"}
    assert sent[1]["type"] in ("image_url", "file")


def test_missing_ids_are_refused_unless_allowed() -> None:
    no_id = ToolCall(tool_name="weather", arguments={})
    for message in (ChatMessage.from_assistant(tool_calls=[no_id]), ChatMessage.from_tool("r", origin=no_id)):
        with pytest.raises(ValueError, match="id"):
            message.to_openai_dict_format()
    call = ChatMessage.from_assistant(tool_calls=[no_id]).to_openai_dict_format(require_tool_call_ids=False)
    assert "id" not in call["tool_calls"][0]
    result = ChatMessage.from_tool("r", origin=no_id).to_openai_dict_format(require_tool_call_ids=False)
    assert result == {"role": "tool", "content": "r"}


@pytest.mark.parametrize(
    "message",
    [
        ChatMessage(_role=ChatRole.USER, _content=[]),
        ChatMessage(_role=ChatRole.SYSTEM, _content=[ReasoningContent("only reasoning")]),
        ChatMessage(_role=ChatRole.TOOL, _content=[ToolCallResult("r", CALL), TextContent("extra")]),
    ],
    ids=["empty-user", "reasoning-only-system", "result-beside-text"],
)
def test_messages_the_format_cannot_express_raise_value_errors(message: ChatMessage) -> None:
    with pytest.raises(ValueError, match=r"needs at least one|cannot carry other parts"):
        message.to_openai_dict_format()


def test_user_parts_come_from_the_same_converter_as_requests() -> None:
    message = ChatMessage.from_user(
        content_parts=[
            "Describe",
            ImageContent(PNG, detail="low"),
            FileContent(PDF, mime_type="application/pdf"),
        ]
    )
    converted = message.to_openai_dict_format()
    assert converted == messages_to_wire([message])[0]
    assert converted["content"][1] == {
        "type": "image_url",
        "image_url": {"url": f"data:image/png;base64,{PNG}", "detail": "low"},
    }
    # a file without a name gets a placeholder: OpenAI needs one beside inline data
    assert converted["content"][2]["file"] == {
        "file_data": f"data:application/pdf;base64,{PDF}",
        "filename": "filename",
    }


def test_requests_add_what_servers_need_beyond_the_format() -> None:
    message = ChatMessage.from_assistant(tool_calls=[CALL], reasoning="hm")
    sent = messages_to_wire([message])[0]
    assert sent["content"] == ""  # local chat templates read it unconditionally
    assert sent["reasoning_content"] == "hm"  # DeepSeek needs it back
    assert sent["tool_calls"][0]["function"]["arguments"] == '{"city":"Zürich"}'  # compact on the wire


@pytest.mark.parametrize(
    "message",
    [
        ChatMessage.from_system("Be brief.", name="policy"),
        ChatMessage.from_user("Hi"),
        ChatMessage.from_user(
            content_parts=["Look", ImageContent(PNG, mime_type="image/png", detail="high")]
        ),
        ChatMessage.from_user(
            content_parts=[FileContent(PDF, mime_type="application/pdf", filename="a.pdf")]
        ),
        ChatMessage.from_assistant("Checking", tool_calls=[CALL]),
        ChatMessage.from_assistant(meta={"refusal": "No."}),
        ChatMessage.from_tool("sunny", origin=ToolCall(tool_name="", arguments={}, id="call_1")),
        ChatMessage.from_tool([TextContent("a")], origin=ToolCall(tool_name="", arguments={}, id="c")),
    ],
)
def test_round_trip(message: ChatMessage) -> None:
    assert ChatMessage.from_openai_dict_format(message.to_openai_dict_format()) == message


def test_from_openai_reads_what_clients_and_servers_send(caplog: pytest.LogCaptureFixture) -> None:
    developer = ChatMessage.from_openai_dict_format({"role": "developer", "content": "Rules"})
    assert (developer.role, developer.text) == (ChatRole.SYSTEM, "Rules")
    joined = ChatMessage.from_openai_dict_format(
        {"role": "system", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}
    )
    assert joined.text == "a\nb"
    reply = ChatMessage.from_openai_dict_format(
        {
            "role": "assistant",
            "content": None,
            "reasoning_content": "thinking",
            "tool_calls": [
                {"id": "1", "function": {"name": "now", "arguments": ""}},
                {"id": "2", "function": {"name": "at", "arguments": {"city": "Rome"}}},
                {"id": "3", "function": {"name": "bad", "arguments": '{"city": '}},
            ],
        }
    )
    assert reply.reasoning == ReasoningContent("thinking")
    assert [(c.tool_name, c.arguments) for c in reply.tool_calls] == [
        ("now", {}),
        ("at", {"city": "Rome"}),
        ("bad", {}),
    ]
    # haybale keeps a call whose arguments are not JSON (deliberate: Haystack raises)
    assert reply.tool_calls[2].extra == {"raw_arguments": '{"city": '}
    tool = ChatMessage.from_openai_dict_format({"role": "tool", "content": "r"})
    assert tool.tool_call_result is not None
    assert tool.tool_call_result.origin.id is None


def test_from_openai_keeps_the_subclass() -> None:
    class MyMessage(ChatMessage):
        pass

    assert type(MyMessage.from_openai_dict_format({"role": "user", "content": "x"})) is MyMessage


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({"content": "x"}, "needs a 'role'"),
        ({"role": "robot", "content": "x"}, "Unknown role"),
        ({"role": "user", "content": 3}, "string or a list"),
        ({"role": "user", "content": ""}, "non-empty 'content'"),
        ({"role": "assistant"}, "'content', 'tool_calls' or a 'refusal'"),
        ({"role": "assistant", "tool_calls": [{"id": "1"}]}, "needs a 'function'"),
        (
            {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x/a.png"}}]},
            "data URL",
        ),
        ({"role": "user", "content": [{"type": "file", "file": {"file_id": "file-1"}}]}, "file ids"),
        ({"role": "system", "content": [{"type": "image_url"}]}, "content parts must be"),
    ],
)
def test_from_openai_refuses_invalid_dicts_with_value_errors(data: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ChatMessage.from_openai_dict_format(data)


def test_the_converter_loads_only_when_used() -> None:
    code = (
        "import sys\n"
        "from haybale.dataclasses import ChatMessage\n"
        "before = sorted(m for m in sys.modules if m.startswith(('haybale._wire', 'jiter')))\n"
        "ChatMessage.from_user('x').to_openai_dict_format()\n"
        "print(before, 'haybale._wire.messages' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["[]", "True"]
