"""Instructions per `/sparring logged 2h`, ours against the same-work anchor: a measure that,
unlike seconds, does not move with what else the machine is doing.

    .venv/bin/python bench/count_sparring.py [--requests 300] [--postgres URL]

Runs bench/profile_sparring.py under valgrind's callgrind for each app, with the
instrumentation switched on only while the signed requests go through the WSGI app in one
thread (not while Python starts, the schema is made or the network imported), and prints the
instructions per request and their ratio. Counted in this process only: what the database
does (PostgreSQL's own server, SQLite's file I/O in the kernel) is not in it, so it tells
where our own code stands against the anchor, not the whole cost of a request. Needs
valgrind (Debian's package `valgrind`); each app takes about a minute.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def count(kind: str, requests: int, postgres: str | None) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        command = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={tmp}/callgrind.out",
            sys.executable,
            str(ROOT / "bench" / "profile_sparring.py"),
            "--callgrind",
            "--kind",
            kind,
            "--requests",
            str(requests),
        ]
        if postgres:
            command += ["--postgres", postgres]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise SystemExit(f"callgrind printed no count:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--postgres", metavar="URL")
    args = parser.parse_args()
    per_request = {
        kind: count(kind, args.requests, args.postgres) / args.requests
        for kind in ("ours", "same-work")
    }
    backend = "postgresql" if args.postgres else "sqlite"
    print(f"/sparring logged 2h in process, one thread, {args.requests} requests, {backend}")
    for kind, instructions in per_request.items():
        print(f"{kind:<10}{instructions / 1e6:>8.3f} M instructions per request")
    ratio = per_request["same-work"] / per_request["ours"]
    print(f"same-work / ours: {ratio:.2f} (1.00 would be the anchor's own work)")


if __name__ == "__main__":
    main()
