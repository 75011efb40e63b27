"""The app factory: a Bolt app wired to the database, the clock and every handler module."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from http.client import RemoteDisconnected
from urllib.error import URLError

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from sqlalchemy.orm import Session, sessionmaker

from bot.settings import Settings
from handlers import (
    applications,
    attendance,
    bazaar,
    briefs,
    calendar,
    competencies,
    errors,
    exchange,
    followup,
    home,
    library,
    network,
    nudges,
    prep,
    reflection,
    renewal,
    sparring,
    spread,
)
from handlers.context import Clock, close_request_scope, make_scope_middleware
from jobs.messenger import Messenger
from jobs.slack_messenger import SlackMessenger
from models.base import utc_now

log = logging.getLogger(__name__)

WEB_API_TIMEOUT_S = 10


def make_web_client(
    settings: Settings, *, retry_ambiguous: bool = True, timeout: float = WEB_API_TIMEOUT_S
) -> WebClient:
    """A Web API client on SLACK_API_URL.

    With `retry_ambiguous` (the interactive app) it waits out HTTP 429 (`Retry-After`) and
    retries server errors, dropped connections and timeouts at once.

    Without it (the nudge sender) it retries nothing at all — not even the connection-error
    retry that `WebClient` installs by default: after a dropped connection, a timeout or a 5xx
    Slack may have posted the message after all, so the sender itself retries later and first
    checks the DM; on a 429 (Slack took nothing) it moves on to other members and comes back
    after `Retry-After`, so one call never outlasts its claim (see jobs/nudges.py).
    """
    client = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
    client.timeout = timeout  # type: ignore[assignment]  # urllib takes fractions of a second
    if not retry_ambiguous:
        client.retry_handlers = []
        return client
    client.retry_handlers = [
        RateLimitErrorRetryHandler(max_retry_count=5),
        ServerErrorRetryHandler(max_retry_count=3),
        ConnectionErrorRetryHandler(
            max_retry_count=3,
            error_types=[URLError, ConnectionResetError, RemoteDisconnected, TimeoutError],
        ),
    ]
    return client


def make_messenger(
    settings: Settings, session_factory: sessionmaker[Session] | None = None
) -> Messenger:
    """What the clock side sends through: Slack, Teams or both (by the person), with clients
    that retry nothing (the outbox retries, looking first where the platform can be asked)."""
    slack = SlackMessenger(make_web_client(settings, retry_ambiguous=False))
    if settings.teams is None:
        return slack
    if session_factory is None:
        raise ValueError("sending on Teams needs the session factory")
    # Imported only with Teams configured: the SDK and httpx cost memory.
    from bot.teams_server import make_connector
    from jobs.platforms import ByPlatform
    from jobs.teams_messenger import TeamsMessenger

    teams = TeamsMessenger(
        make_connector(settings.teams),
        session_factory,
        app_id=settings.teams.app_id,
        tenant_id=settings.teams.tenant_id,
        service_url=settings.teams.service_url,
    )
    return ByPlatform(slack=slack if settings.slack else None, teams=teams)


class TovholderApp(App):
    """Bolt's App, closing the per-request DB session once the request is fully handled."""

    # Runs the work after an ack (lazy listeners); a graceful stop waits for it.
    listener_executor: ThreadPoolExecutor

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        try:
            response: BoltResponse = super().dispatch(req)
        finally:
            close_request_scope(req.context)
        return response


def create_app(
    settings: Settings, session_factory: sessionmaker[Session], clock: Clock = utc_now
) -> TovholderApp:
    """Build the Bolt app. Listeners run before the response (`process_before_response`):
    each one does only fast, local work and acks with its reply, well inside Slack's 3 s."""
    executor = ThreadPoolExecutor(max_workers=5, thread_name_prefix="after-ack")
    app = TovholderApp(
        client=make_web_client(settings),
        listener_executor=executor,
        signing_secret=settings.slack_signing_secret or "",
        # Every HTTP request is verified once, by the gate in bot/server.py, before Bolt sees
        # it (the same v0 signature and age check, and more); Socket Mode is not signed.
        request_verification_enabled=False,
        process_before_response=True,
        logger=logging.getLogger("slack_bolt"),
    )
    app.listener_executor = executor
    # Bolt logs a refused request with its whole body at INFO. The server refuses those before
    # Bolt sees them (bot/server.py); this keeps a body someone else controls out of the log
    # whatever the entry point.
    logging.getLogger("slack_bolt.RequestVerification").setLevel(logging.WARNING)
    app.use(make_scope_middleware(session_factory, clock))
    errors.register(app)
    sparring.register(app)
    network.register(app)
    calendar.register(app)
    briefs.register(app)
    home.register(app)
    prep.register(app)
    nudges.register(app)
    followup.register(app)
    spread.register(app)
    attendance.register(app)
    competencies.register(app)
    exchange.register(app)
    applications.register(app)
    renewal.register(app)
    reflection.register(app)
    library.register(app)
    bazaar.register(app)
    return app
