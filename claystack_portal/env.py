"""Environment-driven configuration helpers.

Every setting that can change between deployments is read here through django-environ. A value that is
required and missing stops start-up with a message naming the variable, instead of failing later and
somewhere else.
"""

from __future__ import annotations

import socket
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A developer's .env is read if present; real deployments set the environment directly.
_dotenv = BASE_DIR / ".env"
if _dotenv.is_file():
    env.read_env(str(_dotenv))


def require(name: str, *, hint: str = "") -> str:
    """Return a required variable, or stop start-up with a message naming it."""
    value = env.str(name, default="").strip()
    if not value:
        message = f"The environment variable {name} is required but not set."
        if hint:
            message += f" {hint}"
        raise ImproperlyConfigured(message)
    return value


def tcp_reachable(host: str, port: int, timeout: float = 0.3) -> bool:
    """Whether something accepts TCP connections on host:port (used to pick test backends)."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False
