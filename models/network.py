"""Networks, their meetings and their people, and the periods between meetings."""

from __future__ import annotations

import enum
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    Integer,
    Select,
    String,
    Subquery,
    Text,
    UniqueConstraint,
    and_,
    bindparam,
    event,
    false,
    func,
    select,
)
from sqlalchemy.engine import Connection
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import (
    Mapped,
    Mapper,
    Session,
    contains_eager,
    mapped_column,
    object_session,
    relationship,
)
from sqlalchemy.orm.attributes import set_committed_value

from models.base import STABLE_IDS, Base, enum_column, utc_now
from models.db import as_loaded, core_connection

LANGUAGES = ("da", "en")
# An e-mail address as people write them: a dot-atom local part (no leading, trailing or
# double dots), a domain of labels (letters incl. æøå, digits, inner dashes) and a top-level
# domain of letters (or punycode). Not every RFC 5322 form, but never "@." or "a@b".
_ATOM = r"[\w!#$%&'*+/=?^`{|}~-]+"
_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
EMAIL_RE = re.compile(
    rf"^(?=.{{3,254}}$)(?=[^@]{{1,64}}@){_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+"
    r"(?:[^\W\d_]{2,63}|xn--[a-z0-9-]{2,59})$",
    re.IGNORECASE,
)


def is_email_address(text: str) -> bool:
    return bool(EMAIL_RE.match(text)) and "_" not in text.rsplit("@", 1)[-1]


# An erased member's Slack id (and every other identity's id) is replaced by this prefix and
# the row's id: it names nobody.
FORGOTTEN_PREFIX = "FORGOTTEN"


class Platform(enum.StrEnum):
    """A chat platform a person is reached on."""

    SLACK = "slack"
    TEAMS = "teams"


class Role(enum.StrEnum):
    MEMBER = "member"
    FACILITATOR = "facilitator"
    HOST = "host"  # a meeting's host contact: gets the head count, nothing else
    # Someone who applied for a seat (models/applications.py): told the outcome, nothing else.
    APPLICANT = "applicant"


class Network(Base):
    __tablename__ = "network"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    country: Mapped[str] = mapped_column(String(2))
    language: Mapped[str] = mapped_column(String(2))
    season_start: Mapped[date]
    season_end: Mapped[date]
    sparring_target_minutes: Mapped[int] = mapped_column(Integer)
    # DKK per member per year, and the discount for the 2nd and 3rd from one workplace.
    fee_per_member: Mapped[int] = mapped_column(Integer, default=6000, server_default="6000")
    colleague_discount: Mapped[int] = mapped_column(Integer, default=500, server_default="500")
    # The key of a sister network (east/west of Storebælt) to share the weekly digest with;
    # only when both name each other.
    sister_key: Mapped[str | None] = mapped_column(String(64))
    # Applications (models/applications.py): open or not, until when (UTC), and how many seats.
    applications_open: Mapped[bool] = mapped_column(default=False, server_default=false())
    application_deadline: Mapped[datetime | None]
    seats: Mapped[int | None]
    # The season before this one (the same network's previous year): its members had the
    # first right to a seat here (models/renewal.py).
    previous_id: Mapped[int | None] = mapped_column(
        ForeignKey("network.id", ondelete="SET NULL"), index=True
    )
    # Until when members may vote on continuing (after the last meeting), and until when last
    # season's members may claim their seat in this one.
    renewal_deadline: Mapped[datetime | None]
    claim_deadline: Mapped[datetime | None]
    # Set when the next season took over (its claims settled): this season sends nothing more.
    closed_at: Mapped[datetime | None]
    # The number of the meeting that holds the idea bazaar (None: no bazaar this season).
    bazaar_meeting: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)

    meetings: Mapped[list[Meeting]] = relationship(
        back_populates="network", order_by="Meeting.number", cascade="all, delete-orphan"
    )
    people: Mapped[list[Member]] = relationship(
        back_populates="network", cascade="all, delete-orphan", foreign_keys="Member.network_id"
    )
    previous: Mapped[Network | None] = relationship(remote_side=[id], foreign_keys=[previous_id])

    __table_args__ = (
        CheckConstraint("season_start <= season_end", name="season_order"),
        CheckConstraint("sparring_target_minutes > 0", name="sparring_target_positive"),
    )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class Meeting(Base):
    __tablename__ = "meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("network.id", ondelete="CASCADE"))
    number: Mapped[int]
    theme: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    host: Mapped[str] = mapped_column(Text)
    place: Mapped[str] = mapped_column(Text)
    # Who at the host gets the head count (the host caters); a person of the network.
    host_contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("member.id", ondelete="SET NULL", use_alter=True)
    )
    # Who speaks (one "name, title" per line) and a short description of the meeting.
    speakers: Mapped[str] = mapped_column(Text, default="", server_default="")
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The calendar invitation's SEQUENCE: raised on every move, so a calendar updates its
    # entry (same UID) instead of adding one.
    calendar_sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    network: Mapped[Network] = relationship(back_populates="meetings")
    host_contact: Mapped[Member | None] = relationship(foreign_keys=[host_contact_id])

    __table_args__ = (
        UniqueConstraint("network_id", "number"),
        CheckConstraint("starts_at < ends_at", name="time_order"),
        STABLE_IDS,
    )

    @property
    def speaker_list(self) -> list[str]:
        return [line for line in self.speakers.splitlines() if line.strip()]


