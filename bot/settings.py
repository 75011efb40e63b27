"""Settings from the environment (and a `.env` file), checked before anything starts."""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import load_dotenv

DEFAULT_DATABASE_URL = "sqlite:///data/tovholder.db"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_PORT = 3000
# Only this machine can reach the HTTP port unless HOST says otherwise; the Docker image runs
# `python -m bot run --host 0.0.0.0` so that the port is reachable from outside the container.
DEFAULT_HOST = "127.0.0.1"
# Socket Mode: how long the WebSocket may stay unconnected before the bot exits (so that a
# supervisor restarts it and someone notices) instead of retrying silently forever.
DEFAULT_SLACK_CONNECT_TIMEOUT_S = 180
# The example values of .env.example: set, but not tokens.
PLACEHOLDER_TOKENS = frozenset({"xoxb-your-bot-token", "xapp-your-app-level-token"})
DEFAULT_SERVER_THREADS = 8
TEAMS_APP_ID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
README_SETUP = "README.md, section 'Create the Slack app'"
README_TEAMS = "README.md, section 'Microsoft Teams'"
README_PLAYGROUND = "README.md, section 'Try it without Slack or Teams: the Agents Playground'"
# Microsoft's public cloud. Tests point these at a local stand-in; a sovereign cloud sets its own.
DEFAULT_TEAMS_OPENID_METADATA_URL = (
    "https://login.botframework.com/v1/.well-known/openidconfiguration"
)
DEFAULT_TEAMS_LOGIN_URL = "https://login.microsoftonline.com"
# The tenant a multi-tenant bot asks its token from (Bot Framework's own).
TEAMS_MULTI_TENANT = "botframework.com"
# Where a conversation is opened for someone who never wrote to the bot (no stored reference).
DEFAULT_TEAMS_SERVICE_URL = "https://smba.trafficmanager.net/teams/"
# TEAMS_PLAYGROUND: Microsoft 365 Agents Playground's own Bot Connector on this machine.
DEFAULT_PLAYGROUND_SERVICE_URL = "http://localhost:56150/_connector/"
# The bot id the playground gives its test bot (in place of an app id nobody registered).
PLAYGROUND_BOT_ID = "00000000-0000-0000-0000-00000000000011"


class ConfigError(Exception):
    """Settings are missing or malformed; the message says what to set and where."""


@dataclass(frozen=True)
class Settings:
    slack_bot_token: str
    slack_signing_secret: str | None
    slack_app_token: str | None
    slack_api_url: str
    database_url: str
    port: int
    server_threads: int
    log_level: str
    host: str = DEFAULT_HOST
    slack_connect_timeout_s: int = DEFAULT_SLACK_CONNECT_TIMEOUT_S
    teams: TeamsSettings | None = None  # None: no Teams surface

    def __post_init__(self) -> None:
        # Here, not in settings_from_env: `run --host` replaces the host afterwards.
        if self.teams is not None and self.teams.playground and not is_loopback(self.host):
            raise ConfigError(
                "TEAMS_PLAYGROUND=1 lets in requests nobody signed, so the bot must listen on "
                f"this machine only (HOST=127.0.0.1, no --host), not on {self.host!r}. "
                f"See {README_PLAYGROUND}."
            )

    @property
    def slack(self) -> bool:
        """Serve Slack (its credentials are set); False: Teams only."""
        return bool(self.slack_bot_token)

    @property
    def socket_mode(self) -> bool:
        return bool(self.slack_app_token)


@dataclass(frozen=True)
class TeamsSettings:
    """The bot's Azure/Teams registration and the Microsoft endpoints it talks to."""

    app_id: str
    app_password: str  # the client secret of the app registration
    tenant_id: str | None = None  # None: a multi-tenant bot
    openid_metadata_url: str = DEFAULT_TEAMS_OPENID_METADATA_URL
    token_url: str = ""  # "" : the login endpoint of the tenant (see `login_url`)
    service_url: str = DEFAULT_TEAMS_SERVICE_URL
    # Microsoft 365 Agents Playground on this machine: unsigned requests from localhost only.
    playground: bool = False

    @property
    def login_url(self) -> str:
        """Where the bot gets its client-credentials token."""
        if self.token_url:
            return self.token_url
        tenant = self.tenant_id or TEAMS_MULTI_TENANT
        return f"{DEFAULT_TEAMS_LOGIN_URL}/{tenant}/oauth2/v2.0/token"


