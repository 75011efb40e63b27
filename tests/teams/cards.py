"""Reading what the bot posted to Teams: the text of the cards in an activity."""

from __future__ import annotations

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
    """What the cards read as: escapes undone, bold marks dropped, a paragraph break (Teams
    needs two newlines) as one."""
    return teams_plain(card_markdown(activity)).replace("\n\n", "\n")


def cards(activity: dict[str, Any]) -> list[dict[str, Any]]:
    return [a["content"] for a in activity.get("attachments", [])]
