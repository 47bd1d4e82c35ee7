"""The translation catalogs beyond pybabel: the deployment-file extractor, filling English, compiling
where pybabel is not at hand, and the strict check.

`make i18n-update` runs `pybabel extract` and `pybabel update` (babel.cfg maps the files), then
`python -m locales.catalogs english`; `make i18n-check` runs `python -m locales.catalogs check`.
Message ids are English: the English catalog is filled from them, every other language by translators.
"""

from __future__ import annotations

import re
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import IO, Any

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from locales import DOMAIN, LANGUAGES, LOCALES_DIR, catalog_path

ROOT = LOCALES_DIR.parent
TEMPLATE = LOCALES_DIR / f"{DOMAIN}.pot"
SOURCE_LANGUAGE = "en"
KEYWORDS: dict[str, Any] = {"_": None, "_n": (1, 2)}
# pybabel's mapping of files to extractors, which the check reads too.
MAPPING = ROOT / "babel.cfg"
# Telegram refuses messages longer than this.
TELEGRAM_TEXT_LIMIT = 4096
_HEADER: dict[str, Any] = {
    "project": "Ehrenamtsbörse",
    "version": "1",
    "copyright_holder": "the Ehrenamtsbörse contributors",
    "msgid_bugs_address": "",
}
_PLACEHOLDER = re.compile(r"\{(\w*)[^{}]*\}")
_LABEL = re.compile(r"^\s*label\s*=")


