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

from models.applications import Application
from models.base import utc_now
from models.competencies import contributes_of, keywords_of
from models.errors import InputError
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
from models.renewal import end_of_day, follow_renewal_deadline, invite_claims

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
    # None: the file does not say (what `/network meeting` set stays)
    speakers: tuple[str, ...] | None = None
    description: str | None = None


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
    # A member's keywords and what they can contribute; None: not in the file (what the member
    # wrote in chat stays).
    competencies: tuple[str, ...] | None = None
    contributes: str | None = None


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
    applications: ApplicationSettings = field(default_factory=lambda: ApplicationSettings())
    # The season before this one (its key), the renewal vote's deadline and, for a new
    # season, until when last season's members may claim their seat (local dates).
    previous_key: str | None = None
    renewal_deadline: date | None = None
    claim_deadline: date | None = None
    bazaar_meeting: int | None = None


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
    "applications_open",
    "application_deadline",
    "seats",
    "sister",
    "previous",
    "renewal_deadline",
    "claim_deadline",
    "bazaar_meeting",
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
MEETING_FIELDS = {
    "number",
    "theme",
    "starts",
    "ends",
    "host",
    "place",
    "host_contact",
    "speakers",
    "description",
}
FACILITATOR_FIELDS = {"slack_id", "teams_id", "name", "email", "language", "timezone"}
# Competencies and contribution, in either language (one of each pair).
COMPETENCY_FIELDS = {"competencies", "kompetencer"}
CONTRIBUTES_FIELDS = {"contributes", "bidrag"}
MEMBER_FIELDS = FACILITATOR_FIELDS | {"organisation", "manager"} | COMPETENCY_FIELDS
MEMBER_FIELDS |= CONTRIBUTES_FIELDS
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


@dataclass(frozen=True)
class _NetworkTable:
    """What [network] says, each field checked (None where it was missing or wrong)."""

    key: str | None
    name: str | None
    timezone: str
    country: str
    language: str
    season_start: date | None
    season_end: date | None
    target_hours: int | float
    sister: str | None
    fee_per_member: int
    colleague_discount: int
    applications: ApplicationSettings
    previous: str | None = None
    renewal_deadline: date | None = None
    claim_deadline: date | None = None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class ApplicationSettings:
    """[network]'s application keys: open or not, the deadline (UTC), the seats."""

    open: bool = False
    deadline: datetime | None = None
    seats: int | None = None


def _application_settings(c: _Checker, net: dict[str, Any], zone: ZoneInfo) -> ApplicationSettings:
    is_open = net.get("applications_open", False)
    if not isinstance(is_open, bool):
        c.problem("[network]", f'"applications_open" must be true or false, got {is_open!r}')
        is_open = False
    deadline = None
    if "application_deadline" in net:
        deadline = c.moment("[network]", net, "application_deadline", zone)
    seats = net.get("seats")
    if seats is not None and (isinstance(seats, bool) or not isinstance(seats, int) or seats < 1):
        c.problem("[network]", f'"seats" must be a whole number above 0, got {seats!r}')
        seats = None
    return ApplicationSettings(is_open, deadline, seats)


def parse_network(data: dict[str, Any], source: str = "network file") -> NetworkSpec:
    """Check a parsed TOML document and return the network it describes, or raise
    NetworkFileError listing every problem."""
    c = _Checker()
    for table_name in sorted(set(data) - TOP_LEVEL):
        c.problem(source, f'unknown table "{table_name}" (allowed: {", ".join(sorted(TOP_LEVEL))})')
    net = _network_table(c, data, source)
    meetings = _meetings(c, data, source, net)
    last_day = max((m.starts_at.astimezone(net.zone).date() for m in meetings), default=None)
    if net.renewal_deadline and last_day and net.renewal_deadline <= last_day:
        c.problem("[network]", "renewal_deadline must be after the day of the last meeting")
    people, slack_ids = _people(c, data, source)
    for mt in meetings:
        if mt.host_contact is not None and mt.host_contact not in slack_ids:
            c.problem(
                f"meetings[{mt.number}] (number {mt.number})",
                f'"host_contact" "{mt.host_contact}" is not a person in this file '
                "(add them under [[hosts]], [[facilitators]] or [[members]])",
            )
    if c.problems:
        raise NetworkFileError(source, c.problems)
    assert net.key and net.name and net.season_start and net.season_end
    return NetworkSpec(
        key=net.key,
        name=net.name,
        timezone=net.timezone,
        country=net.country,
        language=net.language,
        season_start=net.season_start,
        season_end=net.season_end,
        sparring_target_minutes=round(float(net.target_hours) * 60),
        meetings=meetings,
        fee_per_member=net.fee_per_member,
        sister_key=net.sister,
        bazaar_meeting=_bazaar_meeting(c, data, len(meetings)),
        colleague_discount=net.colleague_discount,
        people=people,
        applications=net.applications,
        previous_key=net.previous,
        renewal_deadline=net.renewal_deadline,
        claim_deadline=net.claim_deadline,
    )


