"""`python -m bot run` as a real process: graceful SIGTERM, health checks, and Socket Mode
failures reported in one line with the promised exit code. Slack is the local stand-in."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import EXIT_SLACK, EXIT_UNREACHABLE
from tests.conftest import ROOT
from tests.e2e.conftest import SIGNING_SECRET, signed_headers
from tests.slack_standin import Reply, SlackStandIn


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    standin = SlackStandIn().start()
    yield standin
    standin.stop()


def bot_env(tmp_path: Path, slack_url: str, port: int, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_", "PORT"))}
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_API_URL": slack_url,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "LOG_LEVEL": "INFO",
            **extra,
        }
    )
    return env


def start_bot(tmp_path: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    # cwd is a temporary directory, so no developer's .env is read.
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()
    except OSError:
        return 0, ""


STARTUP_S = 60  # a start-up deadline: generous, as the suite's workers share the cores


def wait_for_health(port: int, proc: subprocess.Popen[str], want: int = 200) -> str:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        status, body = get(f"http://127.0.0.1:{port}/healthz")
        if status == want:
            return body
        time.sleep(0.1)
    raise AssertionError(f"/healthz never answered {want}")


def finish(proc: subprocess.Popen[str], timeout: float = 20) -> tuple[int, str]:
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        raise AssertionError(f"the bot did not exit: {err}") from None
    return proc.returncode, err


def docker_healthcheck(port: int) -> int:
    """Run the Dockerfile's HEALTHCHECK command against the bot on `port`."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'CMD ["python", "-m", "bot", "run", "--host", "0.0.0.0"]' in dockerfile
    command = json.loads(dockerfile.split("HEALTHCHECK")[1].split("CMD ", 1)[1].splitlines()[0])
    command[0] = sys.executable
    return subprocess.run(command, env={**os.environ, "PORT": str(port)}, timeout=10).returncode


def test_sigterm_finishes_the_request_in_flight_and_exits_0(
    tmp_path: Path, slack: SlackStandIn
) -> None:
    port = free_port()
    proc = start_bot(
        tmp_path, bot_env(tmp_path, slack.url, port, SLACK_SIGNING_SECRET=SIGNING_SECRET)
    )
    assert wait_for_health(port, proc) == "ok\n"
    assert docker_healthcheck(port) == 0
    slack.slow_down("views.publish", 1.5)  # the Home tab is published after the ack
    body = json.dumps(
        {
            "type": "event_callback",
            "event_id": "Ev0SIGTERM01",
            "event": {"type": "app_home_opened", "user": "U0NOBODY01", "tab": "home"},
        }
    )
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/slack/events",
        data=body.encode(),
        headers=signed_headers(body, int(time.time())),
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as resp:
        assert resp.status == 200
    slack.wait_for("views.publish")  # under way, answered in 1.5 s
    proc.send_signal(signal.SIGTERM)
    code, err = finish(proc)
    assert code == 0, err
    stopped = [line for line in err.splitlines() if "stopped" in line]
    assert len(stopped) == 1 and "SIGTERM" in stopped[0], err
    assert "Traceback" not in err
    # The publish under way was not cut off: its call completed before the exit.
    assert len(slack.calls_to("views.publish")) == 1
    assert get(f"http://127.0.0.1:{port}/healthz")[0] == 0  # the port is closed


def test_routine_scheduler_runs_are_not_logged(tmp_path: Path, slack: SlackStandIn) -> None:
    port = free_port()
    proc = start_bot(
        tmp_path, bot_env(tmp_path, slack.url, port, SLACK_SIGNING_SECRET=SIGNING_SECRET)
    )
    wait_for_health(port, proc)
    time.sleep(0.5)  # the first nudge pass runs at start
    proc.send_signal(signal.SIGTERM)
    code, err = finish(proc)
    assert code == 0
    assert "Running job" not in err and "executed successfully" not in err


