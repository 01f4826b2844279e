"""docs/configuration.md names every environment variable the portal reads, and nothing else.

The reads are found by parsing the source (the `ast` module, so a call spread over several lines is found like
any other): the settings package and claystack_portal/env.py, the scripts, gunicorn's configuration and the
whitelist's fault-injection points. A read counts when its first argument is a literal string:
`env("X")`, `env.<cast>("X", ...)` (str, int, bool, list, float, json, db, email_url, ...), `require("X")`,
`os.environ.get("X")`, `os.environ["X"]`, `"X" in os.environ` and `os.getenv("X")`. Writes
(`os.environ["X"] = ...`, `os.environ.setdefault(...)`) are not reads.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "configuration.md"

# django-environ methods that take something other than a variable name.
_ENV_METHODS_NOT_READS = {"read_env", "parse_value", "smart_cast"}


def _source_files() -> list[Path]:
    files = [
        *sorted((ROOT / "claystack_portal" / "settings").rglob("*.py")),
        ROOT / "claystack_portal" / "env.py",
        *sorted((ROOT / "scripts").glob("*.py")),
        ROOT / "gunicorn.conf.py",
        ROOT / "whitelist" / "faults.py",
    ]
    return [f for f in files if f.is_file()]


def _is_os_environ(node: ast.AST) -> bool:
    """Whether the node is `os.environ`."""
    if isinstance(node, ast.Attribute):
        return node.attr == "environ" and isinstance(node.value, ast.Name) and node.value.id == "os"
    return False


def _literal(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _reads_by_call(func: ast.expr) -> bool:
    """Whether a call to `func` reads the variable named by its first argument."""
    if isinstance(func, ast.Name):
        return func.id in {"env", "require"}
    if not isinstance(func, ast.Attribute):
        return False
    receiver = func.value
    if isinstance(receiver, ast.Name) and receiver.id == "env":
        return func.attr not in _ENV_METHODS_NOT_READS
    if isinstance(receiver, ast.Name) and receiver.id == "os":
        return func.attr == "getenv"
    return func.attr == "get" and _is_os_environ(receiver)


def environment_reads(source: str) -> set[str]:
    """The names of the environment variables a Python source reads with a literal name."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        name: str | None = None
        if isinstance(node, ast.Call) and node.args and _reads_by_call(node.func):
            name = _literal(node.args[0])
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and _is_os_environ(node.value):
            name = _literal(node.slice)
        elif (
            isinstance(node, ast.Compare)
            and any(isinstance(op, ast.In | ast.NotIn) for op in node.ops)
            and any(_is_os_environ(c) for c in node.comparators)
        ):
            name = _literal(node.left)
        if name:
            names.add(name)
    return names


def documented_variables(markdown: str) -> set[str]:
    """The variables the document's tables describe: the back-quoted name in the first cell of each row."""
    return set(re.findall(r"^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|", markdown, flags=re.MULTILINE))


def configuration_gaps(read: set[str], documented: set[str]) -> tuple[list[str], list[str]]:
    """(read but not documented, documented but read nowhere)."""
    return sorted(read - documented), sorted(documented - read)


def _project_reads() -> set[str]:
    names: set[str] = set()
    for path in _source_files():
        names |= environment_reads(path.read_text())
    return names


def test_every_environment_variable_the_portal_reads_is_in_the_configuration_document():
    undocumented, _ = configuration_gaps(_project_reads(), documented_variables(DOC.read_text()))
    assert not undocumented, f"docs/configuration.md does not describe: {', '.join(undocumented)}"


def test_the_configuration_document_names_no_variable_that_nothing_reads():
    _, stale = configuration_gaps(_project_reads(), documented_variables(DOC.read_text()))
    assert not stale, f"docs/configuration.md describes variables nothing reads any more: {', '.join(stale)}"


def test_the_scan_covers_the_settings_the_scripts_and_gunicorn():
    reads = _project_reads()
    # One from each kind of file, so a scan that silently found no files (or no calls) cannot pass.
    assert {"SECRET_KEY", "KYC_S3_BUCKET", "ETH_RPC_URL", "REQUIRE_SERVICES", "ANVIL_PORT", "WEB_CONCURRENCY"} <= reads
    assert len(reads) > 100


def test_the_scanner_finds_every_form_of_read_including_calls_over_several_lines():
    source = """
import os
from claystack_portal.env import env, require

A = env("A_PLAIN")
B = env.str("B_STR", default="")
C = env.int(
    "C_MULTI_LINE",
    default=3,
)
D = env.json("D_JSON", default={})
E = env.email_url("E_EMAIL", default="consolemail://")
F = require("F_REQUIRED", hint="...")
G = os.environ.get("G_GET", "x")
H = os.environ["H_SUBSCRIPT"]
I = os.getenv("I_GETENV")
J = "J_IN" in os.environ
K = {"k": env.float("K_NESTED", default=0.5)}
os.environ["NOT_A_READ"] = "1"
os.environ.setdefault("NOT_A_READ_EITHER", "1")
env.read_env("/not/a/variable")
name = "DYNAMIC"
L = env.str(name)  # not a literal: the scan cannot see it, and says nothing
"""
    assert environment_reads(source) == {
        "A_PLAIN",
        "B_STR",
        "C_MULTI_LINE",
        "D_JSON",
        "E_EMAIL",
        "F_REQUIRED",
        "G_GET",
        "H_SUBSCRIPT",
        "I_GETENV",
        "J_IN",
        "K_NESTED",
    }


def test_a_variable_read_but_missing_from_the_document_and_a_stale_entry_are_both_reported():
    source = 'X = env.int(\n    "NEW_LIMIT",\n    default=5,\n)\nY = env.str("KNOWN", default="")\n'
    markdown = "| variable | meaning |\n|---|---|\n| `KNOWN` | known |\n| `GONE` | read by nothing |\n"
    undocumented, stale = configuration_gaps(environment_reads(source), documented_variables(markdown))
    assert undocumented == ["NEW_LIMIT"]
    assert stale == ["GONE"]