def _network_table(c: _Checker, data: dict[str, Any], source: str) -> _NetworkTable:
    net = c.fields("[network]", data.get("network", {}), NETWORK_FIELDS)
    if "network" not in data:
        c.problem(source, "missing table [network]")
    key = c.text("[network]", net, "key", required=True)
    if key is not None and not KEY_RE.match(key):
        c.problem("[network]", f'"key" must be lower-case letters, digits and dashes, got "{key}"')
    name = c.text("[network]", net, "name", required=True)
    timezone = c.zone("[network]", net, "timezone") or "Europe/Copenhagen"
    country = c.text("[network]", net, "country", required=False) or "DK"
    if not COUNTRY_RE.match(country):
        c.problem("[network]", f'"country" must be a two-letter code such as "DK", got "{country}"')
    language = c.choice("[network]", net, "language", LANGUAGES) or "da"
    season_start = c.day("[network]", net, "season_start")
    season_end = c.day("[network]", net, "season_end")
    if season_start and season_end and season_start > season_end:
        c.problem("[network]", "season_start must not be after season_end")
    target_hours = _target_hours(c, net)
    sister = c.text("[network]", net, "sister", required=False)
    if sister is not None and (not KEY_RE.match(sister) or sister == key):
        c.problem("[network]", f'"sister" must be the key of another network, got "{sister}"')
    previous, renewal_deadline, claim_deadline = _seasons(c, net, key, season_start, season_end)
    return _NetworkTable(
        key=key,
        name=name,
        timezone=timezone,
        country=country,
        language=language,
        season_start=season_start,
        season_end=season_end,
        target_hours=target_hours,
        sister=sister,
        fee_per_member=_amount(c, net, "fee_per_member_dkk", 6000),
        colleague_discount=_amount(c, net, "colleague_discount_dkk", 500),
        applications=_application_settings(c, net, ZoneInfo(timezone)),
        previous=previous,
        renewal_deadline=renewal_deadline,
        claim_deadline=claim_deadline,
    )


def _seasons(
    c: _Checker,
    net: dict[str, Any],
    key: str | None,
    season_start: date | None,
    season_end: date | None,
) -> tuple[str | None, date | None, date | None]:
    """`previous` (the season before's key), `renewal_deadline` (in the season) and
    `claim_deadline` (before the season starts; only with `previous`)."""
    previous = c.text("[network]", net, "previous", required=False)
    if previous is not None and (not KEY_RE.match(previous) or previous == key):
        c.problem("[network]", f'"previous" must be the key of another network, got "{previous}"')
    renewal = c.day("[network]", net, "renewal_deadline") if "renewal_deadline" in net else None
    if renewal and season_start and season_end and not season_start <= renewal <= season_end:
        c.problem("[network]", "renewal_deadline must be within the season")
    claim = c.day("[network]", net, "claim_deadline") if "claim_deadline" in net else None
    if claim is not None and previous is None:
        c.problem("[network]", 'claim_deadline needs "previous", the season whose members claim')
    if claim and season_start and claim >= season_start:
        c.problem("[network]", "claim_deadline must be before season_start")
    return previous, renewal, claim


def _bazaar_meeting(c: _Checker, data: dict[str, Any], meetings: int) -> int | None:
    """`bazaar_meeting = 4`: the number of one of the season's meetings (or none)."""
    net = data.get("network", {})
    number = net.get("bazaar_meeting") if isinstance(net, dict) else None
    if number is None:
        return None
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= meetings:
        c.problem("[network]", f'"bazaar_meeting" must be a meeting number, got {number!r}')
        return None
    return number


def _target_hours(c: _Checker, net: dict[str, Any]) -> int | float:
    target_hours = net.get("sparring_target_hours", 2)
    if (
        isinstance(target_hours, bool)
        or not isinstance(target_hours, int | float)
        or target_hours <= 0
    ):
        c.problem(
            "[network]", f'"sparring_target_hours" must be a number above 0, got {target_hours!r}'
        )
        return 2
    return target_hours


