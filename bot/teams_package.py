"""`python -m bot teams package`: the Teams app package (a zip with manifest.json and two icons)
that an admin uploads to Teams (or the Developer Portal) to install the bot for people.

The texts come from the catalogue: Danish in the manifest itself, English as a localization
file. The icons are drawn here, as PNGs written with zlib (no image library): a 192×192 colour
icon and a 32×32 outline icon (white on transparent), as Teams requires.
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib
from collections.abc import Callable
from typing import Any

from handlers.catalogue import MESSAGES

MANIFEST_VERSION = "1.19"
SCHEMA = f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
LOCALIZATION_SCHEMA = (
    f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/"
    "MicrosoftTeams.Localization.schema.json"
)
APP_NAME = "Tovholder"
ACCENT = (0x1F, 0x5C, 0x4A)  # a deep green
COLOR_SIZE, OUTLINE_SIZE = 192, 32
PACKAGE_VERSION = "1.0.0"

# The commands in the app's command menu, in this order (Teams: at most 10 per list, a title
# of at most 32 characters, a description of at most 128; the tests hold the texts to it).
MENU_COMMANDS = ("help", "sparring", "prep", "followup", "spread", "reflection", "apply")
MAX_COMMANDS, MAX_COMMAND_TITLE, MAX_COMMAND_DESCRIPTION = 10, 32, 128

Pixel = tuple[int, int, int, int]


def png(size: int, pixel: Callable[[float, float], Pixel]) -> bytes:
    """A size×size RGBA PNG; `pixel(x, y)` gives each pixel's colour (x, y in 0..1)."""
    rows = bytearray()
    for y in range(size):
        rows.append(0)  # filter: none
        for x in range(size):
            rows.extend(pixel((x + 0.5) / size, (y + 0.5) / size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + chunk(b"IEND", b"")
    )


def _mark(x: float, y: float) -> bool:
    """The mark: a "T" (the T of Tovholder) with a dot below, on a unit square."""
    bar = 0.22 <= x <= 0.78 and 0.22 <= y <= 0.36
    stem = 0.43 <= x <= 0.57 and 0.22 <= y <= 0.62
    dot = (x - 0.5) ** 2 + (y - 0.74) ** 2 <= 0.075**2
    return bar or stem or dot


def color_icon() -> bytes:
    white, accent = (255, 255, 255, 255), (*ACCENT, 255)
    return png(COLOR_SIZE, lambda x, y: white if _mark(x, y) else accent)


def outline_icon() -> bytes:
    white, clear = (255, 255, 255, 255), (0, 0, 0, 0)
    return png(OUTLINE_SIZE, lambda x, y: white if _mark(x, y) else clear)


def _texts(lang: str) -> dict[str, str]:
    texts = MESSAGES[lang]
    return {
        "name.short": APP_NAME,
        "name.full": f"{APP_NAME} – {texts['teams.app.description_short'].rstrip('.')}"[:100],
        "description.short": texts["teams.app.description_short"][:80],
        "description.full": texts["teams.app.description_full"][:4000],
        **{
            f"bots[0].commandLists[0].commands[{i}].{field}": texts[key]
            for i, command in enumerate(MENU_COMMANDS)
            for field, key in (
                ("title", f"teams.command.{command}"),
                ("description", f"teams.command.{command}_description"),
            )
        },
    }


def _commands(texts: dict[str, str]) -> list[dict[str, str]]:
    """The command menu (Teams shows it above the compose box in the personal chat)."""
    key = "bots[0].commandLists[0].commands[{}].{}"
    return [
        {"title": texts[key.format(i, "title")], "description": texts[key.format(i, "description")]}
        for i in range(len(MENU_COMMANDS))
    ]


def manifest(*, app_id: str, domain: str, website: str | None = None) -> dict[str, Any]:
    """The app manifest: one personal-scope bot, Danish texts, English localization."""
    texts = _texts("da")
    site = website or f"https://{domain}/"
    return {
        "$schema": SCHEMA,
        "manifestVersion": MANIFEST_VERSION,
        "version": PACKAGE_VERSION,
        "id": app_id,
        "developer": {
            "name": APP_NAME,
            "websiteUrl": site,
            "privacyUrl": site,
            "termsOfUseUrl": site,
        },
        "name": {"short": texts["name.short"], "full": texts["name.full"]},
        "description": {
            "short": texts["description.short"],
            "full": texts["description.full"],
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": "#{:02X}{:02X}{:02X}".format(*ACCENT),
        "bots": [
            {
                "botId": app_id,
                "scopes": ["personal"],
                "supportsFiles": True,  # exports and my data: the file consent flow
                "isNotificationOnly": False,
                "commandLists": [{"scopes": ["personal"], "commands": _commands(texts)}],
            }
        ],
        "validDomains": [domain],
        "localizationInfo": {
            "defaultLanguageTag": "da",
            "additionalLanguages": [{"languageTag": "en", "file": "en.json"}],
        },
    }


def localization(lang: str) -> dict[str, Any]:
    return {"$schema": LOCALIZATION_SCHEMA, **_texts(lang)}


def build_package(*, app_id: str, domain: str, website: str | None = None) -> bytes:
    """The zip Teams takes: manifest.json, en.json and the icons at its top level."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        document = manifest(app_id=app_id, domain=domain, website=website)
        package.writestr("manifest.json", json.dumps(document, ensure_ascii=False, indent=2))
        package.writestr("en.json", json.dumps(localization("en"), ensure_ascii=False, indent=2))
        package.writestr("color.png", color_icon())
        package.writestr("outline.png", outline_icon())
    return buffer.getvalue()
