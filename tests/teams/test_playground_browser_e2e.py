"""Tovholder in Microsoft 365 Agents Playground's web page, in headless Chromium, as a member
uses it: a client nobody here wrote, from the page's own chat box to its own rendering of the
cards (Microsoft's Adaptive Cards renderer).

The `playground` fixture (tests/teams/playground.py) starts `python -m bot run` with
TEAMS_PLAYGROUND=1 and the example network, and the playground pointed at it; Chromium opens
the playground's page, which installs the app in Anna's personal chat (the welcome comes).
Anna then writes `sparring 1t i går` and `prep` in the chat box; in the preparation card the
bot answers with she writes a question without saying whom to ask and saves (the page shows
the error on that field, her question kept), then ticks a box and types what she agreed with
her manager instead, and saves; the test reads what the page shows (the card replaced by the
saved preparation) and what the database holds.

Driven with Playwright for Python on the system's Chromium (Debian's `chromium` package;
Playwright's own browser downloads are not used). Skips, saying why, without Playwright,
Chromium, node or the playground; .ci/run installs them all.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from handlers.catalogue import surface, t, teams_plain
from models.network import Member
from models.prep import Preparation
from models.sparring import SparringEntry
from tests.teams.playground import Playground

sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="Playwright is not installed (pip install -e '.[dev]' installs it)",
)
Page = sync_api.Page
expect = sync_api.expect

ANNA_SLACK = "U0ANNA0001"  # the README's step 1 gives her the playground's Teams id
WAIT_MS = 20_000  # for one answer on a busy machine (each is about a second on a quiet one)
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
TYPED = "Fokus på onboarding <b>og</b> *ledelse*"  # markup typed is data: shown as typed
QUESTION = "Hvordan får vi alle med?"


@pytest.fixture
def chromium() -> str:
    """The system's Chromium (TOVHOLDER_CHROMIUM or on PATH), or skip saying how to get it
    (before the bot and the playground are started for nothing)."""
    given = os.environ.get("TOVHOLDER_CHROMIUM")
    found = given or next(filter(None, map(shutil.which, CHROMIUM_NAMES)), None)
    if not found or not Path(found).exists():
        pytest.skip(
            "Chromium is not installed (apt-get install chromium; .ci/run does on CI), "
            "or set TOVHOLDER_CHROMIUM to its executable"
        )
    return found


def _text(key: str, **params: object) -> str:
    """A catalogue text as a Teams card shows it (plain, no markup)."""
    with surface("teams"):
        return teams_plain(t("da", key, **params))


def _pattern(key: str, **numbers: object) -> re.Pattern[str]:
    """A catalogue text with numbers in it, whichever they are."""
    marked = _text(key, **{name: f"@{name}@" for name in numbers})
    return re.compile(re.sub(r"@\w+@", r"\\d+", re.escape(marked)))


@pytest.fixture
def page(chromium: str, playground: Playground, tmp_path: Path) -> Iterator[Page]:
    """The playground's page in headless Chromium, loaded; a screenshot of it is kept in
    tmp_path when the test fails (its path printed), or where TOVHOLDER_SCREENSHOT says."""
    with sync_api.sync_playwright() as playwright:
        # --no-sandbox: Chromium's sandbox refuses to start as root (CI's containers).
        browser = playwright.chromium.launch(
            executable_path=chromium, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="da-DK")
        page.set_default_timeout(WAIT_MS)
        page.goto(playground.url, wait_until="domcontentloaded")
        failed = True
        try:
            yield page
            failed = False
        finally:
            shot = os.environ.get("TOVHOLDER_SCREENSHOT") or (
                str(tmp_path / "playground.png") if failed else ""
            )
            if shot:
                page.screenshot(path=shot, full_page=True)
                print(f"screenshot of the playground's page: {shot}")
            browser.close()


def _write(page: Page, text: str) -> None:
    """Type `text` in the chat box and send it (Enter), as Anna would."""
    box = page.locator('[data-lexical-editor="true"]')  # the chat box (a rich-text editor)
    box.click()
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def _settled_count(cards: Any, quiet_s: float = 1.5, limit_s: float = 20) -> int:
    """How many cards the page shows once no new one has come for `quiet_s` seconds (the bot
    answers an install with several messages, which the page shows one by one)."""
    count, since, deadline = cards.count(), time.monotonic(), time.monotonic() + limit_s
    while time.monotonic() < deadline and time.monotonic() - since < quiet_s:
        time.sleep(0.1)
        now = cards.count()
        if now != count:
            count, since = now, time.monotonic()
    return count


def _anna(session: Session) -> Member:
    """Anna Lund of the example network (she is also on Slack there)."""
    return session.scalars(select(Member).filter_by(slack_user_id=ANNA_SLACK)).one()


def test_a_member_logs_sparring_and_saves_her_preparation_in_the_playgrounds_page(
    page: Page, playground: Playground
) -> None:
    cards = page.locator(".ac-adaptiveCard")
    welcome = _text("teams.welcome").split(",")[0]  # "Hej! Jeg er Tovholder"
    expect(cards.filter(has_text=welcome)).to_have_count(1)  # the page installed the app

    shown = _settled_count(cards)  # the install's messages (welcome, overview, calendar) all in
    _write(page, "sparring 1t i går")
    expect(cards).to_have_count(shown + 1)
    expect(cards.last).to_contain_text(re.compile(r"\b1 t\b"))

    _write(page, "prep")
    save = page.get_by_role("button", name=_text("prep.modal.submit"), exact=True)
    question = page.get_by_role("textbox", name=_text("prep.p2.question", position=1))
    question.fill(QUESTION)  # without the person to ask: an error on that field
    save.click()
    expect(page.get_by_text(_text("prep.error.primary_missing"))).to_be_visible()
    expect(question).to_have_value(QUESTION)  # the same card again, what was typed kept

    question.fill("")  # then part 1 instead
    page.locator("label", has_text=_text("prep.p1.aligned")).click()  # tick the box
    agreed = page.get_by_role("textbox", name=_text("prep.p1.agreed"))
    agreed.fill(TYPED)
    save.click()

    saved = cards.filter(has_text=_pattern("prep.saved.body", number=3))
    expect(saved).to_have_count(1)
    expect(saved).to_contain_text(TYPED)  # as typed, not as markup
    expect(agreed).to_have_count(0)  # the form's card became the saved preparation

    engine = create_engine(playground.database_url)
    try:
        with Session(engine) as session:
            anna = _anna(session)
            (prep,) = session.scalars(select(Preparation).filter_by(member_id=anna.id))
            assert (prep.manager_aligned, prep.manager_agreed) == (True, TYPED)
            (entry,) = session.scalars(select(SparringEntry).filter_by(giver_id=anna.id))
            assert entry.minutes == 60
    finally:
        engine.dispose()
