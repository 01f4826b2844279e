from __future__ import annotations

import json
import logging

from core import context


class RequestContextFilter(logging.Filter):
    """Adds the request id to every log record so one request's lines can be found together."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = context.current().request_id or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log shippers. Messages must not carry personal data (ids only)."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, object] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)