def _amount(c: _Checker, net: dict[str, Any], field_name: str, default: int) -> int:
    amount = net.get(field_name, default)
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        c.problem("[network]", f'"{field_name}" must be a whole number of DKK, got {amount!r}')
        return default
    return amount


def _meetings(
    c: _Checker, data: dict[str, Any], source: str, net: _NetworkTable
) -> list[MeetingSpec]:
    """The [[meetings]], numbered in order, in time order and inside the season."""
    raw_meetings = data.get("meetings", [])
    if not isinstance(raw_meetings, list) or not raw_meetings:
        c.problem(source, "at least one [[meetings]] entry is needed")
        raw_meetings = []
    zone = net.zone
    meetings = [
        mt for i, raw in enumerate(raw_meetings) if (mt := _meeting(c, i, raw, zone)) is not None
    ]
    for prev, cur in itertools.pairwise(meetings):
        if cur.starts_at < prev.ends_at:
            c.problem(
                f"meetings[{cur.number}] (number {cur.number})",
                f"starts before meeting {prev.number} ends: meetings must be in time order",
            )
    if net.season_start and net.season_end:
        for mt in meetings:
            local_day = mt.starts_at.astimezone(zone).date()
            if not net.season_start <= local_day <= net.season_end:
                c.problem(
                    f"meetings[{mt.number}] (number {mt.number})",
                    f"is on {local_day}, outside the season {net.season_start} – {net.season_end}",
                )
    return meetings


def _meeting(c: _Checker, i: int, raw: Any, zone: ZoneInfo) -> MeetingSpec | None:
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
    speakers = _speakers(c, where, m)
    description = m.get("description")
    if description is not None and not isinstance(description, str):
        c.problem(where, '"description" must be a text')
        description = None
    if starts and ends and theme and host and place and isinstance(number, int):
        return MeetingSpec(number, theme, starts, ends, host, place, contact, speakers, description)
    return None


def _speakers(c: _Checker, where: str, m: dict[str, Any]) -> tuple[str, ...] | None:
    """`speakers = ["Name, title", …]`: one line each."""
    value = m.get("speakers")
    if value is None:
        return None
    if not isinstance(value, list) or not all(
        isinstance(s, str) and s.strip() and "\n" not in s for s in value
    ):
        c.problem(where, '"speakers" must be a list of texts, e.g. ["Name, title"]')
        return None
    return tuple(s.strip() for s in value)


def _people(
    c: _Checker, data: dict[str, Any], source: str
) -> tuple[list[PersonSpec], dict[str, str]]:
    """The facilitators, members and hosts, and where each Slack id was seen."""
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
            person = _person(c, where, c.fields(where, raw, allowed), role, seen, seen_teams)
            if person is not None:
                people.append(person)
    return people, seen


def _person(
    c: _Checker,
    where: str,
    p: dict[str, Any],
    role: Role,
    seen: dict[str, str],
    seen_teams: dict[str, str],
) -> PersonSpec | None:
    slack_id = _unique_id(
        c,
        where,
        p,
        "slack_id",
        SLACK_USER_ID_RE,
        '"slack_id" must be a Slack user id such as "U024BE7LH", got "{}"',
        seen,
        required=True,
    )
    teams_id = _unique_id(
        c,
        where,
        p,
        "teams_id",
        TEAMS_USER_ID_RE,
        '"teams_id" must be a Teams user id such as "29:1a2b…" or an Entra object id '
        'such as "8f0e2c1a-5b7d-4c3e-9a61-2d4f6b8e0c17", got "{}"',
        seen_teams,
        required=False,
    )
    person_name = c.text(where, p, "name", required=True)
    organisation = c.text(where, p, "organisation", required=role is Role.MEMBER)
    manager = c.text(where, p, "manager", required=role is Role.MEMBER)
    email = c.text(where, p, "email", required=False)
    if email is not None and not is_email_address(email):
        c.problem(where, f'"email" is not an e-mail address: "{email}"')
    person_language = c.choice(where, p, "language", LANGUAGES)
    person_zone = c.zone(where, p, "timezone")
    keywords, contributes = _competencies(c, where, p)
    if not (slack_id and person_name):
        return None
    return PersonSpec(
        slack_id,
        role,
        person_name,
        organisation,
        manager,
        email,
        person_language,
        person_zone,
        teams_id,
        keywords,
        contributes,
    )


