"""ChatMessage and its parts as fields of pydantic models; pydantic is still loaded only on demand."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from haybale.dataclasses import (
    ChatMessage,
    FileContent,
    ImageContent,
    ReasoningContent,
    TextContent,
    ToolCall,
    ToolCallResult,
)

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
CALL = ToolCall("weather", {"city": "Rome"}, id="c1", extra={"k": 1})


class Conversation(BaseModel):
    messages: list[ChatMessage]
    last: ChatMessage | None = None


class Parts(BaseModel):
    text: TextContent
    call: ToolCall
    result: ToolCallResult
    reasoning: ReasoningContent
    image: ImageContent
    file: FileContent


MESSAGES = [
    ChatMessage.from_system("Be brief."),
    ChatMessage.from_user(content_parts=["Look", ImageContent(PNG, detail="low")], name="ann"),
    ChatMessage.from_assistant("Checking", tool_calls=[CALL], reasoning="hm", meta={"usage": {"total": 3}}),
    ChatMessage.from_tool([TextContent("sunny"), FileContent("JVBERi0=", filename="r.pdf")], origin=CALL),
]


def test_a_dump_equals_to_dict_and_loads_back() -> None:
    conversation = Conversation(messages=MESSAGES, last=MESSAGES[-1])
    dumped = conversation.model_dump(mode="json")
    assert dumped["messages"] == [message.to_dict() for message in MESSAGES]
    assert dumped["last"] == MESSAGES[-1].to_dict()
    assert conversation.model_dump()["messages"] == dumped["messages"]  # python mode: the same dicts
    assert Conversation.model_validate(dumped) == conversation
    assert Conversation.model_validate_json(conversation.model_dump_json()) == conversation
    assert [ChatMessage.from_dict(data) for data in dumped["messages"]] == MESSAGES


def test_every_part_is_a_field_too() -> None:
    parts = Parts(
        text=TextContent("t"),
        call=CALL,
        result=ToolCallResult("r", CALL, error=True),
        reasoning=ReasoningContent("hm", {"reasoning_details": [{"type": "x"}]}),
        image=ImageContent(PNG),
        file=FileContent("JVBERi0=", filename="a.pdf"),
    )
    dumped = parts.model_dump(mode="json")
    assert dumped == {name: getattr(parts, name).to_dict() for name in Parts.model_fields}
    assert Parts.model_validate(json.loads(json.dumps(dumped))) == parts


def test_a_haystack_style_field_dump_loads() -> None:
    # pydantic dumps Haystack's dataclasses field by field: "_role", "_content" and bare parts
    data = {
        "_role": "assistant",
        "_content": [
            {"reasoning_text": "hm", "extra": {}},
            {"text": "Checking"},
            {"tool_name": "weather", "arguments": {"city": "Rome"}, "id": "c1", "extra": None},
        ],
        "_name": None,
        "_meta": {},
    }
    message = Conversation.model_validate({"messages": [data]}).messages[0]
    assert message == ChatMessage.from_assistant(
        "Checking", tool_calls=[ToolCall("weather", {"city": "Rome"}, id="c1")], reasoning="hm"
    )
    result = {
        "_role": "tool",
        "_content": [{"result": [{"base64_image": PNG, "mime_type": "image/png"}], "origin": CALL.to_dict()}],
    }
    assert ChatMessage.from_dict(result).tool_call_result == ToolCallResult([ImageContent(PNG)], CALL)


@pytest.mark.parametrize("bad", [3, "hello", {"role": "user"}, {"role": "user", "content": [{"text": 3}]}])
def test_invalid_values_raise_validation_errors_naming_the_field(bad: Any) -> None:
    with pytest.raises(ValidationError) as info:
        Conversation(messages=[bad])
    assert info.value.errors()[0]["loc"][:2] == ("messages", 0)


def test_models_with_messages_have_a_json_schema() -> None:
    schema = Conversation.model_json_schema()
    message = schema["properties"]["messages"]["items"]
    assert message["title"] == "ChatMessage"
    assert message["properties"]["role"] == {"enum": ["user", "system", "assistant", "tool"]}
    assert Parts.model_json_schema()["properties"]["call"]["properties"].keys() >= {"tool_name", "arguments"}


def test_importing_the_data_model_still_does_not_import_pydantic() -> None:
    code = (
        "import sys\n"
        "from haybale.dataclasses import ChatMessage\n"
        "ChatMessage.from_user('hi').to_dict()\n"
        "print('pydantic' in sys.modules, 'pydantic_core' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]
