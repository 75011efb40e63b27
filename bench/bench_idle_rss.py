"""Idle memory: the RSS of `python -m bot run` (HTTP mode) a few seconds after it starts.

    .venv/bin/python bench/bench_idle_rss.py [--wait 6] [--teams]

The bot runs as operators run it, against the local Slack stand-in and a temporary SQLite
file with the example network. Anchor: the issue's goal, at most 80 MB (Slack only; with
`--teams` Teams is configured too, against the local Teams stand-in). Linux only.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_soak import rss_mb  # noqa: E402
from bench.bench_sparring_http import SECRET, _free_port  # noqa: E402

GOAL_MB = 80.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--wait", type=float, default=6.0, help="seconds after start")
    parser.add_argument("--teams", action="store_true", help="serve Teams as well")
    args = parser.parse_args()

    from tests.slack_standin import SlackStandIn

    slack = SlackStandIn().start()
    teams_env: dict[str, str] = {}
    if args.teams:
        from tests.teams_standin import TeamsStandIn

        standin = TeamsStandIn().start()
        settings = standin.settings()
        teams_env = {
            "TEAMS_APP_ID": settings.app_id,
            "TEAMS_APP_PASSWORD": settings.app_password,
            "TEAMS_TENANT_ID": settings.tenant_id or "",
            "TEAMS_OPENID_METADATA_URL": settings.openid_metadata_url,
            "TEAMS_TOKEN_URL": settings.token_url,
            "TEAMS_SERVICE_URL": settings.service_url,
        }
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = {
                **os.environ,
                "DATABASE_URL": f"sqlite:///{tmp}/idle.db",
                "SLACK_BOT_TOKEN": "xoxb-bench",
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": slack.url,
                "PORT": str(_free_port()),
                "HOST": "127.0.0.1",
                **teams_env,
            }
            env.pop("SLACK_APP_TOKEN", None)
            if not args.teams:
                for name in [n for n in env if n.startswith("TEAMS_")]:
                    env.pop(name)
            bot = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            try:
                time.sleep(args.wait)
                if bot.poll() is not None:
                    raise SystemExit(f"the bot stopped: {bot.stderr.read() if bot.stderr else ''}")
                rss = rss_mb(bot.pid)
            finally:
                bot.send_signal(signal.SIGTERM)
                bot.wait(20)
    finally:
        slack.stop()
    what = "Slack and Teams" if args.teams else "Slack only"
    print(f"idle RSS after {args.wait:g} s, {what}: {rss:.1f} MB (goal at most {GOAL_MB:.0f} MB)")


if __name__ == "__main__":
    main()
