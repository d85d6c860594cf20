"""Content parts: validation, MIME sniffing, files and URLs (served by the fake server), dicts."""

from __future__ import annotations

import base64
import importlib.util
import logging
import sys
from pathlib import Path
from typing import Any

import pytest

from fake_server import Reply
from haybale.dataclasses import (
    FileContent,
    ImageContent,
    ReasoningContent,
    TextContent,
    ToolCall,
    ToolCallResult,
)

PNG_BYTES = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)
PNG = base64.b64encode(PNG_BYTES).decode()
PDF_BYTES = b"%PDF-1.4\n%fake\n"


def test_text_content_needs_a_string() -> None:
    with pytest.raises(TypeError, match="must be a str"):
        TextContent(3)  # type: ignore[arg-type]


def test_tool_call_arguments_must_be_parsed() -> None:
    with pytest.raises(TypeError, match=r"json\.loads"):
        ToolCall("f", '{"a": 1}')  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="tool_name"):
        ToolCall(None, {})  # type: ignore[arg-type]


def test_tool_call_round_trips_with_extra() -> None:
    call = ToolCall("f", {"x": [1, {"y": None}]}, id="c", extra={"raw_arguments": "{"})
    assert ToolCall.from_dict(call.to_dict()) == call


def test_tool_call_result_accepts_text_and_image_parts_only() -> None:
    call = ToolCall("f", {})
    parts = [TextContent("see"), ImageContent(PNG)]
    result = ToolCallResult(parts, call)
    assert ToolCallResult.from_dict(result.to_dict()) == result
    with pytest.raises(TypeError, match="str or a list of TextContent/ImageContent"):
        ToolCallResult({"temperature": 3}, call)  # type: ignore[arg-type]


def test_reasoning_round_trips() -> None:
    reasoning = ReasoningContent("because", extra={"reasoning_details": [{"type": "reasoning.text"}]})
    assert ReasoningContent.from_dict(reasoning.to_dict()) == reasoning
    assert ReasoningContent.from_dict({"reasoning_text": "x"}) == ReasoningContent("x")


