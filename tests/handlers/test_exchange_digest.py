"""The facilitators' weekly digest lists the week's exchange with the sister network: how
much went each way, and what (the week's items only)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from handlers import slack_render
from handlers.network import build_digest
from models.exchange import set_shared
from models.network import Network
from tests.conftest import ANNA, FACILITATOR, SEASON_NOW, person
from tests.models.test_exchange import anna_prepares, link_sister


def _digest_text(s: Session, now: datetime) -> str:
    message = build_digest(session=s, member=person(s, FACILITATOR), meeting=None, now=now)
    assert message is not None
    blocks = slack_render.message(message)["blocks"]
    return "\n".join(b["text"]["text"] for b in blocks if b.get("type") == "section")


def test_the_weekly_digest_lists_the_exchange_each_way(
    session_factory: sessionmaker[Session], network: Network
) -> None:
    with session_factory() as s:
        assert "Udveksling" not in _digest_text(s, SEASON_NOW)  # no sister: no exchange
        link_sister(s)
        example_id, question_id = anna_prepares(s)
        anna = person(s, ANNA)
        week_ago = SEASON_NOW - timedelta(days=8)
        set_shared(session=s, member=anna, ref=f"question:{question_id}", shared=True, now=week_ago)
        set_shared(session=s, member=anna, ref=f"example:{example_id}", shared=True, now=SEASON_NOW)
        s.commit()
        text = _digest_text(s, SEASON_NOW)
        assert (
            "*Udveksling med Netværk Vest i denne uge:* 1 ting delt derover, 0 ting delt herover."
            in text
        )
        assert f"→ eksempel fra <@{ANNA}>: Borgerpanel" in text
        assert "Hvordan måler I effekt" not in text  # shared the week before