def _labels(node: Any) -> Iterator[str]:
    """Every `label` string of a parsed deployment file, in the file's order."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "label" and isinstance(value, str):
                yield value
            else:
                yield from _labels(value)
    elif isinstance(node, list):
        for item in node:
            yield from _labels(item)


def extract_deployment(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str | None, str, list[str]]]:
    """Babel extractor for deployment files: category labels are message ids. The file is read
    as TOML, so any string form (escapes, single quotes, several lines) gives the label itself;
    the line is where its `label` key stands."""
    text = fileobj.read().decode("utf-8")
    lines = [number for number, line in enumerate(text.splitlines(), 1) if _LABEL.match(line)]
    for index, label in enumerate(_labels(tomllib.loads(text))):
        yield lines[index] if index < len(lines) else 0, None, label, ["help category"]


def extract() -> Catalog:
    """Collect every translatable message from the source into a fresh template."""
    template = Catalog(domain=DOMAIN, charset="utf-8", fuzzy=False, **_HEADER)
    with MAPPING.open() as file:
        method_map, options_map = parse_mapping_cfg(file, str(MAPPING))  # type: ignore[no-untyped-call]
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT),
        method_map,
        options_map,
        keywords=KEYWORDS,
        comment_tags=("TRANSLATORS:",),
        strip_comment_tags=True,
    ):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def _write(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = BytesIO()
    write_po(buffer, catalog, width=100, sort_output=True, include_lineno=False)
    path.write_bytes(buffer.getvalue())


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as file:
        return read_po(file, locale=locale, domain=DOMAIN)


def fill_english(path: Path | None = None) -> None:
    """Fill the English catalog from the message ids (after `pybabel update`)."""
    path = path or catalog_path(SOURCE_LANGUAGE)
    catalog = _read(path, SOURCE_LANGUAGE)
    for message in catalog:
        if message.id and (message.fuzzy or not _translated(message)):
            message.string = message.id
            message.flags.discard("fuzzy")
    _write(catalog, path)


def compile_catalogs() -> None:
    """Write the .mo file of every shipped language."""
    for code in LANGUAGES:
        catalog = _read(catalog_path(code), code)
        with catalog_path(code).with_suffix(".mo").open("wb") as file:
            write_mo(file, catalog)


def _forms(value: str | tuple[str, ...] | list[str] | None) -> list[str]:
    """The forms of a message id or translation: one, or one per plural form."""
    if value is None:
        return [""]
    return [value] if isinstance(value, str) else list(value)


def _translated(message: Message) -> bool:
    return all(_forms(message.string))


@dataclass(frozen=True)
class Problem:
    language: str
    msgid: str
    what: str

    def __str__(self) -> str:
        return f"{self.language}: {self.what}: {self.msgid[:60]!r}"


def _placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


def check_catalog(code: str, catalog: Catalog, template_ids: set[str]) -> list[Problem]:
    """Everything that would show a reader an untranslated, broken or overlong message."""
    problems: list[Problem] = []
    ids: set[str] = set()
    for message in catalog:
        if not message.id:
            continue
        sources = _forms(message.id)
        msgid = sources[0]
        ids.add(msgid)
        strings = _forms(message.string)
        if message.fuzzy:
            problems.append(Problem(code, msgid, "fuzzy"))
        if message.pluralizable and len(strings) != catalog.num_plurals:
            problems.append(
                Problem(code, msgid, f"{len(strings)} plural forms, needs {catalog.num_plurals}")
            )
        if not all(strings):
            problems.append(Problem(code, msgid, "untranslated"))
            continue
        expected = set().union(*(_placeholders(source) for source in sources)) - {"n"}
        for string in strings:
            if _placeholders(string) - {"n"} != expected:
                problems.append(
                    Problem(code, msgid, f"placeholders differ from {sorted(expected)}")
                )
            if len(string) > TELEGRAM_TEXT_LIMIT:
                problems.append(Problem(code, msgid, "longer than Telegram allows"))
    for missing in sorted(template_ids - ids):
        problems.append(Problem(code, missing, "missing; run make i18n-update"))
    for stale in sorted(ids - template_ids):
        problems.append(Problem(code, stale, "no longer in the template; run make i18n-update"))
    return problems


# The deployment files shipped with the bot (town/deployments/*.toml, as babel.cfg maps them).
DEPLOYMENTS = ROOT / "town" / "deployments"


def check_deployment(path: Path) -> list[Problem]:
    """Every language a deployment file offers (its `languages`, or all shipped when empty, as the
    language menu does) needs a full privacy notice that fits in one Telegram message. The file is
    read as TOML, as the extractor reads it: the catalogs and the town's configuration sit side by
    side in the layers and do not import each other."""
    with path.open("rb") as file:
        data = tomllib.load(file)
    offered = [code for code in LANGUAGES if code in data.get("languages", ())] or list(LANGUAGES)
    notices = data.get("agency", {}).get("privacy_notice", {})
    where = f"{path.name} [agency.privacy_notice]"
    problems: list[Problem] = []
    for code in offered:
        notice = notices.get(code)
        if not isinstance(notice, str) or not notice.strip():
            problems.append(Problem(code, where, "no full privacy notice"))
        elif len(notice) > TELEGRAM_TEXT_LIMIT:
            problems.append(Problem(code, where, "privacy notice longer than Telegram allows"))
    return problems


def check() -> list[Problem]:
    """Check the template against the source, every shipped catalog against the template, and
    the privacy notices of every shipped deployment file."""
    extracted = {_forms(m.id)[0] for m in extract() if m.id}
    template = {_forms(m.id)[0] for m in _read(TEMPLATE) if m.id}
    problems = [
        Problem("template", i, "not extracted; run make i18n-update")
        for i in sorted(extracted - template)
    ]
    problems += [
        Problem("template", i, "stale; run make i18n-update") for i in sorted(template - extracted)
    ]
    for code in LANGUAGES:
        path = catalog_path(code)
        if not path.exists():
            problems.append(Problem(code, "", "catalog missing"))
            continue
        catalog = _read(path, code)
        problems += check_catalog(code, catalog, template)
        base = code.partition("_")[0]
        if LANGUAGES[code].plain and catalog_path(base).exists():
            # Imported here: the plain-German check builds on this module's Problem.
            from locales.plain import check_plain

            problems += check_plain(catalog, _read(catalog_path(base), base), code)
    for deployment in sorted(DEPLOYMENTS.glob("*.toml")):
        problems += check_deployment(deployment)
    return problems


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "english":
        fill_english()
    elif command == "compile":
        compile_catalogs()
    elif command == "check":
        problems = check()
        for problem in problems:
            print(problem)
        return 1 if problems else 0
    else:
        print("usage: python -m locales.catalogs english|compile|check", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
