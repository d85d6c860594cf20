"""Retry policy and error helpers of the transport (pure functions)."""

from __future__ import annotations

from email.utils import formatdate
from time import time

import pytest

from haybale._wire._http_errors import decode_body, host_of, request_id, server_message
from haybale._wire._retry import MAX_DELAY, RetryPolicy, backoff_delay, server_delay
from haybale.errors import (
    APIConnectionError,
    APIResponseError,
    APIStatusError,
    APITimeoutError,
    is_transient,
    status_error_class,
)


def status_error(
    status: int, headers: dict[str, str] | None = None, retry_after: float | None = None
) -> APIStatusError:
    return status_error_class(status)("x", status_code=status, headers=headers, retry_after=retry_after)


@pytest.mark.parametrize("status", [408, 409, 429, 500, 503])
def test_transient_statuses(status: int) -> None:
    assert is_transient(status_error(status))


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_are_not_transient(status: int) -> None:
    assert not is_transient(status_error(status))


def test_should_retry_header_wins() -> None:
    assert is_transient(status_error(400, {"X-Should-Retry": "true"}))
    assert not is_transient(status_error(503, {"x-should-retry": "false"}))


def test_connection_failures_are_transient_unusable_answers_are_not() -> None:
    assert is_transient(APIConnectionError("reset"))
    assert is_transient(APITimeoutError("slow"))
    assert not is_transient(APIResponseError("corrupt gzip"))
    assert not is_transient(ValueError("not an API error"))


def test_policy_gives_up_after_max_retries_and_on_final_errors() -> None:
    policy = RetryPolicy(max_retries=2, budget=10.0, never_retry=lambda e: "final" in e.message)
    assert policy.delay(0, status_error(500), 0.0) is not None
    assert policy.delay(2, status_error(500), 0.0) is None
    assert policy.delay(0, status_error(400), 0.0) is None
    assert policy.delay(0, status_error_class(500)("final", status_code=500), 0.0) is None


def test_policy_honours_a_server_pause_within_its_budget_only() -> None:
    policy = RetryPolicy(max_retries=5, budget=10.0)
    assert policy.delay(0, status_error(429, retry_after=4.0), 0.0) == 4.0
    assert policy.delay(1, status_error(429, retry_after=4.0), 7.0) is None  # 11 s > budget
    assert policy.delay(0, status_error(429, retry_after=120.0), 0.0) is None


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