def _one_of(c: _Checker, where: str, p: dict[str, Any], names: set[str]) -> tuple[str, Any]:
    """The one field of `names` (a pair of spellings) the entry gives: (name, value)."""
    given = sorted(n for n in names if n in p)
    if len(given) > 1:
        c.problem(where, f'give "{given[0]}" or "{given[1]}", not both')
    return (given[0], p[given[0]]) if given else ("", None)


def _competencies(
    c: _Checker, where: str, p: dict[str, Any]
) -> tuple[tuple[str, ...] | None, str | None]:
    """A member's `competencies` / `kompetencer` (a list of keywords, or one text separated by
    commas) and `contributes` / `bidrag`, tidied as the chat form tidies them."""
    keywords: tuple[str, ...] | None = None
    name, raw = _one_of(c, where, p, COMPETENCY_FIELDS)
    if raw is not None:
        if isinstance(raw, str) or (isinstance(raw, list) and all(isinstance(k, str) for k in raw)):
            try:
                keywords = tuple(keywords_of(raw))
            except InputError as error:
                c.problem(where, f'"{name}": {_competency_problem(error)}')
        else:
            c.problem(where, f'"{name}" must be a list of texts, e.g. ["jura", "GDPR"]')
    name, raw = _one_of(c, where, p, CONTRIBUTES_FIELDS)
    contributes = None
    if raw is not None and not isinstance(raw, str):
        c.problem(where, f'"{name}" must be a text')
    elif raw is not None:
        try:
            contributes = contributes_of(raw) or ""
        except InputError as error:
            c.problem(where, f'"{name}": {_competency_problem(error)}')
    return keywords, contributes


def _competency_problem(error: InputError) -> str:
    params = error.params
    if error.key == "competencies.error.too_many":
        return f"at most {params['limit']} keywords, got {params['count']}"
    if error.key == "competencies.error.keyword_too_long":
        return f'the keyword "{params["keyword"]}" is longer than {params["limit"]} characters'
    return f"at most {params['limit']} characters, got {params['length']}"


def _unique_id(
    c: _Checker,
    where: str,
    p: dict[str, Any],
    name: str,
    pattern: re.Pattern[str],
    malformed: str,  # the problem when it is not well formed, "{}" for the value
    seen: dict[str, str],
    *,
    required: bool,
) -> str | None:
    """A person's id on a platform: well formed and used by no one else in the file (`seen`:
    where each id was met first)."""
    value = c.text(where, p, name, required=required)
    if value is None:
        return None
    if not pattern.match(value):
        c.problem(where, malformed.format(value))
        return None
    if value in seen:
        c.problem(where, f'duplicate: {name} "{value}" is already used by {seen[value]}')
    else:
        seen[value] = where
    return value


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
    zone = ZoneInfo(spec.timezone)
    return {
        "renewal_deadline": end_of_day(spec.renewal_deadline, zone)
        if spec.renewal_deadline
        else None,
        "claim_deadline": end_of_day(spec.claim_deadline, zone) if spec.claim_deadline else None,
        "name": spec.name,
        "timezone": spec.timezone,
        "country": spec.country,
        "language": spec.language,
        "season_start": spec.season_start,
        "season_end": spec.season_end,
        "sparring_target_minutes": spec.sparring_target_minutes,
        "fee_per_member": spec.fee_per_member,
        "sister_key": spec.sister_key,
        "bazaar_meeting": spec.bazaar_meeting,
        "colleague_discount": spec.colleague_discount,
        "applications_open": spec.applications.open,
        "application_deadline": spec.applications.deadline,
        "seats": spec.applications.seats,
    }


def _meeting_values(ms: MeetingSpec) -> dict[str, Any]:
    return {
        "theme": ms.theme,
        "starts_at": ms.starts_at,
        "ends_at": ms.ends_at,
        "host": ms.host,
        "place": ms.place,
        **({} if ms.speakers is None else {"speakers": "\n".join(ms.speakers)}),
        **({} if ms.description is None else {"description": ms.description.strip()}),
    }


