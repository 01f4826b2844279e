"""The Redis cache, failing open: an unreachable Redis costs the portal its rate limits and cached values for a
while, never its pages.

What the cache holds is advisory: throttle and sign-in rate-limit counters (DRF, allauth), the worker heartbeat,
the whitelist sync progress. When Redis is down, a read answers as a miss (the default) and a write is dropped,
each with a logged warning (at most one every `_WARN_EVERY_SECONDS` per process, so an outage does not flood the
logs), instead of raising into a view that would answer 500 to every API call, sign-in and public lookup.
Readiness (`core.health`) asks through `strict`, which raises, so the load balancer still learns of the outage.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

_WARN_EVERY_SECONDS = 30.0
_last_warning = 0.0
F = TypeVar("F", bound=Callable[..., Any])


def _unavailable_errors() -> tuple[type[BaseException], ...]:
    import redis

    # ConnectionError and TimeoutError (refused, reset, DNS, socket timeout) and every other client-side error.
    return (redis.exceptions.RedisError, OSError)


def _warn(operation: str, exc: BaseException) -> None:
    global _last_warning
    now = time.monotonic()
    if now - _last_warning >= _WARN_EVERY_SECONDS:
        _last_warning = now
        # The class name only: a connection error's message can carry the URL's password.
        logger.warning(
            "Cache unavailable (%s during %s): rate limits and cached values are skipped until it is back.",
            type(exc).__name__,
            operation,
        )


def _fail_open(default: Callable[[tuple[Any, ...], dict[str, Any]], Any]) -> Callable[[F], F]:
    def decorate(method: F) -> F:
        @functools.wraps(method)
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            except _unavailable_errors() as exc:
                _warn(method.__name__, exc)
                return default(args, kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def _given_default(position: int) -> Callable[[tuple[Any, ...], dict[str, Any]], Any]:
    def default(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if "default" in kwargs:
            return kwargs["default"]
        return args[position] if len(args) > position else None

    return default


def _constant(value: Any) -> Callable[[tuple[Any, ...], dict[str, Any]], Any]:
    return lambda args, kwargs: value


class _Strict:
    """The same backend without the fail-open layer: errors raise (for readiness checks)."""

    def __init__(self, backend: RedisCache) -> None:
        self._backend = backend

    def __getattr__(self, name: str) -> Any:
        return functools.partial(getattr(RedisCache, name), self._backend)


class FailOpenRedisCache(RedisCache):
    """`django.core.cache.backends.redis.RedisCache` whose operations answer as a miss when Redis is unreachable."""

    @property
    def strict(self) -> Any:
        return _Strict(self)

    @_fail_open(_given_default(1))
    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        return super().get(key, default, version)

    @_fail_open(_constant(None))
    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> None:
        super().set(key, value, timeout, version)

    # True: "stored, go ahead". Callers use add as a lock (allauth's rate limits): False would make them wait and
    # then refuse, failing closed.
    @_fail_open(_constant(True))
    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        return super().add(key, value, timeout, version)

    @_fail_open(_constant(False))
    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        return super().touch(key, timeout, version)

    @_fail_open(_constant(False))
    def delete(self, key: Any, version: Any = None) -> bool:
        return super().delete(key, version)

    @_fail_open(_constant({}))
    def get_many(self, keys: Any, version: Any = None) -> dict[Any, Any]:
        return super().get_many(keys, version)

    @_fail_open(_constant(False))
    def has_key(self, key: Any, version: Any = None) -> bool:
        return super().has_key(key, version)

    @_fail_open(lambda args, kwargs: list((args[0] if args else kwargs.get("data", {})).keys()))
    def set_many(self, data: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> list[Any]:
        return super().set_many(data, timeout, version)

    @_fail_open(_constant(None))
    def delete_many(self, keys: Any, version: Any = None) -> None:
        super().delete_many(keys, version)

    @_fail_open(_constant(None))
    def clear(self) -> None:
        super().clear()
