"""Loading a network (meetings, facilitators, members) from a TOML file: checked whole, then
applied in one transaction, so a bad file changes nothing and a second run changes nothing."""

from __future__ import annotations

import itertools
import re
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from models.base import utc_now
from models.network import (
    LANGUAGES,
    Meeting,
    Member,
    Network,
    Role,
    is_email_address,
    members_elsewhere,
)
from models.network_admin import apply_meeting_change

SLACK_USER_ID_RE = re.compile(r"^[UW][A-Z0-9]{2,}$")
# A Teams user id as the Bot Framework gives it ("29:1…"), or an Entra (AAD) object id.
TEAMS_USER_ID_RE = re.compile(
    r"^(?:29:[\w.:@-]{1,120}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$",
    re.IGNORECASE,
)
KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
COUNTRY_RE = re.compile(r"^[A-Z]{2}$")


class NetworkFileError(Exception):
    """The file is not a valid network; `problems` lists each, naming the entry and field."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        listing = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{source}: {len(problems)} problem(s), nothing was changed:\n{listing}")


@dataclass(frozen=True)
class MeetingSpec:
    number: int
    theme: str
    starts_at: datetime
    ends_at: datetime
    host: str
    place: str
    host_contact: str | None = None  # Slack id of a person in the file


@dataclass(frozen=True)
class PersonSpec:
    slack_user_id: str
    role: Role
    name: str
    organisation: str | None
    manager_name: str | None
    email: str | None
    language: str | None
    timezone: str | None
    teams_user_id: str | None = None  # for the Teams surface to come; stored, not used yet


@dataclass(frozen=True)
class NetworkSpec:
    key: str
    name: str
    timezone: str
    country: str
    language: str
    season_start: date
    season_end: date
    sparring_target_minutes: int
    meetings: list[MeetingSpec]
    people: list[PersonSpec]
    fee_per_member: int = 6000
    colleague_discount: int = 500
    sister_key: str | None = None


@dataclass
class ImportReport:
    network_key: str
    created: bool = False
    added: dict[str, int] = field(default_factory=lambda: {"meeting": 0, "person": 0})
    changed: dict[str, int] = field(
        default_factory=lambda: {"meeting": 0, "person": 0, "network": 0}
    )
    removed: dict[str, int] = field(default_factory=lambda: {"meeting": 0, "person": 0})
    plan: ImportPlan | None = None

    @property
    def unchanged(self) -> bool:
        return not self.created and not any(
            n for d in (self.added, self.changed, self.removed) for n in d.values()
        )


NETWORK_FIELDS = {
    "sister",
    "fee_per_member_dkk",
    "colleague_discount_dkk",
    "key",
    "name",
    "timezone",
    "country",
    "language",
    "season_start",
    "season_end",
    "sparring_target_hours",
}
MEETING_FIELDS = {"number", "theme", "starts", "ends", "host", "place", "host_contact"}
FACILITATOR_FIELDS = {"slack_id", "teams_id", "name", "email", "language", "timezone"}
MEMBER_FIELDS = FACILITATOR_FIELDS | {"organisation", "manager"}
TOP_LEVEL = {"network", "meetings", "facilitators", "members", "hosts"}


class _Checker:
    """Collects every problem in a file rather than stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def fields(self, where: str, table: Any, allowed: set[str]) -> dict[str, Any]:
        if not isinstance(table, dict):
            self.problem(where, "must be a table")
            return {}
        for name in sorted(set(table) - allowed):
            self.problem(where, f'unknown field "{name}" (allowed: {", ".join(sorted(allowed))})')
        return table

    def text(self, where: str, table: dict[str, Any], name: str, *, required: bool) -> str | None:
        value = table.get(name)
        if value is None:
            if required:
                self.problem(where, f'missing field "{name}"')
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(where, f'"{name}" must be a non-empty text')
            return None
        return value.strip()

    def choice(
        self, where: str, table: dict[str, Any], name: str, allowed: tuple[str, ...]
    ) -> str | None:
        value = self.text(where, table, name, required=False)
        if value is not None and value not in allowed:
            self.problem(where, f'"{name}" must be one of {", ".join(allowed)}, got "{value}"')
            return None
        return value

    def zone(self, where: str, table: dict[str, Any], name: str) -> str | None:
        value = self.text(where, table, name, required=False)
        if value is None:
            return None
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            self.problem(
                where, f'"{name}" is not a known time zone: "{value}" (e.g. "Europe/Copenhagen")'
            )
            return None
        return value

    def day(self, where: str, table: dict[str, Any], name: str) -> date | None:
        value = table.get(name)
        if value is None:
            self.problem(where, f'missing field "{name}"')
            return None
        if isinstance(value, datetime) or not isinstance(value, date):
            self.problem(where, f'"{name}" must be a date without quotes, e.g. {name} = 2015-09-01')
            return None
        return value

    def moment(
        self, where: str, table: dict[str, Any], name: str, zone: ZoneInfo
    ) -> datetime | None:
        value = table.get(name)
        if value is None:
            self.problem(where, f'missing field "{name}"')
            return None
        if not isinstance(value, datetime):
            self.problem(
                where,
                f'"{name}" must be a date and time without quotes, '
                f"e.g. {name} = 2015-09-21T10:00:00",
            )
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=zone)
        return value.astimezone(UTC)


