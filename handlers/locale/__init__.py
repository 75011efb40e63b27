"""The catalogue's files: standard gettext catalogues, one per language, kept with Babel.

    handlers/locale/tovholder.pot                  the template (made by `extract`)
    handlers/locale/en/LC_MESSAGES/tovholder.po    English, the source language
    handlers/locale/da/LC_MESSAGES/tovholder.po    Danish
    handlers/locale/*/LC_MESSAGES/tovholder.mo     compiled (`compile`); not committed

Every entry is one catalogue key: `msgctxt` is the key the code names (`t(lang,
"sparring.help")`), `msgid` the English text, `msgstr` the translation. The English
catalogue leaves `msgstr` empty: its text is the `msgid`. To add or change a text, edit the
English `.po`, run `extract` and `update`, then translate the Danish entries that `update`
added (empty) or marked fuzzy (English changed) — in any .po editor.

Texts are neutral, with no platform's markup: `**bold**` and `` `code` ``; mentions, links
and people's names only ever come in as `{placeholders}`. Each surface's renderer formats
them (handlers/catalogue.py: Slack mrkdwn). A placeholder may carry a plural spec,
`{count:# medlem|# medlemmer}` (one|other, `#` is the number).

The .mo files are only a faster start: without one (a fresh clone), or when the .po is newer,
the .po is read instead.
"""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

DOMAIN = "tovholder"
SOURCE_LANGUAGE = "en"
LANGUAGES = ("da", "en")
LOCALE_DIR = Path(__file__).resolve().parent
CODE_ROOT = LOCALE_DIR.parents[1]  # where bot/ handlers/ jobs/ models/ are
CODE_PACKAGES = ("bot", "handlers", "jobs", "models")

# The first part of every key: a string literal in the code that looks like a key with one of
# these prefixes is taken as a catalogue key (and must exist).
KEY_PREFIXES = frozenset(
    {
        "error",
        "sparring",
        "network",
        "period",
        "home",
        "meeting",
        "prep",
        "nudge",
        "between",
        "attendance",
        "headcount",
        "notice",
        "followup",
        "spread",
        "teams",
        "when",
    }
)
_KEY_RE = re.compile(r"^[a-z_]+(\.[a-z_]+)+$")
_HEADER_COMMENT = (
    "# Tovholder's texts. msgctxt is the key the code names; msgid the English text.\n"
    "# Markup: **bold** and `code` only. Keep every {placeholder} as it is; a plural spec\n"
    "# {count:# one|# other} is translated inside the braces (`#` is the number).\n"
    "#"
)


def pot_path(directory: Path = LOCALE_DIR) -> Path:
    return directory / f"{DOMAIN}.pot"


def po_path(lang: str, directory: Path = LOCALE_DIR) -> Path:
    return directory / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(lang: str, directory: Path = LOCALE_DIR) -> Path:
    return po_path(lang, directory).with_suffix(".mo")


def read_catalogue(path: Path) -> Catalog:
    with path.open("rb") as f:
        if path.suffix == ".mo":
            return read_mo(f)
        return read_po(f, abort_invalid=True)


def texts(catalog: Catalog) -> dict[str, str]:
    """key -> text: the translation, or the English `msgid` where there is none (the source
    language, a new entry, or a fuzzy one that waits for review, as gettext does)."""
    out: dict[str, str] = {}
    for message in catalog:
        key = message.context
        if not key or not isinstance(message.id, str):
            continue  # the header
        string_ = message.string if isinstance(message.string, str) else ""
        out[key] = string_ if string_ and not message.fuzzy else message.id
    return out


def load(lang: str, directory: Path = LOCALE_DIR) -> dict[str, str]:
    """The texts of `lang` (neutral markup), from the compiled .mo when it is at least as new as
    the .po, else from the .po."""
    po, mo = po_path(lang, directory), mo_path(lang, directory)
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        return texts(read_catalogue(mo))
    return texts(read_catalogue(po))


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def keys_used_in_code(root: Path = CODE_ROOT) -> dict[str, set[str]]:
    """Every catalogue key the code names as a string literal, with the files naming it."""
    used: dict[str, set[str]] = {}
    for package in CODE_PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            if path.name == "catalogue.py" or "locale" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and _KEY_RE.match(node.value)
                    and node.value.split(".")[0] in KEY_PREFIXES
                    and not node.value.endswith(".id")  # ForeignKey("meeting.id")
                ):
                    used.setdefault(node.value, set()).add(path.relative_to(root).as_posix())
    return used


