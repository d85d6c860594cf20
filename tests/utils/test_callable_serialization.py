"""serialize_callable / deserialize_callable, including the import allowlist."""

from __future__ import annotations

import asyncio
import inspect
import sys
from pathlib import Path
from typing import Any

import pytest

from haybale.core._imports import ALLOWLIST_ENV_VAR
from haybale.errors import DeserializationError, SerializationError, UnsafeImportError
from haybale.tools import tool
from haybale.utils import Secret, deserialize_callable, serialize_callable
from haybale.utils.auth import EnvVarSecret


@tool
def doubled(x: int) -> int:
    """Twice x."""
    return 2 * x


@tool
async def fetched(url: str) -> str:
    """Fetch a URL."""
    return f"body of {url}"


def module_level(x: int) -> int:
    return x


class Holder:
    @staticmethod
    def static(x: int) -> int:
        return x

    @classmethod
    def klass(cls, x: int) -> int:
        return x

    def method(self) -> None:
        return None


def test_serializes_functions_static_and_class_methods_and_builtins() -> None:
    here = __name__
    assert serialize_callable(module_level) == f"{here}.module_level"
    assert serialize_callable(Holder.static) == f"{here}.Holder.static"
    assert serialize_callable(Holder.klass) == f"{here}.Holder.klass"
    assert serialize_callable(print) == "builtins.print"
    assert serialize_callable(len) == "builtins.len"


def test_round_trips_callables_from_an_allowed_module(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ALLOWLIST_ENV_VAR, __name__)
    assert deserialize_callable(serialize_callable(module_level)) is module_level
    assert deserialize_callable(serialize_callable(Holder.static)) is Holder.static
    assert deserialize_callable(serialize_callable(Holder.klass))(3) == 3


def test_haybale_callables_need_no_allowlist() -> None:
    assert deserialize_callable("haybale.utils.auth.Secret.from_env_var") is Secret.from_env_var
    assert deserialize_callable("haybale.utils.Secret") is Secret
    assert deserialize_callable("haybale.utils.auth.EnvVarSecret") is EnvVarSecret


def test_safe_builtins_load_but_dangerous_ones_are_refused() -> None:
    assert deserialize_callable("builtins.print") is print
    for name in ("eval", "exec", "open", "__import__", "compile", "getattr"):
        with pytest.raises(UnsafeImportError, match=f"{ALLOWLIST_ENV_VAR}=builtins"):
            deserialize_callable(f"builtins.{name}")


def test_lambda_is_refused_with_a_fix() -> None:
    with pytest.raises(SerializationError, match=r"lambda.*module level"):
        serialize_callable(lambda x: x)


def test_nested_function_is_refused_with_a_fix() -> None:
    def inner() -> None:
        return None

    with pytest.raises(SerializationError, match=r"inside a function.*module level"):
        serialize_callable(inner)


def test_bound_instance_method_is_refused() -> None:
    with pytest.raises(SerializationError, match="bound method"):
        serialize_callable(Holder().method)


def test_non_callable_is_refused() -> None:
    with pytest.raises(SerializationError, match="Expected a callable"):
        serialize_callable(42)  # type: ignore[arg-type]


@pytest.mark.parametrize("path", ["os.system", "subprocess.run", "shutil.rmtree", "importlib.import_module"])
def test_stdlib_callables_are_refused_with_the_exact_fix(path: str) -> None:
    module = path.rsplit(".", 1)[0]
    with pytest.raises(UnsafeImportError) as info:
        deserialize_callable(path)
    message = str(info.value)
    assert repr(module) in message
    assert f"export {ALLOWLIST_ENV_VAR}={module}" in message


def test_refused_module_is_never_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "antigravity", raising=False)
    with pytest.raises(UnsafeImportError):
        deserialize_callable("antigravity.fly")
    assert "antigravity" not in sys.modules


@pytest.mark.parametrize(
    "path",
    [
        "haybale.core._imports.os.system",  # a module reached as an attribute
        "haybale.core._imports.importlib.import_module",
        "haybale.utils.auth.os.environ",
    ],
)
def test_haybale_modules_cannot_be_used_as_a_bridge(path: str) -> None:
    with pytest.raises(UnsafeImportError):
        deserialize_callable(path)