def _where_person(kind: str, index: int, table: Any) -> str:
    label = f"{kind}[{index + 1}]"
    if isinstance(table, dict):
        parts = [f'slack_id "{table["slack_id"]}"' if "slack_id" in table else None]
        parts.append(f'"{table["name"]}"' if "name" in table else None)
        shown = ", ".join(p for p in parts if p)
        if shown:
            label += f" ({shown})"
    return label


def parse_network(data: dict[str, Any], source: str = "network file") -> NetworkSpec:
    """Check a parsed TOML document and return the network it describes, or raise
    NetworkFileError listing every problem."""
    c = _Checker()
    for table_name in sorted(set(data) - TOP_LEVEL):
        c.problem(source, f'unknown table "{table_name}" (allowed: {", ".join(sorted(TOP_LEVEL))})')
    net = c.fields("[network]", data.get("network", {}), NETWORK_FIELDS)
    if "network" not in data:
        c.problem(source, "missing table [network]")
    key = c.text("[network]", net, "key", required=True)
    if key is not None and not KEY_RE.match(key):
        c.problem("[network]", f'"key" must be lower-case letters, digits and dashes, got "{key}"')
    name = c.text("[network]", net, "name", required=True)
    timezone = c.zone("[network]", net, "timezone") or "Europe/Copenhagen"
    zone = ZoneInfo(timezone)
    country = c.text("[network]", net, "country", required=False) or "DK"
    if not COUNTRY_RE.match(country):
        c.problem("[network]", f'"country" must be a two-letter code such as "DK", got "{country}"')
    language = c.choice("[network]", net, "language", LANGUAGES) or "da"
    season_start = c.day("[network]", net, "season_start")
    season_end = c.day("[network]", net, "season_end")
    if season_start and season_end and season_start > season_end:
        c.problem("[network]", "season_start must not be after season_end")
    target_hours = net.get("sparring_target_hours", 2)
    if (
        isinstance(target_hours, bool)
        or not isinstance(target_hours, int | float)
        or target_hours <= 0
    ):
        c.problem(
            "[network]", f'"sparring_target_hours" must be a number above 0, got {target_hours!r}'
        )
        target_hours = 2

    sister = c.text("[network]", net, "sister", required=False)
    if sister is not None and (not KEY_RE.match(sister) or sister == key):
        c.problem("[network]", f'"sister" must be the key of another network, got "{sister}"')
    amounts = {}
    for field_name, default in (("fee_per_member_dkk", 6000), ("colleague_discount_dkk", 500)):
        amount = net.get(field_name, default)
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
            c.problem("[network]", f'"{field_name}" must be a whole number of DKK, got {amount!r}')
            amount = default
        amounts[field_name] = amount
    meetings: list[MeetingSpec] = []
    raw_meetings = data.get("meetings", [])
    if not isinstance(raw_meetings, list) or not raw_meetings:
        c.problem(source, "at least one [[meetings]] entry is needed")
        raw_meetings = []
    for i, raw in enumerate(raw_meetings):
        where = f"meetings[{i + 1}]"
        if isinstance(raw, dict) and isinstance(raw.get("number"), int):
            where += f" (number {raw['number']})"
        m = c.fields(where, raw, MEETING_FIELDS)
        number = m.get("number")
        if number is None:
            c.problem(where, 'missing field "number"')
        elif isinstance(number, bool) or not isinstance(number, int) or number != i + 1:
            c.problem(where, f'"number" must be {i + 1} (meetings are numbered 1, 2, … in order)')
        theme = c.text(where, m, "theme", required=True)
        host = c.text(where, m, "host", required=True)
        place = c.text(where, m, "place", required=True)
        starts = c.moment(where, m, "starts", zone)
        ends = c.moment(where, m, "ends", zone)
        contact = c.text(where, m, "host_contact", required=False)
        if starts and ends and starts >= ends:
            c.problem(where, '"ends" must be after "starts"')
        if starts and ends and theme and host and place and isinstance(number, int):
            meetings.append(MeetingSpec(number, theme, starts, ends, host, place, contact))
    for prev, cur in itertools.pairwise(meetings):
        if cur.starts_at < prev.ends_at:
            c.problem(
                f"meetings[{cur.number}] (number {cur.number})",
                f"starts before meeting {prev.number} ends: meetings must be in time order",
            )
    if season_start and season_end:
        for mt in meetings:
            local_day = mt.starts_at.astimezone(zone).date()
            if not season_start <= local_day <= season_end:
                c.problem(
                    f"meetings[{mt.number}] (number {mt.number})",
                    f"is on {local_day}, outside the season {season_start} – {season_end}",
                )

    people: list[PersonSpec] = []
    seen: dict[str, str] = {}
    seen_teams: dict[str, str] = {}
    for kind, role, allowed in (
        ("facilitators", Role.FACILITATOR, FACILITATOR_FIELDS),
        ("members", Role.MEMBER, MEMBER_FIELDS),
        ("hosts", Role.HOST, FACILITATOR_FIELDS),
    ):
        raw_people = data.get(kind, [])
        if not isinstance(raw_people, list):
            c.problem(source, f"[[{kind}]] must be a list of tables")
            continue
        if not raw_people and role is not Role.HOST:
            c.problem(source, f"at least one [[{kind}]] entry is needed")
        for i, raw in enumerate(raw_people):
            where = _where_person(kind, i, raw)
            p = c.fields(where, raw, allowed)
            slack_id = c.text(where, p, "slack_id", required=True)
            if slack_id is not None and not SLACK_USER_ID_RE.match(slack_id):
                c.problem(
                    where,
                    f'"slack_id" must be a Slack user id such as "U024BE7LH", got "{slack_id}"',
                )
                slack_id = None
            if slack_id is not None:
                if slack_id in seen:
                    c.problem(
                        where,
                        f'duplicate: slack_id "{slack_id}" is already used by {seen[slack_id]}',
                    )
                else:
                    seen[slack_id] = where
            teams_id = c.text(where, p, "teams_id", required=False)
            if teams_id is not None and not TEAMS_USER_ID_RE.match(teams_id):
                c.problem(
                    where,
                    '"teams_id" must be a Teams user id such as "29:1a2b…" or an Entra object id '
                    f'such as "8f0e2c1a-5b7d-4c3e-9a61-2d4f6b8e0c17", got "{teams_id}"',
                )
                teams_id = None
            if teams_id is not None:
                if teams_id in seen_teams:
                    c.problem(
                        where,
                        f'duplicate: teams_id "{teams_id}" is already used by '
                        f"{seen_teams[teams_id]}",
                    )
                else:
                    seen_teams[teams_id] = where
            person_name = c.text(where, p, "name", required=True)
            organisation = c.text(where, p, "organisation", required=role is Role.MEMBER)
            manager = c.text(where, p, "manager", required=role is Role.MEMBER)
            email = c.text(where, p, "email", required=False)
            if email is not None and not is_email_address(email):
                c.problem(where, f'"email" is not an e-mail address: "{email}"')
            person_language = c.choice(where, p, "language", LANGUAGES)
            person_zone = c.zone(where, p, "timezone")
            if slack_id and person_name:
                people.append(
                    PersonSpec(
                        slack_id,
                        role,
                        person_name,
                        organisation,
                        manager,
                        email,
                        person_language,
                        person_zone,
                        teams_id,
                    )
                )

    for mt in meetings:
        if mt.host_contact is not None and mt.host_contact not in seen:
            c.problem(
                f"meetings[{mt.number}] (number {mt.number})",
                f'"host_contact" "{mt.host_contact}" is not a person in this file '
                "(add them under [[hosts]], [[facilitators]] or [[members]])",
            )
    if c.problems:
        raise NetworkFileError(source, c.problems)
    assert key and name and season_start and season_end
    return NetworkSpec(
        key=key,
        name=name,
        timezone=timezone,
        country=country,
        language=language,
        season_start=season_start,
        season_end=season_end,
        sparring_target_minutes=round(float(target_hours) * 60),
        meetings=meetings,
        fee_per_member=amounts["fee_per_member_dkk"],
        sister_key=sister,
        colleague_discount=amounts["colleague_discount_dkk"],
        people=people,
    )


