"""Applications for a seat in a network's season: the form's five fields, the confirmations,
the fee with the colleague discount, the facilitator's review (accept, wait-list, decline)
and the wait list that fills free seats in order. Each applicant is a person of the network
(role `applicant` until accepted, then `member`), so they are reached and erased like anyone.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.base import STABLE_IDS, Base, enum_column, utc_now
from models.errors import FieldErrors, InputError
from models.network import Member, Network, Platform, Role, is_email_address, reached_as
from models.nudges import NudgeKind, enqueue_notice
from models.summary import MAX_PER_WORKPLACE, colleague_fee

# Half a page, as the invitation asks: the five free-text fields together.
HALF_PAGE = 2400
MAX_NAME = 200
MAX_KEYWORDS = 15
MAX_KEYWORD = 60
OUTCOME_LIFETIME = timedelta(days=14)  # an outcome not delivered by then is not sent


class ApplicationStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    WAITLISTED = "waitlisted"
    DECLINED = "declined"


# The outcome a notice tells (its seq: application id * 8 + this): a later decision is told
# in its own notice, and a notice whose outcome was changed before it went out says nothing.
OUTCOME_CODE = {
    ApplicationStatus.ACCEPTED: 1,
    ApplicationStatus.WAITLISTED: 2,
    ApplicationStatus.DECLINED: 3,
}


class ApplicationField(enum.StrEnum):
    """The form's fields (and the file's columns)."""

    NETWORK = "app_network"
    NAME = "app_name"
    EMAIL = "app_email"
    WORKPLACE = "app_workplace"
    ABOUT = "app_about"
    TASKS = "app_tasks"
    COMPETENCIES = "app_competencies"
    WANTS = "app_wants"
    CONTRIBUTES = "app_contributes"
    CONFIRM = "app_confirm"


FREE_TEXT = (
    ApplicationField.ABOUT,
    ApplicationField.TASKS,
    ApplicationField.COMPETENCIES,
    ApplicationField.WANTS,
    ApplicationField.CONTRIBUTES,
)
CONFIRM_TIME, CONFIRM_BINDING = "time", "binding"


class Application(Base):
    """One person's application for a seat in one network's season."""

    __tablename__ = "application"

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("network.id", ondelete="CASCADE"))
    # The applicant as a person of the network (their identities: how they are told).
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))  # lower case: the key of an import
    workplace: Mapped[str] = mapped_column(String(200))
    about: Mapped[str] = mapped_column(Text)
    tasks: Mapped[str] = mapped_column(Text)
    competencies: Mapped[list[str]] = mapped_column(JSON)
    wants: Mapped[str] = mapped_column(Text)
    contributes: Mapped[str] = mapped_column(Text)
    confirmed_time: Mapped[bool]
    confirmed_binding: Mapped[bool]
    source: Mapped[str] = mapped_column(String(16))  # "chat" or "file"
    status: Mapped[ApplicationStatus] = mapped_column(
        enum_column(ApplicationStatus, 16), default=ApplicationStatus.PENDING
    )
    position: Mapped[int | None]  # on the wait list: 1 gets the next free seat
    outcome_message: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None]
    told_at: Mapped[datetime | None]  # when the outcome went into the outbox
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)

    network: Mapped[Network] = relationship()
    member: Mapped[Member] = relationship()

    __table_args__ = (
        UniqueConstraint("network_id", "email"),
        UniqueConstraint("network_id", "member_id"),
        STABLE_IDS,
    )


@dataclass(frozen=True)
class ApplicationInput:
    """What an applicant wrote (the form's fields, or a file's row)."""

    name: str
    email: str
    workplace: str
    about: str
    tasks: str
    competencies: str  # keywords, separated by commas (or new lines)
    wants: str
    contributes: str
    confirmed_time: bool
    confirmed_binding: bool

    def free_text_length(self) -> int:
        return sum(len(getattr(self, f.removeprefix("app_")).strip()) for f in FREE_TEXT)


def keywords(text: str) -> list[str]:
    """Competencies as keywords: split at commas, semicolons and new lines, each once."""
    found = [" ".join(k.split()) for k in re.split(r"[,;\n]", text)]
    return list(dict.fromkeys(k for k in found if k))


def problems_of(values: ApplicationInput) -> FieldErrors:
    """Every problem with an application at once, each on its field (catalogue keys)."""
    errors = FieldErrors()
    required = (
        (ApplicationField.NAME, values.name),
        (ApplicationField.EMAIL, values.email),
        (ApplicationField.WORKPLACE, values.workplace),
        *((f, getattr(values, f.removeprefix("app_"))) for f in FREE_TEXT),
    )
    for name, text in required:
        if not text.strip():
            errors.add(name, "applications.error.required")
    if len(values.name.strip()) > MAX_NAME or len(values.workplace.strip()) > MAX_NAME:
        long = ApplicationField.NAME if len(values.name) > MAX_NAME else ApplicationField.WORKPLACE
        errors.add(long, "applications.error.name_too_long", limit=MAX_NAME)
    if values.email.strip() and not is_email_address(values.email.strip()):
        errors.add(ApplicationField.EMAIL, "applications.error.email", email=values.email.strip())
    words = keywords(values.competencies)
    if len(words) > MAX_KEYWORDS or any(len(w) > MAX_KEYWORD for w in words):
        errors.add(
            ApplicationField.COMPETENCIES,
            "applications.error.keywords",
            count=MAX_KEYWORDS,
            length=MAX_KEYWORD,
        )
    length = values.free_text_length()
    if length > HALF_PAGE:
        errors.add(
            ApplicationField.ABOUT,
            "applications.error.too_long",
            limit=HALF_PAGE,
            over=length - HALF_PAGE,
        )
    if not (values.confirmed_time and values.confirmed_binding):
        errors.add(ApplicationField.CONFIRM, "applications.error.confirm")
    return errors


# --- open for applications --------------------------------------------------------------------


def is_open(network: Network, now: datetime) -> bool:
    """Whether `network` takes applications at `now` (open, and before its deadline)."""
    deadline = network.application_deadline
    return network.applications_open and (deadline is None or now < deadline)


def networks_taking_applications(session: Session, now: datetime) -> list[Network]:
    """The networks open for applications (a deadline past included: they say "closed"),
    by season, then name."""
    found = session.scalars(
        select(Network)
        .where(Network.applications_open.is_(True))
        .order_by(Network.season_start, Network.name)
    )
    return list(found)


def network_by_key(session: Session, key: str) -> Network | None:
    return session.scalars(select(Network).where(Network.key == key)).first()


# --- the applicant's own ----------------------------------------------------------------------


def own_application(
    session: Session, network: Network, platform: Platform, external_id: str
) -> Application | None:
    """The application this person (their id on `platform`) made for `network`, if any."""
    return session.scalars(
        select(Application)
        .join(Member, Member.id == Application.member_id)
        .where(Application.network_id == network.id, reached_as(platform, [external_id]))
    ).first()


def _person_for(
    session: Session, network: Network, platform: Platform | None, external_id: str | None
) -> Member | None:
    if platform is None or not external_id:
        return None
    return session.scalars(
        select(Member).where(Member.network_id == network.id, reached_as(platform, [external_id]))
    ).first()


@dataclass(frozen=True)
class Applicant:
    """Who applies: their id on a platform (None from a file), their language."""

    platform: Platform | None
    external_id: str | None
    language: str | None = None


def _applicant_member(
    session: Session,
    network: Network,
    applicant: Applicant,
    values: ApplicationInput,
    now: datetime,
) -> Member:
    """The applicant as a person of `network`: who they are there already, else a new
    person with the role `applicant`."""
    member = _person_for(session, network, applicant.platform, applicant.external_id)
    if member is None:
        member = session.scalars(
            select(Member).where(
                Member.network_id == network.id,
                func.lower(Member.email) == values.email.strip().lower(),
            )
        ).first()
    if member is None:
        member = Member(
            network=network,
            role=Role.APPLICANT,
            name=values.name.strip(),
            organisation=values.workplace.strip(),
            email=values.email.strip(),
            language=applicant.language,
            created_at=now,
            updated_at=now,
        )
        if applicant.platform is not None and applicant.external_id:
            member.set_identity(applicant.platform, applicant.external_id)
        session.add(member)
        session.flush()
    elif member.role is Role.APPLICANT:
        member.name, member.email = values.name.strip(), values.email.strip()
        member.organisation = values.workplace.strip()
    return member


def apply_values(row: Application, values: ApplicationInput) -> bool:
    """Write `values` onto `row`; whether anything changed."""
    fields = {
        "name": values.name.strip(),
        "email": values.email.strip().lower(),
        "workplace": " ".join(values.workplace.split()),
        "about": values.about.strip(),
        "tasks": values.tasks.strip(),
        "competencies": keywords(values.competencies),
        "wants": values.wants.strip(),
        "contributes": values.contributes.strip(),
        "confirmed_time": values.confirmed_time,
        "confirmed_binding": values.confirmed_binding,
    }
    changed = False
    for attr, value in fields.items():
        if getattr(row, attr, None) != value:
            setattr(row, attr, value)
            changed = True
    return changed


def save_application(
    *,
    session: Session,
    network: Network,
    applicant: Applicant,
    values: ApplicationInput,
    now: datetime,
    source: str = "chat",
    check_deadline: bool = True,
) -> Application:
    """Save (or update) an application; FieldErrors naming every problem, InputError when
    the network is closed for applications or the application was decided already."""
    if check_deadline and not is_open(network, now):
        raise InputError("applications.closed", network=network.name)
    errors = problems_of(values)
    taken = session.scalars(
        select(Application).where(
            Application.network_id == network.id,
            Application.email == values.email.strip().lower(),
        )
    ).first()
    mine = _person_for(session, network, applicant.platform, applicant.external_id)
    if taken is not None and applicant.platform is not None and taken.member != mine:
        errors.add(ApplicationField.EMAIL, "applications.error.email_taken")
    if errors.errors:
        raise errors
    member = _applicant_member(session, network, applicant, values, now)
    row = session.scalars(
        select(Application).where(
            Application.network_id == network.id, Application.member_id == member.id
        )
    ).first()
    if row is None:
        row = Application(
            network=network, member=member, source=source, created_at=now, updated_at=now
        )
        session.add(row)
    elif row.status is not ApplicationStatus.PENDING:
        raise InputError("applications.error.decided")
    if apply_values(row, values):
        row.updated_at = now
    session.flush()
    return row


# --- the fee ----------------------------------------------------------------------------------


def workplace_key(workplace: str) -> str:
    return " ".join(workplace.split()).casefold()


def colleagues(session: Session, network: Network, workplace: str) -> list[Application]:
    """The applications from one workplace (not declined), in the order they came."""
    rows = session.scalars(
        select(Application)
        .where(
            Application.network_id == network.id,
            Application.status != ApplicationStatus.DECLINED,
        )
        .order_by(Application.created_at, Application.id)
    )
    key = workplace_key(workplace)
    return [r for r in rows if workplace_key(r.workplace) == key]


def fee_of(session: Session, application: Application) -> int:
    """What the applicant pays: the fee, less the colleague discount when they are the 2nd
    or 3rd from their workplace (by when they applied)."""
    rows = colleagues(session, application.network, application.workplace)
    position = next((i for i, r in enumerate(rows, 1) if r.id == application.id), len(rows) + 1)
    network = application.network
    return colleague_fee(network.fee_per_member, network.colleague_discount, position)


def fee_for_new(session: Session, network: Network, workplace: str) -> int:
    """What one more applicant from `workplace` would pay."""
    position = len(colleagues(session, network, workplace)) + 1
    return colleague_fee(network.fee_per_member, network.colleague_discount, position)


# --- review -----------------------------------------------------------------------------------

STATUS_ORDER = {
    ApplicationStatus.PENDING: 0,
    ApplicationStatus.ACCEPTED: 1,
    ApplicationStatus.WAITLISTED: 2,
    ApplicationStatus.DECLINED: 3,
}


@dataclass
class NetworkReview:
    """One network's applications for the facilitator, with its seats and the workplaces
    with more applicants than the invitation's two or three."""

    network: Network
    applications: list[Application]
    crowded: dict[str, int] = field(default_factory=dict)

    def count(self, status: ApplicationStatus) -> int:
        return sum(1 for a in self.applications if a.status is status)

    @property
    def seats_left(self) -> int | None:
        seats = self.network.seats
        return None if seats is None else max(seats - self.count(ApplicationStatus.ACCEPTED), 0)


