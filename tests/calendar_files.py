"""Reading back the calendar files the bot sent (through the Slack or Teams stand-in)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import icalendar

from tests.slack_standin import SlackStandIn


def slack_files(slack: SlackStandIn, channel: str | None = None) -> dict[str, bytes]:
    """The files shared (files upload) in `channel` (any when None): title -> bytes."""
    out: dict[str, bytes] = {}
    for shared in slack.shared_files:
        if channel is not None and shared.get("channel_id") != channel:
            continue
        files = shared["files"]
        for f in json.loads(files) if isinstance(files, str) else files:
            out[f["title"]] = slack.uploads[f["id"]]
    return out


def events(content: bytes) -> list[icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(content)
    assert calendar["METHOD"] == "REQUEST"
    return list(calendar.walk("VEVENT"))


def vtimezone_offset(content: bytes, local: datetime) -> Any:
    """The UTC offset the file's own VTIMEZONE gives a local time (not the reader's zone)."""
    calendar = icalendar.Calendar.from_ical(content)
    (zone,) = calendar.walk("VTIMEZONE")
    assert zone["TZID"] == "Europe/Copenhagen"
    return local.replace(tzinfo=zone.to_tz()).utcoffset()
