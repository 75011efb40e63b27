"""Competencies: keywords tidied and checked, who knows what (own network first, the sister
network marked, erased people never), the spread across a network, and the network file."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from models.competencies import (
    CompetenciesField,
    competency_spread,
    keywords_of,
    query_words,
    save_competencies,
    who_knows,
)
from models.errors import FieldErrors, InputError
from models.network import Network, Role
from models.network_import import import_network_file
from models.privacy import forget_member
from tests.conftest import (
    ANNA,
    BO,
    CAMILLA,
    EXAMPLE_NETWORK,
    FACILITATOR,
    SEASON_NOW,
    add_second_network,
    person,
)

DAVID, EMMA = "U0DAVID004", "U0EMMA0005"


def test_keywords_are_trimmed_deduplicated_and_checked() -> None:
    assert keywords_of(" jura,GDPR ;gdpr\n Service   design,, ") == [
        "jura",
        "GDPR",
        "Service design",
    ]
    assert keywords_of(["Håndværk", "haandvaerk"]) == [
        "Håndværk"
    ]  # the same word, spelled two ways
    with pytest.raises(InputError) as too_many:
        keywords_of(",".join(f"ord{i}" for i in range(16)))
    assert too_many.value.key == "competencies.error.too_many"
    assert too_many.value.params == {"limit": 15, "count": 16}
    with pytest.raises(InputError) as too_long:
        keywords_of("jura, " + "x" * 41)
    assert too_long.value.key == "competencies.error.keyword_too_long"
    with pytest.raises(InputError):
        query_words(" … ? ")


def test_a_bad_form_stores_nothing_and_names_each_field(
    session_factory: sessionmaker[Session], network: Network
) -> None:
    with session_factory() as s:
        anna = person(s, ANNA)
        save_competencies(
            member=anna, keywords="jura, GDPR", contributes=" Sparring ", now=SEASON_NOW
        )
        s.commit()
        with pytest.raises(FieldErrors) as bad:
            save_competencies(
                member=anna, keywords="a" * 50, contributes="x" * 1001, now=SEASON_NOW
            )
        assert set(bad.value.errors) == {CompetenciesField.KEYWORDS, CompetenciesField.CONTRIBUTES}
        s.rollback()
        anna = person(s, ANNA)
        assert (anna.competencies, anna.contributes) == (["jura", "GDPR"], "Sparring")


def _give(s: Session, who: str, keywords: list[str], contributes: str | None = None) -> None:
    member = person(s, who)
    member.competencies = keywords
    member.contributes = contributes


def _sister(s: Session) -> Network:
    home = s.query(Network).one()
    vest = add_second_network(
        s,
        key="vest",
        name="Netværk Vest",
        theme="Vest 1",
        people=[("U0VEST0001", Role.MEMBER, "Vera Vest"), ("U0VEST0002", Role.MEMBER, "Villy")],
        sister_key=home.key,
    )
    home.sister_key = "vest"
    s.commit()
    return vest


def test_who_knows_ranks_matches_and_marks_the_sister_network(
    session_factory: sessionmaker[Session], network: Network
) -> None:
    with session_factory() as s:
        _give(s, ANNA, ["Jura", "GDPR"])
        _give(s, BO, ["jurist", "økonomi"])
        _give(s, CAMILLA, ["Håndværk"])
        _give(s, DAVID, [], "Jeg hjælper gerne med GDPR-tjek")
        vest = _sister(s)
        _give(s, "U0VEST0001", ["GDPR"])
        s.commit()
        anna = person(s, ANNA)

        def found(text: str) -> list[tuple[str, list[str], bool]]:
            return [
                (m.member.name, m.keywords, m.sister)
                for m in who_knows(session=s, member=anna, text=text)
            ]

        assert found("gdpr") == [
            ("Anna Lund", ["GDPR"], False),  # a whole keyword first, own network first
            ("Vera Vest", ["GDPR"], True),
            ("David Andersen", [], False),  # only in what he can contribute
        ]
        assert found("JUR") == [("Anna Lund", ["Jura"], False), ("Bo Kjær", ["jurist"], False)]
        assert found("haandvaerk") == [("Camilla Østergaard", ["Håndværk"], False)]
        assert found("jura gdpr") == [("Anna Lund", ["Jura", "GDPR"], False)]  # every word
        assert found("astrofysik") == []
        # Without a mutual link the sister network is not searched.
        vest.sister_key = None
        s.commit()
        assert [n for n, _, _ in found("gdpr")] == ["Anna Lund", "David Andersen"]
        # An erased member is never found.
        forget_member(session=s, member=person(s, DAVID), by=person(s, FACILITATOR), now=SEASON_NOW)
        s.commit()
        assert [n for n, _, _ in found("gdpr")] == ["Anna Lund"]


def test_the_spread_counts_keywords_across_the_network(
    session_factory: sessionmaker[Session], network: Network
) -> None:
    with session_factory() as s:
        _give(s, ANNA, ["Jura", "GDPR"])
        _give(s, BO, ["gdpr", "økonomi"])
        _give(s, CAMILLA, ["GDPR"])
        s.commit()
        spread = competency_spread(session=s, network=person(s, ANNA).network)
        assert spread.keywords == [("GDPR", 3), ("Jura", 1), ("økonomi", 1)]
        assert spread.members == 10
        assert len(spread.without) == 7 and "Anna Lund" not in {m.name for m in spread.without}


def test_the_network_file_sets_competencies_and_leaves_chat_edits_alone(
    session_factory: sessionmaker[Session], network: Network, tmp_path: Path
) -> None:
    text = EXAMPLE_NETWORK.read_text(encoding="utf-8")
    anchor = 'email = "anna.lund@example.org"\n'
    with_competencies = tmp_path / "net.toml"
    with_competencies.write_text(
        text.replace(anchor, anchor + 'kompetencer = ["jura", "GDPR"]\nbidrag = "Sparring"\n'),
        encoding="utf-8",
    )
    with session_factory.begin() as s:
        import_network_file(s, with_competencies, now=SEASON_NOW)
    with session_factory() as s:
        anna = person(s, ANNA)
        assert (anna.competencies, anna.contributes) == (["jura", "GDPR"], "Sparring")
        _give(s, BO, ["økonomi"])  # Bo writes his own in chat
        s.commit()
    with session_factory.begin() as s:  # the file again, and one without Anna's: nothing lost
        import_network_file(s, with_competencies, now=SEASON_NOW)
        import_network_file(s, EXAMPLE_NETWORK, now=SEASON_NOW)
    with session_factory() as s:
        assert person(s, ANNA).competencies == ["jura", "GDPR"]
        assert person(s, BO).competencies == ["økonomi"]
