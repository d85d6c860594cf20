"""The interactive chat, driven through a pseudo-terminal."""

from __future__ import annotations

from typing import Any

import pexpect

from fake_server import Reply
from payloads import text_chunks


def _spawn(haybale_command: list[str], env: dict[str, str], base_url: str) -> pexpect.spawn:
    command, *args = haybale_command
    return pexpect.spawn(
        command, [*args, "chat", "--base-url", base_url], env=env, encoding="utf-8", timeout=60
    )


def test_two_turns_keep_the_history_and_ctrl_d_exits(
    haybale_command: list[str], fake_server: Any, openai_env: dict[str, str]
) -> None:
    fake_server.script(
        Reply.sse(text_chunks(["Hello ", "Ann"])), Reply.sse(text_chunks(["Your ", "name is Ann"]))
    )
    child = _spawn(haybale_command, openai_env, fake_server.base_url)
    child.expect_exact("> ")
    child.sendline("I am Ann")
    child.expect_exact("Hello Ann")
    child.expect_exact("> ")
    child.sendline("What is my name?")
    child.expect_exact("Your name is Ann")
    child.expect_exact("> ")
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert "Traceback" not in (child.before or "")
    second = fake_server.requests[1].json["messages"]
    assert second == [
        {"role": "user", "content": "I am Ann"},
        {"role": "assistant", "content": "Hello Ann"},
        {"role": "user", "content": "What is my name?"},
    ]


def test_ctrl_c_at_the_prompt_exits_cleanly(
    haybale_command: list[str], fake_server: Any, openai_env: dict[str, str]
) -> None:
    child = _spawn(haybale_command, openai_env, fake_server.base_url)
    child.expect_exact("> ")
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert "Traceback" not in (child.before or "")
    assert fake_server.requests == []
