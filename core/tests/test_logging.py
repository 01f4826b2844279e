from __future__ import annotations

import json
import logging

from core import context
from core.logging import JsonFormatter, RequestContextFilter


def test_json_log_lines_carry_the_request_id_and_the_exception() -> None:
    record = logging.LogRecord("portal", logging.ERROR, __file__, 1, "sync failed for batch %s", ("b-1",), None)
    token = context.set_current(context.RequestContext(request_id="req-abcdef12"))
    try:
        RequestContextFilter().filter(record)
    finally:
        context.reset(token)
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "sync failed for batch b-1"
    assert line["request_id"] == "req-abcdef12"
    assert line["level"] == "ERROR"
    assert "ValueError: boom" in line["exception"]
