"""Profile `/sparring logged 2h` in process: signed requests straight into the WSGI app.

    .venv/bin/python bench/profile_sparring.py [--requests 2000] [--postgres URL] [--kind ours]

Prints cProfile's top functions by cumulative and by own time, and the time per request.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import hmac
import io
import pstats
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_sparring_http import MEMBERS, NOW, SECRET, _body  # noqa: E402


def _environ(i: int) -> dict[str, Any]:
    body = _body(MEMBERS[i % len(MEMBERS)], f"9.{i}.{time.time_ns()}").encode()
    ts = str(int(time.time()))
    mac = hmac.new(SECRET.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256)
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_X_SLACK_REQUEST_TIMESTAMP": ts,
        "HTTP_X_SLACK_SIGNATURE": "v0=" + mac.hexdigest(),
        "REMOTE_ADDR": "127.0.0.1",
        "QUERY_STRING": "",
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "SERVER_PROTOCOL": "HTTP/1.1",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--postgres", metavar="URL")
    parser.add_argument("--kind", choices=["ours", "same-work"], default="ours")
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--time-only", action="store_true", help="no profiler: ms per request")
    parser.add_argument(
        "--callgrind",
        action="store_true",
        help="run under valgrind's callgrind with --instr-atstart=no: count the requests only "
        "(bench/count_sparring.py starts it so)",
    )
    args = parser.parse_args()

    from slack_bolt import App
    from slack_bolt.adapter.wsgi import SlackRequestHandler

    from bot.app import create_app
    from bot.server import ReplayGuard, make_wsgi_app
    from models.db import make_engine, make_session_factory, upgrade_schema
    from models.network_import import import_network_file
    from tests.pgtemp import temporary_database
    from tests.slack_standin import SlackStandIn, standin_settings

    with ExitStack() as stack:
        slack = SlackStandIn().start()
        stack.callback(slack.stop)
        if args.postgres:
            url = stack.enter_context(temporary_database(args.postgres, "tovholder_profile"))
        else:
            url = f"sqlite:///{stack.enter_context(tempfile.TemporaryDirectory())}/p.db"
        engine = make_engine(url)
        upgrade_schema(engine)
        factory = make_session_factory(engine)
        with factory.begin() as session:
            import_network_file(session, ROOT / "examples" / "network-2015-16.toml", now=NOW)
        app: App
        if args.kind == "ours":
            settings = standin_settings(slack.url, slack_signing_secret=SECRET, database_url=url)
            app = create_app(settings, factory, clock=lambda: NOW)
            guard: ReplayGuard | None = ReplayGuard(factory)
        else:
            from bench.anchor_app import same_work_app

            app = same_work_app(url, SECRET, slack.url, NOW)
            guard = None
        # The anchor is a bare Bolt app: Bolt's own WSGI adapter, Bolt checks the signature.
        wsgi = (
            make_wsgi_app(app, signing_secret=SECRET, replay_guard=guard)
            if args.kind == "ours"
            else SlackRequestHandler(app)
        )
        statuses: list[str] = []

        def start_response(
            status: str, _headers: list[tuple[str, str]], _exc_info: Any = None
        ) -> Callable[[bytes], object]:
            statuses.append(status)
            return lambda _data: None

        first = b"".join(wsgi(_environ(0), start_response))
        print(statuses[-1], first.decode()[:300])
        for i in range(50):
            b"".join(wsgi(_environ(i), start_response))
        environs = [_environ(i) for i in range(args.requests)]
        if args.callgrind:
            _count_instructions(wsgi, environs, start_response)
            return
        if args.time_only:
            # The least CPU time of batches of 100: on a busy machine, the closest to a quiet one.
            batches = []
            for start in range(0, len(environs), 100):
                c0 = time.thread_time()
                for environ in environs[start : start + 100]:
                    b"".join(wsgi(environ, start_response))
                batches.append((time.thread_time() - c0) / len(environs[start : start + 100]))
            batches.sort()
            print(
                f"{args.kind}: {batches[0] * 1000:.3f} ms CPU per request at least, "
                f"{batches[len(batches) // 2] * 1000:.3f} median (batches of 100, one thread)"
            )
            return
        profiler = cProfile.Profile(time.process_time)
        t0 = time.perf_counter()
        profiler.enable()
        for environ in environs:
            b"".join(wsgi(environ, start_response))
        profiler.disable()
        elapsed = time.perf_counter() - t0
        print(f"{args.requests} requests, {elapsed / args.requests * 1000:.2f} ms each (profiled)")
        stats = pstats.Stats(profiler).strip_dirs()
        stats.sort_stats("cumulative").print_stats(args.top)
        stats.sort_stats("tottime").print_stats(args.top)


def _count_instructions(wsgi: Any, environs: list[dict[str, Any]], start_response: Any) -> None:
    """The requests alone under callgrind's instrumentation (switched on and off around them)."""
    import os
    import subprocess

    def instrument(state: str) -> None:
        subprocess.run(
            ["callgrind_control", "-i", state, str(os.getpid())], check=True, capture_output=True
        )

    instrument("on")
    for environ in environs:
        b"".join(wsgi(environ, start_response))
    instrument("off")


if __name__ == "__main__":
    main()
