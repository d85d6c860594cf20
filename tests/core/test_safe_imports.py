"""The safe-import layer every deserializer goes through: Haystack names, allowlist, classes."""

from __future__ import annotations

from pathlib import Path

import pytest

from haybale.core import ALLOWLIST_ENV_VAR, import_class_by_name
from haybale.core._imports import import_object, is_allowed, to_haybale_name
from haybale.errors import DeserializationError, UnsafeImportError
from haybale.tools import Tool, Toolset
from haybale.utils import Secret


@pytest.mark.parametrize(
    ("haystack", "haybale"),
    [
        (
            "haystack.components.generators.chat.openai.OpenAIChatGenerator",
            "haybale.components.generators.chat.openai.OpenAIChatGenerator",
        ),
        (
            "haystack.components.generators.chat.azure.AzureOpenAIChatGenerator",
            "haybale.components.generators.chat.azure.AzureOpenAIChatGenerator",
        ),
        (
            "haystack_integrations.components.generators.openrouter.chat.chat_generator.OpenRouterChatGenerator",
            "haybale.components.generators.chat.openrouter.OpenRouterChatGenerator",
        ),
        (
            "haystack.components.generators.utils.print_streaming_chunk",
            "haybale.components.generators.utils.print_streaming_chunk",
        ),
        ("haystack.tools.tool.Tool", "haybale.tools.tool.Tool"),
        ("haystack.dataclasses.chat_message.ChatMessage", "haybale.dataclasses.chat_message.ChatMessage"),
        ("haystack_integrations.tools.x.Y", "haybale.tools.x.Y"),
        ("haybale.tools.tool.Tool", "haybale.tools.tool.Tool"),
        ("myapp.haystack.thing", "myapp.haystack.thing"),
        ("haystackish.mod.f", "haystackish.mod.f"),
    ],
)
def test_haystack_names_map_to_haybale(haystack: str, haybale: str) -> None:
    assert to_haybale_name(haystack) == haybale


def test_haystack_class_names_import_the_haybale_class() -> None:
    assert import_class_by_name("haystack.tools.tool.Tool") is Tool
    assert import_class_by_name("haystack.tools.toolset.Toolset") is Toolset
    assert import_class_by_name("haystack.utils.auth.Secret") is Secret


@pytest.mark.parametrize(
    ("allowlist", "name", "allowed"),
    [
        ("", "haybale.tools", True),
        ("", "haybale", True),
        ("", "haybalex.tools", False),
        ("myapp", "myapp", True),
        ("myapp", "myapp.x.y", True),
        ("myapp", "myapplication.x", False),
        ("myapp.tools", "myapp.tools.f", True),
        ("myapp.tools", "myapp.toolsx", False),
        ("myapp.tools", "myapp", False),
        (" a , myapp. ,,", "myapp.f", True),
    ],
)
def test_allowlist_prefixes_match_on_dot_boundaries(
    monkeypatch: pytest.MonkeyPatch, allowlist: str, name: str, allowed: bool
) -> None:
    monkeypatch.setenv(ALLOWLIST_ENV_VAR, allowlist)
    assert is_allowed(name) is allowed


@pytest.mark.parametrize("spelling", ["myapp", "myapp.*", " myapp.* "])
def test_haystacks_allowlist_variable_is_honoured_in_its_own_spelling(
    monkeypatch: pytest.MonkeyPatch, spelling: str
) -> None:
    assert not is_allowed("myapp.tools.f")
    monkeypatch.setenv("HAYSTACK_DESERIALIZATION_ALLOWLIST", f"other.*,{spelling}")
    assert is_allowed("myapp.tools.f")
    assert is_allowed("myapp")
    assert is_allowed("other.x")
    assert not is_allowed("myapplication.f")


def test_both_allowlist_variables_count_together(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ALLOWLIST_ENV_VAR, "first")
    monkeypatch.setenv("HAYSTACK_DESERIALIZATION_ALLOWLIST", "second.*")
    assert is_allowed("first.f")
    assert is_allowed("second.f")
    assert not is_allowed("third.f")


