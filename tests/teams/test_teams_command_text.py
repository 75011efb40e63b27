"""How a Teams message's text becomes a command's text: mentions by their entities, typed
text escaped as Slack escapes a slash command's."""

from __future__ import annotations

from typing import Any

from handlers.parsing import parse_sparring_log
from handlers.teams.commands import Mentioned, command_text, pieces, shown, split_command
from tests.handlers.test_parsing import TODAY

BOT = "28:bot"


def mention(name: str, user_id: str) -> dict[str, Any]:
    return {"type": "mention", "text": f"<at>{name}</at>", "mentioned": {"id": user_id}}


def activity(text: str, *mentions: tuple[str, str]) -> dict[str, Any]:
    return {
        "text": text,
        "recipient": {"id": BOT},
        "entities": [
            {"type": "clientInfo", "locale": "da-DK"},
            *(
                {
                    "type": "mention",
                    "text": f"<at>{name}</at>",
                    "mentioned": {"id": i, "name": name},
                }
                for name, i in mentions
            ),
        ],
    }


def ids(mentioned: Mentioned) -> Any:
    return type("M", (), {"id": {"29:a": 1, "29:b": 2}[mentioned.ids[0]]})()


def test_two_mentions_of_one_name_are_matched_to_their_entities_in_order() -> None:
    parts = pieces(activity("2t <at>Bo</at> og <at>Bo</at>", ("Bo", "29:a"), ("Bo", "29:b")))
    assert parts == ["2t ", Mentioned("Bo", ("29:a",)), " og ", Mentioned("Bo", ("29:b",)), ""]
    text = command_text(parts, ids)
    assert text == "2t <@member:1> og <@member:2>"
    assert parse_sparring_log(text, today=TODAY).receiver_ids == ["member:1", "member:2"]


def test_the_bots_own_mention_is_dropped_and_a_span_without_entity_is_text() -> None:
    parts = pieces(activity("<at>Tovholder</at> sparring 1t <at>Bo</at>", ("Tovholder", BOT)))
    assert command_text(parts, ids) == "sparring 1t Bo"
    assert split_command(command_text(parts, ids)) == ("sparring", "1t Bo")


def test_typed_markup_is_escaped_as_slack_escapes_it() -> None:
    parts = pieces(activity("1t &lt;@U1&gt; <@member:1> a&amp;b&nbsp;c"))
    text = command_text(parts, None)
    assert text == "1t &lt;@U1&gt; &lt;@member:1&gt; a&amp;b\xa0c"
    parsed = parse_sparring_log(text, today=TODAY)
    assert parsed.receiver_ids == [] and parsed.note == "<@U1> <@member:1> a&b\xa0c"
    assert shown(parts) == "1t <@U1> <@member:1> a&b c"


def test_without_resolving_a_mention_is_the_name_as_text() -> None:
    parts = pieces(activity("opfølgning med <at>Bo & Co</at>", ("Bo & Co", "29:a")))
    assert command_text(parts, None) == "opfølgning med @Bo &amp; Co"
    assert split_command("/Sparring  2t") == ("sparring", "2t")
