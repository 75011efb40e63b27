"""The facilitator's weekly digest goes with its chart, uploaded into the DM after the message
— once: a pass that runs again, or a retry after a lost answer, never uploads it twice."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

from PIL import Image
from sqlalchemy.orm import Session, sessionmaker

from handlers.charts import HEIGHT_PX, WIDTH_PX
from jobs.nudges import LEASE
from models.nudges import NudgeKind
from tests.conftest import FACILITATOR
from tests.jobs.conftest import Runner
from tests.slack_standin import Reply, SlackStandIn, dm_channel

MONDAY = datetime(2015, 11, 2, 8, 0, tzinfo=UTC)  # 09:00 in Copenhagen: the weekly digest


def digests(slack: SlackStandIn) -> list[dict[str, object]]:
    return [
        c.params
        for c in slack.calls_to("chat.postMessage")
        if c.params["channel"] == dm_channel(FACILITATOR)
        and str(c.params["text"]).startswith("Ugens overblik")
    ]


def test_the_digest_chart_is_uploaded_once_into_the_facilitators_dm(
    run_pass: Runner, slack: SlackStandIn, session_factory: sessionmaker[Session]
) -> None:
    assert run_pass(MONDAY).of(NudgeKind.WEEKLY_DIGEST) == {"sent": 2}
    assert len(digests(slack)) == 1
    asked = slack.calls_to("files.getUploadURLExternal")
    assert len(asked) == 2  # the two facilitators, a chart each
    assert {a.params["filename"] for a in asked} == {"forberedelse-mode-2.png"}
    assert {a.params["alt_txt"].split(" — ")[0] for a in asked} == {  # each in their language
        "Forberedelse til møde 2\nMøde 2",
        "Preparation for meeting 2\nMeeting 2",
    }
    (shared,) = [f for f in slack.shared_files if f["channel_id"] == dm_channel(FACILITATOR)]
    assert json.loads(shared["files"])[0]["title"] == "Forberedelse til møde 2"
    for png in slack.uploads.values():
        with Image.open(io.BytesIO(png)) as image:
            assert image.format == "PNG" and image.size == (WIDTH_PX, HEIGHT_PX)
    assert run_pass(MONDAY + timedelta(hours=3)).of(NudgeKind.WEEKLY_DIGEST) == {}
    assert len(slack.shared_files) == 2  # the next pass sends nothing again


def test_a_digest_whose_answer_was_lost_is_not_uploaded_again(
    run_pass: Runner, slack: SlackStandIn, session_factory: sessionmaker[Session]
) -> None:
    """Slack posted the digest but the answer was lost: the retry finds it posted and sends
    nothing — neither the message nor its chart a second time."""
    for _ in range(3):  # whichever of the morning's messages, the digest among them
        slack.script("chat.postMessage", Reply(accept=True, drop=True))
    run_pass(MONDAY)
    mine = dm_channel(FACILITATOR)
    uploaded = [f for f in slack.shared_files if f["channel_id"] == mine]
    assert len(digests(slack)) == 1
    run_pass(MONDAY + LEASE + timedelta(minutes=5))
    assert len(digests(slack)) == 1  # found posted, not posted again
    assert [f for f in slack.shared_files if f["channel_id"] == mine] == uploaded
    assert len(uploaded) <= 1


def test_a_post_whose_answer_was_lost_uploads_no_picture(slack: SlackStandIn) -> None:
    """The messenger uploads a picture only after Slack took its message: when the answer to
    chat.postMessage is lost, nothing is uploaded, and the look before a retry finds the
    message posted (so the retry sends neither again)."""
    from handlers import conversation as c
    from jobs.messenger import Ambiguous, Sent
    from jobs.slack_messenger import SlackMessenger
    from tests.jobs.conftest import standin_client

    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), "#0072B2").save(buffer, format="PNG")
    picture = c.Picture(png=buffer.getvalue(), alt="Mål: 2 t", title="T", filename="t.png")
    message = c.Message("Ugens overblik", [c.Paragraph("Ugens overblik")], pictures=[picture])
    messenger = SlackMessenger(standin_client(slack))
    dm = dm_channel(FACILITATOR)
    slack.script("chat.postMessage", Reply(accept=True, drop=True))
    assert isinstance(messenger.post(dm, message, [7]), Ambiguous)
    assert slack.calls_to("files.getUploadURLExternal") == [] and slack.shared_files == []
    assert list(messenger.find_posted(dm, [7], MONDAY - timedelta(days=1))) == [7]
    assert isinstance(messenger.post(dm, message, [8]), Sent)  # a message Slack answers for
    (shared,) = slack.shared_files
    assert shared["channel_id"] == dm
    assert list(slack.uploads.values()) == [picture.png]
