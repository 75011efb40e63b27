"""Soak: the real server's memory (RSS) over many signed requests, to show it levels off.

The server runs in its own process (waitress + our app, as `bench_sparring_http.py` serves it)
on loopback, with the local Slack stand-in; this process sends a mix of signed requests
(`/sparring` logging and status, help, Home tab events, an unsigned probe) on keep-alive
connections and prints the server's RSS every `--every` requests. Bounded in count and time:

    .venv/bin/python bench/bench_soak.py [--requests 40000] [--every 4000] [--max-seconds 180]

Anchor: RSS flat after warm-up — growth over the second half under 2 MB (before the fix the
issue measured about 0.4 KB per request, 28 MB over 72,000). Linux only (reads /proc).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import json
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_sparring_http import MEMBERS, NOW, SECRET, _free_port  # noqa: E402


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def _signed(body: str, content_type: str) -> dict[str, str]:
    ts = str(int(time.time()))
    sig = hmac.new(SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": "v0=" + sig,
    }


KINDS = {"log": 0, "status": 1, "help": 2, "event": 8, "unsigned": 9}


def request_for(n: int, worker: int, only: str | None = None) -> tuple[str, dict[str, str]]:
    """The n-th request of a worker: mostly commands, some events, now and then a forgery
    (or only one `KINDS` of request, to find which one grows)."""
    user = MEMBERS[n % len(MEMBERS)]
    kind = KINDS[only] if only else n % 10
    if kind == 9:  # not Slack's: refused before parsing
        return "command=/sparring&text=x", {"Content-Type": "application/x-www-form-urlencoded"}
    if kind == 8:
        body = json.dumps(
            {
                "type": "event_callback",
                "event_id": f"Ev{worker}x{n}",
                "event": {"type": "app_home_opened", "user": user, "tab": "home"},
            }
        )
        return body, _signed(body, "application/json")
    text = {0: "logged 30m with <@U0BO000002>", 1: "status", 2: "help"}.get(kind % 3, "")
    body = urlencode(
        {
            "team_id": "T0BENCH001",
            "channel_id": "C0BENCH001",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/sparring",
            "text": text,
            "response_url": "http://127.0.0.1:9/response",
            "trigger_id": f"1.{worker}.{n}",
        }
    )
    return body, _signed(body, "application/x-www-form-urlencoded")


def worker(
    port: int,
    index: int,
    counter: list[int],
    lock: threading.Lock,
    stop: float,
    only: str | None = None,
) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    n = 0
    while time.monotonic() < stop:
        with lock:
            if counter[0] <= 0:
                break
            counter[0] -= 1
        body, headers = request_for(n, index, only)
        n += 1
        try:
            conn.request("POST", "/slack/events", body=body, headers=headers)
            conn.getresponse().read()
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=40000)
    parser.add_argument("--every", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--max-seconds", type=float, default=180.0)
    parser.add_argument("--only", choices=sorted(KINDS), help="send only this kind of request")
    args = parser.parse_args()

    from models.db import make_engine, make_session_factory, upgrade_schema
    from models.network_import import import_network_file
    from tests.conftest import EXAMPLE_NETWORK
    from tests.slack_standin import SlackStandIn

    slack = SlackStandIn().start()
    with ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        database_url = f"sqlite:///{tmp}/soak.db"
        engine = make_engine(database_url)
        upgrade_schema(engine)
        with make_session_factory(engine).begin() as session:
            import_network_file(session, EXAMPLE_NETWORK, now=NOW)
        engine.dispose()
        port = _free_port()
        server = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "bench" / "bench_sparring_http.py"),
                "--serve",
                "ours",
                "--port",
                str(port),
                "--database-url",
                database_url,
                "--slack-url",
                slack.url,
                "--threads",
                "4",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        stack.callback(server.wait, 10)
        stack.callback(server.terminate)
        assert server.stdout is not None
        if server.stdout.readline().strip() != "READY":
            raise SystemExit("server did not start")
        deadline = time.monotonic() + args.max_seconds
        done = 0
        samples: list[tuple[int, float]] = [(0, rss_mb(server.pid))]
        print(f"{'requests':>9} {'RSS MB':>8}")
        print(f"{0:>9} {samples[0][1]:>8.1f}")
        while done < args.requests and time.monotonic() < deadline:
            batch = min(args.every, args.requests - done)
            counter, lock = [batch], threading.Lock()
            threads = [
                threading.Thread(target=worker, args=(port, i, counter, lock, deadline, args.only))
                for i in range(args.concurrency)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            done += batch - max(counter[0], 0)
            slack.reset()  # the stand-in's own call log is not the server's memory
            samples.append((done, rss_mb(server.pid)))
            print(f"{done:>9} {samples[-1][1]:>8.1f}", flush=True)
        time.sleep(1)  # let the work after the last acks reach the stand-in before the end
        half = [rss for n, rss in samples if n >= done / 2]
        growth = half[-1] - half[0]
        per_request_kb = growth * 1024 / max(1, done - done / 2)
        print(
            f"second half: {growth:+.1f} MB ({per_request_kb:.3f} KB/request)  "
            "anchor: under 2 MB, flat"
        )
    slack.stop()


if __name__ == "__main__":
    main()
