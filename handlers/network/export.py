"""`/network export` (and my data): files put in the facilitator's direct message, after the ack."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from handlers.catalogue import t
from handlers.context import scope_of
from models.export import export_tables, to_csv_zip, to_xlsx
from models.network import Network

log = logging.getLogger(__name__)

MAX_ALT_TEXT = 1000  # characters of an image's alt text that Slack keeps


def upload_to_dm(
    client: WebClient,
    user_id: str,
    *,
    filename: str,
    content: bytes | str,
    title: str,
    comment: str,
    alt: str | None = None,
) -> None:
    """Put a file in the bot's direct message with the user (Slack's current upload API); an
    image with its `alt` text."""
    channel = client.conversations_open(users=user_id)["channel"]["id"]
    client.files_upload_v2(
        channel=channel,
        filename=filename,
        content=content,
        title=title,
        initial_comment=comment,
        alt_txt=alt[:MAX_ALT_TEXT] if alt else None,
    )


def upload_client(client: WebClient) -> WebClient:
    """The app's client without its at-once retries of dropped connections and server errors:
    after such a failure Slack may have shared the file already, so a file is never uploaded
    again blindly. A 429 is retried after Retry-After: Slack took nothing then."""
    once = WebClient(token=client.token, base_url=client.base_url, timeout=client.timeout)
    once.retry_handlers = [RateLimitErrorRetryHandler(max_retry_count=5)]
    return once


def send_files(
    body: dict[str, Any], client: WebClient, context: dict[str, Any], respond: Respond
) -> None:
    """Lazy listener: upload what the ack step prepared (my data), or build and upload the
    export the facilitator asked for — slow work, after the ack, with its own session. Each
    file is shared at most once; when Slack's answer is lost, the person is told to look in
    their DM before asking again (and when Slack refused it, that it did not arrive)."""
    once = upload_client(client)
    scope = scope_of(context)
    for upload in context.get("uploads", []):
        _upload_or_tell(once, respond, scope.lang, str(body["user_id"]), **upload)
    network_id = context.get("export_network_id")
    if network_id is None:
        return
    with scope.session_factory() as session:
        network = session.get(Network, network_id)
        assert network is not None
        tables = export_tables(session=session, network=network)
        day = scope.now.astimezone(network.zone).date()
        stamp = day.isoformat()
        lang = scope.lang
        for filename, content in (
            (f"{network.key}-{stamp}.xlsx", to_xlsx(tables, day)),
            (f"{network.key}-{stamp}-csv.zip", to_csv_zip(tables)),
        ):
            _upload_or_tell(
                once,
                respond,
                lang,
                str(body["user_id"]),
                filename=filename,
                content=content,
                title=filename,
                comment=t(lang, "network.export.comment", network=network.name),
            )


def _upload_or_tell(
    client: WebClient, respond: Respond, lang: str, user_id: str, **upload: Any
) -> None:
    try:
        upload_to_dm(client, user_id, **upload)
    except SlackApiError as error:
        status = error.response.status_code if error.response is not None else 0
        key = "network.upload.uncertain" if status >= 500 else "network.upload.failed"
        log.warning("upload of a file to a DM: Slack answered %s", status)
        respond(text=t(lang, key, filename=upload["filename"]), response_type="ephemeral")
    except (OSError, TimeoutError) as error:  # URLError, a dropped connection, a timeout
        log.warning("upload of a file to a DM: no answer from Slack (%s)", type(error).__name__)
        respond(
            text=t(lang, "network.upload.uncertain", filename=upload["filename"]),
            response_type="ephemeral",
        )
