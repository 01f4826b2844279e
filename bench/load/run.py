"""Load benchmark: the portal under gunicorn on PostgreSQL, driven from loopback. Prints one JSON object last.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anything REDIS_URL=redis://127.0.0.1:6379/4 \\
        .venv/bin/python bench/load/run.py [--duration 15] [--connections 32] [--workers 4]

What it does (see README.md here):
1. creates a dedicated database (`--database`, default cs_load) on the server of DATABASE_URL, migrates it and
   collects static files, with the production settings (`bench.load.settings`: production plus a bare view), the
   per-IP and per-user throttles off and WHITELIST_LOOKUP_CACHE_SECONDS as deploy.md recommends (5);
2. seeds an applicant with an approved application and proven wallets, and 200 addresses on the whitelist
   outbox (confirmed, pending, not listed), and signs the applicant in (a session cookie);
3. starts gunicorn with gunicorn.conf.py on a free loopback port and, for `--duration` seconds each after a short
   warm-up, drives the bare view, the public whitelist lookup (rotating over the 200 addresses) and the
   applicant's status API with `wrk` (Debian package; a Python asyncio client when wrk is absent);
4. stops gunicorn, drops the database (unless --keep-db) and prints per target requests/s, p95 latency and
   errors, and the ratio lookup/bare.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
SETTINGS = "bench.load.settings"
# Behind the TLS-terminating proxy production has: the portal redirects plain HTTP otherwise.
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}
WARMUP_SECONDS = 3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _database_url(base: str, name: str) -> str:
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def _admin(base: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(_database_url(base, "postgres"), autocommit=True) as conn:
        conn.execute(sql.encode())


def _environment(args: argparse.Namespace, database_url: str, static_root: Path) -> dict[str, str]:
    from cryptography.fernet import Fernet

    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "DATABASE_URL": database_url,
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "AUDIT_HMAC_KEYS": secrets.token_urlsafe(48),
        "STATIC_ROOT": str(static_root),
        "HOST": "127.0.0.1",
        "PORT": str(args.port),
        "WEB_CONCURRENCY": str(args.workers),
        "GUNICORN_THREADS": str(args.gunicorn_threads),
        "LOG_LEVEL": "WARNING",
        "ETH_RPC_URL": "",
        # One client address and one user: the per-IP and per-user limits would answer 429 after a second.
        "WHITELIST_LOOKUP_RATE": "",
        "API_THROTTLE_USER_RATE": "",
        "API_THROTTLE_KEY_RATE": "",
        "WHITELIST_LOOKUP_CACHE_SECONDS": str(args.lookup_cache_seconds),
    }


def _manage(env: dict[str, str], *command: str) -> None:
    # Our own fixed commands, run with this interpreter.
    subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True
    )


def _seed(env: dict[str, str]) -> dict[str, Any]:
    """Runs in this process with the bench settings; returns the paths and the session cookie to use."""
    os.environ.update(env)
    import django

    django.setup()
    import datetime as dt

    from django.conf import settings
    from django.db import connections
    from django.test import Client
    from django.utils import timezone

    from accounts.models import Membership, Organisation, User
    from kyc.models import Application, WalletAddress
    from kyc.services import application_create
    from whitelist.models import Batch, Change, Deployment

    user = User.objects.create_user(email="alice@load.example", password=secrets.token_urlsafe(16))
    organisation = Organisation.objects.create(name="Load Capital Ltd", kind=Organisation.Kind.INSTITUTION)
    Membership.objects.create(user=user, organisation=organisation, role=Membership.Role.OWNER)
    # Opened through the service (so it has what a real case has), then approved in place: the review workflow
    # is not what this benchmark measures.
    application = application_create(by=user, subject_type="institution", organisation=organisation)
    Application.objects.filter(pk=application.pk).update(status=Application.Status.APPROVED)
    addresses = ["0x" + secrets.token_hex(20) for _ in range(200)]
    from whitelist.chain import checksum

    addresses = [checksum(a) for a in addresses]
    now = timezone.now()
    for address in addresses[:5]:
        WalletAddress.objects.create(
            application=application, address=address, label="treasury", purpose="staking_deposits", verified_at=now
        )
    deployment = Deployment.objects.create(
        list_key="stakers",
        chain_id=1,
        address="0x" + "11" * 20,
        tx_hash="0x" + "22" * 32,
        block_number=1,
        deployer="0x" + "33" * 20,
        admin="0x" + "33" * 20,
    )
    valid_until = (now + dt.timedelta(days=365)).replace(microsecond=0)
    batch = Batch.objects.create(
        batch_id="0x" + "44" * 32,
        deployment=deployment,
        list_key="stakers",
        action="add",
        valid_until=int(valid_until.timestamp()),
        status="confirmed",
        size=100,
        calldata="0x",
    )
    # 100 confirmed on chain, 50 on their way, 50 never listed: the lookup answers all three kinds.
    Change.objects.bulk_create(
        [
            Change(
                address=a,
                list_key="stakers",
                action="add",
                valid_until=valid_until,
                reason="load benchmark",
                status="confirmed" if i < 100 else "pending",
                batch=batch if i < 100 else None,
            )
            for i, a in enumerate(addresses[:150])
        ]
    )
    client = Client()
    client.force_login(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    connections.close_all()
    return {
        "lookup_paths": [f"/api/v1/whitelist/{a}" for a in addresses],
        "status_path": f"/api/v1/applications/{application.public_id}/",
        "cookie": cookie,
    }


def _get(url: str, headers: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - loopback URL built here
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return int(response.status), response.read()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read()


def _wait_until_up(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("gunicorn stopped:\n" + log.read_text()[-3000:])
        try:
            if _get(base + "/bench/bare/", PROXY_HEADERS)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("gunicorn did not answer within 60 s:\n" + log.read_text()[-3000:])


WRK_SCRIPT = """
local paths = {%(paths)s}
local i = 0
%(headers)s
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  local pct = {}
  for p = 1, 100 do pct[p] = tostring(latency:percentile(p - 0.5)) end
  io.write(string.format(
    'WRKJSON {"requests": %%d, "duration_us": %%d, "connect": %%d, "read": %%d, "write": %%d, "status": %%d, ' ..
    '"timeout": %%d, "percentiles_us": [%%s]}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout, table.concat(pct, ",")))
end
"""


def _wrk(
    base: str, paths: list[str], headers: dict[str, str], seconds: int, args: argparse.Namespace
) -> dict[str, Any]:
    script = WRK_SCRIPT % {
        "paths": ", ".join(json.dumps(p) for p in paths),
        "headers": "\n".join(f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()),
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    try:
        # wrk from PATH (Debian's package), with arguments built here.
        out = subprocess.run(  # noqa: S603
            [  # noqa: S607
                "wrk",
                f"-t{args.threads}",
                f"-c{args.connections}",
                f"-d{seconds}s",
                "--timeout",
                "10s",
                "-s",
                f.name,
                base,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(f.name)
    line = next(line for line in out.splitlines() if line.startswith("WRKJSON "))
    raw = json.loads(line[len("WRKJSON ") :])
    return {
        "requests": raw["requests"],
        "seconds": raw["duration_us"] / 1e6,
        "errors": raw["connect"] + raw["read"] + raw["write"] + raw["timeout"] + raw["status"],
        "non_2xx": raw["status"],
        # The latency distribution as 100 equal-weight points (the 0.5th, 1.5th, ... 99.5th percentiles), so
        # rounds can be merged.
        "points_ms": [v / 1000 for v in raw["percentiles_us"]],
    }


def _merge(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """One figure per target from its rounds: throughput over the total time, percentiles over all requests."""
    requests = sum(r["requests"] for r in rounds)
    seconds = sum(r["seconds"] for r in rounds)
    weighted = sorted((p, r["requests"] / len(r["points_ms"])) for r in rounds for p in r["points_ms"])

    def pct(q: float) -> float:
        goal, seen = q * sum(w for _, w in weighted), 0.0
        for value, weight in weighted:
            seen += weight
            if seen >= goal:
                return round(value, 2)
        return round(weighted[-1][0], 2) if weighted else 0.0

    return {
        "rps": round(requests / seconds, 1) if seconds else 0.0,
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "requests": requests,
        "errors": sum(r["errors"] for r in rounds),
        "non_2xx": sum(r["non_2xx"] for r in rounds),
    }


async def _python_load(
    port: int, paths: list[str], headers: dict[str, str], seconds: int, connections: int
) -> dict[str, Any]:
    """Fallback when wrk is absent: keep-alive HTTP/1.1 GETs over raw asyncio streams (no client library on the
    hot path, so the generator costs as little as Python allows)."""
    latencies: list[float] = []
    errors = 0
    non_2xx = 0
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    stop = time.monotonic() + seconds

    async def one(worker: int) -> None:
        nonlocal errors, non_2xx
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        i = worker
        while time.monotonic() < stop:
            path = paths[i % len(paths)]
            i += connections
            started = time.perf_counter()
            writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{extra}\r\n".encode())
            try:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await reader.readexactly(length)
            except (asyncio.IncompleteReadError, ConnectionError):
                errors += 1
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                continue
            latencies.append(time.perf_counter() - started)
            status = int(head.split(b" ", 2)[1])
            if status >= 300:
                non_2xx += 1
            if b"connection: close" in head.lower():
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.close()

    began = time.monotonic()
    await asyncio.gather(*(one(w) for w in range(connections)))
    elapsed = time.monotonic() - began
    latencies.sort()
    n = len(latencies)
    return {
        "requests": n,
        "seconds": elapsed,
        "errors": errors + non_2xx,
        "non_2xx": non_2xx,
        "points_ms": [latencies[min(n - 1, int(n * (i + 0.5) / 100))] * 1000 for i in range(100)] if n else [0.0],
    }


def _drive(
    base: str, port: int, paths: list[str], headers: dict[str, str], seconds: int, args: argparse.Namespace
) -> dict[str, Any]:
    if args.generator == "wrk":
        return _wrk(base, paths, headers, seconds, args)
    return asyncio.run(_python_load(port, paths, headers, seconds, args.connections))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=15, help="seconds per target (after a 3 s warm-up)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds the duration is split into")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "4")))
    parser.add_argument(
        "--lookup-cache-seconds", type=int, default=5, help="WHITELIST_LOOKUP_CACHE_SECONDS (docs/deploy.md: 5)"
    )
    parser.add_argument(
        "--gunicorn-threads", type=int, default=1, help="GUNICORN_THREADS: 1 = sync workers, more = gthread"
    )
    parser.add_argument("--database", default="cs_load")
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--generator", choices=["wrk", "python"], default="wrk" if shutil.which("wrk") else "python")
    args = parser.parse_args()
    args.port = _free_port()

    base_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not base_url.startswith("postgres"):
        raise SystemExit("DATABASE_URL must point at a PostgreSQL server (the benchmark creates its own database).")
    database_url = _database_url(base_url, args.database)
    work = Path(tempfile.mkdtemp(prefix="cs-load-"))
    env = _environment(args, database_url, work / "static")
    log = work / "gunicorn.log"

    _admin(base_url, f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
    _admin(base_url, f'CREATE DATABASE "{args.database}"')
    process: subprocess.Popen[bytes] | None = None
    try:
        print(f"migrating {args.database} ...", file=sys.stderr)
        _manage(env, "migrate", "--noinput")
        _manage(env, "collectstatic", "--noinput")
        seeded = _seed(env)
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "claystack_portal.wsgi"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        base = f"http://127.0.0.1:{args.port}"
        _wait_until_up(base, process, log)
        session = {**PROXY_HEADERS, "Cookie": seeded["cookie"]}
        targets = {
            "bare": (["/bench/bare/"], PROXY_HEADERS, b"ok"),
            "lookup": (seeded["lookup_paths"], PROXY_HEADERS, b'"stakers"'),
            "status": ([seeded["status_path"]], session, b'"status"'),
        }
        for name, (paths, headers, expect) in targets.items():
            status, body = _get(base + paths[0], headers)
            if status != 200 or expect not in body:
                raise SystemExit(f"{name}: {paths[0]} answered {status}: {body[:300]!r}\n" + log.read_text()[-4000:])
        for paths, headers, _ in targets.values():
            _drive(base, args.port, paths, headers, WARMUP_SECONDS, args)
        # Interleaved rounds, so a change in the machine's other load during the run weighs on every target alike.
        slice_seconds = max(1, round(args.duration / args.rounds))
        rounds: dict[str, list[dict[str, Any]]] = {name: [] for name in targets}
        for _ in range(args.rounds):
            for name, (paths, headers, _) in targets.items():
                rounds[name].append(_drive(base, args.port, paths, headers, slice_seconds, args))
        results = {name: _merge(rs) for name, rs in rounds.items()}
        for name, result in results.items():
            print(f"{name}: {json.dumps(result)}", file=sys.stderr)
            if result["errors"] or not result["requests"]:
                print("gunicorn log (tail):\n" + log.read_text()[-3000:], file=sys.stderr)
    finally:
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        if not args.keep_db:
            _admin(base_url, f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        shutil.rmtree(work, ignore_errors=True)

    ratio = round(results["lookup"]["rps"] / results["bare"]["rps"], 3) if results["bare"]["rps"] else 0.0
    print(
        json.dumps(
            {
                "generator": args.generator,
                "duration_s": args.duration,
                "rounds": args.rounds,
                "connections": args.connections,
                "gunicorn_workers": args.workers,
                "gunicorn_threads": args.gunicorn_threads,
                "lookup_cache_seconds": args.lookup_cache_seconds,
                "cpu_count": os.cpu_count(),
                "bare": results["bare"],
                "lookup": results["lookup"],
                "status": results["status"],
                "ratio_lookup_bare": ratio,
                "target_met": ratio >= 0.5 and results["lookup"]["errors"] == 0 and results["status"]["errors"] == 0,
            }
        )
    )


if __name__ == "__main__":
    main()
