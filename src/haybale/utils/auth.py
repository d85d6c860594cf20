"""Secrets: API keys held either as a raw token or as a reference to environment variables.

Only the environment-variable form can be written to a dict; a raw token refuses, so a key can
never end up in a saved pipeline by accident. Neither form ever shows its value in ``repr``/``str``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from enum import Enum
from typing import Any

from haybale.errors import ConfigurationError, DeserializationError, SerializationError


class SecretType(Enum):
    """Where a Secret's value comes from."""

    TOKEN = "token"  # noqa: S105  (a kind of secret, not a secret)
    ENV_VAR = "env_var"

    def __str__(self) -> str:
        return self.value

    @staticmethod
    def from_str(string: str) -> SecretType:
        """The member whose value is ``string``; a ``DeserializationError`` for anything else."""
        for member in SecretType:
            if member.value == string:
                return member
        known = ", ".join(repr(m.value) for m in SecretType)
        raise DeserializationError(f"Unknown secret type {string!r}: expected one of {known}.")


class Secret:
    """A credential, built with ``Secret.from_token(...)`` or ``Secret.from_env_var(...)``."""

    __slots__ = ()

    @staticmethod
    def from_token(token: str) -> Secret:
        """A secret holding ``token`` itself (cannot be serialized)."""
        return TokenSecret(token)

    @staticmethod
    def from_env_var(env_vars: str | list[str], *, strict: bool = True) -> Secret:
        """A secret read from the first set variable of ``env_vars`` when it is resolved.

        With ``strict`` (the default) resolving raises if none is set; otherwise it returns None.
        """
        names = [env_vars] if isinstance(env_vars, str) else env_vars
        return EnvVarSecret(names, strict=strict)

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> Secret:
        """The secret described by ``to_dict()`` output (only the env-var form can be read)."""
        if not isinstance(data, Mapping) or "type" not in data:
            raise DeserializationError(
                f"A serialized Secret must be a dict with a 'type' key, got {type(data).__name__}: "
                "write it as {'type': 'env_var', 'env_vars': ['MY_KEY'], 'strict': True}."
            )
        kind = SecretType.from_str(str(data["type"]))
        if kind is SecretType.TOKEN:
            raise DeserializationError(
                "A token Secret cannot be read from a dict (tokens are never serialized): "
                "use {'type': 'env_var', 'env_vars': [...]} and set the variable instead."
            )
        env_vars = data.get("env_vars")
        if not isinstance(env_vars, list) or not all(isinstance(v, str) for v in env_vars):
            raise DeserializationError(
                "A serialized env_var Secret needs 'env_vars': a list of variable names, "
                f"got {type(env_vars).__name__}."
            )
        return EnvVarSecret(env_vars, strict=bool(data.get("strict", True)))

    @property
    def type(self) -> SecretType:
        """Whether this secret is a token or an env-var reference."""
        raise NotImplementedError

    def resolve_value(self) -> str | None:
        """The secret's value now (env vars are read at each call)."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """This secret as a JSON-compatible dict (env-var secrets only)."""
        raise NotImplementedError


class TokenSecret(Secret):
    """A secret holding its value directly. Never serialized, never shown."""

    __slots__ = ("_token",)

    def __init__(self, token: str) -> None:
        if not isinstance(token, str) or not token:
            raise ConfigurationError(
                "Secret.from_token() needs a non-empty string; "
                "to read the key from the environment use Secret.from_env_var('NAME')."
            )
        self._token = token

    @property
    def type(self) -> SecretType:
        return SecretType.TOKEN

    def resolve_value(self) -> str:
        return self._token

    def to_dict(self) -> dict[str, Any]:
        raise SerializationError(
            "A Secret created with Secret.from_token() cannot be serialized, so the key never ends up "
            "in a saved file: use Secret.from_env_var('NAME') instead and set that variable."
        )

    def __repr__(self) -> str:
        return "Secret.from_token('***')"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TokenSecret):
            return NotImplemented
        import hmac  # lazily: it pulls in OpenSSL's hashlib, ~5 ms at import

        # constant time, so comparing keys cannot be used to guess one
        return hmac.compare_digest(self._token.encode(), other._token.encode())

    def __hash__(self) -> int:
        return hash((TokenSecret, self._token))


class EnvVarSecret(Secret):
    """A secret read from the first set variable of a list of environment variables."""

    __slots__ = ("_env_vars", "_strict")

    def __init__(self, env_vars: Iterable[str], *, strict: bool = True) -> None:
        names = tuple(env_vars) if not isinstance(env_vars, str) else (env_vars,)
        if not names or not all(isinstance(n, str) and n for n in names):
            raise ConfigurationError(
                "Secret.from_env_var() needs at least one non-empty variable name, "
                "e.g. Secret.from_env_var('OPENAI_API_KEY') or Secret.from_env_var(['A', 'B'])."
            )
        self._env_vars = names
        self._strict = strict

    @property
    def type(self) -> SecretType:
        return SecretType.ENV_VAR

    @property
    def env_vars(self) -> tuple[str, ...]:
        """The variable names, tried in order."""
        return self._env_vars

    @property
    def strict(self) -> bool:
        """Whether resolving raises when none of the variables is set."""
        return self._strict

    def resolve_value(self) -> str | None:
        for name in self._env_vars:
            value = os.environ.get(name)
            if value:
                return value
        if self._strict:
            names = ", ".join(self._env_vars)
            raise ConfigurationError(
                f"None of the environment variables {names} is set: export {self._env_vars[0]}=<value>, "
                "or pass Secret.from_env_var(..., strict=False) to allow a missing value."
            )
        return None

    def to_dict(self) -> dict[str, Any]:
        return {"type": SecretType.ENV_VAR.value, "env_vars": list(self._env_vars), "strict": self._strict}

    def __repr__(self) -> str:
        return f"Secret.from_env_var({list(self._env_vars)!r}, strict={self._strict})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EnvVarSecret):
            return NotImplemented
        return (self._env_vars, self._strict) == (other._env_vars, other._strict)

    def __hash__(self) -> int:
        return hash((EnvVarSecret, self._env_vars, self._strict))


def deserialize_secrets_inplace(data: dict[str, Any], keys: Iterable[str], recursive: bool = False) -> None:
    """Replace the serialized secrets under ``keys`` in ``data`` with Secret objects.

    ``None`` values are left alone. With ``recursive``, nested dicts are searched too.
    """
    wanted = set(keys)
    for key, value in data.items():
        if recursive and isinstance(value, dict) and key not in wanted:
            deserialize_secrets_inplace(value, wanted, recursive=True)
        elif key in wanted and value is not None and not isinstance(value, Secret):
            data[key] = Secret.from_dict(value)
