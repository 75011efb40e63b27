"""Settings from the environment (and a `.env` file), checked before anything starts."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

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
README_SETUP = "README.md, section 'Create the Slack app'"


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

    @property
    def socket_mode(self) -> bool:
        return bool(self.slack_app_token)


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
            + f"Where to find them: {README_SETUP}."
        )
    _check_slack_token_format(bot_token, app_token)
    api_url = env.get("SLACK_API_URL", "").strip() or DEFAULT_SLACK_API_URL
    if not api_url.endswith("/"):
        api_url += "/"
    return Settings(
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
