"""After `/network forget`, the sender sends nothing queued to or about the erased person."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from models.privacy import forget_member
from tests.conftest import ANNA, FACILITATOR, SEASON_NOW, person
from tests.jobs.conftest import Runner
from tests.models.test_privacy import ANNA_IDS, busy_anna
from tests.slack_standin import SlackStandIn


def test_nothing_queued_goes_out_to_or_about_an_erased_member(
    session_factory: sessionmaker[Session], run_pass: Runner, slack: SlackStandIn
) -> None:
    with session_factory() as s:
        busy_anna(s)  # notices to Bo about her sparring and her take-up; her snoozed reminder
        forget_member(session=s, member=person(s, ANNA), by=person(s, FACILITATOR), now=SEASON_NOW)
        s.commit()
    run_pass(SEASON_NOW + timedelta(minutes=1))
    run_pass(SEASON_NOW + timedelta(days=3))  # when the snoozed reminder was due
    posts = slack.calls_to("chat.postMessage")
    assert posts  # the pass did send the others' nudges
    sent = json.dumps([c.params for c in posts], ensure_ascii=False).lower()
    for word in (*ANNA_IDS, "forgotten", "slettet medlem"):
        assert word.lower() not in sent, word
    assert all(c.params.get("channel") != "D" + ANNA[1:] for c in posts)
