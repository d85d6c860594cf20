"""Choosing the HTTP backend, and every shared ``http_client_kwargs`` key taking effect on the fast one.

Real servers only: the fake server (plain, as an HTTP proxy, and over TLS with a throwaway CA), and
real forked processes.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from fake_server import FakeServer, Reply
from haybale._wire.transport import Transport
from haybale.components.generators.chat import OpenAIChatGenerator
from haybale.errors import APIConnectionError, APIStatusError, ConfigurationError
from haybale.utils import Secret

BODY = b'{"model": "m", "messages": []}'


def make(**client_kwargs: Any) -> Transport:
    return Transport(provider="openai", timeout=5.0, max_retries=0, client_kwargs=client_kwargs)


def post(transport: Transport, url: str) -> Any:
    try:
        return transport.post_json(url, BODY, dict)[0]
    finally:
        transport.close()


# ---- the choice -----------------------------------------------------------------------------------


def test_the_fast_backend_is_the_default(fake_server: FakeServer) -> None:
    fake_server.script(Reply.json({"ok": 1}))
    transport = make(headers={"X-Team": "hay"}, limits={"max_connections": 5}, follow_redirects=False)
    assert post(transport, f"{fake_server.base_url}/x") == {"ok": 1}
    assert transport.backend == "pyreqwest"


def test_an_httpx2_only_key_selects_httpx2_and_is_honoured(fake_server: FakeServer) -> None:
    seen: list[str] = []
    hooks = {"request": [lambda request: seen.append(str(request.url))]}
    fake_server.script(Reply.json({"ok": 1}))
    transport = make(event_hooks=hooks)
    assert post(transport, f"{fake_server.base_url}/x") == {"ok": 1}
    assert transport.backend == "httpx2"
    assert seen == [f"{fake_server.base_url}/x"]


def test_an_httpx2_limits_object_is_translated_for_the_fast_backend(fake_server: FakeServer) -> None:
    import httpx2

    fake_server.script(Reply.json({"ok": 1}))
    transport = make(limits=httpx2.Limits(max_connections=3, max_keepalive_connections=1))
    assert post(transport, f"{fake_server.base_url}/x") == {"ok": 1}
    assert transport.backend == "pyreqwest"


def test_a_key_no_backend_knows_is_refused_by_name() -> None:
    with pytest.raises(ConfigurationError, match="proxies") as info:
        make(proxies={"all://": "http://proxy:8080"})
    assert "httpx2.Client" in str(info.value)


def test_generators_refuse_unknown_keys_at_construction() -> None:
    with pytest.raises(ConfigurationError, match="verfiy"):
        OpenAIChatGenerator(api_key=Secret.from_token("k"), http_client_kwargs={"verfiy": False})


def test_the_environment_variable_forces_httpx2(
    fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HAYBALE_HTTP_BACKEND", "httpx2")
    fake_server.script(Reply.json({"ok": 1}))
    transport = make()
    assert post(transport, f"{fake_server.base_url}/x") == {"ok": 1}
    assert transport.backend == "httpx2"


def test_a_bad_environment_variable_says_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HAYBALE_HTTP_BACKEND", "curl")
    with pytest.raises(ConfigurationError, match=r"HAYBALE_HTTP_BACKEND='curl'.*'pyreqwest' or 'httpx2'"):
        make().settings()


# ---- proxies ----------------------------------------------------------------------------------------

TARGET = "http://api.example.invalid/v1/chat/completions"  # never resolved: only the proxy is contacted


@pytest.fixture
def proxy() -> Iterator[FakeServer]:
    """A second fake server, used as an HTTP proxy: it answers absolute-form requests itself."""
    with FakeServer() as server:
        yield server


def test_the_proxy_key_sends_requests_through_the_proxy(proxy: FakeServer) -> None:
    proxy.script(Reply.json({"via": "proxy"}))
    transport = make(proxy=f"http://127.0.0.1:{proxy.port}")
    assert post(transport, TARGET) == {"via": "proxy"}
    assert transport.backend == "pyreqwest"
    assert proxy.requests[0].target_host == "api.example.invalid"


def test_proxy_environment_variables_are_followed(proxy: FakeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
    proxy.script(Reply.json({"via": "proxy"}))
    transport = make()
    assert post(transport, TARGET) == {"via": "proxy"}
    assert transport.backend == "pyreqwest"


def test_trust_env_false_ignores_proxy_variables(
    proxy: FakeServer, fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
    monkeypatch.setenv("NO_PROXY", "")
    fake_server.script(Reply.json({"direct": True}))
    transport = make(trust_env=False)
    assert post(transport, f"{fake_server.base_url}/x") == {"direct": True}
    assert transport.backend == "pyreqwest"
    assert proxy.requests == []


# ---- TLS: verify and cert ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("tls") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def _tls_server(ca: trustme.CA, *, require_client_cert: bool = False) -> FakeServer:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    if require_client_cert:
        context.verify_mode = ssl.CERT_REQUIRED
        ca.configure_trust(context)
    return FakeServer(ssl_context=context)


@pytest.fixture
def tls_server(ca: trustme.CA) -> Iterator[FakeServer]:
    with _tls_server(ca) as server:
        yield server


def test_verify_with_a_ca_file_trusts_that_ca(tls_server: FakeServer, ca_file: str) -> None:
    tls_server.script(Reply.json({"tls": True}))
    transport = make(verify=ca_file)
    assert post(transport, f"{tls_server.base_url}/x") == {"tls": True}
    assert transport.backend == "pyreqwest"


def test_the_default_verification_refuses_an_unknown_ca(tls_server: FakeServer) -> None:
    tls_server.script(Reply.json({"tls": True}))
    with pytest.raises(APIConnectionError):
        post(make(), f"{tls_server.base_url}/x")
    assert tls_server.requests == []


def test_verify_false_skips_verification(tls_server: FakeServer) -> None:
    tls_server.script(Reply.json({"tls": True}))
    transport = make(verify=False)
    assert post(transport, f"{tls_server.base_url}/x") == {"tls": True}
    assert transport.backend == "pyreqwest"


def test_an_ssl_context_selects_httpx2_and_is_honoured(tls_server: FakeServer, ca_file: str) -> None:
    tls_server.script(Reply.json({"tls": True}))
    transport = make(verify=ssl.create_default_context(cafile=ca_file))
    assert post(transport, f"{tls_server.base_url}/x") == {"tls": True}
    assert transport.backend == "httpx2"


def test_a_client_certificate_is_presented(ca: trustme.CA, ca_file: str, tmp_path: Path) -> None:
    client = ca.issue_cert("haybale-client@example.com")
    cert, key = tmp_path / "client.pem", tmp_path / "client.key"
    client.cert_chain_pems[0].write_to_path(str(cert))
    client.private_key_pem.write_to_path(str(key))
    with _tls_server(ca, require_client_cert=True) as server:
        server.script(Reply.json({"mtls": True}))
        transport = make(verify=ca_file, cert=(str(cert), str(key)))
        assert post(transport, f"{server.base_url}/x") == {"mtls": True}
        assert transport.backend == "pyreqwest"
        with pytest.raises(APIConnectionError):  # without it the server refuses the handshake
            post(make(verify=ca_file), f"{server.base_url}/x")


# ---- limits and redirects, on both backends --------------------------------------------------------


@pytest.mark.usefixtures("http_backend")
def test_max_connections_caps_connections(fake_server: FakeServer) -> None:
    calls = 4
    fake_server.script(*[Reply.delay(0.05, Reply.json({"n": i})) for i in range(calls)])
    transport = make(limits={"max_connections": 1, "max_keepalive_connections": 1})
    url = f"{fake_server.base_url}/x"

    async def go() -> list[Any]:
        try:
            return await asyncio.gather(*[transport.post_json_async(url, BODY, dict) for _ in range(calls)])
        finally:
            await transport.aclose()

    results = asyncio.run(go())
    assert sorted(data["n"] for data, _ in results) == list(range(calls))
    assert fake_server.connections == 1


@pytest.mark.usefixtures("http_backend")
@pytest.mark.parametrize("follow", [False, True])
def test_follow_redirects(fake_server: FakeServer, follow: bool) -> None:
    moved = Reply.json({}, status=307, headers={"Location": "/v1/moved"})
    fake_server.script(moved, Reply.json({"moved": True}))
    transport = make(follow_redirects=follow)
    if follow:
        assert post(transport, f"{fake_server.base_url}/x") == {"moved": True}
        assert fake_server.requests[1].path == "/v1/moved"
    else:
        with pytest.raises(APIStatusError) as info:
            post(transport, f"{fake_server.base_url}/x")
        assert info.value.status_code == 307
        assert len(fake_server.requests) == 1


# ---- processes ----------------------------------------------------------------------------------------

FORK_SCRIPT = """
import multiprocessing, sys
from haybale.components.generators.chat import OpenAIChatGenerator
from haybale.utils import Secret

