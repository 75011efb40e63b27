"""Reading a Teams command: the bot's mention dropped, other mentions as Teams references."""

from __future__ import annotations

from handlers.network.common import TeamsRef, teams_ref
from handlers.teams.network import command_text

BOT = "28:bot-id"


def _mention(user_id: str, name: str, aad: str | None = None) -> dict[str, object]:
    mentioned = {"id": user_id, "name": name}
    if aad:
        mentioned["aadObjectId"] = aad
    return {"type": "mention", "mentioned": mentioned, "text": f"<at>{name}</at>"}


def test_the_bots_mention_goes_and_a_persons_becomes_a_reference() -> None:
    activity = {
        "text": "<at>Tovholder</at> netværk resumé <at>Ana, Lund</at>",
        "recipient": {"id": BOT},
        "entities": [_mention(BOT, "Tovholder"), _mention("29:1ana", "Ana, Lund", "aad-1")],
    }
    words = command_text(activity).split()
    assert words[:2] == ["netværk", "resumé"]
    (token,) = words[2:]  # one word, whatever the name holds
    assert teams_ref(token) == TeamsRef("29:1ana", "aad-1", "Ana, Lund")
    assert teams_ref(token).ids == {"29:1ana", "aad-1"}  # type: ignore[union-attr]


def test_a_mention_without_an_entity_is_dropped_and_typed_text_kept() -> None:
    activity = {"text": '<at>Someone</at>  network   add x="a b"', "recipient": {"id": BOT}}
    assert command_text(activity) == 'network add x="a b"'


def test_a_reference_is_found_in_a_longer_text() -> None:
    token = TeamsRef("29:1x", "", "Bo Kjær").token()
    assert teams_ref(f"add {token} org=X", search=True) == TeamsRef("29:1x", "", "Bo Kjær")
    assert teams_ref(f"add {token} org=X") is None
    assert teams_ref("<@U0ANNA0001>") is None
