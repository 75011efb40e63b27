"""The `Messenger` for Microsoft Teams: the Bot Connector calls the clock side makes, and what
their answers mean for the outbox. The only module of `jobs/` that knows Teams.

- open_conversation: the stored conversation reference of the person's Teams identity (kept
  by handlers/teams whenever they write to the bot or install it); without one, a new
  one-to-one conversation (POST /v3/conversations) — possible once the app is installed for
  them (a Teams admin can pre-install it), with the tenant known;
- post: POST /v3/conversations/{id}/activities;
- find_posted: Teams cannot show a bot what it posted, so it raises `CannotLook`;
- time_zone: Teams tells a bot no zone (the network file's or the network's applies).

What an answer means (see README, "Exactly once on Teams"):
- 2xx: `Sent`, with the new activity's id;
- 429 or 503, the login endpoint or the service unreachable (nothing was sent): `RateLimited`
  — the service took nothing, send again after Retry-After (or a short pause);
- 403/404 (the bot was removed, the conversation is gone): `Refused`;
- anything else — a timeout or dropped connection after the request went out, 500, 502,
  504 — `Ambiguous`: it may have arrived, and since Teams cannot be asked, the outbox does
  not send it again.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any, Self

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from handlers import teams_render
from handlers.teams import files
from handlers.teams.connector import Connector, ConnectorError, TokenError
from jobs.messenger import (
    Ambiguous,
    CannotLook,
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
from models.network import Identity, Member, Platform

log = logging.getLogger(__name__)

PREFIX = "teams:"  # a Teams conversation handle is "teams:<identity id>" (fits the outbox)
# Nothing was sent; how long to wait when the service did not say. Longer than a pass waits
# (jobs.nudges.MAX_PAUSE): the next pass tries again, this one goes on with the others.
NOT_TAKEN_PAUSE_S = 60.0
# The login endpoint refused the bot's credentials: a setting to fix, not a passing fault.
TOKEN_REFUSED_PAUSE_S = 300.0
NOT_TAKEN_STATUSES = frozenset({429, 503})
# Teams takes about 40 KB in one message: its pictures (base64) get at most this much of it.
MAX_PICTURE_BYTES = 24_000
REFUSED_STATUSES = frozenset({403, 404})
# No request left this machine (httpx raises these before sending anything).
NOT_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def handle_of(identity_id: int) -> Conversation:
    return f"{PREFIX}{identity_id}"


def is_teams(conversation: Conversation) -> bool:
    return conversation.startswith(PREFIX)


class TeamsMessenger:
    """Reaches members in their one-to-one chat with the bot in Teams: a message is one
    activity carrying its Adaptive Card(s) (handlers/teams_render.py)."""

    surface = "teams"

    def __init__(
        self,
        connector: Connector,
        session_factory: sessionmaker[Session],
        *,
        app_id: str,
        tenant_id: str | None,
        service_url: str,
    ) -> None:
        self.connector = connector
        self._session_factory = session_factory
        self._app_id = app_id
        self._tenant_id = tenant_id
        self._service_url = service_url
        # Conversations opened in this process, before the pass has committed them.
        self._opened: dict[Conversation, dict[str, Any]] = {}

    def route(self, person: Member) -> Self:
        return self

    def fits(self, message: Message) -> bool:
        """One card, and its pictures within what one activity may carry: a bundle is split
        between topics before a card would have to be."""
        return (
            len(teams_render.message_cards(message)) == 1
            and teams_render.pictures_size(message) <= MAX_PICTURE_BYTES
        )

    def open_conversation(self, person: Member) -> Conversation:
        identity = person.identity(Platform.TEAMS)
        if identity is None:
            raise MessengerError(Refused("not on Teams"))
        reference = dict(identity.conversation or {})
        if reference.get("conversation_id") and reference.get("service_url"):
            return handle_of(identity.id)
        tenant = reference.get("tenant_id") or self._tenant_id
        if not tenant:
            # Nobody can be written to first without knowing their tenant: they must install
            # the app (or an admin for them), or TEAMS_TENANT_ID be set.
            raise MessengerError(Refused("no conversation with them and no tenant"))
        service_url = reference.get("service_url") or self._service_url
        try:
            conversation_id = self.connector.create_conversation(
                service_url,
                bot_id=self._app_id,
                # Their Teams user id as Teams told it, else the network file's id for them.
                member_id=reference.get("user_id") or identity.external_id,
                tenant_id=tenant,
            )
        except Exception as exc:
            raise MessengerError(classify(exc)) from exc
        reference.update(service_url=service_url, conversation_id=conversation_id, tenant_id=tenant)
        identity.conversation = reference  # saved with the pass's transaction
        handle = handle_of(identity.id)
        self._opened[handle] = reference
        return handle

    def post(self, conversation: Conversation, message: Message, tags: list[Tag]) -> Receipt:
        reference = self._reference(conversation)
        if reference is None:
            return Refused("no conversation reference")
        activity = {
            **teams_render.message_activity(message),
            # Which outbox rows it carries, for whoever reads the transcript (Teams keeps it).
            "channelData": {"tovholder": {"nudge_ids": list(tags)}},
        }
        try:
            activity_id = self.connector.send(
                reference["service_url"], reference["conversation_id"], activity
            )
        except Exception as exc:
            outcome = classify(exc)
            if isinstance(outcome, Ambiguous):
                log.warning("Teams post %s: %s; it may have arrived", tags, outcome.reason)
            return outcome
        self._offer_files(reference, message, tags)
        return Sent(ref=activity_id or None)

    def _offer_files(self, reference: dict[str, Any], message: Message, tags: list[Tag]) -> None:
        """Each of the message's files as a file consent card after it (the person's yes
        builds it again: handlers/teams/files.py). Once: the message is sent."""
        for file in message.files:
            shown = files.File(file.name, file.content, file.description)
            card = files.consent_card(shown, {**file.about, "name": file.name})
            try:
                self.connector.send(
                    reference["service_url"],
                    reference["conversation_id"],
                    {"type": "message", "attachments": [card]},
                )
            except Exception as exc:
                log.warning("file %s of nudges %s not offered: %r", file.name, tags, exc)

    def find_posted(
        self, conversation: Conversation, tags: Collection[Tag], since: datetime
    ) -> Mapping[Tag, str | None]:
        raise CannotLook(conversation)

    def time_zone(self, person: Member) -> str | None:
        return None

    def _reference(self, conversation: Conversation) -> dict[str, Any] | None:
        if conversation in self._opened:
            return self._opened[conversation]
        if not is_teams(conversation) or not conversation[len(PREFIX) :].isdigit():
            return None
        identity_id = int(conversation[len(PREFIX) :])
        with self._session_factory() as session:
            reference = session.scalar(
                select(Identity.conversation).where(Identity.id == identity_id)
            )
        if not reference or not reference.get("conversation_id"):
            return None
        return dict(reference)


def classify(exc: Exception) -> Failure:
    """What a failed connector call means for the outbox."""
    if isinstance(exc, ConnectorError):
        if exc.status in NOT_TAKEN_STATUSES:
            pause = exc.retry_after if exc.retry_after is not None else NOT_TAKEN_PAUSE_S
            return RateLimited(pause)
        if exc.status == 401:  # our token was refused: nothing done; a new one next time
            return RateLimited(1.0)
        if exc.status in REFUSED_STATUSES:
            return Refused(f"HTTP {exc.status} {exc.code}".strip())
        return Ambiguous(f"HTTP {exc.status} {exc.code}".strip())
    if isinstance(exc, TokenError):
        if exc.status in (400, 401):
            log.error("Teams refused the bot's credentials (%s): check TEAMS_APP_PASSWORD", exc)
            return RateLimited(TOKEN_REFUSED_PAUSE_S)
        log.warning("Teams: no token for the bot now (%s); later", exc)
        return RateLimited(NOT_TAKEN_PAUSE_S)
    if isinstance(exc, NOT_SENT_ERRORS):
        return RateLimited(NOT_TAKEN_PAUSE_S)
    return Ambiguous(type(exc).__name__)