def _review_order(a: Application) -> tuple[int, int, datetime, int]:
    return (STATUS_ORDER[a.status], a.position or 0, a.created_at, a.id)


def review(session: Session, network: Network) -> NetworkReview:
    """`network`'s applications: pending first, then accepted, the wait list in order,
    declined; workplaces with more than MAX_PER_WORKPLACE applicants flagged."""
    rows = list(session.scalars(select(Application).where(Application.network_id == network.id)))
    rows.sort(key=_review_order)
    by_workplace: dict[str, list[Application]] = {}
    for row in rows:
        by_workplace.setdefault(workplace_key(row.workplace), []).append(row)
    crowded = {
        group[0].workplace: len(group)
        for group in by_workplace.values()
        if len(group) > MAX_PER_WORKPLACE
    }
    return NetworkReview(network, rows, crowded)


def _facilitated(session: Session, by: Member, application_id: object) -> Application:
    """The application `application_id` names, when `by` facilitates its network."""
    row = None
    if str(application_id).isdigit() and len(str(application_id)) <= 9:
        row = session.get(Application, int(str(application_id)))
    if row is None:
        raise InputError("applications.error.unknown", id=str(application_id))
    if by.role is not Role.FACILITATOR or by.network_id != row.network_id:
        raise InputError("network.not_allowed")
    return row


