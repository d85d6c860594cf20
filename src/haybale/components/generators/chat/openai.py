"""OpenAIChatGenerator: chat completions from OpenAI and every OpenAI-compatible server."""

from __future__ import annotations

import _thread
from typing import TYPE_CHECKING, Any, ClassVar

from haybale._wire.call import ChatClient, names_refused_field
from haybale._wire.endpoint import OpenAIEndpoint
from haybale._wire.providers import OPENAI, Provider
from haybale._wire.response_format import is_pydantic_model, response_format_to_wire
from haybale.components.generators.chat._checks import (
    as_messages,
    check_call_kwargs,
    check_flag,
    check_init,
    check_streamable,
    check_target,
    check_tools,
    check_url,
    env_number,
    env_url,
)
from haybale.core import component, default_from_dict, default_to_dict
from haybale.dataclasses import ChatMessage, ComponentInfo, StreamingCallbackT, select_streaming_callback
from haybale.tools import Toolset, ToolsType, deserialize_tools_or_toolset_inplace, serialize_tools_or_toolset
from haybale.utils import Secret, deserialize_callable, deserialize_secrets_inplace, serialize_callable

if TYPE_CHECKING:
    from haybale._wire.chat_stream import AsyncChatStream, ChatStream
    from haybale._wire.request import ChatRequest
    from haybale._wire.transport import Transport

# Warming up is rare, so one lock serves every generator (a lock per instance would stop generators
# from being deep-copied or pickled). Re-entrant because a tool's warm_up may warm another generator.
# Taken from _thread (what threading.RLock is) so importing a generator does not import threading.
_WARM_UP_LOCK = _thread.RLock()


