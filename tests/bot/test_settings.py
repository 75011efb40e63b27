import pytest

from bot.settings import DEFAULT_DATABASE_URL, ConfigError, settings_from_env


def test_socket_mode_needs_bot_and_app_token() -> None:
    s = settings_from_env({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"})
    assert s.socket_mode
    assert s.database_url == DEFAULT_DATABASE_URL
    assert s.slack_api_url == "https://slack.com/api/"
    assert s.port == 3000


def test_http_mode_needs_signing_secret() -> None:
    s = settings_from_env(
        {
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_SIGNING_SECRET": "abc",
            "SLACK_API_URL": "http://127.0.0.1:9/api",
            "PORT": "8080",
        }
    )
    assert not s.socket_mode
    assert s.slack_api_url == "http://127.0.0.1:9/api/"
    assert s.port == 8080


def test_missing_credentials_are_all_named() -> None:
    with pytest.raises(ConfigError) as err:
        settings_from_env({})
    message = str(err.value)
    assert "SLACK_BOT_TOKEN" in message
    assert "SLACK_APP_TOKEN" in message and "SLACK_SIGNING_SECRET" in message
    assert ".env.example" in message and "README.md" in message


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"SLACK_BOT_TOKEN": "xoxp-1", "SLACK_APP_TOKEN": "xapp-1"}, "starting with xoxb-"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-2"}, "starting with xapp-"),
        (
            {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "PORT": "http"},
            "PORT must be a whole number",
        ),
    ],
)
def test_malformed_settings(env: dict[str, str], fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        settings_from_env(env)


def test_the_placeholders_of_env_example_are_refused_as_placeholders() -> None:
    from dotenv import dotenv_values

    from tests.conftest import ROOT

    example = {k: v or "" for k, v in dotenv_values(ROOT / ".env.example").items()}
    with pytest.raises(ConfigError) as err:
        settings_from_env(example)
    message = str(err.value)
    assert "SLACK_BOT_TOKEN and SLACK_APP_TOKEN" in message
    assert "example value from .env.example" in message


def test_host_defaults_to_this_machine_only() -> None:
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "abc"}
    assert settings_from_env(env).host == "127.0.0.1"
    assert settings_from_env({**env, "HOST": "0.0.0.0"}).host == "0.0.0.0"
    assert settings_from_env(env).slack_connect_timeout_s == 180
