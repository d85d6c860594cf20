"""What the three Haystack components share: running a haybale generator with Haystack's types.

Each component keeps its init parameters as Haystack has them (Haystack Secrets, Tools, callbacks),
so ``to_dict``/``from_dict`` and pipeline YAML are Haystack's, and holds a haybale generator built
from them at construction, so bad arguments fail there, with haybale's messages. At run time the
messages go in converted to haybale's classes, and the replies and streamed chunks come back as
Haystack's; a Haystack-style callback receives Haystack ``StreamingChunk``s naming this component.
"""

from __future__ import annotations

import inspect
from typing import Any

from haystack import component, default_from_dict, default_to_dict
from haystack.dataclasses import ChatMessage, ComponentInfo, StreamingCallbackT, select_streaming_callback
from haystack.tools import ToolsType, deserialize_tools_or_toolset_inplace, serialize_tools_or_toolset
from haystack.utils import deserialize_callable, serialize_callable

import haybale.dataclasses as hb
from haybale._wire.response_format import is_pydantic_model, response_format_to_wire
from haybale.components.generators.chat import OpenAIChatGenerator
from haystack_integrations.components.generators.haybale._convert import (
    ToolConverter,
    check_tools,
    to_haybale_messages,
    to_haystack_chunk,
    to_haystack_message,
)


class HaybaleChatGeneratorBase:
    """The shared behaviour; each subclass sets ``_generator`` and its own init parameters."""

    _generator: OpenAIChatGenerator
    streaming_callback: StreamingCallbackT | None
    tools: ToolsType | None
    generation_kwargs: dict[str, Any]

    def _start(self, streaming_callback: Any, tools: Any) -> None:
        if streaming_callback is not None and not callable(streaming_callback):
            raise TypeError("streaming_callback must be a function that takes a StreamingChunk.")
        check_tools(tools)  # types and duplicate names fail now, not at the first run
        self._convert_tools = ToolConverter()
        self._convert_tools(tools)  # and so do schemas haybale cannot send

    # ---- lifecycle ---------------------------------------------------------------------------

    def warm_up(self) -> None:
        """Resolve the credentials and prepare the HTTP client (once)."""
        self._generator.warm_up()

    async def warm_up_async(self) -> None:
        """As ``warm_up``: one haybale client serves sync and async calls."""
        self._generator.warm_up()

    def close(self) -> None:
        """Close the HTTP connections; the next call opens new ones."""
        self._generator.close()

    async def close_async(self) -> None:
        """Close the HTTP connections, async ones included."""
        await self._generator.close_async()

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
        """Reply to ``messages`` through haybale; same arguments and result as Haystack's ``run``."""
        callback = select_streaming_callback(
            self.streaming_callback, streaming_callback, requires_async=False
        )
        forward = None
        if callback is not None:
            info = ComponentInfo.from_component(self)

            def forward(chunk: hb.StreamingChunk) -> None:
                callback(to_haystack_chunk(chunk, info))

        result = self._generator.run(
            to_haybale_messages(messages),
            streaming_callback=forward,
            generation_kwargs=generation_kwargs,
            tools=self._convert_tools(self.tools if tools is None else tools),
            tools_strict=tools_strict,
        )
        return {"replies": [to_haystack_message(reply) for reply in result["replies"]]}

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
        forward = None
        if callback is not None:
            info = ComponentInfo.from_component(self)

            async def forward(chunk: hb.StreamingChunk) -> None:
                outcome = callback(to_haystack_chunk(chunk, info))
                if inspect.isawaitable(outcome):
                    await outcome

        result = await self._generator.run_async(
            to_haybale_messages(messages),
            streaming_callback=forward,
            generation_kwargs=generation_kwargs,
            tools=self._convert_tools(self.tools if tools is None else tools),
            tools_strict=tools_strict,
        )
        return {"replies": [to_haystack_message(reply) for reply in result["replies"]]}

    # ---- serialization helpers ---------------------------------------------------------------

    def _to_dict(self, **init_parameters: Any) -> dict[str, Any]:
        """Haystack's dict for this component: ``init_parameters`` plus the ones every class has."""
        callback = self.streaming_callback
        generation_kwargs = dict(self.generation_kwargs)
        response_format = generation_kwargs.get("response_format")
        if response_format is not None and is_pydantic_model(response_format):
            generation_kwargs["response_format"] = response_format_to_wire(response_format)
        return default_to_dict(
            self,
            streaming_callback=serialize_callable(callback) if callback else None,
            generation_kwargs=generation_kwargs,
            tools=serialize_tools_or_toolset(self.tools),
            **init_parameters,
        )

    @classmethod
    def _from_dict(cls, data: dict[str, Any], callables: tuple[str, ...] = ("streaming_callback",)) -> Any:
        init = dict(data.get("init_parameters") or {})  # the caller's dict is left alone
        deserialize_tools_or_toolset_inplace(init, key="tools")
        for key in callables:
            if isinstance(init.get(key), str):
                init[key] = deserialize_callable(init[key])
        return default_from_dict(cls, {**data, "init_parameters": init})
