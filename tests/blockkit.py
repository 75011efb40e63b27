"""Slack's Block Kit limits, checked against what our builders produce."""

from __future__ import annotations

from typing import Any

MAX_BLOCKS = {"home": 100, "modal": 100, "message": 50}
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_ID_LENGTH = 255


def check_view(view: dict[str, Any], kind: str) -> list[str]:
    """Every limit the view breaks; empty when it is within Slack's limits."""
    problems: list[str] = []
    blocks = view.get("blocks", [])
    if len(blocks) > MAX_BLOCKS[kind]:
        problems.append(f"{len(blocks)} blocks > {MAX_BLOCKS[kind]}")
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    if len(block_ids) != len(set(block_ids)):
        problems.append("duplicate block_id")
    for i, block in enumerate(blocks):
        if len(block.get("block_id", "")) > MAX_ID_LENGTH:
            problems.append(f"block {i}: block_id too long")
        if block["type"] == "section" and len(block["text"]["text"]) > MAX_SECTION_TEXT:
            problems.append(f"block {i}: section text {len(block['text']['text'])} chars")
        if block["type"] == "header":
            if block["text"]["type"] != "plain_text":
                problems.append(f"block {i}: header must be plain_text")
            if len(block["text"]["text"]) > MAX_HEADER_TEXT:
                problems.append(f"block {i}: header text too long")
        if block["type"] == "context" and len(block["elements"]) > MAX_CONTEXT_ELEMENTS:
            problems.append(f"block {i}: too many context elements")
    return problems