@pytest.mark.parametrize(
    ("data", "mime_type"),
    [
        (PNG_BYTES, "image/png"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 8, "image/jpeg"),
        (b"GIF89a" + b"\x00" * 8, "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
    ],
)
def test_image_mime_type_is_sniffed_from_the_bytes(data: bytes, mime_type: str) -> None:
    assert ImageContent(base64.b64encode(data).decode()).mime_type == mime_type


def test_image_validation_errors_say_how_to_fix() -> None:
    with pytest.raises(ValueError, match="not valid base64"):
        ImageContent("not base64!")
    with pytest.raises(ValueError, match="FileContent"):
        ImageContent(base64.b64encode(PDF_BYTES).decode())
    with pytest.raises(ValueError, match="detail"):
        ImageContent(PNG, detail="ultra")  # type: ignore[arg-type]
    assert ImageContent("not base64!", validation=False).mime_type is None


def test_image_repr_truncates_the_payload() -> None:
    big = base64.b64encode(PNG_BYTES * 50).decode()
    text = repr(ImageContent(big, mime_type="image/png"))
    assert len(text) < 300
    assert "..." in text
    assert "image/png" in text


def test_image_round_trips() -> None:
    image = ImageContent(PNG, detail="high", meta={"source": "test"})
    assert ImageContent.from_dict(image.to_dict()) == image


def test_image_from_file_path(tmp_path: Path) -> None:
    path = tmp_path / "dot.png"
    path.write_bytes(PNG_BYTES)
    image = ImageContent.from_file_path(path, detail="low", meta={"k": 1})
    assert (image.base64_image, image.mime_type, image.detail, image.meta) == (
        PNG,
        "image/png",
        "low",
        {"k": 1, "file_path": str(path)},  # where it came from, as Haystack records it
    )


def test_image_from_file_path_refuses_other_files_and_missing_paths(tmp_path: Path) -> None:
    path = tmp_path / "doc.pdf"
    path.write_bytes(PDF_BYTES)
    with pytest.raises(ValueError, match="Not an image"):
        ImageContent.from_file_path(path)
    with pytest.raises(ValueError, match="No file at"):
        ImageContent.from_file_path(tmp_path / "missing.png")


def test_image_resizing_needs_pillow_or_shrinks(tmp_path: Path) -> None:
    path = tmp_path / "dot.png"
    path.write_bytes(PNG_BYTES)
    if importlib.util.find_spec("PIL") is None:
        with pytest.raises(ImportError, match="pip install pillow"):
            ImageContent.from_file_path(path, size=(10, 10))
    else:
        assert ImageContent.from_file_path(path, size=(10, 10)).mime_type == "image/png"


@pytest.mark.usefixtures("http_backend")  # fetched through haybale's HTTP backends
def test_image_from_url_records_the_url(fake_server: Any) -> None:
    fake_server.script(Reply.text(PNG_BYTES, content_type="image/png"))
    url = f"{fake_server.base_url}/dot.png"
    image = ImageContent.from_url(url, meta={"k": 1})
    assert image.base64_image == PNG
    assert image.meta == {"url": url, "k": 1, "content_type": "image/png"}


@pytest.mark.usefixtures("http_backend")  # fetched through haybale's HTTP backends
def test_image_from_url_retries_then_fails_clearly(fake_server: Any) -> None:
    fake_server.script(Reply.text("busy", status=503), Reply.text(PNG_BYTES, content_type="image/png"))
    assert ImageContent.from_url(f"{fake_server.base_url}/x.png", retry_attempts=1).mime_type == "image/png"
    fake_server.script(Reply.text("no", status=404), Reply.text("no", status=404))
    with pytest.raises(ValueError, match="after 2 attempts"):
        ImageContent.from_url(f"{fake_server.base_url}/x.png", retry_attempts=1)
    with pytest.raises(ValueError, match="http"):
        ImageContent.from_url("file:///etc/passwd")


def test_file_mime_type_from_bytes_or_name() -> None:
    assert FileContent(base64.b64encode(PDF_BYTES).decode()).mime_type == "application/pdf"
    text = base64.b64encode(b"a,b\n1,2\n").decode()
    assert FileContent(text, filename="t.csv").mime_type == "text/csv"
    with pytest.raises(ValueError, match="not valid base64"):
        FileContent("%%%")


def test_file_from_file_path_defaults_the_name(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(PDF_BYTES)
    file = FileContent.from_file_path(path, extra={"k": 1})
    assert (file.filename, file.mime_type, file.extra) == ("report.pdf", "application/pdf", {"k": 1})
    assert base64.b64decode(file.base64_data) == PDF_BYTES
    assert FileContent.from_file_path(path, filename="other.pdf").filename == "other.pdf"


@pytest.mark.usefixtures("http_backend")  # fetched through haybale's HTTP backends
def test_file_from_url_names_it_after_the_path(fake_server: Any) -> None:
    moved = Reply.text("", status=302, headers={"Location": "/v1/files/annual%20report.pdf"})
    fake_server.script(moved)  # redirects are followed
    fake_server.script(Reply.text(PDF_BYTES, content_type="application/pdf"))
    file = FileContent.from_url(f"{fake_server.base_url}/files/annual%20report.pdf")
    assert (file.filename, file.mime_type) == ("annual report.pdf", "application/pdf")


def test_file_round_trips_and_repr_is_short() -> None:
    file = FileContent(base64.b64encode(PDF_BYTES * 40).decode(), filename="a.pdf", extra={"x": 1})
    assert FileContent.from_dict(file.to_dict()) == file
    assert len(repr(file)) < 300


@pytest.mark.parametrize(("cls", "what"), [(ImageContent, "image"), (FileContent, "file")])
def test_an_unrecognisable_type_is_logged(cls: Any, what: str, caplog: pytest.LogCaptureFixture) -> None:
    unknown = base64.b64encode(b"plain words, no signature").decode()
    with caplog.at_level(logging.WARNING, logger="haybale.dataclasses"):
        part = cls(unknown)
    assert part.mime_type is None
    assert f"MIME type of this {what}" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="haybale.dataclasses"):
        cls(PNG)  # recognised from its bytes: nothing to say
        cls(unknown, "image/webp")  # given: nothing to guess
    assert caplog.text == ""


def test_show_opens_the_decoded_image(monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import Image

    shown: list[tuple[int, int]] = []
    monkeypatch.setattr(Image.Image, "show", lambda image, *a, **k: shown.append(image.size))
    ImageContent(PNG).show()
    assert shown == [(1, 1)]


def test_show_displays_inline_in_a_notebook(monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    displayed: list[Any] = []

    class ZMQInteractiveShell:  # the class name a Jupyter kernel's shell has
        pass

    ipython = types.ModuleType("IPython")
    ipython.get_ipython = ZMQInteractiveShell  # type: ignore[attr-defined]
    display_module = types.ModuleType("IPython.display")
    display_module.display = displayed.append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", display_module)
    ImageContent(PNG).show()
    assert [image.size for image in displayed] == [(1, 1)]


def test_tool_results_may_hold_files() -> None:
    pdf = FileContent(base64.b64encode(PDF_BYTES).decode(), filename="r.pdf")
    result = ToolCallResult([TextContent("report:"), pdf], ToolCall("fetch", {}, id="c1"))
    assert ToolCallResult.from_dict(result.to_dict()) == result
    with pytest.raises(TypeError, match="TextContent/ImageContent/FileContent"):
        ToolCallResult([ToolCall("x", {})], ToolCall("fetch", {}))  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("cls", "data", "missing"),
    [
        (ToolCallResult, {"result": "r", "error": False}, "'origin'"),
        (ToolCall, {"arguments": {}}, "'tool_name'"),
        (ReasoningContent, {"extra": {}}, "'reasoning_text'"),
        (TextContent, {}, "'text'"),
    ],
)
def test_from_dict_names_missing_keys_with_a_value_error(
    cls: Any, data: dict[str, Any], missing: str
) -> None:
    with pytest.raises(ValueError, match=f"missing {missing}"):
        cls.from_dict(data)


def test_the_data_model_imports_no_http_library_or_wire_layer() -> None:
    import subprocess
    import sys

    code = (
        "import sys, haybale.dataclasses; "
        "print(sorted(m for m in sys.modules if m.startswith(('httpx2', 'pyreqwest', 'haybale._wire', "
        "'haybale._http'))))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"base64_image": ""}, "base64_image is empty"),
        (
            {"base64_image": _b64(PDF_BYTES), "mime_type": "image/png"},
            "holds application/pdf data, not an image",
        ),
        ({"base64_image": PNG, "mime_type": "text/plain"}, "needs an image/\\* MIME type"),
        ({"base64_image": PNG, "mime_type": 5}, "mime_type must be a str"),
    ],
)
def test_empty_or_non_image_data_is_refused(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises((ValueError, TypeError), match=match):
        ImageContent(**kwargs)


def test_an_image_format_haybale_cannot_sniff_is_taken_on_its_declared_type() -> None:
    avif = _b64(b"\x00\x00\x00\x1cftypavif" + b"\x00" * 8)
    assert ImageContent(avif, mime_type="image/avif").mime_type == "image/avif"
    assert ImageContent("", validation=False).base64_image == ""  # validation=False still skips it all


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(ValueError, match="base64_data is empty"):
        FileContent("")


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: ToolCall("f", {}, extra=["x"]), "ToolCall.extra must be a dict or None"),
        (lambda: ReasoningContent(None), "reasoning_text must be a str"),  # type: ignore[arg-type]
        (lambda: ReasoningContent("r", extra=None), "ReasoningContent.extra must be a dict"),  # type: ignore[arg-type]
    ],
)
def test_part_field_types_are_checked(build: Any, match: str) -> None:
    with pytest.raises(TypeError, match=match):
        build()


@pytest.mark.parametrize("build", [ImageContent.from_url, FileContent.from_url])
def test_from_url_needs_a_url_string(build: Any) -> None:
    with pytest.raises(TypeError, match="url must be a str"):
        build(123)
