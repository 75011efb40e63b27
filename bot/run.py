"""`python -m bot run`: serve Slack (HTTP or Socket Mode) and the clock until SIGTERM/SIGINT.

On SIGTERM (`docker stop`) the bot stops taking work, finishes the requests in flight and the
nudge pass that is running, logs one line and exits 0.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

from apscheduler.schedulers.base import BaseScheduler
from slack_bolt import App
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker
from waitress import wasyncore

from bot.server import EVENTS_PATH, ReplayGuard, WSGIApp, make_server, make_wsgi_app, mount
from bot.settings import Settings

log = logging.getLogger("bot")

# `docker stop` waits 10 s before it kills; finish what is running well inside that.
DRAIN_TIMEOUT_S = 8.0
LOOP_TICK_S = 0.5


# glibc gives each thread that allocates its own malloc arena (up to 8 per core); with the
# server's, Bolt's and the scheduler's threads the process kept growing by about 0.1 KB per
# request from fragmentation across arenas (bench/bench_soak.py). Two arenas keep it flat.
MALLOC_ARENAS = 2
_M_ARENA_MAX = -8  # mallopt() parameter, from glibc's malloc.h


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Cap glibc's malloc arenas (as MALLOC_ARENA_MAX would); call before threads start.
    False where there is no glibc (macOS, musl) or MALLOC_ARENA_MAX is set already."""
    import ctypes
    import ctypes.util
    import os

    if os.environ.get("MALLOC_ARENA_MAX"):
        return False
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_ARENA_MAX, arenas))


