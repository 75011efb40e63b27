"""Throughput and latency of `/sparring logged 2h` over HTTP: ours vs the same work done minimally.

Three servers, one after the other, each one process served by waitress with the same
settings (bot.server.server_options):

- `ours`: the bot (`create_app` behind `make_wsgi_app`, with the replay guard);
- `same-work`: the anchor, a bare Bolt app whose `/sparring` looks the member up, inserts the
  entry and sums the period with the driver directly (sqlite3 or psycopg) and acks with the
  total (bench/anchor_app.py), served through Bolt's own WSGI adapter (Bolt checks the
  signature and parses the body);
- `ack-only`: a bare Bolt app that only acks, the ceiling, served the same way.

The load is wrk (2 threads, keep-alive connections on loopback), as the issue measured it,
sending signed `/sparring logged 2h` commands written beforehand, each with its own
trigger_id (bench/wrk_signed.lua); without wrk, two Python load processes do the same (they
take far more of the machine's two cores). The figures are printed per round and as medians:

    .venv/bin/python bench/bench_sparring_http.py [--seconds 10] [--connections 16]
        [--rounds 3] [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]

Target: ours at >= 0.8x the same-work anchor's throughput, p99 under 50 ms at 16 connections.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import multiprocessing
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECRET = "bench-signing-secret"
MEMBERS = [
    "U0ANNA0001",
    "U0BO000002",
    "U0CAMILLA3",
    "U0DAVID004",
    "U0EMMA0005",
    "U0GRETHE07",
    "U0HANS0008",
    "U0IDA00009",
]
NOW = datetime(2015, 10, 5, 8, 0, tzinfo=UTC)
KINDS = ("ours", "same-work", "ack-only")
WRK_SCRIPT = Path(__file__).with_name("wrk_signed.lua")
WRK_MAX_RPS = 6000  # signed requests written per second of a wrk run: more than any server takes


def serve(kind: str, port: int, database_url: str, slack_url: str, threads: int) -> None:
    """Run one server in this process until it is terminated."""
    from slack_bolt import App
    from slack_bolt.adapter.wsgi import SlackRequestHandler

    from bot.app import create_app
    from bot.server import ReplayGuard, make_server, make_wsgi_app
    from models.db import make_engine, make_session_factory, start_wal_checkpoints
    from tests.slack_standin import standin_settings

    if kind == "ours":
        from bot.run import limit_malloc_arenas

        limit_malloc_arenas()  # as `python -m bot run` does
        settings = standin_settings(
            slack_url,
            slack_signing_secret=SECRET,
            database_url=database_url,
            port=port,
            server_threads=threads,
            log_level="WARNING",
        )
        engine = make_engine(database_url)
        start_wal_checkpoints(engine)  # as `python -m bot run` does
        session_factory = make_session_factory(engine)
        app: App = create_app(settings, session_factory, clock=lambda: NOW)
        guard: ReplayGuard | None = ReplayGuard(session_factory)
    elif kind == "same-work":
        from bench.anchor_app import same_work_app

        app = same_work_app(database_url, SECRET, slack_url, NOW)
        guard = None
    else:
        from bench.anchor_app import ack_only_app

        app = ack_only_app(SECRET, slack_url)
        guard = None

    import logging

    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "queue depth" is expected here
    # The anchors are bare Bolt apps: Bolt's own WSGI adapter, Bolt checking the signature
    # and parsing the body; ours has the gate (bot/server.py) in front, which does both.
    wsgi = (
        make_wsgi_app(app, signing_secret=SECRET, replay_guard=guard)
        if kind == "ours"
        else SlackRequestHandler(app)
    )
    server = make_server(wsgi, host="127.0.0.1", port=port, threads=threads)
    print("READY", flush=True)
    server.run()


def _body(user: str, trigger: str) -> str:
    return urlencode(
        {
            "team_id": "T0BENCH001",
            "channel_id": "C0BENCH001",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/sparring",
            "text": "logged 2h",
            "api_app_id": "A0BENCH001",
            "response_url": "http://127.0.0.1:9/response",
            "trigger_id": trigger,  # unique, as Slack's: equal bodies are replays
        }
    )


def _load_worker(
    port: int, seconds: float, warmup: float, index: int, out: list[float], errors: list[str]
) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    start = time.perf_counter()
    end = start + warmup + seconds
    i = index
    while True:
        now = time.perf_counter()
        if now >= end:
            break
        body = _body(MEMBERS[i % len(MEMBERS)], f"1.{index}.{i}")
        i += 1
        ts = str(int(time.time()))
        sig = (
            "v0="
            + hmac.new(SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
        )
        t0 = time.perf_counter()
        try:
            conn.request(
                "POST",
                "/slack/events",
                body=body,
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "X-Slack-Request-Timestamp": ts,
                    "X-Slack-Signature": sig,
                },
            )
            resp = conn.getresponse()
            resp.read()
            ok = resp.status == 200
        except (OSError, http.client.HTTPException) as exc:
            ok = False
            errors.append(repr(exc))
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        t1 = time.perf_counter()
        if t0 >= start + warmup:
            if ok:
                out.append(t1 - t0)
            else:
                errors.append("status")
    conn.close()


def _load(
    port: int,
    seconds: float,
    warmup: float,
    first: int,
    count: int,
    queue: multiprocessing.Queue,  # type: ignore[type-arg]
) -> None:
    latencies: list[list[float]] = [[] for _ in range(count)]
    errors: list[str] = []
    workers = [
        threading.Thread(
            target=_load_worker, args=(port, seconds, warmup, first + i, latencies[i], errors)
        )
        for i in range(count)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    queue.put(([x for xs in latencies for x in xs], len(errors)))


def _signed_lines(path: Path, label: str, count: int) -> None:
    """Write `count` signed commands for wrk_signed.lua, each with its own trigger_id."""
    ts = str(int(time.time()))
    key = SECRET.encode()
    with path.open("w") as out:
        for i in range(count):
            body = _body(MEMBERS[i % len(MEMBERS)], f"{label}.{i}")
            sig = hmac.new(key, f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
            out.write(f"{ts}\tv0={sig}\t{body}\n")


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far (Linux; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wrk(
    port: int, seconds: float, args: argparse.Namespace, label: str, pid: int
) -> tuple[list[int], float]:
    """One wrk run of `seconds` against the server: its RESULT line's numbers, and the CPU
    time the server process used meanwhile."""
    threads = args.workers
    with tempfile.TemporaryDirectory() as tmp:
        lines = Path(tmp) / "requests.tsv"
        # More than any of the three servers can take in that time, so none is sent twice.
        _signed_lines(lines, label, int(WRK_MAX_RPS * seconds) + 1000)
        cpu_before = _cpu_seconds(pid)
        done = subprocess.run(
            [
                "wrk",
                f"-t{threads}",
                f"-c{args.connections}",
                f"-d{seconds:g}s",
                "--timeout",
                "10s",
                "-s",
                str(WRK_SCRIPT),
                f"http://127.0.0.1:{port}/slack/events",
                "--",
                str(lines),
                str(threads),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        cpu = _cpu_seconds(pid) - cpu_before
    result = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if not result:
        raise SystemExit(f"wrk printed no result:\n{done.stdout}\n{done.stderr}")
    return [int(x) for x in result[0].split()[1:]], cpu


def _measure_with_wrk(port: int, kind: str, args: argparse.Namespace, pid: int) -> dict[str, float]:
    if args.warmup > 0:
        _wrk(port, args.warmup, args, f"w.{kind}", pid)
    figures, cpu = _wrk(port, args.seconds, args, f"m.{kind}", pid)
    requests, status_errors, socket_errors, duration_us, p50_us, p99_us = figures
    ok = requests - status_errors
    return {
        "cpu_ms": cpu * 1000 / max(ok, 1),
        "requests": ok,
        "errors": status_errors + socket_errors,
        "rps": ok / (duration_us / 1e6),
        "p50_ms": p50_us / 1000,
        "p99_ms": p99_us / 1000,
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def measure(
    kind: str, args: argparse.Namespace, database_url: str, slack_url: str
) -> dict[str, float]:
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve",
            kind,
            "--port",
            str(port),
            "--database-url",
            database_url,
            "--slack-url",
            slack_url,
            "--threads",
            str(args.threads),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != "READY":
            raise SystemExit(f"{kind} server did not start")
        if args.load == "wrk":
            return _measure_with_wrk(port, kind, args, proc.pid)
        queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
        shares = [args.connections // args.workers] * args.workers
        shares[0] += args.connections - sum(shares)
        loaders = [
            multiprocessing.Process(
                target=_load,
                args=(port, args.seconds, args.warmup, sum(shares[:w]), shares[w], queue),
            )
            for w in range(args.workers)
        ]
        for loader in loaders:
            loader.start()
        latencies, errors = [], 0
        for _ in loaders:
            part, part_errors = queue.get()
            latencies += part
            errors += part_errors
        for loader in loaders:
            loader.join()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    latencies.sort()
    n = len(latencies)
    return {
        "requests": n,
        "errors": errors,
        "rps": n / args.seconds,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(n - 1, int(n * 0.99))] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=1, help="all servers, this many times")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--load",
        choices=("wrk", "python"),
        default="wrk" if shutil.which("wrk") else "python",
        help="the load: wrk (C, as the issue measured; the default where wrk is installed) "
        "or Python load processes",
    )
    parser.add_argument("--workers", type=int, default=2, help="wrk threads or load processes")
    parser.add_argument("--threads", type=int, default=8, help="waitress threads (all apps)")
    parser.add_argument("--only", choices=KINDS, action="append", help="measure only these servers")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="run on a throw-away database on this PostgreSQL server instead of SQLite, "
        "e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test",
    )
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--serve", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--slack-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.database_url, args.slack_url, args.threads)
        return

    from models.db import make_engine, make_session_factory, upgrade_schema
    from models.network_import import import_network_file
    from tests.pgtemp import temporary_database
    from tests.slack_standin import SlackStandIn

    slack = SlackStandIn().start()
    with ExitStack() as stack:
        if args.postgres:
            database_url = stack.enter_context(temporary_database(args.postgres, "tovholder_bench"))
        else:
            tmp = stack.enter_context(tempfile.TemporaryDirectory())
            database_url = f"sqlite:///{tmp}/bench.db"
        engine = make_engine(database_url)
        upgrade_schema(engine)
        with make_session_factory(engine).begin() as session:
            import_network_file(session, ROOT / "examples" / "network-2015-16.toml", now=NOW)
        engine.dispose()
        backend = database_url.split(":", 1)[0]
        load = (
            f"wrk ({args.workers} threads)"
            if args.load == "wrk"
            else f"{args.workers} Python load processes"
        )
        print(
            f"/sparring logged 2h over HTTP on loopback — {backend}, {args.connections} "
            f"connections from {load}, {args.threads} server threads, "
            f"{args.seconds:.0f} s each, {os.cpu_count()} cores, load average "
            f"{os.getloadavg()[0]:.2f}"
        )
        kinds = [k for k in KINDS if not args.only or k in args.only]
        # Rounds of all servers one after the other: the machine's own speed drifts, and a
        # ratio is only fair between runs made close together.
        rounds = []
        for _ in range(args.rounds):
            results = {}
            for kind in kinds:
                _start_afresh(database_url)
                results[kind] = measure(kind, args, database_url, slack.url)
            rounds.append(results)
    slack.stop()
    _report(rounds)


def _start_afresh(database_url: str) -> None:
    """Every run starts from the database as imported: each `/sparring logged` sums the
    member's period, so a table grown by the runs before would make later runs slower for
    the work, not for the app (and the order of the apps would decide the ratio)."""
    from sqlalchemy import text

    from models.db import make_engine

    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            # The rows the runs add: the entries (their receivers go with them) and the keys.
            conn.execute(text("DELETE FROM sparring_entry"))
            conn.execute(text("DELETE FROM seen_request"))
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
                conn.exec_driver_sql("VACUUM")
            else:
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                    "VACUUM ANALYZE"
                )
    finally:
        engine.dispose()


def _report(rounds: list[dict[str, dict[str, float]]]) -> None:
    print(
        f"{'round':<6}{'app':<10}{'requests':>10}{'errors':>8}{'req/s':>10}{'p50 ms':>9}"
        f"{'p99 ms':>9}{'CPU ms/req':>12}{'x same-work':>13}{'x ack-only':>12}"
    )
    for number, results in enumerate(rounds, 1):
        for kind, r in results.items():
            columns = "".join(
                f"{r['rps'] / results[k]['rps']:>{w}.2f}" if k in results else f"{'-':>{w}}"
                for k, w in (("same-work", 13), ("ack-only", 12))
            )
            print(
                f"{number:<6}{kind:<10}{r['requests']:>10.0f}{r['errors']:>8.0f}{r['rps']:>10.1f}"
                f"{r['p50_ms']:>9.2f}{r['p99_ms']:>9.2f}{r.get('cpu_ms', float('nan')):>12.2f}"
                f"{columns}"
            )
    if "ours" not in rounds[0] or "same-work" not in rounds[0]:
        return
    ratios = [r["ours"]["rps"] / r["same-work"]["rps"] for r in rounds]
    p99s = [r["ours"]["p99_ms"] for r in rounds]
    anchor_p99s = [r["same-work"]["p99_ms"] for r in rounds]
    ratio, p99 = statistics.median(ratios), statistics.median(p99s)
    print(
        f"throughput ours/same-work: {ratio:.2f} median of {len(rounds)} "
        f"(each: {', '.join(f'{x:.2f}' for x in ratios)}; target >= 0.80 met in "
        f"{sum(x >= 0.8 for x in ratios)} of {len(rounds)})"
    )
    print(
        f"our p99: {p99:.1f} ms median (each: {', '.join(f'{x:.0f}' for x in p99s)}; target "
        f"< 50 ms: met in {sum(x < 50 for x in p99s)} of {len(rounds)}); the same-work "
        f"anchor's p99: {', '.join(f'{x:.0f}' for x in anchor_p99s)} ms"
    )


if __name__ == "__main__":
    main()
