"""``haybale chat`` as a subprocess against the scripted OpenAI-compatible fake server."""

from __future__ import annotations

import json
from typing import Any

from fake_server import Reply
from payloads import completion, text_chunks
from processes import RunCli

USAGE = {"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12}


def test_streams_the_reply_to_stdout(run_cli: RunCli, fake_server: Any, openai_env: dict[str, str]) -> None:
    fake_server.script(Reply.sse(text_chunks(["Hel", "lo", " world"])))
    result = run_cli("chat", "Hi", "--provider", "openai", "--base-url", fake_server.base_url, env=openai_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Hello world\n"
    assert result.stderr == ""  # the provider was asked for: no need to say which one is used
    body = fake_server.requests[0].json
    assert body["stream"] is True
    assert body["messages"] == [{"role": "user", "content": "Hi"}]


def test_base_url_comes_from_the_environment(
    run_cli: RunCli, fake_server: Any, openai_env: dict[str, str]
) -> None:
    fake_server.script(Reply.sse(text_chunks(["ok"])))
    result = run_cli("chat", "Hi", env={**openai_env, "OPENAI_BASE_URL": fake_server.base_url})
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ok\n"
    assert result.stderr == f"haybale: using openai (model gpt-5-mini) at {fake_server.base_url}\n"


def test_quiet_drops_the_provider_note(run_cli: RunCli, fake_server: Any, openai_env: dict[str, str]) -> None:
    fake_server.script(Reply.sse(text_chunks(["ok"])), Reply.sse(text_chunks(["ok"])))
    env = {**openai_env, "OPENAI_BASE_URL": fake_server.base_url}
    for flag in ("--quiet", "-q"):
        result = run_cli("chat", "Hi", flag, env=env)
        assert result.returncode == 0, result.stderr
        assert (result.stdout, result.stderr) == ("ok\n", "")


def test_options_reach_the_request(run_cli: RunCli, fake_server: Any, openai_env: dict[str, str]) -> None:
    fake_server.script(Reply.json(completion("Fine.")))
    result = run_cli(
        "chat", "How are you?", "--base-url", fake_server.base_url, "--model", "my-model", "--system",
        "Be brief.", "--temperature", "0.5", "--max-tokens", "7", "--no-stream", env=openai_env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Fine.\n"
    body = fake_server.requests[0].json
    assert body["model"] == "my-model"
    assert body["temperature"] == 0.5
    assert body["max_tokens"] == 7
    assert not body.get("stream")
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "How are you?"},
    ]


def test_json_output_holds_the_whole_reply(
    run_cli: RunCli, fake_server: Any, openai_env: dict[str, str]
) -> None:
    fake_server.script(Reply.json(completion("Hi there", model="gpt-x", usage=USAGE)))
    result = run_cli(
        "chat", "Hi", "--base-url", fake_server.base_url, "--json", "--no-stream", env=openai_env
    )
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert output["text"] == "Hi there"
    assert output["tool_calls"] == []
    assert output["reasoning"] is None
    assert output["provider"] == "openai"
    assert output["meta"]["usage"] == USAGE
    assert output["meta"]["finish_reason"] == "stop"
    assert output["meta"]["timings"]["total_s"] >= 0


def test_json_output_of_a_streamed_reply(
    run_cli: RunCli, fake_server: Any, openai_env: dict[str, str]
) -> None:
    fake_server.script(Reply.sse(text_chunks(["a", "b", "c"])))
    result = run_cli("chat", "Hi", "--base-url", fake_server.base_url, "--json", env=openai_env)
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert output["text"] == "abc"
    assert "first_chunk_s" in output["meta"]["timings"]
    assert "completion_start_time" in output["meta"]


def test_piped_stdin_is_appended_to_the_prompt(
    run_cli: RunCli, fake_server: Any, openai_env: dict[str, str]
) -> None:
    fake_server.script(Reply.sse(text_chunks(["short"])), Reply.sse(text_chunks(["alone"])))
    first = run_cli(
        "chat", "Summarize:", "--base-url", fake_server.base_url, env=openai_env, stdin="a long text\n"
    )
    second = run_cli("chat", "--base-url", fake_server.base_url, env=openai_env, stdin="only stdin\n")
    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    assert (first.stdout, second.stdout) == ("short\n", "alone\n")
    contents = [request.json["messages"][-1]["content"] for request in fake_server.requests]
    assert contents == ["Summarize:\n\na long text", "only stdin"]


def test_tool_calls_are_printed(run_cli: RunCli, fake_server: Any, openai_env: dict[str, str]) -> None:
    body = completion(None, finish_reason="tool_calls")
    body["choices"][0]["message"]["tool_calls"] = [
        {"id": "c1", "type": "function", "function": {"name": "lookup", "arguments": '{"q": "x"}'}}
    ]
    fake_server.script(Reply.json(body), Reply.json(body))
    plain = run_cli("chat", "Go", "--base-url", fake_server.base_url, "--no-stream", env=openai_env)
    as_json = run_cli(
        "chat", "Go", "--base-url", fake_server.base_url, "--no-stream", "--json", env=openai_env
    )
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout == '[tool call] lookup({"q": "x"})\n'
    assert json.loads(as_json.stdout)["tool_calls"] == [
        {"id": "c1", "tool_name": "lookup", "arguments": {"q": "x"}}
    ]


def test_a_reader_that_goes_away_ends_the_command_quietly(
    haybale_command: list[str], fake_server: Any, openai_env: dict[str, str]
) -> None:
    # `haybale chat ... | head -c 5`: the pipe closes while the reply still streams.
    import subprocess

    fake_server.script(Reply.sse(text_chunks(["word "] * 2000)))
    command = [*haybale_command, "chat", "Hi", "--provider", "openai", "--base-url", fake_server.base_url]
    process = subprocess.Popen(command, env=openai_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None
    assert process.stderr is not None
    assert process.stdout.read(5) == b"word "
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=30) == 141
    assert "Traceback" not in stderr
    assert "BrokenPipeError" not in stderr
