"""Stream assembly: chunk payloads -> ``StreamingChunk``s, and -> the final ``ChatMessage`` (pure).

``StreamAssembler.feed`` turns one SSE data payload into the StreamingChunk(s) for the callback
and keeps what it needs for the final reply. Normally that is one StreamingChunk per server
chunk; a server chunk that mixes kinds (reasoning and text, or text and tool calls) is split into
one StreamingChunk per kind, because a StreamingChunk carries one kind only.

Tolerated, because real servers do it (see DESIGN.md):

- tool name and id repeated in every delta (llama.cpp): set once, never concatenated;
- tool-call deltas without ``index`` (Ollama): a delta with an unseen id starts a new call, a
  delta without id continues the last call; one index reused by calls with different ids starts a
  new call too;
- arguments as ``"{}"`` followed by the whole object (Gemini), ``""`` for tools without
  parameters, invalid JSON (kept visible): see ``response.parse_arguments``;
- chunks with empty ``choices`` (Azure filter results, the usage chunk), choices without
  ``delta``, usage in any chunk (the last non-empty value wins), SSE comments (handled earlier);
- ``delta.content`` as a list of parts (Mistral): text parts are text, thinking parts reasoning,
  other parts kept in the reply's ``meta["other_content_parts"]`` (``response.split_content``);
- an ``error`` object inside a 200 stream (OpenRouter), or ``finish_reason: "error"``: raises
  ``APIResponseError`` whose ``partial`` is the reply assembled so far.

The per-chunk path stays flat: no logging, no copies, one clock read for the whole stream.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from jiter import from_json

from haybale._wire.response import parse_arguments, reasoning_from, split_content
from haybale.dataclasses import ChatMessage, ReasoningContent, StreamingChunk, ToolCall, ToolCallDelta
from haybale.errors import APIResponseError

if TYPE_CHECKING:
    from haybale._wire.endpoint import OpenAIEndpoint
    from haybale.dataclasses import ComponentInfo

_TEXT = "text"
_REASONING = "reasoning"
_JOINED_DETAIL_KEYS = ("text", "summary", "data")


class _Call:
    """One tool call being assembled."""

    __slots__ = ("block", "fragments", "id", "name", "position")

    def __init__(self, position: int, call_id: str | None, block: int) -> None:
        self.position = position
        self.id = call_id
        self.name: str | None = None
        self.fragments: list[Any] = []
        self.block = block


class StreamAssembler:
    """Consumes one stream's payloads; ``message()`` is the reply a non-streamed call returns."""

    def __init__(self, endpoint: OpenAIEndpoint, component_info: ComponentInfo | None) -> None:
        self._endpoint = endpoint
        self._inspect = endpoint.inspects_chunks
        self._info = component_info
        self._text: list[str] = []
        self._reasoning: list[str] = []
        self._details: list[dict[str, Any]] = []
        self._refusal: list[str] = []
        self._other_parts: list[Any] = []
        self._logprobs: dict[str, list[Any]] = {}
        self._calls: list[_Call] = []
        self._by_index: dict[Any, _Call] = {}
        self._by_id: dict[str, _Call] = {}
        self._extra: dict[str, Any] = {}
        self._block: object = None
        self._blocks = -1
        self._started: str | None = None
        self.model: str | None = None
        self.usage: Any = None
        self.finish_reason: str | None = None
        self.choice_index = 0

    # ---- per chunk -------------------------------------------------------------------------

    def feed(self, data: str) -> list[StreamingChunk]:
        """StreamingChunks for one SSE data payload (a JSON chunk)."""
        try:
            chunk = from_json(data.encode())
        except ValueError as error:
            raise self._error(
                f"The server sent a stream chunk that is not valid JSON ({error})", data
            ) from None
        if not isinstance(chunk, dict):
            raise self._error("The server sent a stream chunk that is not a JSON object", data)
        if self._started is None:
            self._started = datetime.now(UTC).isoformat()
        model = chunk.get("model")
        if model:
            self.model = model
        usage = chunk.get("usage")
        if usage:
            self.usage = usage
        if self._inspect:
            self._collect_meta(chunk)
        if chunk.get("error") is not None:
            raise self._stream_error(chunk["error"], chunk)
        choices = chunk.get("choices")
        if not choices:
            meta = {"model": model, "usage": usage} if usage else {"model": model}
            return [StreamingChunk(content="", meta=meta, component_info=self._info)]
        return self._feed_choice(choices[0], model, usage, chunk)

    def _feed_choice(
        self, choice: dict[str, Any], model: Any, usage: Any, chunk: Any
    ) -> list[StreamingChunk]:
        index = choice.get("index", 0)
        self.choice_index = index
        finish = choice.get("finish_reason")
        if finish:
            if finish == "error":
                raise self._stream_error(choice.get("error") or {"message": "finish_reason 'error'"}, chunk)
            self.finish_reason = finish
        if choice.get("logprobs"):
            self._add_logprobs(choice["logprobs"])
        meta = {"model": model, "index": index, "finish_reason": finish}
        if usage:
            meta["usage"] = usage
        delta = choice.get("delta")
        if not delta:
            return [StreamingChunk(content="", meta=meta, component_info=self._info, finish_reason=finish)]
        content = delta.get("content")
        calls = delta.get("tool_calls")
        reasoning = delta.get("reasoning_content") or delta.get("reasoning")
        if content is not None and not isinstance(content, str):
            content, thinking, others = split_content(content)
            reasoning = reasoning or thinking
            self._other_parts.extend(others)
        details = delta.get("reasoning_details")
        if delta.get("refusal"):
            self._refusal.append(delta["refusal"])
        if content and not calls and not reasoning and not details:  # the common case
            return [self._text_chunk(content, meta, finish)]
        out: list[StreamingChunk] = []
        if reasoning or details:
            out.append(self._reasoning_chunk(reasoning, details, meta))
        if calls:
            out.append(self._tool_chunk(calls, meta))
        if content:
            out.append(self._text_chunk(content, meta, None))
        if not out:
            return [StreamingChunk(content="", meta=meta, component_info=self._info, finish_reason=finish)]
        if finish:
            out[-1] = replace(out[-1], finish_reason=finish)
        return out

    def _text_chunk(self, content: str, meta: dict[str, Any], finish: Any) -> StreamingChunk:
        start = self._block is not _TEXT
        if start:
            self._block = _TEXT
            self._blocks += 1
        self._text.append(content)
        return StreamingChunk(
            content=content,
            meta=meta,
            component_info=self._info,
            index=self._blocks,
            start=start,
            finish_reason=finish,
        )

    def _reasoning_chunk(self, text: Any, details: Any, meta: dict[str, Any]) -> StreamingChunk:
        start = self._block is not _REASONING
        if start:
            self._block = _REASONING
            self._blocks += 1
        text = text if isinstance(text, str) else ""
        self._reasoning.append(text)
        if details and isinstance(details, list):
            self._merge_details(details)
            extra: dict[str, Any] = {"reasoning_details": details}
        else:
            extra = {}
        reasoning = ReasoningContent(reasoning_text=text, extra=extra)
        return StreamingChunk(
            content="",
            meta=meta,
            component_info=self._info,
            index=self._blocks,
            start=start,
            reasoning=reasoning,
        )

    def _tool_chunk(self, calls: list[Any], meta: dict[str, Any]) -> StreamingChunk:
        deltas: list[ToolCallDelta] = []
        start = False
        first_block: int | None = None
        for raw in calls:
            call, new = self._call_for(raw)
            start = start or new
            if first_block is None:
                first_block = call.block
            function = raw.get("function") or {}
            name = function.get("name")
            arguments = function.get("arguments")
            new_name = name if name and call.name is None else None
            if new_name:
                call.name = new_name
            if arguments:
                call.fragments.append(arguments)
            text_args = arguments if arguments and isinstance(arguments, str) else None
            if new or new_name or text_args:
                deltas.append(
                    ToolCallDelta(
                        index=call.position,
                        tool_name=new_name,
                        arguments=text_args,
                        id=call.id if new else None,
                    )
                )
        if not deltas:  # only repeated names/ids: nothing new to report
            return StreamingChunk(content="", meta=meta, component_info=self._info)
        return StreamingChunk(
            content="",
            meta=meta,
            component_info=self._info,
            index=first_block,
            start=start,
            tool_calls=deltas,
        )

    def _call_for(self, raw: dict[str, Any]) -> tuple[_Call, bool]:
        key = raw.get("index")
        call_id = raw.get("id") or None
        call = self._by_index.get(key) if key is not None else None
        if call_id and (call is None or (call.id and call.id != call_id)):
            call = self._by_id.get(call_id)
        elif call is None and key is None and self._calls and not call_id:
            call = self._calls[-1]  # Ollama: no index and no id continues the last call
        if call is not None:
            if call_id and not call.id:
                call.id = call_id
                self._by_id[call_id] = call
            return call, False
        self._blocks += 1
        call = _Call(len(self._calls), call_id, self._blocks)
        self._block = call
        self._calls.append(call)
        if key is not None:
            self._by_index[key] = call
        if call_id:
            self._by_id[call_id] = call
        return call, True

    def _merge_details(self, details: list[Any]) -> None:
        # OpenRouter streams each reasoning detail in pieces that share type and index.
        for detail in details:
            if not isinstance(detail, dict):
                continue
            last = self._details[-1] if self._details else None
            if (
                last is None
                or last.get("index") != detail.get("index")
                or last.get("type") != detail.get("type")
            ):
                self._details.append(dict(detail))
                continue
            for key, value in detail.items():
                if key in _JOINED_DETAIL_KEYS and isinstance(value, str) and isinstance(last.get(key), str):
                    last[key] += value
                elif value is not None:
                    last[key] = value

    def _add_logprobs(self, logprobs: Any) -> None:
        if isinstance(logprobs, dict):
            for key, value in logprobs.items():
                if isinstance(value, list):
                    self._logprobs.setdefault(key, []).extend(value)

    def _collect_meta(self, chunk: dict[str, Any]) -> None:
        extra = self._endpoint.reply_meta(chunk)
        if extra:
            self._extra.update(extra)
        for choice in chunk.get("choices") or ():
            choice_extra = self._endpoint.choice_meta(choice)
            if choice_extra:
                self._extra.update(choice_extra)

    # ---- errors ----------------------------------------------------------------------------

    def _error(self, message: str, body: Any) -> APIResponseError:
        return APIResponseError(
            message,
            body=body[:2000] if isinstance(body, str) else body,
            provider=self._endpoint.provider,
            partial=self.partial(),
        )

    def _stream_error(self, error: Any, chunk: Any) -> APIResponseError:
        if isinstance(error, dict):
            code = error.get("code")
            text = f"{error.get('message') or error}" + (f" (code {code})" if code is not None else "")
        else:
            text = str(error)
        return self._error(f"The server reported an error inside the stream: {text}", chunk)

    # ---- the reply -------------------------------------------------------------------------

    @property
    def received_anything(self) -> bool:
        return self._started is not None

    def message(self) -> ChatMessage:
        """The reply assembled from everything fed so far."""
        return self._build(warn=True)

    def partial(self) -> ChatMessage | None:
        """The reply so far, for an error raised mid-stream (None before the first chunk).

        When the shape that broke the stream also breaks building the whole reply (a tool name
        that is not a string, say), the text and reasoning received are still returned.
        """
        if self._started is None:
            return None
        try:
            return self._build(warn=False)
        except Exception:
            return ChatMessage.from_assistant(
                text="".join(self._text) or None,
                meta={"model": self.model, "finish_reason": self.finish_reason, "usage": self.usage},
                reasoning=reasoning_from("".join(self._reasoning), None),
            )

    def _build(self, *, warn: bool) -> ChatMessage:
        meta: dict[str, Any] = {
            "model": self.model,
            "index": self.choice_index,
            "finish_reason": self.finish_reason,
            "completion_start_time": self._started,
            "usage": self.usage,
        }
        if self._logprobs:
            meta["logprobs"] = self._logprobs
        if self._refusal:
            meta["refusal"] = "".join(self._refusal)
        if self._other_parts:
            meta["other_content_parts"] = self._other_parts
        meta.update(self._extra)
        calls = []
        for call in self._calls:
            arguments, extra = parse_arguments(call.fragments, call.name or "", warn=warn)
            calls.append(ToolCall(tool_name=call.name or "", arguments=arguments, id=call.id, extra=extra))
        return ChatMessage.from_assistant(
            text="".join(self._text) or None,
            meta=meta,
            tool_calls=calls or None,
            reasoning=reasoning_from("".join(self._reasoning), self._details),
        )
