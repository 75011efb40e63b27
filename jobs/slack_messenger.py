"""The `Messenger` for Slack: the Web API calls the clock side makes, and what their answers
mean for the outbox. The only module of `jobs/` that knows Slack.

- post: `chat.postMessage` of the neutral message rendered as Block Kit
  (`handlers.slack_render.message`), with metadata naming the outbox rows it carries;
- find_posted: `conversations.history` with that metadata (the check before a resend);
- open_conversation: `conversations.open` (the DM); time_zone: `users.info`;
- a message's files (a calendar invitation) are uploaded right after it (files upload), once.

Answers become typed outcomes: accepted (`Sent`), HTTP 429 (`RateLimited`, Slack took
nothing), an error about this one person (`Refused`), anything else (`Ambiguous`: a timeout, a
dropped connection or a 5xx may have posted it after all). The client must not retry by
itself (`bot.app.make_web_client(retry_ambiguous=False)`): the outbox retries, looking first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping
from datetime import datetime, timedelta
from typing import Any, Self, TypeVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers import slack_render
from handlers.ids import NUDGE_METADATA_EVENT
from jobs.messenger import (
    Ambiguous,
    Conversation,
    Failure,
    Message,
    MessengerError,
    RateLimited,
    Receipt,
    Refused,
    Sent,
    Tag,
)
from models.network import Member

log = logging.getLogger(__name__)

T = TypeVar("T")

# Slack errors that are about this one member: retrying will not help.
PERMANENT_ERRORS = frozenset(
    {
        "user_not_found",
        "account_inactive",
        "channel_not_found",
        "user_disabled",
        "cannot_dm_bot",
        "is_archived",
        "not_in_channel",
        "user_is_bot",
    }
)
HISTORY_LIMIT = 200  # messages read back from a DM; nudges are a few a day at most
MAX_MESSAGE_BLOCKS = 50  # Block Kit, in one message
MAX_FALLBACK_TEXT = 3000  # characters of a message's notification text
MAX_ALT_TEXT = 1000  # characters of an image's alt text


def fits(message: Message) -> bool:
    """Whether `message`, rendered as Block Kit, is one message Slack takes: at most 50 blocks
    and 3,000 characters of fallback text (the renderer keeps each block's own limits)."""
    rendered = slack_render.message(message)
    return (
        len(rendered["blocks"]) <= MAX_MESSAGE_BLOCKS and len(rendered["text"]) <= MAX_FALLBACK_TEXT
    )


class SlackMessenger:
    """Reaches members in their Slack DM through `client` (which must not retry by itself)."""

    surface = "slack"

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def route(self, person: Member) -> Self:
        return self

    def fits(self, message: Message) -> bool:
        return fits(message)

    def open_conversation(self, person: Member) -> Conversation:
        opened = self._call(lambda: self.client.conversations_open(users=person.slack_user_id))
        return str(opened["channel"]["id"])

    def post(self, conversation: Conversation, message: Message, tags: list[Tag]) -> Receipt:
        rendered = slack_render.message(message)
        try:
            response = self.client.chat_postMessage(
                channel=conversation,
                text=rendered["text"],
                blocks=rendered["blocks"],
                metadata=metadata_for(tags),
                unfurl_links=False,
                unfurl_media=False,
            )
        except Exception as exc:
            if not isinstance(exc, SlackApiError):  # no answer at all: worth a line in the log
                log.warning("chat.postMessage %s: %r; will retry", tags, exc)
            return classify(exc)
        ts = response.get("ts")
        self._attach(conversation, message, tags)
        self._upload_pictures(conversation, message, tags)
        return Sent(ref=str(ts) if ts is not None else None)

    def _attach(self, conversation: Conversation, message: Message, tags: list[Tag]) -> None:
        """The message's files, right after it (files upload). Once: the message is sent, so
        a failed upload is not retried (the message says how to ask for the file again)."""
        for file in message.files:
            try:
                self.client.files_upload_v2(
                    channel=conversation,
                    filename=file.name,
                    content=file.content,
                    title=file.name,
                )
            except Exception as exc:
                log.warning("file %s of nudges %s not uploaded: %r", file.name, tags, exc)

    def _upload_pictures(
        self, conversation: Conversation, message: Message, tags: list[Tag]
    ) -> None:
        """The message's pictures, uploaded into the conversation right after it — only after
        Slack took the message, so never twice: a message whose post is retried was either
        not posted (nothing uploaded yet) or is found posted and not sent again. A failed
        upload loses the picture, not the message (its numbers are in the text)."""
        for picture in message.pictures:
            try:
                self.client.files_upload_v2(
                    channel=conversation,
                    content=picture.png,
                    filename=picture.filename,
                    title=picture.title,
                    alt_txt=picture.alt[:MAX_ALT_TEXT],
                )
            except Exception as exc:
                log.warning("picture %s for %s not uploaded: %r", picture.filename, tags, exc)

    def find_posted(
        self, conversation: Conversation, tags: Collection[Tag], since: datetime
    ) -> Mapping[Tag, str | None]:
        oldest = (since - timedelta(minutes=1)).timestamp()  # it cannot have gone out earlier
        response = self._call(
            lambda: self.client.conversations_history(
                channel=conversation,
                oldest=f"{oldest:.6f}",
                include_all_metadata=True,
                limit=HISTORY_LIMIT,
            )
        )
        wanted = set(tags)
        found: dict[Tag, str | None] = {}
        messages: list[dict[str, Any]] = response.get("messages", [])
        for message in messages:
            for tag in tags_in(message) & wanted:
                found[tag] = str(message.get("ts"))
        return found

    def time_zone(self, person: Member) -> str | None:
        if not person.slack_user_id:  # not on Slack: nothing to ask
            return None
        try:
            user = self.client.users_info(user=person.slack_user_id).get("user") or {}
        except SlackApiError as exc:
            log.info("users.info %s: %s", person.slack_user_id, exc.response.get("error"))
            if exc.response.status_code == 429 or exc.response.status_code >= 500:
                raise MessengerError(classify(exc)) from exc  # busy or down: another time
            return None  # Slack answered, and knows no zone for them
        except Exception as exc:  # a dropped connection, a timeout: not this member's fault
            log.info("users.info %s: %r; later", person.slack_user_id, exc)
            raise MessengerError(classify(exc)) from exc
        tz = user.get("tz")
        return str(tz) if tz else None

    def _call(self, call: Callable[[], T]) -> T:
        try:
            return call()
        except Exception as exc:
            raise MessengerError(classify(exc)) from exc


def classify(exc: Exception) -> Failure:
    """What a failed Web API call means for the outbox."""
    if not isinstance(exc, SlackApiError):
        return Ambiguous(type(exc).__name__)
    error = str(exc.response.get("error", "unknown_error"))
    pause = retry_after(exc)
    if pause is not None:
        return RateLimited(pause)
    if error in PERMANENT_ERRORS:
        return Refused(error)
    return Ambiguous(error)


def retry_after(exc: SlackApiError) -> float | None:
    """Seconds Slack asks us to wait (HTTP 429), else None."""
    if exc.response.status_code != 429:
        return None
    headers = exc.response.headers or {}
    value = headers.get("Retry-After") or headers.get("retry-after")
    try:
        return max(0.0, float(value if value is not None else 1))
    except ValueError:
        return 1.0


def metadata_for(tags: list[Tag]) -> dict[str, Any]:
    """The message metadata naming the outbox rows a message carries."""
    payload: dict[str, Any] = {"nudge_id": tags[0]}
    if len(tags) > 1:
        payload["nudge_ids"] = tags
    return {"event_type": NUDGE_METADATA_EVENT, "event_payload": payload}


def tags_in(message: dict[str, Any]) -> set[Tag]:
    """The outbox rows a message in a DM carries (one, or several bundled), from its metadata."""
    metadata = message.get("metadata") or {}
    if metadata.get("event_type") != NUDGE_METADATA_EVENT:
        return set()
    payload = metadata.get("event_payload") or {}
    ids = payload.get("nudge_ids") or [payload.get("nudge_id")]
    return {int(i) for i in ids if str(i).isdigit()}