def _person_values(ps: PersonSpec) -> dict[str, Any]:
    values: dict[str, Any] = {
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
    if ps.competencies is not None:
        values["competencies"] = list(ps.competencies)
    if ps.contributes is not None:
        values["contributes"] = ps.contributes or None
    return values


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
    if network is not None:
        plan.network_fields = tuple(_differing(network, _network_values(spec)))
    _plan_meetings(session, plan, spec, network)
    joining = _plan_people(session, plan, spec, network)
    elsewhere = members_elsewhere(
        session,
        slack_user_ids=joining,
        network_id=network.id if network else None,
        season_start=spec.season_start,
        season_end=spec.season_end,
    )
    plan.shared = {sid: other.key for sid, other in elsewhere.items()}
    return plan


def _plan_meetings(
    session: Session, plan: ImportPlan, spec: NetworkSpec, network: Network | None
) -> None:
    meetings = {m.number: m for m in network.meetings} if network else {}
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


def _not_in_file(session: Session, network: Network | None, left: list[Member]) -> list[Member]:
    """Of the people a file leaves out, those it deactivates: not the applicants, nor the
    members who came in through an application (models/applications.py), whom a file need
    not list."""
    if network is None:
        return left
    applied = set(
        session.scalars(select(Application.member_id).where(Application.network_id == network.id))
    )
    return [p for p in left if p.role is not Role.APPLICANT and p.id not in applied]


def _plan_people(
    session: Session, plan: ImportPlan, spec: NetworkSpec, network: Network | None
) -> list[str]:
    """Plan the people's changes; returns the Slack ids of the members who join (again)."""
    people = {p.slack_user_id: p for p in network.people} if network else {}
    joining: list[str] = []
    for ps in spec.people:
        label = _person_label(ps.slack_user_id, ps.name, ps.role)
        person = people.pop(ps.slack_user_id, None)
        if person is None:
            plan.added.append(PlannedChange(label))
        elif fields := _differing(person, _person_values(ps)):
            plan.changed.append(PlannedChange(label, tuple(fields)))
        if ps.role is Role.MEMBER and (person is None or not person.active):
            joining.append(ps.slack_user_id)
    for left in _not_in_file(session, network, list(people.values())):
        if left.active and not _came_by_claim(left):
            plan.deactivated.append(
                PlannedChange(
                    _person_label(left.slack_user_id, left.name, left.role),
                    records=_person_records(session, left.id),
                )
            )
    return joining


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
    network = _apply_network_settings(session, spec, now, report)
    _apply_meetings(session, network, spec, now, report)
    _apply_people(session, network, spec, now, report)
    session.flush()
    _apply_host_contacts(network, spec, report)
    session.flush()
    follow_renewal_deadline(session, network)
    if network.previous_id is not None:
        invite_claims(session=session, new=network, now=now)  # once each; until the deadline
    return report


def _apply_network_settings(
    session: Session, spec: NetworkSpec, now: datetime, report: ImportReport
) -> Network:
    network = _load(session, spec.key)
    values = _network_values(spec)
    values["previous_id"] = _previous_id(session, spec)
    if network is None:
        network = Network(key=spec.key, created_at=now, updated_at=now, **values)
        session.add(network)
        report.created = True
    elif _assign(network, values):
        network.updated_at = now
        report.changed["network"] += 1
    return network


def _previous_id(session: Session, spec: NetworkSpec) -> int | None:
    if spec.previous_key is None:
        return None
    found = session.scalars(select(Network.id).where(Network.key == spec.previous_key)).first()
    if found is None:
        problem = f'[network]: "previous" names no network loaded: "{spec.previous_key}"'
        raise NetworkFileError("network file", [problem])
    return found


def _apply_meetings(
    session: Session, network: Network, spec: NetworkSpec, now: datetime, report: ImportReport
) -> None:
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


def _apply_people(
    session: Session, network: Network, spec: NetworkSpec, now: datetime, report: ImportReport
) -> None:
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
    for gone in _not_in_file(session, network, list(by_slack_id.values())):
        if gone.active and not _came_by_claim(gone):
            gone.active = False
            gone.updated_at = now
            report.removed["person"] += 1


def _came_by_claim(person: Member) -> bool:
    """A member who took their seat from last season: theirs until they leave, file or not."""
    return person.role is Role.MEMBER and person.previous_member_id is not None


def _apply_host_contacts(network: Network, spec: NetworkSpec, report: ImportReport) -> None:
    """After a flush, when everyone in the file has an id."""
    people = {p.slack_user_id: p for p in network.people}
    for ms in spec.meetings:
        meeting = next(m for m in network.meetings if m.number == ms.number)
        contact_id = people[ms.host_contact].id if ms.host_contact else None
        if meeting.host_contact_id != contact_id:
            meeting.host_contact_id = contact_id
            report.changed["meeting"] += 1


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
