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
        problems += [f"block {i}: {p}" for p in _block_problems(block)]
    return problems


def _block_problems(block: dict[str, Any]) -> list[str]:
    """What is wrong with one block."""
    problems = []
    kind = block["type"]
    if len(block.get("block_id", "")) > MAX_ID_LENGTH:
        problems.append("block_id too long")
    if kind == "section":
        if len(block.get("text", {}).get("text", "")) > MAX_SECTION_TEXT:
            problems.append(f"section text {len(block['text']['text'])} chars")
        if not ("text" in block or block.get("fields")):
            problems.append("section without text or fields")
        fields = block.get("fields", [])
        if len(fields) > 10 or any(len(f["text"]) > 2000 for f in fields):
            problems.append("more than 10 fields or a field over 2000 chars")
    if kind == "actions" and not 1 <= len(block["elements"]) <= 25:
        problems.append(f"{len(block['elements'])} elements in actions")
    if kind == "header" and block["text"]["type"] != "plain_text":
        problems.append("header must be plain_text")
    if kind == "header" and len(block["text"]["text"]) > MAX_HEADER_TEXT:
        problems.append("header text too long")
    if kind == "context" and len(block["elements"]) > MAX_CONTEXT_ELEMENTS:
        problems.append("too many context elements")
    return problems
