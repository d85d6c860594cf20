"""Secret: resolution, Haystack's dict format, and the token never leaking."""

from __future__ import annotations

import copy
import pickle

import pytest

from haybale.errors import ConfigurationError, DeserializationError, SerializationError
from haybale.utils import Secret, SecretType, deserialize_secrets_inplace

TOKEN = "sk-super-secret-value"


def test_token_secret_resolves_and_reports_its_type() -> None:
    secret = Secret.from_token(TOKEN)
    assert secret.resolve_value() == TOKEN
    assert secret.type is SecretType.TOKEN


@pytest.mark.parametrize("render", [repr, str, lambda s: f"{s}", lambda s: f"{s!r}", lambda s: f"{[s]}"])
def test_token_never_appears_when_rendered(render: object) -> None:
    secret = Secret.from_token(TOKEN)
    assert TOKEN not in render(secret)  # type: ignore[operator]


def test_token_refuses_to_serialize_and_says_what_to_use() -> None:
    with pytest.raises(SerializationError) as info:
        Secret.from_token(TOKEN).to_dict()
    message = str(info.value)
    assert TOKEN not in message
    assert "Secret.from_env_var(" in message


def test_token_secret_can_be_copied_and_pickled_without_losing_the_value() -> None:
    secret = Secret.from_token(TOKEN)
    assert copy.deepcopy(secret).resolve_value() == TOKEN
    assert pickle.loads(pickle.dumps(secret)) == secret


def test_equality_and_hashing() -> None:
    assert Secret.from_token("a") == Secret.from_token("a")
    assert Secret.from_token("a") != Secret.from_token("b")
    assert Secret.from_env_var("X") == Secret.from_env_var(["X"])
    assert Secret.from_env_var("X") != Secret.from_env_var("X", strict=False)
    assert Secret.from_token("X") != Secret.from_env_var("X")
    assert len({Secret.from_env_var("X"), Secret.from_env_var(["X"]), Secret.from_token("t")}) == 2


def test_empty_token_is_rejected() -> None:
    with pytest.raises(ConfigurationError, match="non-empty"):
        Secret.from_token("")


@pytest.mark.parametrize("names", [[], "", [""], ["OK", ""]])
def test_empty_env_var_names_are_rejected(names: str | list[str]) -> None:
    with pytest.raises(ConfigurationError, match="at least one non-empty variable name"):
        Secret.from_env_var(names)


def test_env_secret_reads_the_first_set_variable_at_resolve_time(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = Secret.from_env_var(["FIRST_KEY", "SECOND_KEY"])
    monkeypatch.delenv("FIRST_KEY", raising=False)
    monkeypatch.setenv("SECOND_KEY", "two")
    assert secret.resolve_value() == "two"
    monkeypatch.setenv("FIRST_KEY", "one")
    assert secret.resolve_value() == "one"
    assert secret.type is SecretType.ENV_VAR


def test_strict_env_secret_names_the_variables_and_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HB_MISSING_A", raising=False)
    monkeypatch.delenv("HB_MISSING_B", raising=False)
    with pytest.raises(ConfigurationError) as info:
        Secret.from_env_var(["HB_MISSING_A", "HB_MISSING_B"]).resolve_value()
    message = str(info.value)
    assert "HB_MISSING_A" in message
    assert "HB_MISSING_B" in message
    assert "export HB_MISSING_A=" in message
    assert isinstance(info.value, ValueError)  # Haystack-style code catches ValueError


def test_non_strict_env_secret_returns_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HB_MISSING_A", raising=False)
    assert Secret.from_env_var("HB_MISSING_A", strict=False).resolve_value() is None


def test_env_secret_repr_names_variables_but_not_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HB_KEY", TOKEN)
    text = repr(Secret.from_env_var("HB_KEY"))
    assert "HB_KEY" in text
    assert TOKEN not in text


def test_env_secret_round_trips_in_haystacks_format() -> None:
    secret = Secret.from_env_var(["A", "B"], strict=False)
    data = secret.to_dict()
    assert data == {"type": "env_var", "env_vars": ["A", "B"], "strict": False}
    assert Secret.from_dict(data) == secret


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({"type": "token", "token": "x"}, "token Secret cannot be read"),
        ({"type": "nope"}, "Unknown secret type"),
        ({"env_vars": ["A"]}, "'type' key"),
        ({"type": "env_var", "env_vars": "A"}, "list of variable names"),
    ],
)
def test_from_dict_rejects_bad_data(data: dict[str, object], match: str) -> None:
    with pytest.raises(DeserializationError, match=match):
        Secret.from_dict(data)


def test_deserialize_secrets_inplace_converts_named_keys_only() -> None:
    data = {
        "api_key": {"type": "env_var", "env_vars": ["K"], "strict": True},
        "other": {"type": "env_var", "env_vars": ["O"], "strict": True},
        "none_key": None,
    }
    deserialize_secrets_inplace(data, keys=["api_key", "none_key"])
    assert data["api_key"] == Secret.from_env_var("K")
    assert data["other"] == {"type": "env_var", "env_vars": ["O"], "strict": True}
    assert data["none_key"] is None


def test_deserialize_secrets_inplace_recursive_reaches_nested_dicts() -> None:
    data = {"outer": {"inner": {"api_key": {"type": "env_var", "env_vars": ["K"], "strict": False}}}}
    deserialize_secrets_inplace(data, keys=["api_key"])
    assert isinstance(data["outer"]["inner"]["api_key"], dict)  # not recursive by default
    deserialize_secrets_inplace(data, keys=["api_key"], recursive=True)
    assert data["outer"]["inner"]["api_key"] == Secret.from_env_var("K", strict=False)