def _tell(session: Session, row: Application, now: datetime) -> None:
    """The outcome into the outbox, once per application and outcome."""
    enqueue_notice(
        session=session,
        member_id=row.member_id,
        kind=NudgeKind.APPLICATION_OUTCOME,
        ref=row.id * 8 + OUTCOME_CODE[row.status],
        now=now,
        stale_at=now + OUTCOME_LIFETIME,
    )
    row.told_at = now


def outcome_of(session: Session, seq: int) -> Application | None:
    """The application an outcome notice (its seq) tells, None when its outcome changed
    since (or it is gone)."""
    row = session.get(Application, seq // 8)
    if row is None or OUTCOME_CODE.get(row.status) != seq % 8:
        return None
    return row


def _seat(row: Application, now: datetime) -> None:
    """The applicant becomes a member of the season, with their competencies."""
    member = row.member
    member.role, member.active = Role.MEMBER, True
    member.organisation = member.organisation or row.workplace
    member.competencies = list(row.competencies)
    member.contributes = row.contributes
    member.updated_at = now


def _unseat(row: Application, now: datetime) -> None:
    member = row.member
    if member.role is Role.MEMBER:
        member.role = Role.APPLICANT
        member.updated_at = now


def _next_position(session: Session, network_id: int) -> int:
    last = session.scalar(
        select(func.max(Application.position)).where(
            Application.network_id == network_id,
            Application.status == ApplicationStatus.WAITLISTED,
        )
    )
    return (last or 0) + 1


def seats_taken(session: Session, network_id: int) -> int:
    """The seats given: accepted applications, and the members who claimed their seat from
    the season before (models/renewal.py: they have the first right to one)."""
    accepted = session.scalar(
        select(func.count())
        .select_from(Application)
        .where(
            Application.network_id == network_id,
            Application.status == ApplicationStatus.ACCEPTED,
        )
    )
    claimed = session.scalar(
        select(func.count())
        .select_from(Member)
        .where(
            Member.network_id == network_id,
            Member.previous_member_id.is_not(None),
            Member.role == Role.MEMBER,
            Member.active,
        )
    )
    return int(accepted or 0) + int(claimed or 0)


def decide(
    *,
    session: Session,
    by: Member,
    application_id: object,
    status: ApplicationStatus,
    message: str | None,
    now: datetime,
) -> Application:
    """The facilitator's decision on an application, told to the applicant once; a seat
    given up goes to the first on the wait list. InputError when the network is full."""
    row = _facilitated(session, by, application_id)
    if status is ApplicationStatus.PENDING:
        raise InputError("applications.error.unknown", id=str(application_id))
    network = row.network
    was = row.status
    if was is status:
        raise InputError("applications.error.same", status=status.value)
    seats = network.seats
    full = seats is not None and seats_taken(session, network.id) >= seats
    if status is ApplicationStatus.ACCEPTED and full:
        raise InputError("applications.error.full", seats=seats)
    row.status, row.decided_at, row.updated_at = status, now, now
    row.outcome_message = message.strip() if message and message.strip() else None
    row.position = (
        _next_position(session, network.id) if status is ApplicationStatus.WAITLISTED else None
    )
    if status is ApplicationStatus.ACCEPTED:
        _seat(row, now)
    elif was is ApplicationStatus.ACCEPTED:
        _unseat(row, now)
    session.flush()
    _tell(session, row, now)
    if was is ApplicationStatus.ACCEPTED:
        fill_free_seats(session, network, now)
    return row


def move_on_wait_list(
    *, session: Session, by: Member, application_id: object, position: int, now: datetime
) -> Application:
    """Put a wait-listed application at `position` (1: the next free seat) of its network's
    wait list, the others moving down; the facilitator sets the order."""
    row = _facilitated(session, by, application_id)
    if row.status is not ApplicationStatus.WAITLISTED:
        raise InputError("applications.error.not_waitlisted", id=row.id)
    waiting = [
        a
        for a in session.scalars(
            select(Application)
            .where(
                Application.network_id == row.network_id,
                Application.status == ApplicationStatus.WAITLISTED,
            )
            .order_by(Application.position, Application.id)
        )
        if a.id != row.id
    ]
    waiting.insert(min(max(position, 1), len(waiting) + 1) - 1, row)
    for number, application in enumerate(waiting, start=1):
        if application.position != number:
            application.position, application.updated_at = number, now
    session.flush()
    return row


def fill_free_seats(session: Session, network: Network, now: datetime) -> list[Application]:
    """Give each free seat of `network` to the next on its wait list, in order (each told
    once); the applications that got a seat. A network without a number of seats has no
    wait list to move."""
    if network.seats is None:
        return []
    free = network.seats - seats_taken(session, network.id)
    waiting = session.scalars(
        select(Application)
        .where(
            Application.network_id == network.id,
            Application.status == ApplicationStatus.WAITLISTED,
        )
        .order_by(Application.position, Application.created_at, Application.id)
        .limit(max(free, 0))
    ).all()
    seated = []
    for row in waiting:
        row.status, row.position, row.decided_at, row.updated_at = (
            ApplicationStatus.ACCEPTED,
            None,
            now,
            now,
        )
        row.outcome_message = None
        _seat(row, now)
        session.flush()
        _tell(session, row, now)
        seated.append(row)
    return seated
