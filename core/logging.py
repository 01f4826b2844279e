from __future__ import annotations

import logging

from core import context


class RequestContextFilter(logging.Filter):
    """Adds the request id to every log record so one request's lines can be found together."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = context.current().request_id or "-"
        return True
