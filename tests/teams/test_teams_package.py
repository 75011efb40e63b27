"""`python -m bot teams package`: the zip Teams takes, with a manifest of the current schema
and icons of the sizes Teams requires."""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from bot.cli import EXIT_CONFIG, main
from bot.teams_package import (
    MANIFEST_VERSION,
    MAX_COMMAND_DESCRIPTION,
    MAX_COMMAND_TITLE,
    MAX_COMMANDS,
    localization,
)
from handlers.applications import APPLY_WORDS
from handlers.teams import commands

APP_ID = "8f0e2c1a-5b7d-4c3e-9a61-2d4f6b8e0c17"


def read_png(data: bytes) -> tuple[int, int, list[tuple[int, int, int, int]]]:
    """Width, height and the RGBA pixels of a PNG this package writes (8-bit RGBA, filter 0)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body)
        chunks[kind] = chunks.get(kind, b"") + body
        pos += 12 + length
    width, height, depth, color_type = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, color_type) == (8, 6)
    raw = zlib.decompress(chunks[b"IDAT"])
    pixels = []
    stride = 1 + 4 * width
    for y in range(height):
        row = raw[y * stride + 1 : (y + 1) * stride]
        pixels += [tuple(row[i : i + 4]) for i in range(0, len(row), 4)]
    return width, height, pixels  # type: ignore[return-value]


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> zipfile.ZipFile:
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    monkeypatch.setenv("TEAMS_APP_ID", APP_ID)
    out = tmp_path / "app.zip"
    assert main(["teams", "package", "--out", str(out), "--domain", "tovholder.example.org"]) == 0
    return zipfile.ZipFile(out)


def test_the_manifest_has_what_teams_requires(package: zipfile.ZipFile) -> None:
    assert sorted(package.namelist()) == ["color.png", "en.json", "manifest.json", "outline.png"]
    manifest = json.loads(package.read("manifest.json"))
    assert manifest["$schema"].endswith(f"/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json")
    assert manifest["manifestVersion"] == MANIFEST_VERSION == "1.19"
    for field in ("version", "id", "developer", "name", "description", "icons", "accentColor"):
        assert manifest[field], field
    assert manifest["id"] == APP_ID
    for url in ("websiteUrl", "privacyUrl", "termsOfUseUrl"):
        assert manifest["developer"][url].startswith("https://")
    assert len(manifest["name"]["short"]) <= 30 and len(manifest["name"]["full"]) <= 100
    assert len(manifest["description"]["short"]) <= 80
    (bot,) = manifest["bots"]
    assert bot["botId"] == APP_ID and bot["scopes"] == ["personal"]
    (commands,) = bot["commandLists"]
    titles = [c["title"] for c in commands["commands"]]
    assert titles == ["hjælp", "sparring", "prep", "opfølgning", "spredning", "refleksion", "ansøg"]
    assert manifest["validDomains"] == ["tovholder.example.org"]
    english = json.loads(package.read("en.json"))
    assert english["bots[0].commandLists[0].commands[0].title"] == "help"
    assert english["bots[0].commandLists[0].commands[3].title"] == "followup"
    assert english["description.short"].startswith("Reminders")


def test_the_icons_have_the_sizes_teams_requires(package: zipfile.ZipFile) -> None:
    width, height, pixels = read_png(package.read("color.png"))
    assert (width, height) == (192, 192)
    assert all(p[3] == 255 for p in pixels)  # the colour icon is opaque
    width, height, pixels = read_png(package.read("outline.png"))
    assert (width, height) == (32, 32)
    # The outline icon: white on transparent, nothing else.
    assert set(pixels) == {(255, 255, 255, 255), (0, 0, 0, 0)}


def test_without_an_app_id_the_package_is_not_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TEAMS_APP_ID", raising=False)
    out = tmp_path / "app.zip"
    assert main(["teams", "package", "--out", str(out), "--domain", "x.example.org"]) == EXIT_CONFIG
    assert "TEAMS_APP_ID" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("lang", ["da", "en"])
def test_the_command_menu_keeps_teams_limits_and_the_words_the_bot_reads(lang: str) -> None:
    texts = localization(lang)
    titles = [v for k, v in texts.items() if k.endswith(".title") and "commandLists" in k]
    descriptions = [
        v for k, v in texts.items() if k.endswith(".description") and "commandLists" in k
    ]
    assert 0 < len(titles) == len(descriptions) <= MAX_COMMANDS
    assert all(0 < len(t) <= MAX_COMMAND_TITLE for t in titles)
    assert all(0 < len(d) <= MAX_COMMAND_DESCRIPTION for d in descriptions)
    # Choosing a command from the menu types its title: each one is a word the bot reads.
    for title in titles:
        assert title in commands.HELP_WORDS or title in commands.COMMANDS or title in APPLY_WORDS
    # Anyone may apply for a seat, so `ansøg` (apply) is in the menu.
    assert {"da": "ansøg", "en": "apply"}[lang] in titles
