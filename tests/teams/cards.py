"""Reading what the bot posted to Teams: the text of the cards in an activity."""

from __future__ import annotations

import json
import re
from typing import Any

from handlers.catalogue import teams_plain


def _walk(node: Any, out: list[str]) -> None:
    if isinstance(node, dict):
        if node.get("type") == "TextBlock":
            out.append(str(node.get("text", "")))
        if node.get("type") == "FactSet":
            out += [f"{f.get('title', '')}: {f.get('value', '')}" for f in node.get("facts", [])]
        for value in node.values():
            _walk(value, out)
    elif isinstance(node, list):
        for item in node:
            _walk(item, out)


def card_markdown(activity: dict[str, Any]) -> str:
    """The Markdown of every TextBlock and fact of the activity's cards, in order."""
    out: list[str] = []
    _walk(activity.get("attachments", []), out)
    return "\n".join(out)


def card_text(activity: dict[str, Any]) -> str:
    """What the cards read as: escapes undone, bold marks dropped, a mention as the name, a
    paragraph break (Teams needs two newlines) as one."""
    text = re.sub(r"<at>(.*?)</at>", r"\1", card_markdown(activity))
    return teams_plain(text).replace("\n\n", "\n")


def mentions(activity: dict[str, Any]) -> list[tuple[str, str]]:
    """The people the activity's cards mention: (the card's `<at>` text, their Teams id),
    each `<at>` text matched by the entity in its card's msteams.entities."""
    out = []
    for card in cards(activity):
        entities = {e["text"]: e for e in card.get("msteams", {}).get("entities", [])}
        shown = json.dumps(card.get("body"), ensure_ascii=False)
        for text in sorted(set(re.findall(r"<at>.*?</at>", shown))):
            entity = entities[text]  # a mention without its entity would not show
            assert entity["type"] == "mention" and entity["mentioned"]["name"] in text
            out.append((text, entity["mentioned"]["id"]))
    return out


def cards(activity: dict[str, Any]) -> list[dict[str, Any]]:
    return [a["content"] for a in activity.get("attachments", [])]
