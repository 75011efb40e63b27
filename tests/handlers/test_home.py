from datetime import UTC, datetime

from sqlalchemy.orm import Session

from handlers import slack_render
from handlers.home import build_home_view, build_stranger_home_view
from models.network import Network
from models.people import Person
from tests.blockkit import check_view
from tests.conftest import ANNA, person


def test_home_view_stays_inside_block_kit_limits(session: Session, network: Network) -> None:
    anna = person(session, ANNA)
    overview = build_home_view(
        "da", member=anna, now=datetime(2015, 10, 5, tzinfo=UTC), sparring_text="x" * 10_000
    )
    view = slack_render.home(overview)
    assert check_view(view, "home") == []
    sparring = next(b for b in view["blocks"] if b.get("block_id") == "home_sparring")
    assert len(sparring["text"]["text"]) == 3000
    assert sparring["text"]["text"].endswith("…")


def test_limits_checker_catches_breaches() -> None:
    too_long = {"type": "section", "block_id": "a", "text": {"type": "mrkdwn", "text": "x" * 3001}}
    assert check_view({"blocks": [too_long]}, "home") == ["block 0: section text 3001 chars"]
    assert check_view({"blocks": [{"type": "divider"}] * 101}, "home") == ["101 blocks > 100"]


def test_stranger_view() -> None:
    facilitator = Person(name="Mette Holm", slack_id="U0FACIL001")
    view = slack_render.home(build_stranger_home_view("en", [facilitator]))
    assert check_view(view, "home") == []
    assert "<@U0FACIL001>" in view["blocks"][1]["text"]["text"]