def load_env_file(path: str | Path = ".env") -> None:
    """Read `.env` if present; variables already set in the environment win."""
    load_dotenv(path, override=False)


def database_url_from_env() -> str:
    load_env_file()
    return os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL


def _int(name: str, default: int, env: dict[str, str]) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}.") from None
    if value <= 0:
        raise ConfigError(f"{name} must be greater than 0, got {value}.")
    return value


def _check_slack_token_format(bot_token: str, app_token: str | None) -> None:
    """ConfigError when a Slack token is still the example value or is not of its kind."""
    placeholders = [
        name
        for name, value in (("SLACK_BOT_TOKEN", bot_token), ("SLACK_APP_TOKEN", app_token))
        if value in PLACEHOLDER_TOKENS
    ]
    if placeholders:
        raise ConfigError(
            "Tovholder cannot start: "
            + " and ".join(placeholders)
            + " still hold the example value from .env.example; put your app's real "
            + f"token(s) in .env. Where to find them: {README_SETUP}."
        )
    if not bot_token.startswith("xoxb-"):
        raise ConfigError(
            f"SLACK_BOT_TOKEN must be a bot token starting with xoxb-. See {README_SETUP}."
        )
    if app_token is not None and not app_token.startswith("xapp-"):
        raise ConfigError(
            f"SLACK_APP_TOKEN must be an app-level token starting with xapp-. See {README_SETUP}."
        )


def settings_from_env(env: dict[str, str] | None = None) -> Settings:
    """Build settings from `env` (default: the process environment plus `.env`).

    Raises ConfigError naming every missing variable, so an administrator fixes all in one go.
    """
    if env is None:
        load_env_file()
        env = dict(os.environ)
    teams = teams_settings_from_env(env)
    slack_set = any(
        env.get(name, "").strip()
        for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET")
    )
    if teams is not None and teams.playground and slack_set:
        raise ConfigError(
            "TEAMS_PLAYGROUND=1 cannot be combined with Slack credentials: the playground lets "
            "anyone on this machine act as any member, so it runs alone, on a trial database. "
            f"See {README_PLAYGROUND}."
        )
    if teams is not None and not slack_set:  # Teams only
        return _common(env, bot_token="", app_token=None, signing_secret=None, teams=teams)
    bot_token = env.get("SLACK_BOT_TOKEN", "").strip()
    app_token = env.get("SLACK_APP_TOKEN", "").strip() or None
    signing_secret = env.get("SLACK_SIGNING_SECRET", "").strip() or None

    missing = []
    if not bot_token:
        missing.append("SLACK_BOT_TOKEN (starts with xoxb-)")
    if app_token is None and signing_secret is None:
        missing.append(
            "SLACK_APP_TOKEN (xapp-, for Socket Mode) or SLACK_SIGNING_SECRET (for HTTP mode)"
        )
    if missing:
        raise ConfigError(
            "Tovholder cannot start: set "
            + " and ".join(missing)
            + " in the environment or in a .env file (copy .env.example to .env). "
            + f"Where to find them: {README_SETUP}. For Microsoft Teams (instead or as well) "
            + f"set TEAMS_APP_ID and TEAMS_APP_PASSWORD; see {README_TEAMS}."
        )
    _check_slack_token_format(bot_token, app_token)
    return _common(
        env, bot_token=bot_token, app_token=app_token, signing_secret=signing_secret, teams=teams
    )


def _common(
    env: dict[str, str],
    *,
    bot_token: str,
    app_token: str | None,
    signing_secret: str | None,
    teams: TeamsSettings | None,
) -> Settings:
    api_url = env.get("SLACK_API_URL", "").strip() or DEFAULT_SLACK_API_URL
    if not api_url.endswith("/"):
        api_url += "/"
    return Settings(
        teams=teams,
        slack_bot_token=bot_token,
        slack_signing_secret=signing_secret,
        slack_app_token=app_token,
        slack_api_url=api_url,
        database_url=env.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL,
        port=_int("PORT", DEFAULT_PORT, env),
        server_threads=_int("SERVER_THREADS", DEFAULT_SERVER_THREADS, env),
        log_level=env.get("LOG_LEVEL", "").strip().upper() or "INFO",
        host=env.get("HOST", "").strip() or DEFAULT_HOST,
        slack_connect_timeout_s=_int("SLACK_CONNECT_TIMEOUT", DEFAULT_SLACK_CONNECT_TIMEOUT_S, env),
    )