class StopSignal:
    """Set by SIGTERM or SIGINT; the serving loops poll it."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.name = ""

    def install(self) -> None:
        def handler(signum: int, _frame: FrameType | None) -> None:
            self.name = signal.Signals(signum).name
            self.event.set()

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)

    @property
    def is_set(self) -> bool:
        return self.event.is_set()


def database_health(session_factory: sessionmaker[Session]) -> tuple[bool, str]:
    try:
        with session_factory() as session:
            session.execute(text("SELECT 1"))
    except Exception as exc:
        return False, f"database unreachable: {type(exc).__name__}"
    return True, "ok"


def finish_work_after_acks(app: App | None) -> None:
    """Wait for what listeners do after their ack (e.g. publishing a Home tab)."""
    executor = getattr(app, "listener_executor", None)
    if executor is not None:
        executor.shutdown(wait=True)


def stop_scheduler(scheduler: BaseScheduler | None) -> None:
    """No new passes; wait for the running one (its sends are recorded in the outbox)."""
    if scheduler is not None and scheduler.running:
        scheduler.shutdown(wait=True)


def serve_http(
    app: App | None,
    *,
    settings: Settings,
    session_factory: sessionmaker[Session],
    scheduler: BaseScheduler | None,
    stop: StopSignal,
    routes: dict[str, WSGIApp] | None = None,
) -> int:
    """Serve until `stop`, then drain: close the port, finish requests in flight, stop.
    `app` is Slack's (None: Teams only); `routes` are other platforms' endpoints."""

    def health() -> tuple[bool, str]:
        return database_health(session_factory)

    slack = (
        make_wsgi_app(
            app,
            signing_secret=settings.slack_signing_secret or "",
            replay_guard=ReplayGuard(session_factory),
            health=health,
        )
        if app is not None
        else None
    )
    wsgi = mount(routes or {}, slack, health=health)
    server = make_server(
        wsgi, host=settings.host, port=settings.port, threads=settings.server_threads
    )
    paths = ([EVENTS_PATH] if app is not None else []) + list(routes or {})
    log.info(
        "Tovholder listening on http://%s:%s (%s; %s threads)",
        settings.host,
        server.effective_port,
        ", ".join(paths),
        settings.server_threads,
    )
    unfinished = serve_until(server, lambda: stop.is_set)
    finish_work_after_acks(app)
    stop_scheduler(scheduler)
    log.info(
        "Tovholder stopped on %s%s",
        stop.name or "request",
        f" ({unfinished} request(s) unfinished after {DRAIN_TIMEOUT_S:.0f} s)"
        if unfinished
        else ": requests in flight and the nudge pass finished",
    )
    return 0


def serve_until(server: Any, stopped: Callable[[], bool]) -> int:
    """Run waitress' loop in this thread until `stopped()`, then drain: close the port, finish
    the requests in flight (up to DRAIN_TIMEOUT_S) and close every socket — in this same thread,
    so no socket is closed under a running select. Returns how many requests were unfinished."""
    while not stopped():
        wasyncore.loop(timeout=LOOP_TICK_S, map=server._map, count=1)
    # Stop taking work: close the listening socket (keep the trigger that wakes the loop).
    wasyncore.dispatcher.close(server)
    deadline = time.monotonic() + DRAIN_TIMEOUT_S
    while _busy(server) and time.monotonic() < deadline:
        wasyncore.loop(timeout=0.05, map=server._map, count=1)
    unfinished = _busy(server)
    server.task_dispatcher.shutdown(cancel_pending=True, timeout=1)
    wasyncore.close_all(server._map)
    return unfinished


class BackgroundServer:
    """A waitress server run by `serve_until` in a thread of its own; `close()` asks that
    thread to drain and close, and waits for it (closing the sockets from here would pull them
    from under its select: `OSError: Bad file descriptor`)."""

    def __init__(self, server: Any, name: str) -> None:
        self.server = server
        self.effective_port = server.effective_port
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=serve_until, args=(server, self._stop.is_set), name=name, daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        """Stop taking work, drain, close (idempotent). The loop notices within one tick
        (LOOP_TICK_S); it is not woken through waitress' trigger, which the serving thread
        may have closed already."""
        self._stop.set()
        self._thread.join(DRAIN_TIMEOUT_S + 2 * LOOP_TICK_S + 1)


def _busy(server: Any) -> int:
    """Requests not fully answered yet: queued or running tasks, or unsent output."""
    dispatcher = server.task_dispatcher
    pending = len(dispatcher.queue) + dispatcher.active_count
    unsent = sum(
        1
        for channel in list(server._map.values())
        if getattr(channel, "total_outbufs_len", 0) or getattr(channel, "requests", None)
    )
    return int(pending + unsent)


HealthCheck = Callable[[], tuple[bool, str]]


# Slack's answers to apps.connections.open that mean the app-level token itself is wrong.
REFUSED_TOKEN_ERRORS = frozenset(
    {"invalid_auth", "not_authed", "token_revoked", "account_inactive", "not_allowed_token_type"}
)
RECONNECT_BACKOFF_S = (1.0, 2.0, 5.0, 10.0, 20.0, 30.0)


class SlackRefused(Exception):
    """Slack refused a credential; the message says which and what to check."""


class SlackUnreachable(Exception):
    """No connection to Slack for longer than allowed; the message says what to check."""


def serve_health(
    host: str,
    port: int,
    check: HealthCheck,
    routes: dict[str, WSGIApp] | None = None,
    threads: int = 1,
) -> BackgroundServer:
    """`GET /healthz` on host:port in a background thread (Socket Mode has no other port),
    with `routes` (Teams' endpoint) beside it."""

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        route = (routes or {}).get(environ.get("PATH_INFO", ""))
        if route is not None:
            return route(environ, start_response)
        if environ.get("PATH_INFO") != "/healthz":
            start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"not found\n"]
        ok, detail = check()
        start_response(
            "200 OK" if ok else "503 Service Unavailable",
            [("Content-Type", "text/plain; charset=utf-8")],
        )
        return [(detail + "\n").encode()]

    return BackgroundServer(make_server(wsgi, host=host, port=port, threads=threads), "healthz")


def _slack_error(exc: Exception) -> str | None:
    response = getattr(exc, "response", None)
    if response is None:
        return None
    try:
        return str(response["error"])
    except (KeyError, TypeError):
        return None