def child(generator, results):
    try:
        text = generator.run("from the child")["replies"][0].text
        results.put((text, generator._client.transport.backend))
    except BaseException as error:
        results.put((f"{type(error).__name__}: {error}", None))

if __name__ == "__main__":
    url, used_before_fork = sys.argv[1], sys.argv[2] == "used"
    key = Secret.from_token("k")
    generator = OpenAIChatGenerator(api_key=key, model="m", api_base_url=url, max_retries=0)
    if used_before_fork:
        print("parent:", generator.run("in the parent")["replies"][0].text)
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    process = context.Process(target=child, args=(generator, results))
    process.start()
    text, backend = results.get(timeout=30)
    process.join(timeout=30)
    print("child:", text, backend, process.exitcode)
    if used_before_fork:
        print("parent:", generator.run("parent again")["replies"][0].text)
"""


@pytest.mark.parametrize("used_before_fork", [True, False], ids=["used", "unused"])
def test_a_forked_child_calls_with_a_generator_made_before_the_fork(
    fake_server: FakeServer, tmp_path: Path, used_before_fork: bool
) -> None:
    import subprocess
    import sys

    from payloads import completion

    fake_server.script(*[Reply.json(completion(f"reply {i}")) for i in range(3)])
    script = tmp_path / "fork_child.py"
    script.write_text(FORK_SCRIPT)
    flag = "used" if used_before_fork else "unused"
    result = subprocess.run(
        [sys.executable, str(script), fake_server.base_url, flag],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    # A child forked after pyreqwest's runtime started cannot use it: that child uses httpx2. A child
    # forked before keeps the fast backend. Either way the call succeeds, and so does the parent's next.
    expected = (
        ["parent: reply 0", "child: reply 1 httpx2 0", "parent: reply 2"]
        if used_before_fork
        else ["child: reply 0 pyreqwest 0"]
    )
    assert result.stdout.splitlines() == expected


EXIT_SCRIPT = """
import asyncio, sys
from haybale.components.generators.chat import OpenAIChatGenerator
from haybale.utils import Secret

url, close = sys.argv[1], sys.argv[2] == "close"
generator = OpenAIChatGenerator(api_key=Secret.from_token("k"), model="m", api_base_url=url, max_retries=0)

async def main():
    print((await generator.run_async("hi"))["replies"][0].text)
    if close:
        await generator.close_async()

asyncio.run(main())
"""


@pytest.mark.parametrize("close", ["close", "no-close"])
def test_processes_exit_cleanly_right_after_async_calls(
    fake_server: FakeServer, tmp_path: Path, close: str
) -> None:
    # Tokio threads finishing their teardown while Python 3.11 finalizes used to abort about one
    # exit in fifteen; enough runs here make a regression show.
    import subprocess
    import sys

    from payloads import completion

    runs = 15
    fake_server.script(*[Reply.json(completion("ok")) for _ in range(runs)])
    script = tmp_path / "exit_after_async.py"
    script.write_text(EXIT_SCRIPT)
    for _ in range(runs):
        result = subprocess.run(
            [sys.executable, str(script), fake_server.base_url, close],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert (result.returncode, result.stdout.strip()) == (0, "ok"), result.stderr[-500:]
