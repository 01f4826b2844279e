"""The one HTTP helper every vendor adapter uses: a timeout on every call, bounded retries with exponential
backoff on timeouts, connection errors, 429 (honouring Retry-After), 5xx and malformed JSON, then
`ProviderUnavailable`. Client errors (4xx other than 429) are permanent and are not retried."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from screening.base import ProviderUnavailable


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    backoff: float = 0.5  # seconds; doubled each retry
    max_wait: float = 10.0  # cap on any single wait, Retry-After included


class ProviderRejected(Exception):
    """A permanent 4xx answer: the request itself is wrong (bad key, unknown applicant)."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"HTTP {status}: {body[:300]}")
        self.status = status
        self.body = body


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return float(value)
    except ValueError:
        return None


def request_json(
    method: str,
    url: str,
    *,
    provider: str,
    timeout: float,
    policy: RetryPolicy,
    headers_for: Callable[[bytes], dict[str, str]] | None = None,
    json_body: Any = None,
    params: dict[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Any:
    """Send a request and return its decoded JSON. `headers_for(body)` signs each attempt afresh (Sumsub's
    signature covers a timestamp, so a retried request must be re-signed)."""
    body = b"" if json_body is None else json.dumps(json_body, separators=(",", ":")).encode()
    last_problem = ""
    for attempt in range(policy.attempts):
        wait = policy.backoff * (2**attempt)
        headers = {"Accept": "application/json"}
        if json_body is not None:
            headers["Content-Type"] = "application/json"
        if headers_for is not None:
            headers.update(headers_for(body))
        try:
            response = requests.request(method, url, data=body or None, headers=headers, params=params, timeout=timeout)
        except (requests.Timeout, requests.ConnectionError) as exc:
            last_problem = f"{type(exc).__name__}: {exc}"
        else:
            if response.status_code == 429:
                retry_after = _retry_after(response)
                wait = retry_after if retry_after is not None else wait
                last_problem = "HTTP 429 rate limited"
            elif response.status_code >= 500:
                last_problem = f"HTTP {response.status_code}"
            elif response.status_code >= 400:
                raise ProviderRejected(response.status_code, response.text)
            else:
                try:
                    return response.json()
                except ValueError:
                    last_problem = "malformed JSON in the response"
        if attempt + 1 < policy.attempts:
            sleep(min(wait, policy.max_wait))
    raise ProviderUnavailable(f"{provider} unavailable after {policy.attempts} attempts: {last_problem}")