def test_import_class_refuses_non_classes_and_unknown_names(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(DeserializationError, match="not a class"):
        import_class_by_name("haybale.utils.serialize_callable")
    with pytest.raises(DeserializationError, match="no attribute 'Nope'"):
        import_class_by_name("haybale.tools.tool.Nope")
    with pytest.raises(DeserializationError, match="no attribute 'no_such_module'"):
        import_class_by_name("haybale.no_such_module.X")
    monkeypatch.setenv(ALLOWLIST_ENV_VAR, "hb_ghost_package")
    with pytest.raises(DeserializationError, match="no importable module"):
        import_class_by_name("hb_ghost_package.sub.X")


def test_unlisted_class_is_refused_before_import() -> None:
    with pytest.raises(UnsafeImportError, match="collections"):
        import_class_by_name("collections.OrderedDict")


def test_a_broken_allowed_module_reports_its_own_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pkg = tmp_path / "hb_broken"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("import hb_dependency_that_is_missing\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv(ALLOWLIST_ENV_VAR, "hb_broken")
    with pytest.raises(ModuleNotFoundError, match="hb_dependency_that_is_missing"):
        import_object("hb_broken.thing")


# Paths that walked around the allowlist before: each reached a mutator of haybale's own state or a
# door to every class, through an allowed module.
WALK_AROUND_PATHS = [
    "haybale.core._imports.__dict__.update",  # rewrote _SAFE_BUILTINS, then builtins.__import__ loaded
    "haybale.core._imports.__dict__.clear",
    "haybale.errors.HaybaleError.__subclasses__",
    "haybale.core._imports._SAFE_BUILTINS",
    "haybale.core._imports.import_object.__globals__",
    "haystack.core._imports.__dict__.update",  # the Haystack spelling is translated first
    "haybale.errors.HaybaleError.mro",
    "haybale.core._imports.ALLOWLIST_ENV_VAR.format",
]


@pytest.mark.parametrize("path", WALK_AROUND_PATHS)
def test_walk_around_paths_are_refused(path: str) -> None:
    with pytest.raises(UnsafeImportError, match="Refusing"):
        import_object(path)


def test_a_tool_cannot_widen_the_allowlist() -> None:
    data = {
        "type": "haybale.tools.tool.Tool",
        "data": {
            "name": "widen",
            "description": "d",
            "parameters": {"type": "object", "properties": {}},
            "function": "haybale.core._imports.__dict__.update",
        },
    }
    with pytest.raises(UnsafeImportError, match="'__dict__' is a private or special attribute"):
        Tool.from_dict(data)
    with pytest.raises(UnsafeImportError):
        import_object("builtins.__import__")


def test_a_deep_path_is_refused_not_a_recursion_error() -> None:
    path = "haybale." + ".".join(["a"] * 5000)
    with pytest.raises(UnsafeImportError, match="5001 segments"):
        import_object(path)


def test_public_paths_still_load() -> None:
    assert import_object("haybale.tools.tool.Tool.from_dict") == Tool.from_dict
    assert import_object("haybale.utils.Secret.from_env_var") is Secret.from_env_var
    assert import_object("builtins.print") is print


@pytest.mark.parametrize("path", ["haybale.tools.1tool", "haybale.tools.tool Tool", "haybale.tools.tool;x"])
def test_segments_must_be_identifiers(path: str) -> None:
    with pytest.raises(DeserializationError, match="Python identifier"):
        import_object(path)


def test_an_allowed_modules_data_cannot_lend_its_methods(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "hb_state.py").write_text("SETTINGS = {}\nNAMES = ['a']\ndef ok():\n    return 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv(ALLOWLIST_ENV_VAR, "hb_state")
    assert import_object("hb_state.ok")() == 1
    for path in ("hb_state.SETTINGS.update", "hb_state.NAMES.append", "hb_state.SETTINGS.clear"):
        with pytest.raises(UnsafeImportError, match="module 'builtins' is outside"):
            import_object(path)
