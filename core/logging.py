from __future__ import annotations

import json
import logging
import re

from core import context

# E-mail addresses, also percent-encoded ("%40") as they appear in logged request paths. The local part is
# the common alphabet, not RFC 5322's: "/" and friends would swallow the path in front of the address.
_EMAIL = re.compile(r"[A-Za-z0-9._+-]+(?:@|%40)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def redact_personal_data(text: str) -> str:
    return _EMAIL.sub("[e-mail redacted]", text)


class RequestContextFilter(logging.Filter):
    """Adds the request id to every log record so one request's lines can be found together."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = context.current().request_id or "-"
        return True


class PersonalDataFilter(logging.Filter):
    """Keeps personal data out of log lines whatever LOG_LEVEL is.

    Django's template engine logs, at DEBUG, every variable it fails to resolve with a traceback that prints
    the whole template context: for the sign-up and password-reset e-mails and the case page that is the
    applicant's e-mail, name, identity number, address and even the password-reset key. Those records are
    dropped. E-mail addresses in any other message or traceback (Django's "Not Found: /path" lines carry
    whatever a visitor typed into the URL) are replaced.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("django.template") and record.levelno < logging.INFO:
            return False
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is logging's to report, not ours
            return True
        redacted = redact_personal_data(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_personal_data(record.exc_text)
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
        if record.exc_text:
            # PersonalDataFilter leaves the redacted traceback here.
            payload["exception"] = record.exc_text
        elif record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)
