"""Haystack components that run haybale's chat generators inside Haystack pipelines and agents.

Install with ``pip install "haybale[haystack]"``. Each class takes the init parameters of the
Haystack generator it stands for and exposes the same sockets, with Haystack's ChatMessage,
StreamingChunk, Tool and Secret; messages, tools, streamed chunks and replies are converted
between the two libraries at the component's edge. Saved pipelines name these classes under
``haystack_integrations``, which Haystack's default deserialization allowlist accepts.
"""

from haystack_integrations.components.generators.haybale.azure import HaybaleAzureOpenAIChatGenerator
from haystack_integrations.components.generators.haybale.openai import HaybaleOpenAIChatGenerator
from haystack_integrations.components.generators.haybale.openrouter import HaybaleOpenRouterChatGenerator

__all__ = ["HaybaleAzureOpenAIChatGenerator", "HaybaleOpenAIChatGenerator", "HaybaleOpenRouterChatGenerator"]
