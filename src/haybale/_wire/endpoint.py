"""What differs between providers that speak the Chat Completions protocol.

An ``Endpoint`` belongs to one generator and answers every provider-specific question the shared
request/response code asks. ``OpenAIEndpoint`` is the base; a provider subclasses it and overrides
only the hooks it needs. The generator subclass then overrides ``_make_endpoint()`` to build its
endpoint (and, if its timeout/retry settings come from elsewhere, ``_make_transport(provider)``),
never ``run``/``run_async``. Both are called once, by ``warm_up()`` (or the first call).

Hooks (all cheap; called by the shared code in ``haybale._wire.call``):

- ``provider`` (class attribute): short name put on errors, e.g. ``"openai"``, ``"azure"``.
- ``resolve()``: called once by ``warm_up()``/first run; builds the headers shared by every request
  and asks ``_auth_headers()`` for the credential headers. A provider with another way to
  authenticate overrides only ``_auth_headers()``, raising ``ConfigurationError`` naming the
  setting to fix. Nothing is resolved at construction.
- ``url_for(path)``: the full URL to POST a protocol's path to (query string included, e.g.
  Azure's ``api-version``).
- ``headers()`` / ``headers_async()``: headers for ONE attempt. The transport calls them again on
  every retry, so a token provider (Azure AD) can hand out a fresh token each time.
  ``headers_async`` may await an async provider; by default it returns ``headers()``.
- ``secrets(sent)``: the credential values in the headers of one attempt (``sent`` is what
  ``headers()`` returned for it). The call (``call.SentCredentials``) removes them from any error it
  raises, so a server or proxy echoing the key never puts it in an error. The default finds the
  usual credential headers, including ones a user added to ``default_headers``.
- ``extra_body()``: fields added to every request body; the caller's ``generation_kwargs`` win.
- ``reply_meta(payload)``: extra meta taken from the top level of a completion or stream chunk
  (e.g. OpenRouter's serving ``provider``, Azure's ``prompt_filter_results``), merged into the
  meta of every reply. Return None when there is nothing.
- ``choice_meta(choice)``: extra meta taken from one choice (e.g. Azure's
  ``content_filter_results``), merged into that reply's meta. Return None when there is nothing.
- ``inspects_chunks`` (class attribute): set True to have ``reply_meta``/``choice_meta`` called
  for every stream chunk too. False by default so the per-chunk path costs nothing for OpenAI.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from haybale._wire.providers import OPENAI, Provider
from haybale.errors import ConfigurationError
from haybale.utils import Secret
from haybale.utils.auth import EnvVarSecret

# Headers whose values are credentials wherever they come from (our auth headers or a user's own).
CREDENTIAL_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "api-key", "x-api-key", "ocp-apim-subscription-key", "cookie"}
)


def secret_value(secret: Secret | None) -> str | None:
    """The secret's value now, without surrounding whitespace; None when it is absent or blank.

    Keys read from files (``export OPENAI_API_KEY=$(cat keyfile)``) end with a newline, which no
    HTTP header may hold; a strict env secret whose variable is unset counts as absent.
    """
    if secret is None:
        return None
    try:
        value = secret.resolve_value()
    except ValueError:
        return None
    return value.strip() or None if isinstance(value, str) else None


def secret_source(secret: Secret | None, parameter: str) -> str:
    """Where a secret's value came from, for messages: the variable that is set, or the parameter."""
    if isinstance(secret, EnvVarSecret):
        for name in secret.env_vars:
            if os.environ.get(name):
                return f"the environment variable {name}"
    return parameter


def header_safe(value: str, source: str) -> str:
    """``value`` if an HTTP header can carry it (printable ASCII), else a ``ConfigurationError``.

    The message names ``source`` and never the value: the value is usually a credential, and the
    HTTP stack would otherwise report it verbatim ("Illegal header value b'Bearer sk-...'").
    """
    if value.isascii() and value.isprintable():
        return value
    raise ConfigurationError(
        f"Cannot send the value from {source}: it holds a control character or a non-ASCII "
        "character, which an HTTP header cannot carry. Set it again without the stray character "
        "(a key pasted from a document or a file may bring one along)."
    )


def credential(secret: Secret | None, parameter: str) -> str | None:
    """The secret's value ready for a header (stripped and checked), or None when absent."""
    value = secret_value(secret)
    return None if value is None else header_safe(value, secret_source(secret, parameter))


class OpenAIEndpoint:
    """The OpenAI API (and every server that copies it): Bearer key, ``{base}/chat/completions``."""

    facts: Provider = OPENAI  # name, key variable, display name (``providers``)
    provider = OPENAI.name
    inspects_chunks = False

    def __init__(
        self,
        *,
        base_url: str,
        api_key: Secret | None,
        organization: str | None = None,
        default_headers: Mapping[str, str] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._organization = organization
        self._default_headers = dict(default_headers or {})
        self._headers: dict[str, str] | None = None

    def __repr__(self) -> str:  # never shows the key
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    def url_for(self, path: str) -> str:
        """The URL to POST a protocol's ``path`` (e.g. ``/chat/completions``) to."""
        return f"{self.base_url}{path}"

    def resolve(self) -> None:
        headers = {"Content-Type": "application/json", **self._default_headers}
        if self._organization:
            headers["OpenAI-Organization"] = self._organization
        headers.update(self._auth_headers())  # after the defaults, so they cannot replace credentials
        self._headers = headers

    def _auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._resolve_key()}"}

    def _resolve_key(self) -> str:
        key = credential(self._api_key, "api_key")
        if not key:
            # The variables this key is read from, which need not be the provider's usual one.
            names = getattr(self._api_key, "env_vars", None) or (self.facts.key_env_var,)
            raise ConfigurationError(
                f"No API key for {self.facts.display_name}: set {' or '.join(names)} or pass "
                "api_key=Secret.from_token(...)"
            )
        return key

    def headers(self) -> Mapping[str, str]:
        if self._headers is None:
            self.resolve()
        return self._headers  # type: ignore[return-value]  # set by resolve()

    async def headers_async(self) -> Mapping[str, str]:
        return self.headers()

    def secrets(self, sent: Mapping[str, str]) -> list[str]:
        found = []
        for name, value in sent.items():
            if name.lower() in CREDENTIAL_HEADERS:
                # "Bearer <token>": the token is the secret; the scheme stays readable
                scheme, _, token = value.partition(" ")
                found.append(token.strip() or scheme)
        return found

    def extra_body(self) -> Mapping[str, Any] | None:
        return None

    def reply_meta(self, payload: Mapping[str, Any]) -> dict[str, Any] | None:
        return None

    def choice_meta(self, choice: Mapping[str, Any]) -> dict[str, Any] | None:
        return None
