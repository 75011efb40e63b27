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


TEAMS_ENV = {
    "TEAMS_APP_ID": "8f0e2c1a-5b7d-4c3e-9a61-2d4f6b8e0c17",
    "TEAMS_APP_PASSWORD": "client-secret",
}


def test_slack_only_has_no_teams() -> None:
    s = settings_from_env({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "abc"})
    assert s.slack and s.teams is None


def test_teams_only_needs_no_slack_credentials() -> None:
    s = settings_from_env(TEAMS_ENV)
    assert not s.slack and s.teams is not None
    assert s.teams.app_id == TEAMS_ENV["TEAMS_APP_ID"]
    # Multi-tenant: the bot's token comes from Bot Framework's own tenant.
    assert s.teams.login_url == (
        "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token"
    )
    assert s.teams.openid_metadata_url == (
        "https://login.botframework.com/v1/.well-known/openidconfiguration"
    )
    assert s.teams.service_url == "https://smba.trafficmanager.net/teams/"


def test_teams_beside_slack_and_the_endpoints_can_be_overridden() -> None:
    s = settings_from_env(
        {
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_APP_TOKEN": "xapp-1",
            **TEAMS_ENV,
            "TEAMS_TENANT_ID": "11111111-2222-4333-8444-555555555555",
            "TEAMS_OPENID_METADATA_URL": "http://127.0.0.1:9/v1/.well-known/openidconfiguration",
            "TEAMS_TOKEN_URL": "http://127.0.0.1:9/t/oauth2/v2.0/token",
            "TEAMS_SERVICE_URL": "http://127.0.0.1:9/teams",
        }
    )
    assert s.slack and s.socket_mode and s.teams is not None
    assert s.teams.tenant_id == "11111111-2222-4333-8444-555555555555"
    assert s.teams.login_url == "http://127.0.0.1:9/t/oauth2/v2.0/token"
    assert s.teams.service_url == "http://127.0.0.1:9/teams/"


def test_a_single_tenant_bot_asks_its_own_tenant_for_its_token() -> None:
    s = settings_from_env({**TEAMS_ENV, "TEAMS_TENANT_ID": "contoso.onmicrosoft.com"})
    assert s.teams is not None
    assert s.teams.login_url == (
        "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
    )


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"TEAMS_APP_ID": TEAMS_ENV["TEAMS_APP_ID"]}, "set TEAMS_APP_PASSWORD as well"),
        ({"TEAMS_APP_PASSWORD": "x"}, "set TEAMS_APP_ID as well"),
        ({**TEAMS_ENV, "TEAMS_APP_ID": "tovholder"}, "must be the bot's Microsoft app id"),
        ({**TEAMS_ENV, "TEAMS_TOKEN_URL": "login.example"}, "TEAMS_TOKEN_URL must be a URL"),
    ],
)
def test_malformed_teams_settings(env: dict[str, str], fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        settings_from_env(env)


def test_without_any_credentials_teams_is_named_too() -> None:
    with pytest.raises(ConfigError, match="TEAMS_APP_ID and TEAMS_APP_PASSWORD"):
        settings_from_env({})