def _url(name: str, env: dict[str, str], default: str) -> str:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.startswith(("https://", "http://")):
        raise ConfigError(f"{name} must be a URL starting with https://, got {raw!r}.")
    return raw


def is_loopback(host: str) -> bool:
    """`host` (an address, IPv6 with or without brackets, or `localhost`) is this machine only.
    Any other name is not: `127.0.0.1.example.org` is somewhere else."""
    host = host.strip().strip("[]").lower()
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


def _playground_settings(env: dict[str, str]) -> TeamsSettings:
    """TEAMS_PLAYGROUND=1: no credentials (there is nothing real to sign in to), and the
    connector only on this machine."""
    given = [name for name in ("TEAMS_APP_ID", "TEAMS_APP_PASSWORD") if env.get(name, "").strip()]
    if given:
        raise ConfigError(
            "TEAMS_PLAYGROUND=1 takes no Teams credentials, but "
            + " and ".join(given)
            + " are set: a bot with a real registration must check every request's token. "
            + f"Unset one or the other. See {README_PLAYGROUND}."
        )
    service_url = _url("TEAMS_SERVICE_URL", env, DEFAULT_PLAYGROUND_SERVICE_URL)
    if not is_loopback(urlsplit(service_url).hostname or ""):
        raise ConfigError(
            f"With TEAMS_PLAYGROUND=1, TEAMS_SERVICE_URL must be on this machine (localhost), "
            f"got {service_url!r}. See {README_PLAYGROUND}."
        )
    return TeamsSettings(
        app_id=PLAYGROUND_BOT_ID,
        app_password="",
        service_url=service_url if service_url.endswith("/") else service_url + "/",
        playground=True,
    )


def teams_settings_from_env(env: dict[str, str]) -> TeamsSettings | None:
    """The Teams settings, or None when Teams is not configured (TEAMS_APP_ID unset)."""
    playground = env.get("TEAMS_PLAYGROUND", "").strip().lower()
    if playground in {"1", "true", "yes"}:
        return _playground_settings(env)
    if playground not in {"", "0", "false", "no"}:
        raise ConfigError(f"TEAMS_PLAYGROUND must be 1 or 0, got {playground!r}.")
    app_id = env.get("TEAMS_APP_ID", "").strip()
    password = env.get("TEAMS_APP_PASSWORD", "").strip()
    if not app_id and not password:
        return None
    missing = [
        name
        for name, value in (("TEAMS_APP_ID", app_id), ("TEAMS_APP_PASSWORD", password))
        if not value
    ]
    if missing:
        raise ConfigError(
            "Tovholder cannot start: for Microsoft Teams set "
            + " and ".join(missing)
            + " as well (the bot's app id and client secret from its Azure Bot or Teams "
            + f"Developer Portal registration). See {README_TEAMS}."
        )
    if not TEAMS_APP_ID_RE.match(app_id):
        raise ConfigError(
            "TEAMS_APP_ID must be the bot's Microsoft app id, a GUID such as "
            f"8f0e2c1a-5b7d-4c3e-9a61-2d4f6b8e0c17, got {app_id!r}. See {README_TEAMS}."
        )
    service_url = _url("TEAMS_SERVICE_URL", env, DEFAULT_TEAMS_SERVICE_URL)
    return TeamsSettings(
        app_id=app_id,
        app_password=password,
        tenant_id=env.get("TEAMS_TENANT_ID", "").strip() or None,
        openid_metadata_url=_url(
            "TEAMS_OPENID_METADATA_URL", env, DEFAULT_TEAMS_OPENID_METADATA_URL
        ),
        token_url=_url("TEAMS_TOKEN_URL", env, ""),
        service_url=service_url if service_url.endswith("/") else service_url + "/",
    )


def teams_app_id_from_env(env: dict[str, str] | None = None) -> str:
    """TEAMS_APP_ID alone (the app package needs no secret)."""
    if env is None:
        load_env_file()
        env = dict(os.environ)
    app_id = env.get("TEAMS_APP_ID", "").strip()
    if not TEAMS_APP_ID_RE.match(app_id):
        raise ConfigError(
            "Set TEAMS_APP_ID to the bot's Microsoft app id (a GUID such as "
            "8f0e2c1a-5b7d-4c3e-9a61-2d4f6b8e0c17) in the environment or in .env. "
            f"See {README_TEAMS}."
        )
    return app_id