def _write_module(tmp_path: Path, package: str, body: str) -> None:
    pkg = tmp_path / package
    pkg.mkdir()
    (pkg / "__init__.py").write_text(body)


def test_user_module_refused_then_allowed_by_env_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write_module(tmp_path, "hb_userpkg", "def shout(text):\n    return text.upper()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv(ALLOWLIST_ENV_VAR, raising=False)
    with pytest.raises(UnsafeImportError, match=f"export {ALLOWLIST_ENV_VAR}=hb_userpkg"):
        deserialize_callable("hb_userpkg.shout")
    monkeypatch.setenv(ALLOWLIST_ENV_VAR, "something_else, hb_userpkg")
    assert deserialize_callable("hb_userpkg.shout")("hi") == "HI"


def test_allowlist_matches_on_dotted_boundaries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write_module(tmp_path, "hbapp", "def ok():\n    return 'app'\n")
    _write_module(tmp_path, "hbapplication", "def ok():\n    return 'application'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv(ALLOWLIST_ENV_VAR, "hbapp")
    assert deserialize_callable("hbapp.ok")() == "app"
    with pytest.raises(UnsafeImportError, match="hbapplication"):
        deserialize_callable("hbapplication.ok")


def test_haystacks_allowlist_variable_loads_user_callables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_module(tmp_path, "hb_hs_users", "def f():\n    return 'loaded'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(UnsafeImportError):
        deserialize_callable("hb_hs_users.f")
    monkeypatch.setenv("HAYSTACK_DESERIALIZATION_ALLOWLIST", "hb_hs_users.*")
    assert deserialize_callable("hb_hs_users.f")() == "loaded"


def test_a_path_that_tool_turned_into_a_tool_loads_its_function(monkeypatch: pytest.MonkeyPatch) -> None:
    # @tool rebinds the module-level name to a Tool; the path still means the function.
    monkeypatch.setenv(ALLOWLIST_ENV_VAR, __name__)
    assert deserialize_callable(f"{__name__}.doubled")(x=4) == 8
    fetched = deserialize_callable(f"{__name__}.fetched")
    assert inspect.iscoroutinefunction(fetched)
    assert asyncio.run(fetched(url="u")) == "body of u"


def test_allowlist_is_read_at_call_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write_module(tmp_path, "hb_late", "def f():\n    return 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv(ALLOWLIST_ENV_VAR, "hb_late")
    assert deserialize_callable("hb_late.f")() == 1
    monkeypatch.setenv(ALLOWLIST_ENV_VAR, "")
    with pytest.raises(UnsafeImportError):
        deserialize_callable("hb_late.f")


def test_allowed_module_cannot_reexport_a_disallowed_callable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_module(tmp_path, "hb_reexport", "from os import system\nfrom builtins import eval\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv(ALLOWLIST_ENV_VAR, "hb_reexport")
    with pytest.raises(UnsafeImportError, match=r"'posix'|'os'|'nt'"):
        deserialize_callable("hb_reexport.system")
    with pytest.raises(UnsafeImportError, match="builtins"):
        deserialize_callable("hb_reexport.eval")


@pytest.mark.parametrize(
    ("path", "match"),
    [
        ("haybale.utils.no_such_function", "has no attribute 'no_such_function'"),
        ("haybale.utils.auth.SecretType.TOKEN", "not callable"),
        ("", "dotted import path"),
        ("haybale..utils", "dotted import path"),
    ],
)
def test_bad_paths_raise_deserialization_errors(path: str, match: str) -> None:
    with pytest.raises(DeserializationError, match=match):
        deserialize_callable(path)


def test_haystack_paths_resolve_to_haybale_objects() -> None:
    resolved: Any = deserialize_callable("haystack.utils.auth.Secret.from_token")
    assert resolved is Secret.from_token


def _private_helper() -> None:
    """A module-level function with a private name."""


def test_private_names_are_refused_when_written_as_they_cannot_be_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ALLOWLIST_ENV_VAR, __name__)
    with pytest.raises(SerializationError, match="private or special name"):
        serialize_callable(_private_helper)
    with pytest.raises(UnsafeImportError, match="private or special attribute"):
        deserialize_callable(f"{__name__}._private_helper")
