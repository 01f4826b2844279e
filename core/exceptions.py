from __future__ import annotations


class ApplicationError(Exception):
    """A business rule was violated (an illegal transition, a forbidden action).

    Services raise it; views and the API turn it into a 400 (or 409) with the message shown to the person.
    """

    def __init__(self, message: str, *, code: str = "invalid", extra: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.extra = extra or {}


class AuditImmutableError(Exception):
    """Raised when code tries to change or remove an audit row."""