def _new_catalog(lang: str | None) -> Catalog:
    return Catalog(
        locale=lang,
        domain=DOMAIN,
        project="Tovholder",
        version="1",
        header_comment=_HEADER_COMMENT,
        copyright_holder="Tovholder",
        charset="utf-8",
        fuzzy=False,
    )


def _entries(catalog: Catalog) -> list[tuple[str, str, tuple[str, ...]]]:
    return [
        (m.context, m.id, tuple(m.auto_comments))
        for m in catalog
        if m.context and isinstance(m.id, str)
    ]


def _plural_spec(text: str) -> bool:
    return any(
        spec and ("|" in spec or "#" in spec) for _, _, spec, _ in string.Formatter().parse(text)
    )


def _format_flags(catalog: Catalog) -> None:
    """Flag entries so that msgfmt, Poedit and Weblate check the placeholders of
    `python-brace-format` texts; a plural spec is no standard format spec (msgfmt would reject
    it), so texts with one are flagged `no-python-brace-format` (`check` covers them)."""
    for m in catalog:
        if not m.context or not isinstance(m.id, str):
            continue
        m.flags.discard("python-format")  # no %-formatting here; a "%" is just a percent sign
        if _plural_spec(m.id) or (isinstance(m.string, str) and _plural_spec(m.string)):
            m.flags.discard("python-brace-format")
            m.flags.add("no-python-brace-format")


def _write_po(path: Path, catalog: Catalog) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    _format_flags(catalog)
    with path.open("wb") as f:
        write_po(f, catalog, width=0, no_location=True, include_previous=True)


def extract(directory: Path = LOCALE_DIR) -> bool:
    """Write the template from the English (source) catalogue; False when it was up to date."""
    source = read_catalogue(po_path(SOURCE_LANGUAGE, directory))
    template = _new_catalog(None)
    for message in source:
        if message.context and isinstance(message.id, str):
            template.add(message.id, context=message.context, auto_comments=message.auto_comments)
    pot = pot_path(directory)
    if pot.exists() and _entries(read_catalogue(pot)) == _entries(template):
        return False
    template.creation_date = datetime.now(UTC)
    _write_po(pot, template)
    return True


def _carry_over(message: Message, was: Message | None) -> Message:
    """The entry for the template's `message` in a translation whose entry was `was`: its
    translation kept, and marked fuzzy (with the English it translated) when the English
    changed since."""
    entry = Message(message.id, context=message.context, auto_comments=message.auto_comments)
    if was is None:
        return entry
    entry.string = was.string if isinstance(was.string, str) else ""
    entry.user_comments = list(was.user_comments)
    if was.id != message.id:
        entry.flags.add("fuzzy")
        entry.previous_id = [str(was.id)]
    elif was.fuzzy:
        entry.flags.add("fuzzy")
        entry.previous_id = list(was.previous_id)
    return entry


def update(
    directory: Path = LOCALE_DIR, languages: Iterable[str] = LANGUAGES
) -> dict[str, tuple[int, int, int]]:
    """Bring each translation in line with the template: new keys added untranslated, keys
    whose English changed keep their old translation marked fuzzy (with the previous English
    beside it), keys gone are dropped. Returns lang -> (added, fuzzy, dropped)."""
    template = [m for m in read_catalogue(pot_path(directory)) if m.context]
    report: dict[str, tuple[int, int, int]] = {}
    for lang in languages:
        if lang == SOURCE_LANGUAGE:
            continue
        old = read_catalogue(po_path(lang, directory))
        by_key = {m.context: m for m in old if m.context}
        new = _new_catalog(lang)
        for attribute in ("creation_date", "revision_date", "last_translator", "language_team"):
            setattr(new, attribute, getattr(old, attribute))
        for message in template:
            new[message.id] = _carry_over(message, by_key.get(str(message.context)))
        added = len({m.context for m in template} - set(by_key))
        dropped = len(set(by_key) - {m.context for m in template})
        fuzzy = sum(1 for m in new if m.context and m.fuzzy)
        if _entries(new) != _entries(old) or fuzzy:
            _write_po(po_path(lang, directory), new)
        report[lang] = (added, fuzzy, dropped)
    return report


