"""Change history: an edit never loses the earlier value without trace."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base


class ChangeRecord(Base):
    """One changed field of one record: who, when, from what, to what."""

    __tablename__ = "change_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int]
    field: Mapped[str] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[datetime]

    __table_args__ = (Index("ix_change_record_entity", "entity", "entity_id"),)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def apply_changes(
    *,
    session: Session,
    obj: Any,
    entity: str,
    member_id: int,
    values: dict[str, Any],
    now: datetime,
) -> list[str]:
    """Set `values` on `obj`, recording each field that really changes; returns their names."""
    changed = []
    for name, new in values.items():
        old = getattr(obj, name)
        if old == new:
            continue
        session.add(
            ChangeRecord(
                member_id=member_id,
                entity=entity,
                entity_id=obj.id,
                field=name,
                old_value=_text(old),
                new_value=_text(new),
                changed_at=now,
            )
        )
        setattr(obj, name, new)
        changed.append(name)
    return changed


def record_removal(
    *, session: Session, obj: Any, entity: str, member_id: int, fields: list[str], now: datetime
) -> None:
    """Before `obj` is deleted: keep what it said, one record per non-empty field."""
    for name in fields:
        value = getattr(obj, name)
        if value in (None, ""):
            continue
        session.add(
            ChangeRecord(
                member_id=member_id,
                entity=entity,
                entity_id=obj.id,
                field=name,
                old_value=_text(value),
                new_value=None,
                changed_at=now,
            )
        )


def delete_with_history(
    *, session: Session, obj: Any, entity: str, member_id: int, fields: list[str], now: datetime
) -> None:
    """Delete `obj`, keeping what it said in the history."""
    record_removal(
        session=session, obj=obj, entity=entity, member_id=member_id, fields=fields, now=now
    )
    session.delete(obj)