def serve_socket_mode(
    app: App,
    *,
    settings: Settings,
    session_factory: sessionmaker[Session],
    scheduler: BaseScheduler | None,
    stop: StopSignal,
    routes: dict[str, WSGIApp] | None = None,
) -> int:
    """Hold the WebSocket to Slack until `stop`. Reconnects on its own; raises SlackRefused when
    Slack refuses the app token and SlackUnreachable after `slack_connect_timeout_s` without a
    connection, so a supervisor restarts the bot and an operator sees why."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    quiet = logging.getLogger("bot.socket_mode")
    if not log.isEnabledFor(logging.DEBUG):
        quiet.setLevel(logging.CRITICAL)  # its errors are reported here, once, in plain words
    handler = SocketModeHandler(
        app, settings.slack_app_token, logger=quiet, auto_reconnect_enabled=False
    )
    client = handler.client
    socket_errors: list[str] = []  # what the WebSocket reported; the last one is told
    client.on_error_listeners.append(
        lambda exc: socket_errors.append(f"{type(exc).__name__}: {exc}")
    )

    def health() -> tuple[bool, str]:
        if not client.is_connected():
            return False, "not connected to Slack"
        return database_health(session_factory)

    health_server, where = _start_health_check(settings, health, routes)
    log.info("Tovholder starting in Socket Mode (%s)", where)
    try:
        _hold_connection(client, settings=settings, stop=stop, socket_errors=socket_errors)
    finally:
        client.close()  # waits for the requests being handled
        if health_server is not None:
            health_server.close()
        finish_work_after_acks(app)
        stop_scheduler(scheduler)
    log.info("Tovholder stopped on %s: the running nudge pass finished", stop.name or "request")
    return 0


def _start_health_check(
    settings: Settings, check: HealthCheck, routes: dict[str, WSGIApp] | None
) -> tuple[Any, str]:
    """The health check's server, serving `routes` too (Teams' endpoint beside Slack's Socket
    Mode), or None when its port is taken (Slack still works, only the check is missing), and
    where it is, for the log."""
    try:
        threads = settings.server_threads if routes else 1
        server = serve_health(settings.host, settings.port, check, routes, threads=threads)
    except OSError as exc:
        return None, f"no health check: cannot listen on {settings.host}:{settings.port} ({exc})"
    return server, f"health check on http://{settings.host}:{server.effective_port}/healthz"


def _hold_connection(
    client: Any, *, settings: Settings, stop: StopSignal, socket_errors: list[str]
) -> None:
    """Keep the Socket Mode client connected until `stop`, backing off between attempts."""
    connected = False
    down_since = time.monotonic()
    attempt = 0
    while not stop.is_set:
        if client.is_connected():
            if not connected:
                log.info("connected to Slack (Socket Mode)")
                connected = True
            down_since, attempt = time.monotonic(), 0
            socket_errors.clear()
            stop.event.wait(LOOP_TICK_S)
            continue
        if connected:
            log.warning("lost the connection to Slack; reconnecting")
            connected = False
        _connect(client, socket_errors)
        if client.is_connected():
            continue
        waited = time.monotonic() - down_since
        _raise_if_unreachable(settings, waited, socket_errors)
        delay = RECONNECT_BACKOFF_S[min(attempt, len(RECONNECT_BACKOFF_S) - 1)]
        attempt += 1
        stop.event.wait(min(delay, max(0.1, settings.slack_connect_timeout_s - waited)))


def _connect(client: Any, socket_errors: list[str]) -> None:
    """One attempt to open the WebSocket; a refused app token ends the bot (SlackRefused)."""
    try:
        client.connect_to_new_endpoint(force=True)
    except Exception as exc:
        error = _slack_error(exc)
        if error in REFUSED_TOKEN_ERRORS:
            raise SlackRefused(
                f"Slack refused SLACK_APP_TOKEN ({error}). Check the app-level token in "
                ".env against your app's 'Basic Information' -> 'App-Level Tokens' "
                "(it needs the connections:write scope), and that Socket Mode is "
                "enabled; see README.md, section 'Create the Slack app'."
            ) from None
        socket_errors.append(f"{type(exc).__name__}: {error or exc}")


def _raise_if_unreachable(settings: Settings, waited: float, socket_errors: list[str]) -> None:
    """After `slack_connect_timeout_s` without a connection: SlackUnreachable, with the last
    error the WebSocket reported."""
    if waited < settings.slack_connect_timeout_s:
        return
    last_problem = socket_errors[-1] if socket_errors else "no answer"
    raise SlackUnreachable(
        f"Could not connect to Slack for {waited:.0f} s (last error: {last_problem}). "
        f"Check this machine's network, DNS and proxy settings, and that outgoing "
        f"HTTPS and WebSocket (wss://) connections to {settings.slack_api_url} and "
        "wss-primary.slack.com are allowed by the firewall."
    )