def read_network_file(path: str | Path) -> NetworkSpec:
    path = Path(path)
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise NetworkFileError(str(path), ["file not found"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise NetworkFileError(str(path), [f"not valid TOML: {exc}"]) from None
    return parse_network(data, str(path))


def _assign(obj: Any, values: dict[str, Any]) -> bool:
    """Set the attributes that differ; True when anything changed."""
    changed = False
    for attr, value in values.items():
        if getattr(obj, attr) != value:
            setattr(obj, attr, value)
            changed = True
    return changed


def _differing(obj: Any, values: dict[str, Any]) -> list[str]:
    return [attr for attr, value in values.items() if getattr(obj, attr) != value]


def _network_values(spec: NetworkSpec) -> dict[str, Any]:
    return {
        "name": spec.name,
        "timezone": spec.timezone,
        "country": spec.country,
        "language": spec.language,
        "season_start": spec.season_start,
        "season_end": spec.season_end,
        "sparring_target_minutes": spec.sparring_target_minutes,
        "fee_per_member": spec.fee_per_member,
        "sister_key": spec.sister_key,
        "colleague_discount": spec.colleague_discount,
    }


def _meeting_values(ms: MeetingSpec) -> dict[str, Any]:
    return {
        "theme": ms.theme,
        "starts_at": ms.starts_at,
        "ends_at": ms.ends_at,
        "host": ms.host,
        "place": ms.place,
    }


def _person_values(ps: PersonSpec) -> dict[str, Any]:
    return {
        "role": ps.role,
        "name": ps.name,
        "organisation": ps.organisation,
        "manager_name": ps.manager_name,
        "email": ps.email,
        "language": ps.language,
        "timezone": ps.timezone,
        "teams_user_id": ps.teams_user_id,
        "active": True,
    }


@dataclass(frozen=True)
class PlannedChange:
    """One line of an import's diff: what, which fields, and the records that hang on it."""

    label: str
    fields: tuple[str, ...] = ()
    records: tuple[tuple[str, int], ...] = ()


@dataclass
class ImportPlan:
    """What an import would change, computed without changing anything."""

    network_key: str
    created: bool = False
    network_fields: tuple[str, ...] = ()
    added: list[PlannedChange] = field(default_factory=list)
    changed: list[PlannedChange] = field(default_factory=list)
    deactivated: list[PlannedChange] = field(default_factory=list)
    deleted: list[PlannedChange] = field(default_factory=list)
    # Members of the file who are active members of another network in the same season.
    shared: dict[str, str] = field(default_factory=dict)  # Slack id -> that network's key

    @property
    def destructive(self) -> bool:
        """Whether applying it deletes records or takes people out (needs a confirmation)."""
        return bool(self.deactivated or self.deleted)

    @property
    def empty(self) -> bool:
        return not (
            self.created or self.network_fields or self.added or self.changed or self.destructive
        )

    def lines(self) -> list[str]:
        """The diff, one line per change: + added, ~ changed, - deactivated or deleted."""

        def hanging(change: PlannedChange) -> str:
            return ", ".join(f"{n} {what}" for what, n in change.records) or "no records"

        out = (
            [f"~ network settings: {', '.join(self.network_fields)}"] if self.network_fields else []
        )
        out += [f"+ {c.label}" for c in self.added]
        out += [f"~ {c.label}: {', '.join(c.fields)}" for c in self.changed]
        out += [
            f"- {c.label}: DEACTIVATED (no more reminders; kept: {hanging(c)})"
            for c in self.deactivated
        ]
        out += [f"- {c.label}: DELETED with {hanging(c)}" for c in self.deleted]
        return out


class ImportNotApplied(Exception):
    """The import was not applied; nothing changed. `reason` says why, `plan` what it would do."""

    NEEDS_CONFIRMATION = "needs_confirmation"
    SHARED_MEMBERS = "shared_members"
    PLAN_CHANGED = "plan_changed"

    def __init__(self, reason: str, plan: ImportPlan) -> None:
        self.reason = reason
        self.plan = plan
        super().__init__(reason)


def _count(session: Session, column: Any, value: int) -> int:
    return int(session.scalar(select(func.count()).where(column == value)) or 0)


def _records(
    session: Session, what: list[tuple[str, Any]], value: int
) -> tuple[tuple[str, int], ...]:
    counts = ((name, _count(session, column, value)) for name, column in what)
    return tuple((name, n) for name, n in counts if n)


def _meeting_records(session: Session, meeting_id: int) -> tuple[tuple[str, int], ...]:
    """What a meeting's deletion takes with it (spreading entries only lose the meeting)."""
    from models.attendance import Attendance
    from models.nudges import Nudge
    from models.prep import Preparation, PrepExample, PrepQuestion
    from models.spread import SpreadAction

    return _records(
        session,
        [
            ("preparations", Preparation.meeting_id),
            ("questions", PrepQuestion.meeting_id),
            ("examples", PrepExample.meeting_id),
            ("attendance answers", Attendance.meeting_id),
            ("spreading entries (lose their meeting)", SpreadAction.meeting_id),
            ("outbox messages", Nudge.meeting_id),
        ],
        meeting_id,
    )


def _person_records(session: Session, member_id: int) -> tuple[tuple[str, int], ...]:
    """What a person has entered (kept when they are deactivated)."""
    from models.attendance import Attendance
    from models.followup import ManagerFollowUp
    from models.prep import PrepExample, PrepQuestion
    from models.sparring import SparringEntry
    from models.spread import SpreadAction

    return _records(
        session,
        [
            ("sparring entries", SparringEntry.giver_id),
            ("questions", PrepQuestion.member_id),
            ("examples", PrepExample.member_id),
            ("follow-ups", ManagerFollowUp.member_id),
            ("spreading entries", SpreadAction.member_id),
            ("attendance answers", Attendance.member_id),
        ],
        member_id,
    )


def _load(session: Session, key: str) -> Network | None:
    return session.scalars(
        select(Network)
        .where(Network.key == key)
        .options(selectinload(Network.meetings), selectinload(Network.people))
    ).first()


def _person_label(slack_user_id: str | None, name: str, role: Role) -> str:
    return f'person {slack_user_id} "{name}" ({role.value})'


def plan_import(session: Session, spec: NetworkSpec) -> ImportPlan:
    """The diff an import of `spec` would make, with the records hanging on each deletion
    and deactivation; changes nothing."""
    network = _load(session, spec.key)
    plan = ImportPlan(network_key=spec.key, created=network is None)
    meetings = {m.number: m for m in network.meetings} if network else {}
    people = {p.slack_user_id: p for p in network.people} if network else {}
    if network is not None:
        plan.network_fields = tuple(_differing(network, _network_values(spec)))
    for ms in spec.meetings:
        label = f'meeting {ms.number} "{ms.theme}" ({ms.starts_at:%Y-%m-%d})'
        existing = meetings.pop(ms.number, None)
        if existing is None:
            plan.added.append(PlannedChange(label))
            continue
        fields = _differing(existing, _meeting_values(ms))
        contact = existing.host_contact.slack_user_id if existing.host_contact else None
        if contact != ms.host_contact:
            fields.append("host_contact")
        if fields:
            plan.changed.append(PlannedChange(label, tuple(fields)))
    for gone in meetings.values():
        plan.deleted.append(
            PlannedChange(
                f'meeting {gone.number} "{gone.theme}" ({gone.starts_at:%Y-%m-%d})',
                records=_meeting_records(session, gone.id),
            )
        )
    joining: list[str] = []
    for ps in spec.people:
        label = _person_label(ps.slack_user_id, ps.name, ps.role)
        person = people.pop(ps.slack_user_id, None)
        if person is None:
            plan.added.append(PlannedChange(label))
        else:
            fields = _differing(person, _person_values(ps))
            if fields:
                plan.changed.append(PlannedChange(label, tuple(fields)))
        if ps.role is Role.MEMBER and (person is None or not person.active):
            joining.append(ps.slack_user_id)
    for left in people.values():
        if left.active:
            plan.deactivated.append(
                PlannedChange(
                    _person_label(left.slack_user_id, left.name, left.role),
                    records=_person_records(session, left.id),
                )
            )
    elsewhere = members_elsewhere(
        session,
        slack_user_ids=joining,
        network_id=network.id if network else None,
        season_start=spec.season_start,
        season_end=spec.season_end,
    )
    plan.shared = {sid: other.key for sid, other in elsewhere.items()}
    return plan


def apply_network(
    session: Session,
    spec: NetworkSpec,
    now: datetime | None = None,
    *,
    confirmed: bool = False,
    allow_shared_members: bool = False,
    expected: ImportPlan | None = None,
) -> ImportReport:
    """Create or update the network to match `spec`. People missing from the file are
    deactivated (their history stays); meetings beyond the file's last are removed — but
    only when `confirmed`: otherwise ImportNotApplied is raised and nothing changes. Members
    who are active members of another network in the same season are refused unless
    `allow_shared_members`. With `expected`, the plan must still be the one shown."""
    plan = plan_import(session, spec)
    if expected is not None and expected.lines() != plan.lines():
        raise ImportNotApplied(ImportNotApplied.PLAN_CHANGED, plan)
    if plan.shared and not allow_shared_members:
        raise ImportNotApplied(ImportNotApplied.SHARED_MEMBERS, plan)
    if plan.destructive and not confirmed:
        raise ImportNotApplied(ImportNotApplied.NEEDS_CONFIRMATION, plan)
    now = now or utc_now()
    report = ImportReport(network_key=spec.key, plan=plan)
    network = _load(session, spec.key)
    values = _network_values(spec)
    if network is None:
        network = Network(key=spec.key, created_at=now, updated_at=now, **values)
        session.add(network)
        report.created = True
    elif _assign(network, values):
        network.updated_at = now
        report.changed["network"] += 1

    by_number = {m.number: m for m in network.meetings}
    for ms in spec.meetings:
        meeting_values = _meeting_values(ms)
        existing = by_number.pop(ms.number, None)
        if existing is None:
            network.meetings.append(Meeting(number=ms.number, **meeting_values))
            report.added["meeting"] += 1
        elif apply_meeting_change(
            session=session, meeting=existing, values=meeting_values, by=None, now=now
        ):  # re-plans its reminders and tells the members, as `/network meeting` does
            report.changed["meeting"] += 1
    for leftover in by_number.values():
        network.meetings.remove(leftover)
        report.removed["meeting"] += 1

    by_slack_id = {p.slack_user_id: p for p in network.people}
    for ps in spec.people:
        person_values = _person_values(ps)
        existing_person = by_slack_id.pop(ps.slack_user_id, None)
        if existing_person is None:
            network.people.append(
                Member(
                    slack_user_id=ps.slack_user_id, created_at=now, updated_at=now, **person_values
                )
            )
            report.added["person"] += 1
        elif _assign(existing_person, person_values):
            existing_person.updated_at = now
            report.changed["person"] += 1
    for gone in by_slack_id.values():
        if gone.active:
            gone.active = False
            gone.updated_at = now
            report.removed["person"] += 1
    session.flush()
    people = {p.slack_user_id: p for p in network.people}
    for ms in spec.meetings:
        meeting = next(m for m in network.meetings if m.number == ms.number)
        contact_id = people[ms.host_contact].id if ms.host_contact else None
        if meeting.host_contact_id != contact_id:
            meeting.host_contact_id = contact_id
            report.changed["meeting"] += 1
    session.flush()
    return report


def import_network_file(
    session: Session,
    path: str | Path,
    now: datetime | None = None,
    *,
    confirmed: bool = False,
    allow_shared_members: bool = False,
) -> ImportReport:
    """Read, check and apply a network file in the caller's transaction (see apply_network
    for what needs `confirmed`)."""
    return apply_network(
        session,
        read_network_file(path),
        now,
        confirmed=confirmed,
        allow_shared_members=allow_shared_members,
    )
