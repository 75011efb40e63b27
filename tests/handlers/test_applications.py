"""The application form's core without a platform: with east and west both open it asks
which network, says so when none is picked, and saves to the one chosen; the review flags
a crowded workplace and says what is left of a long list."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from handlers.applications import Asker, application_form, review_parts, submit_application
from handlers.conversation import Choice, Form, Paragraph
from handlers.forms import Submitted
from models.applications import Application, ApplicationField, review
from models.errors import FieldErrors
from models.network import Network, Platform, Role
from tests.conftest import FACILITATOR, add_second_network
from tests.models.test_applications import APPLY_NOW, DEADLINE, apply

ASKER = Asker(Platform.SLACK, "U0IDA00001", "da")
VALUES = {
    ApplicationField.NAME: "Ida Holm",
    ApplicationField.EMAIL: "ida@aarhus.dk",
    ApplicationField.WORKPLACE: "Aarhus Kommune",
    ApplicationField.ABOUT: "Om mig.",
    ApplicationField.TASKS: "Opgaver.",
    ApplicationField.COMPETENCIES: "design",
    ApplicationField.WANTS: "Ideer.",
    ApplicationField.CONTRIBUTES: "Erfaringer.",
    ApplicationField.CONFIRM: ["time", "binding"],
}


def _east_and_west(s: Session) -> tuple[Network, Network]:
    east = s.scalars(select(Network)).one()
    west = add_second_network(
        s, key="vest", name="Netværk Vest", people=[(FACILITATOR, Role.FACILITATOR, "F")], theme="T"
    )
    for network in (east, west):
        network.applications_open, network.application_deadline = True, DEADLINE
    s.flush()
    return east, west


def test_with_two_networks_open_the_form_asks_which(
    session_factory: sessionmaker[Session], network: Network
) -> None:
    with session_factory() as s:
        east, west = _east_and_west(s)
        form = application_form(s, ASKER, APPLY_NOW)
        assert isinstance(form, Form)
        (choice,) = [
            p for p in form.parts if isinstance(p, Choice) and p.name == ApplicationField.NETWORK
        ]
        assert {o.value for o in choice.options} == {str(east.id), str(west.id)}
        with pytest.raises(FieldErrors) as caught:
            submit_application(
                session=s,
                asker=ASKER,
                now=APPLY_NOW,
                metadata=form.metadata or {},
                form=Submitted(VALUES),
            )
        assert list(caught.value.errors) == [ApplicationField.NETWORK]
        chosen = Submitted(VALUES | {ApplicationField.NETWORK: str(west.id)})
        saved = submit_application(
            session=s, asker=ASKER, now=APPLY_NOW, metadata=form.metadata or {}, form=chosen
        )
        assert "Netværk Vest" in next(p.text for p in saved.parts if isinstance(p, Paragraph))
        (row,) = s.scalars(select(Application)).all()
        assert row.network_id == west.id
        # Opened again: the network it was sent to is chosen.
        again = application_form(s, ASKER, APPLY_NOW)
        assert isinstance(again, Form)
        (choice,) = [
            p for p in again.parts if isinstance(p, Choice) and p.name == ApplicationField.NETWORK
        ]
        assert choice.chosen == [str(west.id)]


def test_the_review_flags_a_crowded_workplace_and_pages(
    session_factory: sessionmaker[Session], network: Network
) -> None:
    with session_factory() as s:
        net = s.scalars(select(Network)).one()
        net.applications_open, net.application_deadline, net.seats = True, DEADLINE, 3
        for i in range(20):
            apply(s, net, f"U0APPL{i:04d}", name=f"Ansøger {i}", email=f"a{i}@aarhus.dk")
        parts = review_parts("da", [review(s, net)])
        texts = [p.text for p in parts if isinstance(p, Paragraph)]
        assert "20 ansøgninger; 0 af 3 pladser besat" in texts[0]
        assert "Flere end tre fra samme arbejdsplads: Aarhus Kommune (20)" in texts[1]
        assert "… og 5 flere" in texts[-1] and "/network ansøgninger 2" in texts[-1]
        second = review_parts("da", [review(s, net)], page=2)
        assert sum(1 for p in second if isinstance(p, Paragraph) and p.text.startswith("#")) == 5
