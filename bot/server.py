"""HTTP mode: Bolt behind a multi-threaded production WSGI server (waitress)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

import waitress
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def make_wsgi_app(app: App) -> WSGIApp:
    """`POST /slack/events` for Slack, `GET /healthz` for load balancers and Docker."""
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH and environ.get("REQUEST_METHOD") == "GET":
            start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"ok\n"]
        result: Iterable[bytes] = slack(environ, start_response)
        return result

    return wsgi


def server_options(threads: int) -> dict[str, Any]:
    """The waitress settings we serve with (also used by the benchmark's bare app)."""
    return {
        "threads": threads,
        "connection_limit": 200,
        "channel_timeout": 30,
        "ident": "tovholder",
        "clear_untrusted_proxy_headers": True,
    }


def make_server(wsgi: WSGIApp, *, host: str, port: int, threads: int, **extra: Any) -> Any:
    """A waitress server bound to host:port (port 0 picks a free one); call `.run()`."""
    return waitress.create_server(
        wsgi, host=host, port=port, **{**server_options(threads), **extra}
    )


def serve(app: App, *, host: str, port: int, threads: int) -> None:
    server = make_server(make_wsgi_app(app), host=host, port=port, threads=threads)
    log.info("Tovholder listening on http://%s:%s%s (%s threads)", host, port, EVENTS_PATH, threads)
    server.run()
