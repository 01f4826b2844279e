"""Per-request context (request id, client IP, user agent) that the audit trail and logs read.

Stored in context variables so services need not pass the request around, and so Celery tasks, which
have no request, simply record none.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    ip: str | None = None
    user_agent: str = ""


_EMPTY = RequestContext()
_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar("request_context")


def current() -> RequestContext:
    return _current.get(_EMPTY)


def set_current(ctx: RequestContext) -> contextvars.Token[RequestContext]:
    return _current.set(ctx)


def reset(token: contextvars.Token[RequestContext]) -> None:
    _current.reset(token)
