"""The OpenRouter endpoint: Bearer key, attribution headers, and the serving provider in meta.

Everything else OpenRouter adds is already handled by the shared code: its request fields
(``provider``, ``models``, ``route``, ``transforms``, ``reasoning``, ``usage``, ...) pass through
``generation_kwargs`` unchanged; ``reasoning``/``reasoning_details`` become ``ReasoningContent``;
usage (with ``cost``) is kept whole; SSE comments and errors inside a 200 stream are handled by
the stream reader.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from haybale._wire.endpoint import OpenAIEndpoint
from haybale._wire.providers import OPENROUTER, Provider
from haybale.utils import Secret


class OpenRouterEndpoint(OpenAIEndpoint):
    """OpenRouter's OpenAI-compatible API."""

    facts: Provider = OPENROUTER
    provider = OPENROUTER.name
    # The serving provider is named on every stream chunk, not only on non-streamed replies.
    inspects_chunks = True

    def __init__(
        self, *, base_url: str, api_key: Secret | None, extra_headers: Mapping[str, Any] | None = None
    ) -> None:
        # Header values must be strings on the wire; Haystack's signature allows any value.
        headers = {str(name): str(value) for name, value in (extra_headers or {}).items()}
        super().__init__(base_url=base_url, api_key=api_key, default_headers=headers)

    def reply_meta(self, payload: Mapping[str, Any]) -> dict[str, Any] | None:
        served_by = payload.get("provider")
        return {"provider": served_by} if served_by else None