_SLACK_BOLD_RE = re.compile(r"\*([^*\n]+)\*")


def legacy_messages(path: Path) -> dict[str, dict[str, str]]:
    """The `MESSAGES = {"da": {...}, "en": {...}}` dict of a catalogue.py from before the .po
    files (a branch written against it), read without running the file."""
    target: ast.expr
    value: ast.expr | None
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id == "MESSAGES" and value is not None:
            messages: dict[str, dict[str, str]] = ast.literal_eval(value)
            return messages
    raise ValueError(f"{path}: no MESSAGES dict")


def _absorbed(
    messages: dict[str, dict[str, str]], entries: dict[str, dict[str, Message]]
) -> tuple[list[str], list[str], list[str]]:
    """(order, added, changed), and `entries` updated with the texts of `messages`."""
    source = entries[SOURCE_LANGUAGE]
    order, added, changed = list(source), [], []
    previous = ""
    for key in messages[SOURCE_LANGUAGE]:
        new = {lang: _SLACK_BOLD_RE.sub(r"**\1**", messages[lang][key]) for lang in LANGUAGES}
        if key not in source:
            order.insert(order.index(previous) + 1 if previous in order else len(order), key)
            added.append(key)
        elif any(
            new[lang] != (source[key].id if lang == SOURCE_LANGUAGE else entries[lang][key].string)
            for lang in LANGUAGES
        ):
            changed.append(key)
        else:
            previous = key
            continue
        like = source.get(key) or source.get(previous)
        comments = list(like.auto_comments) if like else []
        for lang in LANGUAGES:
            text = "" if lang == SOURCE_LANGUAGE else new[lang]
            entries[lang][key] = Message(
                new[SOURCE_LANGUAGE], text, context=key, auto_comments=comments
            )
        previous = key
    return order, added, changed


def absorb(
    messages: dict[str, dict[str, str]], directory: Path = LOCALE_DIR
) -> tuple[list[str], list[str]]:
    """Take into the catalogues the keys of an old-style `MESSAGES` dict that they lack (placed
    after the key before them there) and the texts it has changed, with Slack's `*bold*` turned
    into `**bold**`. Returns (added, changed); nothing is removed. Run `extract` after."""
    catalogs = {lang: read_catalogue(po_path(lang, directory)) for lang in LANGUAGES}
    entries = {
        lang: {m.context: m for m in catalog if m.context} for lang, catalog in catalogs.items()
    }
    order, added, changed = _absorbed(messages, entries)
    for lang, catalog in catalogs.items():
        rebuilt = _new_catalog(lang)
        for attribute in ("creation_date", "revision_date", "last_translator", "language_team"):
            setattr(rebuilt, attribute, getattr(catalog, attribute))
        for key in order:
            rebuilt[entries[lang][key].id] = entries[lang][key]
        _write_po(po_path(lang, directory), rebuilt)
    return added, changed


def compiled(lang: str, directory: Path = LOCALE_DIR) -> Catalog:
    """The catalogue as it is compiled: the source language's texts are its msgids."""
    catalog = read_catalogue(po_path(lang, directory))
    if lang == SOURCE_LANGUAGE:
        for message in catalog:
            if message.context and isinstance(message.id, str) and not message.string:
                message.string = message.id
    return catalog


def compile_all(directory: Path = LOCALE_DIR, languages: Iterable[str] = LANGUAGES) -> list[Path]:
    paths = []
    for lang in languages:
        with mo_path(lang, directory).open("wb") as f:
            write_mo(f, compiled(lang, directory))
        paths.append(mo_path(lang, directory))
    return paths


