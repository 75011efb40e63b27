"""Competencies: what each member knows about (keywords) and can contribute, who knows what
(the directory, across the sister network too), and the spread across a network."""

from __future__ import annotations

import enum
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.errors import FieldErrors, InputError
from models.network import Member, Network, Role, sister_of

MAX_KEYWORDS = 15
MAX_KEYWORD_LENGTH = 40
MAX_CONTRIBUTES = 1000
MAX_QUERY_WORDS = 5
# Keywords are separated by commas, semicolons or new lines (a keyword may hold spaces).
_SEPARATORS = re.compile(r"[,;\n]+")
_WORD = re.compile(r"\w+")
# Danish letters as people type them without a Danish keyboard.
_FOLDS = (("æ", "ae"), ("ø", "oe"), ("å", "aa"), ("é", "e"))


class CompetenciesField(enum.StrEnum):
    """The competencies form's fields (block ids): errors name the one they belong on."""

    KEYWORDS = "competencies_keywords"
    CONTRIBUTES = "competencies_contributes"


def keywords_of(raw: str | Iterable[str]) -> list[str]:
    """Keywords as typed (a text separated by commas, or a list), tidied: trimmed, inner
    spaces collapsed, empty ones dropped, the same word twice (in any case) kept once.
    InputError when there are too many or one is too long."""
    pieces = _SEPARATORS.split(raw) if isinstance(raw, str) else [str(p) for p in raw]
    found: list[str] = []
    seen: set[str] = set()
    for piece in pieces:
        keyword = " ".join(piece.split())
        if not keyword or fold(keyword) in seen:
            continue
        if len(keyword) > MAX_KEYWORD_LENGTH:
            raise InputError(
                "competencies.error.keyword_too_long", keyword=keyword, limit=MAX_KEYWORD_LENGTH
            )
        seen.add(fold(keyword))
        found.append(keyword)
    if len(found) > MAX_KEYWORDS:
        raise InputError("competencies.error.too_many", limit=MAX_KEYWORDS, count=len(found))
    return found


def contributes_of(raw: str | None) -> str | None:
    """ "What I can contribute", trimmed (None when empty); InputError when too long."""
    text = (raw or "").strip()
    if len(text) > MAX_CONTRIBUTES:
        raise InputError("competencies.error.too_long", limit=MAX_CONTRIBUTES, length=len(text))
    return text or None


def fold(text: str) -> str:
    """`text` for comparing: case folded, Danish letters written the way "ae, oe, aa" are."""
    folded = text.casefold()
    for letter, spelled in _FOLDS:
        folded = folded.replace(letter, spelled)
    return folded


def save_competencies(
    *, member: Member, keywords: str, contributes: str | None, now: datetime
) -> Member:
    """Save the member's own competencies and contribution; FieldErrors (nothing kept) when
    either breaks a rule."""
    errors = FieldErrors()
    checked_keywords: list[str] = []
    checked_contributes: str | None = None
    try:
        checked_keywords = keywords_of(keywords)
    except InputError as error:
        errors.add(CompetenciesField.KEYWORDS, error.key, **error.params)
    try:
        checked_contributes = contributes_of(contributes)
    except InputError as error:
        errors.add(CompetenciesField.CONTRIBUTES, error.key, **error.params)
    if errors.errors:
        raise errors
    member.competencies = checked_keywords
    member.contributes = checked_contributes
    member.updated_at = now
    return member


# --- who knows what ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    """A person who knows about what was asked: which keywords matched, how well (higher
    first), and whether they are in the sister network."""

    member: Member
    keywords: list[str]
    score: int
    sister: bool


def query_words(text: str) -> list[str]:
    """The words asked about (folded), at most MAX_QUERY_WORDS; InputError when none."""
    words = [fold(w) for w in _WORD.findall(text)]
    words = list(dict.fromkeys(w for w in words if len(w) >= 2))
    if not words:
        raise InputError("competencies.error.no_words")
    return words[:MAX_QUERY_WORDS]


def _keyword_score(word: str, keyword: str) -> int:
    """3: the keyword is the word; 2: one of its words starts with it; 0: no match."""
    folded = fold(keyword)
    if folded == word:
        return 3
    return 2 if any(w.startswith(word) for w in _WORD.findall(folded)) else 0


def match_member(member: Member, words: Sequence[str]) -> tuple[int, list[str]]:
    """How well `member`'s keywords and contribution match every one of `words` (0: not all
    of them do), and the keywords that matched."""
    total = 0
    matched: list[str] = []
    contributes = [w for w in _WORD.findall(fold(member.contributes or ""))]
    for word in words:
        scores = {k: _keyword_score(word, k) for k in member.competencies or []}
        best = max(scores.values(), default=0)
        if best == 0 and any(w.startswith(word) for w in contributes):
            best = 1
        if best == 0:
            return 0, []
        total += best
        matched += [k for k, s in scores.items() if s and k not in matched]
    return total, matched


def _directory(session: Session, network: Network) -> list[Member]:
    return list(
        session.scalars(
            select(Member)
            .where(
                Member.network_id == network.id,
                Member.role == Role.MEMBER,
                Member.active.is_(True),
            )
            .order_by(Member.name, Member.id)
        )
    )


def who_knows(*, session: Session, member: Member, text: str) -> list[Match]:
    """The members of `member`'s network, and of its sister network (marked), whose
    competencies or contribution match every word of `text`: best first, own network
    before the sister's, then by name. Erased and removed people are not in it."""
    words = query_words(text)
    networks = [(member.network, False)]
    sister = sister_of(session, member.network)
    if sister is not None:
        networks.append((sister, True))
    found: list[Match] = []
    for network, is_sister in networks:
        for person in _directory(session, network):
            score, keywords = match_member(person, words)
            if score:
                found.append(Match(person, keywords, score, is_sister))
    found.sort(key=lambda m: (-m.score, m.sister, fold(m.member.name)))
    return found


# --- the spread across a network --------------------------------------------------------------


@dataclass(frozen=True)
class Spread:
    """The competencies of a network's active members: each keyword with how many have it
    (most first), and the members with none."""

    keywords: list[tuple[str, int]]
    without: list[Member]
    members: int


def competency_spread(*, session: Session, network: Network) -> Spread:
    people = _directory(session, network)
    counts: Counter[str] = Counter()
    spelled: dict[str, Counter[str]] = {}
    for person in people:
        for keyword in person.competencies or []:
            key = fold(keyword)
            counts[key] += 1
            spelled.setdefault(key, Counter())[keyword] += 1
    keywords = [
        (spelled[key].most_common(1)[0][0], count)
        for key, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    without = [p for p in people if not p.competencies]
    return Spread(keywords, without, len(people))
