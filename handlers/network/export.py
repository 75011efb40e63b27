"""`/network export` (and my data): files put in the facilitator's direct message, after the ack."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from handlers.catalogue import (
    t,
)
from handlers.context import scope_of
from models.export import export_tables, to_csv_zip, to_xlsx
from models.network import Network


def upload_to_dm(
    client: WebClient,
    user_id: str,
    *,
    filename: str,
    content: bytes | str,
    title: str,
    comment: str,
) -> None:
    """Put a file in the bot's direct message with the user (Slack's current upload API)."""
    channel = client.conversations_open(users=user_id)["channel"]["id"]
    client.files_upload_v2(
        channel=channel, filename=filename, content=content, title=title, initial_comment=comment
    )


def send_files(body: dict[str, Any], client: WebClient, context: dict[str, Any]) -> None:
    """Lazy listener: upload what the ack step prepared (my data), or build and upload the
    export the facilitator asked for — slow work, after the ack, with its own session."""
    for upload in context.get("uploads", []):
        upload_to_dm(client, str(body["user_id"]), **upload)
    network_id = context.get("export_network_id")
    if network_id is None:
        return
    scope = scope_of(context)
    with scope.session_factory() as session:
        network = session.get(Network, network_id)
        assert network is not None
        tables = export_tables(session=session, network=network)
        stamp = scope.now.astimezone(network.zone).strftime("%Y-%m-%d")
        lang = scope.lang
        for filename, content in (
            (f"{network.key}-{stamp}.xlsx", to_xlsx(tables)),
            (f"{network.key}-{stamp}-csv.zip", to_csv_zip(tables)),
        ):
            upload_to_dm(
                client,
                str(body["user_id"]),
                filename=filename,
                content=content,
                title=filename,
                comment=t(lang, "network.export.comment", network=network.name),
            )
