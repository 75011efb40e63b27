"""Declarative base, naming convention and the UTC datetime column type."""

from __future__ import annotations

import enum
import re
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import DateTime, Enum, MetaData
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored as UTC; naive values are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; store timezone-aware UTC datetimes only")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            # SQLite has no timezone type: keep UTC, drop the offset so values sort as text.
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


# Table options for a table whose rows the change history refers to by id: SQLite hands a
# deleted row's id to the next new row unless the table is AUTOINCREMENT (PostgreSQL's
# sequences never reuse an id). Put last in __table_args__.
STABLE_IDS: dict[str, Any] = {"sqlite_autoincrement": True}


def enum_column(enum_cls: type[enum.StrEnum], length: int) -> Enum:
    """A string enum stored by value in a VARCHAR (no database enum type to migrate)."""
    return Enum(
        enum_cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e]
    )


# Control characters other than tab, newline and carriage return (C0, DEL, C1), and lone
# surrogates (JSON can carry "\ud800"; no database can store it as UTF-8). PostgreSQL refuses
# NUL and SQLite would keep it: both get the same clean text.
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def _has_unstorable(value: str) -> bool:
    """Whether `value` holds a character of _UNSTORABLE; ASCII printable text (most of it)
    cannot, and is answered without the regular expression."""
    if value.isascii() and value.isprintable():
        return False
    return _UNSTORABLE.search(value) is not None


def clean_text(value: str) -> str:
    """`value` without characters that are never text a person meant (see _UNSTORABLE)."""
    return _UNSTORABLE.sub("", value) if _has_unstorable(value) else value


def clean_parameters(parameters: Any) -> Any:
    """Statement parameters (a dict, a sequence, or a list of either for executemany) with
    every text value cleaned; unchanged objects are returned as they are."""
    if isinstance(parameters, str):
        return clean_text(parameters)
    if isinstance(parameters, dict):
        if not any(isinstance(v, str) and _has_unstorable(v) for v in parameters.values()):
            return parameters
        return {k: clean_text(v) if isinstance(v, str) else v for k, v in parameters.items()}
    if isinstance(parameters, list | tuple):
        cleaned = [clean_parameters(p) for p in parameters]
        if all(a is b for a, b in zip(cleaned, parameters, strict=True)):
            return parameters
        return type(parameters)(cleaned)
    return parameters


def utc_now() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)
