from __future__ import annotations

import sys

# py_ecc (BLS signatures of deposit data) raises the interpreter's recursion limit to 100,000 when imported. With
# that limit a deeply nested JSON body overflows the C stack and kills the process (a segfault, not an
# exception). Import it first and put the default back: the BLS code we use runs within it, and deep input then
# fails as a RecursionError that the parsers turn into a 400.
import py_ecc  # noqa: F401

sys.setrecursionlimit(1000)

# Importing the Celery app here makes @shared_task bind to it as soon as Django starts.
from .celery import app as celery_app  # noqa: E402

__all__ = ("celery_app",)
