"""Charts on Teams: the weekly digest and the season's summary carry their chart inline (an
image attachment with a data URI) in the same activity as the card."""

from __future__ import annotations

import base64
import io
from datetime import UTC, datetime
from typing import Any

from PIL import Image
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from handlers.charts import HEIGHT_PX, WIDTH_PX
from models.network import Member, Role
from tests.conftest import FACILITATOR
from tests.teams.test_teams_messenger import run, teams, teams_messenger  # noqa: F401
from tests.teams.test_teams_network_e2e import FACIL_TEAMS, mixed, say  # noqa: F401
from tests.teams_standin import TeamsStandIn

MONDAY = datetime(2015, 11, 2, 8, 0, tzinfo=UTC)
CARD = "application/vnd.microsoft.card.adaptive"


def picture_of(activity: dict[str, Any]) -> tuple[str, bytes]:
    (image,) = [a for a in activity["attachments"] if a["contentType"] == "image/png"]
    head, _, data = image["contentUrl"].partition(",")
    assert head == "data:image/png;base64"
    png = base64.b64decode(data)
    with Image.open(io.BytesIO(png)) as decoded:
        assert decoded.format == "PNG" and decoded.size == (WIDTH_PX, HEIGHT_PX)
    return str(image["name"]), png


def test_the_weekly_digest_shows_its_chart_inline_on_teams(
    teams: TeamsStandIn,  # noqa: F811
    session_factory: sessionmaker[Session],
    network: object,
) -> None:
    with session_factory.begin() as s:  # the facilitator on Teams only; only they get mail
        s.execute(update(Member).where(Member.role != Role.MEMBER).values(active=False))
        facilitator = s.scalars(select(Member).where(Member.slack_user_id == FACILITATOR)).one()
        facilitator.active = True
        facilitator.slack_user_id = None
        facilitator.teams_user_id = FACIL_TEAMS
    run(teams_messenger(teams, session_factory), session_factory, MONDAY)
    (digest,) = [m for m in teams.messages() if m["summary"].startswith("Ugens overblik")]
    assert [a["contentType"] for a in digest["attachments"]] == [CARD, "image/png"]
    name, _ = picture_of(digest)
    assert name == "forberedelse-mode-2.png"


def test_the_season_on_teams_has_its_chart_in_the_same_message(mixed: Any) -> None:  # noqa: F811
    (season,) = say(mixed, FACIL_TEAMS, "netværk overblik sæson")
    assert [a["contentType"] for a in season["attachments"]] == [CARD, "image/png"]
    name, _ = picture_of(season)
    assert name == "sparring-coi-spredning-2015-16.png"
