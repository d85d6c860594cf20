"""Pick the provider and build its chat generator (imported only when that provider is used)."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from haybale._wire.providers import PROVIDERS
from haybale.cli._errors import Target
from haybale.errors import CommandError, UsageError

if TYPE_CHECKING:
    from haybale.components.generators.chat import OpenAIChatGenerator

LOCAL_KEY_VARIABLE = "HAYBALE_LOCAL_MODEL_KEY"


def choose_provider(requested: str | None, env: Mapping[str, str]) -> str:
    """The requested provider, else the first one whose credentials are set, else the local model."""
    if requested:
        return requested
    for provider in PROVIDERS.values():
        if any(env.get(name) for name in provider.credential_env_vars):
            return provider.name
    return "local"


def _require_key(provider: str, env: Mapping[str, str]) -> None:
    variables = PROVIDERS[provider].credential_env_vars
    if not any(env.get(name) for name in variables):
        raise CommandError(
            f"no API key for {provider}: set {' or '.join(variables)}, "
            "or use --provider local for the embedded model"
        )


def _generation_kwargs(
    provider: str, base_url: str | None, temperature: float | None, max_tokens: int | None
) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    if temperature is not None:
        kwargs["temperature"] = temperature
    if max_tokens is not None:
        # OpenAI's own reasoning models reject max_tokens; compatible servers often only know max_tokens.
        official = provider == "azure" or (provider == "openai" and base_url is None)
        kwargs["max_completion_tokens" if official else "max_tokens"] = max_tokens
    return kwargs


def generator_from_args(
    args: argparse.Namespace, stack: contextlib.ExitStack
) -> tuple[OpenAIChatGenerator, Target]:
    """The warmed-up generator the provider options of any command describe (see ``build_generator``)."""
    return build_generator(
        choose_provider(args.provider, os.environ),
        model=args.model,
        base_url=args.base_url,
        temperature=args.temperature,
        max_tokens=args.max_tokens,
        stack=stack,
        quiet=args.quiet,
    )


def build_generator(
    provider: str,
    *,
    model: str | None,
    base_url: str | None,
    temperature: float | None,
    max_tokens: int | None,
    stack: contextlib.ExitStack,
    quiet: bool = False,
) -> tuple[OpenAIChatGenerator, Target]:
    """A warmed-up generator for ``provider``; resources it needs (the local server) live on ``stack``.

    ``quiet`` drops the progress note printed while the local model starts.
    """
    env = os.environ
    if provider != "local":
        _require_key(provider, env)
    if provider == "local" and base_url is not None:
        raise UsageError("--base-url does not apply to --provider local; use --provider openai with it")
    if provider == "openai":
        base_url = base_url or env.get("OPENAI_BASE_URL") or None
    kwargs: dict[str, Any] = {
        "generation_kwargs": _generation_kwargs(provider, base_url, temperature, max_tokens),
    }
    if provider == "local":
        generator, target = _local(model, kwargs, stack, quiet)
    else:
        generator = _remote(provider, model, base_url, kwargs)
        key_env = PROVIDERS[provider].key_env_var
        target = Target(provider, model or getattr(generator, "model", None), base_url, key_env)
    stack.callback(generator.close)
    generator.warm_up()
    return generator, target


def _local(
    model: str | None, kwargs: dict[str, Any], stack: contextlib.ExitStack, quiet: bool
) -> tuple[OpenAIChatGenerator, Target]:
    from haybale.components.generators.chat import OpenAIChatGenerator
    from haybale.local import LocalModelServer
    from haybale.utils import Secret

    if not quiet:
        print(
            "haybale: starting the local model (SmolLM2-135M via llama-cpp-python)...",
            file=sys.stderr,
            flush=True,
        )
    server = stack.enter_context(LocalModelServer(die_with_parent=True))
    name = model or server.model
    # llama-cpp-python's server checks no key, but the client always sends one. It is read from
    # this process's environment so that the generator serializes (``batch --ray`` rebuilds it in
    # workers, which inherit the variable).
    os.environ.setdefault(LOCAL_KEY_VARIABLE, "local-no-key")
    generator = OpenAIChatGenerator(
        api_key=Secret.from_env_var(LOCAL_KEY_VARIABLE), model=name, api_base_url=server.base_url, **kwargs
    )
    return generator, Target("local", name, server.base_url, None)


def _remote(
    provider: str, model: str | None, base_url: str | None, kwargs: dict[str, Any]
) -> OpenAIChatGenerator:
    if model:
        kwargs["azure_deployment" if provider == "azure" else "model"] = model
    if provider == "openai":
        kwargs["api_base_url"] = base_url
    # Looked up by name so the CLI keeps working while a provider's class is absent from an install.
    class_name = PROVIDERS[provider].generator
    try:
        module = importlib.import_module("haybale.components.generators.chat")
        generator_class = getattr(module, class_name)
    except (ImportError, AttributeError) as error:
        raise CommandError(
            f"the {provider} provider is not available in this haybale install ({error})"
        ) from None
    generator: OpenAIChatGenerator = generator_class(**kwargs)
    return generator