def test_socket_mode_with_a_token_slack_refuses_exits_3_with_one_line(
    tmp_path: Path, slack: SlackStandIn
) -> None:
    slack.script("apps.connections.open", Reply(body={"ok": False, "error": "invalid_auth"}))
    with socket.socket() as taken:  # the health check's port is in use: not a reason to fail
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        proc = start_bot(
            tmp_path,
            bot_env(tmp_path, slack.url, taken.getsockname()[1], SLACK_APP_TOKEN="xapp-1-revoked"),
        )
        code, err = finish(proc)
    assert "no health check: cannot listen on 127.0.0.1" in err
    assert code == EXIT_SLACK
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if " ERROR " in line]
    assert len(errors) == 1, err
    assert "Slack refused SLACK_APP_TOKEN (invalid_auth)" in errors[0]
    assert "App-Level Tokens" in errors[0]


def test_socket_mode_that_cannot_connect_is_unhealthy_then_exits(
    tmp_path: Path, slack: SlackStandIn
) -> None:
    """The stand-in hands out a WebSocket address where nothing listens (a blocked wss://)."""
    port = free_port()
    proc = start_bot(
        tmp_path,
        bot_env(
            tmp_path, slack.url, port, SLACK_APP_TOKEN="xapp-1-test", SLACK_CONNECT_TIMEOUT="3"
        ),
    )
    assert wait_for_health(port, proc, want=503) == "not connected to Slack\n"
    code, err = finish(proc)
    assert code == EXIT_UNREACHABLE
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if " ERROR " in line]
    assert len(errors) == 1, err
    assert "Could not connect to Slack for 3 s" in errors[0]
    assert "firewall" in errors[0]
    assert len(slack.calls_to("apps.connections.open")) >= 2  # it kept trying until then


def test_no_network_to_slack_is_one_line_and_exit_5(tmp_path: Path) -> None:
    # A port bound but never listening refuses every connection, and, held, no other test's
    # server (the suite runs on several workers) can take it meanwhile, as a free port could.
    with socket.socket() as refusing:
        refusing.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{refusing.getsockname()[1]}/api/"
        proc = start_bot(tmp_path, bot_env(tmp_path, url, free_port(), SLACK_APP_TOKEN="xapp-1"))
        code, err = finish(proc, timeout=60)
    assert code == EXIT_UNREACHABLE, err
    assert "Traceback" not in err
    assert "Cannot reach Slack at http://127.0.0.1:" in err
    assert len([line for line in err.splitlines() if "Slack" in line]) == 1, err


def test_malloc_arenas_are_capped_unless_the_operator_chose(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import ctypes.util
    import platform

    from bot.run import limit_malloc_arenas

    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert limit_malloc_arenas() is False  # the operator's setting stands
    monkeypatch.delenv("MALLOC_ARENA_MAX")
    glibc = platform.libc_ver()[0] == "glibc" and ctypes.util.find_library("c") is not None
    assert limit_malloc_arenas() is glibc


def test_healthz_is_503_when_the_database_is_down() -> None:
    from slack_bolt import App

    from bot.run import database_health
    from bot.server import make_wsgi_app
    from models.db import make_engine, make_session_factory

    down = make_session_factory(make_engine(f"postgresql+psycopg://x@127.0.0.1:{free_port()}/x"))
    app = App(signing_secret="s", token="xoxb-1", token_verification_enabled=False)
    wsgi = make_wsgi_app(app, signing_secret="s", health=lambda: database_health(down))
    answered: list[str] = []
    body = b"".join(
        wsgi(
            {"PATH_INFO": "/healthz", "REQUEST_METHOD": "GET"},
            lambda status, headers: answered.append(status),
        )
    )
    assert answered == ["503 Service Unavailable"]
    assert body == b"database unreachable: OperationalError\n"


def test_health_server_closes_in_its_own_thread_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Socket Mode's health server runs in a thread; closing it from the main thread while that
    thread sat in select() raised `OSError: Bad file descriptor` there (a traceback in the log
    at every stop, seen on CI). Now the serving thread drains and closes its own sockets."""
    import threading

    from bot.run import serve_health

    crashed: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: crashed.append(args.exc_value))
    for _ in range(20):
        server = serve_health("127.0.0.1", 0, lambda: (True, "ok"))
        url = f"http://127.0.0.1:{server.effective_port}/healthz"
        with urllib.request.urlopen(url, timeout=5) as response:
            assert response.read() == b"ok\n"
        server.close()
        assert not server._thread.is_alive()
        with pytest.raises(urllib.error.URLError):
            urllib.request.urlopen(url, timeout=2)
    assert crashed == []
