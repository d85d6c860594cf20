"""Retry policy and error helpers of the transport (pure functions)."""

from __future__ import annotations

from email.utils import formatdate
from time import time

import pytest

from haybale._wire._http_errors import decode_body, host_of, request_id, server_message
from haybale._wire._retry import MAX_DELAY, backoff_delay, server_delay, status_is_retryable


@pytest.mark.parametrize(
    ("status", "retried"), [(408, True), (409, True), (429, True), (500, True), (503, True)]
)
def test_transient_statuses_are_retried(status: int, retried: bool) -> None:
    assert status_is_retryable(status, {}) is retried


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_are_not_retried(status: int) -> None:
    assert not status_is_retryable(status, {})


def test_should_retry_header_wins() -> None:
    assert status_is_retryable(400, {"x-should-retry": "true"})
    assert not status_is_retryable(503, {"x-should-retry": "false"})


def test_backoff_grows_stays_jittered_and_capped() -> None:
    for index in range(10):
        ceiling = min(0.5 * 2**index, MAX_DELAY)
        assert 0.75 * ceiling <= backoff_delay(index) <= ceiling


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after": "3"}, 3.0),
        ({"retry-after-ms": "junk", "retry-after": "2"}, 2.0),
        ({"retry-after": "600"}, 600.0),  # long pauses are kept: the transport weighs them against its budget
        ({"retry-after": "nan"}, None),
        ({"retry-after": "inf"}, None),
        ({"retry-after": "-1"}, None),
        ({"retry-after": "soon"}, None),
        ({}, None),
    ],
)
def test_server_delay(headers: dict[str, str], expected: float | None) -> None:
    assert server_delay(headers) == expected


def test_server_delay_accepts_an_http_date() -> None:
    delay = server_delay({"retry-after": formatdate(time() + 30, usegmt=True)})
    assert delay is not None
    assert 20 < delay <= 31


def test_request_id_preference() -> None:
    assert request_id({"cf-ray": "c", "x-request-id": "a"}) == "a"
    assert request_id({"apim-request-id": "b", "cf-ray": "c"}) == "b"
    assert request_id({"x-generation-id": "g"}) == "g"
    assert request_id({}) is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"error": {"message": "bad  key\n"}}, "bad key"),
        ({"error": "plain"}, "plain"),
        ({"message": "top"}, "top"),
        ({"detail": [{"loc": ["x"]}]}, "[{'loc': ['x']}]"),
        ("<html>oops</html>", "<html>oops</html>"),
        ("", "(empty body)"),
    ],
)
def test_server_message_shapes(body: object, message: str) -> None:
    assert server_message(body) == message


def test_decode_body_bounds_huge_text() -> None:
    assert decode_body(b'{"a": 1}') == {"a": 1}
    assert len(decode_body(b"x" * 200_000)) == 64 * 1024


def test_host_of_drops_path_query_and_userinfo() -> None:
    assert host_of("https://user:pw@example.com:8443/v1/x?api-key=k") == "https://example.com:8443"