class MeetingChange(Base):
    """A meeting moved or got a (new) place: what it was before, for the notice to members
    ("før → nu"). The new values are the meeting's own."""

    __tablename__ = "meeting_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    old_starts_at: Mapped[datetime]
    old_ends_at: Mapped[datetime]
    old_place: Mapped[str] = mapped_column(Text)
    changed_at: Mapped[datetime]

    meeting: Mapped[Meeting] = relationship()


class Member(Base):
    """A person in a network: a member, or a facilitator (tovholder)."""

    __tablename__ = "member"

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(
        ForeignKey("network.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[Role] = mapped_column(enum_column(Role, 16))
    name: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str | None] = mapped_column(String(200))
    manager_name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    language: Mapped[str | None] = mapped_column(String(2))
    timezone: Mapped[str | None] = mapped_column(String(64))
    # The zone Slack reports for the user (users.info), cached; the file's `timezone` wins.
    slack_timezone: Mapped[str | None] = mapped_column(String(64))
    slack_timezone_checked_at: Mapped[datetime | None]
    # "I'm away until …" (inclusive): no nudges, and absent from meetings on those days.
    away_until: Mapped[date | None]
    # Tell this member when someone takes up their example (they can turn it off).
    notify_spread: Mapped[bool] = mapped_column(default=True)
    # What the person knows about, as keywords ("jura", "GDPR"), and what they can contribute
    # to the network (models/competencies.py keeps both tidy).
    competencies: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    contributes: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)
    # The same person's row in the season before, when they came by claiming their seat: the
    # history of both seasons stays each season's own, linked through this.
    previous_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("member.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)

    network: Mapped[Network] = relationship(back_populates="people", foreign_keys=[network_id])
    # Loaded with the member (one query for a whole list of members), so reading a
    # person's Slack id never costs a query per person.
    identities: Mapped[list[Identity]] = relationship(
        back_populates="member",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="Identity.id",
    )

    __table_args__ = (STABLE_IDS,)

    def identity(self, platform: Platform) -> Identity | None:
        """This person's identity on `platform`, if they have one."""
        return next((i for i in self.identities if i.platform is platform), None)

    def set_identity(self, platform: Platform, external_id: str | None) -> None:
        """Reach this person on `platform` as `external_id` (None: not on that platform)."""
        current = self.identity(platform)
        if external_id is None:
            if current is not None:
                self.identities.remove(current)
        elif current is None:
            self.identities.append(Identity(platform=platform, external_id=external_id))
        elif current.external_id != external_id:
            current.external_id = external_id

    @property
    def teams_user_id(self) -> str | None:
        """The person's Teams user id, None when not on Teams."""
        identity = self.identity(Platform.TEAMS)
        return identity.external_id if identity else None

    @teams_user_id.setter
    def teams_user_id(self, value: str | None) -> None:
        self.set_identity(Platform.TEAMS, value)

    @hybrid_property
    def slack_user_id(self) -> str | None:
        """The person's Slack user id (their Slack identity), None when not on Slack."""
        identity = self.identity(Platform.SLACK)
        return identity.external_id if identity else None

    @slack_user_id.inplace.setter
    def _slack_user_id_setter(self, value: str | None) -> None:
        self.set_identity(Platform.SLACK, value)

    @slack_user_id.inplace.expression
    @classmethod
    def _slack_user_id_expression(cls) -> ColumnElement[str | None]:
        # For ad-hoc filters (tests, scripts); the models' own queries join Identity instead.
        return (
            select(Identity.external_id)
            .where(Identity.member_id == cls.id, Identity.platform == Platform.SLACK)
            .scalar_subquery()
        )

    @property
    def lang(self) -> str:
        """The language the bot speaks to this person: their own, else the network's."""
        return self.language or self.network.language

    @property
    def zone(self) -> ZoneInfo:
        """The member's own zone: from the network file, else from Slack, else the network's."""
        name = self.timezone or self.slack_timezone
        return ZoneInfo(name) if name else self.network.zone

    def today(self, now: datetime) -> date:
        """The calendar date in this person's own time zone at `now`."""
        return now.astimezone(self.zone).date()


class Identity(Base):
    """How a person is reached on a platform: their id there and, for a platform that needs
    a stored conversation before the bot may write first (Teams), its conversation
    reference. One per platform per person; an id is one person's within a network."""

    __tablename__ = "identity"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    # The member's network, kept here so the database holds an id unique within a network.
    network_id: Mapped[int] = mapped_column(ForeignKey("network.id", ondelete="CASCADE"))
    platform: Mapped[Platform] = mapped_column(enum_column(Platform, 16))
    external_id: Mapped[str] = mapped_column(String(128))
    conversation: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    member: Mapped[Member] = relationship(back_populates="identities")

    __table_args__ = (
        # Leading (platform, external_id): the index every request's lookup uses.
        UniqueConstraint("platform", "external_id", "network_id"),
        UniqueConstraint("member_id", "platform"),
    )


@event.listens_for(Identity, "before_insert")
def _identity_network(_mapper: Mapper[Identity], _conn: Connection, identity: Identity) -> None:
    """An identity made through its member (`Member(slack_user_id=…)`) gets the member's
    network; the member row is written first, so its network id is known by now."""
    if identity.network_id is None:
        identity.network_id = identity.member.network_id


@dataclass(frozen=True)
class Period:
    """A stretch of the season: before meeting 1 (index 0), between k and k+1, after the last.

    `start` and `end` are inclusive local dates. A meeting's own day opens the period after it.
    """

    index: int
    meeting_count: int
    start: date
    end: date

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def meeting_local_date(meeting: Meeting, zone: ZoneInfo) -> date:
    return meeting.starts_at.astimezone(zone).date()


# Built once: the meeting start times of one network, in meeting order.
_MEETING_STARTS = (
    select(Meeting.starts_at)
    .where(Meeting.network_id == bindparam("network_id"))
    .order_by(Meeting.number)
)


def _meeting_starts(network: Network) -> list[datetime]:
    """The network's meeting start times, in order. When its meetings are not loaded yet (a
    request's path) one Core query reads just the times instead of building Meeting objects."""
    session = object_session(network)
    if session is None or network.id is None or "meetings" in network.__dict__:
        return [m.starts_at for m in network.meetings]
    return list(core_connection(session).scalars(_MEETING_STARTS, {"network_id": network.id}))


def periods(network: Network) -> list[Period]:
    """All periods of the network's season, in order; they cover the season without gaps."""
    zone = network.zone
    days = [start.astimezone(zone).date() for start in _meeting_starts(network)]
    return periods_between(network.season_start, network.season_end, days)


def periods_between(season_start: date, season_end: date, days: list[date]) -> list[Period]:
    """The periods of a season with meetings on `days` (local dates, in meeting order)."""
    bounds = [season_start, *days]
    result: list[Period] = []
    for index, start in enumerate(bounds):
        if index + 1 < len(bounds):
            end = date.fromordinal(bounds[index + 1].toordinal() - 1)
        else:
            end = season_end
        result.append(Period(index=index, meeting_count=len(days), start=start, end=end))
    return result


def period_containing(
    season_start: date, season_end: date, days: list[date], day: date
) -> Period | None:
    """The period of `periods_between(season_start, season_end, days)` that `day` falls in,
    or None outside the season; made alone, not with all the others (a request's path)."""
    bounds = [season_start, *days]
    last = len(bounds) - 1
    for index, start in enumerate(bounds):
        end = season_end if index == last else date.fromordinal(bounds[index + 1].toordinal() - 1)
        if start <= day <= end:
            return Period(index=index, meeting_count=len(days), start=start, end=end)
    return None


def period_for(network: Network, day: date) -> Period | None:
    """The period that `day` (a local date) falls in, or None outside the season."""
    zone = network.zone
    days = [start.astimezone(zone).date() for start in _meeting_starts(network)]
    return period_containing(network.season_start, network.season_end, days, day)


def _people_on() -> Select[Member]:
    found = select(Identity.member_id).where(
        Identity.platform == bindparam("platform"),
        Identity.external_id == bindparam("external_id"),
    )
    return (
        select(Member)
        .join(Member.network)
        .outerjoin(Member.identities)
        .where(Member.id.in_(found), Member.active.is_(True))
        .options(contains_eager(Member.network), contains_eager(Member.identities))
        .order_by(Network.season_end.desc(), Network.id, Member.id, Identity.id)
    )


# Built once: every request resolves its person with it (building it anew cost more than
# running it).
_PEOPLE_ON = _people_on()


def find_people_on(session: Session, platform: Platform, external_id: str) -> list[Member]:
    """Every active network role of the person with this id on `platform`, newest season
    first. One indexed query, with each member's network and identities loaded."""
    params = {"platform": platform, "external_id": external_id}
    return list(session.scalars(_PEOPLE_ON, params).unique())


_MEMBER, _NETWORK, _IDENTITY = (Member.__table__, Network.__table__, Identity.__table__)
# Every active role of one person on a platform (bound: platform, external_id), newest season
# first: the rows of find_people_on as plain member and network columns.
_PEOPLE_JOIN = _IDENTITY.join(_MEMBER, _MEMBER.c.id == _IDENTITY.c.member_id).join(
    _NETWORK, _NETWORK.c.id == _MEMBER.c.network_id
)
_PEOPLE_CRITERIA = and_(
    _IDENTITY.c.platform == bindparam("platform"),
    _IDENTITY.c.external_id == bindparam("external_id"),
    _MEMBER.c.active.is_(True),
)
_PEOPLE_ORDER = (_NETWORK.c.season_end.desc(), _NETWORK.c.id, _MEMBER.c.id)
# Built once, like _PEOPLE_ON: every request runs it (or people_rows_after's).
_PEOPLE_ROWS = (
    select(*_MEMBER.c, *_NETWORK.c)
    .select_from(_PEOPLE_JOIN)
    .where(_PEOPLE_CRITERIA)
    .order_by(*_PEOPLE_ORDER)
)
_MEMBER_KEYS = [Member.__mapper__.get_property_by_column(c).key for c in _MEMBER.c]
_NETWORK_KEYS = [Network.__mapper__.get_property_by_column(c).key for c in _NETWORK.c]


def people_rows_after(leading: Subquery) -> Select[Any]:
    """The people query behind a one-row query's columns, so a request's first question
    and who is asking come back in one statement: `leading`'s columns, then the member's
    and the network's; one row even when nobody is found (with the member's columns NULL).
    Read them with `people_of_rows(session, rows, skip=len(leading.c))`."""
    return (
        select(*leading.c, *_MEMBER.c, *_NETWORK.c)
        .select_from(leading.outerjoin(_PEOPLE_JOIN, _PEOPLE_CRITERIA))
        .order_by(*_PEOPLE_ORDER)
    )


def people_of_rows(session: Session, rows: Iterable[Sequence[Any]], skip: int = 0) -> list[Member]:
    """The members (with their networks) in rows of the people query, as entities of the
    session made without the ORM's loading; the first `skip` columns are someone else's."""
    people: list[Member] = []
    width = skip + len(_MEMBER_KEYS)
    for row in rows:
        if row[skip] is None:  # nobody found (people_rows_after)
            continue
        network = as_loaded(session, Network, dict(zip(_NETWORK_KEYS, row[width:], strict=True)))
        member = as_loaded(session, Member, dict(zip(_MEMBER_KEYS, row[skip:width], strict=True)))
        # The member holds its network, as a loaded relationship (the session's map is weak).
        set_committed_value(member, "network", network)
        people.append(member)
    return people


def people_reached_on(session: Session, platform: Platform, external_id: str) -> list[Member]:
    """`find_people_on` for every request: one Core query (a plain row per role), its
    members and networks made into the session's entities without the ORM's loading
    (about a third of its cost). Identities load when first read."""
    params = {"platform": platform, "external_id": external_id}
    return people_of_rows(session, core_connection(session).execute(_PEOPLE_ROWS, params))


def find_people(session: Session, slack_user_id: str) -> list[Member]:
    """Every active network role the Slack user has, newest season first."""
    return find_people_on(session, Platform.SLACK, slack_user_id)


def find_people_by_email(session: Session, email: str) -> list[Member]:
    """Every active network role of the person with this e-mail address (as the network
    file gives it; case does not matter), newest season first."""
    stmt = (
        select(Member)
        .join(Member.network)
        .where(func.lower(Member.email) == email.strip().lower(), Member.active.is_(True))
        .options(contains_eager(Member.network))
        .order_by(Network.season_end.desc(), Network.id)
    )
    return list(session.scalars(stmt))


def reached_as(platform: Platform, external_ids: Collection[str]) -> ColumnElement[bool]:
    """A filter on Member: the people with one of these ids on `platform` (indexed)."""
    return Member.id.in_(
        select(Identity.member_id).where(
            Identity.platform == platform, Identity.external_id.in_(list(external_ids))
        )
    )


def pick_member(people: list[Member], now: datetime) -> Member | None:
    """Of a user's roles, the member row they act as: in a season running now (and not taken
    over by the next), else the newest season; None when they are no member."""
    candidates = [p for p in people if p.role is Role.MEMBER]
    for person in candidates:
        today, network = person.today(now), person.network
        if network.closed_at is None and network.season_start <= today <= network.season_end:
            return person
    return candidates[0] if candidates else None


def resolve_member(session: Session, slack_user_id: str, now: datetime) -> Member | None:
    return pick_member(find_people(session, slack_user_id), now)


def members_elsewhere(
    session: Session,
    *,
    slack_user_ids: list[str],
    network_id: int | None,
    season_start: date,
    season_end: date,
    platform: Platform = Platform.SLACK,
) -> dict[str, Network]:
    """Of these people (their ids on `platform`), those who are active members of another
    network whose season overlaps the given one, with that network: a person's commands act
    on one network."""
    if not slack_user_ids:
        return {}
    rows = session.execute(
        select(Identity.external_id, Network)
        .join(Member, Member.id == Identity.member_id)
        .join(Member.network)
        .where(
            Identity.platform == platform,
            Identity.external_id.in_(slack_user_ids),
            Member.role == Role.MEMBER,
            Member.active.is_(True),
            Network.id != (network_id if network_id is not None else -1),
            Network.season_start <= season_end,
            Network.season_end >= season_start,
        )
        .order_by(Network.id)
    ).all()
    return {slack_id: network for slack_id, network in rows}


def facilitators_to_contact(session: Session) -> list[Member]:
    """Facilitators of every network, for telling an unknown user whom to contact."""
    stmt = (
        select(Member)
        .join(Member.network)
        .where(Member.role == Role.FACILITATOR, Member.active.is_(True))
        .order_by(Network.season_end.desc(), Member.name)
    )
    return list(session.scalars(stmt))


def sister_of(session: Session, network: Network) -> Network | None:
    """The linked sister network, when the link is mutual (each file names the other)."""
    if not network.sister_key:
        return None
    sister = session.scalars(select(Network).where(Network.key == network.sister_key)).first()
    if sister is None or sister.sister_key != network.key:
        return None
    return sister


def next_meeting(network: Network, now: datetime) -> Meeting | None:
    """The first meeting that has not ended at `now`."""
    return next((m for m in network.meetings if m.ends_at > now), None)