_BOLD_RE = re.compile(r"\*\*[^*\n]+?\*\*")
_CODE_RE = re.compile(r"`[^`\n]+`")


_SLACK_MARKUP_RE = re.compile(r"<[@!#]|<(?:https?|mailto):|&(?:amp|lt|gt);")
_ITALIC_RE = re.compile(r"(?<![\w`])_[^_\s][^_\n]*_(?![\w`])")


def markup_problems(text: str) -> list[str]:
    """What in a text is not the neutral markup: a stray `*` or backtick, Slack's `_italic_`,
    or a mention, link or entity of Slack's own (`<@…>`, `<!here>`, `<https://…|…>`, `&lt;`):
    mentions and links come in as placeholders. A plain `&`, `<` or `>` is just text (each
    renderer escapes it)."""
    problems = []
    rest = _CODE_RE.sub("", _BOLD_RE.sub("", text))
    if "*" in rest:
        problems.append("a `*` outside **bold**")
    if "`" in rest:
        problems.append("an unpaired backtick")
    if _ITALIC_RE.search(rest):
        problems.append("Slack's _italic_ (the markup is **bold** and `code` only)")
    if _SLACK_MARKUP_RE.search(text):
        problems.append("a Slack mention, link or entity (these come in as placeholders)")
    return problems


def _text_problems(english: str, text: str) -> list[str]:
    """What is wrong with one text (English or its translation) of an entry."""
    try:
        fields, english_fields = placeholders(text), placeholders(english)
    except ValueError as exc:  # an unmatched brace
        return [str(exc)]
    problems = markup_problems(text)
    if fields != english_fields:
        problems.append(
            f"placeholders {sorted(fields)} differ from English {sorted(english_fields)}"
        )
    return problems


def _catalogue_problems(lang: str, catalog: Catalog, directory: Path) -> list[str]:
    name = f"{lang}/{po_path(lang, directory).name}"
    problems = []
    for m in catalog:
        if not m.context or not isinstance(m.id, str):
            continue
        text = m.string if isinstance(m.string, str) else ""
        if lang != SOURCE_LANGUAGE and (not text or m.fuzzy):
            problems.append(f"{name} {m.context}: {'fuzzy' if text else 'untranslated'}")
            continue
        for one in {m.id, text} - {""}:
            problems.extend(f"{name} {m.context}: {p}" for p in _text_problems(m.id, one))
    mo = mo_path(lang, directory)
    if mo.exists() and texts(read_catalogue(mo)) != texts(compiled(lang, directory)):
        problems.append(f"{lang}/{mo.name} is stale: run `python -m bot i18n compile`")
    return problems


def check(directory: Path = LOCALE_DIR, root: Path = CODE_ROOT) -> list[str]:
    """Everything that is wrong with the catalogues (empty when all is well): a file that does
    not parse, a template or translation not up to date, an entry untranslated or fuzzy,
    placeholders that differ from the English, markup that is not the neutral one, a stale
    .mo, a key the code uses that has no entry."""
    try:
        template = read_catalogue(pot_path(directory))
        catalogs = {lang: read_catalogue(po_path(lang, directory)) for lang in LANGUAGES}
    except Exception as exc:  # a broken file: say which and stop
        return [f"cannot read a catalogue: {exc}"]
    problems: list[str] = []
    if _entries(template) != _entries(catalogs[SOURCE_LANGUAGE]):
        problems.append(
            f"{pot_path(directory).name} is not up to date: run `python -m bot i18n extract`"
        )
    english = {m.context: m.id for m in template if m.context}
    for lang, catalog in catalogs.items():
        if lang != SOURCE_LANGUAGE and {m.context: m.id for m in catalog if m.context} != english:
            name = po_path(lang, directory).name
            problems.append(f"{lang}/{name} is not up to date: run `python -m bot i18n update`")
        problems.extend(_catalogue_problems(lang, catalog, directory))
    missing = sorted(set(keys_used_in_code(root)) - set(english))
    problems.extend(f"key used in the code but not in the catalogue: {key}" for key in missing)
    return problems
