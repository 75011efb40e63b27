"""Ids are enum members defined once: no block, action or callback id is a bare literal."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from models.prep import ExampleField, QuestionField, example_field, example_keys, question_field

ROOT = Path(__file__).resolve().parents[2]
ID_KEYS = {"block_id", "action_id", "callback_id"}


def _literal_ids(path: Path) -> list[str]:
    """Places in `path` where an id is written as a string literal instead of an enum member."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        pairs: list[tuple[ast.expr | None, ast.expr]] = []
        if isinstance(node, ast.Dict):
            pairs = list(zip(node.keys, node.values, strict=True))
        elif isinstance(node, ast.Call):
            pairs = [(ast.Constant(k.arg), k.value) for k in node.keywords if k.arg]
        for key, value in pairs:
            # An f-string may number a member's id (`f"{Block.X}_{n}"`), never start with a literal.
            literal = isinstance(value, ast.Constant) or (
                isinstance(value, ast.JoinedStr) and isinstance(value.values[0], ast.Constant)
            )
            if isinstance(key, ast.Constant) and key.value in ID_KEYS and literal:
                found.append(f"{path.relative_to(ROOT)}:{value.lineno}")
    return found


@pytest.mark.parametrize(
    "path",
    sorted((ROOT / "handlers").glob("**/*.py")) + sorted((ROOT / "jobs").glob("**/*.py")),
    ids=lambda p: p.name,
)
def test_no_id_is_a_literal(path: Path) -> None:
    assert _literal_ids(path) == []


def test_prep_field_names_read_back() -> None:
    names = [example_field(key, part) for key in ("12", "new") for part in ExampleField]
    names.append(question_field(1, QuestionField.TEXT))
    assert example_keys(names) == ["12", "new"]
    assert question_field(2, QuestionField.PRIMARY) == "p2_q2_primary"
    assert example_field("new", ExampleField.TITLE) == "p3_new_title"