@component
class OpenAIChatGenerator:
    """Generates chat replies with OpenAI models, or any server that speaks the Chat Completions API.

    Takes and returns ``ChatMessage`` objects. Generation parameters given at construction or per
    call in ``generation_kwargs`` are sent to the API as they are; see OpenAI's API reference.

    Usage::

        from haybale.components.generators.chat import OpenAIChatGenerator
        from haybale.dataclasses import ChatMessage

        generator = OpenAIChatGenerator(model="gpt-5-mini")
        reply = generator.run([ChatMessage.from_user("What is NLP?")])["replies"][0]

    Streaming, with a callback (sync in ``run``; sync or async in ``run_async``)::

        generator.run(messages, streaming_callback=print_streaming_chunk)

    or by iterating, which gives the same ``StreamingChunk``s and then the final reply::

        with generator.stream(messages) as stream:
            for chunk in stream:
                print(chunk.content, end="")
        reply = stream.reply

        async with generator.stream_async(messages) as stream:
            async for chunk in stream:
                ...

    A streamed reply equals the non-streamed one, plus ``meta["completion_start_time"]``. If a
    stream breaks, the ``APIError`` raised carries the reply received so far in ``error.partial``.

    With a pydantic model as ``response_format`` the reply text is validated against it; a reply
    that does not validate is still returned, with the error text in
    ``meta["structured_output_error"]`` (and a logged warning). A refusal is in ``meta["refusal"]``.
    Release connections with ``close()``/``close_async()`` or by using the generator as a
    (async) context manager.
    """

    _PROVIDER: ClassVar[Provider] = OPENAI  # its key variable is named in errors; subclasses set theirs

    #: Chat models known to work with this generator; not a limit (any model name is sent as given).
    SUPPORTED_MODELS: ClassVar[list[str]] = [
        "gpt-5",
        "gpt-5-mini",
        "gpt-5-nano",
        "gpt-5-pro",
        "gpt-5.1",
        "gpt-5.2",
        "gpt-5.2-pro",
        "gpt-5.4",
        "gpt-4.1",
        "gpt-4.1-mini",
        "gpt-4.1-nano",
        "gpt-4o",
        "gpt-4o-mini",
        "gpt-4-turbo",
        "gpt-4",
        "gpt-3.5-turbo",
    ]

    def __init__(
        self,
        api_key: Secret = Secret.from_env_var("OPENAI_API_KEY"),  # noqa: B008  (the documented default)
        model: str = "gpt-5-mini",
        streaming_callback: StreamingCallbackT | None = None,
        api_base_url: str | None = None,
        organization: str | None = None,
        generation_kwargs: dict[str, Any] | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        tools: ToolsType | None = None,
        tools_strict: bool = False,
        http_client_kwargs: dict[str, Any] | None = None,
    ) -> None:
        check_init(
            api_key,
            generation_kwargs,
            streaming_callback,
            timeout,
            max_retries,
            http_client_kwargs,
            key_env_var=self._PROVIDER.key_env_var,
        )
        check_target(model, api_base_url, organization, tools_strict)
        check_tools(tools)
        self.api_key = api_key
        self.model = model
        self.streaming_callback = streaming_callback
        self.api_base_url = api_base_url
        self.organization = organization
        self.generation_kwargs = dict(generation_kwargs or {})
        self.timeout = timeout
        self.max_retries = max_retries
        self.tools = tools
        self.tools_strict = tools_strict
        self.http_client_kwargs = http_client_kwargs
        self._client: ChatClient | None = None
        self._tools_warm = False
        self._server_rejects: set[str] = set()  # request fields the server refused (see ChatClient)

    # ---- hooks for provider subclasses -------------------------------------------------------

    def _make_endpoint(self) -> OpenAIEndpoint:
        """The endpoint this generator talks to. Subclasses for other providers override this."""
        check_url("api_base_url", self.api_base_url)
        base_url = self.api_base_url or env_url("OPENAI_BASE_URL") or str(OPENAI.default_url)
        return OpenAIEndpoint(base_url=base_url, api_key=self.api_key, organization=self.organization)

    def _make_transport(self, provider: str) -> Transport:
        from haybale._wire.transport import Transport

        return Transport(
            provider=provider,
            timeout=env_number("OPENAI_TIMEOUT", self.timeout, 30.0, float),
            max_retries=env_number("OPENAI_MAX_RETRIES", self.max_retries, 5, int),
            client_kwargs=self.http_client_kwargs,
            never_retry=names_refused_field,
        )

    # ---- lifecycle ---------------------------------------------------------------------------

    def warm_up(self) -> None:
        """Resolve the API key, prepare the HTTP client and warm the tools up (once; idempotent).

        Safe to call from several threads at once: they share one client.
        """
        if self._client is not None and self._tools_warm:
            return
        with _WARM_UP_LOCK:
            if self._client is None:
                endpoint = self._make_endpoint()
                endpoint.resolve()
                self._client = ChatClient(
                    endpoint,
                    self._make_transport(endpoint.provider),
                    ComponentInfo.from_component(self),
                    rejected=self._server_rejects,
                )
            if not self._tools_warm:
                if isinstance(self.tools, Toolset):
                    self.tools.warm_up()
                else:
                    for item in self.tools or ():
                        item.warm_up()
                self._tools_warm = True

    def close(self) -> None:
        """Close the HTTP connections; the next call opens new ones."""
        client, self._client = self._client, None
        if client is not None:
            client.transport.close()

    async def close_async(self) -> None:
        """Close the HTTP connections (async clients included); the next call opens new ones."""
        client, self._client = self._client, None
        if client is not None:
            await client.transport.aclose()

    def __enter__(self) -> OpenAIChatGenerator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> OpenAIChatGenerator:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close_async()

    # ---- calls -------------------------------------------------------------------------------

    @component.output_types(replies=list[ChatMessage])
    def run(
        self,
        messages: list[ChatMessage] | str,
        streaming_callback: StreamingCallbackT | None = None,
        generation_kwargs: dict[str, Any] | None = None,
        *,
        tools: ToolsType | None = None,
        tools_strict: bool | None = None,
    ) -> dict[str, list[ChatMessage]]:
        """Reply to ``messages`` (a list of ChatMessage, or one user message as a string)."""
        callback = select_streaming_callback(
            self.streaming_callback, streaming_callback, requires_async=False
        )
        prepared = self._prepare(
            messages, generation_kwargs, tools, tools_strict, stream=callback is not None
        )
        if prepared is None:
            return {"replies": []}
        client, request = prepared
        if callback is None:
            return {"replies": client.complete(request)}
        with client.stream(request) as stream:
            for chunk in stream:
                callback(chunk)
        return {"replies": stream.replies}

    @component.output_types(replies=list[ChatMessage])
    async def run_async(
        self,
        messages: list[ChatMessage] | str,
        streaming_callback: StreamingCallbackT | None = None,
        generation_kwargs: dict[str, Any] | None = None,
        *,
        tools: ToolsType | None = None,
        tools_strict: bool | None = None,
    ) -> dict[str, list[ChatMessage]]:
        """Like ``run``, awaitable; the callback may be sync or async."""
        callback = select_streaming_callback(self.streaming_callback, streaming_callback, requires_async=True)
        prepared = self._prepare(
            messages, generation_kwargs, tools, tools_strict, stream=callback is not None
        )
        if prepared is None:
            return {"replies": []}
        client, request = prepared
        if callback is None:
            return {"replies": await client.complete_async(request)}
        from inspect import iscoroutinefunction  # not at import time: inspect is costly to load

        is_async = iscoroutinefunction(callback)
        async with client.stream_async(request) as stream:
            async for chunk in stream:
                if is_async:
                    await callback(chunk)  # type: ignore[misc]
                else:
                    callback(chunk)
        return {"replies": stream.replies}

    def stream(
        self,
        messages: list[ChatMessage] | str,
        generation_kwargs: dict[str, Any] | None = None,
        *,
        tools: ToolsType | None = None,
        tools_strict: bool | None = None,
    ) -> ChatStream:
        """Stream a reply as an iterator of ``StreamingChunk``; ``.reply`` holds it at the end."""
        client, request = self._prepare_stream(messages, generation_kwargs, tools, tools_strict)
        return client.stream(request)

    def stream_async(
        self,
        messages: list[ChatMessage] | str,
        generation_kwargs: dict[str, Any] | None = None,
        *,
        tools: ToolsType | None = None,
        tools_strict: bool | None = None,
    ) -> AsyncChatStream:
        """Like ``stream``, as an async iterator (and async context manager)."""
        client, request = self._prepare_stream(messages, generation_kwargs, tools, tools_strict)
        return client.stream_async(request)

    def _prepare_stream(
        self, messages: Any, generation_kwargs: dict[str, Any] | None, tools: Any, tools_strict: bool | None
    ) -> tuple[ChatClient, ChatRequest]:
        prepared = self._prepare(messages, generation_kwargs, tools, tools_strict, stream=True)
        if prepared is None:
            raise ValueError("Nothing to stream: messages is empty. Pass at least one ChatMessage.")
        return prepared

    def _prepare(
        self,
        messages: Any,
        generation_kwargs: dict[str, Any] | None,
        tools: ToolsType | None,
        tools_strict: bool | None,
        *,
        stream: bool,
    ) -> tuple[ChatClient, ChatRequest] | None:
        chat = as_messages(messages)
        check_call_kwargs(generation_kwargs)
        check_flag("tools_strict", tools_strict, optional=True)
        if not chat:
            return None
        kwargs = (
            {**self.generation_kwargs, **generation_kwargs} if generation_kwargs else self.generation_kwargs
        )
        if stream:
            check_streamable(kwargs)
        self.warm_up()
        client = self._client
        if client is None:  # warm_up always sets it; this keeps the type checker informed
            raise RuntimeError("warm_up() did not create the HTTP client")
        request = client.prepare(
            chat,
            model=self.model,
            generation_kwargs=kwargs,
            tools=check_tools(self.tools if tools is None else tools),
            tools_strict=self.tools_strict if tools_strict is None else tools_strict,
            stream=stream,
        )
        return client, request

    # ---- serialization -----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """This generator as a dict (JSON-serializable; the API key only as an env reference)."""
        return default_to_dict(
            self,
            model=self.model,
            api_base_url=self.api_base_url,
            organization=self.organization,
            tools_strict=self.tools_strict,
            **self._serialized_common(),
        )

    def _serialized_common(self) -> dict[str, Any]:
        """The serialized init values all three chat generators share (their ``to_dict`` adds the rest)."""
        generation_kwargs = dict(self.generation_kwargs)
        response_format = generation_kwargs.get("response_format")
        if response_format is not None and is_pydantic_model(response_format):
            generation_kwargs["response_format"] = response_format_to_wire(response_format)
        callback = self.streaming_callback
        return {
            "streaming_callback": serialize_callable(callback) if callback else None,
            "generation_kwargs": generation_kwargs,
            "api_key": self.api_key.to_dict() if self.api_key is not None else None,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "tools": serialize_tools_or_toolset(self.tools),
            "http_client_kwargs": self.http_client_kwargs,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Any:
        """A generator from ``to_dict()`` output, or from the dict Haystack writes for it."""
        data = {**data, "init_parameters": dict(data.get("init_parameters") or {})}
        init = data["init_parameters"]
        deserialize_secrets_inplace(init, keys=["api_key"])
        deserialize_tools_or_toolset_inplace(init, key="tools")
        callback = init.get("streaming_callback")
        if isinstance(callback, str):
            init["streaming_callback"] = deserialize_callable(callback)
        return default_from_dict(cls, data)
